//! skiff-server: serves a directory over the Skiff protocol.
