//! skiff-server: serves a directory over the Skiff protocol (`PROTOCOL.md`).
//!
//! The crate is a library so tests can drive [`app`] with `oneshot` and no socket;
//! `main.rs` only hands the command line to [`cli::run`].
//!
//! # Reading the server
//!
//! Layers, from the outside in; each uses only the ones below it:
//!
//! 1. `cli.rs`, `server.rs`, `tls.rs`, `config/`, `s3_root.rs`: the command line,
//!    `--config`, tokens, binding the socket (HTTPS with HTTP/2 in `tls.rs`), and
//!    the checks an `s3://` ROOT passes before anything is served.
//! 2. `http/`: the only code that knows axum. `router.rs` maps URLs to one
//!    handler file per API (`tree/`, `uploads.rs`, `raw.rs`, `metadata.rs`,
//!    `storages.rs`); handlers parse the request, call a service, and turn the
//!    result or [`error::AppError`] into a response. `state.rs` is what they hold.
//! 3. The services, plain Rust in and out: `uploads/` (§2 sessions, bucket
//!    listings, whole-file writes), `raw/` (§4), `metadata.rs` (§3), `listing/`
//!    (RFSAPI listings), `tree/` (writes in a mounted storage), `scrub/`,
//!    `storages/` (§5 registry and admin), `jobs/` (an `s3://` ROOT's folder moves
//!    and deletes, journaled in the bucket). What they share is `services.rs`.
//! 4. `catalog/`: ids, metadata and checksum records, kept in step on move, copy
//!    and delete; `database.rs` opens the one redb file they live in.
//!    `bucket_state/`: the records several instances on one S3 bucket share
//!    (conditional writes, leases; docs/design/scale-out.md).
//! 5. `store/` (the storage seam: the `Store` trait, `local/`, `s3/`) and `disk/`
//!    (the default storage's paths, walk, free space and atomic placing).
//! 6. `error.rs`, `blocking.rs`: the service error type, and running blocking work.

mod blocking;
// Server state shared by instances on one bucket (issue 13); public (hidden) so
// `tests/bucket_state.rs` can prove its races against a real S3 server.
#[doc(hidden)]
pub mod bucket_state;
mod catalog;
pub mod cli;
pub mod config;
mod database;
mod disk;
mod error;
mod http;
mod jobs;
mod listing;
mod metadata;
mod raw;
mod s3_root;
mod scrub;
mod server;
mod services;
mod storages;
mod tls;
// The storage seam (issue 11); public (hidden) so `tests/store_backends.rs` can
// prove both backends against the same cases before the services move onto it.
#[doc(hidden)]
pub mod store;
mod tree;
mod uploads;

pub use config::{Config, ConfigError};
pub use http::app;
pub use http::app_shell::embedded_app_has_index;
pub use http::AppState;
pub use server::{serve, ServeError};
