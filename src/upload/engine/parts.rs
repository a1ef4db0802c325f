//! A §2.1 parts session: several parts in flight at once (as many as `plan::Concurrency`
//! finds pays), in any order, each a `Blob` slice of the file hashed by WebCrypto just
//! before it goes (the bytes are read once, to hash, and dropped: the browser then
//! streams the slice from disk). The 32-byte digests are kept, and `complete` checks the
//! server's `content_hash` against the one they make.
//!
//! Resuming (after a pause, a reload, a lost connection) asks the server which parts are
//! durable and sends only the others.

use super::part::{PartResult, Shared};
use super::session::{self, Opened};
use super::{
    error_code, error_message, exchange, open, still_wanted, stopped_by_user, unreadable,
    wait_to_retry, Stop,
};
use crate::upload::browser_io::{sha256_of, slice};
use crate::upload::digest::{content_hash, Sha256Digest};
use crate::upload::item::UploadItem;
use crate::upload::persist::{self, PartDigests};
use crate::upload::plan::{missing_parts, Concurrency};
use crate::upload::policy::{recovery_for, Recovery};
use crate::upload::worker_io;
use futures::stream::{FuturesUnordered, StreamExt};
use leptos::prelude::*;
use skiff_protocol::{
    part_count, part_range, FileObject, UploadComplete, UploadSession, COMPLETE_SEGMENT,
};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use web_sys::File;

/// Sessions lost one after another before giving up (a server that keeps forgetting).
const MAX_RESTARTS: u32 = 5;
/// Least time between two saves of the part digests (a save writes them all).
const SAVE_EVERY_MS: f64 = 1000.0;

/// Uploads `file` through a parts session at `endpoint`, parts of `part_size` bytes.
pub(super) async fn upload(
    item: UploadItem,
    token: u64,
    file: &File,
    server: &str,
    endpoint: &str,
    part_size: u64,
) -> Result<(), Stop> {
    let fingerprint = item.fingerprint.get_value();
    let saved_digests = persist::load(&fingerprint).map(|saved| saved.part_digests);
    let (opened, saved_digests) = match session::resume(&fingerprint, server, true).await {
        Some(opened) => (opened, saved_digests.unwrap_or_default()),
        None => (
            session::create(item, token, server, endpoint, Some(part_size)).await?,
            String::new(),
        ),
    };
    let mut upload = PartsUpload::new(item, file, server, opened, &saved_digests);
    let mut restarts = 0u32;
    loop {
        let step = match upload.send_missing(token).await {
            Ok(()) => upload.complete(token).await,
            Err(step) => Err(step),
        };
        match step {
            Ok(true) => return Ok(()),
            // Parts the server says are missing: send them, then complete again.
            Ok(false) => {}
            Err(Step::Stop(Stop::ByUser)) => {
                upload.save();
                return stopped_by_user(item, server, &upload.url, &fingerprint).await;
            }
            Err(Step::Stop(stop)) => return Err(stop),
            Err(Step::Restart) if restarts < MAX_RESTARTS => {
                restarts += 1;
                persist::forget(&fingerprint);
                let opened =
                    session::create(item, token, server, endpoint, Some(part_size)).await?;
                upload = PartsUpload::new(item, file, server, opened, "");
            }
            Err(Step::Restart) => {
                return Err(Stop::Failed(
                    "the server keeps losing the upload session".into(),
                ))
            }
        }
    }
}

/// One part's request in flight, resolving to its number and what came of it.
type PartJob = Pin<Box<dyn Future<Output = (u64, PartResult)>>>;

/// Why sending stopped short.
enum Step {
    /// The session is closed or gone: start a new one.
    Restart,
    /// Stop the upload.
    Stop(Stop),
}

impl From<Stop> for Step {
    fn from(stop: Stop) -> Self {
        Self::Stop(stop)
    }
}

/// One parts session being filled.
struct PartsUpload {
    shared: Rc<Shared>,
    /// The session's absolute URL.
    url: String,
    /// Digest of each part (index = part number − 1), where known.
    digests: Vec<Option<Sha256Digest>>,
    /// Which parts the server holds durably (index = part number − 1).
    durable: Vec<bool>,
    last_saved_ms: f64,
}

