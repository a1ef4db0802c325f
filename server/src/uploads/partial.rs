//! [`PartialBytes`]: where a session's bytes wait until the upload completes,
//! behind an interface that does not assume a local file (a later backend keeps
//! parts as S3 multipart parts, one per part). [`LocalPartial`] keeps them in one
//! file per session under `ROOT/.skiff/partial/`, beside the tree, so placing
//! the finished file is an atomic rename.

use std::future::Future;
use std::io::SeekFrom;
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, BufWriter};

use super::body::{copy_body, RequestBody, WRITE_BUFFER};
use crate::disk::place::sync_dir;
use crate::error::AppError;

/// Limits a part body is streamed under.
#[derive(Debug, Clone, Copy)]
pub struct PartLimits {
    /// The part's exact length: more is 400 `bad_part_length`.
    pub len: u64,
    /// The server's `max_chunk`: more is 413 (checked first).
    pub max_chunk: u64,
}

/// Storage for the bytes of unfinished uploads. The blocking methods run on a
/// blocking thread.
pub trait PartialBytes {
    /// Makes room for a `size`-byte upload `id` (blocking). Parts may then land
    /// anywhere in `[0, size)`.
    fn create(&self, id: &str, size: u64) -> Result<(), AppError>;

    /// Streams `body` into bytes `[start, start + limits.len)` of upload `id` and
    /// makes them durable; returns how many bytes came and their SHA-256. A body
    /// that fails (cut, too long) leaves those bytes undefined, never recorded.
    fn write_part(
        &self,
        id: &str,
        start: u64,
        limits: PartLimits,
        body: RequestBody,
    ) -> impl Future<Output = Result<(u64, [u8; 32]), AppError>> + Send;

    /// SHA-256 of the first `len` bytes of upload `id` (blocking; reads them once).
    fn hash(&self, id: &str, len: u64) -> Result<[u8; 32], AppError>;

    /// Removes upload `id`'s bytes; gone already is fine (blocking).
    fn discard(&self, id: &str) -> Result<(), AppError>;
}

/// One sparse file per upload in a folder on the tree's filesystem.
#[derive(Debug, Clone)]
pub struct LocalPartial {
    dir: PathBuf,
}

impl LocalPartial {
    /// Partial files under `dir` (which exists).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The file holding upload `id`'s bytes.
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }
}

impl PartialBytes for LocalPartial {
    fn create(&self, id: &str, size: u64) -> Result<(), AppError> {
        let file = std::fs::File::create(self.path(id))?;
        // Sparse: no block is written until a part lands there.
        file.set_len(size)?;
        file.sync_all()?;
        sync_dir(&self.dir)
    }

    fn write_part(
        &self,
        id: &str,
        start: u64,
        limits: PartLimits,
        body: RequestBody,
    ) -> impl Future<Output = Result<(u64, [u8; 32]), AppError>> + Send {
        let path = self.path(id);
        async move {
            // A handle of its own: other parts write elsewhere in the file at the same time.
            let mut file = tokio::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .await
                .map_err(AppError::from)?;
            file.seek(SeekFrom::Start(start))
                .await
                .map_err(AppError::from)?;
            let mut writer = BufWriter::with_capacity(WRITE_BUFFER, file);
            let mut hasher = Sha256::new();
            let copied = copy_body(
                body,
                &mut writer,
                |total| {
                    if total > limits.max_chunk {
                        Err(AppError::TooLarge {
                            code: "chunk_too_large",
                            message: "the part is larger than max_chunk".to_owned(),
                        })
                    } else if total > limits.len {
                        Err(wrong_length(limits.len))
                    } else {
                        Ok(())
                    }
                },
                |data| hasher.update(data),
            )
            .await?;
            let file = writer.into_inner();
            file.sync_data().await.map_err(AppError::from)?;
            Ok((copied, hasher.finalize().into()))
        }
    }

    fn hash(&self, id: &str, len: u64) -> Result<[u8; 32], AppError> {
        use std::io::Read;
        let file = std::fs::File::open(self.path(id))?;
        let mut hasher = Sha256::new();
        let mut reader = std::io::BufReader::with_capacity(WRITE_BUFFER, file.take(len));
        std::io::copy(&mut reader, &mut hasher)?;
        Ok(hasher.finalize().into())
    }

    fn discard(&self, id: &str) -> Result<(), AppError> {
        match std::fs::remove_file(self.path(id)) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(AppError::from(error)),
        }
    }
}

/// 400: a part body whose length is not the part's.
pub fn wrong_length(expected: u64) -> AppError {
    AppError::BadRequest {
        code: "bad_part_length",
        message: format!("this part must be exactly {expected} bytes"),
    }
}
