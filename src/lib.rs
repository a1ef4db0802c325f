//! Skiff: a file manager that runs entirely in the browser and browses any server
//! speaking RFSAPI (see PROTOCOL.md).
//!
//! `model`, `route` and `tree_state` are pure logic (tested natively); `api` does all
//! HTTP; `location` owns the address bar; `state` is the shared reactive state;
//! `components` are the views.

pub mod api;
pub mod auth;
pub mod components;
pub mod errors;
pub mod first_screen;
pub mod location;
pub mod model;
pub mod opener;
pub mod ops;
pub mod outage;
pub mod route;
pub mod state;
pub mod tree_state;
pub mod upload;

pub use components::app::{App, Skiff};