impl PartsUpload {
    fn new(item: UploadItem, file: &File, server: &str, opened: Opened, saved: &str) -> Self {
        let Opened { url, session } = opened;
        let size = item.size;
        let part_size = session.part_size.unwrap_or(size).max(1);
        let count = part_count(size, part_size) as usize;
        let mut upload = Self {
            shared: Rc::new(Shared {
                item,
                file: file.clone(),
                server: server.to_owned(),
                url: url.clone(),
                size,
                part_size,
                progress: RefCell::new((0, Vec::new())),
            }),
            url,
            digests: PartDigests::decode(saved, count),
            durable: vec![false; count],
            last_saved_ms: f64::NEG_INFINITY,
        };
        upload.set_durable(&session);
        upload.save();
        upload
    }

    fn item(&self) -> UploadItem {
        self.shared.item
    }

    fn part_bytes(&self, n: u64) -> u64 {
        part_range(self.shared.size, self.shared.part_size, n).map_or(0, |(start, end)| end - start)
    }

    /// Takes the server's part set as the truth and shows the progress it means.
    fn set_durable(&mut self, session: &UploadSession) {
        let ranges = session.parts.clone().unwrap_or_default();
        let missing = missing_parts(self.shared.size, self.shared.part_size, &ranges);
        self.durable.iter_mut().for_each(|durable| *durable = true);
        for n in &missing {
            if let Some(durable) = self.durable.get_mut(*n as usize - 1) {
                *durable = false;
            }
        }
        let bytes: u64 = (1..=self.durable.len() as u64)
            .filter(|n| self.durable[*n as usize - 1])
            .map(|n| self.part_bytes(n))
            .sum();
        self.shared.progress.borrow_mut().0 = bytes;
        self.item().sent.set(bytes);
    }

    /// Remembers the session and the digests known so far (for a resume after a reload).
    fn save(&mut self) {
        self.last_saved_ms = js_sys::Date::now();
        let durable_bytes = self.shared.progress.borrow().0;
        session::remember(
            self.item(),
            &self.shared.file,
            &self.shared.server,
            &self.url,
            durable_bytes,
            Some(self.shared.part_size),
            PartDigests::encode(&self.digests),
        );
    }

    /// Sends every part the server does not hold, several at once.
    async fn send_missing(&mut self, token: u64) -> Result<(), Step> {
        let item = self.item();
        let mut pending: VecDeque<u64> = (1..=self.durable.len() as u64)
            .filter(|n| !self.durable[*n as usize - 1])
            .collect();
        let mut flying = FuturesUnordered::new();
        let mut control = Concurrency::default();
        control.start(js_sys::Date::now());
        let mut attempt = 0u32;
        // Through the worker a part is in flight while it is hashed too (one at a time):
        // one more, so that `current` parts are on the wire while the next is hashed.
        let hashing = usize::from(worker_io::available());
        // Set once a part says the whole run must end (restart, stop, failure).
        let mut ending: Option<Step> = None;
        // Set once a part must wait before going again: no new parts until the rest land.
        let mut retry_because: Option<String> = None;
        loop {
            while ending.is_none()
                && retry_because.is_none()
                && flying.len() < control.current() + hashing
                && still_wanted(item, token)
            {
                let Some(n) = pending.pop_front() else { break };
                let shared = Rc::clone(&self.shared);
                let job: PartJob = if worker_io::available() {
                    // The worker reads, hashes and sends it (one part's bytes at a time).
                    Box::pin(shared.send_by_worker(token, n))
                } else {
                    // Hashed here, one part at a time, while the others are on the wire.
                    match shared.prepare(n).await {
                        Ok(part) => Box::pin(shared.send(token, part)),
                        Err(result) => Box::pin(async move { (n, result) }),
                    }
                };
                flying.push(job);
            }
            let Some((n, result)) = flying.next().await else {
                if let Some(step) = ending {
                    return Err(step);
                }
                if !still_wanted(item, token) {
                    return Err(Step::Stop(Stop::ByUser));
                }
                if let Some(why) = retry_because.take() {
                    wait_to_retry(item, attempt, why).await?;
                    attempt += 1;
                    continue;
                }
                return Ok(());
            };
            match result {
                PartResult::Durable(digest) => {
                    let index = n as usize - 1;
                    self.digests[index] = Some(digest);
                    self.durable[index] = true;
                    control.part_done(self.part_bytes(n), js_sys::Date::now());
                    attempt = 0;
                    if js_sys::Date::now() - self.last_saved_ms >= SAVE_EVERY_MS {
                        self.save();
                    }
                }
                PartResult::Retry(why) => {
                    pending.push_front(n);
                    control.part_failed();
                    retry_because.get_or_insert(why);
                }
                PartResult::Stopped => {
                    pending.push_front(n);
                    ending.get_or_insert(Step::Stop(Stop::ByUser));
                }
                PartResult::Restart => {
                    ending = Some(Step::Restart);
                    item.abort_in_flight();
                }
                PartResult::Fail(why) => {
                    ending = Some(Step::Stop(Stop::Failed(why)));
                    item.abort_in_flight();
                }
            }
        }
    }

