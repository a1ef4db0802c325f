//! What a [`StoreError`] means to a client: the same statuses and codes the local
//! tree has always answered with, plus 503 for a backend that cannot be reached
//! (the client may retry; nothing acknowledged is lost).

use crate::error::AppError;
use crate::store::StoreError;

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Exists => AppError::AlreadyExists,
            StoreError::Precondition => AppError::PreconditionFailed,
            StoreError::Outside => AppError::OutsideRoot,
            StoreError::WrongKind(what) => AppError::Conflict {
                code: "wrong_kind",
                message: what.to_owned(),
            },
            StoreError::NotEmpty => AppError::Conflict {
                code: "not_empty",
                message: "the folder is not empty".to_owned(),
            },
            StoreError::NoSpace => AppError::InsufficientStorage {
                code: "insufficient_storage",
                message: "the storage has no space left; free some and try again".to_owned(),
            },
            StoreError::Denied(reason) | StoreError::Unavailable(reason) => {
                AppError::Unavailable(reason)
            }
            StoreError::Body(reason) => AppError::BadRequest {
                code: "body_cut",
                message: format!("the request body could not be read: {reason}"),
            },
        }
    }
}
