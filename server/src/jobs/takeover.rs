//! Every instance on an S3 root polls the job records every few seconds and
//! takes over a running job whose lease has expired (its instance died), one
//! at a time; finished records older than ten minutes are removed (a client
//! retrying a finished call has had its answer by then).

use std::time::Duration;

use super::run::now_ms;
use super::{parse, Jobs, State};
use crate::store::StoreError;

const POLL: Duration = Duration::from_secs(3);
const KEEP_DONE_MS: u64 = 10 * 60 * 1000;

/// Starts the poller of `jobs` (outside a runtime, nothing).
pub fn spawn_takeover(jobs: &Jobs) {
    if tokio::runtime::Handle::try_current().is_err() {
        return;
    }
    let jobs = jobs.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(POLL).await;
            if let Err(error) = jobs.sweep().await {
                tracing::warn!(%error, "cannot look for jobs to take over");
            }
        }
    });
}

impl Jobs {
    async fn sweep(&self) -> Result<(), StoreError> {
        for key in self.state.list("jobs").await? {
            let Some(job) = self.state.get(&key).await?.as_ref().and_then(parse) else {
                continue;
            };
            match job.state {
                State::Running => {
                    self.take_over(&key).await?;
                }
                State::Done if now_ms().saturating_sub(job.finished_ms) > KEEP_DONE_MS => {
                    self.state.remove(&key).await?;
                }
                State::Done => {}
            }
        }
        Ok(())
    }
}
