//! Conditional and partial GETs (RFC 9110 §13–14): `If-None-Match`,
//! `If-Modified-Since`, `If-Range` and a single `Range: bytes=…`.
//!
//! Only what the protocol promises: one range per response; anything we do not
//! understand (multi-range, malformed) degrades to the full 200 response, as the
//! RFC allows, rather than an error.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap};

/// What a `Range` request asks of a file of a known size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// Send everything with 200.
    Full,
    /// Send bytes `start..=end` with 206.
    Partial {
        /// First byte offset.
        start: u64,
        /// Last byte offset, inclusive.
        end: u64,
    },
    /// 416 with `Content-Range: bytes */SIZE`.
    Unsatisfiable,
}

/// Whether `If-None-Match` (or, without it, `If-Modified-Since`) lets us answer 304.
pub fn is_not_modified(headers: &HeaderMap, etag: &str, modified: SystemTime) -> bool {
    if headers.contains_key(header::IF_NONE_MATCH) {
        return if_none_match(headers, etag);
    }
    let Some(since) = single_date(headers, header::IF_MODIFIED_SINCE) else {
        return false;
    };
    unix_seconds(modified) <= unix_seconds(since)
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for it).
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || weak_eq(tag, etag))
}

/// The range to serve, taking `If-Range` into account.
pub fn requested_range(
    headers: &HeaderMap,
    size: u64,
    etag: &str,
    modified: SystemTime,
) -> RangeRequest {
    let mut ranges = headers.get_all(header::RANGE).iter();
    let (Some(range), None) = (ranges.next(), ranges.next()) else {
        return RangeRequest::Full;
    };
    let Ok(range) = range.to_str() else {
        return RangeRequest::Full;
    };
    if !if_range_matches(headers, etag, modified) {
        return RangeRequest::Full;
    }
    parse_range(range, size)
}

/// No `If-Range`, or one naming the current representation (by strong ETag or exact date).
fn if_range_matches(headers: &HeaderMap, etag: &str, modified: SystemTime) -> bool {
    let Some(value) = headers.get(header::IF_RANGE) else {
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        // If-Range needs a strong comparison: a weak tag never matches.
        return value == etag;
    }
    httpdate::parse_http_date(value).is_ok_and(|date| unix_seconds(date) == unix_seconds(modified))
}

/// Parses one `bytes=` range against `size`.
pub fn parse_range(value: &str, size: u64) -> RangeRequest {
    let value = value.trim();
    let Some((unit, spec)) = value.split_once('=') else {
        return RangeRequest::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    match (number(first), number(last)) {
        (None, Some(suffix)) if first.trim().is_empty() => {
            if suffix == 0 || size == 0 {
                return RangeRequest::Unsatisfiable;
            }
            RangeRequest::Partial {
                start: size.saturating_sub(suffix),
                end: size - 1,
            }
        }
        (Some(start), None) if last.trim().is_empty() => {
            if start >= size {
                return RangeRequest::Unsatisfiable;
            }
            RangeRequest::Partial {
                start,
                end: size - 1,
            }
        }
        (Some(start), Some(end)) if start <= end => {
            if start >= size {
                return RangeRequest::Unsatisfiable;
            }
            RangeRequest::Partial {
                start,
                end: end.min(size - 1),
            }
        }
        _ => RangeRequest::Full,
    }
}

/// A decimal with digits only (`u64::from_str` would also take `+5`).
fn number(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Weak comparison: equal opaque tags, ignoring `W/` on either side.
fn weak_eq(a: &str, b: &str) -> bool {
    let opaque = |tag: &str| tag.strip_prefix("W/").unwrap_or(tag).to_owned();
    opaque(a) == opaque(b)
}

fn single_date(headers: &HeaderMap, name: header::HeaderName) -> Option<SystemTime> {
    let value = headers.get(name)?.to_str().ok()?;
    httpdate::parse_http_date(value.trim()).ok()
}

/// HTTP dates have whole seconds; compare at that precision.
fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeRequest::{Full, Partial, Unsatisfiable};

    #[test]
    fn single_ranges() {
        assert_eq!(parse_range("bytes=0-3", 10), Partial { start: 0, end: 3 });
        assert_eq!(parse_range("bytes=4-", 10), Partial { start: 4, end: 9 });
        assert_eq!(parse_range("bytes=-3", 10), Partial { start: 7, end: 9 });
        assert_eq!(parse_range("bytes=-30", 10), Partial { start: 0, end: 9 });
        assert_eq!(parse_range("bytes=5-100", 10), Partial { start: 5, end: 9 });
    }

    #[test]
    fn unsatisfiable_and_ignored_ranges() {
        assert_eq!(parse_range("bytes=10-", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 10), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,3-4", 10), Full);
        assert_eq!(parse_range("bytes=5-2", 10), Full);
        assert_eq!(parse_range("bytes=+1-2", 10), Full);
        assert_eq!(parse_range("items=0-1", 10), Full);
        assert_eq!(parse_range("bytes=-", 10), Full);
        assert_eq!(parse_range("garbage", 10), Full);
    }
}
