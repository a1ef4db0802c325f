//! The metadata service (PROTOCOL.md §3, CKAN FileStore style): an entry's
//! server `_` fields and user keys, merged (`POST`) or replaced (`PUT`); `_format`
//! may be set and then becomes the served `Content-Type` and the RFSAPI
//! `mime_type`. The records themselves are `crate::catalog::metadata`;
//! `crate::http::metadata` is the HTTP side.
//!
//! An entry is found through its storage's [`crate::store::Store`] (the
//! default storage's, or a mounted one's, §5), its records kept under the tree
//! key (mount + key; the plain key in the default storage) like its id, so raw
//! moves and deletes carry or forget them together.

use std::time::SystemTime;

use skiff_protocol::{
    encode_tree_path, FileMetadata, MetadataValue, TreePath, DEFAULT_BUCKET, DIRECTORY_MIME,
};

use crate::blocking::blocking;
use crate::catalog::metadata as record;
use crate::catalog::tree_key;
use crate::disk::entry::{http_date, mime_for_name};
use crate::error::AppError;
use crate::services::Services;

/// The entry a metadata call is about, wherever its bytes live.
struct Subject {
    /// Its path in the whole tree, as asked for.
    path: TreePath,
    /// The key its id and records are kept under.
    key: String,
    /// The storage holding it (`_bucket`).
    bucket: String,
    is_file: bool,
    /// Bytes of a file; 0 for a folder.
    size: u64,
    modified: SystemTime,
    etag: String,
}

/// `GET {metadata}/{label}`: the entry's whole metadata object.
pub async fn get(services: &Services, path: TreePath) -> Result<FileMetadata, AppError> {
    let subject = locate(services, path, true).await?;
    let reader = services.clone();
    blocking(move || {
        let id = reader.ids().id_for(&subject.key)?;
        describe(&reader, &subject, id)
    })
    .await
}

/// `POST` (merge) or `PUT` (`replace`) `{metadata}/{label}` with the body's
/// bytes, by the token named `owner`: the metadata object afterwards.
pub async fn write(
    services: &Services,
    path: TreePath,
    body: &[u8],
    replace: bool,
    owner: Option<String>,
) -> Result<FileMetadata, AppError> {
    let change = record::parse_change(body)?;
    let subject = locate(services, path, false).await?;
    let writer = services.clone();
    blocking(move || {
        let id = writer.ids().id_for(&subject.key)?;
        record::apply(writer.ids(), &id, change, replace, owner.as_deref())?;
        describe(&writer, &subject, id)
    })
    .await
}

/// Finds the entry at `path` through its storage's store (the default
/// storage's unless `path` is inside a mount). 404 if there is none.
async fn locate(services: &Services, path: TreePath, is_read: bool) -> Result<Subject, AppError> {
    let mount = path
        .segments()
        .first()
        .and_then(|top| services.storages().mounted(top));
    let Some((storage, slot)) = mount else {
        crate::tree::refuse_reserved(&path, is_read)?;
        let entry = services.default_store().stat(&path).await?;
        return Ok(Subject {
            key: tree_key("", &path),
            bucket: DEFAULT_BUCKET.to_owned(),
            is_file: !entry.is_dir,
            size: entry.size,
            modified: entry.modified,
            etag: entry.etag,
            path,
        });
    };
    let key = TreePath::from_segments(path.segments().iter().skip(1))?;
    crate::tree::refuse_reserved(&key, is_read)?;
    // Like the tree's: a storage that is not writable takes no changes at all,
    // its entries' metadata included.
    if !is_read && !storage.writable {
        return Err(AppError::ReadOnly);
    }
    let store = slot.map_err(AppError::Unavailable)?;
    let entry = store.stat(&key).await?;
    Ok(Subject {
        key: tree_key(&storage.mount, &key),
        bucket: storage.name,
        is_file: !entry.is_dir,
        size: if entry.is_dir { 0 } else { entry.size },
        modified: entry.modified,
        etag: entry.etag,
        path,
    })
}

/// The whole metadata object of `subject`, whose id is `id` (blocking).
fn describe(state: &Services, subject: &Subject, id: String) -> Result<FileMetadata, AppError> {
    let (record, format) = record::load(state.ids(), &id)?;
    let is_file = subject.is_file;
    let sha256 = match state.uploads() {
        Some(uploads) if is_file => uploads
            .store()
            .file(&subject.key)?
            .filter(|known| known.etag == subject.etag)
            .and_then(|known| known.sha256),
        _ => None,
    };
    let guessed = if is_file {
        mime_for_name(subject.path.name().unwrap_or_default())
    } else {
        DIRECTORY_MIME.to_owned()
    };
    let user = record
        .user
        .into_iter()
        // Stored values were checked on the way in; a value that does not fit is skipped.
        .filter_map(|(key, value)| {
            Some((key, serde_json::from_value::<MetadataValue>(value).ok()?))
        })
        .collect();
    Ok(FileMetadata {
        bucket: subject.bucket.clone(),
        content_length: if is_file { subject.size } else { 0 },
        format: format.filter(|_| is_file).unwrap_or(guessed),
        label: format!("/{}", subject.path.segments().join("/")),
        last_modified: http_date(subject.modified),
        location: if is_file {
            encode_tree_path(subject.path.segments())
        } else {
            subject.path.to_dir_url_path()
        },
        owner: record.owner,
        id,
        etag: subject.etag.clone(),
        sha256,
        user,
    })
}
