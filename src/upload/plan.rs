//! How each file travels, decided without a browser: the route discovery offers, the
//! method a file of a given size takes on it (one `PUT`, parallel parts, sequential
//! chunks), the part size, which parts are still missing, and how many parts to keep in
//! flight. Pure logic, unit-tested natively.

use crate::upload::policy::chunk_size;
use skiff_protocol::{part_count, part_range, UploadSession};

const MIB: u64 = 1024 * 1024;
/// Part size aimed for (PROTOCOL.md leaves it to the client).
pub const TARGET_PART: u64 = 8 * MIB;
/// Parts per file aimed at most: huge files get bigger parts (S3 allows 10,000).
pub const MAX_PARTS: u64 = 10_000;
/// Whole-file `PUT`s of at most this size go several at once on a plain RFSAPI server.
pub const SMALL_PUT: u64 = 8 * MIB;

/// How the server takes uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Resumable sessions (§2) at this absolute URL.
    Sessions {
        /// `{server}{uploads}`.
        endpoint: String,
        /// Discovery's `max_chunk`: the largest chunk or part.
        max_chunk: Option<u64>,
        /// Discovery's `min_part`: present when the server takes parallel parts (§2.1).
        min_part: Option<u64>,
        /// `{server}{batch}`: present when the server takes batches of small files.
        batch: Option<String>,
    },
    /// Plain RFSAPI: `PUT` the whole file (no resume).
    Put,
}

/// How one file goes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// One `PUT` on the tree with `Content-Digest` (§2.2): the file fits one request.
    Small,
    /// A parts session (§2.1) with parts of this size.
    Parts {
        /// Bytes per part.
        part_size: u64,
    },
    /// A sequential session (§2) with chunks of this size.
    Sequential {
        /// Bytes per chunk.
        chunk: u64,
    },
    /// One `PUT` of a large file without a digest (plain RFSAPI, no resume).
    WholePut,
}

impl Method {
    /// Whether this is a one-request upload (many may run at once).
    pub fn is_small(self) -> bool {
        self == Self::Small
    }
}

impl Route {
    /// Where batches of small files go, if the server takes them.
    pub fn batch_url(&self) -> Option<&str> {
        match self {
            Self::Sessions { batch, .. } => batch.as_deref(),
            Self::Put => None,
        }
    }

    /// The method for a file of `size` bytes.
    pub fn method_for(&self, size: u64) -> Method {
        match self {
            Self::Put if size <= SMALL_PUT => Method::Small,
            Self::Put => Method::WholePut,
            Self::Sessions {
                max_chunk,
                min_part,
                ..
            } => match min_part.and_then(|min| part_size(size, min, *max_chunk)) {
                Some(part_size) if size <= part_size => Method::Small,
                Some(part_size) => Method::Parts { part_size },
                None => {
                    let chunk = chunk_size(*max_chunk);
                    if size <= chunk {
                        Method::Small
                    } else {
                        Method::Sequential { chunk }
                    }
                }
            },
        }
    }
}

/// The part size for a `size`-byte file on a server taking parts of `min_part` up to
/// `max_chunk` bytes: [`TARGET_PART`], bigger (whole MiB) when that would make more than
/// [`MAX_PARTS`] parts. `None` when the server's bounds leave no valid size.
pub fn part_size(size: u64, min_part: u64, max_chunk: Option<u64>) -> Option<u64> {
    let max = max_chunk.filter(|max| *max > 0).unwrap_or(u64::MAX);
    let min = min_part.max(1);
    if min > max {
        return None;
    }
    let needed = size.div_ceil(MAX_PARTS).next_multiple_of(MIB);
    Some(TARGET_PART.max(needed).clamp(min, max))
}

/// Part numbers (1-based, ascending) of a `size`-byte file in parts of `part_size` that
/// the server's `parts` ranges (inclusive, as in the session object) do not hold.
pub fn missing_parts(size: u64, part_size: u64, durable: &[[u64; 2]]) -> Vec<u64> {
    let count = part_count(size, part_size);
    (1..=count)
        .filter(|n| !durable.iter().any(|[first, last]| first <= n && n <= last))
        .collect()
}

/// Bytes of a `size`-byte file the server holds durably, as its session object says:
/// the parts it lists for a parts session, else the offset.
pub fn durable_bytes(size: u64, session: &UploadSession) -> u64 {
    match (session.part_size, &session.parts) {
        (Some(part_size), Some(ranges)) if part_size > 0 => {
            let missing: u64 = missing_parts(size, part_size, ranges)
                .into_iter()
                .filter_map(|n| part_range(size, part_size, n))
                .map(|(start, end)| end - start)
                .sum();
            size.saturating_sub(missing)
        }
        _ => session.offset.min(size),
    }
}

