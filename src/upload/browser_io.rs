//! Small browser I/O the upload engine needs: slices of a file, their SHA-256 through
//! WebCrypto, the browser's idea of being online, and sleeping without blocking.

use crate::upload::digest::{sha256, Sha256Digest};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

/// `blob.slice(start, end)`: a view on the file, no bytes read.
pub fn slice(blob: &Blob, start: u64, end: u64) -> Option<Blob> {
    blob.slice_with_f64_and_f64(start as f64, end as f64).ok()
}

/// The SHA-256 of `blob`'s bytes: read once (`arrayBuffer()`), digested by WebCrypto
/// (native code, off the wasm heap).
/// Where WebCrypto is missing (not a secure context) the bytes are hashed in wasm
/// instead. `None` when the browser can no longer read the file.
pub async fn sha256_of(blob: &Blob) -> Option<Sha256Digest> {
    let buffer = JsFuture::from(blob.array_buffer()).await.ok()?;
    digest_buffer(&buffer).await
}

/// The bytes of a small `blob` and their SHA-256 (WebCrypto, or wasm where it is
/// missing): for tiny files, whose bytes are cheaper to send from memory than as a `Blob`
/// (each `Blob` body costs the page's main thread a trip through the browser's blob
/// machinery, which dominated 10,000-file drops).
pub async fn bytes_and_sha256(blob: &Blob) -> Option<(Uint8Array, Sha256Digest)> {
    let buffer = JsFuture::from(blob.array_buffer()).await.ok()?;
    let digest = digest_buffer(&buffer).await?;
    Some((Uint8Array::new(&buffer), digest))
}

/// SHA-256 of an `ArrayBuffer`. The buffer is left to the garbage collector: detaching
/// it at once (`transfer(0)`) looked like freeing it, but kept Chromium's renderer about
/// a whole file's size larger while a 1 GiB file was read (upload bench, `memlab`).
async fn digest_buffer(buffer: &JsValue) -> Option<Sha256Digest> {
    let subtle = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .map(|crypto| crypto.subtle())
        .filter(|subtle| !subtle.is_undefined());
    if let Some(subtle) = subtle {
        if let Ok(promise) =
            subtle.digest_with_str_and_buffer_source("SHA-256", buffer.unchecked_ref())
        {
            let digest = Uint8Array::new(&JsFuture::from(promise).await.ok()?);
            let mut out = [0u8; 32];
            return (digest.length() == 32).then(|| {
                digest.copy_to(&mut out);
                out
            });
        }
    }
    Some(sha256(&Uint8Array::new(buffer).to_vec()))
}

/// `navigator.onLine` (true where the browser does not say).
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|window| window.navigator().on_line())
}

/// Resolves after `ms` milliseconds (a `setTimeout`): only for backoff waits, never on
/// the hot path (hidden tabs throttle timers).
pub async fn sleep_ms(ms: f64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}
