//! Expiry of the shared sessions (`shared/mod.rs`): one instance at a time (lease
//! `uploads-sweep`) removes the sessions idle for the session TTL (since their
//! creation, their last part or chunk, or their completion): the S3 upload
//! aborted, the records removed.

use std::sync::Arc;
use std::time::Duration;

use super::super::session::{is_session_id, now_ms, Uploads};
use super::{session_key, state_error, Phase, Shared};
use crate::disk::place::key_path;
use crate::error::AppError;

/// The lease under which one instance at a time sweeps the shared sessions.
const SWEEP_LEASE: &str = "uploads-sweep";
/// How long a sweep may hold its lease (it gives it up when done).
const SWEEP_HOLD: Duration = Duration::from_secs(300);

/// Sweeps the bucket's expired sessions every half TTL (1 s to 60 s), for as
/// long as `uploads` lives.
pub fn spawn_sweeper(uploads: &Arc<Uploads>) {
    let period = (uploads.ttl / 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let weak = Arc::downgrade(uploads);
    let holder = uuid::Uuid::new_v4().simple().to_string();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let Some(uploads) = weak.upgrade() else {
                break;
            };
            match sweep(&uploads, &holder).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "expired shared upload sessions reclaimed"),
                Err(error) => tracing::warn!(%error, "shared upload session sweep failed"),
            }
        }
    });
}

/// Removes the sessions idle for the TTL, under the sweep's lease (none if
/// another instance holds it): how many.
async fn sweep(uploads: &Arc<Uploads>, holder: &str) -> Result<usize, AppError> {
    let Some(shared) = uploads.shared() else {
        return Ok(0);
    };
    let Some(lease) = shared
        .state
        .acquire(SWEEP_LEASE, holder, SWEEP_HOLD)
        .await
        .map_err(state_error)?
    else {
        return Ok(0);
    };
    let ttl_ms = u64::try_from(uploads.ttl.as_millis()).unwrap_or(u64::MAX);
    let swept = sweep_held(uploads, shared, ttl_ms).await;
    if let Err(error) = shared.state.release(lease).await {
        tracing::warn!(%error, "cannot release the sweep's lease (it expires on its own)");
    }
    swept
}

async fn sweep_held(
    uploads: &Arc<Uploads>,
    shared: &Shared,
    ttl_ms: u64,
) -> Result<usize, AppError> {
    let now = now_ms();
    let mut removed = 0;
    for key in shared.state.list("sessions").await.map_err(state_error)? {
        let Some(id) = key.rsplit('/').next().filter(|id| is_session_id(id)) else {
            continue;
        };
        let (session, _) = match shared.session(id).await {
            Ok(found) => found,
            Err(AppError::UnknownSession) => continue,
            Err(error) => return Err(error),
        };
        let mut last = match &session.phase {
            Phase::Completed { created_at, .. } => {
                u64::try_from(*created_at).unwrap_or(0).saturating_mul(1000)
            }
            Phase::Completing { since_ms } => *since_ms,
            Phase::Open | Phase::Failed => session
                .sequential
                .as_ref()
                .map_or(session.created_ms, |sequential| {
                    sequential.touched_ms.max(session.created_ms)
                }),
        };
        if now.saturating_sub(last) < ttl_ms {
            continue;
        }
        if matches!(session.phase, Phase::Open) {
            // Parts keep a session alive.
            let parts = shared.part_records(id).await?;
            last = parts
                .iter()
                .map(|(_, part)| part.touched_ms)
                .fold(last, u64::max);
            if now.saturating_sub(last) < ttl_ms {
                continue;
            }
        }
        if !matches!(session.phase, Phase::Completed { .. }) {
            let path = key_path(&session.key)?;
            // A storage removed since leaves nothing this instance can abort.
            if let Ok(target) = session.target(uploads) {
                target.store.multipart_abort(&path, &session.upload).await?;
            }
        }
        shared.drop_parts(id).await;
        shared
            .state
            .remove(&session_key(id))
            .await
            .map_err(state_error)?;
        removed += 1;
    }
    Ok(removed)
}
