//! The locks of a live session. An async read-write gate: appends, completion
//! and abort hold it exclusively; parts (§2.1) share it, so different parts of
//! one session stream at the same time while only sends of the same part wait
//! for each other (a mutex per part).
//!
//! The whole-file SHA-256 of a sequential session is computed incrementally while
//! chunks arrive and kept in memory under the gate (sha2's hasher state cannot be
//! serialised). After a restart the hasher is rebuilt once, lazily, by hashing
//! the durable prefix of the partial file; the stored `offset` is the source of
//! truth, and the in-memory hasher is used only if it covers exactly that offset.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use sha2::Sha256;
use tokio::sync::{OwnedMutexGuard, RwLock};

use super::parts::PartSet;

/// In-memory companion of a session, guarded by its gate.
#[derive(Default)]
pub struct Live {
    /// Whole-file hasher and the offset it has consumed up to.
    pub hasher: Option<(u64, Sha256)>,
    /// The same for a session whose bytes go into its storage (`in_store_tail.rs`).
    pub resumable: Option<(u64, super::resumable_sha::ResumableSha256)>,
}

/// The locks and cached state of one live session.
#[derive(Default)]
pub struct SessionLocks {
    pub(super) gate: Arc<RwLock<Live>>,
    /// One mutex per part being sent right now (entries go when unused).
    sending: Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
    /// The durable parts, once loaded from the store; kept in step by the
    /// committer, so it never reports a part that is not durable.
    pub durable: Mutex<Option<PartSet>>,
}

/// Held while part `n` is being sent; the next send of `n` waits for it.
pub struct SendingPart {
    locks: Arc<SessionLocks>,
    n: u64,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Drop for SendingPart {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut sending = self
            .locks
            .sending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only the map holds it: nobody waits for this part.
        if sending
            .get(&self.n)
            .is_some_and(|mutex| Arc::strong_count(mutex) == 1)
        {
            sending.remove(&self.n);
        }
    }
}

impl SessionLocks {
    /// Waits until nobody else is sending part `n`, and holds it.
    pub async fn send_part(self: &Arc<Self>, n: u64) -> SendingPart {
        let mutex = {
            let mut sending = self.sending.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(sending.entry(n).or_default())
        };
        let guard = mutex.lock_owned().await;
        SendingPart {
            locks: Arc::clone(self),
            n,
            guard: Some(guard),
        }
    }

    /// Runs `change` on the durable parts if they are loaded (the committer's
    /// after-commit step; when not loaded, the next load reads the store).
    pub fn update_durable(&self, change: impl FnOnce(&mut PartSet)) {
        let mut durable = self.durable.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(parts) = durable.as_mut() {
            change(parts);
        }
    }
}
