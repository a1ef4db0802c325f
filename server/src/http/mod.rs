//! The HTTP layer: everything that knows about axum. It parses requests, calls a
//! service, and turns the result (or the [`crate::error::AppError`]) into a
//! response. Start reading at `router.rs`.
//!
//! - `router.rs`: which URL goes to which API, and the layers every response gets
//! - `state.rs`: [`AppState`], what every handler is handed
//! - `auth.rs`: the bearer-token middleware
//! - `errors.rs`, `json.rs`: error statuses and JSON bodies
//! - `conditional.rs`: conditional and range request headers
//! - `app_shell.rs`, `discovery.rs`: the app's files and `/.well-known/skiff`
//! - `tree/`: the tree API (RFSAPI listings, bytes, `PUT`/`DELETE`)

pub mod app_shell;
mod auth;
pub mod conditional;
mod discovery;
pub mod errors;
pub mod json;
pub mod router;
pub mod state;
pub mod tree;

pub use router::app;
pub use state::AppState;
