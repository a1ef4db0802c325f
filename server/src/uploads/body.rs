//! Streaming a request body to disk, frame by frame, never holding it whole in
//! memory (axum's `stream-to-file` example, with limits checked as bytes arrive
//! rather than trusting `Content-Length`).

use axum::body::Body;
use futures_util::StreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::error::AppError;

/// Buffer between the body's frames and the file, so small frames do not each
/// cost a trip to the blocking pool.
pub const WRITE_BUFFER: usize = 256 * 1024;

/// Copies `body` into `out`. Before each frame is written, `admit` sees the running
/// total including it and may refuse (a limit); `observe` sees every byte written
/// (hashing). Returns the number of bytes copied, flushed but not fsync'd.
pub async fn copy_body<W: AsyncWrite + Unpin>(
    body: Body,
    out: &mut W,
    mut admit: impl FnMut(u64) -> Result<(), AppError>,
    mut observe: impl FnMut(&[u8]),
) -> Result<u64, AppError> {
    let mut stream = body.into_data_stream();
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

/// The request's `Content-Length`, if it sent a valid one.
pub fn content_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(axum::http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn copies_and_enforces_the_limit_while_streaming() {
        let mut out = Vec::new();
        let mut seen = 0;
        let copied = copy_body(
            Body::from("hello"),
            &mut out,
            |_| Ok(()),
            |d| seen += d.len(),
        )
        .await
        .expect("copied");
        assert_eq!((copied, seen, out.as_slice()), (5, 5, &b"hello"[..]));

        let mut out = Vec::new();
        let refused = copy_body(
            Body::from("too long"),
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
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
