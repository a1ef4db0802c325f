//! `move` and `copy` between two storages (PROTOCOL.md §4, §5): the default
//! storage and mounted ones, in any pair.
//! No backend can rename across, so every file is streamed from the source's
//! [`Store`] into the target's with [`Store::put`], one at a time, never held
//! whole; a folder is walked ([`Store::walk_tree`]) and its folders made in the
//! target too, the empty ones included.
//!
//! The rules are those of a move or copy within a storage: an existing target
//! is 412 `already_exists` unless `overwrite=true` (then a file over a file is
//! the store's atomic replace, anything else removes the target first); the
//! storage's top folder (or the root) is 409; `.skiff` at either end was
//! refused in `place.rs`. A move copies everything first and
//! removes the source only once every byte is in the target: a failure midway
//! leaves the source whole, and the answer says what happened. What this
//! operation created at the target by then (its files, its folders, the missing
//! parents it made) is removed again, best effort and never anything that was
//! there before: files one by one, folders only once empty, the deepest
//! first. Ids and metadata follow a move
//! (`Ids::move_tree`, keyed by tree key); a copy gets new ids. Each file's
//! SHA-256 is computed as it streams and recorded with its new ETag, so its
//! bytes carry `Repr-Digest` in the target as after any write.

use std::sync::{Arc, Mutex, PoisonError};

use futures_util::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use skiff_protocol::{RawStat, TreePath};

use super::place::{Place, Places};
use super::within::stat as place_stat;
use super::Answer;
use crate::blocking::blocking;
use crate::catalog::checksums::{record_rows, FileRecord};
use crate::catalog::group_commit::WrittenFile;
use crate::disk::entry::mime_for_name;
use crate::error::AppError;
use crate::services::Services;
use crate::store::{ByteStream, Entry, PutMode, Store, StoreError};
use crate::uploads::body::hex;
use crate::uploads::session::now_ms;

/// Checksum records committed at once after a copy (their commits are shared).
const RECORDS_IN_FLIGHT: usize = 16;

/// One end of a move or copy: a storage's store and the key inside it.
struct End {
    store: Arc<dyn Store>,
    key: TreePath,
    place: Place,
}

impl End {
    fn of(place: Place) -> Result<End, AppError> {
        Ok(End {
            store: Arc::clone(place.store()?),
            key: place.key.clone(),
            place,
        })
    }

    /// The catalog's key of `key` in this end's storage.
    fn tree_key(&self, key: &TreePath) -> String {
        self.place.tree_key(key)
    }

    /// Where `entry` (found below `from`'s key by a walk) goes below this end's key.
    fn below(&self, from: &End, entry: &TreePath) -> Result<TreePath, AppError> {
        let inside = entry.segments().iter().skip(from.key.segments().len());
        Ok(TreePath::from_segments(
            self.key.segments().iter().chain(inside).cloned(),
        )?)
    }

    /// The stat object of what is at this end now.
    async fn stat(&self, services: &Services) -> Result<RawStat, AppError> {
        let entry = self.store.stat(&self.key).await?;
        place_stat(services.ids(), &self.place, &entry).await
    }
}

/// `POST {raw}/move` (`is_move`) or `copy` from one storage into another.
pub async fn transfer(
    services: &Services,
    places: Places,
    is_move: bool,
    overwrite: bool,
) -> Result<Answer, AppError> {
    let Places { from, target, .. } = places;
    let target = target.ok_or_else(|| super::bad_ref("to= is required".to_owned()))?;
    // A copy only reads its source, so a read-only storage may be copied from.
    if !services.writable() || !target.writable || (is_move && !from.writable) {
        return Err(AppError::ReadOnly);
    }
    for place in [&from, &target] {
        if place.key.is_root() {
            return Err(place.top_refused());
        }
    }
    let from = End::of(from)?;
    let target = End::of(target)?;
    let source = from.store.stat(&from.key).await?;
    let mode = clear_target(services, &source, &target, overwrite).await?;

    let mut made = missing_parents(&target).await;
    let landed = match copy_all(&from, &source, &target, mode, &mut made).await {
        Ok(landed) => landed,
        Err((error, files)) => {
            let removed = remove_made(&target, made).await;
            return Err(stopped(error, files, is_move, removed));
        }
    };
    let (from_key, to_key) = (from.tree_key(&from.key), target.tree_key(&target.key));
    let ids = services.ids().clone();
    if is_move {
        // The target is whole: ids and metadata go with it, then the source goes.
        blocking(move || ids.move_tree(&from_key, &to_key)).await?;
        if let Err(error) = from.store.delete(&from.key, true).await {
            return Err(source_left(error));
        }
    } else {
        // A copy is a new entry: whatever was recorded at the target is not its.
        blocking(move || ids.forget_tree(&to_key)).await?;
    }
    record(services, &target, landed, is_move).await;
    let stat = target.stat(services).await?;
    Ok(if is_move {
        Answer::Stat(stat)
    } else {
        Answer::Created(stat)
    })
}

