//! `GET {raw}/zip?ref=…&ref=…` (PROTOCOL.md §4, v1.1): the referenced files and
//! folders, recursively, streamed as one ZIP from whichever storages hold them.
//!
//! - `format.rs`: the ZIP records (stored entries, data descriptors, ZIP64 only
//!   where needed)
//!
//! Every reference is checked before the first byte goes out (a missing one is
//! 404, as `stat` would say), so an archive that starts is about things that
//! existed. Then each file streams from its store into the archive through a
//! bounded channel: memory stays flat whatever the sizes, and a client that hangs
//! up stops the work. What cannot be read once the archive has started (a file
//! deleted meanwhile, a folder the server may not read, a storage that went away)
//! is never silently missing: it is named in a last entry, `SKIFF-ERRORS.txt`.
//! A file that fails midway keeps the bytes that were sent, with a descriptor that
//! matches them, and is named there too.
//!
//! The archive is named after the single folder asked for, else `download.zip`.
//! The root (`ref=path:/`) holds the default storage's entries and every mount.

mod format;

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use skiff_protocol::TreePath;
use tokio::sync::mpsc;

use self::format::Archive;
use super::place::Places;
use crate::error::AppError;
use crate::services::Services;
use crate::store::{Entry, Store, StoreError};

/// Most references one archive takes.
pub const MOST_REFS: usize = 1000;
/// Chunks buffered ahead of a slow client.
const CHUNKS_IN_FLIGHT: usize = 8;
/// The entry that names what could not be archived.
const ERRORS_NAME: &str = "SKIFF-ERRORS.txt";

/// An archive on its way.
pub struct Zip {
    /// Its file name (`photos.zip`, `download.zip`).
    pub name: String,
    /// Its bytes; an `Err` cuts the body off (the state store or the writer failed).
    pub body: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>,
}

/// One reference, checked: where its entries come from and what they are called.
struct Source {
    store: Arc<dyn Store>,
    /// Its entry (a folder for the root).
    entry: Entry,
    /// Its name in the archive (`""`: its children are at the archive's top).
    name: String,
    /// In the default storage: its top-level names that are mounts are not its own.
    default_storage: bool,
}

