//! SHA-256 as uploads write it: a part's or chunk's digest as `Upload-Checksum: sha256
//! <base64>` or `Content-Digest: sha-256=:<base64>:` (RFC 9530), and the §2.1
//! `content_hash` built from the parts' digests. The digests themselves come from
//! WebCrypto (`browser_io::sha256_of`); only the content hash (32 bytes per part) and the
//! fallback where WebCrypto is missing hash in wasm.

use sha2::{Digest, Sha256};

/// A raw SHA-256 digest.
pub type Sha256Digest = [u8; 32];

/// SHA-256 of `bytes`, in wasm: for the content hash, and where WebCrypto is missing
/// (pages served over plain HTTP to another machine are not a secure context).
pub fn sha256(bytes: &[u8]) -> Sha256Digest {
    Sha256::digest(bytes).into()
}

/// `sha256 <base64>`: the `Upload-Checksum` header value for a part or chunk.
pub fn upload_checksum(digest: &Sha256Digest) -> String {
    format!("sha256 {}", base64(digest))
}

/// `sha-256=:<base64>:`: the `Content-Digest` header value for a whole body (RFC 9530).
pub fn content_digest(digest: &Sha256Digest) -> String {
    format!("sha-256=:{}:", base64(digest))
}

/// §2.1 `content_hash`: SHA-256 over the concatenated raw digests of every part, in
/// order, as lowercase hex.
pub fn content_hash<'a>(part_digests: impl IntoIterator<Item = &'a Sha256Digest>) -> String {
    let mut hasher = Sha256::new();
    for digest in part_digests {
        hasher.update(digest);
    }
    hex(&hasher.finalize())
}

/// Lowercase hex, as the protocol writes whole-file digests.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out
}

/// The 32 bytes of a 64-digit hex digest (either case), if it is one.
pub fn digest_from_hex(text: &str) -> Option<Sha256Digest> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

/// Standard base64 with padding (RFC 4648 §4); a few lines instead of a dependency.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let b = [
            group[0],
            *group.get(1).unwrap_or(&0),
            *group.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= group.len() {
                out.push(ALPHABET[(n >> shift) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in vectors {
            assert_eq!(base64(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn checksum_headers_carry_sha256_in_base64() {
        // sha256("abc") = ba7816bf… ; its base64 is well known.
        let digest = sha256(b"abc");
        assert_eq!(
            upload_checksum(&digest),
            "sha256 ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
        assert_eq!(
            content_digest(&digest),
            "sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:"
        );
    }

    #[test]
    fn content_hash_is_sha256_over_the_part_digests() {
        // "abcdefghij" in parts of 4: "abcd", "efgh", "ij" (vector from Python's hashlib:
        // sha256(b"".join(sha256(p).digest() for p in parts)).hexdigest()).
        let parts: Vec<Sha256Digest> = [&b"abcd"[..], b"efgh", b"ij"]
            .into_iter()
            .map(sha256)
            .collect();
        assert_eq!(
            content_hash(&parts),
            "39bca6fa3619f67ee4d6f8df51491558560f429920593f7f649119ba3f285ed9"
        );
        // The same from sha2 directly, over the concatenation.
        let concatenated: Vec<u8> = parts.iter().flatten().copied().collect();
        assert_eq!(content_hash(&parts), hex(&Sha256::digest(&concatenated)));
        // An empty file is one empty part.
        assert_eq!(
            content_hash(&[sha256(b"")]),
            "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456"
        );
    }

    #[test]
    fn hex_digests_read_back() {
        let digest = sha256(b"abc");
        assert_eq!(digest_from_hex(&hex(&digest)), Some(digest));
        assert_eq!(digest_from_hex(&hex(&digest).to_uppercase()), Some(digest));
        assert_eq!(digest_from_hex("abc"), None);
        assert_eq!(digest_from_hex(&"g".repeat(64)), None);
    }
}
