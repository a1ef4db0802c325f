//! Keeping the partial files and the store in agreement: reconciliation at
//! startup (after a crash the bytes on disk and the committed offsets may
//! disagree) and the periodic sweep that reclaims expired sessions.
//!
//! The invariant both keep: a reported offset never exceeds the bytes really
//! stored. Appends write and fsync bytes *before* committing the offset, so after
//! a crash a partial file may be longer than its offset (the tail was never
//! acknowledged: cut it off) but should never be shorter (if it is, the disk lied:
//! lower the offset so the client re-sends).
//!
//! A session whose bytes go into its mounted storage (`in_store.rs`) keeps only
//! a sequential session's tail here, reconciled the same way; its storage's
//! multipart write of an expired session is dropped by the first sweep.
//!
//! Whole-file writes into the default storage stage in its store's own folder
//! (`ROOT/.skiff/store/`); the ones a crash interrupted are removed by the store
//! itself when a writable server opens it (`LocalStore::sweep_staged`).
//!
//! A parts session (§2.1) keeps its sparse partial file at full size: parts that
//! were not recorded are simply missing, so nothing is cut. A partial file gone
//! with the session still open means a crash interrupted a completion after the
//! rename (the bookkeeping is finished now, if the session's storage's store
//! holds a file of its size at its key: `placed.rs`) or the bytes were lost (the
//! session starts over with no parts). The same holds for a sequential session
//! whose every byte was acknowledged, in any storage its file was renamed into.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::partial::PartialBytes;
use super::placed::{finish, hash_later, landing, placed_entry};
use super::session::Uploads;
use super::store::{SessionRecord, SessionState};
use super::{in_store, in_store_tail};
use crate::blocking::blocking;
use crate::error::AppError;

/// Shortest and longest pause between two sweeps.
const SWEEP_MIN: Duration = Duration::from_secs(1);
const SWEEP_MAX: Duration = Duration::from_secs(60);

