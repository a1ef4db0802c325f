//! Signed URLs (PROTOCOL.md §6, v1.1; the format is ours, recorded in
//! docs/protocol-notes.md): a signed-in client asks `POST /.skiff/api/sign` for a
//! URL that reads one resource without the `Authorization` header, so the
//! browser's own download manager and `<img>`/`<video>` elements can fetch big
//! files straight to disk or screen, resumably, without page memory.
//!
//! A signed URL is the URL asked for with `skiff-exp` (expiry, Unix seconds),
//! `skiff-by` (the token's name) and `skiff-sig` appended, in that order, last. The
//! signature is HMAC-SHA-256, under the server's key (`crate::catalog::secrets`),
//! of the URL before them, the expiry and the name. It lets `GET`/`HEAD` of exactly
//! that URL through with read-only rights while the token named still exists
//! (removing a token revokes its links) and the expiry has not passed.

use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Extension, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::headers::small_body;
use super::json::json_response;
use super::state::AppState;
use crate::config::tokens::{Access, Grant};
use crate::error::AppError;

/// Where signed URLs are made.
pub const SIGN_PATH: &str = "/.skiff/api/sign";
/// Longest life a signed URL may ask for: 7 days.
const MOST_SECONDS: u64 = 7 * 24 * 60 * 60;
/// Life of a signed URL that does not ask: 24 hours (a big download may resume late).
const DEFAULT_SECONDS: u64 = 24 * 60 * 60;

/// `POST /.skiff/api/sign`'s body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequest {
    /// The path and query to sign, as it will be requested (`/a/b.txt`,
    /// `/.skiff/raw/zip?ref=…`).
    url: String,
    /// Seconds from now until it expires (1 to 7 days' worth; 24 hours if absent).
    expires_in: Option<u64>,
}

#[derive(Serialize)]
struct Signed {
    url: String,
    expires_at: u64,
}

/// The sign route (on every server; answers only where tokens are on).
pub fn routes() -> Router<AppState> {
    Router::new().route(SIGN_PATH, any(sign))
}

async fn sign(
    State(state): State<AppState>,
    grant: Option<Extension<Grant>>,
    method: Method,
    body: Body,
) -> Response {
    let result = async {
        if method != Method::POST {
            return Err(AppError::MethodNotAllowed { allow: "POST" });
        }
        let owner = match (state.signs_urls(), grant) {
            (
                true,
                Some(Extension(Grant {
                    owner: Some(owner), ..
                })),
            ) => owner,
            // Without tokens every URL is readable as it is: nothing to sign; with
            // `--no-signed-urls` nothing is signed either.
            _ => return Err(AppError::NotFound),
        };
        let bytes = small_body(body, 16 * 1024).await?;
        let request: SignRequest =
            serde_json::from_slice(&bytes).map_err(|error| AppError::BadRequest {
                code: "bad_json",
                message: format!("the body is not a sign request: {error}"),
            })?;
        let seconds = request.expires_in.unwrap_or(DEFAULT_SECONDS);
        if seconds == 0 || seconds > MOST_SECONDS {
            return Err(bad_url(format!(
                "expires_in must be 1 to {MOST_SECONDS} seconds"
            )));
        }
        if !request.url.starts_with('/') || request.url.starts_with("//") {
            return Err(bad_url(
                "url must be a path on this server, starting with /".to_owned(),
            ));
        }
        if request.url.contains("skiff-sig=") || request.url.contains('#') {
            return Err(bad_url(
                "url must not be signed already, nor hold a fragment".to_owned(),
            ));
        }
        let expires_at = now() + seconds;
        let url = signed(state.signing_key(), &request.url, expires_at, &owner);
        Ok(json_response(StatusCode::OK, &Signed { url, expires_at }))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

fn bad_url(message: String) -> AppError {
    AppError::BadRequest {
        code: "bad_url",
        message,
    }
}

/// `url` with its expiry, signer and signature appended.
fn signed(key: &[u8; 32], url: &str, expires_at: u64, owner: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    let by = skiff_protocol::encode_segment(owner);
    let signature = URL_SAFE_NO_PAD.encode(mac(key, url, expires_at, &by));
    format!("{url}{separator}skiff-exp={expires_at}&skiff-by={by}&skiff-sig={signature}")
}

/// The grant a signed `path_and_query` carries: read-only, for the token it
/// names, if the signature holds, it has not expired and the token still exists.
pub fn grant_of(state: &AppState, method: &Method, path_and_query: &str) -> Option<Grant> {
    if !matches!(*method, Method::GET | Method::HEAD) || !state.signs_urls() {
        return None;
    }
    let at = path_and_query.rfind("skiff-exp=")?;
    let (url, rest) = (&path_and_query[..at.checked_sub(1)?], &path_and_query[at..]);
    let mut fields = rest.split('&');
    let expires_at: u64 = fields.next()?.strip_prefix("skiff-exp=")?.parse().ok()?;
    let by = fields.next()?.strip_prefix("skiff-by=")?;
    let signature = URL_SAFE_NO_PAD
        .decode(fields.next()?.strip_prefix("skiff-sig=")?)
        .ok()?;
    if fields.next().is_some() || expires_at < now() {
        return None;
    }
    let expected = mac(state.signing_key(), url, expires_at, by);
    let signature = <[u8; 32]>::try_from(signature.as_slice()).ok()?;
    if !crate::config::tokens::constant_time_eq(&expected, &signature) {
        return None;
    }
    let owner = skiff_protocol::decode_segment(by).ok()?;
    crate::config::tokens::named(state.tokens(), &owner)?;
    Some(Grant {
        owner: Some(owner),
        access: Access::ReadOnly,
    })
}

/// The signature of the signed parts, each on its own line.
fn mac(key: &[u8; 32], url: &str, expires_at: u64, by: &str) -> [u8; 32] {
    hmac_sha256(key, format!("{url}\n{expires_at}\n{by}").as_bytes())
}

/// HMAC-SHA-256 (RFC 2104) with a key of at most 64 bytes.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let (mut inner_pad, mut outer_pad) = ([0x36u8; 64], [0x5cu8; 64]);
    for (i, byte) in key.iter().take(64).enumerate() {
        inner_pad[i] ^= byte;
        outer_pad[i] ^= byte;
    }
    let inner = Sha256::new()
        .chain_update(inner_pad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(outer_pad)
        .chain_update(inner)
        .finalize()
        .into()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::hmac_sha256;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 1: a 20-byte key of 0x0b, "Hi There".
        let mac = hmac_sha256(&[0x0b; 20], b"Hi There");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }
}
