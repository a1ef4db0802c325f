//! One part of a §2.1 session on the wire: its slice hashed by WebCrypto (read once,
//! then dropped), sent as the slice itself with `Upload-Checksum`, its progress added to
//! the upload's total, and the answer sorted into what the parts engine does next. Where
//! the upload worker runs (`worker_io`), it reads, hashes and sends the slice instead.

use super::{error_message, open, still_wanted, Reply};
use crate::upload::browser_io::{sha256_of, slice};
use crate::upload::digest::{upload_checksum, Sha256Digest};
use crate::upload::item::UploadItem;
use crate::upload::policy::{recovery_for, Recovery};
use crate::upload::worker_io::{Digest, WorkerAnswer, WorkerFailure, WorkerRequest};
use crate::upload::xhr::{AbortHandle, XhrAnswer, XhrFailure};
use leptos::prelude::*;
use skiff_protocol::{part_range, PARTS_SEGMENT, UPLOAD_CHECKSUM_HEADER};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::File;

/// What one part's request came to.
pub(super) enum PartResult {
    /// Durable on the server, with its digest.
    Durable(Sha256Digest),
    /// Worth sending again after a wait (network, busy server, damaged in transit).
    Retry(String),
    /// The session is closed or gone.
    Restart,
    /// Paused or cancelled.
    Stopped,
    /// Not worth retrying.
    Fail(String),
}

/// What every part's request needs, shared by the requests in flight.
pub(super) struct Shared {
    pub item: UploadItem,
    pub file: File,
    pub server: String,
    pub url: String,
    pub size: u64,
    pub part_size: u64,
    /// Bytes of durable parts, and bytes sent so far of each part in flight.
    pub progress: RefCell<(u64, Vec<(u64, u64)>)>,
}

impl Shared {
    /// Records `loaded` bytes of part `n` on the wire and shows the total.
    fn show_progress(&self, n: u64, loaded: Option<u64>) {
        let total = {
            let mut progress = self.progress.borrow_mut();
            progress.1.retain(|(part, _)| *part != n);
            if let Some(loaded) = loaded {
                progress.1.push((n, loaded));
            }
            progress.0 + progress.1.iter().map(|(_, bytes)| bytes).sum::<u64>()
        };
        self.item.sent.set(total.min(self.size));
        self.item
            .speed
            .update(|meter| meter.sample(js_sys::Date::now(), total));
    }

    /// Part `n` ready to go: its slice and the slice's digest. Called for one part at a
    /// time (the parts engine awaits it before the next), so at most one part's bytes
    /// are ever read into memory, and only for as long as WebCrypto takes to copy them.
    pub async fn prepare(&self, n: u64) -> Result<PreparedPart, PartResult> {
        let unreadable = || PartResult::Fail("the browser can no longer read this file".into());
        let (start, end) = part_range(self.size, self.part_size, n)
            .ok_or_else(|| PartResult::Fail(format!("no part {n}")))?;
        let blob = slice(&self.file, start, end).ok_or_else(unreadable)?;
        let digest = sha256_of(&blob).await.ok_or_else(unreadable)?;
        Ok(PreparedPart { n, blob, digest })
    }

    /// Sends a prepared part: the slice itself, with its checksum.
    pub async fn send(self: Rc<Self>, token: u64, part: PreparedPart) -> (u64, PartResult) {
        let n = part.n;
        let result = self.send_inner(token, part).await;
        if matches!(result, PartResult::Durable(_)) {
            // Counted as durable before its bytes in flight are dropped: no dip in the bar.
            let (start, end) = part_range(self.size, self.part_size, n).unwrap_or_default();
            self.progress.borrow_mut().0 += end - start;
        }
        self.show_progress(n, None);
        (n, result)
    }

    async fn send_inner(self: &Rc<Self>, token: u64, part: PreparedPart) -> PartResult {
        let PreparedPart { n, blob, digest } = part;
        if !still_wanted(self.item, token) {
            return PartResult::Stopped;
        }
        let url = format!("{}/{PARTS_SEGMENT}/{n}", self.url);
        let Ok(request) = open("PUT", &url, &self.server) else {
            return PartResult::Fail("the browser refused the request".into());
        };
        let request = request
            .header(UPLOAD_CHECKSUM_HEADER, &upload_checksum(&digest))
            .header("Content-Type", "application/octet-stream");
        let number = self.item.track(request.abort_handle());
        let shared = Rc::clone(self);
        let answer = request
            .send_blob(&blob, move |loaded| {
                shared.show_progress(n, Some(loaded as u64))
            })
            .await;
        self.item.untrack(number);
        sort(answer, digest)
    }

    /// Part `n` through the upload worker, which reads, hashes and sends it off the main
    /// thread (`worker_io`); the digest comes back with the answer.
    pub async fn send_by_worker(self: Rc<Self>, token: u64, n: u64) -> (u64, PartResult) {
        let result = self.send_by_worker_inner(token, n).await;
        if matches!(result, PartResult::Durable(_)) {
            let (start, end) = part_range(self.size, self.part_size, n).unwrap_or_default();
            self.progress.borrow_mut().0 += end - start;
        }
        self.show_progress(n, None);
        (n, result)
    }

    async fn send_by_worker_inner(self: &Rc<Self>, token: u64, n: u64) -> PartResult {
        if !still_wanted(self.item, token) {
            return PartResult::Stopped;
        }
        let Some(range) = part_range(self.size, self.part_size, n) else {
            return PartResult::Fail(format!("no part {n}"));
        };
        let url = format!("{}/{PARTS_SEGMENT}/{n}", self.url);
        let request = WorkerRequest::new("PUT", &url, &self.server)
            .header("Content-Type", "application/octet-stream");
        let number = self.item.track(AbortHandle::Worker(request.abort_handle()));
        let shared = Rc::clone(self);
        let on_progress = Box::new(move |loaded: f64| shared.show_progress(n, Some(loaded as u64)));
        let answer = request
            .send_slice(
                &self.file,
                range,
                Digest::Checksum,
                false,
                Some(on_progress),
            )
            .await;
        self.item.untrack(number);
        match answer {
            Err(WorkerFailure::Unreadable) => {
                PartResult::Fail("the browser can no longer read this file".into())
            }
            Err(failure) => sort(Err(failure.into()), [0; 32]),
            Ok(WorkerAnswer {
                answer,
                digest: Some(digest),
            }) => sort(Ok(answer), digest),
            Ok(_) => PartResult::Fail("the upload worker sent no digest".into()),
        }
    }
}

/// What an answer to part `digest`'s request means for the parts engine.
fn sort(answer: Result<XhrAnswer, XhrFailure>, digest: Sha256Digest) -> PartResult {
    match Reply::from(answer) {
        Err(_) => PartResult::Stopped,
        Ok(reply) => match reply.status() {
            Some(200) => PartResult::Durable(digest),
            Some(409 | 404 | 410) => PartResult::Restart,
            status => match recovery_for(status) {
                Recovery::Retry => PartResult::Retry(reply.why()),
                _ => PartResult::Fail(error_message(status, reply.body())),
            },
        },
    }
}

/// A part hashed and ready to send: a slice of the file (no bytes) and its digest.
pub(super) struct PreparedPart {
    n: u64,
    blob: web_sys::Blob,
    digest: Sha256Digest,
}
