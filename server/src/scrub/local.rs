//! The scrub of the default storage (PROTOCOL.md §5): newline-delimited JSON,
//! one [`ChecksumLine`] per file of the tree in key byte order.
//!
//! One blocking task walks the tree (`crate::disk::walk`, so exactly the files the
//! bucket listing has), takes the files in batches (one transaction creates the
//! batch's missing ids, one reads its recorded checksums), hashes each file from
//! disk with a fixed buffer, and sends the lines through a bounded channel into
//! the body. Memory stays flat whatever the tree or file sizes; a client that
//! hangs up stops the work, even in the middle of a big file.
//!
//! A file that vanishes or cannot be read gets a line with `error`; a folder that
//! cannot be read gets one too, so a scrub never skips files silently. If the
//! store fails, the body is cut off (no final chunk), so a client can never take
//! a partial scrub for a whole one.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use skiff_protocol::{ChecksumLine, TreePath};
use tokio::sync::mpsc;

use super::ScrubLines;

use crate::catalog::checksums::recorded_sha256s;
use crate::catalog::ids::Ids;
use crate::disk::paths::resolve_blocking;
use crate::disk::walk::{self, Walked};
use crate::error::AppError;
use crate::services::Services;
use crate::uploads::body::hex;

/// Files per id and checksum transaction.
const BATCH: usize = 512;
/// Bytes of lines gathered before a chunk is handed to the body…
const CHUNK_BYTES: usize = 32 * 1024;
/// …unless this long has passed since the last one (big files hash slowly).
const FLUSH_AFTER: Duration = Duration::from_millis(250);
/// Chunks buffered ahead of a slow client.
const CHUNKS_IN_FLIGHT: usize = 8;
/// Read size while hashing.
const READ_BYTES: usize = 256 * 1024;

type Chunk = Result<Bytes, std::io::Error>;

/// The scrub of the served tree, started now; its lines arrive as they are made.
pub fn checksums(services: &Services) -> ScrubLines {
    let (sender, mut receiver) = mpsc::channel::<Chunk>(CHUNKS_IN_FLIGHT);
    let scrub = Scrub {
        root: services.root().to_path_buf(),
        ids: services.ids().clone(),
        sender,
        batch: Vec::with_capacity(BATCH),
        lines: Vec::with_capacity(CHUNK_BYTES * 2),
        read_buffer: vec![0; READ_BYTES],
        last_flush: Instant::now(),
    };
    tokio::task::spawn_blocking(move || scrub.run());
    Box::pin(futures_util::stream::poll_fn(move |cx| {
        receiver.poll_recv(cx)
    }))
}

/// One scrub, run on a blocking thread.
struct Scrub {
    root: PathBuf,
    ids: Ids,
    sender: mpsc::Sender<Chunk>,
    /// Walked entries waiting for their ids.
    batch: Vec<Walked>,
    /// Serialised lines not sent yet.
    lines: Vec<u8>,
    read_buffer: Vec<u8>,
    last_flush: Instant,
}

impl Scrub {
    fn run(mut self) {
        let root = self.root.clone();
        let flow = walk::files(&root, |walked| {
            self.batch.push(walked);
            if self.batch.len() < BATCH {
                return ControlFlow::Continue(());
            }
            self.check_batch()
        });
        if flow.is_continue() && self.check_batch().is_continue() {
            let _ = self.flush();
        }
    }

    /// Checks and sends the batch; `Break` once the client is gone or the store failed.
    fn check_batch(&mut self) -> ControlFlow<()> {
        let batch = std::mem::take(&mut self.batch);
        let keys: Vec<String> = batch
            .iter()
            .map(|walked| match walked {
                Walked::File { key } | Walked::Unreadable { key, .. } => key.clone(),
            })
            .collect();
        let known = self.ids.ids_for(&keys).and_then(|ids| {
            let entries: Vec<(String, String)> = keys.into_iter().zip(ids).collect();
            let checksums = recorded_sha256s(self.ids.database(), &entries)?;
            Ok((entries, checksums))
        });
        let (entries, checksums) = match known {
            Ok(known) => known,
            Err(error) => return self.fail(&error),
        };
        for ((walked, (key, id)), checksum) in batch.into_iter().zip(entries).zip(checksums) {
            let mut line = ChecksumLine {
                upload_id: id,
                checksum: None,
                checksum_on_disk: None,
                path: Some(format!("/{key}")),
                error: None,
            };
            match walked {
                Walked::File { .. } => {
                    line.checksum = checksum;
                    match self.hash(&key) {
                        Ok(Some(digest)) => line.checksum_on_disk = Some(digest),
                        // The client has gone: nobody is left to tell.
                        Ok(None) => return ControlFlow::Break(()),
                        Err(error) => line.error = Some(error.client_detail()),
                    }
                }
                Walked::Unreadable { error, .. } => {
                    line.error = Some(AppError::from_fs(error).client_detail());
                }
            }
            self.push(&line)?;
        }
        ControlFlow::Continue(())
    }

