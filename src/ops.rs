//! Tree operations through the raw file API (PROTOCOL.md §4): new folder, move (rename),
//! copy and delete. Where a server has no raw API but lets the client write, delete falls
//! back to plain RFSAPI `DELETE P` (§0).

use crate::errors::ApiError;
use crate::location::Config;
use skiff_protocol::{ErrorBody, TreePath};
use wasm_bindgen_futures::JsFuture;
use web_sys::UrlSearchParams;

/// Where tree operations go on one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operations {
    /// The app's configuration (server and token).
    pub config: Config,
    /// `{server}{raw}`, when the server has the raw API.
    pub raw: Option<String>,
}

/// Why an operation failed, in words for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpError {
    /// The target name exists (412).
    Exists,
    /// A folder that is not empty needs a recursive delete (409).
    NotEmpty,
    /// This server cannot do that operation at all.
    Unsupported,
    /// Anything else: the request's error.
    Failed(ApiError),
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpError::Exists => f.write_str("Something with that name is already there."),
            OpError::NotEmpty => f.write_str("That folder is not empty."),
            OpError::Unsupported => f.write_str("This server cannot do that."),
            OpError::Failed(error) => write!(f, "{error}"),
        }
    }
}

impl Operations {
    /// Creates the folder `path` (parents too).
    pub async fn mkdir(&self, path: &TreePath) -> Result<(), OpError> {
        let url = self.raw_url("mkdir", &[("ref", reference(path))])?;
        self.send("POST", &url).await
    }

    /// Moves (or renames) `from` to `to`; `overwrite` replaces what is there.
    pub async fn rename(
        &self,
        from: &TreePath,
        to: &TreePath,
        overwrite: bool,
    ) -> Result<(), OpError> {
        let mut query = vec![("ref", reference(from)), ("to", reference(to))];
        if overwrite {
            query.push(("overwrite", "true".to_owned()));
        }
        let url = self.raw_url("move", &query)?;
        self.send("POST", &url).await
    }

    /// Copies `from` to `to` (new ids for the copy).
    pub async fn copy(&self, from: &TreePath, to: &TreePath) -> Result<(), OpError> {
        let url = self.raw_url("copy", &[("ref", reference(from)), ("to", reference(to))])?;
        self.send("POST", &url).await
    }

    /// Deletes `path`; folders with content only with `recursive`.
    pub async fn delete(&self, path: &TreePath, recursive: bool) -> Result<(), OpError> {
        if self.raw.is_none() {
            // Plain RFSAPI: files and empty folders only.
            let url = format!("{}{}", self.config.server, path.to_url_path());
            return self.send("DELETE", &url).await;
        }
        let mut query = vec![("ref", reference(path))];
        if recursive {
            query.push(("recursive", "true".to_owned()));
        }
        let url = self.raw_url("data", &query)?;
        self.send("DELETE", &url).await
    }

    fn raw_url(&self, operation: &str, query: &[(&str, String)]) -> Result<String, OpError> {
        let raw = self.raw.as_deref().ok_or(OpError::Unsupported)?;
        let params = UrlSearchParams::new().map_err(|_| OpError::Unsupported)?;
        for (name, value) in query {
            params.append(name, value);
        }
        let query: String = params.to_string().into();
        Ok(format!("{raw}/{operation}?{query}"))
    }

    async fn send(&self, method: &str, url: &str) -> Result<(), OpError> {
        let response = crate::api::send(&self.config, method, url, Default::default())
            .await
            .map_err(OpError::Failed)?;
        if response.ok() {
            return Ok(());
        }
        let status = response.status();
        let body = match response.text() {
            Ok(promise) => JsFuture::from(promise)
                .await
                .ok()
                .and_then(|text| text.as_string())
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        let (code, message) = match serde_json::from_str::<ErrorBody>(&body) {
            Ok(body) => (body.error.code, body.error.message),
            Err(_) => (String::new(), response.status_text()),
        };
        // 409 covers several conflicts; the error code says which.
        Err(match (status, code.as_str()) {
            (412, _) | (409, "exists") => OpError::Exists,
            (409, "not_empty") => OpError::NotEmpty,
            (401, _) => OpError::Failed(ApiError::Unauthorized { signed_in: true }),
            (403, _) => OpError::Failed(ApiError::Forbidden { message }),
            _ => OpError::Failed(ApiError::Http { status, message }),
        })
    }
}

/// `path:/a/b` as the raw API's `ref=` and `to=` take it.
fn reference(path: &TreePath) -> String {
    format!("path:{path}")
}
