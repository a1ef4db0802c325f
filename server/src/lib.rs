//! skiff-server: serves a directory over the Skiff protocol (`PROTOCOL.md`).
//!
//! The crate is a library so tests can drive [`app`] with `oneshot` and no socket;
//! `main.rs` only hands the command line to [`cli::run`].

mod blocking;
mod catalog;
pub mod cli;
pub mod config;
mod database;
mod disk;
mod error;
mod http;
mod listing;
mod metadata;
mod raw;
mod scrub;
mod server;
mod services;
mod storages;
// The storage seam (issue 11); public (hidden) so `tests/store_backends.rs` can
// prove both backends against the same cases before the services move onto it.
#[doc(hidden)]
pub mod store;
mod uploads;

pub use config::{Config, ConfigError};
pub use http::app;
pub use http::app_shell::embedded_app_has_index;
pub use http::AppState;
pub use server::{serve, ServeError};
