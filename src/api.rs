//! All HTTP the app does: RFSAPI listings (PROTOCOL.md §1) and discovery (§0); storages
//! (§5) in `storages`.

pub mod storages;

use crate::errors::ApiError;
use crate::location::Config;
use crate::model::Listing;
use skiff_protocol::{
    Discovery, ErrorBody, FileMetadata, FilesetData, RawFileData, TreePath, DISCOVERY_PATH,
    RFSAPI_HEADER,
};
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

/// Fetches the RFSAPI listing of `path`; `signal` aborts it when the user moves on.
pub async fn fetch_listing(
    config: &Config,
    path: &TreePath,
    signal: Option<&AbortSignal>,
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
    // Bytes, not text: a 100,000-entry listing is ~15 MiB, and `text()` would decode it to
    // a JS (UTF-16) string only for wasm-bindgen to re-encode it as UTF-8.
    let bytes = response_bytes(config, &response).await?;
    let data: FilesetData = serde_json::from_slice(&bytes)
        .map_err(|error| not_rfsapi(config, format!("the listing is not valid JSON: {error}")))?;
    drop(bytes);
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

thread_local! {
    /// Whether the server makes signed URLs (discovery's `sign`).
    static SIGNS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Records whether the server makes signed URLs (from discovery).
pub fn set_signing(on: bool) {
    SIGNS.with(|signs| signs.set(on));
}

/// Whether the server makes signed URLs, so the browser can fetch bytes by itself.
pub fn signs_urls() -> bool {
    SIGNS.with(std::cell::Cell::get)
}

/// The largest file fetched into page memory (a blob) when the token must go with it and
/// the server makes no signed URLs; bigger ones are refused with
/// [`ApiError::TooBigWithoutLinks`] (why this size: docs/protocol-notes.md).
pub const MAX_BLOB_BYTES: u64 = 256 * 1024 * 1024;

/// A URL the browser can read by itself, and whether it is an object URL to revoke.
pub struct Readable {
    pub url: String,
    pub blob: bool,
}

/// `url` in a form a link, a tab or a media element can load without the token: as it is
/// when nobody is signed in; signed (PROTOCOL.md §6) where the server signs URLs, so the
/// browser streams the bytes itself; else fetched with the token into page memory, up to
/// [`MAX_BLOB_BYTES`] (`size` where the listing told it, else the answer's length).
pub async fn readable_url(
    config: &Config,
    url: &str,
    size: Option<u64>,
) -> Result<Readable, ApiError> {
    if crate::auth::authorization(&config.server).is_none() {
        return Ok(Readable {
            url: url.to_owned(),
            blob: false,
        });
    }
    if signs_urls() {
        if let Some(signed) = signed_url(config, url).await {
            return Ok(Readable {
                url: signed,
                blob: false,
            });
        }
    }
    if let Some(size) = size.filter(|size| *size > MAX_BLOB_BYTES) {
        return Err(ApiError::TooBigWithoutLinks { size });
    }
    Ok(Readable {
        url: fetch_object_url(config, url).await?,
        blob: true,
    })
}

/// `url` (on the configured server) signed by the server, if it will.
pub async fn signed_url(config: &Config, url: &str) -> Option<String> {
    let path = url.strip_prefix(&config.server)?;
    let body = serde_json::json!({ "url": path }).to_string();
    let outgoing = Outgoing {
        json: Some(&body),
        ..Outgoing::default()
    };
    let endpoint = format!("{}/.skiff/api/sign", config.server);
    let response = send(config, "POST", &endpoint, outgoing).await.ok()?;
    if !response.ok() {
        return None;
    }
    let text = response_text(config, &response).await.ok()?;
    let signed: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(format!("{}{}", config.server, signed.get("url")?.as_str()?))
}

/// Has the browser download `url` as a file named `name`, streamed by the browser's own
/// download manager where it can read the URL by itself ([`readable_url`]); with a token
/// on a server that does not sign URLs the bytes pass through memory as a blob, so
/// files over [`MAX_BLOB_BYTES`] (`size`, if known) are refused instead.
pub async fn download(
    config: &Config,
    url: &str,
    name: &str,
    size: Option<u64>,
) -> Result<(), ApiError> {
    let unreachable = || ApiError::Unreachable {
        server: config.server_label(),
    };
    let window = web_sys::window().ok_or_else(unreachable)?;
    let readable = readable_url(config, url, size).await?;
    let (href, blob) = (readable.url, readable.blob);
    let document = window.document().ok_or_else(unreachable)?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| unreachable())?
        .dyn_into()
        .map_err(|_| unreachable())?;
    anchor.set_href(&href);
    anchor.set_download(name);
    anchor.click();
    if blob {
        // The click has started the download; the URL can go once the browser took it.
        leptos::prelude::set_timeout(
            move || {
                let _ = web_sys::Url::revoke_object_url(&href);
            },
            std::time::Duration::from_secs(60),
        );
    }
    Ok(())
}

/// A GET of `url` with the signed-in token (if any) and extra `headers`; a non-2xx
/// answer is an error.
async fn fetch_with_token(
    config: &Config,
    url: &str,
    headers: &[(&str, &str)],
    signal: Option<&AbortSignal>,
) -> Result<Response, ApiError> {
    let outgoing = Outgoing {
        headers,
        signal,
        ..Outgoing::default()
    };
    let response = send(config, "GET", url, outgoing).await?;
    if !response.ok() {
        return Err(ApiError::Http {
            status: response.status(),
            message: response.status_text(),
        });
    }
    Ok(response)
}

/// The first `limit` bytes of `url` as text (a `Range` request; invalid UTF-8 replaced).
pub async fn fetch_start(config: &Config, url: &str, limit: u64) -> Result<String, ApiError> {
    let range = format!("bytes=0-{}", limit.saturating_sub(1));
    let response = fetch_with_token(config, url, &[("Range", &range)], None).await?;
    let mut bytes = response_bytes(config, &response).await?;
    bytes.truncate(limit as usize);
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `url` fetched with the token into an object URL (for previews a tag cannot load). An
/// answer longer than [`MAX_BLOB_BYTES`] is cut off before its body is read.
pub async fn fetch_object_url(config: &Config, url: &str) -> Result<String, ApiError> {
    let unreachable = || ApiError::Unreachable {
        server: config.server_label(),
    };
    let controller = web_sys::AbortController::new().map_err(|_| unreachable())?;
    let response = fetch_with_token(config, url, &[], Some(&controller.signal())).await?;
    let length = response
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|length| length.parse::<u64>().ok());
    if let Some(size) = length.filter(|length| *length > MAX_BLOB_BYTES) {
        controller.abort();
        return Err(ApiError::TooBigWithoutLinks { size });
    }
    let blob: web_sys::Blob = JsFuture::from(response.blob().map_err(|_| unreachable())?)
        .await
        .map_err(|_| unreachable())?
        .dyn_into()
        .map_err(|_| unreachable())?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| unreachable())
}