    /// Asks the server to assemble the file, checking it against our `content_hash`:
    /// `true` once done, `false` when the server says parts are missing (they are then
    /// marked so, for `send_missing`).
    async fn complete(&mut self, token: u64) -> Result<bool, Step> {
        let item = self.item();
        // Digests of parts sent before a reload that were not saved in time: hash them
        // from the local file (no network).
        for index in 0..self.digests.len() {
            if self.digests[index].is_none() {
                let n = index as u64 + 1;
                let (start, end) = part_range(self.shared.size, self.shared.part_size, n)
                    .ok_or_else(unreadable)?;
                let blob = slice(&self.shared.file, start, end).ok_or_else(unreadable)?;
                self.digests[index] = Some(sha256_of(&blob).await.ok_or_else(unreadable)?);
            }
        }
        self.save();
        let ours = content_hash(self.digests.iter().flatten());
        let body = serde_json::to_string(&UploadComplete {
            sha256: None,
            content_hash: Some(ours.clone()),
        })
        .map_err(|_| Stop::Failed("cannot encode the request".into()))?;
        let url = format!("{}/{COMPLETE_SEGMENT}", self.url);
        let mut attempt = 0u32;
        loop {
            if !still_wanted(item, token) {
                return Err(Step::Stop(Stop::ByUser));
            }
            let request =
                open("POST", &url, &self.shared.server)?.header("Content-Type", "application/json");
            let reply = exchange(item, request, Some(&body)).await?;
            match reply.status() {
                Some(200) => {
                    return self
                        .finish(reply.body(), &ours)
                        .map(|()| true)
                        .map_err(Step::Stop)
                }
                Some(409) if error_code(reply.body()).as_deref() == Some("parts_missing") => {
                    let session: UploadSession = serde_json::from_str(reply.body())
                        .map_err(|_| Stop::Failed("409 without the session's parts".into()))?;
                    self.set_durable(&session);
                    if self.durable.iter().all(|durable| *durable) {
                        return Err(Step::Stop(Stop::Failed(
                            "the server says parts are missing but lists none".into(),
                        )));
                    }
                    return Ok(false);
                }
                Some(409 | 404 | 410) => return Err(Step::Restart),
                Some(460) => {
                    persist::forget(&item.fingerprint.get_value());
                    if let Ok(request) = open("DELETE", &self.url, &self.shared.server) {
                        let _ = exchange(item, request, None).await;
                    }
                    return Err(Step::Stop(Stop::Failed(format!(
                        "CHECKSUM MISMATCH: the server's parts do not make this file's content hash {ours}"
                    ))));
                }
                status => match recovery_for(status) {
                    Recovery::Retry => {
                        wait_to_retry(item, attempt, reply.why()).await?;
                        attempt += 1;
                    }
                    _ => {
                        return Err(Step::Stop(Stop::Failed(error_message(
                            status,
                            reply.body(),
                        ))))
                    }
                },
            }
        }
    }

    /// The completed file: check its size and content hash, then forget the session.
    fn finish(&self, body: &str, ours: &str) -> Result<(), Stop> {
        persist::forget(&self.item().fingerprint.get_value());
        let file: FileObject = serde_json::from_str(body)
            .map_err(|_| Stop::Failed("the server's answer was not a file".into()))?;
        if file.bytes != self.shared.size {
            return Err(Stop::Failed(format!(
                "the server stored {} bytes, not {}",
                file.bytes, self.shared.size
            )));
        }
        match file.content_hash {
            Some(theirs) if theirs.eq_ignore_ascii_case(ours) => Ok(()),
            Some(theirs) => Err(Stop::Failed(format!(
                "CHECKSUM MISMATCH: the server's content hash is {theirs}, this file's is {ours}"
            ))),
            None => Err(Stop::Failed(
                "the server did not confirm the file's content hash".into(),
            )),
        }
    }
}
