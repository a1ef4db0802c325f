//! All HTTP the app does: RFSAPI listings (PROTOCOL.md §1) and discovery (§0) here;
//! a file's bytes for downloads, tabs and previews (signed URLs, §6) in `bytes`;
//! metadata (§3) in `metadata`; storages (§5) in `storages`.

mod bytes;
mod listing_stream;
mod metadata;
pub mod storages;

pub use bytes::{
    download, fetch_object_url, fetch_start, readable_url, set_signing, signed_url, signs_urls,
    Readable, MAX_BLOB_BYTES,
};
pub use metadata::MetadataApi;

use crate::errors::ApiError;
use crate::location::Config;
use crate::model::Listing;
use skiff_protocol::{Discovery, ErrorBody, RawFileData, TreePath, DISCOVERY_PATH, RFSAPI_HEADER};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, Request, RequestInit, Response};

/// What a path turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    /// A directory and its entries.
    Directory(Listing),
    /// A single file (the route named a file, not a folder).
    File(RawFileData),
}

/// The URL of `path` on the configured server.
pub fn url_of(config: &Config, path: &TreePath) -> String {
    format!("{}{}", config.server, path.to_url_path())
}

/// Entries read before a folder's rows are first shown while the rest still comes.
const FIRST_SHOWN: usize = 500;
/// Milliseconds between later showings of a listing still coming.
const SHOWN_EVERY_MS: f64 = 1000.0;

/// Fetches the RFSAPI listing of `path`; `signal` aborts it when the user moves on.
///
/// The body is read as it arrives (`listing_stream`): when `partial` is given, a big
/// folder's entries read so far are handed to it (first once [`FIRST_SHOWN`] have come,
/// then every [`SHOWN_EVERY_MS`]), each time after the browser has had a frame to paint
/// the one before, and the whole listing is the answer.
pub async fn fetch_listing(
    config: &Config,
    path: &TreePath,
    signal: Option<&AbortSignal>,
    mut partial: Option<&mut dyn FnMut(Listing)>,
) -> Result<Fetched, ApiError> {
    let url = format!("{}{}", config.server, path.to_dir_url_path());
    let response = get(config, &url, signal).await?;
    mark("skiff:listing-received");
    let speaks_rfsapi = response
        .headers()
        .get(RFSAPI_HEADER)
        .ok()
        .flatten()
        .is_some();
    if !response.ok() {
        return Err(http_error(config, path, &response, speaks_rfsapi).await);
    }
    if !speaks_rfsapi {
        return Err(not_rfsapi(
            config,
            format!("no {RFSAPI_HEADER} header in the response"),
        ));
    }
    let invalid =
        |error: String| not_rfsapi(config, format!("the listing is not valid JSON: {error}"));
    let unreachable = || ApiError::Unreachable {
        server: config.server_label(),
    };
    let mut stream = listing_stream::ListingStream::default();
    let mut shown = (0, 0.0);
    if let Some(body) = response.body() {
        let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        while let Some(chunk) = next_chunk(&reader).await.map_err(|()| unreachable())? {
            stream.feed(&chunk).map_err(invalid)?;
            let Some(show) = partial.as_mut() else {
                continue;
            };
            let count = stream.entries().len();
            let now = js_sys::Date::now();
            let due = if shown.0 == 0 {
                count >= FIRST_SHOWN
            } else {
                count > shown.0 && now - shown.1 >= SHOWN_EVERY_MS
            };
            if let (true, Some((false, is_root, writes_supported))) = (due, stream.flags()) {
                show(Listing::partial(
                    path.clone(),
                    is_root,
                    writes_supported,
                    stream.entries().to_vec(),
                ));
                shown = (count, now);
                after_paint().await;
            }
        }
    }
    let data = stream.finish().map_err(invalid)?;
    mark("skiff:listing-parsed");
    if data.is_file {
        let file = data
            .files
            .into_iter()
            .next()
            .ok_or_else(|| not_rfsapi(config, "a file response without its entry".into()))?;
        return Ok(Fetched::File(file));
    }
    Ok(Fetched::Directory(Listing::new(
        path.clone(),
        data.is_root,
        data.writes_supported,
        data.files,
    )))
}

/// The next chunk of a body; `None` at its end, `Err` when it broke off.
async fn next_chunk(reader: &web_sys::ReadableStreamDefaultReader) -> Result<Option<Vec<u8>>, ()> {
    let read = JsFuture::from(reader.read()).await.map_err(|_| ())?;
    let done = js_sys::Reflect::get(&read, &"done".into()).map_err(|_| ())?;
    if done.as_bool().unwrap_or(true) {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(&read, &"value".into()).map_err(|_| ())?;
    let bytes: js_sys::Uint8Array = value.dyn_into().map_err(|_| ())?;
    Ok(Some(bytes.to_vec()))
}

/// Resolves once the browser has painted a frame, or after 100 ms where it paints none
/// (a hidden tab), so a listing still coming never waits on a frame that never comes.
async fn after_paint() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Some(window) = web_sys::window() else {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            return;
        };
        let later = resolve.clone();
        let after_frame = wasm_bindgen::closure::Closure::once_into_js(move || {
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback(later.unchecked_ref());
            }
        });
        let _ = window.request_animation_frame(after_frame.unchecked_ref());
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 100);
    });
    let _ = JsFuture::from(promise).await;
}