impl Uploads {
    /// Startup reconciliation (blocking): expired sessions and partial files
    /// without a session (including interrupted `PUT`s) are removed; each open
    /// session's partial file is cut back to, or its offset lowered to, the
    /// durable length.
    pub(super) fn reconcile(&self) -> Result<(), AppError> {
        // The files of `partial/` that belong to a session.
        let mut known = HashSet::new();
        for mut record in self.store.sessions()? {
            let file = match &record.in_store {
                Some(in_store) => in_store_tail::tail_name(&record.id, in_store.sent),
                None => record.id.clone(),
            };
            if self.is_expired(&record) {
                if in_store::holds_store_upload(&record) {
                    // Its storage is asked to drop the parts by the first sweep,
                    // moments from now (a runtime is needed to ask it).
                    known.insert(file);
                    continue;
                }
                self.remove(&record.id)?;
                continue;
            }
            known.insert(file);
            if let SessionState::Completed { .. } = record.state {
                // A mounted storage's completion drops the partial file after
                // recording the session; a crash in between left it behind.
                self.partial.discard(&record.id)?;
                in_store_tail::discard(self, &record)?;
            }
            if record.state != SessionState::Open {
                continue;
            }
            if record.in_store.is_some() {
                // A parts session keeps nothing here; a sequential one its tail.
                if record.part_size.is_none() && in_store_tail::reconcile(self, &mut record)? {
                    self.save(&record)?;
                }
                continue;
            }
            if record.part_size.is_some() {
                self.reconcile_parts(record)?;
                continue;
            }
            let partial = self.partial_path(&record.id);
            match std::fs::metadata(&partial) {
                Ok(metadata) if metadata.len() > record.offset => {
                    tracing::info!(id = record.id, "dropping an unacknowledged chunk tail");
                    let file = std::fs::OpenOptions::new().write(true).open(&partial)?;
                    file.set_len(record.offset)?;
                    file.sync_all()?;
                }
                Ok(metadata) if metadata.len() < record.offset => {
                    tracing::warn!(id = record.id, "partial file shorter than its offset");
                    record.offset = metadata.len();
                    record.digest = None;
                    self.save(&record)?;
                }
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    if record.offset == record.size && record.digest.is_some() {
                        // Crashed between the rename into place and recording it.
                        if self.finish_placed(&record)? {
                            continue;
                        }
                    }
                    std::fs::File::create(&partial)?;
                    record.offset = 0;
                    record.digest = None;
                    self.save(&record)?;
                }
                Err(error) => return Err(AppError::from(error)),
            }
        }
        for entry in std::fs::read_dir(&self.partial_dir)? {
            let entry = entry?;
            let name = entry.file_name();
            if !name.to_str().is_some_and(|name| known.contains(name)) {
                tracing::info!(?name, "removing an orphaned partial file");
                // An interrupted raw `copy` of a folder leaves a folder here.
                if entry.file_type()?.is_dir() {
                    std::fs::remove_dir_all(entry.path())?;
                } else {
                    std::fs::remove_file(entry.path())?;
                }
            }
        }
        Ok(())
    }

    /// A parts session at startup: its partial file back at full size (sparse),
    /// or, if gone, the interrupted completion finished or the session emptied.
    fn reconcile_parts(&self, mut record: SessionRecord) -> Result<(), AppError> {
        let partial = self.partial_path(&record.id);
        match std::fs::metadata(&partial) {
            Ok(metadata) if metadata.len() != record.size => {
                tracing::warn!(
                    id = record.id,
                    "parts partial file resized to the session's size"
                );
                let file = std::fs::OpenOptions::new().write(true).open(&partial)?;
                file.set_len(record.size)?;
                file.sync_all()?;
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if record.content_hash.is_some() && self.finish_placed(&record)? {
                    return Ok(());
                }
                tracing::warn!(
                    id = record.id,
                    "parts partial file lost; its parts are dropped"
                );
                self.store.remove_parts(&record.id)?;
                record.content_hash = None;
                self.save(&record)?;
                self.partial.create(&record.id, record.size)
            }
            Err(error) => Err(AppError::from(error)),
        }
    }

    /// Finishes a completion cut short after its file was placed, if its
    /// storage's store holds the file (then true). Any storage: a mounted
    /// local one's files are renamed in as the default storage's are.
    fn finish_placed(&self, record: &SessionRecord) -> Result<bool, AppError> {
        let landing = match landing(self, record) {
            Ok(landing) => landing,
            // A storage removed or unreachable: nothing can be placed there.
            Err(error) => {
                tracing::warn!(%error, id = record.id, "cannot look for a placed file");
                return Ok(false);
            }
        };
        match on_runtime(placed_entry(&landing, record))? {
            Some(entry) => {
                finish(self, record.clone(), &landing, entry)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Removes every expired session nobody is appending to right now; returns
    /// how many went.
    pub async fn sweep(self: &Arc<Self>) -> Result<usize, AppError> {
        let uploads = Arc::clone(self);
        blocking(move || {
            let mut removed = 0;
            for record in uploads.store.sessions()? {
                if !uploads.is_expired(&record) {
                    continue;
                }
                // A busy session is being appended to: it is not idle, and the
                // append refreshes it when it finishes.
                let Some(_guard) = uploads.try_lock(&record.id) else {
                    continue;
                };
                // A storage that is down keeps its session until a later sweep.
                match uploads.remove(&record.id) {
                    Ok(()) => removed += 1,
                    Err(error) => {
                        tracing::warn!(%error, id = record.id, "cannot reclaim a session yet")
                    }
                }
            }
            Ok(removed)
        })
        .await
    }
}

/// Files completed in parts whose background SHA-256 a restart interrupted get
/// it computed now, read back from their storage (each is skipped if its record
/// already has one).
fn resume_hashes(uploads: &Arc<Uploads>) {
    let pending: Vec<SessionRecord> = match uploads.store.sessions() {
        Ok(sessions) => sessions
            .into_iter()
            .filter(|record| {
                record.part_size.is_some()
                    && record.digest.is_none()
                    && matches!(record.state, SessionState::Completed { .. })
            })
            .collect(),
        Err(error) => {
            tracing::warn!(%error, "cannot resume background hashes");
            return;
        }
    };
    for record in pending {
        hash_later(uploads, &record);
    }
}

/// Sweeps expired sessions in the background, about twice per TTL, until the
/// last [`crate::AppState`] holding `uploads` is dropped (a weak reference, so
/// the sweeper never keeps the database open on its own).
pub fn spawn_sweeper(uploads: &Arc<Uploads>) {
    let period = (uploads.ttl / 2).clamp(SWEEP_MIN, SWEEP_MAX);
    let weak = Arc::downgrade(uploads);
    resume_hashes(uploads);
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let Some(uploads) = weak.upgrade() else {
                break;
            };
            match uploads.sweep().await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "expired upload sessions reclaimed"),
                Err(error) => tracing::warn!(%error, "upload session sweep failed"),
            }
        }
    });
}

/// Runs a store call to its end from startup's synchronous code, which may be
/// running on the thread that drives the runtime (where blocking on it would
/// panic): on a thread of its own, on the runtime's handle. There must be a
/// runtime (the server's; a unit test enters one).
fn on_runtime<T: Send>(call: impl std::future::Future<Output = T> + Send) -> Result<T, AppError> {
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|error| AppError::Io(std::io::Error::other(error)))?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| runtime.block_on(call))
            .join()
            .map_err(|_| AppError::Io(std::io::Error::other("a storage call panicked")))
    })
}
