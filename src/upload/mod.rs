//! Uploads (PROTOCOL.md §2): resumable, chunked upload sessions, with a whole-file
//! PUT fallback for plain RFSAPI servers.
//!
//! `policy` and `digest` are pure logic (tested natively); the rest talks to the browser.

mod browser_io;
pub mod digest;
pub mod drop_zone;
pub mod engine;
pub mod handles;
pub mod item;
pub mod persist;
pub mod policy;
mod put;
pub mod queue;
pub mod xhr;
