//! [`Claim`]: one instance at a time makes a thing whose own write the S3
//! server does not reliably condition (a folder marker `name/`: SeaweedFS 4.48
//! sometimes lets two racing `If-None-Match: *` PUTs of such a key both through,
//! while it does enforce them on ordinary keys, which records are).
//!
//! The claim is a record (`claims/…`), `making` while its claimant works and
//! `made` once it is done. It is taken by creating it, or by replacing, at the
//! version read, a `made` one (the thing was made before and, as the caller
//! checked, is gone again: a folder deleted and made anew) or a `making` one
//! older than the caller's `stale` (its claimant died). A fresh `making` one is
//! someone else's: the caller lost. Every step is a conditional write, so two
//! instances never both win.
//!
//! The caller checks that the thing is absent *before* claiming and again
//! *after* winning: a claimant that finished between the first check and the
//! claim left a `made` record the late one may take, and only the second check
//! sees what it made.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::lease::now_ms;
use super::{BucketState, Version};
use crate::store::StoreError;

/// Where a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimState {
    /// The claimant is making it.
    Making,
    /// Done (or given up): whoever finds the thing gone may claim it again.
    Made,
}

/// What a claim record says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRecord {
    /// What is claimed, for an operator reading the bucket (a tree key).
    pub what: String,
    /// Who claimed it (an instance's id).
    pub holder: String,
    pub state: ClaimState,
    /// When it was claimed or, once made, finished (ms since the Unix epoch).
    pub at_ms: u64,
}

/// A claim this instance won.
#[derive(Debug)]
pub struct Claim {
    key: String,
    record: ClaimRecord,
    version: Version,
}

fn encode(record: &ClaimRecord) -> Vec<u8> {
    serde_json::to_vec(record).unwrap_or_default()
}

impl BucketState {
    /// Claims record `key` for making `what` as `holder`: `None` if another
    /// instance is making it (claimed less than `stale` ago) or won the claim
    /// at the same moment.
    pub async fn claim(
        &self,
        key: &str,
        what: &str,
        holder: &str,
        stale: Duration,
    ) -> Result<Option<Claim>, StoreError> {
        let record = ClaimRecord {
            what: what.to_owned(),
            holder: holder.to_owned(),
            state: ClaimState::Making,
            at_ms: now_ms(),
        };
        let written = match self.get(key).await? {
            None => self.create(key, encode(&record)).await,
            Some(current) => {
                let stale_ms = u64::try_from(stale.as_millis()).unwrap_or(u64::MAX);
                // A record that is not a claim (damaged) counts as an abandoned one.
                let busy = serde_json::from_slice::<ClaimRecord>(&current.bytes)
                    .ok()
                    .filter(|held| {
                        held.state == ClaimState::Making
                            && now_ms().saturating_sub(held.at_ms) < stale_ms
                    });
                if busy.is_some() {
                    return Ok(None);
                }
                self.replace(key, encode(&record), &current.version).await
            }
        };
        match written {
            Ok(version) => Ok(Some(Claim {
                key: key.to_owned(),
                record,
                version,
            })),
            Err(StoreError::Exists | StoreError::Precondition) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Marks `claim` made (also when making failed: the caller's next check of
    /// the thing decides). A claim taken over meanwhile (this claimant was
    /// taken for dead) is not this instance's to change: that is fine.
    pub async fn finish_claim(&self, claim: Claim) -> Result<(), StoreError> {
        let made = ClaimRecord {
            state: ClaimState::Made,
            at_ms: now_ms(),
            ..claim.record
        };
        match self
            .replace(&claim.key, encode(&made), &claim.version)
            .await
        {
            Ok(_) | Err(StoreError::Precondition) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// What claim record `key` says now, if there is one (for the scrub and tests).
    pub async fn claim_record(&self, key: &str) -> Result<Option<ClaimRecord>, StoreError> {
        Ok(self
            .get(key)
            .await?
            .and_then(|record| serde_json::from_slice(&record.bytes).ok()))
    }
}
