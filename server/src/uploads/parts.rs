//! `PUT {url}/parts/{n}`: one part of a parallel-parts session (PROTOCOL.md §2.1).
//!
//! Parts share the session's gate, so many stream at once, each through its own
//! handle into its own byte range; only sends of the same part wait for each
//! other. Order of durability: a part that is already recorded is first
//! un-recorded (committed), then its bytes are streamed and hashed, checked,
//! fsync'd, and only then is the part recorded (with its digest) and reported.
//! A send that fails anywhere leaves the part missing, never recorded-but-mixed.
//! In a session whose bytes go into its storage (`in_store.rs`) the part
//! streams into the storage's multipart write instead of the partial file, and
//! is recorded with the storage's tag for it.

use std::collections::BTreeMap;
use std::sync::Arc;

use skiff_protocol::{part_range, UploadSession};

use super::body::RequestBody;
use super::partial::{wrong_length, PartLimits, PartialBytes};
use super::session::{now_ms, session_object, SessionLocks, Uploads};
use super::store::{SessionRecord, SessionState, Write};
use crate::blocking::blocking;
use crate::error::AppError;

/// Smallest part size (`min_part` in discovery): 1 MiB (an S3 storage's is
/// 5 MiB, `in_store::S3_MIN_PART`).
pub const MIN_PART: u64 = 1 << 20;

/// Sorted part numbers kept as merged inclusive ranges (`start → end`), so
/// adding, removing and reporting cost the number of gaps, not of parts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PartSet {
    ranges: BTreeMap<u64, u64>,
}

impl PartSet {
    /// The set of `numbers` (any order, duplicates allowed).
    pub fn from_sorted(numbers: impl IntoIterator<Item = u64>) -> Self {
        let mut set = Self::default();
        for n in numbers {
            set.insert(n);
        }
        set
    }

    /// Parts `1..=count`.
    pub fn full(count: u64) -> Self {
        let mut set = Self::default();
        if count > 0 {
            set.ranges.insert(1, count);
        }
        set
    }

    /// Whether part `n` is in the set.
    pub fn contains(&self, n: u64) -> bool {
        self.ranges
            .range(..=n)
            .next_back()
            .is_some_and(|(_, end)| n <= *end)
    }

    /// Adds part `n`, merging it with its neighbours.
    pub fn insert(&mut self, n: u64) {
        if self.contains(n) {
            return;
        }
        let mut start = n;
        let mut end = n;
        if let Some((&left, &left_end)) = self.ranges.range(..n).next_back() {
            if left_end.saturating_add(1) == n {
                start = left;
            }
        }
        if let Some(right_end) = n.checked_add(1).and_then(|next| self.ranges.remove(&next)) {
            end = right_end;
        }
        self.ranges.insert(start, end);
    }

    /// Removes part `n`, splitting its range.
    pub fn remove(&mut self, n: u64) {
        let Some((&start, &end)) = self.ranges.range(..=n).next_back() else {
            return;
        };
        if n > end {
            return;
        }
        self.ranges.remove(&start);
        if start < n {
            self.ranges.insert(start, n - 1);
        }
        if n < end {
            self.ranges.insert(n + 1, end);
        }
    }

    /// How many parts from part 1 on are all present.
    pub fn prefix(&self) -> u64 {
        self.ranges.get(&1).copied().unwrap_or(0)
    }

    /// The wire form: sorted inclusive ranges.
    pub fn ranges(&self) -> Vec<[u64; 2]> {
        self.ranges
            .iter()
            .map(|(&start, &end)| [start, end])
            .collect()
    }
}

/// One part as the request gave it.
pub struct Part<'a> {
    /// The part number as written in the URL (checked by [`check_part`]).
    pub number: &'a str,
    /// The announced length (`Content-Length`), if any.
    pub announced: Option<u64>,
    /// SHA-256s the client promised (`Upload-Checksum`, `Content-Digest`).
    pub checksums: [Option<[u8; 32]>; 2],
    /// The bytes.
    pub body: RequestBody,
}

/// The checks made before anything else is read: the part number (400
/// `bad_part`) and an announced length over `max_chunk` (413).
pub fn check_part(
    uploads: &Uploads,
    number: &str,
    announced: Option<u64>,
) -> Result<u64, AppError> {
    let n: u64 = number
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| bad_part(number))?;
    if announced.is_some_and(|length| length > uploads.max_chunk) {
        return Err(AppError::TooLarge {
            code: "chunk_too_large",
            message: "the part is larger than max_chunk".to_owned(),
        });
    }
    Ok(n)
}

