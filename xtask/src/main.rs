//! `cargo xtask`: the project's one entry point for setup, build, serve, test and bench.
fn main() {}
