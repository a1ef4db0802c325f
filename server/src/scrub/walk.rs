//! One storage's scrub (PROTOCOL.md §5), through its [`Store`]: the store's walk
//! gives the files in key byte order (the local store's filters are the RFSAPI
//! listings': no links leaving the root, symlinked folders not followed, no
//! unreachable names), each file is hashed from the store's bytes as they
//! stream, and the lines go out in chunks of 32 KiB or every 250 ms through a
//! bounded channel, so memory stays flat and a client that hangs up stops the
//! work, even inside a big file.
//!
//! Ids and recorded checksums live under the tree key (mount + key; the plain
//! key in the default storage), one transaction per 512 files. The storage's
//! own `.skiff` is never scrubbed, nor, in the default storage, a top-level
//! name a mount hides. A file that vanished or cannot be read gets a line with
//! `error`; so does a folder a local store cannot read (its walk names the
//! folders, so the error is known to be that folder's). If the walk fails
//! otherwise or the state store fails, the body is cut off, so a client never
//! takes a partial scrub for a whole one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use skiff_protocol::{ChecksumLine, ErrorDetail, StorageKind, TreePath};
use tokio::sync::mpsc;

use super::ScrubLines;
use crate::blocking::blocking;
use crate::catalog::checksums::recorded_sha256s;
use crate::error::AppError;
use crate::services::Services;
use crate::store::{Store, StoreError};
use crate::uploads::body::hex;

/// Files per id and checksum transaction.
const BATCH: usize = 512;
/// Bytes of lines gathered before a chunk is handed to the body…
const CHUNK_BYTES: usize = 32 * 1024;
/// …unless this long has passed since the last one (big files hash slowly).
const FLUSH_AFTER: Duration = Duration::from_millis(250);
/// Chunks buffered ahead of a slow client.
const CHUNKS_IN_FLIGHT: usize = 8;

type Chunk = Result<Bytes, std::io::Error>;

/// What a scrub reads: a storage's store, mounted at `mount` (`""` for the
/// default storage).
pub struct Scrubbed {
    pub store: Arc<dyn Store>,
    pub services: Services,
    pub mount: String,
}

/// What the walk met that gets a line.
enum Met {
    File(TreePath),
    /// A folder that could not be read: nothing below it was visited.
    Unreadable(TreePath, StoreError),
}

impl Met {
    fn key(&self) -> &TreePath {
        match self {
            Met::File(key) | Met::Unreadable(key, _) => key,
        }
    }
}

/// The scrub, started now; its lines arrive as they are made.
pub fn checksums(scrubbed: Scrubbed) -> ScrubLines {
    let (sender, mut receiver) = mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        let mut lines = Lines {
            sender,
            gathered: Vec::with_capacity(CHUNK_BYTES * 2),
            last_flush: Instant::now(),
        };
        match scrub(&scrubbed, &mut lines).await {
            Ok(()) => {
                lines.flush().await;
            }
            Err(error) => {
                tracing::error!(%error, "scrub stopped");
                // What was checked goes out; then the body is cut off.
                lines.flush().await;
                let _ = lines
                    .sender
                    .send(Err(std::io::Error::other("the scrub stopped early")))
                    .await;
            }
        }
    });
    Box::pin(futures_util::stream::poll_fn(move |cx| {
        receiver.poll_recv(cx)
    }))
}

/// Walks, batches and sends; `Ok` also when the client went away.
async fn scrub(scrubbed: &Scrubbed, lines: &mut Lines) -> Result<(), AppError> {
    let root = TreePath::root();
    // A local walk that names folders tells whose error an error is: the one
    // right after a folder is that folder's.
    let with_folders = scrubbed.store.kind() == StorageKind::Local;
    let mut walk = if with_folders {
        scrubbed.store.walk_tree(&root)
    } else {
        scrubbed.store.walk(&root)
    };
    let mut folder_just_met = with_folders.then(TreePath::root);
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(next) = walk.next().await {
        let met = match next {
            Ok(entry) if entry.is_dir => {
                folder_just_met = Some(entry.key);
                continue;
            }
            Ok(entry) => Met::File(entry.key),
            Err(error @ (StoreError::NotFound | StoreError::Denied(_) | StoreError::Forbidden)) => {
                match folder_just_met.take() {
                    Some(folder) => Met::Unreadable(folder, error),
                    None => return Err(error.into()),
                }
            }
            Err(error) => return Err(error.into()),
        };
        folder_just_met = None;
        if !scrubbed.is_scrubbed(met.key()) {
            continue;
        }
        batch.push(met);
        if batch.len() >= BATCH && !check(scrubbed, std::mem::take(&mut batch), lines).await? {
            return Ok(());
        }
    }
    check(scrubbed, batch, lines).await.map(drop)
}

