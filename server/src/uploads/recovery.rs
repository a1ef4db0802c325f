//! Keeping the partial files and the store in agreement: reconciliation at
//! startup (after a crash the bytes on disk and the committed offsets may
//! disagree) and the periodic sweep that reclaims expired sessions.
//!
//! The invariant both keep: a reported offset never exceeds the bytes really
//! stored. Appends write and fsync bytes *before* committing the offset, so after
//! a crash a partial file may be longer than its offset (the tail was never
//! acknowledged: cut it off) but should never be shorter (if it is, the disk lied:
//! lower the offset so the client re-sends).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::session::{blocking, now_ms, Uploads};
use super::store::SessionState;
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
        let mut known = HashSet::new();
        for mut record in self.store.sessions()? {
            if self.is_expired(&record) {
                self.remove(&record.id)?;
                continue;
            }
            known.insert(record.id.clone());
            if record.state != SessionState::Open {
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
                        let created_at = i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX);
                        record.state = SessionState::Completed { created_at };
                    } else {
                        std::fs::File::create(&partial)?;
                        record.offset = 0;
                        record.digest = None;
                    }
                    self.save(&record)?;
                }
                Err(error) => return Err(AppError::Io(error)),
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
                uploads.remove(&record.id)?;
                removed += 1;
            }
            Ok(removed)
        })
        .await
    }
}

/// Sweeps expired sessions in the background, about twice per TTL, until the
/// last [`crate::AppState`] holding `uploads` is dropped (a weak reference, so
/// the sweeper never keeps the database open on its own).
pub fn spawn_sweeper(uploads: &Arc<Uploads>) {
    let period = (uploads.ttl / 2).clamp(SWEEP_MIN, SWEEP_MAX);
    let weak = Arc::downgrade(uploads);
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
