//! The sorted children of the folder listed last, so that paging through one
//! listing reads the folder once: the first page (no cursor) always reads it
//! afresh, the pages after it reuse that reading while the folder's
//! modification time is unchanged and it is recent. Each entry is still
//! `stat`ed when its page is served, so sizes and times are never stale; a
//! name created while a client pages through may show up only in a new
//! listing, as with S3's paged listings.

use std::fs::DirEntry;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// How long one reading of a folder serves the pages after the first.
const FRESH_FOR: Duration = Duration::from_secs(30);

/// One folder's children with their sort keys, sorted.
pub type Sorted = Arc<Vec<(String, DirEntry)>>;

/// The last folder read for a listing (one is enough: a listing's pages follow
/// each other; another folder's listing only costs a new reading).
#[derive(Default)]
pub struct PageCache {
    last: Mutex<Option<Reading>>,
}

struct Reading {
    dir: PathBuf,
    modified: Option<SystemTime>,
    taken: Instant,
    children: Sorted,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageCache")
    }
}

impl PageCache {
    /// The children of `dir` (canonical) for a page after cursor `after`:
    /// the cached reading if it still holds, else `read()`'s, kept for the
    /// next page.
    pub fn children<E>(
        &self,
        dir: &Path,
        after: Option<&str>,
        read: impl FnOnce() -> Result<Vec<(String, DirEntry)>, E>,
    ) -> Result<Sorted, E> {
        let modified = std::fs::metadata(dir).and_then(|m| m.modified()).ok();
        if after.is_some() {
            let last = self
                .last
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(reading) = last.as_ref().filter(|reading| {
                reading.dir == dir
                    && reading.modified.is_some()
                    && reading.modified == modified
                    && reading.taken.elapsed() < FRESH_FOR
            }) {
                return Ok(Arc::clone(&reading.children));
            }
        }
        let mut children = read()?;
        children.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let children = Arc::new(children);
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *last = Some(Reading {
            dir: dir.to_path_buf(),
            modified,
            taken: Instant::now(),
            children: Arc::clone(&children),
        });
        Ok(children)
    }
}
