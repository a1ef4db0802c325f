//! The auth matrix's rows (PROTOCOL.md §6): who sends a request (no token, a
//! wrong one, a read-only and a read-write one), what each may expect, and the
//! checks every refusal must pass (a JSON error; a 401 says `Bearer`).

use reqwest::Method;

use super::{assert_error_body, client, TestServer};

pub const RO: &str = "read-only-secret";
pub const RW: &str = "read:write:secret";

/// The credentials of one row of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Nobody,
    Wrong,
    ReadOnly,
    ReadWrite,
}

pub const EVERYONE: [Who; 4] = [Who::Nobody, Who::Wrong, Who::ReadOnly, Who::ReadWrite];

impl Who {
    pub fn secret(self) -> Option<&'static str> {
        match self {
            Who::Nobody => None,
            Who::Wrong => Some("not-a-token"),
            Who::ReadOnly => Some(RO),
            Who::ReadWrite => Some(RW),
        }
    }

    /// Status of a read: 401 without valid credentials, else `ok`.
    pub fn read(self, ok: u16) -> u16 {
        match self {
            Who::Nobody | Who::Wrong => 401,
            _ => ok,
        }
    }

    /// Status of a write: 401 without valid credentials, 403 read-only, else `ok`.
    pub fn write(self, ok: u16) -> u16 {
        match self {
            Who::Nobody | Who::Wrong => 401,
            Who::ReadOnly => 403,
            Who::ReadWrite => ok,
        }
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

pub async fn send(
    server: &TestServer,
    who: Who,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Reply {
    let mut request = client().request(method, server.url(path)).body(body);
    if let Some(secret) = who.secret() {
        request = request.bearer_auth(secret);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("send the request");
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("read the body").to_vec(),
    }
}

/// Asserts the status; a 401 must carry `WWW-Authenticate: Bearer` and only the JSON error.
pub fn check(reply: &Reply, status: u16, context: &str) {
    assert_eq!(
        reply.status,
        status,
        "{context}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    if status == 401 || status == 403 {
        let content_type = reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        assert_error_body(content_type, &reply.body, context);
    }
    if status == 401 {
        assert_eq!(
            reply.headers.get("www-authenticate").map(|v| v.as_bytes()),
            Some(&b"Bearer"[..]),
            "{context}"
        );
    }
}

/// An admin token's secret (`--token boss:ADMIN:admin`).
pub const ADMIN: &str = "admin:secret";