/// How many parts go at once: starts at [`Concurrency::START`], grows by one while each
/// step raises the measured throughput, steps back when a step did not pay, and shrinks
/// on errors. Hill climbing over windows of completed parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Concurrency {
    current: usize,
    /// Bytes per millisecond of the previous window, once one ended.
    previous_rate: Option<f64>,
    /// Whether the last change was a step up (to undo if it did not pay).
    grew: bool,
    /// No more growing once a step up did not pay (until an error resets the climb).
    settled: bool,
    window_start_ms: Option<f64>,
    window_bytes: u64,
    window_parts: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Self {
            current: Self::START,
            previous_rate: None,
            grew: false,
            settled: false,
            window_start_ms: None,
            window_bytes: 0,
            window_parts: 0,
        }
    }
}

impl Concurrency {
    /// Parts in flight at first.
    pub const START: usize = 3;
    /// Never fewer (one slow part must not stall the link).
    pub const MIN: usize = 2;
    /// Never more: beyond this they only contend for the same link and disk.
    pub const MAX: usize = 8;
    /// A window must be this long to measure anything.
    const WINDOW_MS: f64 = 500.0;
    /// Throughput must rise by this fraction for a step up to count as paying.
    const GAIN: f64 = 1.1;

    /// Parts to keep in flight now.
    pub fn current(&self) -> usize {
        self.current
    }

    /// Marks when sending started (the first window's start).
    pub fn start(&mut self, now_ms: f64) {
        if self.window_start_ms.is_none() {
            self.window_start_ms = Some(now_ms);
        }
    }

    /// A part of `bytes` became durable at `now_ms`.
    pub fn part_done(&mut self, bytes: u64, now_ms: f64) {
        let Some(started) = self.window_start_ms else {
            // The first part since a failure opens the window: the time it took is unknown.
            self.window_start_ms = Some(now_ms);
            return;
        };
        self.window_bytes += bytes;
        self.window_parts += 1;
        let elapsed = now_ms - started;
        // A window spans at least one part per slot, so the new count had its say.
        if self.window_parts < self.current || elapsed < Self::WINDOW_MS {
            return;
        }
        let rate = self.window_bytes as f64 / elapsed;
        match self.previous_rate {
            Some(previous) if self.grew && rate < previous * Self::GAIN => {
                // The last step up did not pay: step back and stay.
                self.current = (self.current - 1).max(Self::MIN);
                self.grew = false;
                self.settled = true;
            }
            _ if !self.settled && self.current < Self::MAX => {
                self.current += 1;
                self.grew = true;
            }
            _ => self.grew = false,
        }
        self.previous_rate = Some(rate);
        self.window_start_ms = Some(now_ms);
        self.window_bytes = 0;
        self.window_parts = 0;
    }