impl Scrubbed {
    /// Not the storage's own state, nor (in the default storage) under a mount's name.
    fn is_scrubbed(&self, key: &TreePath) -> bool {
        crate::tree::walked_into_tree(self.services.storages(), self.mount.is_empty(), key)
    }
}

/// The lines of one batch; `false` once the client is gone.
async fn check(scrubbed: &Scrubbed, batch: Vec<Met>, lines: &mut Lines) -> Result<bool, AppError> {
    if batch.is_empty() {
        return Ok(true);
    }
    let keys: Vec<String> = batch
        .iter()
        .map(|met| crate::catalog::tree_key(&scrubbed.mount, met.key()))
        .collect();
    let ids = scrubbed.services.ids().clone();
    let (entries, recorded) = blocking(move || {
        let found = ids.ids_for(&keys)?;
        let entries: Vec<(String, String)> = keys.into_iter().zip(found).collect();
        let recorded = recorded_sha256s(ids.database(), &entries)?;
        Ok((entries, recorded))
    })
    .await?;
    for ((met, (key, id)), checksum) in batch.into_iter().zip(entries).zip(recorded) {
        let mut line = ChecksumLine {
            upload_id: id,
            checksum: None,
            checksum_on_disk: None,
            path: Some(format!("/{key}")),
            error: None,
        };
        match met {
            Met::File(key) => {
                line.checksum = checksum;
                match hash(&scrubbed.store, &key, &lines.sender).await {
                    Ok(Some(digest)) => line.checksum_on_disk = Some(digest),
                    // The client has gone: nobody is left to tell.
                    Ok(None) => return Ok(false),
                    Err(error) => line.error = Some(detail(error)),
                }
            }
            Met::Unreadable(_, error) => line.error = Some(detail(error)),
        }
        if !lines.push(&line).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Lowercase hex SHA-256 of file `key`'s bytes, read now; `None` if the client
/// hung up meanwhile.
async fn hash(
    store: &Arc<dyn Store>,
    key: &TreePath,
    client: &mpsc::Sender<Chunk>,
) -> Result<Option<String>, StoreError> {
    let mut bytes = store.read(key, None).await?;
    let mut hasher = Sha256::new();
    while let Some(chunk) = bytes.next().await {
        if client.is_closed() {
            return Ok(None);
        }
        hasher.update(&chunk?);
    }
    Ok(Some(hex(&hasher.finalize())))
}

/// What a line says went wrong. A local store's refusal by the operating
/// system is the file's (or folder's) `permission_denied`, as listings say it.
fn detail(error: StoreError) -> ErrorDetail {
    match error {
        StoreError::Denied(_) | StoreError::Forbidden => AppError::PermissionDenied.client_detail(),
        other => AppError::from(other).client_detail(),
    }
}

/// Lines on their way to the body.
struct Lines {
    sender: mpsc::Sender<Chunk>,
    gathered: Vec<u8>,
    last_flush: Instant,
}

impl Lines {
    /// Adds a line, sending what is gathered when enough is, or enough time
    /// passed; `false` once the client is gone.
    async fn push(&mut self, line: &ChecksumLine) -> Result<bool, AppError> {
        serde_json::to_writer(&mut self.gathered, line)
            .map_err(|error| AppError::Io(error.into()))?;
        self.gathered.push(b'\n');
        if self.gathered.len() >= CHUNK_BYTES || self.last_flush.elapsed() >= FLUSH_AFTER {
            return Ok(self.flush().await);
        }
        Ok(true)
    }

    /// Hands the gathered lines to the body; `false` once the client is gone.
    async fn flush(&mut self) -> bool {
        self.last_flush = Instant::now();
        if self.gathered.is_empty() {
            return true;
        }
        let chunk = Bytes::from(std::mem::take(&mut self.gathered));
        self.sender.send(Ok(chunk)).await.is_ok()
    }
}
