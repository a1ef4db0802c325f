//! Bytes on the wire (issue 12): the app's first load (the shell and every file it
//! links: js, wasm, css) as Chromium asks for it (`Accept-Encoding: gzip, deflate,
//! br, zstd`) and without `Accept-Encoding`, and the 100,000-entry listing in each
//! encoding with the time to fetch it over loopback, compression included.
//!
//! Bytes are bodies as sent (this client never decodes), headers left out. The
//! transfer time at 100 Mbit/s is computed from them, not measured.

use std::time::{Duration, Instant};

use crate::support::{median, thousands};
use crate::{mib, ms, progress, REQUEST_TIMEOUT};

/// What Chromium sends.
const BROWSER_ENCODINGS: &str = "gzip, deflate, br, zstd";
/// Timed listings per encoding.
const RUNS: usize = 5;
/// The issue's link for the listing goal.
const LINK_BITS_PER_SECOND: f64 = 100e6;

/// The rows: first load compressed vs not, then the listing per encoding.
pub async fn rows(server_url: &str, entries: usize) -> Vec<(String, String)> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("an HTTP client");
    let mut rows = first_load(&client, server_url).await;
    rows.extend(listing(&client, server_url, entries).await);
    rows
}

async fn get(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, &str)],
) -> (Option<String>, bytes::Bytes) {
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|error| panic!("GET {url}: {error}"));
    assert!(
        response.status().is_success(),
        "GET {url}: {}",
        response.status()
    );
    let encoding = response
        .headers()
        .get("content-encoding")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response
        .bytes()
        .await
        .unwrap_or_else(|error| panic!("reading {url}: {error}"));
    (encoding, body)
}

/// The shell plus every `/.skiff/app/…` file it names, with and without encodings.
async fn first_load(client: &reqwest::Client, server_url: &str) -> Vec<(String, String)> {
    let shell_url = format!("{server_url}/");
    let (_, shell) = get(client, &shell_url, &[("accept", "text/html")]).await;
    let shell = String::from_utf8_lossy(&shell).into_owned();
    let mut urls = vec![shell_url];
    for piece in shell.split(['"', '\'']) {
        let url = format!("{server_url}{piece}");
        if piece.starts_with("/.skiff/app/") && !urls.contains(&url) {
            urls.push(url);
        }
    }
    let (mut plain, mut compressed, mut encoded) = (0, 0, 0);
    for url in &urls {
        plain += get(client, url, &[("accept", "text/html")]).await.1.len();
        let headers = [
            ("accept", "text/html"),
            ("accept-encoding", BROWSER_ENCODINGS),
        ];
        let (encoding, body) = get(client, url, &headers).await;
        compressed += body.len();
        encoded += usize::from(encoding.is_some());
    }
    progress(&format!(
        "first load: {} files, {encoded} of them sent compressed",
        urls.len()
    ));
    let note = if encoded == 0 {
        " (this dist has no .br/.gz files: `cargo xtask build` writes them)"
    } else {
        ""
    };
    vec![
        (
            format!(
                "app first load on the wire, no Accept-Encoding ({} files)",
                urls.len()
            ),
            kib(plain),
        ),
        (
            format!("app first load on the wire, Accept-Encoding: {BROWSER_ENCODINGS}{note}"),
            kib(compressed),
        ),
    ]
}

/// The listing in each encoding: bytes, loopback fetch time (median), 100 Mbit/s.
async fn listing(
    client: &reqwest::Client,
    server_url: &str,
    entries: usize,
) -> Vec<(String, String)> {
    let url = format!("{server_url}/");
    let mut rows = Vec::new();
    for encoding in ["identity", "zstd", "br", "gzip"] {
        let headers = [("x-raw-filesystem-api", "1"), ("accept-encoding", encoding)];
        let (sent, body) = get(client, &url, &headers).await;
        let expected = (encoding != "identity").then_some(encoding);
        assert_eq!(sent.as_deref(), expected, "the listing's Content-Encoding");
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            get(client, &url, &headers).await;
            times.push(started.elapsed());
        }
        let time = median(&times);
        let link = Duration::from_secs_f64(body.len() as f64 * 8.0 / LINK_BITS_PER_SECOND);
        progress(&format!(
            "listing as {encoding}: {}, {} over loopback",
            mib(body.len()),
            ms(time)
        ));
        rows.push((
            format!(
                "listing, {} entries, {encoding}: bytes / loopback fetch (median of {RUNS}) / 100 Mbit/s transfer (computed)",
                thousands(entries)
            ),
            format!("{} / {} / {}", mib(body.len()), ms(time), ms(link)),
        ));
    }
    rows
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}
