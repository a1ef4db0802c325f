//! The background scrub of a writable `s3://` ROOT, run by one instance at a
//! time under the lease `leases/scrub` (docs/design/scale-out.md): every
//! instance tries for the lease every third of its length; the holder renews it
//! and, every [`every`], clears what the bucket's `.skiff/state` no longer
//! needs; when the holder dies its lease runs out and another instance takes
//! the scrub over at its next try.
//!
//! A pass removes what nobody can use or race on any more:
//! - claim records (`claims/…`, `crate::bucket_state::Claim`) older than
//!   [`KEEP_CLAIMS`]: a claim matters only while its folder is being made
//!   (30 s at most); an old one is what a made, or abandoned, folder left;
//! - part and tail records (`parts/ID/N`, `tails/ID/NAME`) whose session record
//!   `sessions/ID` is gone: left by a session swept (`uploads-sweep`) while a
//!   part was still being recorded, or whose removal was cut short. They are
//!   listed *before* the sessions, so a session made meanwhile is seen with its
//!   parts and never taken for gone.
//!
//! Removing is a plain `DELETE` (S3 has no conditional delete everywhere): a
//! claim that a maker re-took in the instant between the pass's read and its
//! delete would vanish, and a third maker could then claim the same folder
//! while the second still makes it. That takes a folder made again at that
//! very moment, after ten quiet minutes, by three instances at once; it is
//! left at that.
//!
//! Then it writes `scrub/last` (who, when, what it removed), so an operator (and
//! the tests) can see which instance scrubs. The bytes themselves are S3's to
//! keep whole; the streamed `checksums` scrub (`walk.rs`) still reads them on
//! request, on whichever instance is asked.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::bucket_state::{BucketState, Lease};
use crate::store::StoreError;

/// The lease's name (`leases/scrub`).
pub const LEASE: &str = "scrub";
/// Where each pass says what it did.
pub const LAST_PASS: &str = "scrub/last";
/// How old a claim record must be to be removed.
pub const KEEP_CLAIMS: Duration = Duration::from_secs(10 * 60);

/// The lease's length: a dead holder's scrub moves on after at most this.
/// `SKIFF_TEST_SCRUB_LEASE_MS` (a documented test-only knob) shortens it.
fn lease_ttl() -> Duration {
    knob("SKIFF_TEST_SCRUB_LEASE_MS").unwrap_or(Duration::from_secs(60))
}

/// How often the holder makes a pass (`SKIFF_TEST_SCRUB_EVERY_MS` for tests).
fn every() -> Duration {
    knob("SKIFF_TEST_SCRUB_EVERY_MS").unwrap_or(Duration::from_secs(10 * 60))
}

fn knob(name: &str) -> Option<Duration> {
    let ms = std::env::var(name).ok()?.parse::<u64>().ok()?;
    (ms > 0).then(|| Duration::from_millis(ms))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// What the last pass did (the record `scrub/last`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LastPass {
    /// The instance that made it (`PID-UUID`).
    pub holder: String,
    pub started_ms: u64,
    pub finished_ms: u64,
    /// Old claim records removed.
    pub claims: u64,
    /// Part and tail records of gone sessions removed.
    pub orphans: u64,
    /// Passes made by this holder since it took the lease.
    pub passes: u64,
}

/// Starts this instance's scrub loop on `state` (outside a runtime, nothing).
pub fn spawn_shared_scrub(state: &BucketState) {
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    let scrub = SharedScrub {
        state: state.clone(),
        // The process id first, so an operator can tell which instance holds it.
        holder: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
        ttl: lease_ttl(),
    };
    tokio::spawn(async move { scrub.run(every()).await });
}

struct SharedScrub {
    state: BucketState,
    holder: String,
    ttl: Duration,
}

impl SharedScrub {
    async fn run(self, every: Duration) {
        let mut lease: Option<Lease> = None;
        let mut last: Option<Instant> = None;
        let mut passes = 0;
        loop {
            lease = match lease.take() {
                Some(mut held) => match self.state.renew(&mut held, self.ttl).await {
                    Ok(()) => Some(held),
                    Err(error) => {
                        tracing::warn!(%error, "lost the scrub's lease");
                        None
                    }
                },
                None => match self.state.acquire(LEASE, &self.holder, self.ttl).await {
                    Ok(Some(held)) => {
                        tracing::info!(holder = self.holder, "this instance scrubs the bucket");
                        passes = 0;
                        Some(held)
                    }
                    Ok(None) => None,
                    Err(error) => {
                        tracing::warn!(%error, "cannot ask for the scrub's lease");
                        None
                    }
                },
            };
            if let Some(held) = lease.as_mut() {
                if last.is_none_or(|at| at.elapsed() >= every) {
                    last = Some(Instant::now());
                    passes += 1;
                    if let Err(error) = self.pass(held, passes).await {
                        tracing::warn!(%error, "the scrub's pass stopped");
                    }
                }
            }
            tokio::time::sleep(self.ttl / 3).await;
        }
    }

    /// One pass under `lease` (renewed as it goes; a lost lease stops it).
    async fn pass(&self, lease: &mut Lease, passes: u64) -> Result<(), StoreError> {
        let mut done = LastPass {
            holder: self.holder.clone(),
            started_ms: now_ms(),
            passes,
            ..LastPass::default()
        };
        let keep_ms = KEEP_CLAIMS.as_millis() as u64;
        for key in self.state.list("claims").await? {
            let old = self
                .state
                .claim_record(&key)
                .await?
                .is_none_or(|claim| done.started_ms.saturating_sub(claim.at_ms) > keep_ms);
            if old {
                self.state.remove(&key).await?;
                done.claims += 1;
            }
            self.keep(lease).await?;
        }
        // Parts and tails first, then the sessions (see the module's doc).
        let mut records = self.state.list("parts").await?;
        records.extend(self.state.list("tails").await?);
        let sessions: BTreeSet<String> = self
            .state
            .list("sessions")
            .await?
            .into_iter()
            .filter_map(|key| key.strip_prefix("sessions/").map(str::to_owned))
            .collect();
        for key in records {
            let id = key.split('/').nth(1).unwrap_or_default();
            if !sessions.contains(id) {
                self.state.remove(&key).await?;
                done.orphans += 1;
            }
            self.keep(lease).await?;
        }
        done.finished_ms = now_ms();
        if done.claims + done.orphans > 0 {
            tracing::info!(claims = done.claims, orphans = done.orphans, "scrubbed");
        }
        let bytes = serde_json::to_vec(&done).unwrap_or_default();
        self.state
            .update(LAST_PASS, |_| Ok::<_, StoreError>(Some(bytes.clone())))
            .await??;
        Ok(())
    }

    /// Renews `lease` once less than half of it is left.
    async fn keep(&self, lease: &mut Lease) -> Result<(), StoreError> {
        let left = lease
            .until
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if left < self.ttl / 2 {
            self.state.renew(lease, self.ttl).await?;
        }
        Ok(())
    }
}