/// Checks every reference (404 for one that does not exist), then starts the archive.
pub async fn zip(services: &Services, refs: Vec<TreePath>) -> Result<Zip, AppError> {
    if refs.is_empty() || refs.len() > MOST_REFS {
        return Err(AppError::BadRequest {
            code: "bad_ref",
            message: format!("a ZIP takes 1 to {MOST_REFS} ref= values"),
        });
    }
    let name = match refs.as_slice() {
        [only] if !only.is_root() => only.name().map(|name| format!("{name}.zip")),
        _ => None,
    };
    let mut sources = Vec::new();
    let mut taken = HashSet::new();
    for path in &refs {
        sources.extend(sources_of(services, path, &mut taken).await?);
    }
    let name = match name {
        Some(name) if sources.first().is_some_and(|s| s.entry.is_dir) => name,
        _ => "download.zip".to_owned(),
    };
    let (sender, mut receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
    let services = services.clone();
    tokio::spawn(async move {
        let mut writer = Writer {
            sender,
            archive: Archive::default(),
            problems: Vec::new(),
            services,
        };
        if writer.write(sources, taken).await.is_err() {
            tracing::debug!("a ZIP's client went away");
        }
    });
    Ok(Zip {
        name,
        body: Box::pin(futures_util::stream::poll_fn(move |cx| {
            receiver.poll_recv(cx)
        })),
    })
}

/// The sources of reference `path`: the root is the default storage's entries and
/// every mount; anything else is one entry, named uniquely among `taken`.
async fn sources_of(
    services: &Services,
    path: &TreePath,
    taken: &mut HashSet<String>,
) -> Result<Vec<Source>, AppError> {
    let mut sources = Vec::new();
    if path.is_root() {
        sources.push(source(services, path, String::new()).await?);
        for storage in services.storages().list() {
            if storage.name == skiff_protocol::DEFAULT_BUCKET {
                continue;
            }
            taken.insert(storage.mount.clone());
            let mount = TreePath::from_segments([storage.mount.as_str()])?;
            sources.push(source(services, &mount, storage.mount.clone()).await?);
        }
        return Ok(sources);
    }
    let name = unique(taken, path.name().unwrap_or("download"));
    sources.push(source(services, path, name).await?);
    Ok(sources)
}

async fn source(services: &Services, path: &TreePath, name: String) -> Result<Source, AppError> {
    let place = Places::of(services, path, None, false)?.from;
    let store = Arc::clone(place.store()?);
    let entry = store.stat(&place.key).await?;
    Ok(Source {
        store,
        entry,
        name,
        default_storage: place.is_default(),
    })
}

/// `name`, or `name (2)`, `name (3)`… (before the extension) if it is taken.
fn unique(taken: &mut HashSet<String>, name: &str) -> String {
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    let mut candidate = name.to_owned();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{stem} ({n}){extension}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// The client hung up.
struct Gone;

struct Writer {
    sender: mpsc::Sender<Result<Bytes, std::io::Error>>,
    archive: Archive,
    /// Lines of `SKIFF-ERRORS.txt`.
    problems: Vec<String>,
    services: Services,
}

impl Writer {
    async fn write(
        &mut self,
        sources: Vec<Source>,
        mut taken: HashSet<String>,
    ) -> Result<(), Gone> {
        for source in sources {
            if source.entry.is_dir {
                self.folder(&source).await?;
            } else {
                let entry = source.entry.clone();
                self.file(&source.store, &entry, &source.name).await?;
            }
        }
        if !self.problems.is_empty() {
            let name = unique(&mut taken, ERRORS_NAME);
            let mut text =
                String::from("These entries could not be put in this archive, or not whole:\n\n");
            for line in &self.problems {
                text.push_str(line);
                text.push('\n');
            }
            let (open, header) =
                self.archive
                    .start_file(&name, text.len() as u64, std::time::SystemTime::now());
            self.send(header).await?;
            let crc = crc32fast::hash(text.as_bytes());
            let size = text.len() as u64;
            self.archive.wrote(text.len());
            self.send_bytes(Bytes::from(text)).await?;
            let descriptor = self.archive.end_file(open, crc, size);
            self.send(descriptor).await?;
        }
        let end = self.archive.finish();
        self.send(end).await
    }

    /// A folder and everything in it, as its store's walk gives them.
    async fn folder(&mut self, source: &Source) -> Result<(), Gone> {
        let prefix = if source.name.is_empty() {
            String::new()
        } else {
            let header = self
                .archive
                .folder(&format!("{}/", source.name), source.entry.modified);
            self.send(header).await?;
            format!("{}/", source.name)
        };
        let base = source.entry.key.segments().len();
        let mut walk = source.store.walk_tree(&source.entry.key);
        // A local walk names a folder just before what it holds: an error right
        // after one is that folder's.
        let mut folder_just_met: Option<String> = Some(shown(&prefix));
        while let Some(next) = walk.next().await {
            let entry = match next {
                Ok(entry) => entry,
                Err(error) => {
                    let whose = folder_just_met.take().unwrap_or_else(|| shown(&prefix));
                    self.problems
                        .push(format!("{whose}: could not be read ({error})"));
                    if matches!(
                        error,
                        StoreError::NotFound | StoreError::Forbidden | StoreError::Denied(_)
                    ) {
                        continue;
                    }
                    return Ok(());
                }
            };
            let relative = &entry.key.segments()[base.min(entry.key.segments().len())..];
            if !self.archived(source, &entry.key) || relative.is_empty() {
                continue;
            }
            let name = format!("{prefix}{}", relative.join("/"));
            if entry.is_dir {
                folder_just_met = Some(format!("{name}/"));
                let header = self.archive.folder(&format!("{name}/"), entry.modified);
                self.send(header).await?;
            } else {
                folder_just_met = None;
                self.file(&source.store, &entry, &name).await?;
            }
        }
        Ok(())
    }

    /// Not a storage's own state, nor (in the default storage) under a mount's name.
    fn archived(&self, source: &Source, key: &TreePath) -> bool {
        crate::tree::walked_into_tree(self.services.storages(), source.default_storage, key)
    }

    /// One file's header, bytes and descriptor; a file that cannot be opened is
    /// left out and named among the problems.
    async fn file(
        &mut self,
        store: &Arc<dyn Store>,
        entry: &Entry,
        name: &str,
    ) -> Result<(), Gone> {
        let mut bytes = if entry.size == 0 {
            None
        } else {
            match store.read_entry(entry, Some(0..entry.size)).await {
                Ok(bytes) => Some(bytes),
                Err(error) => {
                    self.problems
                        .push(format!("{name}: could not be read ({error})"));
                    return Ok(());
                }
            }
        };
        let (open, header) = self.archive.start_file(name, entry.size, entry.modified);
        self.send(header).await?;
        let mut crc = crc32fast::Hasher::new();
        let mut sent = 0u64;
        let mut failure = None;
        while let Some(next) = match bytes.as_mut() {
            Some(bytes) => bytes.next().await,
            None => None,
        } {
            match next {
                Ok(mut chunk) => {
                    // Never more than the size the header promised (a file that
                    // grew while read).
                    let room = entry.size - sent;
                    if chunk.len() as u64 > room {
                        chunk.truncate(room as usize);
                    }
                    crc.update(&chunk);
                    sent += chunk.len() as u64;
                    self.archive.wrote(chunk.len());
                    self.send_bytes(chunk).await?;
                }
                Err(error) => {
                    failure = Some(error.to_string());
                    break;
                }
            }
        }
        if sent < entry.size {
            let why = failure.unwrap_or_else(|| "it changed while read".to_owned());
            self.problems.push(format!(
                "{name}: only {sent} of {} bytes are in the archive ({why})",
                entry.size
            ));
        }
        let descriptor = self.archive.end_file(open, crc.finalize(), sent);
        self.send(descriptor).await
    }

    async fn send(&mut self, bytes: Vec<u8>) -> Result<(), Gone> {
        self.send_bytes(Bytes::from(bytes)).await
    }

    async fn send_bytes(&mut self, bytes: Bytes) -> Result<(), Gone> {
        self.sender.send(Ok(bytes)).await.map_err(|_| Gone)
    }
}

/// How a name in the archive is shown in `SKIFF-ERRORS.txt` (`/` for its top).
fn shown(prefix: &str) -> String {
    if prefix.is_empty() {
        "/".to_owned()
    } else {
        prefix.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::unique;
    use std::collections::HashSet;

    #[test]
    fn repeated_names_get_numbers_before_the_extension() {
        let mut taken = HashSet::new();
        assert_eq!(unique(&mut taken, "a.txt"), "a.txt");
        assert_eq!(unique(&mut taken, "a.txt"), "a (2).txt");
        assert_eq!(unique(&mut taken, "a.txt"), "a (3).txt");
        assert_eq!(unique(&mut taken, ".env"), ".env");
        assert_eq!(unique(&mut taken, ".env"), ".env (2)");
    }
}
