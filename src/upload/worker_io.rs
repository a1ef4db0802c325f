//! The engine's byte work in a dedicated Web Worker (`worker.js`): reading a slice of a
//! file, hashing it with WebCrypto, and sending it. The engine itself (sessions, retries,
//! conflicts, signals) stays here on the main thread and awaits one [`WorkerRequest`]
//! per part or small file; the worker answers each with its status, body and digest, and
//! reports upload progress batched (one message per ~100 ms for all requests).
//!
//! Why: reading and hashing 8 MiB parts, and the machinery of thousands of requests, cost
//! the page's main thread most of its time (issue 9's profile); in a worker they run on
//! another thread, are not timer-throttled in a hidden tab, and the worker aborts a
//! request whose upload stalls for 30 s so that the engine retries it.
//!
//! Used only where WebCrypto exists (a secure context); elsewhere the engine hashes in
//! wasm and sends from the main thread (`xhr.rs`).

use crate::upload::digest::Sha256Digest;
use crate::upload::xhr::{XhrAnswer, XhrFailure};
use futures::channel::oneshot;
use js_sys::{Array, Object, Reflect, Uint8Array};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Blob;

/// The worker's source, started from a `blob:` URL (no extra file to host): the byte
/// work, then a dropped folder's walk and batches (`folder_upload.rs`).
const SOURCE: &str = concat!(include_str!("worker.js"), include_str!("worker_folder.js"));

#[wasm_bindgen]
extern "C" {
    /// A dedicated worker (declared here: the `web-sys` feature is not enabled).
    type Worker;
    #[wasm_bindgen(constructor, catch)]
    fn new(url: &str) -> Result<Worker, JsValue>;
    #[wasm_bindgen(method, js_name = postMessage)]
    fn post_message(this: &Worker, message: &JsValue);
    #[wasm_bindgen(method, setter = onmessage)]
    fn set_onmessage(this: &Worker, handler: &js_sys::Function);

    /// `Blob`, constructed with a MIME type.
    #[wasm_bindgen(js_name = Blob)]
    type TypedBlob;
    #[wasm_bindgen(constructor, js_class = "Blob", catch)]
    fn new(parts: &Array, options: &JsValue) -> Result<TypedBlob, JsValue>;
}

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

/// One request in flight, waiting for its answer.
struct Pending {
    reply: oneshot::Sender<Result<WorkerAnswer, WorkerFailure>>,
    on_progress: Option<Box<dyn FnMut(f64)>>,
}

/// The running worker and the requests it owes an answer.
struct Io {
    worker: Worker,
    pending: HashMap<u64, Pending>,
    /// Aborted before they were posted (a pause between `track` and `send`).
    aborted: HashSet<u64>,
    next_id: u64,
    /// Keeps the message handler alive as long as the worker.
    _on_message: Closure<dyn FnMut(JsValue)>,
}

/// What receives the worker's `folder-*` messages.
type FolderListener = Rc<dyn Fn(&JsValue)>;

thread_local! {
    /// Started on first use; `None` until then, or when the browser refused it.
    static IO: RefCell<Option<Io>> = const { RefCell::new(None) };
    /// Whether starting the worker failed (then the engine stays on the main thread).
    static REFUSED: RefCell<bool> = const { RefCell::new(false) };
    /// Where the worker's `folder-*` messages go (`folder_upload.rs`).
    static FOLDER_LISTENER: RefCell<Option<FolderListener>> = const { RefCell::new(None) };
}

/// Sends the worker's `folder-*` messages to `listener` from now on.
pub fn on_folder_message(listener: impl Fn(&JsValue) + 'static) {
    FOLDER_LISTENER.with(|slot| *slot.borrow_mut() = Some(Rc::new(listener)));
}

/// Posts `message` as is to the worker (once [`available`] said yes); `false` if not.
pub fn post_raw(message: &JsValue) -> bool {
    IO.with(|io| {
        io.borrow()
            .as_ref()
            .map(|io| io.worker.post_message(message))
            .is_some()
    })
}

/// Whether requests can go through the worker: workers exist, WebCrypto exists (a
/// secure context), and the worker started.
pub fn available() -> bool {
    let secure = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .is_some_and(|crypto| !crypto.subtle().is_undefined());
    secure && !REFUSED.with(|refused| *refused.borrow()) && ensure_started()
}

fn ensure_started() -> bool {
    if IO.with(|io| io.borrow().is_some()) {
        return true;
    }
    match start() {
        Some(io) => {
            IO.with(|slot| *slot.borrow_mut() = Some(io));
            true
        }
        None => {
            REFUSED.with(|refused| *refused.borrow_mut() = true);
            false
        }
    }
}

