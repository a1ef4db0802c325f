//! A mounted storage's listings, from its store: a folder's listing fetched a
//! page at a time and streamed, so a folder of any size starts arriving at once
//! and a client that hangs up stops the paging; and a file's own entry.

use std::sync::Arc;

use bytes::Bytes;
use skiff_protocol::{FilesetData, RawFileData, Storage, TreePath, DIRECTORY_MIME, RESERVED_NAME};
use tokio::sync::mpsc;

use super::{chunks_of, file_fileset, listing_prefix, with_known, ListingChunks};
use crate::catalog::ids::{Ids, Known};
use crate::disk::entry::{mime_for_name, rfc3339};
use crate::error::AppError;
use crate::store::{Entry, Page, Store};

/// Children asked of the store at once.
const PAGE: usize = 1000;
/// Pages buffered ahead of a slow client.
const PAGES_IN_FLIGHT: usize = 2;

/// The RFSAPI entry of `entry`.
fn describe(entry: &Entry) -> RawFileData {
    let name = entry.key.name().unwrap_or_default().to_owned();
    RawFileData {
        mime_type: if entry.is_dir {
            DIRECTORY_MIME.to_owned()
        } else {
            mime_for_name(&name)
        },
        name,
        last_modified: rfc3339(entry.modified),
        size: if entry.is_dir { 0 } else { entry.size },
        is_file: !entry.is_dir,
        id: None,
        etag: Some(entry.etag.clone()),
    }
}

/// How a mounted storage appears in the root listing: a folder named by its
/// `mount`, dated when the storage was added.
pub fn mount_entry(storage: &Storage) -> RawFileData {
    RawFileData {
        mime_type: DIRECTORY_MIME.to_owned(),
        name: storage.mount.clone(),
        last_modified: rfc3339(
            std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(u64::try_from(storage.created_at).unwrap_or(0)),
        ),
        size: 0,
        is_file: false,
        id: None,
        etag: None,
    }
}

/// A file's own RFSAPI answer.
pub fn file(entry: &Entry, known: Option<Known>, writes_supported: bool) -> FilesetData {
    file_fileset(with_known(describe(entry), known), writes_supported)
}

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
}

impl Folder {
    /// Opens folder `key` of `store`, whose tree key is `dir_key`.
    pub async fn open(
        store: Arc<dyn Store>,
        ids: Ids,
        dir_key: String,
        key: &TreePath,
        writes_supported: bool,
    ) -> Result<Self, AppError> {
        let first = store.list(key, None, PAGE).await?;
        let head = FilesetData {
            writes_supported,
            is_root: false,
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
        })
    }

    /// Starts the paging; its chunks arrive as they are made.
    pub fn stream(self) -> ListingChunks {
        let (sender, receiver) = mpsc::channel::<Bytes>(PAGES_IN_FLIGHT);
        tokio::spawn(self.send_pages(sender));
        chunks_of(receiver)
    }

    async fn send_pages(self, sender: mpsc::Sender<Bytes>) {
        let Self {
            store,
            ids,
            dir_key,
            key,
            first,
            prefix,
        } = self;
        let hide_reserved = key.is_root();
        let mut chunk = prefix;
        let mut first_entry = true;
        let mut page = first;
        loop {
            page.entries
                .retain(|entry| !(hide_reserved && entry.key.name() == Some(RESERVED_NAME)));
            // Listings show the ids that exist (as in the default storage), one read
            // transaction per page; a listing without ids beats no listing.
            let keys: Vec<String> = page
                .entries
                .iter()
                .map(|entry| format!("{dir_key}/{}", entry.key.name().unwrap_or_default()))
                .collect();
            let reader = ids.clone();
            let known = crate::blocking::blocking(move || reader.known(&keys))
                .await
                .unwrap_or_else(|error| {
                    tracing::error!(%error, "cannot look up the ids of a listing");
                    Vec::new()
                });
            let mut known = known.into_iter();
            for entry in &page.entries {
                if !first_entry {
                    chunk.push(b',');
                }
                first_entry = false;
                let data = with_known(describe(entry), known.next().flatten());
                if let Err(error) = serde_json::to_writer(&mut chunk, &data) {
                    tracing::error!(%error, "cannot serialise a listing entry");
                    return;
                }
            }
            let Page { next, .. } = page;
            let Some(after) = next else { break };
            if sender
                .send(Bytes::from(std::mem::take(&mut chunk)))
                .await
                .is_err()
            {
                return; // The client went away.
            }
            page = match store.list(&key, Some(&after), PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    // The status is sent: all we can do is end the body short, so the
                    // client's JSON parser fails instead of showing half a folder.
                    tracing::error!(%error, "a storage failed in the middle of a listing");
                    return;
                }
            };
        }
        chunk.extend_from_slice(b"]}");
        // Nobody to tell if the client has gone.
        let _ = sender.send(Bytes::from(chunk)).await;
    }
}
