//! The bucket side of §2 for every storage (the default one is the mount with
//! the empty name): `GET {uploads}/{bucket}` (every file of the storage through
//! its store's walk, by key in byte order, paginated), and `GET`/`DELETE
//! {uploads}/{bucket}/{key}`.
//!
//! Each request walks the whole storage:
//! simple and always current, fine for some 100,000 files; a bigger bucket
//! needs a listing that starts at `after` in the backend (S3's `StartAfter`).

use std::sync::Arc;

use futures_util::StreamExt;
use skiff_protocol::{FileList, FileObject, TreePath, RESERVED_NAME};

use super::buckets::MountedBucket;
use super::listing::page_query;
use super::session::Uploads;
use crate::blocking::blocking;
use crate::disk::entry::mime_for_name;
use crate::disk::place::key_of;
use crate::error::AppError;
use crate::store::Entry;

/// `GET {uploads}/{bucket}?after=&limit=` of a storage.
pub async fn files(
    uploads: &Arc<Uploads>,
    bucket: &str,
    mounted: &MountedBucket,
    query: Option<&str>,
) -> Result<FileList, AppError> {
    let (after, limit) = page_query(query)?;
    let store = mounted.store()?;
    let mut walk = store.walk(&TreePath::root());
    let mut entries = Vec::new();
    // The default storage (the empty mount): what lies under a mount's name is
    // hidden by the mount (§5), and a folder it cannot read is left out, as
    // its tree listing leaves it.
    let is_default = mounted.mount.is_empty();
    while let Some(entry) = walk.next().await {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) if is_default => {
                tracing::warn!(%error, "a folder of the default storage cannot be listed");
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        // The storage's own server state is never listed (§5).
        let top = entry.key.segments().first().map(String::as_str);
        let reserved = top == Some(RESERVED_NAME);
        let hidden = is_default && top.is_some_and(|top| uploads.buckets().is_mount(top));
        if !entry.is_dir && !reserved && !hidden {
            entries.push((key_of(&entry.key), entry));
        }
    }
    entries.sort_by(|(a, _), (b, _)| a.cmp(b));
    let start = after.map_or(0, |after| entries.partition_point(|(key, _)| *key <= after));
    let end = start.saturating_add(limit).min(entries.len());
    let next = (end < entries.len()).then(|| entries[end - 1].0.clone());
    let page: Vec<(String, Entry)> = entries.drain(start..end).collect();
    let (uploads, bucket, mounted) = (Arc::clone(uploads), bucket.to_owned(), mounted.clone());
    let data = blocking(move || {
        let tree_keys: Vec<String> = page.iter().map(|(key, _)| mounted.tree_key(key)).collect();
        // One store transaction for the page's ids.
        let ids = uploads.ids().ids_for(&tree_keys)?;
        page.into_iter()
            .zip(tree_keys.iter().zip(ids))
            .map(|((key, entry), (tree_key, id))| {
                file_object(&uploads, &bucket, key, tree_key, &entry, id)
            })
            .collect::<Result<Vec<_>, AppError>>()
    })
    .await?;
    Ok(FileList { data, next })
}

/// `GET {uploads}/{bucket}/{key}` of a mounted storage.
pub async fn file(
    uploads: &Arc<Uploads>,
    bucket: &str,
    mounted: &MountedBucket,
    path: TreePath,
) -> Result<FileObject, AppError> {
    let object = object_at(uploads, bucket, mounted, &path).await?;
    Ok(object)
}

/// `DELETE {uploads}/{bucket}/{key}` of a mounted storage: 200 with the object
/// as it was. The id and file record go with the file.
pub async fn delete_file(
    uploads: &Arc<Uploads>,
    bucket: &str,
    mounted: &MountedBucket,
    path: TreePath,
) -> Result<FileObject, AppError> {
    if !mounted.writable {
        return Err(AppError::ReadOnly);
    }
    let object = object_at(uploads, bucket, mounted, &path).await?;
    mounted.store()?.delete(&path, false).await?;
    let ids = uploads.ids().clone();
    let tree_key = mounted.tree_key(&key_of(&path));
    blocking(move || ids.forget_tree(&tree_key)).await?;
    Ok(object)
}

/// The file object of the file at `path` (folders are 404).
async fn object_at(
    uploads: &Arc<Uploads>,
    bucket: &str,
    mounted: &MountedBucket,
    path: &TreePath,
) -> Result<FileObject, AppError> {
    let entry = mounted.store()?.stat(path).await?;
    if entry.is_dir {
        return Err(AppError::NotFound);
    }
    let key = key_of(path);
    let tree_key = mounted.tree_key(&key);
    let (uploads, bucket) = (Arc::clone(uploads), bucket.to_owned());
    blocking(move || {
        let id = uploads.ids().id_for(&tree_key)?;
        file_object(&uploads, &bucket, key, &tree_key, &entry, id)
    })
    .await
}

/// What we know of a mounted file (blocking): the record written when the
/// server placed it, while the file still has that ETag; else its name's type.
fn file_object(
    uploads: &Uploads,
    bucket: &str,
    key: String,
    tree_key: &str,
    entry: &Entry,
    id: String,
) -> Result<FileObject, AppError> {
    let known = uploads
        .store()
        .file(tree_key)?
        .filter(|known| known.etag == entry.etag);
    let modified = time::OffsetDateTime::from(entry.modified).unix_timestamp();
    let name = entry.key.name().unwrap_or_default();
    Ok(match known {
        Some(known) => FileObject {
            key,
            bucket: bucket.to_owned(),
            mime_type: known.mime_type,
            bytes: entry.size,
            created_at: known.created_at,
            id,
            sha256: known.sha256,
            content_hash: known.content_hash,
            part_size: known.part_size,
        },
        None => FileObject {
            key,
            bucket: bucket.to_owned(),
            mime_type: mime_for_name(name),
            bytes: entry.size,
            created_at: modified,
            id,
            sha256: None,
            content_hash: None,
            part_size: None,
        },
    })
}
