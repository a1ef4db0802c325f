//! Checks for the protocol's formats: headers, RFSAPI answers, JSON errors.

use skiff_protocol::{ErrorBody, FilesetData};

use super::{client, TestServer, JSON_TYPE, RFSAPI};

/// A response header as text; panics with the header's name when it is absent.
pub fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("response has no {name} header: {:?}", response.headers()))
        .to_str()
        .unwrap_or_else(|_| panic!("header {name} is not visible ASCII"))
}

/// GET `path` with the RFSAPI header; asserts a 200 RFSAPI answer and parses it.
pub async fn rfsapi(server: &TestServer, path: &str) -> FilesetData {
    let response = client()
        .get(server.url(path))
        .header(RFSAPI, "1")
        .send()
        .await
        .expect("send the RFSAPI request");
    assert_eq!(response.status(), 200, "RFSAPI GET {path}");
    assert_eq!(header(&response, RFSAPI), "1", "RFSAPI GET {path}");
    assert_eq!(
        header(&response, "content-type"),
        JSON_TYPE,
        "RFSAPI GET {path}"
    );
    let body = response.bytes().await.expect("read the RFSAPI body");
    serde_json::from_slice(&body).unwrap_or_else(|error| {
        panic!(
            "RFSAPI GET {path}: body is not FilesetData ({error}): {}",
            String::from_utf8_lossy(&body)
        )
    })
}

/// Why `body` is not the protocol's JSON error, `{"error":{"code","message"}}`, if it is not.
pub fn error_body_problem(content_type: Option<&str>, body: &[u8]) -> Option<String> {
    if content_type != Some(JSON_TYPE) {
        return Some(format!(
            "content-type {content_type:?} is not {JSON_TYPE:?}"
        ));
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Err(error) => Some(format!("not an error body ({error})")),
        Ok(error) if error.error.code.is_empty() => Some("empty error code".to_owned()),
        Ok(error) if error.error.message.is_empty() => Some("empty error message".to_owned()),
        Ok(_) => None,
    }
}

/// Asserts `body` is the protocol's JSON error, `{"error":{"code","message"}}`.
pub fn assert_error_body(content_type: Option<&str>, body: &[u8], context: &str) -> ErrorBody {
    if let Some(problem) = error_body_problem(content_type, body) {
        panic!(
            "{context}: {problem}; body: {}",
            String::from_utf8_lossy(body)
        );
    }
    serde_json::from_slice(body).expect("checked above")
}

/// Reads a reqwest response that must be a JSON error with `status`.
pub async fn expect_error(response: reqwest::Response, status: u16, context: &str) -> ErrorBody {
    assert_eq!(response.status(), status, "{context}");
    assert_nosniff(&response, context);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.bytes().await.expect("read the error body");
    assert_error_body(content_type.as_deref(), &body, context)
}

/// Every response carries `X-Content-Type-Options: nosniff` (PROTOCOL.md §6).
pub fn assert_nosniff(response: &reqwest::Response, context: &str) {
    assert_eq!(
        response
            .headers()
            .get("x-content-type-options")
            .and_then(|value| value.to_str().ok()),
        Some("nosniff"),
        "{context}: missing X-Content-Type-Options: nosniff"
    );
}
