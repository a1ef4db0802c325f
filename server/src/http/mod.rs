//! The HTTP layer: everything that knows about axum. It parses requests, calls a
//! service, and turns the result (or the [`crate::error::AppError`]) into a
//! response. Start reading at `router.rs`.
//!
//! - `router.rs`: which URL goes to which API, and the layers every response gets
//! - `state.rs`: [`AppState`], what every handler is handed
//! - `fresh_storages.rs`: on an `s3://` root, the storages revalidated before each request
//! - `auth.rs`: the bearer-token middleware; `signed.rs`: signed URLs (§6) that stand
//!   for a token's read rights
//! - `errors.rs`, `json.rs`: error statuses and JSON bodies
//! - `compression.rs`: the JSON compressed on the fly
//! - `drain.rs`: a refused request's body read to its end, so the client hears why
//! - `headers.rs`, `digest.rs`, `conditional.rs`: request headers into plain values
//! - `app_shell.rs` with `app_files.rs`, `discovery.rs`: the app's files (precompressed
//!   variants, validators) and `/.well-known/skiff`
//! - `tree/`: the tree API (RFSAPI listings, bytes, `PUT`/`DELETE`)
//! - `uploads.rs`, `raw.rs`, `metadata.rs`: the §2 upload API, the §4 raw file
//!   API, the §3 metadata API
//! - `storages.rs`: the §5 storages list, admin calls and scrub

mod app_files;
pub mod app_shell;
mod auth;
mod batch;
pub mod compression;
pub mod conditional;
pub mod digest;
mod discovery;
mod drain;
pub mod errors;
pub mod first_screen;
mod fresh_storages;
pub mod headers;
pub mod json;
mod metadata;
mod raw;
pub mod router;
mod signed;
pub mod state;
mod storages;
pub mod tree;
mod uploads;

pub use router::app;
pub use state::AppState;
