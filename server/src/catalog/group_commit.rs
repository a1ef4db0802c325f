//! Group commit for whole-file writes (PROTOCOL.md §2.2): many small `PUT`s in
//! flight share one redb commit — one fsync of the store — instead of paying
//! one each, and each is answered only once the commit holding it returned.
//!
//! No thread of its own: the first writer to arrive while no commit runs
//! becomes the leader, takes everything queued (up to [`MAX_BATCH`]), commits
//! it in one transaction and hands out the results; writers that arrive
//! meanwhile queue up for the next round. If a shared commit fails, each file
//! is retried in a transaction of its own, so one bad write cannot fail the
//! others. All calls block: run them on a blocking thread.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use redb::{Database, WriteTransaction};

use super::ids::{written_in, Known};
use crate::error::store_error;
use crate::error::AppError;

/// Most files in one commit, so one round cannot grow without bound.
const MAX_BATCH: usize = 256;

/// Writes a file's own rows (e.g. its upload record) into the shared
/// transaction, once its id is known. May run twice (the retry alone).
pub type ExtraRows = Box<dyn Fn(&WriteTransaction, &Known) -> Result<(), AppError> + Send>;

/// A file just placed in the tree, whose ids and records are to be committed.
pub struct WrittenFile {
    /// Its key (tree path without the leading `/`).
    pub key: String,
    /// Whether it replaced a file (which keeps its id) or is new (a fresh id).
    pub replaced: bool,
    /// The caller's rows for it, in the same transaction.
    pub extra: ExtraRows,
}

/// The queue of files waiting for a commit; one per database.
#[derive(Default)]
pub struct GroupCommit {
    state: Mutex<Queue>,
    finished: Condvar,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Queue {
    waiting: Vec<(u64, WrittenFile)>,
    committing: bool,
    results: HashMap<u64, Result<Known, AppError>>,
    next_ticket: u64,
}

impl GroupCommit {
    /// Commits `file` together with whatever else is pending; returns its id
    /// and `_format` once durable.
    pub fn commit(&self, db: &Database, file: WrittenFile) -> Result<Known, AppError> {
        let mut queue = self.lock();
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.waiting.push((ticket, file));
        loop {
            if let Some(result) = queue.results.remove(&ticket) {
                return result;
            }
            if queue.committing {
                queue = self
                    .finished
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // Lead a round: ours is in it unless an earlier round took it.
            queue.committing = true;
            let take = queue.waiting.len().min(MAX_BATCH);
            let batch: Vec<_> = queue.waiting.drain(..take).collect();
            drop(queue);
            let outcomes = commit_batch(db, &batch);
            queue = self.lock();
            queue.results.extend(outcomes);
            queue.committing = false;
            self.finished.notify_all();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One shared transaction, or, if it fails, one each.
fn commit_batch(
    db: &Database,
    batch: &[(u64, WrittenFile)],
) -> Vec<(u64, Result<Known, AppError>)> {
    let tickets = batch.iter().map(|(ticket, _)| *ticket);
    match commit_all(db, batch.iter().map(|(_, file)| file)) {
        Ok(known) => tickets.zip(known.into_iter().map(Ok)).collect(),
        Err(error) if batch.len() == 1 => vec![(batch[0].0, Err(error))],
        Err(error) => {
            tracing::warn!(%error, files = batch.len(), "group commit failed; retrying each alone");
            batch
                .iter()
                .map(|(ticket, file)| {
                    let alone = commit_all(db, std::iter::once(file))
                        .and_then(|mut known| known.pop().ok_or_else(|| store_error("no id")));
                    (*ticket, alone)
                })
                .collect()
        }
    }
}

fn commit_all<'a>(
    db: &Database,
    files: impl Iterator<Item = &'a WrittenFile>,
) -> Result<Vec<Known>, AppError> {
    let txn = db.begin_write().map_err(store_error)?;
    let mut known = Vec::new();
    for file in files {
        let settled = written_in(&txn, &file.key, file.replaced)?;
        (file.extra)(&txn, &settled)?;
        known.push(settled);
    }
    txn.commit().map_err(store_error)?;
    Ok(known)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use redb::TableDefinition;

    use super::*;

    const ROWS: TableDefinition<&str, &str> = TableDefinition::new("rows");

    fn db() -> Arc<Database> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("in-memory db");
        crate::catalog::ids::create_tables(&db).expect("tables");
        Arc::new(db)
    }

    fn file(key: &str, fail: bool) -> WrittenFile {
        let key = key.to_owned();
        WrittenFile {
            key: key.clone(),
            replaced: false,
            extra: Box::new(move |txn, known| {
                if fail {
                    return Err(store_error("refused"));
                }
                let mut rows = txn.open_table(ROWS).map_err(store_error)?;
                rows.insert(key.as_str(), known.id.as_str())
                    .map_err(store_error)?;
                Ok(())
            }),
        }
    }

    #[test]
    fn concurrent_writers_all_get_their_own_durable_id() {
        let db = db();
        let group = Arc::new(GroupCommit::default());
        let threads: Vec<_> = (0..32)
            .map(|n| {
                let (db, group) = (Arc::clone(&db), Arc::clone(&group));
                std::thread::spawn(move || group.commit(&db, file(&format!("f{n}"), n == 7)))
            })
            .collect();
        let results: Vec<_> = threads
            .into_iter()
            .map(|thread| thread.join().expect("no panic"))
            .collect();
        let ids = crate::catalog::ids::Ids::new(Arc::clone(&db));
        let txn = db.begin_read().expect("read");
        let rows = txn.open_table(ROWS).expect("rows");
        for (n, result) in results.into_iter().enumerate() {
            if n == 7 {
                assert!(result.is_err(), "the failing file fails alone");
                assert!(rows.get(format!("f{n}").as_str()).expect("get").is_none());
                continue;
            }
            let known = result.expect("committed");
            assert_eq!(ids.id_for(&format!("f{n}")).expect("id"), known.id);
            let row = rows
                .get(format!("f{n}").as_str())
                .expect("get")
                .expect("row");
            assert_eq!(row.value(), known.id, "the extra rows share the commit");
        }
    }
}
