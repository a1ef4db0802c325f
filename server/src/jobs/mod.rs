//! Journaled folder jobs on an `s3://` ROOT (docs/design/scale-out.md, step 5):
//! a move or delete of a folder there is a copy and a delete per object, so it
//! runs as a job recorded in the bucket, `.skiff/state/jobs/ID`, that any
//! instance can finish.
//!
//! The record (create-if-absent, then advanced with replace-if-etag) holds the
//! kind, source, target, the last key done (the cursor), done/total objects and
//! the state; the job runs under the lease `job-ID`. Files go in key order in
//! batches; each step is idempotent, so a job resumed after a crash finishes
//! with every object once at the target and none at the source.
//!
//! The id is a hash of (kind, source, target): a client retrying the same call
//! lands on the same record and waits for it instead of starting another one.
//!
//! - `run.rs`: running a job under its lease, batch by batch
//! - `takeover.rs`: the background task that takes over jobs whose lease expired

mod run;
mod takeover;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use skiff_protocol::TreePath;

use crate::bucket_state::{BucketState, Record};
use crate::error::AppError;
use crate::store::s3::S3Store;
use crate::store::StoreError;

pub use takeover::spawn_takeover;

/// How long a job's lease lasts without renewal: an instance killed mid-job
/// leaves it to another after at most this (plus a poll).
const LEASE_TTL: Duration = Duration::from_secs(12);
/// How often a waiting request reads the record.
const WAIT_POLL: Duration = Duration::from_millis(250);

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Move,
    Delete,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Running,
    Done,
}

/// The record `jobs/ID`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRecord {
    pub kind: Kind,
    /// Tree keys (names joined by `/`) in the default storage.
    pub source: String,
    pub target: Option<String>,
    /// The last key (relative to `source`) done.
    pub cursor: Option<String>,
    pub done: u64,
    pub total: u64,
    pub state: State,
    /// When it ended (ms since the epoch; 0 while running).
    #[serde(default)]
    pub finished_ms: u64,
}

impl JobRecord {
    /// Whether `key` (a tree key) is the job's source or target, or inside or
    /// above either.
    fn touches(&self, key: &str) -> bool {
        let overlaps = |end: &str| {
            key == end
                || end.is_empty()
                || key.is_empty()
                || key.starts_with(&format!("{end}/"))
                || end.starts_with(&format!("{key}/"))
        };
        overlaps(&self.source) || self.target.as_deref().is_some_and(overlaps)
    }

    /// The job in words, with its progress.
    pub fn sentence(&self) -> String {
        let what = match (&self.kind, &self.target) {
            (Kind::Move, Some(target)) => format!("a move of /{} to /{target}", self.source),
            _ => format!("a delete of /{}", self.source),
        };
        format!(
            "{what} is under way ({} of {} objects done); try again once it has finished",
            self.done, self.total
        )
    }
}

/// The jobs of one S3 root: its records and its bytes.
#[derive(Debug, Clone)]
pub struct Jobs {
    state: BucketState,
    store: S3Store,
    /// This instance, as a lease holder.
    holder: String,
}

/// The record key of the job doing `kind` from `source` to `target`.
fn job_key(kind: Kind, source: &str, target: Option<&str>) -> String {
    let mut hash = Sha256::new();
    hash.update(format!(
        "{kind:?}\0{source}\0{}",
        target.unwrap_or_default()
    ));
    let digest = hash.finalize();
    let id: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("jobs/{id}")
}

fn parse(record: &Record) -> Option<JobRecord> {
    serde_json::from_slice(&record.bytes).ok()
}

fn tree_path(key: &str) -> Result<TreePath, StoreError> {
    if key.is_empty() {
        return Ok(TreePath::root());
    }
    TreePath::from_segments(key.split('/')).map_err(|_| StoreError::WrongKind("not a tree key"))
}

/// How a call met an earlier job for the same thing.
pub enum Earlier {
    /// None (or one long finished whose source is back): go on as usual.
    None,
    /// It is finished (the call is a retry): answer success.
    Finished,
}

