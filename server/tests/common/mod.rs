//! Shared by the black-box tests: the real `skiff-server` binary on a free port,
//! fixture trees full of hostile names, raw HTTP over TCP for paths no URL
//! library would send as written, and checks for the protocol's formats.
//!
//! Every test crate uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use skiff_protocol::{ErrorBody, FilesetData};
use tempfile::TempDir;

/// The request and response header of RFSAPI (PROTOCOL.md §1).
pub const RFSAPI: &str = "X-Raw-Filesystem-API";
/// `Content-Type` of every JSON body (PROTOCOL.md, general rules).
pub const JSON_TYPE: &str = "application/json; charset=utf-8";
/// What a browser sends when the user types a URL.
pub const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

/// How long the binary may take to print its "listening" line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Upper bound for one raw request, so a hung server fails the test instead of stalling it.
const RAW_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `skiff-server serve ROOT --listen 127.0.0.1:0`, killed on drop.
pub struct TestServer {
    child: Child,
    addr: SocketAddr,
}

impl TestServer {
    /// Starts the real binary on `root` and waits for its "listening" line.
    pub fn start(root: &Path) -> Self {
        Self::start_with(root, &[])
    }

    /// Like [`TestServer::start`], with extra command-line arguments after the defaults.
    pub fn start_with(root: &Path, extra_args: &[&str]) -> Self {
        Self::start_with_env(root, extra_args, &[])
    }

    /// Like [`TestServer::start_with`], with extra environment variables (e.g. the
    /// credentials a `--config` file names by variable).
    pub fn start_with_env(root: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_skiff-server"));
        command
            .envs(env.iter().copied())
            .arg("serve")
            .arg(root)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // Warnings and errors (e.g. an `io_error` with its OS detail) show up
            // next to a failing test; per-request debug noise does not.
            .stderr(Stdio::inherit());
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "warn");
        }
        let mut child = command.spawn().expect("spawn the skiff-server binary");
        let stdout = child.stdout.take().expect("skiff-server stdout is piped");

        // Read stdout on a thread: the line may never come, and the pipe must keep
        // draining afterwards so the server never blocks on a full pipe.
        let (sender, receiver) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && line.starts_with("skiff-server listening on ") {
                    sent = sender.send(line).is_ok();
                }
            }
        });
        let line = match receiver.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) => line,
            Err(error) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("skiff-server did not print its listening line ({error}); exit: {status:?}");
            }
        };
        let addr = line
            .strip_prefix("skiff-server listening on http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("unexpected listening line {line:?}"))
            .parse::<SocketAddr>()
            .unwrap_or_else(|error| panic!("bad address in {line:?}: {error}"));
        Self { child, addr }
    }

    /// `kill -9`s the server and waits until it is gone (as drop does, but keeping
    /// the value, e.g. to be replaced by a restarted server).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The address the server bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` followed by `path` (which must start with `/` and be encoded).
    pub fn url(&self, path: &str) -> String {
        assert!(path.starts_with('/'), "url path must be absolute: {path:?}");
        format!("http://{}{}", self.addr, path)
    }

    /// A GET of `path` over raw TCP with `headers`; see [`raw_request`].
    pub fn raw_get(&self, target: &str, headers: &[(&str, &str)]) -> RawResponse {
        raw_request(self.addr, "GET", target.as_bytes(), headers)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's discovery document (`GET /.well-known/skiff` without a token).
pub async fn discovery(server: &TestServer) -> skiff_protocol::Discovery {
    client()
        .get(server.url(skiff_protocol::DISCOVERY_PATH))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("discovery")
}

/// A reqwest client that never follows redirects (a redirect would hide what the
/// server answered) and never decompresses (none of the features are on anyway).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .expect("build the reqwest client")
}

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

/// Percent-encodes one path segment the way the app does.
pub fn enc(segment: &str) -> String {
    skiff_protocol::encode_segment(segment)
}

