//! [`blocking`]: file system and database work (both block) run off the async
//! workers, with a panic or cancellation of that work turned into an [`AppError`].

use crate::error::AppError;

/// Runs blocking file system or store work off the async workers.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| AppError::Io(std::io::Error::other(error)))?
}