/// `GET /.well-known/skiff`; `Ok(None)` when the server is plain RFSAPI (404 or no JSON).
pub async fn discover(config: &Config) -> Result<Option<Discovery>, ApiError> {
    let url = format!("{}{}", config.server, DISCOVERY_PATH);
    let response = get(config, &url, None).await?;
    if !response.ok() {
        return Ok(None);
    }
    let text = response_text(config, &response).await?;
    Ok(serde_json::from_str(&text).ok())
}

/// What a request to the server carries beyond its method and URL.
#[derive(Default)]
pub struct Outgoing<'a> {
    /// Extra request headers.
    pub headers: &'a [(&'a str, &'a str)],
    /// A JSON body (sent with `Content-Type: application/json`).
    pub json: Option<&'a str>,
    /// Aborts the request when the user moves on.
    pub signal: Option<&'a AbortSignal>,
}

/// The one place the app's `fetch` requests are made: the signed-in token is added, and
/// any answer, whatever its status, comes back; no answer at all is `Unreachable`.
pub async fn send(
    config: &Config,
    method: &str,
    url: &str,
    outgoing: Outgoing<'_>,
) -> Result<Response, ApiError> {
    let unreachable = || ApiError::Unreachable {
        server: config.server_label(),
    };
    let headers = Headers::new().map_err(|_| unreachable())?;
    for (name, value) in outgoing.headers {
        headers.set(name, value).map_err(|_| unreachable())?;
    }
    if let Some(authorization) = crate::auth::authorization(&config.server) {
        headers
            .set("Authorization", &authorization)
            .map_err(|_| unreachable())?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(json) = outgoing.json {
        headers
            .set("Content-Type", "application/json")
            .map_err(|_| unreachable())?;
        init.set_body(&wasm_bindgen::JsValue::from_str(json));
    }
    init.set_headers(&headers);
    init.set_signal(outgoing.signal);
    let request = Request::new_with_str_and_init(url, &init).map_err(|_| unreachable())?;
    let window = web_sys::window().ok_or_else(unreachable)?;
    JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| unreachable())?
        .dyn_into::<Response>()
        .map_err(|_| unreachable())
}

/// An RFSAPI `GET` (the header that asks for JSON instead of bytes or the app).
async fn get(
    config: &Config,
    url: &str,
    signal: Option<&AbortSignal>,
) -> Result<Response, ApiError> {
    let headers = [(RFSAPI_HEADER, "1"), ("Accept", "application/json")];
    let outgoing = Outgoing {
        headers: &headers,
        signal,
        ..Outgoing::default()
    };
    send(config, "GET", url, outgoing).await
}

async fn response_bytes(config: &Config, response: &Response) -> Result<Vec<u8>, ApiError> {
    let unreachable = || ApiError::Unreachable {
        server: config.server_label(),
    };
    let promise = response.array_buffer().map_err(|_| unreachable())?;
    let buffer = JsFuture::from(promise).await.map_err(|_| unreachable())?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

async fn response_text(config: &Config, response: &Response) -> Result<String, ApiError> {
    let unreachable = || ApiError::Unreachable {
        server: config.server_label(),
    };
    let promise = response.text().map_err(|_| unreachable())?;
    let text = JsFuture::from(promise).await.map_err(|_| unreachable())?;
    text.as_string().ok_or_else(unreachable)
}

async fn http_error(
    config: &Config,
    path: &TreePath,
    response: &Response,
    speaks_rfsapi: bool,
) -> ApiError {
    let status = response.status();
    let is_json = response
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .is_some_and(|value| value.contains("json"));
    let body = if is_json {
        response_text(config, response).await.ok()
    } else {
        None
    };
    let message = body
        .as_deref()
        .and_then(|text| serde_json::from_str::<ErrorBody>(text).ok())
        .map(|body| body.error.message)
        .unwrap_or_else(|| response.status_text());
    match status {
        404 if speaks_rfsapi || is_json || !path.is_root() => {
            ApiError::NotFound { path: path.clone() }
        }
        404 => not_rfsapi(config, "the root answered 404 without RFSAPI".into()),
        401 => ApiError::Unauthorized {
            signed_in: crate::auth::authorization(&config.server).is_some(),
        },
        403 => ApiError::Forbidden { message },
        _ => ApiError::Http { status, message },
    }
}

fn not_rfsapi(config: &Config, detail: String) -> ApiError {
    ApiError::NotRfsapi {
        server: config.server_label(),
        detail,
    }
}

/// Records a `performance.mark` (read by `cargo xtask bench`).
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let _ = performance.mark(name);
    }
}
