//! Reading a local tree: stat, one page of a folder, a file's bytes (or a range),
//! and a walk of every file below a folder. Entries are filtered as RFSAPI
//! listings filter them (`crate::disk::walk::visible`).

use std::fs::DirEntry;
use std::io::SeekFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};

use futures_util::TryStreamExt;
use skiff_protocol::TreePath;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::mpsc;

use super::pages::PageCache;
use super::{blocking, entry_of, from_app, io_error};
use crate::disk::paths::{find_blocking, resolve_blocking};
use crate::disk::walk::{entry_metadata, visible, visible_name};
use crate::store::{sort_key, ByteStream, Entry, EntryStream, Page, StoreError};

/// Bytes read from the file per stream item.
const READ_CHUNK: usize = 256 * 1024;
/// Walk entries buffered ahead of a slow consumer.
const WALK_BUFFER: usize = 256;

/// The entry at `key` (blocking): a regular file or folder, symlinks inside the
/// root followed; special files are not found.
pub fn stat(root: &Path, key: TreePath) -> Result<Entry, StoreError> {
    let found = find_blocking(root, key).map_err(from_app)?;
    Ok(entry_of(found.path, &found.metadata))
}

/// One page of folder `dir`'s visible children (blocking). The folder is read
/// once per listing (`pages`), and only the page's entries are `stat`ed: the
/// rest are ordered by the type their directory entry carries (symlinks
/// excepted), so paging through 100,000 entries costs one `read_dir`.
pub fn list(
    root: &Path,
    pages: &PageCache,
    dir: &TreePath,
    after: Option<&str>,
    limit: usize,
) -> Result<Page, StoreError> {
    let canonical = folder(root, dir)?;
    let hide_reserved = canonical == root;
    let children = pages.children(&canonical, after, || {
        sortable_children(root, &canonical, hide_reserved)
    })?;
    let start =
        children.partition_point(|(order, _)| after.is_some_and(|after| order.as_str() <= after));
    let mut page = Page::default();
    let mut last: Option<&String> = None;
    for (order, entry) in &children[start..] {
        // The listing's own rules decide (special files, links leaving the
        // root); the name passed them when the folder was read.
        let Ok(metadata) = entry_metadata(root, entry) else {
            continue;
        };
        if !metadata.is_file() && !metadata.is_dir() {
            continue;
        }
        let name = order.strip_suffix('/').unwrap_or(order);
        let Ok(key) = dir.child(name) else { continue };
        if page.entries.len() == limit {
            page.next = last.cloned();
            break;
        }
        page.entries.push(entry_of(key, &metadata));
        last = Some(order);
    }
    Ok(page)
}

/// The children of the folder at `canonical` that a listing may show, each with
/// its sort key, unsorted (blocking; no `stat` but for symlinks).
fn sortable_children(
    root: &Path,
    canonical: &Path,
    hide_reserved: bool,
) -> Result<Vec<(String, DirEntry)>, StoreError> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir(canonical).map_err(io_error)? {
        let Ok(entry) = entry else { continue };
        let Some(name) = visible_name(hide_reserved, &entry) else {
            continue;
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let is_dir = if kind.is_symlink() {
            match entry_metadata(root, &entry) {
                Ok(target) => target.is_dir(),
                Err(_) => continue,
            }
        } else {
            kind.is_dir()
        };
        // The sort key (`sort_key`) built in place: a folder's name plus `/`.
        let mut order = name;
        if is_dir {
            order.push('/');
        }
        children.push((order, entry));
    }
    Ok(children)
}

/// The canonical path of folder `dir` (blocking); a file there is `WrongKind`.
fn folder(root: &Path, dir: &TreePath) -> Result<PathBuf, StoreError> {
    let canonical = resolve_blocking(root, dir).map_err(from_app)?;
    let metadata = std::fs::metadata(&canonical).map_err(io_error)?;
    if !metadata.is_dir() {
        return Err(StoreError::WrongKind("a file, not a folder"));
    }
    Ok(canonical)
}

/// The visible children of folder `dir` at `canonical` that a walk visits, each
/// with its sort key (blocking): symlinked folders are not followed (no cycles,
/// no file met twice), unreadable entries are skipped as listings skip them.
fn children(
    root: &Path,
    dir: &TreePath,
    canonical: &Path,
) -> Result<Vec<(String, Entry)>, StoreError> {
    let hide_reserved = canonical == root;
    let mut children = Vec::new();
    for entry in std::fs::read_dir(canonical).map_err(io_error)? {
        let Ok(entry) = entry else { continue };
        let Some((name, metadata)) = visible(root, hide_reserved, &entry) else {
            continue;
        };
        if metadata.is_dir() && is_symlink(&entry) {
            continue;
        }
        let Ok(key) = dir.child(&name) else { continue };
        children.push((sort_key(&name, metadata.is_dir()), entry_of(key, &metadata)));
    }
    Ok(children)
}

