//! A preview of the selected file in the details pane: images, the start of text files,
//! PDF, audio and video. Nothing uploaded ever runs as the app: only passive types are
//! previewed (the server serves everything else sandboxed as an attachment anyway), text
//! is shown as text, and nothing is injected as HTML.

use crate::api;
use crate::state::Browser;
use leptos::prelude::*;
use skiff_protocol::RawFileData;

stylance::import_crate_style!(style, "src/components/preview.module.css");

/// How much of a text file is shown.
const TEXT_PREVIEW_BYTES: u64 = 256 * 1024;
/// Larger images are not fetched into memory for a signed-in preview.
const MAX_BLOB_PREVIEW_BYTES: u64 = 32 * 1024 * 1024;

/// What kind of preview a file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewKind {
    /// `<img>`: raster images (never SVG, which can carry script).
    Image,
    /// The first [`TEXT_PREVIEW_BYTES`] as plain text.
    Text,
    /// The browser's PDF viewer.
    Pdf,
    /// `<audio controls>`.
    Audio,
    /// `<video controls>`.
    Video,
}

impl PreviewKind {
    /// The preview for a MIME type, if it is one we show.
    pub fn of(mime_type: &str) -> Option<Self> {
        let essence = mime_type.split(';').next().unwrap_or_default().trim();
        let essence = essence.to_ascii_lowercase();
        match essence.split_once('/') {
            Some(("image", "svg+xml")) => None,
            Some(("image", _)) => Some(Self::Image),
            Some(("audio", _)) => Some(Self::Audio),
            Some(("video", _)) => Some(Self::Video),
            Some(("text", _)) => Some(Self::Text),
            Some(("application", "json" | "toml" | "x-sh" | "javascript" | "xml")) => {
                Some(Self::Text)
            }
            Some(("application", "pdf")) => Some(Self::Pdf),
            _ => None,
        }
    }
}

/// The preview of `entry`, whose bytes are at `url`.
#[component]
pub fn Preview(
    /// The selected file.
    entry: RawFileData,
    /// Where its bytes are.
    url: String,
) -> impl IntoView {
    let browser = expect_context::<Browser>();
    let config = browser.config.get_value();
    let signed_in = crate::auth::authorization(&config.server).is_some();
    // Nothing to show, and no request to make: a range request for an empty file is
    // answered 416 (there is no byte 0), which used to be shown as the preview.
    if entry.is_file && entry.size == 0 {
        return view! { <p class=style::preview_note data-preview="empty">"Empty file"</p> }
            .into_any();
    }
    let Some(kind) = PreviewKind::of(&entry.mime_type).filter(|_| entry.is_file) else {
        return view! { <p class=style::preview_note>"No preview for this type."</p> }.into_any();
    };
    match kind {
        PreviewKind::Text => {
            let text = LocalResource::new(move || {
                let (config, url) = (config.clone(), url.clone());
                async move { api::fetch_start(&config, &url, TEXT_PREVIEW_BYTES).await }
            });
            let truncated = entry.size > TEXT_PREVIEW_BYTES;
            view! {
                <Suspense fallback=|| view! { <p class=style::preview_note>"Loading preview…"</p> }>
                    {move || text.get().map(|result| match result {
                        Ok(text) => view! {
                            <pre class=style::preview_text data-preview="text">{text}</pre>
                            {truncated.then(|| view! {
                                <p class=style::preview_note>"Showing the first 256 KiB."</p>
                            })}
                        }.into_any(),
                        Err(error) => view! { <p class=style::preview_note>{error.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
            }
            .into_any()
        }
        // A signed-in server needs the token, which media elements cannot send: where the
        // server signs URLs the element loads a signed one (streamed, any size)…
        _ if signed_in && api::signs_urls() => {
            let signed = LocalResource::new(move || {
                let (config, url) = (config.clone(), url.clone());
                async move { api::signed_url(&config, &url).await }
            });
            view! {
                <Suspense fallback=|| ()>
                    {move || signed.get().map(|signed| match signed {
                        Some(src) => media(kind, src),
                        None => view! {
                            <p class=style::preview_note>"Download the file to view it."</p>
                        }
                        .into_any(),
                    })}
                </Suspense>
            }
            .into_any()
        }
        // …elsewhere small images are fetched as blobs, the rest left to the Download button.
        PreviewKind::Image if signed_in && entry.size <= MAX_BLOB_PREVIEW_BYTES => {
            let blob_url = LocalResource::new(move || {
                let (config, url) = (config.clone(), url.clone());
                async move { api::fetch_object_url(&config, &url).await }
            });
            // Object URLs hold the bytes until revoked.
            on_cleanup(move || {
                if let Some(Ok(url)) = blob_url.try_get_untracked().flatten() {
                    let _ = web_sys::Url::revoke_object_url(&url);
                }
            });
            view! {
                <Suspense fallback=|| ()>
                    {move || blob_url.get().and_then(Result::ok).map(|src| media(kind, src))}
                </Suspense>
            }
            .into_any()
        }
        _ if signed_in => view! {
            <p class=style::preview_note>"Download the file to view it."</p>
        }
        .into_any(),
        _ => media(kind, url),
    }
}

/// The element that shows a media `kind` (not text) from `src`.
fn media(kind: PreviewKind, src: String) -> AnyView {
    match kind {
        PreviewKind::Image | PreviewKind::Text => view! {
            <img class=style::preview_media src=src alt="Preview" data-preview="image"/>
        }
        .into_any(),
        PreviewKind::Pdf => view! {
            // The server sends PDFs as `application/pdf` with `nosniff`: the browser's PDF
            // viewer shows them, nothing else can run from this URL.
            <iframe class=style::preview_pdf src=src title="PDF preview" data-preview="pdf"></iframe>
        }
        .into_any(),
        PreviewKind::Audio => view! {
            <audio class=style::preview_media src=src controls preload="metadata" data-preview="audio"></audio>
        }
        .into_any(),
        PreviewKind::Video => view! {
            <video class=style::preview_media src=src controls preload="metadata" data-preview="video"></video>
        }
        .into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::PreviewKind;

    #[test]
    fn only_passive_types_get_a_preview() {
        assert_eq!(PreviewKind::of("image/png"), Some(PreviewKind::Image));
        assert_eq!(PreviewKind::of("image/svg+xml"), None);
        assert_eq!(
            PreviewKind::of("text/plain; charset=utf-8"),
            Some(PreviewKind::Text)
        );
        assert_eq!(PreviewKind::of("text/html"), Some(PreviewKind::Text));
        assert_eq!(PreviewKind::of("application/pdf"), Some(PreviewKind::Pdf));
        assert_eq!(PreviewKind::of("video/mp4"), Some(PreviewKind::Video));
        assert_eq!(PreviewKind::of("audio/ogg"), Some(PreviewKind::Audio));
        assert_eq!(PreviewKind::of("application/octet-stream"), None);
    }
}
