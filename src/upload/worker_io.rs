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

use crate::upload::xhr::XhrAnswer;
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

/// The requests the engine hands the worker, and their answers.
mod request;
pub use request::{absolute, Digest, WorkerAbort, WorkerAnswer, WorkerFailure, WorkerRequest};

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