/// The bytes of file `key`, all or `range` (clamped to the file's size). With
/// `expected`, only while the file's entity-tag is still that one, judged on
/// the opened file (so a file replaced since is [`StoreError::Precondition`],
/// never other bytes under the old validators).
pub async fn read(
    root: &Path,
    key: &TreePath,
    range: Option<Range<u64>>,
    expected: Option<String>,
) -> Result<ByteStream, StoreError> {
    let (root, key) = (root.to_path_buf(), key.clone());
    let (file, size) = blocking(move || {
        let canonical = resolve_blocking(&root, &key).map_err(from_app)?;
        let metadata = std::fs::metadata(&canonical).map_err(io_error)?;
        if metadata.is_dir() {
            return Err(StoreError::WrongKind("a folder, not a file"));
        }
        if !metadata.is_file() {
            return Err(StoreError::NotFound);
        }
        let file = std::fs::File::open(&canonical).map_err(io_error)?;
        let metadata = file.metadata().map_err(io_error)?;
        if expected.is_some_and(|expected| expected != crate::disk::entry::etag(&metadata)) {
            return Err(StoreError::Precondition);
        }
        Ok((file, metadata.len()))
    })
    .await?;
    let range = range.unwrap_or(0..size);
    let start = range.start.min(size);
    let end = range.end.clamp(start, size);
    let mut file = tokio::fs::File::from_std(file);
    file.seek(SeekFrom::Start(start)).await.map_err(io_error)?;
    let bytes = tokio_util::io::ReaderStream::with_capacity(file.take(end - start), READ_CHUNK);
    Ok(Box::pin(bytes.map_err(io_error)))
}

/// Every file below `prefix` (or `prefix` itself if it is a file), in byte order
/// of the whole keys: siblings sorted by [`sort_key`], depth first. Symlinked
/// folders are not followed (no cycles, no file met twice). An unreadable folder
/// yields an error item and the walk goes on.
/// With `folders`, each folder comes too, just before its children.
pub fn walk(root: PathBuf, prefix: TreePath, folders: bool) -> EntryStream {
    let (sender, mut receiver) = mpsc::channel(WALK_BUFFER);
    tokio::task::spawn_blocking(move || walk_blocking(&root, prefix, folders, &sender));
    Box::pin(futures_util::stream::poll_fn(move |cx| {
        receiver.poll_recv(cx)
    }))
}

type WalkSender = mpsc::Sender<Result<Entry, StoreError>>;

fn walk_blocking(root: &Path, prefix: TreePath, folders: bool, sender: &WalkSender) {
    let start = match stat(root, prefix.clone()) {
        Ok(entry) => entry,
        Err(error) => {
            let _ = sender.blocking_send(Err(error));
            return;
        }
    };
    if !start.is_dir {
        let _ = sender.blocking_send(Ok(start));
        return;
    }
    let mut stack = match walk_level(root, &prefix) {
        Ok(level) => vec![level],
        Err(error) => {
            let _ = sender.blocking_send(Err(error));
            return;
        }
    };
    while let Some(level) = stack.last_mut() {
        let Some(entry) = level.next() else {
            stack.pop();
            continue;
        };
        if !entry.is_dir {
            if sender.blocking_send(Ok(entry)).is_err() {
                return;
            }
            continue;
        }
        if folders && sender.blocking_send(Ok(entry.clone())).is_err() {
            return;
        }
        match walk_level(root, &entry.key) {
            Ok(level) => stack.push(level),
            Err(error) => {
                if sender.blocking_send(Err(error)).is_err() {
                    return;
                }
            }
        }
    }
}

/// The children of `dir` a walk visits, sorted: files, and folders that are
/// not symlinks.
fn walk_level(root: &Path, dir: &TreePath) -> Result<std::vec::IntoIter<Entry>, StoreError> {
    let canonical = folder(root, dir)?;
    let mut children = children(root, dir, &canonical)?;
    children.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let entries: Vec<Entry> = children.into_iter().map(|(_, entry)| entry).collect();
    Ok(entries.into_iter())
}

fn is_symlink(entry: &DirEntry) -> bool {
    entry.file_type().is_ok_and(|kind| kind.is_symlink())
}
