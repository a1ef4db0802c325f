//! The storages service (PROTOCOL.md §5): every storage with its store, and the
//! admin calls that add, change and remove storages. `crate::http::storages` is
//! the HTTP side; the scrub is `crate::scrub`.
//!
//! - `spec.rs`: what defines a storage, checked (API bodies and `--config` alike)
//! - `registry.rs`: every storage with its `Store`; the only code that changes them
//! - `record.rs`: storage records in the server's redb database
//! - `backend.rs`: opening a backend and proving it can be listed and written
//! - `admin.rs`: add, change, remove (bodies checked)
//! - `shared.rs`: on an `s3://` root, the records as one record in the bucket
//!
//! The default storage is the served tree, named `default` like the upload
//! bucket (§2). Its record (a UUID and when it was made) lives in redb, so the
//! id survives restarts.

pub mod admin;
mod backend;
mod record;
mod registry;
pub mod shared;
pub mod spec;

pub use registry::{DefaultStorage, StorageRegistry, StoreSlot};

use crate::error::AppError;

/// Longest label, in characters.
const LABEL_MAX: usize = 255;

/// A label for people: not blank, no control characters, at most 255 characters.
pub(crate) fn checked_label(label: &str) -> Result<String, AppError> {
    checked_label_text(label).map_err(|message| AppError::BadRequest {
        code: "bad_storage",
        message,
    })
}

/// [`checked_label`] in words, for `--config`.
pub fn checked_label_text(label: &str) -> Result<String, String> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > LABEL_MAX || label.chars().any(char::is_control)
    {
        return Err(format!(
            "the label must be 1 to {LABEL_MAX} characters, without control characters"
        ));
    }
    Ok(label.to_owned())
}
