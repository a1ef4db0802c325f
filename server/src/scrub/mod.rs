//! The scrub service (`GET {storages}/{name}/checksums`, PROTOCOL.md §5): every
//! file of a storage with its SHA-256 now and the one recorded when the server
//! wrote it, as newline-delimited [`skiff_protocol::ChecksumLine`]s. Every
//! storage, the default one included, is scrubbed through its
//! [`crate::store::Store`].
//!
//! - `walk.rs`: the store walked, the files hashed from its bytes, the lines sent
//! - `shared.rs`: on a writable `s3://` ROOT, the background scrub of the
//!   bucket's state, one instance at a time under the lease `leases/scrub`

mod shared;
mod walk;

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use skiff_protocol::{Storage, DEFAULT_BUCKET};

use crate::error::AppError;
use crate::services::Services;

pub use shared::spawn_shared_scrub;

/// A scrub's body: chunks of whole lines; an error cuts it off, so a client never
/// takes a partial scrub for a whole one.
pub type ScrubLines = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A scrub ready to start: its storage is known and its backend open.
pub struct Scrub(walk::Scrubbed);

impl Scrub {
    /// The scrub of `storage`; 503 if its backend cannot be opened.
    pub fn of(services: &Services, storage: &Storage) -> Result<Self, AppError> {
        // The default storage is the tree's root: mount "" (its keys are the
        // tree keys), and its top-level names that are mounts are not its own.
        if storage.name == DEFAULT_BUCKET {
            return Ok(Self(walk::Scrubbed {
                store: Arc::clone(services.default_store()),
                services: services.clone(),
                mount: String::new(),
            }));
        }
        let store = services
            .storages()
            .store(&storage.name)
            .ok_or_else(|| AppError::UnknownStorage(storage.name.clone()))?
            .map_err(AppError::Unavailable)?;
        Ok(Self(walk::Scrubbed {
            store,
            services: services.clone(),
            mount: storage.mount.clone(),
        }))
    }

    /// Starts it: the lines arrive as they are made.
    pub fn start(self) -> ScrubLines {
        walk::checksums(self.0)
    }
}
