//! Storages (PROTOCOL.md §5): the list every client may read, and the admin calls that
//! add, relabel and remove storages. Failures keep the server's own words (its message
//! names what is wrong, e.g. the bucket or the URL) so the form can show them.

use super::{send, Outgoing};
use crate::location::Config;
use skiff_protocol::{ErrorBody, Storage, StorageCreate, StoragePatch};
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

/// Why a storage call failed: the HTTP status (0 when the server never answered) and
/// the server's machine-readable code and sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    /// HTTP status; 0 when there was no answer.
    pub status: u16,
    /// The error body's `code` (empty when the answer had none).
    pub code: String,
    /// What people read.
    pub message: String,
}

impl StorageError {
    fn unreachable() -> Self {
        Self {
            status: 0,
            code: String::new(),
            message: "The server could not be reached. Check the connection and try again."
                .to_owned(),
        }
    }
}

/// Where a server keeps its storages: `{server}{storages}` from discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoragesApi {
    /// The app's configuration (server and token).
    pub config: Config,
    /// `{server}{storages}`, without a trailing slash.
    pub endpoint: String,
}

impl StoragesApi {
    /// `GET {storages}`: every storage of the server.
    pub async fn list(&self) -> Result<Vec<Storage>, StorageError> {
        let text = self.request("GET", &self.endpoint, None).await?;
        serde_json::from_str(&text).map_err(|error| unexpected(&error))
    }

    /// `POST {storages}` (admin): the new storage, or the server's refusal.
    pub async fn create(&self, body: &StorageCreate) -> Result<Storage, StorageError> {
        let json = serde_json::to_string(body).map_err(|error| unexpected(&error))?;
        let text = self.request("POST", &self.endpoint, Some(&json)).await?;
        serde_json::from_str(&text).map_err(|error| unexpected(&error))
    }

    /// `PATCH {storages}/{name}` (admin): the changed storage.
    pub async fn patch(&self, name: &str, body: &StoragePatch) -> Result<Storage, StorageError> {
        let json = serde_json::to_string(body).map_err(|error| unexpected(&error))?;
        let text = self
            .request("PATCH", &self.url_of(name), Some(&json))
            .await?;
        serde_json::from_str(&text).map_err(|error| unexpected(&error))
    }

    /// `DELETE {storages}/{name}` (admin): the storage is unmounted and forgotten; its
    /// bytes stay in the backend.
    pub async fn remove(&self, name: &str) -> Result<(), StorageError> {
        self.request("DELETE", &self.url_of(name), None).await?;
        Ok(())
    }

    fn url_of(&self, name: &str) -> String {
        format!("{}/{}", self.endpoint, skiff_protocol::encode_segment(name))
    }

    /// One call; the body of a 2xx answer, else the server's error.
    async fn request(
        &self,
        method: &str,
        url: &str,
        json: Option<&str>,
    ) -> Result<String, StorageError> {
        let outgoing = Outgoing {
            headers: &[("Accept", "application/json")],
            json,
            ..Outgoing::default()
        };
        let response = send(&self.config, method, url, outgoing)
            .await
            .map_err(|_| StorageError::unreachable())?;
        let text = body_text(&response).await?;
        if response.ok() {
            return Ok(text);
        }
        let status = response.status();
        Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => StorageError {
                status,
                code: body.error.code,
                message: body.error.message,
            },
            Err(_) => StorageError {
                status,
                code: String::new(),
                message: refusal_without_words(status),
            },
        })
    }
}

/// What to say when the server refused without a JSON error (a proxy's page, say).
fn refusal_without_words(status: u16) -> String {
    match status {
        401 => "Sign in with an admin token to manage storages.".to_owned(),
        403 => "This token may not manage storages (it needs the admin role).".to_owned(),
        404 => "This server has no such storage.".to_owned(),
        _ => format!("The server refused (HTTP {status})."),
    }
}

fn unexpected(error: &serde_json::Error) -> StorageError {
    StorageError {
        status: 0,
        code: String::new(),
        message: format!("The server's answer was not understood: {error}"),
    }
}

async fn body_text(response: &Response) -> Result<String, StorageError> {
    let promise = response.text().map_err(|_| StorageError::unreachable())?;
    let text = JsFuture::from(promise)
        .await
        .map_err(|_| StorageError::unreachable())?;
    Ok(text.as_string().unwrap_or_default())
}