    /// Lowercase hex SHA-256 of the file at `key`, read now; `None` if the client
    /// hung up meanwhile.
    fn hash(&mut self, key: &str) -> Result<Option<String>, AppError> {
        let path = TreePath::from_segments(key.split('/'))?;
        // Resolved again: the tree may have changed since the walk saw it.
        let canonical = resolve_blocking(&self.root, &path)?;
        // Checked before opening: opening a FIFO that replaced the file would block.
        if !std::fs::metadata(&canonical)
            .map_err(AppError::from_fs)?
            .is_file()
        {
            return Err(AppError::NotFound);
        }
        let mut file = File::open(&canonical).map_err(AppError::from_fs)?;
        let mut hasher = Sha256::new();
        loop {
            if self.sender.is_closed() {
                return Ok(None);
            }
            match file.read(&mut self.read_buffer) {
                Ok(0) => break,
                Ok(read) => hasher.update(&self.read_buffer[..read]),
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(AppError::from_fs(error)),
            }
        }
        Ok(Some(hex(&hasher.finalize())))
    }

    /// Adds a line, sending what is gathered when enough is, or enough time passed.
    fn push(&mut self, line: &ChecksumLine) -> ControlFlow<()> {
        if let Err(error) = serde_json::to_writer(&mut self.lines, line) {
            return self.fail(&AppError::Io(error.into()));
        }
        self.lines.push(b'\n');
        if self.lines.len() >= CHUNK_BYTES || self.last_flush.elapsed() >= FLUSH_AFTER {
            return self.flush();
        }
        ControlFlow::Continue(())
    }

    /// Hands the gathered lines to the body; `Break` once the client is gone.
    fn flush(&mut self) -> ControlFlow<()> {
        self.last_flush = Instant::now();
        if self.lines.is_empty() {
            return ControlFlow::Continue(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.lines));
        match self.sender.blocking_send(Ok(chunk)) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    }

    /// Sends the lines already checked, then cuts the body off.
    fn fail(&mut self, error: &AppError) -> ControlFlow<()> {
        tracing::error!(%error, "scrub stopped");
        if self.flush().is_continue() {
            let _ = self
                .sender
                .blocking_send(Err(std::io::Error::other("the scrub stopped early")));
        }
        ControlFlow::Break(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_file_gone_since_the_walk_gets_an_error_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        std::fs::write(root.join("here.txt"), b"abc").expect("write");
        let db = redb::Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .expect("in-memory db");
        crate::catalog::ids::create_tables(&db).expect("tables");
        let (sender, mut receiver) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let mut scrub = Scrub {
            root,
            ids: Ids::new(Arc::new(db)),
            sender,
            batch: ["gone.txt", "here.txt"]
                .map(|key| Walked::File { key: key.into() })
                .into(),
            lines: Vec::new(),
            read_buffer: vec![0; 16],
            last_flush: Instant::now(),
        };
        assert!(scrub.check_batch().is_continue() && scrub.flush().is_continue());
        let Ok(Ok(chunk)) = receiver.try_recv() else {
            panic!("no lines sent");
        };
        let lines: Vec<ChecksumLine> = std::str::from_utf8(&chunk)
            .expect("UTF-8")
            .lines()
            .map(|line| serde_json::from_str(line).expect("a line"))
            .collect();
        assert_eq!(lines.len(), 2);
        let gone = &lines[0];
        assert_eq!(gone.path.as_deref(), Some("/gone.txt"));
        assert_eq!(
            gone.error.as_ref().map(|e| e.code.as_str()),
            Some("not_found")
        );
        assert_eq!((&gone.checksum, &gone.checksum_on_disk), (&None, &None));
        assert!(!gone.upload_id.is_empty());
        let here = &lines[1];
        assert_eq!(here.error, None);
        assert_eq!(
            here.checksum_on_disk.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }
}
