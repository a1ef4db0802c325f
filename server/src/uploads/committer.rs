//! Group commit of the upload state: one thread owns the hot writes to the
//! store (offsets, parts, completions) and shares one redb commit — one fsync —
//! among every write pending at once, so many parts in flight cost one commit
//! per round, not one each.
//!
//! Each caller sends a unit (a list of [`Write`]s applied atomically) and waits
//! for its answer; the unit is acknowledged only after the commit that holds it
//! returned. A unit whose precondition fails (a part for a session that is gone)
//! is answered with that error without touching the batch; if the batch's
//! commit itself fails, every unit is retried in a transaction of its own, so
//! one bad write cannot fail the others.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use redb::{Database, ReadableTable, Table, WriteTransaction};

use super::session::session_object;
use super::store::{decode, store_error, FileRecord, SessionRecord, SessionState};
use super::store::{FILES, PARTS, SESSIONS};
use crate::error::AppError;

/// Most units in one commit, so one round cannot grow without bound.
const MAX_BATCH: usize = 1024;

/// One change to the upload state.
#[derive(Debug, Clone)]
pub enum Write {
    /// Inserts or replaces a session record.
    Session(SessionRecord),
    /// Records part `n` of the open parts session `id` as durable with `digest`,
    /// and marks the session active at `touched_ms`. Refused (nothing written)
    /// if the session is gone (404) or no longer open (409 `session_closed`).
    Part {
        /// Session id.
        id: String,
        /// Part number, 1-based.
        n: u64,
        /// The part's SHA-256.
        digest: [u8; 32],
        /// The store's tag for the part (S3's ETag); empty for a staged part.
        tag: String,
        /// Unix milliseconds now.
        touched_ms: u64,
    },
    /// Un-records part `n` of the open session `id` before its bytes are
    /// overwritten by a re-send; refused like [`Write::Part`].
    Unpart {
        /// Session id.
        id: String,
        /// Part number, 1-based.
        n: u64,
    },
    /// Forgets every part of session `id` (its file was placed).
    DropParts(String),
    /// Inserts or replaces what we know about the file at `key`.
    File {
        /// Tree key.
        key: String,
        /// The record.
        record: FileRecord,
    },
    /// Sets the SHA-256 of the file at `key`, only if its record still has `etag`
    /// (the file was not replaced while it was being hashed).
    FileSha256 {
        /// Tree key.
        key: String,
        /// The ETag the hashed bytes had.
        etag: String,
        /// Lowercase hex SHA-256.
        sha256: String,
    },
}

/// Runs on the committer thread once the unit is durable, before its caller is
/// answered (keeps in-memory state in step even if the caller went away).
pub type AfterCommit = Box<dyn FnOnce() + Send>;

type Reply = Box<dyn FnOnce(Result<(), AppError>) + Send>;

struct Pending {
    writes: Vec<Write>,
    after: Option<AfterCommit>,
    reply: Reply,
}

/// Handle on the committer thread; dropping it lets the thread finish its queue
/// and waits for it (so the database closes with the store).
pub struct Committer {
    sender: Option<mpsc::Sender<Pending>>,
    thread: Option<JoinHandle<()>>,
    /// Transactions committed so far (one per round when all goes well).
    commits: Arc<AtomicU64>,
}

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Committer").finish_non_exhaustive()
    }
}

impl Committer {
    /// Starts the thread that commits to `db`.
    pub fn start(db: Arc<Database>) -> Result<Self, AppError> {
        let (sender, receiver) = mpsc::channel::<Pending>();
        let commits = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&commits);
        let thread = std::thread::Builder::new()
            .name("skiff-committer".to_owned())
            .spawn(move || run(&db, &receiver, &counted))?;
        Ok(Self {
            sender: Some(sender),
            thread: Some(thread),
            commits,
        })
    }

    /// How many transactions the committer has committed.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Commits `writes` atomically; runs `after` once durable; waits for the answer.
    pub async fn commit_then(
        &self,
        writes: Vec<Write>,
        after: Option<AfterCommit>,
    ) -> Result<(), AppError> {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        self.send(
            writes,
            after,
            Box::new(move |result| {
                let _ = sender.send(result);
            }),
        )?;
        receiver.await.map_err(|_| stopped())?
    }

    /// Commits `writes` atomically and waits for the answer.
    pub async fn commit(&self, writes: Vec<Write>) -> Result<(), AppError> {
        self.commit_then(writes, None).await
    }

    /// [`Committer::commit`] from a blocking thread.
    pub fn commit_blocking(&self, writes: Vec<Write>) -> Result<(), AppError> {
        let (sender, receiver) = mpsc::sync_channel(1);
        self.send(
            writes,
            None,
            Box::new(move |result| {
                let _ = sender.send(result);
            }),
        )?;
        receiver.recv().map_err(|_| stopped())?
    }

    fn send(
        &self,
        writes: Vec<Write>,
        after: Option<AfterCommit>,
        reply: Reply,
    ) -> Result<(), AppError> {
        self.sender
            .as_ref()
            .ok_or_else(stopped)?
            .send(Pending {
                writes,
                after,
                reply,
            })
            .map_err(|_| stopped())
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        tracing::debug!(commits = self.commits(), "upload state committer stopped");
    }
}

fn stopped() -> AppError {
    store_error("the upload state committer stopped")
}

/// The thread: take everything pending, commit it together, answer, repeat.
fn run(db: &Database, receiver: &mpsc::Receiver<Pending>, commits: &AtomicU64) {
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        commits.fetch_add(commit_batch(db, batch), Ordering::Relaxed);
    }
}

