//! Storages on an `s3://` root (issue 13): one record in the bucket,
//! `storages/list`, holds every storage's [`StorageRecord`] by name (the
//! identities of the default and `--config` storages, and the whole definition
//! of those made through the API, credentials included, as the local root keeps
//! them in redb). One record, so an instance learns of any change with one
//! conditional `GET` (`If-None-Match` on the ETag it holds; a 304 carries
//! nothing), and every change is one [`BucketState::update`]: two instances
//! taking one name have one winner, two patches both land.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::bucket_state::{BucketState, Fresh, Version};
use crate::error::AppError;
use crate::store::StoreError;

use super::record::StorageRecord;

/// The record's key under the bucket's `.skiff/state/`.
const KEY: &str = "storages/list";

/// Every storage's record, by name.
pub type Records = BTreeMap<String, StorageRecord>;

/// The bucket's storages record and what this instance last saw of it.
#[derive(Debug)]
pub struct SharedStorages {
    state: BucketState,
    seen: Mutex<Seen>,
    /// One conditional `GET` at a time; requests that arrive while one is on
    /// the wire wait for the next (theirs must start after they arrived).
    checking: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Seen {
    version: Option<Version>,
    /// When the last check that finished was sent.
    checked: Option<Instant>,
}

impl SharedStorages {
    /// Reads the record, adding an identity (a new id) for each of `names`
    /// that has none; runs at startup, before the instance serves.
    pub async fn open(state: BucketState, names: &[String]) -> Result<(Self, Records), StoreError> {
        let added = state
            .update(KEY, |bytes| {
                let mut records = parse(bytes);
                let missing: Vec<&String> = names
                    .iter()
                    .filter(|name| !records.contains_key(*name))
                    .collect();
                if missing.is_empty() {
                    return Ok::<_, StoreError>(None);
                }
                for name in missing {
                    records.insert(name.clone(), StorageRecord::new(None));
                }
                Ok(Some(encode(&records)))
            })
            .await?;
        added?;
        let shared = Self {
            state,
            seen: Mutex::new(Seen::default()),
            checking: tokio::sync::Mutex::new(()),
        };
        let records = shared.changed_since_seen(Instant::now()).await?;
        Ok((shared, records.unwrap_or_default()))
    }

    /// Runs `apply` on the records if they changed since this instance last
    /// read them. Every call sends (or waits for) a conditional `GET` sent after
    /// it began, and returns once what that `GET` found is applied.
    pub async fn check(&self, apply: impl FnOnce(Records)) -> Result<(), StoreError> {
        let arrived = Instant::now();
        let _one = self.checking.lock().await;
        let checked = self.seen().checked;
        if checked.is_some_and(|checked| checked >= arrived) {
            // A check sent after this request arrived has just been applied.
            return Ok(());
        }
        if let Some(records) = self.changed_since_seen(Instant::now()).await? {
            apply(records);
        }
        Ok(())
    }

    async fn changed_since_seen(&self, sent: Instant) -> Result<Option<Records>, StoreError> {
        let (version, checked) = {
            let seen = self.seen();
            (seen.version.clone(), seen.checked)
        };
        let fresh = self.state.get_if_changed(KEY, version.as_ref()).await?;
        // No record, as at the last check (someone removed it): nothing to rebuild.
        let still_absent = version.is_none() && checked.is_some();
        let (records, version) = match fresh {
            Fresh::Same => {
                self.seen().checked = Some(sent);
                return Ok(None);
            }
            Fresh::Absent if still_absent => {
                self.seen().checked = Some(sent);
                return Ok(None);
            }
            Fresh::Absent => (Records::new(), None),
            Fresh::Changed(record) => (parse(Some(&record.bytes)), Some(record.version)),
        };
        let mut seen = self.seen();
        seen.version = version;
        seen.checked = Some(sent);
        Ok(Some(records))
    }

    /// Changes the records with `change` (run again on the winner's records if
    /// another instance wrote first); its error ends the change and is the answer.
    /// Returns the records written.
    pub async fn change(
        &self,
        mut change: impl FnMut(&mut Records) -> Result<(), AppError>,
    ) -> Result<Records, AppError> {
        let written = self
            .state
            .update(KEY, |bytes| {
                let mut records = parse_strict(bytes).map_err(AppError::Store)?;
                change(&mut records)?;
                Ok::<_, AppError>(Some(encode(&records)))
            })
            .await??;
        // The next check reads the record again (its new ETag is not known here).
        self.seen().version = None;
        Ok(parse(written.as_deref()))
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The records in `bytes`; unreadable bytes read as none, with a warning (one
/// bad write must not take every instance down).
fn parse(bytes: Option<&[u8]>) -> Records {
    let Some(bytes) = bytes else {
        return Records::new();
    };
    serde_json::from_slice(bytes).unwrap_or_else(|error| {
        tracing::warn!(%error, "the bucket's storages record is unreadable; read as empty");
        Records::new()
    })
}

/// The records in `bytes`, or why they cannot be read: a change must not
/// write over a record it could not read.
fn parse_strict(bytes: Option<&[u8]>) -> Result<Records, String> {
    bytes.map_or(Ok(Records::new()), |bytes| {
        serde_json::from_slice(bytes)
            .map_err(|error| format!("the bucket's storages record is unreadable: {error}"))
    })
}

fn encode(records: &Records) -> Vec<u8> {
    // A map of plain structs: serialising cannot fail.
    serde_json::to_vec(records).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_identities_read_without_a_definition() {
        let mut records = Records::new();
        records.insert("default".to_owned(), StorageRecord::new(None));
        let bytes = encode(&records);
        assert_eq!(parse(Some(&bytes)), records);
        assert_eq!(parse_strict(Some(&bytes)), Ok(records));
        let old = br#"{"default":{"id":"x","created_at":1}}"#;
        assert_eq!(parse(Some(old))["default"].made, None);
    }

    #[test]
    fn an_unreadable_record_reads_empty_but_a_change_is_refused() {
        assert_eq!(parse(Some(b"not json")), Records::new());
        let refused = parse_strict(Some(b"not json")).expect_err("refused");
        assert!(refused.contains("unreadable"), "{refused}");
        assert_eq!(parse_strict(None), Ok(Records::new()));
    }
}
