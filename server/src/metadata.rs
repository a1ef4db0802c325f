//! The metadata service (PROTOCOL.md §3, CKAN FileStore style): an entry's
//! server `_` fields and user keys, merged (`POST`) or replaced (`PUT`); `_format`
//! may be set and then becomes the served `Content-Type` and the RFSAPI
//! `mime_type`. The records themselves are `crate::catalog::metadata`;
//! `crate::http::metadata` is the HTTP side.

use skiff_protocol::{
    encode_tree_path, FileMetadata, MetadataValue, TreePath, DEFAULT_BUCKET, DIRECTORY_MIME,
};

use crate::blocking::blocking;
use crate::catalog::metadata as record;
use crate::disk::entry::{etag, http_date, mime_for_name, modified};
use crate::disk::paths::{find_blocking, Found};
use crate::error::AppError;
use crate::services::Services;

/// `GET {metadata}/{label}`: the entry's whole metadata object.
pub async fn get(services: &Services, path: TreePath) -> Result<FileMetadata, AppError> {
    let reader = services.clone();
    blocking(move || {
        let found = find_blocking(reader.root(), path)?;
        let id = reader.ids().id_for(&found.key())?;
        describe(&reader, &found, id)
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
    let writer = services.clone();
    blocking(move || {
        let found = find_blocking(writer.root(), path)?;
        let id = writer.ids().id_for(&found.key())?;
        record::apply(writer.ids(), &id, change, replace, owner.as_deref())?;
        describe(&writer, &found, id)
    })
    .await
}

/// The whole metadata object of `found`, whose id is `id` (blocking).
fn describe(state: &Services, found: &Found, id: String) -> Result<FileMetadata, AppError> {
    let (record, format) = record::load(state.ids(), &id)?;
    let is_file = found.metadata.is_file();
    let etag = etag(&found.metadata);
    let key = found.key();
    let sha256 = match state.uploads() {
        Some(uploads) if is_file => uploads
            .store()
            .file(&key)?
            .filter(|known| known.etag == etag)
            .and_then(|known| known.sha256),
        _ => None,
    };
    let guessed = if is_file {
        mime_for_name(found.path.name().unwrap_or_default())
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
        bucket: DEFAULT_BUCKET.to_owned(),
        content_length: if is_file { found.metadata.len() } else { 0 },
        format: format.filter(|_| is_file).unwrap_or(guessed),
        label: found.label(),
        last_modified: http_date(modified(&found.metadata)),
        location: if is_file {
            encode_tree_path(found.path.segments())
        } else {
            found.path.to_dir_url_path()
        },
        owner: record.owner,
        id,
        etag,
        sha256,
        user,
    })
}
