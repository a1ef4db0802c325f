//! The catalog: what the server records about entries beside their bytes, in
//! the one database (`crate::database`). One owner keeps it in step when entries
//! move, are copied or are deleted.
//!
//! - `ids.rs`: stable ids (§4), and moving or forgetting a subtree's records
//! - `metadata.rs`: §3 metadata records and `_format`
//! - `checksums.rs`: what the server learnt about a file it wrote (SHA-256, id)
//! - `group_commit.rs`: many whole-file writes sharing one commit
//! - `keys.rs`: tree keys and the key ranges of a subtree
//! - `secrets.rs`: the server's own secrets (the key that signs URLs)
//! - `shared/`: on an `s3://` ROOT, ids and metadata as records in the bucket,
//!   shared by every instance; `ids::Ids` and `metadata.rs` pick it or redb

pub mod checksums;
pub mod group_commit;
pub mod ids;
mod keys;
pub mod metadata;
pub mod secrets;
pub mod shared;

pub use keys::tree_key;
