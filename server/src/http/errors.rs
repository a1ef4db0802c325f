//! How an [`AppError`] goes on the wire: its status, the JSON error body and the
//! headers some statuses need (`Allow`, `WWW-Authenticate`, `Retry-After`,
//! `Content-Range`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use skiff_protocol::{ErrorBody, UploadSession, CHECKSUM_MISMATCH_STATUS};

use super::json::json_response;
use crate::error::AppError;

/// Methods the read-only tree answers, for `Allow` on 405.
pub const TREE_METHODS: &str = "GET, HEAD";
/// Methods the tree answers with `--writable`.
pub const WRITABLE_TREE_METHODS: &str = "GET, HEAD, PUT, DELETE";

/// The status an error is answered with.
fn status(error: &AppError) -> StatusCode {
    match error {
        AppError::BadPath(..) => StatusCode::BAD_REQUEST,
        AppError::OutsideRoot => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Reserved => StatusCode::FORBIDDEN,
        AppError::PermissionDenied => StatusCode::FORBIDDEN,
        AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
        AppError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
        AppError::ReadOnly => StatusCode::FORBIDDEN,
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::ReadOnlyToken => StatusCode::FORBIDDEN,
        AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        AppError::UnknownBucket(..) => StatusCode::NOT_FOUND,
        AppError::UnknownStorage(..) => StatusCode::NOT_FOUND,
        AppError::UnknownSession => StatusCode::NOT_FOUND,
        AppError::AlreadyExists => StatusCode::PRECONDITION_FAILED,
        AppError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
        AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::ChecksumMismatch { .. } => checksum_status(),
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::OffsetMismatch(..) => StatusCode::CONFLICT,
        AppError::SessionConflict { .. } => StatusCode::CONFLICT,
        AppError::InsufficientStorage { .. } => StatusCode::INSUFFICIENT_STORAGE,
        AppError::Unavailable(..) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::NotShared { .. } => StatusCode::NOT_IMPLEMENTED,
        AppError::Store(..) => StatusCode::INTERNAL_SERVER_ERROR,
        AppError::Io(..) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// 460, which `http` has no constant for.
fn checksum_status() -> StatusCode {
    StatusCode::from_u16(CHECKSUM_MISMATCH_STATUS).unwrap_or(StatusCode::BAD_REQUEST)
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = status(&self);
        let body = ErrorBody {
            error: self.client_detail(),
        };
        let mut response = match self {
            // §2: the 409 body is the session itself, carrying `error` as well.
            Self::OffsetMismatch(ref session) => {
                let session = UploadSession {
                    error: Some(body.error),
                    ..(**session).clone()
                };
                json_response(status, &session)
            }
            Self::SessionConflict { ref session, .. } => {
                let session = UploadSession {
                    error: Some(body.error),
                    ..(**session).clone()
                };
                json_response(status, &session)
            }
            _ => json_response(status, &body),
        };
        match self {
            Self::MethodNotAllowed { allow } => {
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            Self::Unauthorized => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::Unavailable(_) => {
                // A backend outage is usually short: say when trying again makes sense.
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            Self::RangeNotSatisfiable { size } => {
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
            }
            _ => {}
        }
        response
    }
}