/// Commits `batch` together (or, if that fails, unit by unit) and answers each;
/// returns how many transactions were committed.
fn commit_batch(db: &Database, batch: Vec<Pending>) -> u64 {
    let units: Vec<&[Write]> = batch
        .iter()
        .map(|pending| pending.writes.as_slice())
        .collect();
    let mut commits = 0;
    let outcomes = match commit_units(db, &units) {
        Ok(outcomes) => {
            commits += 1;
            outcomes
        }
        Err(error) if batch.len() == 1 => vec![Err(error)],
        Err(error) => {
            tracing::warn!(%error, units = batch.len(), "group commit failed; retrying each alone");
            units
                .iter()
                .map(|unit| {
                    let alone = commit_units(db, std::slice::from_ref(unit));
                    commits += u64::from(alone.is_ok());
                    alone.and_then(|mut outcome| outcome.pop().unwrap_or(Ok(())))
                })
                .collect()
        }
    };
    for (pending, outcome) in batch.into_iter().zip(outcomes) {
        if outcome.is_ok() {
            if let Some(after) = pending.after {
                after();
            }
        }
        (pending.reply)(outcome);
    }
    commits
}

/// One transaction for all `units`: each unit's outcome (a refused precondition
/// leaves that unit out), or the error that sank the whole transaction.
fn commit_units(db: &Database, units: &[&[Write]]) -> Result<Vec<Result<(), AppError>>, AppError> {
    let txn = db.begin_write().map_err(store_error)?;
    let outcomes = apply_all(&txn, units);
    match outcomes {
        Ok(outcomes) => {
            txn.commit().map_err(store_error)?;
            Ok(outcomes)
        }
        Err(error) => {
            let _ = txn.abort();
            Err(error)
        }
    }
}

fn apply_all(
    txn: &WriteTransaction,
    units: &[&[Write]],
) -> Result<Vec<Result<(), AppError>>, AppError> {
    let mut sessions = txn.open_table(SESSIONS).map_err(store_error)?;
    let mut files = txn.open_table(FILES).map_err(store_error)?;
    let mut parts = txn.open_table(PARTS).map_err(store_error)?;
    let mut outcomes = Vec::with_capacity(units.len());
    for unit in units {
        // Preconditions first, so a refused unit has changed nothing.
        let refused = unit.iter().find_map(|write| check(&sessions, write).err());
        if let Some(refusal) = refused {
            outcomes.push(Err(refusal));
            continue;
        }
        for write in *unit {
            apply(&mut sessions, &mut files, &mut parts, write)?;
        }
        outcomes.push(Ok(()));
    }
    Ok(outcomes)
}

/// A part may only be (un)recorded while its session is open.
fn check(sessions: &Table<&str, &[u8]>, write: &Write) -> Result<(), AppError> {
    let (Write::Part { id, .. } | Write::Unpart { id, .. }) = write else {
        return Ok(());
    };
    let Some(value) = sessions.get(id.as_str()).map_err(store_error)? else {
        return Err(AppError::UnknownSession);
    };
    let record: SessionRecord = decode(value.value())?;
    if record.state == SessionState::Open {
        Ok(())
    } else {
        Err(AppError::SessionConflict {
            code: "session_closed",
            message: "the session is completed or failed; no more parts".to_owned(),
            session: Box::new(session_object(&record, None)),
        })
    }
}

fn apply(
    sessions: &mut Table<&str, &[u8]>,
    files: &mut Table<&str, &[u8]>,
    parts: &mut Table<(&str, u64), &[u8]>,
    write: &Write,
) -> Result<(), AppError> {
    match write {
        Write::Session(record) => {
            let bytes = serde_json::to_vec(record).map_err(store_error)?;
            sessions
                .insert(record.id.as_str(), bytes.as_slice())
                .map_err(store_error)?;
        }
        Write::Part {
            id,
            n,
            digest,
            tag,
            touched_ms,
        } => {
            let mut row = Vec::with_capacity(digest.len() + tag.len());
            row.extend_from_slice(digest);
            row.extend_from_slice(tag.as_bytes());
            parts
                .insert((id.as_str(), *n), row.as_slice())
                .map_err(store_error)?;
            let record = sessions
                .get(id.as_str())
                .map_err(store_error)?
                .map(|value| decode::<SessionRecord>(value.value()))
                .transpose()?;
            if let Some(mut record) = record {
                record.touched_ms = record.touched_ms.max(*touched_ms);
                let bytes = serde_json::to_vec(&record).map_err(store_error)?;
                sessions
                    .insert(id.as_str(), bytes.as_slice())
                    .map_err(store_error)?;
            }
        }
        Write::Unpart { id, n } => {
            parts.remove((id.as_str(), *n)).map_err(store_error)?;
        }
        Write::DropParts(id) => remove_parts(parts, id)?,
        Write::File { key, record } => {
            let bytes = serde_json::to_vec(record).map_err(store_error)?;
            files
                .insert(key.as_str(), bytes.as_slice())
                .map_err(store_error)?;
        }
        Write::FileSha256 { key, etag, sha256 } => {
            let known = files
                .get(key.as_str())
                .map_err(store_error)?
                .map(|value| decode::<FileRecord>(value.value()))
                .transpose()?;
            if let Some(mut known) = known.filter(|known| known.etag == *etag) {
                known.sha256 = Some(sha256.clone());
                let bytes = serde_json::to_vec(&known).map_err(store_error)?;
                files
                    .insert(key.as_str(), bytes.as_slice())
                    .map_err(store_error)?;
            }
        }
    }
    Ok(())
}

/// Removes every part row of session `id`.
pub fn remove_parts(parts: &mut Table<(&str, u64), &[u8]>, id: &str) -> Result<(), AppError> {
    parts
        .retain_in((id, 0)..=(id, u64::MAX), |_, _| false)
        .map_err(store_error)
}

#[cfg(test)]
#[path = "committer_tests.rs"]
mod tests;
