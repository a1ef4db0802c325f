//! The scrub (`GET {storages}/{name}/checksums`, PROTOCOL.md §5) of a mounted
//! storage: the same newline-delimited [`ChecksumLine`]s as the default storage's
//! (`local.rs`), with the files found by the store's walk and hashed from the
//! store's bytes as they stream, so memory stays flat whatever the sizes.
//!
//! Ids and recorded checksums of a mounted storage's files live under their full
//! tree key (mount + key), as upload sessions record them. A file that cannot be
//! read gets a line with `error`; if the walk or the state store fails, the body
//! is cut off, so a client never takes a partial scrub for a whole one.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use skiff_protocol::{ChecksumLine, TreePath, RESERVED_NAME};
use tokio::sync::mpsc;

use super::ScrubLines;

use crate::blocking::blocking;
use crate::catalog::checksums::recorded_sha256s;
use crate::catalog::ids::Ids;
use crate::error::AppError;
use crate::store::{Entry, Store};
use crate::uploads::body::hex;

/// Files per id and checksum transaction.
const BATCH: usize = 512;
/// Chunks buffered ahead of a slow client.
const CHUNKS_IN_FLIGHT: usize = 8;

type Chunk = Result<Bytes, std::io::Error>;

/// The scrub of the storage mounted at `mount`, started now; its lines arrive
/// as they are made.
pub fn checksums(store: Arc<dyn Store>, ids: Ids, mount: String) -> ScrubLines {
    let (sender, mut receiver) = mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        if let Err(error) = scrub(store, ids, &mount, &sender).await {
            tracing::error!(%error, "scrub stopped");
            // Cut the body off: a short scrub must not look whole.
            let _ = sender
                .send(Err(std::io::Error::other("the scrub stopped early")))
                .await;
        }
    });
    Box::pin(futures_util::stream::poll_fn(move |cx| {
        receiver.poll_recv(cx)
    }))
}

/// Walks, batches and sends; `Ok` also when the client went away.
async fn scrub(
    store: Arc<dyn Store>,
    ids: Ids,
    mount: &str,
    sender: &mpsc::Sender<Chunk>,
) -> Result<(), AppError> {
    let mut walk = store.walk(&TreePath::root());
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let next = walk.next().await;
        let done = next.is_none();
        if let Some(entry) = next {
            let entry = entry?;
            // The storage's own state is not one of its files.
            if entry.key.segments().first().map(String::as_str) != Some(RESERVED_NAME) {
                batch.push(entry);
            }
        }
        if (batch.len() >= BATCH || done) && !batch.is_empty() {
            let lines = check(&store, &ids, mount, std::mem::take(&mut batch)).await?;
            if sender.send(Ok(Bytes::from(lines))).await.is_err() {
                return Ok(());
            }
        }
        if done {
            return Ok(());
        }
    }
}

/// The lines of one batch of files.
async fn check(
    store: &Arc<dyn Store>,
    ids: &Ids,
    mount: &str,
    batch: Vec<Entry>,
) -> Result<Vec<u8>, AppError> {
    let keys: Vec<String> = batch
        .iter()
        .map(|entry| crate::catalog::tree_key(mount, &entry.key))
        .collect();
    let ids = ids.clone();
    let (entries, recorded) = blocking(move || {
        let found = ids.ids_for(&keys)?;
        let entries: Vec<(String, String)> = keys.into_iter().zip(found).collect();
        let recorded = recorded_sha256s(ids.database(), &entries)?;
        Ok((entries, recorded))
    })
    .await?;
    let mut lines = Vec::new();
    for ((entry, (key, id)), checksum) in batch.into_iter().zip(entries).zip(recorded) {
        let mut line = ChecksumLine {
            upload_id: id,
            checksum,
            checksum_on_disk: None,
            path: Some(format!("/{key}")),
            error: None,
        };
        match hash(store, &entry).await {
            Ok(digest) => line.checksum_on_disk = Some(digest),
            Err(error) => line.error = Some(error.client_detail()),
        }
        serde_json::to_writer(&mut lines, &line).map_err(|error| AppError::Io(error.into()))?;
        lines.push(b'\n');
    }
    Ok(lines)
}

/// Lowercase hex SHA-256 of `entry`'s bytes, read now.
async fn hash(store: &Arc<dyn Store>, entry: &Entry) -> Result<String, AppError> {
    let mut bytes = store.read(&entry.key, None).await?;
    let mut hasher = Sha256::new();
    while let Some(chunk) = bytes.next().await {
        hasher.update(&chunk?);
    }
    Ok(hex(&hasher.finalize()))
}
