//! The bearer-token middleware (PROTOCOL.md §6): lets a request through with its
//! [`Grant`], answers the public app shell, or refuses with 401/403 before any
//! handler touches the disk. Parsing and checking tokens is `crate::config::tokens`;
//! a signed URL (`super::signed`) stands for its token's read rights.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use skiff_protocol::DISCOVERY_PATH;

use crate::config::tokens::{authenticate, Grant};
use crate::error::AppError;
use crate::http::app_shell::{self, ASSET_PREFIX};
use crate::http::state::AppState;
use crate::http::tree::RFSAPI;

/// The secret of `Authorization: Bearer <secret>`, if the header has that form.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, secret) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| secret.trim())
        .filter(|secret| !secret.is_empty())
}

/// Middleware on every route: attaches the [`Grant`], or answers by itself.
pub async fn require(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let tokens = state.tokens();
    if tokens.is_empty() {
        request.extensions_mut().insert(Grant::anyone());
        return next.run(request).await;
    }
    let grant = bearer(request.headers())
        .and_then(|secret| authenticate(tokens, secret))
        .or_else(|| {
            let signed = request.uri().path_and_query()?.as_str();
            super::signed::grant_of(&state, request.method(), signed)
        });
    let path = request.uri().path();
    if path == DISCOVERY_PATH || path.starts_with(&format!("{ASSET_PREFIX}/")) {
        // Public, but discovery's `roles` say what the presented token (if any) may do.
        if let Some(grant) = grant {
            request.extensions_mut().insert(grant);
        }
        return next.run(request).await;
    }
    let Some(grant) = grant else {
        if is_navigation(request.method(), request.headers(), path) {
            // The shell is public and the same for every path: it says nothing about the tree.
            return app_shell::shell(&state, request.method(), request.headers(), None).await;
        }
        return AppError::Unauthorized.into_response();
    };
    // Asking for a signed URL only hands on read rights: any token may.
    let is_read = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || request.uri().path() == super::signed::SIGN_PATH;
    if !is_read && !grant.may_write() {
        return AppError::ReadOnlyToken.into_response();
    }
    request.extensions_mut().insert(grant);
    next.run(request).await
}

/// A browser loading a page of the tree: GET/HEAD, no RFSAPI header, HTML accepted.
fn is_navigation(method: &Method, headers: &HeaderMap, path: &str) -> bool {
    let reserved = path
        .strip_prefix('/')
        .is_some_and(|rest| rest.split('/').next() == Some(skiff_protocol::RESERVED_NAME));
    matches!(*method, Method::GET | Method::HEAD)
        && !reserved
        && !headers.contains_key(RFSAPI)
        && crate::http::tree::accepts_html(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            "bearer  abc ".parse().expect("valid"),
        );
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().expect("valid"));
        assert_eq!(bearer(&headers), None);
    }
}
