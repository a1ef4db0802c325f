//! On-the-fly compression of the server's own JSON (PROTOCOL.md general rules):
//! listings, file and session objects, errors, discovery, the raw and storages
//! APIs, as `zstd`, `br` or `gzip` when `Accept-Encoding` allows, with
//! `Vary: Accept-Encoding`.
//!
//! Only responses marked [`OwnJson`] (by [`super::json::json_response`] and the
//! RFSAPI listing) are candidates: a user's file is never transfer-compressed,
//! even a `.json` one, so `Range`, `ETag` and digests keep meaning the stored
//! bytes. The app's own files are compressed once at build time instead
//! (`app_files.rs`).

use axum::body::HttpBody;
use axum::http::{header, Response, StatusCode};
use tower_http::compression::{CompressionLayer, CompressionLevel, Predicate};

/// Marks a response whose body is JSON the server wrote itself.
#[derive(Debug, Clone, Copy)]
pub struct OwnJson;

/// Marks a page the server made itself: the app's shell with a folder's first
/// screen in it (`first_screen.rs`), which has no precompressed copy.
#[derive(Debug, Clone, Copy)]
pub struct OwnPage;

/// Smaller bodies go out as they are: the encoding's framing and the CPU cost
/// outweigh the saving (an error, a session object).
const MIN_SIZE: u64 = 1024;

/// The compression layer every response passes through.
///
/// Level 1 of every encoding: on the 100,000-entry listing (16 MiB of JSON)
/// zstd 1 and gzip 1 take about 40 ms of CPU for 1.6–1.7 MiB, brotli 1 about
/// 110 ms for 2.0 MiB, while tower-http's defaults (zstd 3, brotli 4, gzip 6)
/// cost 70–510 ms for no smaller a body (docs/protocol-notes.md, "Compression").
pub fn layer() -> CompressionLayer<OwnJsonOnly> {
    CompressionLayer::new()
        .no_deflate()
        .quality(CompressionLevel::Precise(LEVEL))
        .compress_when(OwnJsonOnly)
}

/// The level of every encoding (see [`layer`]).
const LEVEL: i32 = 1;

/// Compress [`OwnJson`] bodies of at least [`MIN_SIZE`] (or of unknown size: a
/// streamed listing), never a partial or empty answer.
#[derive(Debug, Clone, Copy)]
pub struct OwnJsonOnly;

impl Predicate for OwnJsonOnly {
    fn should_compress<B: HttpBody>(&self, response: &Response<B>) -> bool {
        (response.extensions().get::<OwnJson>().is_some()
            || response.extensions().get::<OwnPage>().is_some())
            && !matches!(
                response.status(),
                StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED | StatusCode::NO_CONTENT
            )
            && !response.headers().contains_key(header::CONTENT_RANGE)
            && response
                .body()
                .size_hint()
                .exact()
                .is_none_or(|size| size >= MIN_SIZE)
    }
}
