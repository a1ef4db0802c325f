//! Request bodies as the services see them ([`RequestBody`]: a stream of byte
//! frames, no HTTP type), and streaming one to disk frame by frame, never holding
//! it whole in memory (axum's `stream-to-file` example, with limits checked as
//! bytes arrive rather than trusting `Content-Length`).

use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::error::AppError;

/// A request body: its frames as they arrive; an error means the body was cut.
pub type RequestBody = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

pub use crate::disk::place::WRITE_BUFFER;

/// Copies `body` into `out`. Before each frame is written, `admit` sees the running
/// total including it and may refuse (a limit); `observe` sees every byte written
/// (hashing). Returns the number of bytes copied, flushed but not fsync'd.
pub async fn copy_body<W: AsyncWrite + Unpin>(
    mut stream: RequestBody,
    out: &mut W,
    mut admit: impl FnMut(u64) -> Result<(), AppError>,
    mut observe: impl FnMut(&[u8]),
) -> Result<u64, AppError> {
    let mut total: u64 = 0;
    while let Some(frame) = stream.next().await {
        let data = frame.map_err(|error| AppError::BadRequest {
            code: "body_interrupted",
            message: format!("the request body could not be read: {error}"),
        })?;
        total = total.saturating_add(data.len() as u64);
        admit(total)?;
        out.write_all(&data).await.map_err(AppError::from)?;
        observe(&data);
    }
    out.flush().await.map_err(AppError::from)?;
    Ok(total)
}

/// A SHA-256 digest back from the 64 hex digits [`hex`] wrote; `None` for any
/// other text.
pub fn unhex_sha256(text: &str) -> Option<[u8; 32]> {
    unhex(text)
}

/// `N` bytes back from the `2N` hex digits [`hex`] wrote; `None` for any other text.
pub fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// Lowercase hex of a digest.
pub fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    digest
        .iter()
        .fold(String::with_capacity(digest.len() * 2), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}

/// 460 `checksum_mismatch` unless the body's SHA-256 is the promised one
/// (RFC 9530 `Content-Digest`, §2.2).
pub fn verify(promised: Option<[u8; 32]>, computed: &[u8]) -> Result<(), AppError> {
    match promised {
        Some(promised) if promised.as_slice() != computed => Err(AppError::ChecksumMismatch {
            code: "checksum_mismatch",
            message: "the body does not match its Content-Digest; nothing was stored".to_owned(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(crate) fn body_of(bytes: &'static str) -> RequestBody {
    Box::pin(futures_util::stream::once(async move {
        Ok(Bytes::from_static(bytes.as_bytes()))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn copies_and_enforces_the_limit_while_streaming() {
        let mut out = Vec::new();
        let mut seen = 0;
        let copied = copy_body(body_of("hello"), &mut out, |_| Ok(()), |d| seen += d.len())
            .await
            .expect("copied");
        assert_eq!((copied, seen, out.as_slice()), (5, 5, &b"hello"[..]));

        let mut out = Vec::new();
        let refused = copy_body(
            body_of("too long"),
            &mut out,
            |total| {
                if total > 3 {
                    Err(AppError::ReadOnly)
                } else {
                    Ok(())
                }
            },
            |_| {},
        )
        .await;
        assert!(matches!(refused, Err(AppError::ReadOnly)));
        assert!(out.is_empty(), "nothing past the limit is written");
    }

    #[test]
    fn verify_needs_the_promised_digest() {
        assert!(verify(None, &[1]).is_ok());
        assert!(verify(Some([7; 32]), &[7; 32]).is_ok());
        assert!(verify(Some([7; 32]), &[0; 32]).is_err());
    }

    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
