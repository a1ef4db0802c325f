//! The default storage's listings, from the disk. A listing streams: a blocking
//! task walks `read_dir`, stats each entry, adds the stable ids entries already
//! have (one read transaction), and sends serialised JSON in chunks through a
//! bounded channel, so a 100,000-entry folder never blocks an async worker, and
//! a client that hangs up stops the work.

use std::fs::{DirEntry, Metadata, ReadDir};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use skiff_protocol::{FilesetData, RawFileData};
use tokio::sync::mpsc;

use super::{chunks_of, file_fileset, listing_prefix, with_known, ListingChunks};
use crate::catalog::ids::{Ids, Known};
use crate::disk::entry::describe;
use crate::disk::walk::{child_key, visible};
use crate::error::AppError;

/// Bytes gathered before a chunk is handed to the body.
const CHUNK_BYTES: usize = 32 * 1024;
/// Chunks buffered ahead of a slow client.
const CHUNKS_IN_FLIGHT: usize = 8;

/// The RFSAPI answer for the file `name` with `metadata` (with its stable `id`
/// and `_format` when known).
pub fn file(
    name: &str,
    metadata: &Metadata,
    known: Option<Known>,
    writes_supported: bool,
) -> FilesetData {
    file_fileset(
        with_known(describe(name, metadata), known),
        writes_supported,
    )
}

/// A folder opened for listing: nothing is read until [`Folder::stream`].
pub struct Folder {
    walk: Walk,
    read_dir: ReadDir,
    prefix: Vec<u8>,
}

impl Folder {
    /// Opens the folder at canonical path `dir`, whose key (tree path without the
    /// leading `/`) is `dir_key`; fails if it cannot be opened, before any byte
    /// of the answer exists.
    ///
    /// `mounts` are the root's mounted storages (§5): listed as folders, and a
    /// local entry of the same name stays hidden behind them.
    pub async fn open(
        root: &Path,
        ids: &Ids,
        dir_key: String,
        dir: PathBuf,
        mounts: Vec<RawFileData>,
        writes_supported: bool,
    ) -> Result<Self, AppError> {
        let head = FilesetData {
            writes_supported,
            is_root: dir_key.is_empty(),
            is_file: false,
            files: Vec::new(),
        };
        let prefix = listing_prefix(&head)?;
        let root = root.to_path_buf();
        let opened = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || std::fs::read_dir(dir))
        };
        let read_dir = opened
            .await
            .map_err(|error| AppError::Io(std::io::Error::other(error)))?
            .map_err(AppError::from_fs)?;
        Ok(Self {
            walk: Walk {
                root_hides_reserved: dir == root,
                root,
                ids: ids.clone(),
                dir_key,
                mounts,
            },
            read_dir,
            prefix,
        })
    }

    /// Starts the walk; its chunks arrive as they are made.
    pub fn stream(self) -> ListingChunks {
        let (sender, receiver) = mpsc::channel::<Bytes>(CHUNKS_IN_FLIGHT);
        let Self {
            walk,
            read_dir,
            prefix,
        } = self;
        tokio::task::spawn_blocking(move || walk.run(read_dir, prefix, &sender));
        chunks_of(receiver)
    }
}

/// One directory walk, run on a blocking thread.
struct Walk {
    root: PathBuf,
    /// Whether this is the root folder, whose `.skiff` is never listed.
    root_hides_reserved: bool,
    ids: Ids,
    /// Key of the listed folder: its children's keys are `dir_key/name`.
    dir_key: String,
    /// Mounted storages shown in this folder (the root only).
    mounts: Vec<RawFileData>,
}

impl Walk {
    fn run(mut self, read_dir: ReadDir, prefix: Vec<u8>, sender: &mpsc::Sender<Bytes>) {
        // Gather first, so every id is looked up in one read transaction for the
        // whole folder. Listings show only ids that exist (see `crate::catalog::ids`).
        let mut entries = Vec::new();
        for entry in read_dir {
            match entry {
                Ok(entry) => entries.extend(
                    self.describe(&entry)
                        .filter(|data| !self.mounts.iter().any(|m| m.name == data.name)),
                ),
                Err(error) => tracing::warn!(%error, "skipping an unreadable directory entry"),
            }
        }
        let keys: Vec<String> = entries
            .iter()
            .map(|data| child_key(&self.dir_key, &data.name))
            .collect();
        match self.ids.known(&keys) {
            Ok(known) => {
                for (data, known) in entries.iter_mut().zip(known) {
                    if let Some(known) = known {
                        data.id = Some(known.id);
                        if let Some(format) = known.format.filter(|_| data.is_file) {
                            data.mime_type = format;
                        }
                    }
                }
            }
            // Still list: a listing without ids beats no listing.
            Err(error) => tracing::error!(%error, "cannot assign ids to a listing"),
        }
        drop(keys);
        entries.extend(std::mem::take(&mut self.mounts));
        let mut buffer = prefix;
        let mut first = true;
        for data in entries {
            if !first {
                buffer.push(b',');
            }
            first = false;
            if let Err(error) = serde_json::to_writer(&mut buffer, &data) {
                tracing::error!(%error, "cannot serialise a listing entry");
                return;
            }
            if buffer.len() >= CHUNK_BYTES && !send(sender, std::mem::take(&mut buffer)) {
                return;
            }
        }
        buffer.extend_from_slice(b"]}");
        send(sender, buffer);
    }

    /// The entry as listed, or `None` for what must stay invisible.
    fn describe(&self, entry: &DirEntry) -> Option<RawFileData> {
        let (name, metadata) = visible(&self.root, self.root_hides_reserved, entry)?;
        Some(describe(&name, &metadata))
    }
}

/// Hands a chunk to the body; false once the client has gone away.
fn send(sender: &mpsc::Sender<Bytes>, chunk: Vec<u8>) -> bool {
    sender.blocking_send(Bytes::from(chunk)).is_ok()
}
