//! The tree of a storage served through the [`Store`] seam (PROTOCOL.md §1, §2.2,
//! §5): RFSAPI listings, file bytes, and the plain `PUT P` / `DELETE P` writes,
//! knowing nothing of which backend holds the bytes.
//!
//! - `crate::listing::mounted`: a folder's RFSAPI listing, streamed page by page
//! - `mounted_bytes.rs`: a file's bytes with validators and ranges
//! - `crate::tree::write`: whole-file `PUT` (digest-verified, conditional) and `DELETE`
//!
//! Mounted storages (every storage but the default) are served from here today;
//! the default storage still has its older local-only path (`crate::listing::local`,
//! `files.rs`, `crate::uploads::tree_write`) until it moves onto the seam.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::Response;
use skiff_protocol::TreePath;

use crate::error::AppError;
use crate::http::errors::{TREE_METHODS, WRITABLE_TREE_METHODS};
use crate::services::Services;
use crate::tree::Mounted;

use super::files::facts;
use super::listing::{fileset_response, listing_response};
use super::mounted_bytes as bytes;
use super::write::{mounted_delete, mounted_put};
use crate::listing::mounted as listing;

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

/// One tree request for `key` inside `mounted` (the mount's own folder is the
/// root key). `wants_rfsapi`: the `X-Raw-Filesystem-API: 1` header was sent.
/// `services` know the file's `_format` and recorded SHA-256, kept under its
/// tree key.
#[allow(clippy::too_many_arguments)]
pub async fn serve(
    services: &Services,
    mounted: &Mounted,
    allowed: Allowed,
    key: TreePath,
    method: &Method,
    headers: &HeaderMap,
    wants_rfsapi: bool,
    body: Body,
) -> Result<Response, AppError> {
    // Every storage keeps its server state under its own `.skiff` (§5): invisible
    // and untouchable there as in the default storage.
    crate::tree::refuse_reserved(&key, matches!(*method, Method::GET | Method::HEAD))?;
    if method != Method::GET && method != Method::HEAD {
        if !allowed.writable {
            return Err(AppError::MethodNotAllowed {
                allow: TREE_METHODS,
            });
        }
        return match *method {
            Method::PUT => mounted_put(mounted, allowed, key, headers, body).await,
            Method::DELETE => mounted_delete(mounted, key).await,
            _ => Err(AppError::MethodNotAllowed {
                allow: WRITABLE_TREE_METHODS,
            }),
        };
    }
    let entry = mounted.store.stat(&key).await?;
    let with_body = method != Method::HEAD;
    let mut response = if entry.is_dir {
        if !wants_rfsapi {
            // The caller answers browsers with the app shell.
            return Err(AppError::NotFound);
        }
        let folder = listing::Folder::open(
            mounted.store.clone(),
            mounted.ids.clone(),
            mounted.tree_key(&key),
            &key,
            allowed.writes_supported,
        )
        .await?;
        listing_response(with_body.then(|| folder.stream()))
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
        // The same facts as in the default storage: `_format` and the recorded
        // digest, under the file's tree key.
        let facts = facts(services, mounted.tree_key(&key)).await?;
        bytes::serve(mounted, &entry, facts, headers, with_body).await?
    };
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("x-raw-filesystem-api, accept"),
    );
    Ok(response)
}
