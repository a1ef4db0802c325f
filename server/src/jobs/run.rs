//! Running a job under its lease: the files still at the source, in key order,
//! in batches; each batch copied (a move) and deleted, then the record advanced
//! with replace-if-etag (the cursor, done). A lost lease or a record changed by
//! someone else stops this runner: another instance has the job.

use std::time::{Duration, SystemTime};

use futures_util::{StreamExt, TryStreamExt};

use super::{lease_name, parse, tree_path, JobRecord, Jobs, Kind, State, LEASE_TTL};
use crate::bucket_state::Lease;
use crate::store::StoreError;

/// Files per batch (one record write each).
const BATCH: usize = 64;
/// Copies in flight at once.
const COPIES: usize = 4;

impl Jobs {
    /// Runs job `key` to its end while holding `lease`; Ok also when the job
    /// turned out to be another instance's (lost lease).
    pub(super) async fn run(&self, key: &str, lease: Lease) -> Result<(), StoreError> {
        let mut lease = lease;
        let outcome = self.run_held(key, &mut lease).await;
        if let Err(error) = self.state.release(lease).await {
            tracing::warn!(%error, job = key, "cannot release a job's lease");
        }
        match outcome {
            Err(StoreError::Precondition) => Ok(()),
            other => other,
        }
    }

    async fn run_held(&self, key: &str, lease: &mut Lease) -> Result<(), StoreError> {
        let Some(record) = self.state.get(key).await? else {
            return Ok(());
        };
        let mut version = record.version.clone();
        let Some(mut job) = parse(&record) else {
            return Ok(());
        };
        if job.state != State::Running {
            return Ok(());
        }
        let source = tree_path(&job.source)?;
        let target = job.target.as_deref().map(tree_path).transpose()?;
        if job.kind == Kind::Move && target.is_none() {
            return Err(StoreError::WrongKind("a move job without a target"));
        }
        loop {
            // What is still at the source: a crash may have left a batch done
            // but not recorded; it is simply done again.
            let files = self.store.files_in_order(&source).await?;
            if files.is_empty() {
                break;
            }
            job.done = job.total.saturating_sub(files.len() as u64);
            for batch in files.chunks(BATCH) {
                if let Some(target) = &target {
                    let pairs = batch
                        .iter()
                        .map(|(relative, entry)| {
                            let to = tree_path(&join(&target_key(target), relative))?;
                            Ok((entry.key.clone(), to))
                        })
                        .collect::<Result<Vec<_>, StoreError>>()?;
                    futures_util::stream::iter(pairs.into_iter().map(|(from, to)| {
                        let store = self.store.clone();
                        async move {
                            match store.copy_file(&from, &to).await {
                                // Gone from the source: a runner that lost the lease
                                // copied it before deleting it (copy, then delete, always).
                                Err(StoreError::NotFound) => Ok(()),
                                other => other,
                            }
                        }
                    }))
                    .buffer_unordered(COPIES)
                    .try_collect::<Vec<()>>()
                    .await?;
                }
                let keys: Vec<_> = batch.iter().map(|(_, entry)| entry.key.clone()).collect();
                self.store.delete_files(&keys).await?;
                job.done += batch.len() as u64;
                job.total = job.total.max(job.done);
                job.cursor = batch.last().map(|(relative, _)| relative.clone());
                version = self.write(key, &job, &version).await?;
                self.keep(lease).await?;
                pause().await;
            }
        }
        self.store.finish_folder(&source, target.as_ref()).await?;
        job.state = State::Done;
        job.done = job.done.max(job.total);
        job.finished_ms = now_ms();
        self.write(key, &job, &version).await?;
        tracing::info!(job = key, kind = ?job.kind, source = job.source, "job done");
        Ok(())
    }

    async fn write(
        &self,
        key: &str,
        job: &JobRecord,
        version: &crate::bucket_state::Version,
    ) -> Result<crate::bucket_state::Version, StoreError> {
        let bytes = serde_json::to_vec(job).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        self.state.replace(key, bytes, version).await
    }

    /// Renews the lease once less than half of it is left.
    async fn keep(&self, lease: &mut Lease) -> Result<(), StoreError> {
        let left = lease
            .until
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if left < LEASE_TTL / 2 {
            self.state.renew(lease, LEASE_TTL).await?;
        }
        Ok(())
    }

    /// Takes over job `key` if its lease is free; Ok(false) if another holds it.
    pub(super) async fn take_over(&self, key: &str) -> Result<bool, StoreError> {
        // This instance's own running job (a request is running it) is not taken again.
        let name = lease_name(key);
        if let Some(held) = self.state.lease_record(&name).await? {
            if held.holder == self.holder && held.until_ms > now_ms() {
                return Ok(false);
            }
        }
        match self.state.acquire(&name, &self.holder, LEASE_TTL).await? {
            Some(lease) => {
                tracing::info!(job = key, "taking over a job");
                self.run(key, lease).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

fn target_key(target: &skiff_protocol::TreePath) -> String {
    target.segments().join("/")
}

fn join(base: &str, relative: &str) -> String {
    if base.is_empty() {
        relative.to_owned()
    } else {
        format!("{base}/{relative}")
    }
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// The documented test-only knob `SKIFF_TEST_JOB_BATCH_PAUSE_MS`: a pause after
/// each batch, so a test's kill lands mid-job on a fast machine. Unset: none.
async fn pause() {
    let ms = std::env::var("SKIFF_TEST_JOB_BATCH_PAUSE_MS")
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
        .unwrap_or(0);
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}
