//! The tree of a storage served through the [`Store`] seam (PROTOCOL.md §1, §2.2,
//! §5): RFSAPI listings, file bytes, and the plain `PUT P` / `DELETE P` writes,
//! knowing nothing of which backend holds the bytes.
//!
//! - `crate::listing`: a folder's RFSAPI listing, streamed page by page
//! - `mounted_bytes.rs`: a file's bytes with validators and ranges
//! - `crate::tree::write`: whole-file `PUT` (digest-verified, conditional) and `DELETE`
//!
//! Every storage is served from here, the default storage too (as the mount
//! with the empty name, with the mounted storages in its root listing; its
//! `PUT` first refuses a `Content-Length` its disk cannot take, `write.rs`).

use axum::body::Body;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use skiff_protocol::{RawFileData, TreePath};

use crate::error::AppError;
use crate::http::conditional::if_none_match;
use crate::http::errors::{TREE_METHODS, WRITABLE_TREE_METHODS};
use crate::services::Services;
use crate::tree::Mounted;

use super::files::facts;
use super::listing::{fileset_response, listing_not_modified, listing_response, Listed};
use super::mounted_bytes as bytes;
use super::write::{mounted_delete, mounted_put, root_put};
use crate::listing;

/// What the request may do, decided by the server and the credentials.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    /// The server is writable and the storage too.
    pub writable: bool,
    /// The credentials may write (shown as `writes_supported`).
    pub writes_supported: bool,
    /// `--max-size`.
    pub max_size: u64,
}

/// The storage a tree request goes to.
#[derive(Debug)]
pub struct Place<'a> {
    /// Its store, mount and ids.
    pub mounted: &'a Mounted,
    /// What the request may do there.
    pub allowed: Allowed,
    /// For the default storage, whose top folder is the tree's root (§5): the
    /// mounted storages, shown in that folder (hiding its entries of the same
    /// name; only needed when the request is for that folder). `None` for a
    /// mounted storage.
    pub tree_root: Option<Vec<RawFileData>>,
}

/// What a tree request got.
#[derive(Debug)]
pub enum Served {
    /// The answer.
    Response(Response),
    /// A folder asked for without the RFSAPI header: the caller decides whether
    /// the app shell answers.
    Folder,
}

/// One tree request for `key` inside `place` (the storage's own folder is the
/// root key). `wants_rfsapi`: the `X-Raw-Filesystem-API: 1` header was sent.
/// `services` know the file's `_format` and recorded SHA-256, kept under its
/// tree key.
pub async fn serve(
    services: &Services,
    place: Place<'_>,
    key: TreePath,
    method: &Method,
    headers: &HeaderMap,
    wants_rfsapi: bool,
    body: Body,
) -> Result<Served, AppError> {
    let Place {
        mounted,
        allowed,
        tree_root,
    } = place;
    // Every storage keeps its server state under its own `.skiff` (§5): invisible
    // and untouchable there as in the default storage.
    crate::tree::refuse_reserved(&key, matches!(*method, Method::GET | Method::HEAD))?;
    if method != Method::GET && method != Method::HEAD {
        if !allowed.writable {
            return Err(AppError::MethodNotAllowed {
                allow: TREE_METHODS,
            });
        }
        // On an `s3://` ROOT, a folder a job is moving or deleting takes no
        // writes meanwhile: 409 `job_running`, saying how far the job is.
        if let Some(jobs) = services.jobs().filter(|_| tree_root.is_some()) {
            jobs.refuse_busy(&[&mounted.tree_key(&key)]).await?;
        }
        return match *method {
            // The default storage first refuses (507) a `Content-Length` its disk
            // cannot take.
            Method::PUT if tree_root.is_some() => {
                root_put(services.writer()?, mounted, allowed, key, headers, body).await
            }
            Method::PUT => mounted_put(mounted, allowed, key, headers, body).await,
            Method::DELETE => mounted_delete(mounted, key).await,
            _ => Err(AppError::MethodNotAllowed {
                allow: WRITABLE_TREE_METHODS,
            }),
        }
        .map(Served::Response);
    }
    let entry = mounted.store.stat(&key).await?;
    let with_body = method != Method::HEAD;
    let mut response = if entry.is_dir {
        if !wants_rfsapi {
            return Ok(Served::Folder);
        }
        // Only the tree's root folder is `is_root` and shows the mounts.
        let mounts = tree_root.filter(|_| key.is_root());
        let folder = listing::Folder::open(
            mounted.store.clone(),
            mounted.ids.clone(),
            mounted.tree_key(&key),
            &key,
            allowed.writes_supported,
            mounts.is_some(),
            mounts.unwrap_or_default(),
        )
        .await?;
        // HEAD reads the listing too: its ETag is a hash of the listing's bytes.
        let listed = Listed::read(folder.stream()).await?;
        match listed.etag() {
            Some(etag) if if_none_match(headers, etag.to_str().unwrap_or_default()) => {
                listing_not_modified(etag.clone())
            }
            _ => listing_response(listed, with_body),
        }
    } else if wants_rfsapi {
        // A file's own entry is a "first sight": it gets its id now (§4).
        let ids = mounted.ids.clone();
        let tree_key = mounted.tree_key(&key);
        let known = crate::blocking::blocking(move || ids.known_or_new(&tree_key)).await?;
        fileset_response(&listing::file(
            &entry,
            Some(known),
            allowed.writes_supported,
        ))
    } else {
        // `_format` and the recorded digest, under the file's tree key.
        let facts = facts(services, mounted.tree_key(&key)).await?;
        bytes::serve(mounted, &entry, facts, headers, with_body).await?
    };
    super::vary_by_representation(response.headers_mut());
    Ok(Served::Response(response))
}