/// The encoded URL path of `/`-separated decoded segments: `url_path(&["a b", "c"])` is `/a%20b/c`.
pub fn url_path(segments: &[&str]) -> String {
    skiff_protocol::encode_tree_path(segments)
}

/// A 255-byte file name (the usual `NAME_MAX`).
pub fn long_name() -> String {
    let name = format!("{}.txt", "n".repeat(251));
    assert_eq!(name.len(), 255);
    name
}

/// Every byte value once: a binary body that no text transform survives intact.
pub fn all_bytes() -> Vec<u8> {
    (0..=255u8).collect()
}

/// Top-level files of [`Fixture::hostile`], with their contents.
pub fn hostile_files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("😀.bin".to_owned(), all_bytes()),
        ("file\n1.txt".to_owned(), b"newline in the name\n".to_vec()),
        (
            "a b#c?d%e".to_owned(),
            b"space hash question percent".to_vec(),
        ),
        (long_name(), b"a name of 255 bytes".to_vec()),
        ("a+b.txt".to_owned(), b"a plus is a plus in a path".to_vec()),
        (
            "%2e%2e".to_owned(),
            b"a literal percent-two-e name".to_vec(),
        ),
        ("...".to_owned(), b"three dots are a name".to_vec()),
        ("..;".to_owned(), b"dot dot semicolon is a name".to_vec()),
        (" leading and trailing ".to_owned(), b"spaces".to_vec()),
        (
            "quote\"apos'<tag>&amp.html".to_owned(),
            b"<p>markup</p>".to_vec(),
        ),
        ("tab\there.txt".to_owned(), b"tab".to_vec()),
        ("plain.txt".to_owned(), b"hello, skiff\n".to_vec()),
        ("empty.dat".to_owned(), Vec::new()),
    ]
}

/// Unicode folder of [`Fixture::hostile`].
pub const UNICODE_DIR: &str = "ünïcødé 文件夹";
/// Folder inside [`UNICODE_DIR`].
pub const UNICODE_SUBDIR: &str = "子 folder ✓";
/// File inside [`UNICODE_SUBDIR`].
pub const DEEP_FILE: &str = "ﬁnal ドキュメント.txt";
/// Contents of [`DEEP_FILE`].
pub const DEEP_CONTENTS: &[u8] = "déjà vu — 既視感\n".as_bytes();
/// The empty folder of [`Fixture::hostile`].
pub const EMPTY_DIR: &str = "empty folder";
/// A plain nested chain of [`Fixture::hostile`]: `nested/a/b/c/leaf.txt`.
pub const NESTED: [&str; 5] = ["nested", "a", "b", "c", "leaf.txt"];
/// Contents of the nested leaf.
pub const LEAF_CONTENTS: &[u8] = b"leaf";
/// A file inside the reserved folder, never to be served.
pub const RESERVED_FILE: &str = "state.json";
/// Contents of [`RESERVED_FILE`], recognisable if it ever leaks.
pub const RESERVED_CONTENTS: &[u8] = b"{\"reserved\":\"SKIFF-RESERVED-STATE-4be1\"}";

/// A temporary directory holding the served `root/` and, next to it, things that
/// must stay out of reach.
pub struct Fixture {
    dir: TempDir,
    root: PathBuf,
}