/// Makes room at the target: 412 if something is there and not `overwrite`;
/// with `overwrite`, a file onto a file is left to the store's atomic replace,
/// anything else there is removed now (with its ids and metadata). The mode
/// the source's top file is written with.
async fn clear_target(
    services: &Services,
    source: &Entry,
    target: &End,
    overwrite: bool,
) -> Result<PutMode, AppError> {
    let existing = match target.store.stat(&target.key).await {
        Ok(existing) => existing,
        Err(StoreError::NotFound) => return Ok(PutMode::Create),
        Err(error) => return Err(error.into()),
    };
    if !overwrite {
        return Err(AppError::AlreadyExists);
    }
    if existing.is_dir || source.is_dir {
        target.store.delete(&target.key, true).await?;
        let (ids, key) = (services.ids().clone(), target.tree_key(&target.key));
        blocking(move || ids.forget_tree(&key)).await?;
    }
    Ok(PutMode::Overwrite)
}

/// A file copied into the target: where, and what to record of it (`None` if
/// the store did not read as many bytes as the source had).
struct Landed {
    key: TreePath,
    record: Option<FileRecord>,
}

/// Copies `source` (at `from`'s key) to `target`'s key, file by file, adding
/// every folder and file it creates to `made`; on failure, why, with how many
/// files were copied.
async fn copy_all(
    from: &End,
    source: &Entry,
    target: &End,
    mode: PutMode,
    made: &mut Vec<TreePath>,
) -> Result<Vec<Landed>, (AppError, u64)> {
    if !source.is_dir {
        // One file: the store's put is all or nothing (an existing file it
        // replaces was cleared as the caller asked), so it makes nothing to undo.
        return copy_file(from, source, target, &target.key, mode)
            .await
            .map(|landed| vec![landed])
            .map_err(|error| (error, 0));
    }
    let mut landed = Vec::new();
    let mut files = 0;
    let fail = |files| move |error: AppError| (error, files);
    target
        .store
        .mkdir(&target.key)
        .await
        .map_err(|e| fail(files)(e.into()))?;
    // New: `clear_target` refused or removed what was there.
    made.push(target.key.clone());
    let mut walk = from.store.walk_tree(&from.key);
    while let Some(entry) = walk.next().await {
        let entry = entry.map_err(|e| fail(files)(e.into()))?;
        let into = target.below(from, &entry.key).map_err(fail(files))?;
        if entry.is_dir {
            target
                .store
                .mkdir(&into)
                .await
                .map_err(|e| fail(files)(e.into()))?;
            made.push(into);
        } else {
            let copied = copy_file(from, &entry, target, &into, PutMode::Overwrite).await;
            landed.push(copied.map_err(fail(files))?);
            made.push(into);
            files += 1;
        }
    }
    Ok(landed)
}

