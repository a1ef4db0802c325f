//! Folder markers: the zero-byte `key/` objects S3 consoles write for an empty
//! folder. `object_store`'s `Path` cannot name a key that ends in `/` (it drops
//! the slash), so these two requests are signed and sent here, with
//! `object_store`'s own SigV4 signer, credentials and HTTP client.

use axum::http::{Method, Request};
use object_store::aws::{AwsAuthorizer, AwsCredentialProvider};
use object_store::client::{HttpClient, HttpRequestBody};

use super::errors::{cannot_reach, error_code, from_answer};
use super::spec::S3Spec;
use crate::store::StoreError;

/// Writes and removes `key/` marker objects in one bucket.
#[derive(Debug, Clone)]
pub struct Markers {
    pub client: HttpClient,
    pub credentials: AwsCredentialProvider,
    pub spec: S3Spec,
}

impl Markers {
    /// Writes the marker of folder `key` (a full object key, no trailing `/`).
    pub async fn put(&self, key: &str) -> Result<(), StoreError> {
        self.send(Method::PUT, key, false).await
    }

    /// Writes the marker of folder `key` only if none is there
    /// (`If-None-Match: *`): two instances making one folder at once have one
    /// winner; the other gets [`StoreError::Exists`].
    pub async fn create(&self, key: &str) -> Result<(), StoreError> {
        match self.send(Method::PUT, key, true).await {
            Err(StoreError::Precondition) => Err(StoreError::Exists),
            other => other,
        }
    }

    /// Removes the marker of folder `key`; none there is fine.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.send(Method::DELETE, key, false).await
    }

    async fn send(&self, method: Method, key: &str, create: bool) -> Result<(), StoreError> {
        let url = format!("{}/{}/", self.spec.bucket_url(), encode_key(key));
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(&url)
            .header("content-length", "0");
        if create {
            builder = builder.header("if-none-match", "*");
        }
        let mut request = builder
            .body(HttpRequestBody::empty())
            .map_err(|error| StoreError::Unavailable(format!("bad marker request: {error}")))?;
        let credential = self
            .credentials
            .get_credential()
            .await
            .map_err(|error| super::errors::from_object_store(error, &self.spec))?;
        AwsAuthorizer::new(&credential, "s3", &self.spec.region)
            .try_authorize(&mut request, None)
            .map_err(|error| super::errors::from_object_store(error, &self.spec))?;
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|_| cannot_reach(&self.spec))?;
        let status = response.status();
        if status.is_success() || (method == Method::DELETE && status.as_u16() == 404) {
            return Ok(());
        }
        let body = response.into_body().bytes().await.unwrap_or_default();
        let body = String::from_utf8_lossy(&body);
        Err(
            from_answer(status.as_u16(), &body, &self.spec).unwrap_or_else(|| {
                StoreError::Unavailable(format!(
                    "{} answered {status} {} to a folder marker",
                    self.spec.endpoint_label(),
                    error_code(&body).unwrap_or_default()
                ))
            }),
        )
    }
}

/// A key as a URL path: every byte but unreserved ones and `/` percent-encoded
/// (as `object_store` encodes paths, which is what SigV4 signs for S3).
fn encode_key(key: &str) -> String {
    let mut encoded = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_percent_encoded_but_slashes() {
        assert_eq!(encode_key("a b/c#%é"), "a%20b/c%23%25%C3%A9");
    }
}
