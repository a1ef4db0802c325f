//! Small helpers both benchmarks share: medians and the formats of their table cells.

// Each bench uses part of these.
#![allow(dead_code)]

use std::time::Duration;

pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;

/// The median run (the mean of the middle two for an even count).
pub fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2
    }
}

/// The median of `values`.
pub fn median_f64(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// `12.3 ms`.
pub fn ms_f64(millis: f64) -> String {
    format!("{millis:.1} ms")
}

/// `100000` → `100,000`.
/// `10000` → `10,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `12.3 s`.
pub fn seconds(time: Duration) -> String {
    format!("{:.1} s", time.as_secs_f64())
}

/// MiB/s moving `bytes` in `time`, as a number.
pub fn mib_per_s(bytes: u64, time: Duration) -> f64 {
    bytes as f64 / MIB as f64 / time.as_secs_f64()
}

/// `527 MiB/s`.
pub fn throughput(bytes: u64, time: Duration) -> String {
    format!("{:.0} MiB/s", mib_per_s(bytes, time))
}

/// `12.3 s (83 MiB/s)`.
pub fn time_and_rate(bytes: u64, time: Duration) -> String {
    format!("{} ({})", seconds(time), throughput(bytes, time))
}

/// `1 GiB`, `1000 MiB`.
pub fn size_label(bytes: u64) -> String {
    if bytes % GIB == 0 {
        format!("{} GiB", bytes / GIB)
    } else {
        format!("{} MiB", bytes / MIB)
    }
}

/// `12.3` (bytes in MiB).
pub fn mib_number(bytes: f64) -> String {
    format!("{:.1}", bytes / MIB as f64)
}

/// `12.3 MiB`.
pub fn mib_label(bytes: f64) -> String {
    format!("{} MiB", mib_number(bytes))
}