impl Jobs {
    pub fn new(state: BucketState, store: S3Store) -> Jobs {
        Jobs {
            state,
            store,
            holder: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// The records of the root's bucket.
    pub fn state(&self) -> &BucketState {
        &self.state
    }

    /// This instance, as a lease or claim holder.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Before a move or delete of `source`: if a job for exactly this call is
    /// running, waits for it; `Finished` if it is done and `source` is gone (a
    /// retry of a call that succeeded).
    pub async fn earlier(
        &self,
        kind: Kind,
        source: &str,
        target: Option<&str>,
    ) -> Result<Earlier, AppError> {
        let key = job_key(kind, source, target);
        let Some(record) = self.state.get(&key).await? else {
            return Ok(Earlier::None);
        };
        let Some(job) = parse(&record) else {
            return Ok(Earlier::None);
        };
        if job.state == State::Running {
            self.wait(&key).await?;
            return Ok(Earlier::Finished);
        }
        if self.exists(source).await? {
            Ok(Earlier::None)
        } else {
            Ok(Earlier::Finished)
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        use crate::store::Store;
        match self.store.stat(&tree_path(key)?).await {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// 409 `job_running` if a running job touches any of `keys` (tree keys).
    pub async fn refuse_busy(&self, keys: &[&str]) -> Result<(), AppError> {
        refuse_busy(&self.state, keys).await
    }

    /// Runs `kind` on folder `source` (to `target`) as a job and waits for it:
    /// the record is made (or a finished one for the same call replaced), this
    /// instance runs it if it gets the lease, and the call returns once it is done.
    pub async fn run_folder_job(
        &self,
        kind: Kind,
        source: &str,
        target: Option<&str>,
    ) -> Result<(), AppError> {
        let key = job_key(kind, source, target);
        let total = self.store.files_in_order(&tree_path(source)?).await?.len() as u64;
        let job = JobRecord {
            kind,
            source: source.to_owned(),
            target: target.map(str::to_owned),
            cursor: None,
            done: 0,
            total,
            state: State::Running,
            finished_ms: 0,
        };
        let bytes = serde_json::to_vec(&job).map_err(|e| AppError::Io(std::io::Error::other(e)))?;
        let made = match self.state.get(&key).await? {
            Some(old) if parse(&old).is_some_and(|old| old.state == State::Done) => {
                self.state.replace(&key, bytes, &old.version).await
            }
            Some(_) => Err(StoreError::Exists),
            None => self.state.create(&key, bytes).await,
        };
        match made {
            Ok(_) => {
                if let Some(lease) = self
                    .state
                    .acquire(&lease_name(&key), &self.holder, LEASE_TTL)
                    .await?
                {
                    let jobs = self.clone();
                    let running = key.clone();
                    // Spawned: the job goes on if the client hangs up.
                    let handle = tokio::spawn(async move { jobs.run(&running, lease).await });
                    match handle.await {
                        Ok(Ok(())) => {}
                        Ok(Err(error)) => return Err(error.into()),
                        Err(error) => return Err(AppError::Io(std::io::Error::other(error))),
                    }
                }
            }
            // Another request for the same call made it first: wait for that one.
            Err(StoreError::Exists | StoreError::Precondition) => {}
            Err(error) => return Err(error.into()),
        }
        self.wait(&key).await
    }

    /// Waits until job `key` is done (another instance may be running it).
    async fn wait(&self, key: &str) -> Result<(), AppError> {
        loop {
            match self.state.get(key).await? {
                Some(record) => match parse(&record) {
                    Some(job) if job.state == State::Running => {}
                    _ => return Ok(()),
                },
                // Only a finished record is ever removed (10 minutes after it
                // ended): one gone while waited for is not a success to report.
                None => {
                    return Err(AppError::Io(std::io::Error::other(
                        "the job's record disappeared before it finished; ask again",
                    )))
                }
            }
            tokio::time::sleep(WAIT_POLL).await;
        }
    }
}

/// 409 `job_running` (its sentence says how far the job is) if a running job
/// in `state` touches any of `keys` (tree keys: at, inside or above its source
/// or target). For every write into the tree of an `s3://` ROOT: the raw API,
/// `PUT`/`DELETE`, and upload sessions at create and complete.
pub async fn refuse_busy(state: &BucketState, keys: &[&str]) -> Result<(), AppError> {
    for key in state.list("jobs").await? {
        let Some(job) = state.get(&key).await?.as_ref().and_then(parse) else {
            continue;
        };
        if job.state == State::Running && keys.iter().any(|k| job.touches(k)) {
            return Err(AppError::Conflict {
                code: "job_running",
                message: job.sentence(),
            });
        }
    }
    Ok(())
}

/// The lease a job runs under.
fn lease_name(key: &str) -> String {
    format!("job-{}", key.trim_start_matches("jobs/"))
}
