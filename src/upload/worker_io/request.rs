//! One request for the worker to send ([`WorkerRequest`]): its headers and body (a slice
//! of a file, hashed as [`Digest`] says, or the parts of a batch), posted to the running
//! worker and awaited until its answer comes back through `super::dispatch`.

use super::{Pending, IO};
use crate::upload::digest::Sha256Digest;
use crate::upload::xhr::{XhrAnswer, XhrFailure};
use futures::channel::oneshot;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::Blob;

/// Whether (and how) the worker hashes the body before sending it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digest {
    /// Send as is.
    None,
    /// `Upload-Checksum: sha256 <base64>` (a §2.1 part, a §2 chunk).
    Checksum,
    /// `Content-Digest: sha-256=:<base64>:` (a §2.2 whole-file `PUT`).
    ContentDigest,
}

impl Digest {
    fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Checksum => "checksum",
            Self::ContentDigest => "content-digest",
        }
    }
}

/// Why a worker request gave no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerFailure {
    /// No answer (including a stalled upload the worker gave up on).
    Network,
    /// Paused or cancelled.
    Aborted,
    /// The browser could not read the file.
    Unreadable,
}

impl From<WorkerFailure> for XhrFailure {
    fn from(failure: WorkerFailure) -> Self {
        match failure {
            WorkerFailure::Aborted => XhrFailure::Aborted,
            WorkerFailure::Network | WorkerFailure::Unreadable => XhrFailure::Network,
        }
    }
}

/// The answer to a worker request, with the digest the worker sent (if it hashed).
pub struct WorkerAnswer {
    pub answer: XhrAnswer,
    pub digest: Option<Sha256Digest>,
}

/// Aborts a worker request (a pause or cancel); its answer is then `Aborted`.
#[derive(Clone, Copy, Debug)]
pub struct WorkerAbort(u64);

impl WorkerAbort {
    pub fn abort(self) {
        IO.with(|io| {
            if let Some(io) = io.borrow_mut().as_mut() {
                if io.pending.contains_key(&self.0) {
                    let message = Object::new();
                    let _ = Reflect::set(&message, &"op".into(), &"abort".into());
                    let _ = Reflect::set(&message, &"id".into(), &(self.0 as f64).into());
                    io.worker.post_message(&message);
                } else {
                    io.aborted.insert(self.0);
                }
            }
        });
    }
}

/// A request to be sent by the worker.
pub struct WorkerRequest {
    id: u64,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
}

impl WorkerRequest {
    /// `METHOD url` with the signed-in token for `server` if any. Call only when
    /// [`available`] said yes.
    pub fn new(method: &str, url: &str, server: &str) -> Self {
        let id = IO.with(|io| {
            io.borrow_mut().as_mut().map_or(0, |io| {
                io.next_id += 1;
                io.next_id
            })
        });
        let request = Self {
            id,
            method: method.to_owned(),
            url: absolute(url),
            headers: Vec::new(),
        };
        match crate::auth::authorization(server) {
            Some(authorization) => request.header("Authorization", &authorization),
            None => request,
        }
    }

    /// Adds a request header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A handle that aborts this request.
    pub fn abort_handle(&self) -> WorkerAbort {
        WorkerAbort(self.id)
    }

    /// Sends bytes `start..end` of `file` (hashed first as `digest` says; with `memory`
    /// the bytes read to hash are sent rather than the slice, for tiny files), calling
    /// `on_progress(bytes_sent)` about every 100 ms when given.
    pub async fn send_slice(
        self,
        file: &Blob,
        (start, end): (u64, u64),
        digest: Digest,
        memory: bool,
        on_progress: Option<Box<dyn FnMut(f64)>>,
    ) -> Result<WorkerAnswer, WorkerFailure> {
        let progress = on_progress.is_some();
        self.post(
            |set| {
                set("file", file);
                set("start", &(start as f64).into());
                set("end", &(end as f64).into());
                set("digest", &digest.name().into());
                set("memory", &memory.into());
                set("progress", &progress.into());
            },
            on_progress,
        )
        .await
    }

    /// Sends one `Blob` made of `parts` (strings and `File`s), which the worker puts
    /// together: making a `Blob` of a thousand files costs the thread that does it
    /// hundreds of milliseconds (a batch of small files, `engine::batch`).
    pub async fn send_parts(self, parts: &Array) -> Result<WorkerAnswer, WorkerFailure> {
        self.post(
            |set| {
                set("parts", parts);
                set("digest", &Digest::None.name().into());
                set("progress", &false.into());
            },
            None,
        )
        .await
    }

    /// Posts this request, with the body's fields set by `body`, and waits for its answer.
    async fn post(
        self,
        body: impl FnOnce(&dyn Fn(&str, &JsValue)),
        on_progress: Option<Box<dyn FnMut(f64)>>,
    ) -> Result<WorkerAnswer, WorkerFailure> {
        let (reply, answer) = oneshot::channel();
        let posted = IO.with(|io| {
            let mut io = io.borrow_mut();
            let io = io.as_mut()?;
            if io.aborted.remove(&self.id) {
                return Some(false);
            }
            let message = Object::new();
            let set = |key: &str, value: &JsValue| {
                let _ = Reflect::set(&message, &key.into(), value);
            };
            set("op", &"send".into());
            set("id", &(self.id as f64).into());
            set("method", &self.method.as_str().into());
            set("url", &self.url.as_str().into());
            let headers = Array::new();
            for (name, value) in &self.headers {
                headers.push(&Array::of2(&name.as_str().into(), &value.as_str().into()));
            }
            set("headers", &headers);
            body(&set);
            io.pending.insert(self.id, Pending { reply, on_progress });
            io.worker.post_message(&message);
            Some(true)
        });
        match posted {
            Some(true) => answer.await.unwrap_or(Err(WorkerFailure::Network)),
            Some(false) => Err(WorkerFailure::Aborted),
            None => Err(WorkerFailure::Network),
        }
    }
}

/// `url` made absolute against the page (a worker started from a `blob:` URL cannot
/// resolve `/path` itself).
pub fn absolute(url: &str) -> String {
    let base = web_sys::window().and_then(|window| window.location().href().ok());
    base.and_then(|base| web_sys::Url::new_with_base(url, &base).ok())
        .map_or_else(|| url.to_owned(), |url| url.href())
}
