//! Raw HTTP over TCP, for request targets no URL library would send as written.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Upper bound for one raw request, so a hung server fails the test instead of stalling it.
const RAW_TIMEOUT: Duration = Duration::from_secs(30);

/// A response read off a raw socket.
#[derive(Debug)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// Header names lowercased; the last value wins.
    pub headers: HashMap<String, String>,
    /// The body, de-chunked if it was sent chunked.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// A header's value by (any-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The body as (lossy) text, for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `METHOD TARGET HTTP/1.1` with `target` byte for byte (no normalisation of
/// `..`, `.`, `%2e`, backslashes or anything else), then reads the whole response.
pub fn raw_request(
    addr: SocketAddr,
    method: &str,
    target: &[u8],
    headers: &[(&str, &str)],
) -> RawResponse {
    let mut stream = TcpStream::connect(addr).expect("connect to skiff-server");
    stream
        .set_read_timeout(Some(RAW_TIMEOUT))
        .expect("set a read timeout");
    stream
        .set_write_timeout(Some(RAW_TIMEOUT))
        .expect("set a write timeout");
    let mut request = Vec::new();
    request.extend_from_slice(method.as_bytes());
    request.push(b' ');
    request.extend_from_slice(target);
    request.extend_from_slice(
        format!(" HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n").as_bytes(),
    );
    for (name, value) in headers {
        request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    stream.write_all(&request).expect("send the raw request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap_or_else(|error| {
        panic!(
            "read the response to {:?}: {error}",
            String::from_utf8_lossy(target)
        )
    });
    parse_response(&raw, method == "HEAD").unwrap_or_else(|why| {
        panic!(
            "malformed response to {:?}: {why}; raw: {:?}",
            String::from_utf8_lossy(target),
            String::from_utf8_lossy(&raw)
        )
    })
}

/// Reads one response with a `Content-Length` off `stream` and no more, so the
/// connection can carry another request (the raw requests above close it instead).
pub fn read_one_response(stream: &mut TcpStream) -> RawResponse {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        let read = stream.read(&mut byte).expect("the response's head");
        assert_eq!(read, 1, "the connection ended before a response: {head:?}");
        head.push(byte[0]);
    }
    let mut response = parse_response(&head, true)
        .unwrap_or_else(|why| panic!("malformed response: {why}; raw: {head:?}"));
    let len: usize = response
        .header("content-length")
        .and_then(|value| value.parse().ok())
        .expect("a Content-Length");
    response.body = vec![0; len];
    stream
        .read_exact(&mut response.body)
        .expect("the response's body");
    response
}

fn parse_response(raw: &[u8], is_head: bool) -> Result<RawResponse, String> {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| "headers are not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("no status line")?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut headers = HashMap::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("bad header line {line:?}"))?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let rest = &raw[split + 4..];
    let body = if is_head {
        Vec::new()
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"))
    {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or("unterminated chunk size")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("truncated chunk")?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("chunk without CRLF")?;
    }
}