fn start() -> Option<Io> {
    let options = Object::new();
    Reflect::set(&options, &"type".into(), &"text/javascript".into()).ok()?;
    let blob = TypedBlob::new(&Array::of1(&SOURCE.into()), &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(blob.unchecked_ref::<Blob>()).ok()?;
    let worker = Worker::new(&url).ok()?;
    let on_message = Closure::<dyn FnMut(JsValue)>::new(|event: JsValue| {
        if let Ok(data) = Reflect::get(&event, &"data".into()) {
            dispatch(&data);
        }
    });
    worker.set_onmessage(on_message.as_ref().unchecked_ref());
    Some(Io {
        worker,
        pending: HashMap::new(),
        aborted: HashSet::new(),
        next_id: 0,
        _on_message: on_message,
    })
}

/// Handles one message from the worker.
fn dispatch(data: &JsValue) {
    let field = |name: &str| Reflect::get(data, &name.into()).unwrap_or(JsValue::UNDEFINED);
    match field("op").as_string().as_deref() {
        Some(op) if op.starts_with("folder-") => {
            if let Some(listener) = FOLDER_LISTENER.with(|slot| slot.borrow().clone()) {
                listener(data);
            }
        }
        Some("timing") => record_timing(&field("url"), &field("timing")),
        Some("progress") => {
            let Ok(loaded) = field("loaded").dyn_into::<Array>() else {
                return;
            };
            for pair in loaded.iter() {
                let pair: Array = pair.unchecked_into();
                let (Some(id), Some(bytes)) = (pair.get(0).as_f64(), pair.get(1).as_f64()) else {
                    continue;
                };
                // Taken out while it runs: the callback may start other requests.
                let callback = IO.with(|io| {
                    io.borrow_mut()
                        .as_mut()
                        .and_then(|io| io.pending.get_mut(&(id as u64)))
                        .and_then(|pending| pending.on_progress.take())
                });
                if let Some(mut callback) = callback {
                    callback(bytes);
                    IO.with(|io| {
                        if let Some(pending) = io
                            .borrow_mut()
                            .as_mut()
                            .and_then(|io| io.pending.get_mut(&(id as u64)))
                        {
                            pending.on_progress = Some(callback);
                        }
                    });
                }
            }
        }
        Some("done") => {
            let Some(id) = field("id").as_f64().map(|id| id as u64) else {
                return;
            };
            let outcome = match field("error").as_string().as_deref() {
                Some("aborted") => Err(WorkerFailure::Aborted),
                Some("unreadable") => Err(WorkerFailure::Unreadable),
                Some(_) => Err(WorkerFailure::Network),
                None => Ok(WorkerAnswer {
                    answer: XhrAnswer {
                        status: field("status").as_f64().unwrap_or(0.0) as u16,
                        body: field("body").as_string().unwrap_or_default(),
                    },
                    digest: field("digest")
                        .dyn_into::<Uint8Array>()
                        .ok()
                        .filter(|digest| digest.length() == 32)
                        .map(|digest| {
                            let mut out = [0u8; 32];
                            digest.copy_to(&mut out);
                            out
                        }),
                }),
            };
            record_timing(&field("url"), &field("timing"));
            let pending = IO.with(|io| io.borrow_mut().as_mut()?.pending.remove(&id));
            if let Some(pending) = pending {
                let _ = pending.reply.send(outcome);
            }
        }
        _ => {}
    }
}

/// Records a worker request in the page's performance timeline (`performance.measure`
/// named by its URL, from its start to its answer): the page's Resource Timing does not
/// see a worker's requests, and the tests and the benchmark read them from there.
fn record_timing(url: &JsValue, timing: &JsValue) {
    let (Some(url), Ok(timing)) = (url.as_string(), timing.clone().dyn_into::<Array>()) else {
        return;
    };
    let Some(performance) = web_sys::window().and_then(|window| window.performance()) else {
        return;
    };
    let origin = performance.time_origin();
    let (Some(start), Some(end)) = (timing.get(0).as_f64(), timing.get(1).as_f64()) else {
        return;
    };
    let options = Object::new();
    let _ = Reflect::set(&options, &"start".into(), &(start - origin).max(0.0).into());
    let _ = Reflect::set(&options, &"end".into(), &(end - origin).max(0.0).into());
    let measure = Reflect::get(&performance, &"measure".into())
        .ok()
        .and_then(|measure| measure.dyn_into::<js_sys::Function>().ok());
    if let Some(measure) = measure {
        let _ = measure.call2(&performance, &url.into(), &options);
    }
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
