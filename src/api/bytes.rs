//! A file's bytes where the browser itself must read them (a download, a new tab, a
//! media preview): with nobody signed in the URL as it is; signed in, a signed URL
//! (PROTOCOL.md §6) where the server makes them, so the browser streams the bytes; else
//! fetched with the token into page memory, up to [`MAX_BLOB_BYTES`].

use super::{response_bytes, response_text, send, Outgoing};
use crate::errors::ApiError;
use crate::location::Config;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Response};

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export async function capped_blob(response, limit, controller) {
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      controller.abort();
      return total;
    }
    chunks.push(value);
  }
  return new Blob(chunks, { type: response.headers.get("Content-Type") || "" });
}
"#)]
extern "C" {
    /// The body of `response` as a `Blob`, or the count of bytes read once past `limit`
    /// (then `controller` aborts the rest).
    fn capped_blob(
        response: &Response,
        limit: f64,
        controller: &web_sys::AbortController,
    ) -> js_sys::Promise;
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
        return Err(ApiError::TooBigWithoutLinks { size: Some(size) });
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
/// answer longer than [`MAX_BLOB_BYTES`] is cut off: before its body is read when it says
/// its length, else as soon as that many bytes came.
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
        return Err(ApiError::TooBigWithoutLinks { size: Some(size) });
    }
    // No length (a folder's ZIP is streamed): counted while read, given up past the cap.
    let read = JsFuture::from(capped_blob(&response, MAX_BLOB_BYTES as f64, &controller))
        .await
        .map_err(|_| unreachable())?;
    if read.as_f64().is_some() {
        return Err(ApiError::TooBigWithoutLinks { size: None });
    }
    let blob: web_sys::Blob = read.dyn_into().map_err(|_| unreachable())?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| unreachable())
}
