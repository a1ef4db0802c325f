//! Metadata (PROTOCOL.md §3): read, merge or replace a file's user keys.

use super::{response_bytes, send, Outgoing};
use crate::location::Config;
use skiff_protocol::{ErrorBody, FileMetadata, TreePath};

/// Metadata (PROTOCOL.md §3) on one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataApi {
    /// The app's configuration (server and token).
    pub config: Config,
    /// `{server}{metadata}`.
    pub endpoint: String,
    /// `{server}{raw}`, for permalinks by id.
    pub raw: Option<String>,
}

impl MetadataApi {
    /// The metadata of `path`, or a sentence saying why not.
    pub async fn get(&self, path: &TreePath) -> Result<FileMetadata, String> {
        self.request("GET", path, None).await
    }

    /// Merges (`POST`) or replaces (`PUT`) the user keys; the server's answer or its
    /// refusal (it names the offending key).
    pub async fn write(
        &self,
        path: &TreePath,
        body: &std::collections::BTreeMap<String, skiff_protocol::MetadataValue>,
        replace: bool,
    ) -> Result<FileMetadata, String> {
        let json = serde_json::to_string(body).map_err(|error| error.to_string())?;
        self.request(if replace { "PUT" } else { "POST" }, path, Some(json))
            .await
    }

    /// A link to the bytes by stable id: it keeps working after moves.
    pub fn permalink(&self, id: &str) -> String {
        let base = self.raw.clone().unwrap_or_default();
        format!(
            "{base}/data?ref=id%3A{}",
            skiff_protocol::encode_segment(id)
        )
    }

    async fn request(
        &self,
        method: &str,
        path: &TreePath,
        body: Option<String>,
    ) -> Result<FileMetadata, String> {
        let url = format!("{}{}", self.endpoint, path.to_url_path());
        let failed = || "the server could not be reached".to_owned();
        let outgoing = Outgoing {
            headers: &[("Accept", "application/json")],
            json: body.as_deref(),
            ..Outgoing::default()
        };
        let response = send(&self.config, method, &url, outgoing)
            .await
            .map_err(|_| failed())?;
        let bytes = response_bytes(&self.config, &response)
            .await
            .map_err(|_| failed())?;
        if response.ok() {
            return serde_json::from_slice(&bytes)
                .map_err(|error| format!("unexpected answer: {error}"));
        }
        Err(serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|body| body.error.message)
            .unwrap_or_else(|_| format!("HTTP {}", response.status())))
    }
}
