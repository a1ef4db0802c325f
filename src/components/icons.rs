//! Small inline SVG icons (no icon font, no extra requests) chosen by entry type.

use leptos::prelude::*;

/// Broad kinds of entries that get their own icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconKind {
    /// A directory.
    Folder,
    /// Images.
    Image,
    /// Audio and video.
    Media,
    /// Zip, tar and friends.
    Archive,
    /// Text, code and documents.
    Text,
    /// Anything else.
    File,
}

impl IconKind {
    /// Picks the icon for an entry from its MIME type.
    pub fn of(is_dir: bool, mime: &str) -> Self {
        if is_dir {
            return Self::Folder;
        }
        let (top, sub) = mime.split_once('/').unwrap_or((mime, ""));
        match top {
            "image" => Self::Image,
            "audio" | "video" => Self::Media,
            "text" => Self::Text,
            _ if sub.contains("zip") || sub.contains("tar") || sub.contains("compress") => {
                Self::Archive
            }
            _ if sub.contains("json")
                || sub.contains("xml")
                || sub == "pdf"
                || sub.contains("javascript") =>
            {
                Self::Text
            }
            _ => Self::File,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::Folder => "M3 6.5A1.5 1.5 0 0 1 4.5 5h4l2 2h9A1.5 1.5 0 0 1 21 8.5v9a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z",
            Self::Image => "M5 4h14a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1zm1 13h12l-4-5-3 3.5-2-2.5zM8.5 10a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z",
            Self::Media => "M6 4h9l4 4v12H6zm4 6v7l5-3.5z",
            Self::Archive => "M6 3h12v18H6zm5 1v2h2V4zm0 3v2h2V7zm0 3v2h2v-2zm-1 4v4h4v-4z",
            Self::Text => "M6 3h8l4 4v14H6zm2 7v1.5h8V10zm0 3v1.5h8V13zm0 3v1.5h5V16z",
            Self::File => "M6 3h8l4 4v14H6zm8 0v4h4",
        }
    }
}

/// An icon for an entry; decorative, so hidden from assistive technology.
#[component]
pub fn EntryIcon(
    /// Which icon to draw.
    kind: IconKind,
) -> impl IntoView {
    let class = match kind {
        IconKind::Folder => "icon icon--folder",
        _ => "icon",
    };
    view! {
        <svg class=class viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
            <path d=kind.path() fill="currentColor" fill-rule="evenodd"></path>
        </svg>
    }
}