/// Metadata (PROTOCOL.md §3) on one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataApi {
    /// The app's configuration (server and token).
    pub config: Config,
    /// `{server}{metadata}`.
    pub endpoint: String,
    /// `{server}{raw}`, for permalinks by id.
    pub raw: Option<String>,
}

impl MetadataApi {
    /// The metadata of `path`, or a sentence saying why not.
    pub async fn get(&self, path: &TreePath) -> Result<FileMetadata, String> {
        self.request("GET", path, None).await
    }

    /// Merges (`POST`) or replaces (`PUT`) the user keys; the server's answer or its
    /// refusal (it names the offending key).
    pub async fn write(
        &self,
        path: &TreePath,
        body: &std::collections::BTreeMap<String, skiff_protocol::MetadataValue>,
        replace: bool,
    ) -> Result<FileMetadata, String> {
        let json = serde_json::to_string(body).map_err(|error| error.to_string())?;
        self.request(if replace { "PUT" } else { "POST" }, path, Some(json))
            .await
    }

    /// A link to the bytes by stable id: it keeps working after moves.
    pub fn permalink(&self, id: &str) -> String {
        let base = self.raw.clone().unwrap_or_default();
        format!(
            "{base}/data?ref=id%3A{}",
            skiff_protocol::encode_segment(id)
        )
    }

    async fn request(
        &self,
        method: &str,
        path: &TreePath,
        body: Option<String>,
    ) -> Result<FileMetadata, String> {
        let url = format!("{}{}", self.endpoint, path.to_url_path());
        let failed = || "the server could not be reached".to_owned();
        let outgoing = Outgoing {
            headers: &[("Accept", "application/json")],
            json: body.as_deref(),
            ..Outgoing::default()
        };
        let response = send(&self.config, method, &url, outgoing)
            .await
            .map_err(|_| failed())?;
        let bytes = response_bytes(&self.config, &response)
            .await
            .map_err(|_| failed())?;
        if response.ok() {
            return serde_json::from_slice(&bytes)
                .map_err(|error| format!("unexpected answer: {error}"));
        }
        Err(serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|body| body.error.message)
            .unwrap_or_else(|_| format!("HTTP {}", response.status())))
    }
}
