//! What can go wrong while talking to a server, in words a person can act on.

use skiff_protocol::TreePath;
use std::fmt;

/// A failed request, classified by what the user should do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No HTTP answer at all: the server is down, unreachable, or blocked by CORS.
    Unreachable {
        /// The server the app tried to reach.
        server: String,
    },
    /// The server answered, but not in RFSAPI.
    NotRfsapi {
        /// The server the app tried to reach.
        server: String,
        /// What was wrong with the answer.
        detail: String,
    },
    /// The path does not exist on the server.
    NotFound {
        /// The missing path.
        path: TreePath,
    },
    /// The server wants a token (401): none was given, or the one given is wrong.
    Unauthorized {
        /// Whether a token was sent (then it was refused).
        signed_in: bool,
    },
    /// The server refuses this (403): a read-only token, a reserved name, file permissions.
    Forbidden {
        /// The server's message.
        message: String,
    },
    /// Signed in on a server that makes no signed URLs, a file too big to pass through
    /// the page's memory (the only way the token can go with it).
    TooBigWithoutLinks {
        /// The file's size; `None` when the answer did not say (a folder's ZIP) and only
        /// its first [`crate::api::MAX_BLOB_BYTES`] were seen.
        size: Option<u64>,
    },
    /// Any other HTTP error, with the server's own message when it sent one.
    Http {
        /// HTTP status code.
        status: u16,
        /// The server's message or the status text.
        message: String,
    },
}

impl ApiError {
    /// A short heading for the error state.
    pub fn title(&self) -> &'static str {
        match self {
            ApiError::Unreachable { .. } => "Can't reach the server",
            ApiError::NotRfsapi { .. } => "This server doesn't speak RFSAPI",
            ApiError::NotFound { .. } => "Folder not found",
            ApiError::Unauthorized { .. } => "Sign in to browse this server",
            ApiError::Forbidden { .. } => "Not allowed",
            ApiError::TooBigWithoutLinks { .. } => "Too big to fetch while signed in",
            ApiError::Http { .. } => "The server returned an error",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Unreachable { server } => write!(
                f,
                "No answer from {server}. Check that the server is running and reachable, then retry."
            ),
            ApiError::NotRfsapi { server, detail } => write!(
                f,
                "{server} answered, but not with the X-Raw-Filesystem-API protocol Skiff needs \
                 ({detail}). Point Skiff at a server such as skiff-server."
            ),
            ApiError::NotFound { path } => write!(f, "There is no folder at {path}."),
            ApiError::Unauthorized { signed_in: false } => write!(
                f,
                "This server asks for an access token. Paste the token you were given; it is \
                 kept in this tab only."
            ),
            ApiError::Unauthorized { signed_in: true } => write!(
                f,
                "The server did not accept that token. Check it and try again."
            ),
            ApiError::Forbidden { message } => {
                write!(f, "Not allowed: {message}.")
            }
            ApiError::TooBigWithoutLinks { size } => write!(
                f,
                "This server can't make download links, so a file this big ({}) can't be \
                 saved or opened while you are signed in: it would have to pass through this \
                 page's memory. Ask whoever runs the server to update skiff-server or turn \
                 its signed links on, or fetch the file with a tool that sends your token, \
                 such as curl.",
                match size {
                    Some(size) => crate::model::human_size(*size),
                    None => format!(
                        "over {}",
                        crate::model::human_size(crate::api::MAX_BLOB_BYTES)
                    ),
                }
            ),
            ApiError::Http { status, message } => write!(f, "{}", http_sentence(*status, message)),
        }
    }
}

impl std::error::Error for ApiError {}

/// What an HTTP error status means for the person reading it, and what to do; the code and
/// the server's own words follow in brackets for whoever runs the server.
pub fn http_sentence(status: u16, message: &str) -> String {
    let what = match status {
        408 | 504 => "The server took too long to answer. Try again in a moment.",
        409 | 412 => "The file changed on the server in the meantime. Reload the folder and try again.",
        413 => "That is larger than this server accepts.",
        416 => "The server could not send that part of the file; it may have changed. Reload the folder.",
        423 => "The file is busy (another upload or change is in progress). Try again shortly.",
        429 => "The server is busy with too many requests. Wait a moment and try again.",
        507 => "The server has no room left for this. Free some space on it, then try again.",
        500..=599 => "The server ran into a problem. Try again in a moment; if it keeps happening, tell whoever runs the server.",
        400..=499 => "The server refused this request. Reload the folder and try again.",
        _ => "The server gave an unexpected answer. Reload the folder and try again.",
    };
    let message = message.trim();
    if message.is_empty() {
        format!("{what} (HTTP {status})")
    } else {
        format!("{what} (HTTP {status}: {message})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_errors_say_what_happened_and_what_to_do() {
        let range = ApiError::Http {
            status: 416,
            message: "Range Not Satisfiable".into(),
        }
        .to_string();
        assert!(
            range.starts_with("The server could not send that part"),
            "{range}"
        );
        assert!(
            range.ends_with("(HTTP 416: Range Not Satisfiable)"),
            "{range}"
        );
        let busy = http_sentence(503, "");
        assert!(busy.contains("Try again in a moment") && busy.ends_with("(HTTP 503)"));
        assert!(http_sentence(418, "teapot").contains("refused this request"));
    }

    #[test]
    fn a_file_too_big_without_links_says_why_and_what_to_do() {
        let said = ApiError::TooBigWithoutLinks {
            size: Some(3 << 30),
        }
        .to_string();
        assert!(
            said.starts_with("This server can't make download links"),
            "{said}"
        );
        assert!(
            said.contains("(3.0 GiB)") && said.contains("curl"),
            "{said}"
        );
        let zip = ApiError::TooBigWithoutLinks { size: None }.to_string();
        assert!(zip.contains("(over 256 MiB)"), "{zip}");
    }
}
