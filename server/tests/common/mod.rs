//! Shared by the black-box tests: the real `skiff-server` binary on a free port,
//! fixture trees full of hostile names, raw HTTP over TCP for paths no URL
//! library would send as written, and checks for the protocol's formats.
//!
//! Every test crate uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

/// The request and response header of RFSAPI (PROTOCOL.md §1).
pub const RFSAPI: &str = "X-Raw-Filesystem-API";
/// `Content-Type` of every JSON body (PROTOCOL.md, general rules).
pub const JSON_TYPE: &str = "application/json; charset=utf-8";
/// What a browser sends when the user types a URL.
pub const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

mod checks;
mod fixture;
mod raw_http;
mod server;
mod time;

// Each test binary uses a different subset of these.
#[allow(unused_imports)]
pub use checks::*;
#[allow(unused_imports)]
pub use fixture::*;
#[allow(unused_imports)]
pub use raw_http::*;
#[allow(unused_imports)]
pub use server::*;
#[allow(unused_imports)]
pub use time::*;

/// Helpers for the upload tests (PROTOCOL.md §2).
pub mod uploads;

/// A small tmpfs for the tests that run out of space.
pub mod tmpfs;

/// A server whose stdout and stderr are kept, to prove what never reaches a log.
pub mod logged;

/// A real S3 server (SeaweedFS), one per test binary, a fresh bucket per test.
pub mod seaweed;

/// A storage mounted in a test server's tree, local or S3.
pub mod mounted;

/// The auth matrix's rows: who asks, and what a refusal must look like.
pub mod bearer;

/// The raw API suites' fixture and calls.
pub mod raw;

/// Tree names as S3 keys, and a folder walk, for the targets.
pub mod s3_keys;

/// Where a suite's files live: the default storage, or an S3 storage mounted at `/s3`.
pub mod target;

/// SeaweedFS behind a proxy that makes it look as if it ignored conditional writes.
pub mod conditions_ignored;

/// A SeaweedFS cluster (master, three volume servers, filer with S3) for scale-out tests.
pub mod seaweed_cluster;

/// A server whose ROOT is a bucket, and its listings.
pub mod s3_root;
