//! Upload decisions that need no browser: how big each chunk is, which failures are
//! worth retrying and after how long, and how a file is recognised after a reload.
//! Pure functions, unit-tested natively.

/// Default chunk size (PROTOCOL.md leaves it to the client; the issue asks for 8 MiB).
pub const DEFAULT_CHUNK: u64 = 8 * 1024 * 1024;
/// Files uploaded at the same time unless configured otherwise.
pub const DEFAULT_PARALLEL: usize = 3;
/// First retry delay; doubles each attempt up to [`MAX_BACKOFF_MS`].
const BASE_BACKOFF_MS: f64 = 500.0;
/// Retry delays never grow past this.
const MAX_BACKOFF_MS: f64 = 30_000.0;

/// The chunk size to use: ours, unless the server's `max_chunk` is smaller.
pub fn chunk_size(server_max: Option<u64>) -> u64 {
    match server_max {
        Some(max) if max > 0 => DEFAULT_CHUNK.min(max),
        _ => DEFAULT_CHUNK,
    }
}

/// The byte range `[start, end)` of the chunk that starts at `offset`.
pub fn chunk_range(offset: u64, size: u64, chunk: u64) -> (u64, u64) {
    let start = offset.min(size);
    (start, start.saturating_add(chunk.max(1)).min(size))
}

/// What to do after a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Try the same request again later (network drop, 5xx, 408/423/429).
    Retry,
    /// Ask the server where it is and continue from its offset (409).
    Resync,
    /// The session is gone (404/410): start over with a new one.
    Restart,
    /// Give up and tell the user why (any other 4xx, 460 on the whole file).
    Fail,
}

/// How to recover from HTTP `status` (`None`: no answer at all, e.g. the network dropped).
pub fn recovery_for(status: Option<u16>) -> Recovery {
    match status {
        None => Recovery::Retry,
        Some(409) => Recovery::Resync,
        Some(404 | 410) => Recovery::Restart,
        // A chunk whose checksum did not match was damaged on the way: send it again.
        Some(460) => Recovery::Retry,
        Some(408 | 423 | 429) => Recovery::Retry,
        // Not implemented is never transient: a server saying so (an `s3://` root
        // refusing what it cannot share yet) is answered in words, not retried.
        Some(501) => Recovery::Fail,
        Some(status) if status >= 500 => Recovery::Retry,
        Some(_) => Recovery::Fail,
    }
}

/// Delay before retry number `attempt` (0-based): capped exponential backoff with "full
/// jitter" (`random` in `[0, 1)`), so many clients that failed together do not return together.
pub fn backoff_ms(attempt: u32, random: f64) -> f64 {
    let ceiling = (BASE_BACKOFF_MS * 2f64.powi(attempt.min(16) as i32)).min(MAX_BACKOFF_MS);
    // Never zero: a tight retry loop against a server that is down helps nobody.
    (ceiling * random.clamp(0.0, 1.0)).max(BASE_BACKOFF_MS / 2.0)
}

/// What identifies "the same upload" across a page reload: the file as the browser
/// describes it, where it goes, and to which server.
pub fn fingerprint(
    server: &str,
    target: &str,
    name: &str,
    size: u64,
    last_modified: f64,
) -> String {
    format!("skiff-upload:v1:{server}|{target}|{name}|{size}|{last_modified}")
}

/// What to do when the target name already exists on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictChoice {
    /// Overwrite it (atomically, when the upload completes).
    Replace,
    /// Upload under the next free name: `report (1).pdf`.
    KeepBoth,
    /// Leave the existing file alone and do not upload this one.
    Skip,
}

/// `report.pdf` → `report (n).pdf`; `archive.tar.gz` → `archive (n).tar.gz`; `.bashrc` →
/// `.bashrc (n)`: the copy number goes before the extension people think of as the type.
pub fn numbered_name(name: &str, n: u32) -> String {
    let split = match name.find('.') {
        Some(0) | None => None,
        Some(first_dot) => {
            // Keep double extensions like `.tar.gz` together, but only short ones.
            let rest = &name[first_dot..];
            if rest.len() <= 8 {
                Some(first_dot)
            } else {
                name.rfind('.')
            }
        }
    };
    match split {
        Some(dot) => format!("{} ({n}){}", &name[..dot], &name[dot..]),
        None => format!("{name} ({n})"),
    }
}

/// Upload speed in bytes per second from an exponentially weighted moving average, so
/// the ETA does not jump with every progress event.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SpeedMeter {
    bytes_per_second: Option<f64>,
    last: Option<(f64, u64)>,
}

impl SpeedMeter {
    /// Weight of the newest sample.
    const SMOOTHING: f64 = 0.2;

    /// Records that `bytes` in total were sent at `now_ms`.
    pub fn sample(&mut self, now_ms: f64, bytes: u64) {
        if let Some((then, sent)) = self.last {
            let elapsed = (now_ms - then) / 1000.0;
            if elapsed < 0.2 {
                return; // too close to measure; keep the previous sample as the base
            }
            let rate = bytes.saturating_sub(sent) as f64 / elapsed;
            self.bytes_per_second = Some(match self.bytes_per_second {
                Some(previous) => previous + Self::SMOOTHING * (rate - previous),
                None => rate,
            });
        }
        self.last = Some((now_ms, bytes));
    }