/// Streams `file` of `from` into `into` in `target`, hashing it on the way.
async fn copy_file(
    from: &End,
    file: &Entry,
    target: &End,
    into: &TreePath,
    mode: PutMode,
) -> Result<Landed, AppError> {
    let seen = Arc::new(Mutex::new((Sha256::new(), 0u64)));
    let tap = Arc::clone(&seen);
    let body = from.store.read(&file.key, None).await?;
    let body: ByteStream = Box::pin(body.inspect_ok(move |bytes| {
        let mut seen = tap.lock().unwrap_or_else(PoisonError::into_inner);
        seen.0.update(bytes);
        seen.1 += bytes.len() as u64;
    }));
    let entry = target.store.put(into, mode, body).await?;
    let (hasher, length) =
        std::mem::take(&mut *seen.lock().unwrap_or_else(PoisonError::into_inner));
    let record = (length == file.size).then(|| FileRecord {
        etag: entry.etag,
        sha256: Some(hex(&hasher.finalize())),
        id: String::new(),
        mime_type: mime_for_name(into.name().unwrap_or_default()),
        created_at: i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX),
        content_hash: None,
        part_size: None,
    });
    Ok(Landed {
        key: into.clone(),
        record,
    })
}

/// Records the copied files' SHA-256s under their new ETags (a moved file keeps
/// its id, a copied one gets a new one now). The bytes are in place already, so
/// a failure here is only logged: the file then has no recorded digest.
async fn record(services: &Services, target: &End, landed: Vec<Landed>, keep_ids: bool) {
    let commits = landed.into_iter().filter_map(|landed| {
        let record = landed.record?;
        let (ids, key) = (services.ids().clone(), target.tree_key(&landed.key));
        Some(blocking(move || {
            ids.commit_written(WrittenFile {
                extra: record_rows(key.clone(), record),
                key,
                replaced: keep_ids,
            })
        }))
    });
    let mut commits = futures_util::stream::iter(commits).buffer_unordered(RECORDS_IN_FLIGHT);
    while let Some(committed) = commits.next().await {
        if let Err(error) = committed {
            tracing::warn!(%error, "a copied file's checksum record was not written");
        }
    }
}

/// The folders above `target`'s key that are not there yet (the top one
/// first): writing the key creates them, so they are this operation's. A
/// storage that cannot say counts as having them all.
async fn missing_parents(target: &End) -> Vec<TreePath> {
    let mut missing = Vec::new();
    let mut at = target.key.parent();
    while let Some(parent) = at {
        if parent.is_root() {
            break;
        }
        match target.store.stat(&parent).await {
            Err(StoreError::NotFound) => {}
            _ => break,
        }
        at = parent.parent();
        missing.push(parent);
    }
    missing.reverse();
    missing
}

/// Removes what a stopped copy made at the target (`made`, in the order it was
/// made: every folder before what it holds), the last made first: files, and
/// folders only while empty, so nothing anybody else put there meanwhile goes.
/// Whether everything went.
async fn remove_made(target: &End, made: Vec<TreePath>) -> bool {
    let mut all = true;
    for key in made.iter().rev() {
        match target.store.delete(key, false).await {
            // A parent the failed write never got to create.
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(error) => {
                tracing::warn!(%error, key = %key, "cannot remove what a stopped copy made");
                all = false;
            }
        }
    }
    all
}

/// A copy that stopped midway: the store's error, saying what happened, and
/// whether what it had copied was `removed` from the target again.
fn stopped(error: AppError, files: u64, is_move: bool, removed: bool) -> AppError {
    let what = if is_move { "move" } else { "copy" };
    let target = if removed {
        "nothing of it stays at the target"
    } else {
        "part of what was copied so far could not be removed from the target"
    };
    let said = format!(
        "the {what} stopped after {files} file(s): {error}; the source is whole{}, and {target}",
        if is_move { " (nothing was moved)" } else { "" }
    );
    match error {
        AppError::Unavailable(_) | AppError::Io(_) => AppError::Unavailable(said),
        AppError::InsufficientStorage { code, .. } => AppError::InsufficientStorage {
            code,
            message: said,
        },
        // Refusals made before any byte moved (404, 412, a folder in the way…)
        // say it themselves.
        other if files == 0 => other,
        _ => AppError::Unavailable(said),
    }
}

/// Every byte is at the target, but the source could not be removed.
fn source_left(error: StoreError) -> AppError {
    AppError::Unavailable(format!(
        "everything was copied to the target, but removing the source failed ({error}); \
         part of the source may still be there"
    ))
}
