//! RFC 9530 digests (PROTOCOL.md general rules, §2.2): reading a request's
//! `Content-Digest`, and the `Repr-Digest` of a file whose SHA-256 we recorded
//! when we wrote it.
//!
//! Only `sha-256` matters to us. The header is an RFC 8941 dictionary that may
//! list several algorithms (`sha-512=:…:, sha-256=:…:`); the others are ignored,
//! as RFC 9530 §2 asks, and a header without `sha-256` is as good as none.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use skiff_protocol::CONTENT_DIGEST_HEADER;

use crate::error::AppError;
use crate::uploads::Uploads;

/// The algorithm key we verify and send.
const SHA256_KEY: &str = "sha-256";

/// The SHA-256 a request's `Content-Digest` promises for its body, if it names
/// one; 400 `bad_digest` if its `sha-256` member is not 32 bytes of base64.
pub fn content_sha256(headers: &HeaderMap) -> Result<Option<[u8; 32]>, AppError> {
    let mut found = None;
    for value in headers.get_all(CONTENT_DIGEST_HEADER) {
        // A header we cannot read as text cannot hold a sha-256 we could check.
        let Ok(text) = value.to_str() else {
            return Err(bad_digest("the Content-Digest header is not ASCII"));
        };
        // Byte sequences are base64, which has no `,`: splitting on it is safe.
        for member in text.split(',') {
            let Some((key, value)) = member.split_once('=') else {
                continue;
            };
            if !key.trim().eq_ignore_ascii_case(SHA256_KEY) {
                continue;
            }
            // Parameters (`;name=value`) may follow the value; we have no use for them.
            let value = value.split(';').next().unwrap_or_default().trim();
            // A repeated key: the last one wins (RFC 8941 dictionaries).
            found = Some(parse_sha256_bytes(value)?);
        }
    }
    Ok(found)
}

/// `:<base64>:` holding exactly 32 bytes.
fn parse_sha256_bytes(value: &str) -> Result<[u8; 32], AppError> {
    let inner = value
        .strip_prefix(':')
        .and_then(|rest| rest.strip_suffix(':'))
        .ok_or_else(|| bad_digest("the sha-256 value must be :<base64>:"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(inner)
        .map_err(|_| bad_digest("the sha-256 value is not base64"))?;
    bytes
        .try_into()
        .map_err(|_| bad_digest("the sha-256 value must be 32 bytes"))
}

fn bad_digest(message: &str) -> AppError {
    AppError::BadRequest {
        code: "bad_digest",
        message: format!("{message} (expected Content-Digest: sha-256=:<base64>:)"),
    }
}

/// `sha-256=:<base64>:` for a digest given as lowercase hex (how the store keeps
/// it); `None` if the text is not 64 hex digits.
pub fn sha256_field(hex: &str) -> Option<HeaderValue> {
    let bytes = crate::uploads::body::unhex_sha256(hex)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    HeaderValue::from_str(&format!("{SHA256_KEY}=:{encoded}:")).ok()
}

/// The SHA-256 recorded when the server last wrote a file, and the ETag the file
/// had then: the digest describes the file only while its ETag is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedDigest {
    /// The file's ETag right after the write.
    pub etag: String,
    /// Lowercase hex SHA-256 of the bytes written.
    pub sha256: String,
}

impl RecordedDigest {
    /// The `Repr-Digest` value for a file whose current ETag is `etag`, if the
    /// record still describes it (else the file changed behind our back).
    pub fn for_etag(&self, etag: &str) -> Option<HeaderValue> {
        (self.etag == etag)
            .then(|| sha256_field(&self.sha256))
            .flatten()
    }
}

/// What the uploads store recorded about the file at `key` (blocking). The one
/// place that reads the record's digest, so a change of its shape stays here.
pub fn recorded(uploads: &Uploads, key: &str) -> Result<Option<RecordedDigest>, AppError> {
    Ok(uploads.store().file(key)?.and_then(|record| {
        Some(RecordedDigest {
            etag: record.etag,
            sha256: record.sha256?,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                CONTENT_DIGEST_HEADER,
                HeaderValue::from_str(value).expect("header"),
            );
        }
        headers
    }

    fn field(bytes: &[u8]) -> String {
        let digest = Sha256::digest(bytes);
        format!(
            "sha-256=:{}:",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    }

    #[test]
    fn finds_sha256_among_other_algorithms() {
        let digest: [u8; 32] = Sha256::digest(b"hello").into();
        let one = field(b"hello");
        assert_eq!(content_sha256(&headers(&[&one])).expect("ok"), Some(digest));
        let several = format!("sha-512=:AAAA:, {one};x=1, unixsum=:zz:");
        assert_eq!(
            content_sha256(&headers(&[&several])).expect("ok"),
            Some(digest)
        );
        let split = ["sha-512=:AAAA:", one.as_str()];
        assert_eq!(content_sha256(&headers(&split)).expect("ok"), Some(digest));
        assert_eq!(content_sha256(&headers(&[])).expect("ok"), None);
        assert_eq!(
            content_sha256(&headers(&["sha-512=:AAAA:, md5=:x:"])).expect("ok"),
            None,
            "no sha-256 is as good as no header"
        );
    }

    #[test]
    fn refuses_a_malformed_sha256() {
        for bad in [
            "sha-256=abc",
            "sha-256=:not base64!:",
            "sha-256=:AAAA:",
            "sha-256=:",
        ] {
            let error = content_sha256(&headers(&[bad])).expect_err(bad);
            assert!(
                matches!(
                    error,
                    AppError::BadRequest {
                        code: "bad_digest",
                        ..
                    }
                ),
                "{bad}: {error:?}"
            );
        }
    }

    #[test]
    fn repr_digest_round_trips_and_needs_the_same_etag() {
        let hex = crate::uploads::body::hex(&Sha256::digest(b"hello"));
        let recorded = RecordedDigest {
            etag: "\"1\"".to_owned(),
            sha256: hex.clone(),
        };
        let value = recorded.for_etag("\"1\"").expect("same etag");
        assert_eq!(value.to_str().expect("ascii"), field(b"hello"));
        assert_eq!(recorded.for_etag("\"2\""), None);
        assert_eq!(sha256_field("abc"), None);
        assert_eq!(sha256_field(&"zz".repeat(32)), None);
    }
}
