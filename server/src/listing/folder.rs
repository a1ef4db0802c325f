//! A folder's RFSAPI listing from its storage's store: fetched a page at a time
//! and streamed, so a folder of any size starts arriving at once and a client
//! that hangs up stops the paging. Entries come in the store's page order (by
//! name, a folder as if its name ended in `/`).

use std::sync::Arc;

use bytes::Bytes;
use skiff_protocol::{FilesetData, RawFileData, TreePath, RESERVED_NAME};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{chunks_of, describe, listing_prefix, with_known, ListingChunks};
use crate::catalog::ids::Ids;
use crate::disk::walk::child_key;
use crate::error::AppError;
use crate::store::{Page, Store};

/// Children asked of the store at once.
const PAGE: usize = 1000;
/// Pages buffered ahead of a slow client.
const PAGES_IN_FLIGHT: usize = 2;

/// A folder opened for listing: its first page is fetched, so a folder that
/// cannot be listed gets its error status, not a cut body.
pub struct Folder {
    store: Arc<dyn Store>,
    ids: Ids,
    /// The folder's tree key (mount + key): its children's ids live below it.
    dir_key: String,
    key: TreePath,
    first: Page,
    prefix: Vec<u8>,
    /// Mounted storages shown after the folder's own entries (the tree's root only).
    mounts: Vec<RawFileData>,
}

impl Folder {
    /// Opens folder `key` of `store`, whose tree key is `dir_key`.
    ///
    /// `mounts`: for the tree's root (`is_root`, the default storage's top
    /// folder), the mounted storages (§5), listed as folders after its own
    /// entries; an entry of the same name stays hidden behind them.
    pub async fn open(
        store: Arc<dyn Store>,
        ids: Ids,
        dir_key: String,
        key: &TreePath,
        writes_supported: bool,
        is_root: bool,
        mounts: Vec<RawFileData>,
    ) -> Result<Self, AppError> {
        let first = store.list(key, None, PAGE).await?;
        let head = FilesetData {
            writes_supported,
            is_root,
            is_file: false,
            files: Vec::new(),
        };
        Ok(Self {
            store,
            ids,
            dir_key,
            key: key.clone(),
            first,
            prefix: listing_prefix(&head)?,
            mounts,
        })
    }

    /// Starts the paging; its chunks arrive as they are made.
    pub fn stream(self) -> ListingChunks {
        let (sender, receiver) = mpsc::channel::<std::io::Result<Bytes>>(PAGES_IN_FLIGHT);
        tokio::spawn(self.send_pages(sender));
        chunks_of(receiver)
    }

    async fn send_pages(self, sender: mpsc::Sender<std::io::Result<Bytes>>) {
        let Self {
            store,
            ids,
            dir_key,
            key,
            first,
            prefix,
            mounts,
        } = self;
        let hide_reserved = key.is_root();
        let hidden = |name: Option<&str>| {
            (hide_reserved && name == Some(RESERVED_NAME))
                || mounts.iter().any(|mount| Some(mount.name.as_str()) == name)
        };
        let mut chunk = prefix;
        let mut first_entry = true;
        let mut page = first;
        loop {
            // The next page is fetched while this one is described and sent, so
            // the store's reading and the describing overlap.
            let next = page.next.take().map(|after| {
                let (store, key) = (Arc::clone(&store), key.clone());
                tokio::spawn(async move { store.list(&key, Some(&after), PAGE).await })
            });
            page.entries.retain(|entry| !hidden(entry.key.name()));
            // Listings show the ids that exist, one read transaction per page; a
            // listing without ids beats no listing.
            let keys: Vec<String> = page
                .entries
                .iter()
                .map(|entry| child_key(&dir_key, entry.key.name().unwrap_or_default()))
                .collect();
            let reader = ids.clone();
            let known = crate::blocking::blocking(move || reader.known(&keys))
                .await
                .unwrap_or_else(|error| {
                    tracing::error!(%error, "cannot look up the ids of a listing");
                    Vec::new()
                });
            let mut known = known.into_iter();
            for entry in page.entries {
                let data = with_known(describe(entry), known.next().flatten());
                if !push(&mut chunk, &mut first_entry, &data) {
                    next.inspect(JoinHandle::abort);
                    return broken_off(&sender).await;
                }
            }
            let Some(next) = next else { break };
            if sender
                .send(Ok(Bytes::from(std::mem::take(&mut chunk))))
                .await
                .is_err()
            {
                next.abort(); // The client went away.
                return;
            }
            page = match next.await {
                Ok(Ok(page)) => page,
                Ok(Err(error)) => {
                    // The HTTP layer answers with an error if it still can
                    // (`http::tree::listing`), else the response is broken off.
                    tracing::error!(%error, "a storage failed in the middle of a listing");
                    return broken_off(&sender).await;
                }
                Err(error) => {
                    tracing::error!(%error, "a listing's page could not be fetched");
                    return broken_off(&sender).await;
                }
            };
        }
        for mount in &mounts {
            if !push(&mut chunk, &mut first_entry, mount) {
                return broken_off(&sender).await;
            }
        }
        chunk.extend_from_slice(b"]}");
        // Nobody to tell if the client has gone.
        let _ = sender.send(Ok(Bytes::from(chunk))).await;
    }
}

/// Ends a listing that could not be finished with an error, which breaks off a
/// response already under way.
async fn broken_off(sender: &mpsc::Sender<std::io::Result<Bytes>>) {
    let error = std::io::Error::other("the storage failed in the middle of a listing");
    // Nobody to tell if the client has gone.
    let _ = sender.send(Err(error)).await;
}

/// Appends `data` to the listing's JSON; false (and logged) if it cannot be
/// serialised, which ends the body short.
fn push(chunk: &mut Vec<u8>, first_entry: &mut bool, data: &RawFileData) -> bool {
    if !*first_entry {
        chunk.push(b',');
    }
    *first_entry = false;
    match serde_json::to_writer(&mut *chunk, data) {
        Ok(()) => true,
        Err(error) => {
            tracing::error!(%error, "cannot serialise a listing entry");
            false
        }
    }
}