impl Fixture {
    /// An empty served root.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("skiff-test-")
            .tempdir()
            .expect("create a temporary directory");
        let root = dir.path().join("root");
        std::fs::create_dir(&root).expect("create the served root");
        Self { dir, root }
    }

    /// The standard tree of hostile names:
    ///
    /// ```text
    /// root/
    ///   <every name of hostile_files()>
    ///   ünïcødé 文件夹/子 folder ✓/ﬁnal ドキュメント.txt
    ///   empty folder/
    ///   nested/a/b/c/leaf.txt
    ///   .skiff/state.json          (reserved: never listed, never served)
    /// ```
    pub fn hostile() -> Self {
        let fixture = Self::new();
        for (name, contents) in hostile_files() {
            fixture.write(&[&name], &contents);
        }
        fixture.write(&[UNICODE_DIR, UNICODE_SUBDIR, DEEP_FILE], DEEP_CONTENTS);
        fixture.mkdir(&[EMPTY_DIR]);
        fixture.write(&NESTED, LEAF_CONTENTS);
        fixture.write(&[".skiff", RESERVED_FILE], RESERVED_CONTENTS);
        fixture
    }

    /// The served root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The temporary directory that holds the root: outside the served tree.
    pub fn outside(&self) -> &Path {
        self.dir.path()
    }

    /// `root` joined with decoded `segments`.
    pub fn path(&self, segments: &[&str]) -> PathBuf {
        let mut path = self.root.clone();
        path.extend(segments);
        path
    }

    /// Writes a file under the root, creating its folders.
    pub fn write(&self, segments: &[&str], contents: &[u8]) -> PathBuf {
        let path = self.path(segments);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the file's folders");
        }
        std::fs::write(&path, contents).expect("write a fixture file");
        path
    }

    /// Creates a folder (and its parents) under the root.
    pub fn mkdir(&self, segments: &[&str]) -> PathBuf {
        let path = self.path(segments);
        std::fs::create_dir_all(&path).expect("create a fixture folder");
        path
    }

    /// Creates a symlink at `segments` under the root, pointing at `target`
    /// (absolute, or relative to the link's folder).
    #[cfg(unix)]
    pub fn symlink(&self, target: impl AsRef<Path>, segments: &[&str]) -> PathBuf {
        let link = self.path(segments);
        if let Some(parent) = link.parent() {
            std::fs::create_dir_all(parent).expect("create the link's folder");
        }
        std::os::unix::fs::symlink(target, &link).expect("create a fixture symlink");
        link
    }

    /// Starts the real server on this root.
    pub fn serve(&self) -> TestServer {
        TestServer::start(&self.root)
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

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

/// Parses an RFC 3339 timestamp (`2020-04-13T19:12:22.695457919Z`, or with a
/// numeric offset) into the instant it names; `None` if it is not RFC 3339.
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = bytes.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let separators_ok = bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && matches!(bytes.get(10), Some(b'T' | b't'))
        && bytes.get(13) == Some(&b':')
        && bytes.get(16) == Some(&b':');
    if !separators_ok {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if bytes.get(at) == Some(&b'.') {
        let start = at + 1;
        let mut end = start;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == start {
            return None;
        }
        let fraction = &text[start..end];
        let kept = &fraction[..fraction.len().min(9)];
        nanos = format!("{kept:0<9}").parse().ok()?;
        at = end;
    }
    let offset_seconds = match bytes.get(at) {
        Some(b'Z' | b'z') if at + 1 == bytes.len() => 0,
        Some(sign @ (b'+' | b'-')) if at + 6 == bytes.len() && bytes[at + 3] == b':' => {
            let (hours, minutes) = (digits(at + 1..at + 3)?, digits(at + 4..at + 6)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'+' {
                offset
            } else {
                -offset
            }
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_seconds;
    let seconds = u64::try_from(seconds).ok()?;
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A file's modification time as the server sees it.
pub fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .expect("read a fixture's modification time")
}

/// Whole seconds since the epoch, the precision of HTTP dates.
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .expect("fixture times are after 1970")
        .as_secs()
}

/// Helpers for the upload tests (PROTOCOL.md §2).
pub mod uploads;

/// A small tmpfs for the tests that run out of space.
pub mod tmpfs;

/// A server whose stdout and stderr are kept, to prove what never reaches a log.
pub mod logged;

/// A real S3 server (SeaweedFS), one per test binary, a fresh bucket per test.
pub mod seaweed;

/// A storage mounted in a test server's tree, local or S3.
pub mod mounted;

/// The auth matrix's rows: who asks, and what a refusal must look like.
pub mod bearer;

/// The raw API suites' fixture and calls.
pub mod raw;

/// Tree names as S3 keys, and a folder walk, for the targets.
pub mod s3_keys;

/// Where a suite's files live: the default storage, or an S3 storage mounted at `/s3`.
pub mod target;