/// `PUT {url}/parts/{number}`: the session once the part is durable.
pub async fn put_part(
    uploads: &Arc<Uploads>,
    id: &str,
    part: Part<'_>,
) -> Result<UploadSession, AppError> {
    let Part {
        number,
        announced,
        checksums,
        body,
    } = part;
    let n = check_part(uploads, number, announced)?;
    if let Some(shared) = uploads.shared() {
        let part = Part {
            number,
            announced,
            checksums,
            body,
        };
        return super::shared::put_part(uploads, shared, id, n, part).await;
    }
    // Shared: other parts of this session go on meanwhile.
    let (_gate, locks, record) = uploads.share(id).await?;
    let part_size = open_parts_session(uploads, &locks, &record).await?;
    let (start, end) = part_range(record.size, part_size, n).ok_or_else(|| bad_part(number))?;
    let len = end - start;
    if announced.is_some_and(|length| length != len) {
        return Err(wrong_length(len));
    }
    let _sending = locks.send_part(n).await;
    let recorded = durable(uploads, &locks, &record.id).await?;
    if recorded.contains(n) {
        // A re-send replaces the part: un-record it before its bytes change.
        let after = Arc::clone(&locks);
        uploads
            .store()
            .commit_then(
                vec![Write::Unpart {
                    id: record.id.clone(),
                    n,
                }],
                Some(Box::new(move || {
                    after.update_durable(|parts| parts.remove(n))
                })),
            )
            .await?;
    }
    let limits = PartLimits {
        len,
        max_chunk: uploads.max_chunk,
    };
    let (digest, tag) = if record.in_store.is_some() {
        // Straight into the storage's multipart write, checked on the way.
        super::in_store_parts::send_part(uploads, &record, n, limits, checksums, body).await?
    } else {
        let (copied, digest) = uploads
            .partial
            .write_part(&record.id, start, limits, body)
            .await?;
        if copied != len {
            return Err(wrong_length(len));
        }
        if checksums
            .iter()
            .flatten()
            .any(|expected| *expected != digest)
        {
            return Err(AppError::ChecksumMismatch {
                code: "part_checksum_mismatch",
                message: "the part's SHA-256 does not match its checksum header".to_owned(),
            });
        }
        (digest, String::new())
    };
    let after = Arc::clone(&locks);
    uploads
        .store()
        .commit_then(
            vec![Write::Part {
                id: record.id.clone(),
                n,
                digest,
                tag,
                touched_ms: now_ms(),
            }],
            Some(Box::new(move || {
                after.update_durable(|parts| parts.insert(n))
            })),
        )
        .await?;
    let parts = durable(uploads, &locks, &record.id).await?;
    Ok(session_object(&record, Some(&parts)))
}

/// The part size of an open parts session; 409 otherwise.
async fn open_parts_session(
    uploads: &Arc<Uploads>,
    locks: &Arc<SessionLocks>,
    record: &SessionRecord,
) -> Result<u64, AppError> {
    let Some(part_size) = record.part_size else {
        return Err(AppError::SessionConflict {
            code: "not_parts",
            message: "this session takes sequential chunks (POST with Upload-Offset), not parts"
                .to_owned(),
            session: Box::new(session_object(record, None)),
        });
    };
    if record.state != SessionState::Open {
        let parts = durable(uploads, locks, &record.id).await?;
        return Err(closed(record, &parts));
    }
    Ok(part_size)
}

/// The session's durable parts (loaded from the store on first use).
pub async fn durable(
    uploads: &Arc<Uploads>,
    locks: &Arc<SessionLocks>,
    id: &str,
) -> Result<PartSet, AppError> {
    let uploads = Arc::clone(uploads);
    let locks = Arc::clone(locks);
    let id = id.to_owned();
    blocking(move || uploads.durable_parts(&locks, &id)).await
}

/// 409 `session_closed`: a completed or failed session takes no more parts.
pub fn closed(record: &SessionRecord, parts: &PartSet) -> AppError {
    AppError::SessionConflict {
        code: "session_closed",
        message: "the session is completed or failed; it takes no more parts".to_owned(),
        session: Box::new(session_object(record, Some(parts))),
    }
}

fn bad_part(number: &str) -> AppError {
    AppError::BadRequest {
        code: "bad_part",
        message: format!("{number:?} is not a part number of this session"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sets_merge_and_split() {
        let mut set = PartSet::from_sorted([4, 1, 2]);
        assert_eq!(set.ranges(), vec![[1, 2], [4, 4]]);
        assert_eq!(set.prefix(), 2);
        set.insert(3);
        assert_eq!(set.ranges(), vec![[1, 4]]);
        set.remove(2);
        assert_eq!(set.ranges(), vec![[1, 1], [3, 4]]);
        assert!(!set.contains(2) && set.contains(3) && set.contains(4) && !set.contains(5));
        set.remove(1);
        assert_eq!((set.prefix(), set.ranges()), (0, vec![[3, 4]]));
        set.remove(9);
        set.insert(4);
        assert_eq!(set.ranges(), vec![[3, 4]]);
        assert_eq!(PartSet::full(3).ranges(), vec![[1, 3]]);
    }
}
