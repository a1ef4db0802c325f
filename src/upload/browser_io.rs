//! Small browser I/O the upload engine needs: reading a slice of a file, the browser's
//! idea of being online, and sleeping without blocking.

use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

/// `Blob.slice(start, end).arrayBuffer()` as bytes in JS memory.
pub async fn read_slice(file: &File, start: u64, end: u64) -> Option<Uint8Array> {
    let slice = file.slice_with_f64_and_f64(start as f64, end as f64).ok()?;
    let buffer = JsFuture::from(slice.array_buffer()).await.ok()?;
    Some(Uint8Array::new(&buffer))
}

/// `navigator.onLine` (true where the browser does not say).
pub fn is_online() -> bool {
    web_sys::window().is_none_or(|window| window.navigator().on_line())
}

/// Resolves after `ms` milliseconds (a `setTimeout`).
pub async fn sleep_ms(ms: f64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ =
                window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}
