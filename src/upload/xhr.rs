//! One HTTP request through `XMLHttpRequest`, awaited as a future: unlike `fetch`, it
//! reports upload progress, which the queue turns into progress bars within a chunk.
//!
//! ## Usage
//! ```ignore
//! let request = XhrRequest::new("POST", &url, server)?.header("Upload-Offset", "0");
//! let abort = request.abort_handle();          // pause/cancel from elsewhere
//! let answer = request.send(Some(&bytes), |sent| progress.set(sent)).await?;
//! ```

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ProgressEvent, XmlHttpRequest};

/// The server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XhrAnswer {
    /// HTTP status.
    pub status: u16,
    /// The response body as text (JSON for the protocol's answers).
    pub body: String,
}

/// Why no answer came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XhrFailure {
    /// The network failed (connection refused or dropped, CORS, server gone).
    Network,
    /// [`AbortHandle::abort`] was called: a pause or a cancel.
    Aborted,
}

/// Aborts the request it came from (sent here or by the upload worker); cheap to clone.
#[derive(Clone)]
pub enum AbortHandle {
    /// A request sent from the page.
    Xhr(XmlHttpRequest),
    /// A request sent by the upload worker (`worker_io`).
    Worker(crate::upload::worker_io::WorkerAbort),
}

impl AbortHandle {
    /// Stops the request now; its future resolves with [`XhrFailure::Aborted`].
    pub fn abort(&self) {
        match self {
            Self::Xhr(xhr) => {
                let _ = xhr.abort();
            }
            Self::Worker(worker) => worker.abort(),
        }
    }
}

/// What a request carries.
enum Body<'a> {
    Bytes(&'a Uint8Array),
    Blob(&'a Blob),
}

/// A request being prepared.
pub struct XhrRequest {
    xhr: XmlHttpRequest,
}

impl XhrRequest {
    /// Opens `METHOD url` (asynchronous), with the signed-in token for `server` if any.
    pub fn new(method: &str, url: &str, server: &str) -> Result<Self, XhrFailure> {
        let xhr = XmlHttpRequest::new().map_err(|_| XhrFailure::Network)?;
        xhr.open(method, url).map_err(|_| XhrFailure::Network)?;
        let request = Self { xhr };
        Ok(match crate::auth::authorization(server) {
            Some(authorization) => request.header("Authorization", &authorization),
            None => request,
        })
    }

    /// Adds a request header.
    pub fn header(self, name: &str, value: &str) -> Self {
        // Only forbidden names fail, and we never set those.
        let _ = self.xhr.set_request_header(name, value);
        self
    }

    /// A handle that can abort this request once sent.
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle::Xhr(self.xhr.clone())
    }

    /// Sends `body` (bytes already in JS memory: no copy) and waits for the answer, calling
    /// `on_progress(bytes_sent)` as the browser reports upload progress.
    pub async fn send(
        self,
        body: Option<&Uint8Array>,
        on_progress: impl FnMut(f64) + 'static,
    ) -> Result<XhrAnswer, XhrFailure> {
        self.send_body(body.map(Body::Bytes), Some(Box::new(on_progress)))
            .await
    }

    /// Sends a `Blob` (a `File` or a slice of one): the browser streams it from disk,
    /// never through wasm or JS memory.
    pub async fn send_blob(
        self,
        blob: &Blob,
        on_progress: impl FnMut(f64) + 'static,
    ) -> Result<XhrAnswer, XhrFailure> {
        self.send_body(Some(Body::Blob(blob)), Some(Box::new(on_progress)))
            .await
    }

    /// Sends bytes already in JS memory, without progress events (tiny files).
    pub async fn send_bytes_quietly(self, bytes: &Uint8Array) -> Result<XhrAnswer, XhrFailure> {
        self.send_body(Some(Body::Bytes(bytes)), None).await
    }

    /// [`XhrRequest::send_blob`] without progress events: for small files, whose progress
    /// is only "started" and "done" (no event per file on the page's main thread).
    pub async fn send_blob_quietly(self, blob: &Blob) -> Result<XhrAnswer, XhrFailure> {
        self.send_body(Some(Body::Blob(blob)), None).await
    }

    /// Sends no body and gives the status and the response header `name` (for a `HEAD`).
    pub async fn header_of_answer(self, name: &str) -> Result<(u16, Option<String>), XhrFailure> {
        let xhr = self.settled(None, None).await?;
        let value = xhr.get_response_header(name).ok().flatten();
        Ok((xhr.status().unwrap_or(0), value))
    }

    async fn send_body(
        self,
        body: Option<Body<'_>>,
        on_progress: Option<Box<dyn FnMut(f64)>>,
    ) -> Result<XhrAnswer, XhrFailure> {
        let xhr = self.settled(body, on_progress).await?;
        Ok(XhrAnswer {
            status: xhr.status().unwrap_or(0),
            body: xhr.response_text().ok().flatten().unwrap_or_default(),
        })
    }

    /// Sends the request and waits until it loaded (the request, to read its answer), or
    /// failed or was aborted.
    async fn settled(
        self,
        body: Option<Body<'_>>,
        on_progress: Option<Box<dyn FnMut(f64)>>,
    ) -> Result<XmlHttpRequest, XhrFailure> {
        let xhr = self.xhr;
        let progress = on_progress.map(|mut on_progress| {
            Closure::<dyn FnMut(ProgressEvent)>::new(move |event: ProgressEvent| {
                on_progress(event.loaded());
            })
        });
        if let (Some(progress), Ok(upload)) = (&progress, xhr.upload()) {
            upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        }
        // The promise settles from the load/error/abort events; the closures live on this
        // stack frame until it does, and are detached before they are dropped.
        let mut settle: Vec<Closure<dyn FnMut()>> = Vec::new();
        let promise = Promise::new(&mut |resolve, _reject| {
            let done = |outcome: &'static str| {
                let resolve = resolve.clone();
                Closure::<dyn FnMut()>::new(move || {
                    let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(outcome));
                })
            };
            let (load, error, abort) = (done("load"), done("error"), done("abort"));
            xhr.set_onload(Some(load.as_ref().unchecked_ref()));
            xhr.set_onerror(Some(error.as_ref().unchecked_ref()));
            xhr.set_onabort(Some(abort.as_ref().unchecked_ref()));
            settle = vec![load, error, abort];
        });
        let sent = match body {
            Some(Body::Bytes(bytes)) => xhr.send_with_opt_js_u8_array(Some(bytes)),
            Some(Body::Blob(blob)) => xhr.send_with_opt_blob(Some(blob)),
            None => xhr.send(),
        };
        let outcome = if sent.is_ok() {
            JsFuture::from(promise)
                .await
                .ok()
                .and_then(|value| value.as_string())
        } else {
            None
        };
        xhr.set_onload(None);
        xhr.set_onerror(None);
        xhr.set_onabort(None);
        if let (Some(_), Ok(upload)) = (&progress, xhr.upload()) {
            upload.set_onprogress(None);
        }
        drop((progress, settle));
        match outcome.as_deref() {
            Some("load") => Ok(xhr),
            Some("abort") => Err(XhrFailure::Aborted),
            _ => Err(XhrFailure::Network),
        }
    }
}
