//! The raw file API service (PROTOCOL.md §4, CS3 Raw style): `stat`, `list`,
//! `data`, `mkdir`, `move` and `copy` on references (`path:/a/b` or
//! `id:<uuid>`). Plain inputs ([`Op`]) and outputs ([`Answer`]);
//! `crate::http::raw` parses `{raw}/{operation}?ref=…` and writes the answers.
//! Every storage, the default one (the tree's root) included, is served by the
//! same code through its [`crate::store::Store`].
//!
//! - `place.rs`: which storage a path is in, and the key inside it
//! - `within.rs`: `stat`, `list`, `mkdir`, deletes, `move` and `copy` within one storage
//! - `data.rs`: `data` (the tree's byte serving and whole-file write)
//! - `journaled.rs`: on a writable `s3://` ROOT, folder moves and deletes as jobs
//! - `new_folder.rs`: on a writable `s3://` ROOT, `mkdir` under a claim record
//! - `across.rs`: `move` and `copy` between two storages, streamed file by file
//! - `zip/`: `zip`, files and folders of any storages streamed as one ZIP
//!
//! Reads work on every server; writes need `--writable` (403 `read_only` otherwise).

mod across;
mod data;
mod journaled;
mod new_folder;
mod place;
mod within;
pub mod zip;

use skiff_protocol::{RawList, RawStat, TreePath};

use crate::error::AppError;
use crate::services::Services;
use crate::store::Entry;
use crate::tree::write::WholeWrite;
use crate::tree::{refuse_reserved, Mounted};

/// `PUT data`'s write, read from the request only once the call gets that far
/// (so a refusal that comes first, like `read_only`, still comes first).
pub type LazyWrite = Box<dyn FnOnce() -> Result<WholeWrite, AppError> + Send>;

/// One raw API call: the operation with the method it came with.
pub enum Op {
    /// `GET stat`.
    Stat,
    /// `GET list`.
    List,
    /// `GET data`: the bytes (served by the HTTP layer from the answer).
    Data,
    /// `PUT data`.
    Put(LazyWrite),
    /// `DELETE data`.
    Delete {
        /// `recursive=true`: a folder with everything in it.
        recursive: bool,
    },
    /// `POST mkdir`.
    Mkdir,
    /// `POST move`.
    Move {
        /// Where to.
        to: TreePath,
        /// `overwrite=true`.
        overwrite: bool,
    },
    /// `POST copy`.
    Copy {
        /// Where to.
        to: TreePath,
        /// `overwrite=true`.
        overwrite: bool,
    },
    /// A method the operation does not take: 405 with `allow`, in every storage.
    Unsupported {
        /// The methods it does take.
        allow: &'static str,
        /// The method was not `GET` or `HEAD`.
        is_write: bool,
        /// A `move` or `copy`'s `to=`, checked whatever the method (and, in a
        /// mounted storage, against its reserved name, as `ref=` is).
        to: Option<TreePath>,
    },
}

impl Op {
    /// Whether the call changes anything (and so needs a writable server).
    pub fn is_write(&self) -> bool {
        match self {
            Op::Stat | Op::List | Op::Data => false,
            Op::Unsupported { is_write, .. } => *is_write,
            Op::Put(_) | Op::Delete { .. } | Op::Mkdir | Op::Move { .. } | Op::Copy { .. } => true,
        }
    }

    /// Where a `move` or `copy` goes.
    pub fn to(&self) -> Option<&TreePath> {
        match self {
            Op::Move { to, .. } | Op::Copy { to, .. } => Some(to),
            Op::Unsupported { to, .. } => to.as_ref(),
            _ => None,
        }
    }
}

/// What a call answers.
pub enum Answer {
    /// A stat object (200).
    Stat(RawStat),
    /// The stat object of what was made: a folder or a copy (201).
    Created(RawStat),
    /// A folder's children (200).
    List(RawList),
    /// The file whose bytes to serve, and the storage it is in.
    Bytes(Mounted, Entry),
    /// A `PUT data`: what the write did (201 or 200), with the stat object.
    Written(Stored),
    /// Gone (204).
    Deleted,
}

/// What a `PUT data` stored.
pub struct Stored {
    /// A new file (201), not a replaced one (200).
    pub created: bool,
    /// Lowercase hex SHA-256 of the bytes stored (`Repr-Digest`).
    pub sha256: String,
    /// The file's stat object.
    pub stat: RawStat,
}

/// Runs `op` on `path` (already resolved by [`reference`]). The order of the
/// checks is the same in every storage: the reserved name (in `reference`,
/// `target`, and on the key inside the storage), then the method (405), then
/// `read_only`, then the store.
pub async fn call(services: &Services, path: TreePath, op: Op) -> Result<Answer, AppError> {
    let places = place::Places::of(services, &path, op.to(), op.is_write())?;
    // `Call::of` is the method check (405), made before the storage is asked.
    within::serve(services, places, within::Call::of(op)?).await
}

/// Resolves `ref=` to a tree path: `path:` lexically, `id:` through the store
/// (unknown ids are 404). `.skiff` is 404 to read and 403 to write.
pub async fn reference(
    services: &Services,
    reference: Option<&str>,
    is_read: bool,
) -> Result<TreePath, AppError> {
    let reference = reference.ok_or_else(|| bad_ref("ref= is required".to_owned()))?;
    let path = if let Some(id) = reference.strip_prefix("id:") {
        let ids = services.ids().clone();
        let id = id.to_owned();
        let key = crate::blocking::blocking(move || ids.path_of(&id))
            .await?
            .ok_or(AppError::NotFound)?;
        key_to_path(&key)?
    } else {
        path_ref(reference)?
    };
    // The default storage's key is the tree path itself; a mounted storage's
    // key is checked where it is split off (`place.rs`).
    refuse_reserved(&path, is_read)?;
    Ok(path)
}

/// `to=path:/…`, which must not be the reserved name.
pub fn target(to: Option<&str>) -> Result<TreePath, AppError> {
    let to = to.ok_or_else(|| bad_ref("to= is required".to_owned()))?;
    let path = path_ref(to)?;
    refuse_reserved(&path, false)?;
    Ok(path)
}

/// `path:/a/b` (decoded) as a tree path, with the lexical checks of URL paths.
fn path_ref(reference: &str) -> Result<TreePath, AppError> {
    let path = reference
        .strip_prefix("path:")
        .ok_or_else(|| bad_ref(format!("{reference:?} is not path:/… or id:…")))?;
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| bad_ref("a path: reference starts with /".to_owned()))?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    key_to_path(rest)
}

/// A key (segments joined with `/`; `""` is the root) as a tree path.
fn key_to_path(key: &str) -> Result<TreePath, AppError> {
    if key.is_empty() {
        return Ok(TreePath::root());
    }
    Ok(TreePath::from_segments(key.split('/'))?)
}

pub fn bad_ref(message: String) -> AppError {
    AppError::BadRequest {
        code: "bad_ref",
        message,
    }
}
