//! [`Lease`]: one instance at a time runs a job (the scrub, a journaled rename),
//! and another takes over when the holder stops renewing (it died).
//!
//! The lease is a record, `leases/NAME`, holding who has it and until when. It
//! is taken by creating it, or by replacing an expired one at the version read;
//! renewed and released by replacing it at the version the holder wrote last.
//! Every step is a conditional write, so two instances never both hold it. A
//! released lease is an expired record, not a deleted one: S3 has no
//! conditional delete everywhere, and a plain delete could remove a lease just
//! taken by another instance.
//!
//! Expiry compares the record's time with the reader's clock: instances' clocks
//! must agree to well within the lease's length (NTP does; leases last minutes).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{BucketState, Version};
use crate::store::StoreError;

/// What the lease record says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRecord {
    /// Who holds it (an instance's id).
    pub holder: String,
    /// Until when, in milliseconds since the Unix epoch.
    pub until_ms: u64,
}

/// A lease this instance holds.
#[derive(Debug, Clone)]
pub struct Lease {
    key: String,
    holder: String,
    version: Version,
    /// Until when it holds, by this instance's clock.
    pub until: SystemTime,
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

fn record(holder: &str, ttl: Duration) -> (Vec<u8>, u64) {
    let until_ms = now_ms().saturating_add(ttl.as_millis() as u64);
    let record = LeaseRecord {
        holder: holder.to_owned(),
        until_ms,
    };
    (serde_json::to_vec(&record).unwrap_or_default(), until_ms)
}

impl BucketState {
    /// Takes lease `name` for `ttl` as `holder`, if nobody else holds it; `None`
    /// when another holder's lease has not expired (or another instance took it
    /// at the same moment).
    pub async fn acquire(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let key = format!("leases/{name}");
        let (bytes, until_ms) = record(holder, ttl);
        let written = match self.get(&key).await? {
            None => self.create(&key, bytes).await,
            Some(current) => {
                // A record that is not a lease (damaged) counts as expired.
                let held = serde_json::from_slice::<LeaseRecord>(&current.bytes)
                    .ok()
                    .filter(|lease| lease.until_ms > now_ms() && lease.holder != holder);
                if held.is_some() {
                    return Ok(None);
                }
                self.replace(&key, bytes, &current.version).await
            }
        };
        match written {
            Ok(version) => Ok(Some(Lease {
                key,
                holder: holder.to_owned(),
                version,
                until: UNIX_EPOCH + Duration::from_millis(until_ms),
            })),
            Err(StoreError::Exists | StoreError::Precondition) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Extends `lease` by `ttl` from now; [`StoreError::Precondition`] if it was
    /// lost meanwhile (it expired and another instance took it): stop the job.
    pub async fn renew(&self, lease: &mut Lease, ttl: Duration) -> Result<(), StoreError> {
        let (bytes, until_ms) = record(&lease.holder, ttl);
        lease.version = self.replace(&lease.key, bytes, &lease.version).await?;
        lease.until = UNIX_EPOCH + Duration::from_millis(until_ms);
        Ok(())
    }

    /// Gives `lease` up, so another instance may take it at once. A lease lost
    /// meanwhile is not this instance's to release: that is fine.
    pub async fn release(&self, lease: Lease) -> Result<(), StoreError> {
        let released = LeaseRecord {
            holder: lease.holder,
            until_ms: 0,
        };
        let bytes = serde_json::to_vec(&released).unwrap_or_default();
        match self.replace(&lease.key, bytes, &lease.version).await {
            Ok(_) | Err(StoreError::Precondition) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// What lease `name`'s record says now, if there is one (for progress pages and tests).
    pub async fn lease_record(&self, name: &str) -> Result<Option<LeaseRecord>, StoreError> {
        Ok(self
            .get(&format!("leases/{name}"))
            .await?
            .and_then(|record| serde_json::from_slice(&record.bytes).ok()))
    }
}
