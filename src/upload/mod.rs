//! Uploads (PROTOCOL.md §2, §2.1, §2.2): small files in one verified `PUT`, large ones as
//! parallel parts (or sequential chunks on servers without parts), a whole-file `PUT` for
//! plain RFSAPI servers.
//!
//! `plan`, `policy` and `digest` are pure logic (tested natively); the rest talks to the
//! browser.

pub mod browser_io;
pub mod buckets;
pub mod digest;
pub mod drop_zone;
pub mod engine;
pub mod folder_upload;
pub mod folder_walk;
pub mod handles;
pub mod item;
pub mod persist;
pub mod plan;
pub mod policy;
pub mod queue;
pub mod worker_io;
pub mod xhr;
