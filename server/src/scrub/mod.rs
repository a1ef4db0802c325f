//! The scrub service (`GET {storages}/{name}/checksums`, PROTOCOL.md §5): every
//! file of a storage with its SHA-256 now and the one recorded when the server
//! wrote it, as newline-delimited [`skiff_protocol::ChecksumLine`]s.
//!
//! - `local.rs`: the default storage, walked and hashed from disk
//! - `mounted.rs`: a mounted storage, through its store

mod local;
mod mounted;

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use skiff_protocol::{Storage, DEFAULT_BUCKET};

use crate::catalog::ids::Ids;
use crate::error::AppError;
use crate::services::Services;
use crate::store::Store;

/// A scrub's body: chunks of whole lines; an error cuts it off, so a client never
/// takes a partial scrub for a whole one.
pub type ScrubLines = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A scrub ready to start: its storage is known and its backend open.
pub enum Scrub {
    /// The default storage.
    Local(Services),
    /// A mounted storage: its store, the catalog's ids, its mount.
    Mounted(Arc<dyn Store>, Ids, String),
}

impl Scrub {
    /// The scrub of `storage`; 503 if its backend cannot be opened.
    pub fn of(services: &Services, storage: &Storage) -> Result<Self, AppError> {
        if storage.name == DEFAULT_BUCKET {
            return Ok(Self::Local(services.clone()));
        }
        let store = services
            .storages()
            .store(&storage.name)
            .ok_or_else(|| AppError::UnknownStorage(storage.name.clone()))?
            .map_err(AppError::Unavailable)?;
        Ok(Self::Mounted(
            store,
            services.ids().clone(),
            storage.mount.clone(),
        ))
    }

    /// Starts it: the lines arrive as they are made.
    pub fn start(self) -> ScrubLines {
        match self {
            Self::Local(services) => local::checksums(&services),
            Self::Mounted(store, ids, mount) => mounted::checksums(store, ids, mount),
        }
    }
}
