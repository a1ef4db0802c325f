//! [`AppError`]: every way a service call can fail, with the `code` and message
//! a client may see. Plain Rust, no HTTP: `crate::http::errors` turns it into a
//! status and the JSON body `{"error": {"code", "message"}}`; the detail (OS
//! errors, paths on disk) goes to the log only.

use skiff_protocol::{ErrorDetail, PathError, UploadSession};

/// A request that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The URL path failed the lexical checks of `TreePath::parse_url_path`.
    #[error("bad path: {0}")]
    BadPath(#[from] PathError),
    /// The path resolves (through a symlink) outside the served root.
    #[error("the path leads outside the served folder")]
    OutsideRoot,
    /// Nothing at this path (or it is hidden, like `.skiff`).
    #[error("not found")]
    NotFound,
    /// An attempt to change the reserved `.skiff` name.
    #[error("the name .skiff is reserved")]
    Reserved,
    /// The OS refused access.
    #[error("permission denied")]
    PermissionDenied,
    /// The method is not served here; `allow` lists those that are.
    #[error("method not allowed")]
    MethodNotAllowed {
        /// Value of the `Allow` header.
        allow: &'static str,
    },
    /// A `Range` that starts past the end of the file.
    #[error("range not satisfiable")]
    RangeNotSatisfiable {
        /// The file's size, for `Content-Range: bytes */SIZE`.
        size: u64,
    },
    /// No valid `Authorization: Bearer` on a server with tokens (401).
    #[error("this server needs a valid bearer token")]
    Unauthorized,
    /// A write with a read-only token (403).
    #[error("this token may only read")]
    ReadOnlyToken,
    /// A write to a server started without `--writable`.
    #[error("this server is read-only")]
    ReadOnly,
    /// A malformed request (bad JSON, a missing or bad header, a chunk past the size).
    #[error("{message}")]
    BadRequest {
        /// Machine-readable code.
        code: &'static str,
        /// What was wrong.
        message: String,
    },
    /// A bucket this server does not have.
    #[error("no bucket named {0:?}")]
    UnknownBucket(String),
    /// A storage (§5) this server does not have.
    #[error("no storage named {0:?}")]
    UnknownStorage(String),
    /// An upload session that does not exist, or expired.
    #[error("no such upload session (it may have expired)")]
    UnknownSession,
    /// `If-None-Match: *` and the target exists.
    #[error("the target already exists")]
    AlreadyExists,
    /// `If-Match` names an ETag the entry no longer has (or it is gone).
    #[error("the entry changed (If-Match does not match)")]
    PreconditionFailed,
    /// A body or announced size over a configured limit.
    #[error("{message}")]
    TooLarge {
        /// Machine-readable code.
        code: &'static str,
        /// Which limit.
        message: String,
    },
    /// A chunk or whole-file SHA-256 that does not match (status 460).
    #[error("{message}")]
    ChecksumMismatch {
        /// Machine-readable code.
        code: &'static str,
        /// Which checksum.
        message: String,
    },
    /// The request conflicts with what is stored (a non-empty folder, a file as parent).
    #[error("{message}")]
    Conflict {
        /// Machine-readable code.
        code: &'static str,
        /// What is in the way.
        message: String,
    },
    /// An append at the wrong offset: 409 whose body is the session, so the client re-syncs.
    #[error("the chunk does not start at the session's offset")]
    OffsetMismatch(Box<UploadSession>),
    /// A §2.1 request that the session's state refuses (parts missing at complete,
    /// a part for a completed or failed session, a sequential append to a parts
    /// session): 409 whose body is the session, carrying `error` with `code`.
    #[error("{message}")]
    SessionConflict {
        /// Machine-readable code (`parts_missing`, `session_closed`, `not_sequential`).
        code: &'static str,
        /// What was wrong.
        message: String,
        /// The session as it stands.
        session: Box<UploadSession>,
    },
    /// Not enough free space for what the request would store (507); nothing
    /// acknowledged is lost, and the request may be repeated once space is freed.
    #[error("{message}")]
    InsufficientStorage {
        /// Machine-readable code (`insufficient_storage`).
        code: &'static str,
        /// What did not fit.
        message: String,
    },
    /// A storage backend cannot be reached or refuses us right now (503); the
    /// request may be repeated once it is back, and nothing acknowledged is lost.
    #[error("the storage is unavailable right now: {0}")]
    Unavailable(String),
    /// What an `s3://` root cannot do yet without letting its instances drift
    /// apart (state still kept per instance, docs/design/scale-out.md): 501.
    #[error("{message}")]
    NotShared {
        /// Machine-readable code.
        code: &'static str,
        /// What is refused and why.
        message: String,
    },
    /// The upload state store failed; the detail goes to the log only.
    #[error("upload state store error: {0}")]
    Store(String),
    /// Anything else the filesystem threw at us.
    #[error("I/O error: {0}")]
    Io(std::io::Error),
}

