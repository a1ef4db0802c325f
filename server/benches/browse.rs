//! Benchmark placeholder; see xtask.
fn main() {}
