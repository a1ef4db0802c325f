//! Opening a file in a new tab shows its bytes, never a second copy of the app: a browser
//! navigation to a tree path is answered with the app (PROTOCOL.md §1), so the tab goes to
//! the raw API's `data` URL (outside the tree, always bytes). Signed in, the tab cannot
//! send the token itself: it goes to a signed URL where the server makes them, else the
//! bytes are fetched with the token and shown from a blob URL, up to
//! [`crate::api::MAX_BLOB_BYTES`] (a bigger file's tab says why instead).

use crate::location::Config;
use skiff_protocol::TreePath;

/// `{raw}/data?ref=path:/a/b.png`: the bytes of `path` through the raw API at `raw`.
pub fn raw_data_url(raw: &str, path: &TreePath) -> String {
    let reference = format!("path:{path}");
    let encoded: String = js_sys::encode_uri_component(&reference).into();
    format!("{raw}/data?ref={encoded}")
}

/// Opens `path`'s bytes in a new tab.
pub fn open_file(config: &Config, raw: Option<&str>, path: &TreePath) {
    let Some(window) = web_sys::window() else {
        return;
    };
    // Without the raw API (another RFSAPI server) the tree URL is the file itself.
    let url = match raw {
        Some(raw) => raw_data_url(raw, path),
        None => crate::api::url_of(config, path),
    };
    if crate::auth::authorization(&config.server).is_none() {
        let _ = window.open_with_url_and_target(&url, "_blank");
        return;
    }
    // The tab is opened now, while the click still counts as the user's (a popup blocker
    // would refuse it after the fetch), and sent to the bytes once they are here.
    let Ok(Some(tab)) = window.open_with_url_and_target("about:blank", "_blank") else {
        return;
    };
    let config = config.clone();
    leptos::task::spawn_local(async move {
        match crate::api::readable_url(&config, &url, None).await {
            Ok(readable) => {
                let _ = tab.location().set_href(&readable.url);
            }
            Err(error) => {
                if let Some(body) = tab.document().and_then(|d| d.body()) {
                    body.set_text_content(Some(&format!("Could not open the file: {error}")));
                }
            }
        }
    });
}