/// Store failures are the server's fault: 500, with the detail kept for the log.
pub fn store_error(error: impl std::fmt::Display) -> AppError {
    AppError::Store(error.to_string())
}

impl From<std::io::Error> for AppError {
    /// A full disk (or quota) is the client's business (507: free space and
    /// retry); any other I/O error is the server's (500, detail logged only).
    fn from(error: std::io::Error) -> Self {
        if is_out_of_space(&error) {
            tracing::warn!(%error, "out of space");
            Self::InsufficientStorage {
                code: "insufficient_storage",
                message: "the server's disk is full; nothing acknowledged was lost, \
                          retry once space is freed"
                    .to_owned(),
            }
        } else {
            Self::Io(error)
        }
    }
}

/// ENOSPC or EDQUOT.
pub fn is_out_of_space(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

impl AppError {
    /// The machine-readable `code` of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadPath(_) => "bad_path",
            Self::OutsideRoot => "outside_root",
            Self::NotFound => "not_found",
            Self::Reserved => "reserved",
            Self::PermissionDenied => "permission_denied",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::RangeNotSatisfiable { .. } => "range_not_satisfiable",
            Self::ReadOnly => "read_only",
            Self::Unauthorized => "unauthorized",
            Self::ReadOnlyToken => "read_only_token",
            Self::BadRequest { code, .. } => code,
            Self::UnknownBucket(_) => "unknown_bucket",
            Self::UnknownStorage(_) => "unknown_storage",
            Self::UnknownSession => "unknown_session",
            Self::AlreadyExists => "already_exists",
            Self::PreconditionFailed => "etag_mismatch",
            Self::TooLarge { code, .. } => code,
            Self::ChecksumMismatch { code, .. } => code,
            Self::Conflict { code, .. } => code,
            Self::OffsetMismatch(_) => "offset_mismatch",
            Self::SessionConflict { code, .. } => code,
            Self::InsufficientStorage { code, .. } => code,
            Self::Unavailable(_) => "storage_unavailable",
            Self::NotShared { code, .. } => code,
            Self::Store(_) => "store_error",
            Self::Io(_) => "io_error",
        }
    }

    /// Maps a filesystem error on a user path to what the client should see.
    pub fn from_fs(error: std::io::Error) -> Self {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::NotFound | ErrorKind::NotADirectory => Self::NotFound,
            ErrorKind::PermissionDenied => Self::PermissionDenied,
            // A symlink loop is a dead link, and a too-long name cannot exist:
            // both are "nothing here" as far as the client is concerned.
            _ if matches!(error.raw_os_error(), Some(ELOOP | ENAMETOOLONG)) => Self::NotFound,
            _ => Self::from(error),
        }
    }
}

// errno values; std has no stable `ErrorKind` for them on our MSRV.
#[cfg(target_os = "linux")]
const ELOOP: i32 = 40;
#[cfg(target_os = "linux")]
const ENAMETOOLONG: i32 = 36;
#[cfg(not(target_os = "linux"))]
const ELOOP: i32 = 62;
#[cfg(not(target_os = "linux"))]
const ENAMETOOLONG: i32 = 63;

impl AppError {
    /// The code and message a client may see; OS and store detail go to the log.
    pub fn client_detail(&self) -> ErrorDetail {
        let code = self.code();
        let message = match self {
            // Never echo OS detail (it may hold real paths); the log has it.
            Self::Io(error) => {
                tracing::error!(%error, "request failed");
                "the server could not read or write the file system".to_owned()
            }
            Self::Store(detail) => {
                tracing::error!(%detail, "upload state store failed");
                "the server could not update its upload state".to_owned()
            }
            other => {
                tracing::debug!(error = %other, "request refused");
                other.to_string()
            }
        };
        ErrorDetail {
            code: code.to_owned(),
            message,
        }
    }
}