    /// A part failed (network, server busy, timeout): fewer at once, and measure afresh.
    pub fn part_failed(&mut self) {
        self.current = (self.current - 1).max(Self::MIN);
        self.previous_rate = None;
        self.grew = false;
        self.settled = false;
        self.window_start_ms = None;
        self.window_bytes = 0;
        self.window_parts = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_protocol::part_range;

    fn sessions(max_chunk: Option<u64>, min_part: Option<u64>) -> Route {
        Route::Sessions {
            endpoint: "http://s/.skiff/v1/files".into(),
            max_chunk,
            min_part,
            batch: None,
        }
    }

    #[test]
    fn part_size_aims_at_8_mib_within_the_servers_bounds() {
        assert_eq!(part_size(1 << 30, 5 * MIB, Some(16 * MIB)), Some(8 * MIB));
        assert_eq!(part_size(1 << 30, 1, Some(MIB)), Some(MIB));
        assert_eq!(part_size(1 << 30, 12 * MIB, None), Some(12 * MIB));
        // No valid size: the server's minimum is over its maximum.
        assert_eq!(part_size(1 << 30, 2 * MIB, Some(MIB)), None);
    }

    #[test]
    fn huge_files_get_bigger_parts_so_they_stay_under_10000() {
        let size = 200 * 1024 * MIB; // 200 GiB
        let part = part_size(size, MIB, None).expect("a part size");
        assert!(part > TARGET_PART && part % MIB == 0, "{part}");
        assert!(part_count(size, part) <= MAX_PARTS);
        // The server's maximum still wins (then the server decides about the count).
        assert_eq!(part_size(size, MIB, Some(16 * MIB)), Some(16 * MIB));
    }

    #[test]
    fn the_method_follows_size_and_server() {
        let parts = sessions(Some(16 * MIB), Some(MIB));
        assert_eq!(parts.method_for(0), Method::Small);
        assert_eq!(parts.method_for(8 * MIB), Method::Small);
        assert_eq!(
            parts.method_for(8 * MIB + 1),
            Method::Parts { part_size: 8 * MIB }
        );
        let v1 = sessions(Some(MIB), None);
        assert_eq!(v1.method_for(MIB), Method::Small);
        assert_eq!(v1.method_for(MIB + 1), Method::Sequential { chunk: MIB });
        // Parts impossible (min over max): sequential, as on a v1 server.
        let odd = sessions(Some(MIB), Some(2 * MIB));
        assert_eq!(odd.method_for(3 * MIB), Method::Sequential { chunk: MIB });
        assert_eq!(Route::Put.method_for(10), Method::Small);
        assert_eq!(Route::Put.method_for(SMALL_PUT + 1), Method::WholePut);
    }

    #[test]
    fn durable_bytes_count_the_listed_parts_or_the_offset() {
        let session = |offset, part_size, parts| UploadSession {
            id: "s".into(),
            url: "/u/s".into(),
            offset,
            size: 10 * MIB + 1,
            part_size,
            parts,
            error: None,
        };
        let size = 10 * MIB + 1;
        // Parts 1-2 and the 1-byte part 11.
        let parts = session(0, Some(MIB), Some(vec![[1, 2], [11, 11]]));
        assert_eq!(durable_bytes(size, &parts), 2 * MIB + 1);
        assert_eq!(durable_bytes(size, &session(0, Some(MIB), Some(vec![]))), 0);
        assert_eq!(durable_bytes(size, &session(3 * MIB, None, None)), 3 * MIB);
        // An offset past the size (a confused server) is capped.
        assert_eq!(durable_bytes(size, &session(u64::MAX, None, None)), size);
    }

    #[test]
    fn missing_parts_are_those_outside_the_durable_ranges() {
        let size = 10 * MIB + 1; // 11 parts of 1 MiB, the last 1 byte
        assert_eq!(missing_parts(size, MIB, &[]), (1..=11).collect::<Vec<_>>());
        assert_eq!(
            missing_parts(size, MIB, &[[1, 5], [7, 7], [10, 11]]),
            vec![6, 8, 9]
        );
        assert!(missing_parts(size, MIB, &[[1, 11]]).is_empty());
        // An empty file is one empty part.
        assert_eq!(missing_parts(0, MIB, &[]), vec![1]);
        // The ranges cover the file exactly.
        let covered: u64 = (1..=11)
            .map(|n| part_range(size, MIB, n).map_or(0, |(s, e)| e - s))
            .sum();
        assert_eq!(covered, size);
    }

    /// Drives the controller with a link whose throughput for `n` parts in flight is
    /// `rate(n)` bytes per ms, one part of `part` bytes at a time.
    fn settle(rate: impl Fn(usize) -> f64, rounds: usize) -> Concurrency {
        let mut control = Concurrency::default();
        let part = 8 * MIB;
        let mut now = 0.0;
        control.start(now);
        for _ in 0..rounds {
            now += part as f64 / rate(control.current());
            control.part_done(part, now);
        }
        control
    }

    #[test]
    fn concurrency_grows_while_throughput_rises_and_stops_where_it_does_not() {
        // Throughput rises up to 5 at once, then is flat.
        let control = settle(|n| 100.0 * n.min(5) as f64, 400);
        assert_eq!(control.current(), 5);
        // A link that scales with every extra part climbs to the cap, not past it.
        let control = settle(|n| 100.0 * n as f64, 400);
        assert_eq!(control.current(), Concurrency::MAX);
        // A link that is saturated from the start: one step up that does not pay, then back.
        let control = settle(|_| 300.0, 400);
        assert_eq!(control.current(), Concurrency::START);
    }

    #[test]
    fn errors_shrink_the_count_but_never_below_the_minimum() {
        let mut control = settle(|n| 100.0 * n as f64, 400);
        control.part_failed();
        assert_eq!(control.current(), Concurrency::MAX - 1);
        for _ in 0..20 {
            control.part_failed();
        }
        assert_eq!(control.current(), Concurrency::MIN);
        // After errors the climb starts again.
        let mut now = 0.0;
        for _ in 0..400 {
            now += (8 * MIB) as f64 / (100.0 * control.current() as f64);
            control.part_done(8 * MIB, now);
        }
        assert_eq!(control.current(), Concurrency::MAX);
    }
}
