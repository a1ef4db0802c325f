//! `skiff-server` command line.
fn main() {}
