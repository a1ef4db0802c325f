//! [`ResumableSha256`]: a SHA-256 whose state can be written down at a 64-byte
//! boundary and taken up again after a restart.
//!
//! A sequential session into a mounted storage sends its bytes on to the store
//! part by part and keeps only the tail here, so after a `kill -9` the bytes
//! before the tail cannot be read back to rebuild the whole-file hasher (S3
//! cannot read an unfinished multipart upload). sha2 0.10's hasher cannot be
//! serialised, so this one runs sha2's own block function (`compress256`) over a
//! state it owns: at every part boundary (a multiple of 64 bytes) the state is
//! eight words and a length, recorded with the part.

use sha2::digest::generic_array::GenericArray;

use super::body::{hex, unhex};

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
const INITIAL: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];
const BLOCK: usize = 64;
/// Blocks handed to `compress256` at once.
const BATCH: usize = 1024;

/// A SHA-256 in progress.
#[derive(Clone, Debug)]
pub struct ResumableSha256 {
    state: [u32; 8],
    /// Bytes consumed so far.
    len: u64,
    /// The bytes of an unfinished block (under 64).
    pending: Vec<u8>,
}

impl Default for ResumableSha256 {
    fn default() -> Self {
        Self {
            state: INITIAL,
            len: 0,
            pending: Vec::with_capacity(BLOCK),
        }
    }
}

impl ResumableSha256 {
    /// How many bytes it has consumed.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Consumes `data`.
    pub fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if !self.pending.is_empty() {
            let take = (BLOCK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() < BLOCK {
                return;
            }
            let block = GenericArray::clone_from_slice(&self.pending);
            sha2::compress256(&mut self.state, &[block]);
            self.pending.clear();
        }
        let whole = data.len() / BLOCK * BLOCK;
        let mut blocks = Vec::with_capacity((whole / BLOCK).min(BATCH));
        for batch in data[..whole].chunks(BATCH * BLOCK) {
            blocks.clear();
            blocks.extend(
                batch
                    .chunks_exact(BLOCK)
                    .map(GenericArray::clone_from_slice),
            );
            sha2::compress256(&mut self.state, &blocks);
        }
        self.pending.extend_from_slice(&data[whole..]);
    }

    /// The digest of everything consumed (the hasher stays usable).
    pub fn finish(&self) -> [u8; 32] {
        let mut state = self.state;
        let mut tail = self.pending.clone();
        tail.push(0x80);
        while tail.len() % BLOCK != BLOCK - 8 {
            tail.push(0);
        }
        tail.extend_from_slice(&self.len.wrapping_mul(8).to_be_bytes());
        let blocks: Vec<_> = tail
            .chunks_exact(BLOCK)
            .map(GenericArray::clone_from_slice)
            .collect();
        sha2::compress256(&mut state, &blocks);
        let mut digest = [0; 32];
        for (out, word) in digest.chunks_exact_mut(4).zip(state) {
            out.copy_from_slice(&word.to_be_bytes());
        }
        digest
    }

    /// The state as text, only at a block boundary (nothing pending).
    pub fn checkpoint(&self) -> Option<String> {
        if !self.pending.is_empty() {
            return None;
        }
        let mut bytes = Vec::with_capacity(40);
        bytes.extend_from_slice(&self.len.to_be_bytes());
        for word in self.state {
            bytes.extend_from_slice(&word.to_be_bytes());
        }
        Some(hex(&bytes))
    }

    /// A hasher back from [`ResumableSha256::checkpoint`]'s text.
    pub fn resume(text: &str) -> Option<Self> {
        let bytes: [u8; 40] = unhex(text)?;
        let (len, words) = bytes.split_at(8);
        let mut state = [0u32; 8];
        for (word, chunk) in state.iter_mut().zip(words.chunks_exact(4)) {
            *word = u32::from_be_bytes(chunk.try_into().ok()?);
        }
        let len = u64::from_be_bytes(len.try_into().ok()?);
        (len % BLOCK as u64 == 0).then(|| Self {
            state,
            len,
            pending: Vec::with_capacity(BLOCK),
        })
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn matches_sha2_whatever_the_pieces() {
        for len in [0, 1, 55, 56, 63, 64, 65, 119, 128, 1000, 200_000] {
            let data = pattern(len);
            let expected: [u8; 32] = Sha256::digest(&data).into();
            let mut whole = ResumableSha256::default();
            whole.update(&data);
            assert_eq!(whole.finish(), expected, "len {len} in one piece");
            let mut pieces = ResumableSha256::default();
            for piece in data.chunks(37) {
                pieces.update(piece);
            }
            assert_eq!(pieces.finish(), expected, "len {len} in pieces");
        }
    }

    #[test]
    fn resumes_from_a_checkpoint() {
        let data = pattern(10_000);
        let mut first = ResumableSha256::default();
        first.update(&data[..64 * 100]);
        let text = first.checkpoint().expect("at a block boundary");
        let mut resumed = ResumableSha256::resume(&text).expect("parsed back");
        assert_eq!(resumed.len(), 6400);
        resumed.update(&data[6400..]);
        assert_eq!(resumed.finish(), <[u8; 32]>::from(Sha256::digest(&data)));
        first.update(&[1]);
        assert_eq!(first.checkpoint(), None, "not at a boundary");
        assert!(ResumableSha256::resume("zz").is_none());
    }
}
