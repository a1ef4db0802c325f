//! skiff-server: serves a directory over the Skiff protocol (`PROTOCOL.md`).
//!
//! The crate is a library so tests can drive [`app`] with `oneshot` and no socket;
//! `main.rs` only hands the command line to [`cli::run`].

mod app_shell;
mod auth;
pub mod cli;
mod conditional;
pub mod config;
mod database;
mod digest;
mod discovery;
mod entry;
mod error;
mod files;
mod group_commit;
mod ids;
mod json;
mod listing;
mod metadata;
mod paths;
mod raw;
mod routes;
mod server;
mod space;
mod state;
mod storages;
// The storage seam (issue 11); public (hidden) so `tests/store_backends.rs` can
// prove both backends against the same cases before the services move onto it.
#[doc(hidden)]
pub mod store;
mod tree;
mod uploads;
mod walk;

pub use app_shell::embedded_app_has_index;
pub use config::{Config, ConfigError};
pub use routes::app;
pub use server::{serve, ServeError};
pub use state::AppState;
