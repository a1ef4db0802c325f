//! `mkdir` in the default storage of a writable `s3://` ROOT: the same new
//! folder made through two instances at once has one winner (201) and the
//! other hears 409 `exists`, as for any existing folder (PROTOCOL.md §4).
//!
//! The folder marker's own `If-None-Match: *` is not enough there: SeaweedFS
//! 4.48 sometimes answers two racing conditional PUTs of a key ending in `/`
//! both with 200. So the maker first wins the claim record
//! `claims/folder/HASH` (`crate::bucket_state::Claim`; records are ordinary
//! keys, whose conditions the server does enforce), checks again that nothing
//! is there, writes the marker and marks the claim made. A folder deleted and
//! made again claims the `made` record anew; a claim whose maker died is free
//! after [`STALE`]; the scrub removes old finished claims.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::place::Place;
use super::within::{exists, forget, stat};
use super::Answer;
use crate::catalog::ids::Ids;
use crate::error::AppError;
use crate::jobs::Jobs;
use crate::store::{Store, StoreError};

/// How long a claim stays its maker's: a marker's PUT takes milliseconds, so
/// a claim this old was left by an instance that died.
pub const STALE: Duration = Duration::from_secs(30);

/// Where the claims on new folders live (the scrub sweeps them).
pub const CLAIMS: &str = "claims/folder";

/// The claim record of the folder at tree key `key`.
fn claim_key(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hash: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{CLAIMS}/{hash}")
}

/// Makes folder `from` if nothing is there: 201 with its stat object, else 409.
pub async fn make(
    jobs: &Jobs,
    ids: &Ids,
    store: &Arc<dyn Store>,
    from: &Place,
) -> Result<Answer, AppError> {
    let absent = || async {
        match store.stat(&from.key).await {
            Ok(_) => Err(exists()),
            Err(StoreError::NotFound) => Ok(()),
            Err(error) => Err(AppError::from(error)),
        }
    };
    if from.key.is_root() {
        return Err(exists());
    }
    absent().await?;
    let tree_key = from.tree_key(&from.key);
    let state = jobs.state();
    let claim = state
        .claim(&claim_key(&tree_key), &tree_key, jobs.holder(), STALE)
        .await?
        .ok_or_else(exists)?;
    // Checked again now that the claim is ours: one made just before it shows.
    let made = match absent().await {
        Ok(()) => match store.mkdir_new(&from.key).await {
            Err(StoreError::Exists) => Err(exists()),
            other => other.map_err(AppError::from),
        },
        Err(error) => Err(error),
    };
    if let Err(error) = state.finish_claim(claim).await {
        tracing::warn!(%error, folder = tree_key, "cannot mark a folder's claim made");
    }
    made?;
    // Whatever an earlier entry at this path left in the catalog is not ours.
    forget(ids, tree_key).await?;
    let entry = store.stat(&from.key).await?;
    Ok(Answer::Created(stat(ids, from, &entry).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_keys_are_plain_record_names() {
        let key = claim_key("a b/é#1");
        assert!(key.starts_with("claims/folder/"));
        assert_eq!(key.len(), "claims/folder/".len() + 32);
        assert_ne!(claim_key("a"), claim_key("b"));
    }
}
