//! Component tests in headless Chromium of what the upload engine hashes with: WebCrypto's
//! SHA-256 of a file slice (the digest every part, chunk and small file carries) must be
//! the bytes' SHA-256, whatever the size, and the headers must carry it as the protocol
//! says. Run by `cargo xtask test` with the other browser tests.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Uint8Array};
use skiff::upload::browser_io::{sha256_of, slice};
use skiff::upload::digest::{content_digest, content_hash, sha256, upload_checksum};
use wasm_bindgen_test::*;
use web_sys::Blob;

wasm_bindgen_test_configure!(run_in_browser);

fn blob_of(bytes: &[u8]) -> Blob {
    let parts = Array::of1(&Uint8Array::from(bytes));
    Blob::new_with_u8_array_sequence(&parts).expect("a blob")
}

#[wasm_bindgen_test]
async fn webcrypto_digest_of_a_blob_is_its_sha256() {
    // The test page is a secure context (loopback): WebCrypto is there, so the digests
    // below are WebCrypto's, not the wasm fallback's.
    let subtle = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .map(|crypto| crypto.subtle());
    assert!(subtle.is_some_and(|subtle| !subtle.is_undefined()));
    let digest = sha256_of(&blob_of(b"abc")).await.expect("a digest");
    assert_eq!(
        upload_checksum(&digest),
        "sha256 ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    );
    assert_eq!(
        content_digest(&digest),
        "sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:"
    );
    let empty = sha256_of(&blob_of(b"")).await.expect("a digest");
    assert_eq!(empty, sha256(b""));
}

#[wasm_bindgen_test]
async fn slices_hash_like_their_bytes_and_make_the_content_hash() {
    // 3 MiB + 5 bytes in parts of 1 MiB: WebCrypto over each slice must agree with the
    // wasm SHA-256 of the same bytes, part by part and as a content hash.
    let bytes: Vec<u8> = (0..3 * 1024 * 1024 + 5u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let file = blob_of(&bytes);
    let part = 1024 * 1024;
    let mut browser = Vec::new();
    let mut wasm = Vec::new();
    for start in (0..bytes.len()).step_by(part) {
        let end = (start + part).min(bytes.len());
        let piece = slice(&file, start as u64, end as u64).expect("a slice");
        browser.push(sha256_of(&piece).await.expect("a digest"));
        wasm.push(sha256(&bytes[start..end]));
    }
    assert_eq!(browser.len(), 4);
    assert_eq!(browser, wasm);
    assert_eq!(content_hash(&browser), content_hash(&wasm));
}
