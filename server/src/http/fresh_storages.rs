//! On an `s3://` root, every request first brings the storages up to date with
//! the bucket (one conditional `GET` of their record, `crate::storages::shared`),
//! so a storage added, changed or removed through another instance is seen
//! here before this request is answered. A bucket that cannot answer is a 503.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::state::AppState;
use crate::error::AppError;

/// The middleware (installed only on an `s3://` root).
pub async fn refresh(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Err(error) = state.storages().refresh().await {
        tracing::warn!(%error, "the storages record could not be read");
        return AppError::Unavailable(format!(
            "the list of storages could not be read from the bucket: {error}"
        ))
        .into_response();
    }
    next.run(request).await
}
