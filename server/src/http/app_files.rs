//! The app's files as sent (PROTOCOL.md general rules, "Compression"): the
//! variant `cargo xtask build` compressed once beside each file (`x.wasm.br`,
//! `x.wasm.gz`) that `Accept-Encoding` allows, and the shell's validator.
//!
//! A `dist` without those files (Trunk's own, `trunk serve`'s) is sent plain:
//! compressing a 1 MiB wasm with brotli on every request would cost more CPU
//! than a development server is worth, and gzip on the fly would hide a release
//! build that lost its precompressed files.

use axum::http::{header, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

/// The precompressed variants, in the order we prefer them: (`Content-Encoding`,
/// file suffix). The same pairs as xtask's `compress.rs` writes.
const VARIANTS: [(&str, &str); 2] = [("br", "br"), ("gzip", "gz")];

/// The variants `Accept-Encoding` allows, best first.
pub fn acceptable(headers: &HeaderMap) -> impl Iterator<Item = (&'static str, &'static str)> {
    let offered: Vec<(String, bool)> = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|list| list.split(','))
        .filter_map(parse_coding)
        .collect();
    VARIANTS.into_iter().filter(move |(coding, _)| {
        // A coding named outright wins over `*`; `q=0` refuses it.
        offered
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(coding))
            .or_else(|| offered.iter().find(|(name, _)| name == "*"))
            .is_some_and(|(_, wanted)| *wanted)
    })
}

/// `gzip;q=0.5` → (`gzip`, wanted): wanted unless its q-value is zero.
fn parse_coding(item: &str) -> Option<(String, bool)> {
    let mut parts = item.split(';');
    let name = parts.next()?.trim();
    if name.is_empty() {
        return None;
    }
    let wanted = parts
        .filter_map(|param| param.split_once('='))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case("q"))
        .is_none_or(|(_, q)| q.trim().parse::<f32>().is_ok_and(|q| q > 0.0));
    Some((name.to_owned(), wanted))
}

/// A weak validator of `bytes` (weak: the shell goes out plain or compressed).
pub fn etag_of(bytes: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    HeaderValue::from_str(&format!("W/\"{hex}\"")).unwrap_or(HeaderValue::from_static("W/\"\""))
}

/// Whether Trunk fingerprinted the name (`skiff-1a2b3c4d5e6f7a8b_bg.wasm`): such a
/// file never changes under its name, so browsers may cache it for good.
pub fn is_hashed(name: &str) -> bool {
    // Any path component counts: wasm-bindgen snippets live in hashed folders.
    name.split(['/', '-', '_', '.'])
        .any(|piece| piece.len() >= 16 && piece.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &str) -> Vec<&'static str> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).expect("a header value"),
        );
        acceptable(&headers).map(|(coding, _)| coding).collect()
    }

    #[test]
    fn accept_encoding_is_negotiated() {
        assert_eq!(accepting("gzip, deflate, br, zstd"), ["br", "gzip"]);
        assert_eq!(accepting("gzip"), ["gzip"]);
        assert_eq!(accepting("br;q=0, gzip;q=0.5"), ["gzip"]);
        assert_eq!(accepting("*"), ["br", "gzip"]);
        assert_eq!(accepting("*;q=0, GZIP"), ["gzip"]);
        assert_eq!(accepting("identity"), Vec::<&str>::new());
        assert!(acceptable(&HeaderMap::new()).next().is_none());
    }

    #[test]
    fn trunk_hashes_are_recognised() {
        assert!(is_hashed("skiff-1a2b3c4d5e6f7a8b_bg.wasm"));
        assert!(is_hashed("skiff-1a2b3c4d5e6f7a8b.js"));
        assert!(is_hashed("snippets/x-0123456789abcdef/inline0.js"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("favicon.ico"));
    }
}