    /// Forgets the history (after a pause: the gap is not slowness).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Bytes per second, once two samples exist.
    pub fn bytes_per_second(&self) -> Option<f64> {
        self.bytes_per_second
    }

    /// Seconds until `remaining` bytes are sent at the current speed.
    pub fn eta_seconds(&self, remaining: u64) -> Option<f64> {
        self.bytes_per_second
            .filter(|speed| *speed > 1.0)
            .map(|speed| remaining as f64 / speed)
    }
}

/// `1 h 02 min`, `3 min 05 s`, `42 s`: an ETA for people.
pub fn human_eta(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    match (total / 3600, total % 3600 / 60, total % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s:02} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_file_exactly() {
        let size = 20 * 1024 * 1024 + 5;
        let mut offset = 0;
        let mut chunks = 0;
        while offset < size {
            let (start, end) = chunk_range(offset, size, DEFAULT_CHUNK);
            assert_eq!(start, offset);
            assert!(end > start && end - start <= DEFAULT_CHUNK);
            offset = end;
            chunks += 1;
        }
        assert_eq!((offset, chunks), (size, 3));
        assert_eq!(chunk_range(size, size, DEFAULT_CHUNK), (size, size));
        assert_eq!(chunk_range(0, 0, DEFAULT_CHUNK), (0, 0));
    }

    #[test]
    fn server_limit_lowers_the_chunk_size() {
        assert_eq!(chunk_size(None), DEFAULT_CHUNK);
        assert_eq!(chunk_size(Some(1024)), 1024);
        assert_eq!(chunk_size(Some(1 << 40)), DEFAULT_CHUNK);
        assert_eq!(chunk_size(Some(0)), DEFAULT_CHUNK);
    }

    #[test]
    fn only_transient_failures_are_retried() {
        assert_eq!(recovery_for(None), Recovery::Retry);
        for status in [408, 423, 429, 460, 500, 502, 503] {
            assert_eq!(recovery_for(Some(status)), Recovery::Retry, "{status}");
        }
        assert_eq!(recovery_for(Some(409)), Recovery::Resync);
        assert_eq!(recovery_for(Some(404)), Recovery::Restart);
        assert_eq!(recovery_for(Some(410)), Recovery::Restart);
        for status in [400, 401, 403, 412, 413, 415, 501] {
            assert_eq!(recovery_for(Some(status)), Recovery::Fail, "{status}");
        }
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        assert!(backoff_ms(0, 1.0) <= 500.0);
        assert_eq!(backoff_ms(3, 1.0), 4000.0);
        assert_eq!(backoff_ms(30, 1.0), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(30, 0.0), 250.0);
        assert!(backoff_ms(5, 0.5) < backoff_ms(5, 0.9));
    }

    #[test]
    fn fingerprints_differ_when_anything_differs() {
        let base = fingerprint("http://a", "/x/", "f.bin", 10, 1.0);
        assert_eq!(base, fingerprint("http://a", "/x/", "f.bin", 10, 1.0));
        assert_ne!(base, fingerprint("http://b", "/x/", "f.bin", 10, 1.0));
        assert_ne!(base, fingerprint("http://a", "/y/", "f.bin", 10, 1.0));
        assert_ne!(base, fingerprint("http://a", "/x/", "g.bin", 10, 1.0));
        assert_ne!(base, fingerprint("http://a", "/x/", "f.bin", 11, 1.0));
        assert_ne!(base, fingerprint("http://a", "/x/", "f.bin", 10, 2.0));
    }

    #[test]
    fn speed_is_smoothed_and_gives_an_eta() {
        let mut meter = SpeedMeter::default();
        assert_eq!(meter.eta_seconds(100), None);
        meter.sample(0.0, 0);
        meter.sample(1000.0, 1000);
        assert_eq!(meter.bytes_per_second(), Some(1000.0));
        meter.sample(2000.0, 3000);
        let speed = meter.bytes_per_second().expect("a speed");
        assert!((speed - 1200.0).abs() < 1e-9, "{speed}");
        assert_eq!(meter.eta_seconds(2400), Some(2.0));
        meter.reset();
        assert_eq!(meter.bytes_per_second(), None);
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(numbered_name("report.pdf", 1), "report (1).pdf");
        assert_eq!(numbered_name("archive.tar.gz", 2), "archive (2).tar.gz");
        assert_eq!(numbered_name("notes", 3), "notes (3)");
        assert_eq!(numbered_name(".bashrc", 1), ".bashrc (1)");
        assert_eq!(
            numbered_name("v1.2.3-release-candidate.zip", 1),
            "v1.2.3-release-candidate (1).zip"
        );
    }

    #[test]
    fn eta_reads_like_a_person_would_say_it() {
        assert_eq!(human_eta(42.4), "42 s");
        assert_eq!(human_eta(185.0), "3 min 05 s");
        assert_eq!(human_eta(3720.0), "1 h 02 min");
    }
}
