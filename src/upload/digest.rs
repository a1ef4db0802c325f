//! SHA-256 for uploads: each chunk's digest for `Upload-Checksum: sha256 <base64>`, and the
//! whole file's digest computed incrementally as chunks go out (never by reading the file
//! twice), compared with the server's at completion.

use sha2::{Digest, Sha256};

/// The incremental whole-file hash of one upload.
#[derive(Clone, Default)]
pub struct FileHasher {
    hasher: Sha256,
    /// Bytes hashed so far: hashing must follow the upload exactly, chunk after chunk.
    hashed: u64,
}

impl FileHasher {
    /// Feeds the chunk that starts at `offset`, hashing only the bytes not hashed yet (a
    /// chunk sent again after a resync may overlap). Returns false, hashing nothing, when
    /// it starts past where the hash stands: a gap.
    pub fn update(&mut self, offset: u64, chunk: &[u8]) -> bool {
        if offset > self.hashed {
            return false;
        }
        let seen = (self.hashed - offset).min(chunk.len() as u64) as usize;
        self.hasher.update(&chunk[seen..]);
        self.hashed += (chunk.len() - seen) as u64;
        true
    }

    /// Bytes hashed so far.
    pub fn hashed(&self) -> u64 {
        self.hashed
    }

    /// The lowercase hex digest of everything fed.
    pub fn finish_hex(self) -> String {
        hex(&self.hasher.finalize())
    }
}

/// `sha256 <base64>`: the `Upload-Checksum` header value for `chunk`.
pub fn chunk_checksum_header(chunk: &[u8]) -> String {
    format!("sha256 {}", base64(&Sha256::digest(chunk)))
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
    fn chunk_checksum_is_sha256_in_base64() {
        // sha256("abc") = ba7816bf… ; its base64 is well known.
        assert_eq!(
            chunk_checksum_header(b"abc"),
            "sha256 ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }

    #[test]
    fn incremental_hash_equals_one_shot_and_refuses_gaps() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut hasher = FileHasher::default();
        assert!(hasher.update(0, &data[..4000]));
        // A chunk sent again (after a lost answer) is already hashed: fine, nothing added.
        assert!(hasher.update(0, &data[..4000]));
        // A gap cannot be hashed.
        assert!(!hasher.update(5000, &data[5000..]));
        // A chunk that overlaps the hashed part (a resync to an unaligned offset) adds
        // only its new bytes.
        assert!(hasher.update(3000, &data[3000..6000]));
        assert_eq!(hasher.hashed(), 6000);
        assert!(hasher.update(6000, &data[6000..]));
        assert_eq!(hasher.hashed(), 10_000);
        assert_eq!(hasher.finish_hex(), hex(&Sha256::digest(&data)));
    }
}
