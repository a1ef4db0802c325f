//! What the protocol says about one file or folder: its RFSAPI entry, ETag,
//! timestamps and content type, all derived from filesystem metadata.

use std::fs::Metadata;
use std::time::SystemTime;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Content type of files whose extension says nothing.
pub const FALLBACK_MIME: &str = "application/octet-stream";

/// The content type guessed from `name`'s extension.
pub fn mime_for_name(name: &str) -> String {
    mime_guess::from_path(name)
        .first_raw()
        .unwrap_or(FALLBACK_MIME)
        .to_owned()
}

/// Modification time, or the epoch where the platform has none.
pub fn modified(metadata: &Metadata) -> SystemTime {
    metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH)
}

/// A strong, quoted entity-tag: changes whenever the size, the modification
/// time (to the nanosecond) or the inode (a file replaced by rename) changes.
pub fn etag(metadata: &Metadata) -> String {
    let nanos = OffsetDateTime::from(modified(metadata)).unix_timestamp_nanos();
    format!("\"{:x}-{:x}-{:x}\"", inode(metadata), metadata.len(), nanos)
}

#[cfg(unix)]
fn inode(metadata: &Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(metadata)
}

#[cfg(not(unix))]
fn inode(_metadata: &Metadata) -> u64 {
    0
}

/// RFC 3339 in UTC with nanoseconds, e.g. `2020-04-13T19:12:22.695457919Z`.
pub fn rfc3339(time: SystemTime) -> String {
    // RFC 3339 cannot express years outside 0..=9999; such clocks are broken anyway.
    OffsetDateTime::from(time)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// The HTTP date of `time` (RFC 7231 IMF-fixdate), for `Last-Modified`.
pub fn http_date(time: SystemTime) -> String {
    httpdate::fmt_http_date(time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_keeps_nanoseconds_in_utc() {
        let time = SystemTime::UNIX_EPOCH + Duration::new(1_586_805_142, 695_457_919);
        assert_eq!(rfc3339(time), "2020-04-13T19:12:22.695457919Z");
    }

    #[test]
    fn mime_falls_back_to_octet_stream() {
        assert_eq!(mime_for_name("a b#c?d%e"), FALLBACK_MIME);
        assert_eq!(mime_for_name("x.wasm"), "application/wasm");
        assert_eq!(mime_for_name("notes.txt"), "text/plain");
    }
}
