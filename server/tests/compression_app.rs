//! The app's own files on the wire (PROTOCOL.md general rules, "Compression"):
//! the brotli or gzip file `cargo xtask build` wrote beside each asset, chosen
//! by `Accept-Encoding`, with the original's type and immutable caching for
//! hashed names; the shell `no-cache` with an ETag and 304s. The `dist` here is
//! made by the test (xtask's own compression step is tested in xtask); a dist
//! without variants is sent plain.

mod common;

use std::io::{Read, Write};
use std::path::Path;

use common::{client, header, Fixture, TestServer, BROWSER_ACCEPT};

const JS: &str = "skiff-0123456789abcdef.js";
const WASM: &str = "skiff-0123456789abcdef_bg.wasm";
const CSS: &str = "plain-0123456789abcdef.css";

/// Writes `name` and (unless `plain_only`) its `.br` and `.gz` beside it.
fn put(dist: &Path, name: &str, bytes: &[u8], plain_only: bool) {
    std::fs::write(dist.join(name), bytes).expect("write an app file");
    if plain_only {
        return;
    }
    let mut br = Vec::new();
    brotli::CompressorWriter::new(&mut br, 4096, 11, 22)
        .write_all(bytes)
        .expect("brotli");
    std::fs::write(dist.join(format!("{name}.br")), &br).expect("write .br");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).expect("gzip");
    std::fs::write(dist.join(format!("{name}.gz")), gz.finish().expect("gzip")).expect(".gz");
}

/// A `dist` with a shell, a js and a wasm with variants, a css without; its server.
fn serve_app() -> (Fixture, tempfile::TempDir, TestServer) {
    let fixture = Fixture::new();
    let dist = tempfile::tempdir().expect("a dist folder");
    put(dist.path(), "index.html", &shell_bytes(), false);
    put(dist.path(), JS, &js_bytes(), false);
    put(dist.path(), WASM, &wasm_bytes(), false);
    put(
        dist.path(),
        CSS,
        b"body { margin: 0 }\n".repeat(100).as_slice(),
        true,
    );
    let app = dist.path().to_str().expect("a UTF-8 path").to_owned();
    let server = TestServer::start_with(fixture.root(), &["--app", &app]);
    (fixture, dist, server)
}

fn shell_bytes() -> Vec<u8> {
    format!(
        "<!doctype html><html><head>{}</head></html>",
        "<meta name=x>".repeat(200)
    )
    .into_bytes()
}

fn js_bytes() -> Vec<u8> {
    (0..3000)
        .flat_map(|i| format!("export const a{i} = {i};\n").into_bytes())
        .collect()
}

fn wasm_bytes() -> Vec<u8> {
    let mut bytes = b"\0asm\x01\0\0\0".to_vec();
    bytes.extend((0..50_000u32).map(|i| (i % 7) as u8));
    bytes
}

fn decode(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        None => out.extend_from_slice(body),
        Some("br") => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .expect("brotli");
        }
        Some("gzip") => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .expect("gzip");
        }
        Some(other) => panic!("unexpected encoding {other}"),
    }
    out
}

async fn get(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = client().get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("GET")
}

#[tokio::test]
async fn assets_are_sent_in_the_precompressed_encoding_accepted() {
    let (_fixture, _dist, server) = serve_app();
    let cases = [
        (JS, js_bytes(), "javascript"),
        (WASM, wasm_bytes(), "application/wasm"),
    ];
    for (name, original, content_type) in cases {
        let path = format!("/.skiff/app/{name}");
        for (accept, expected) in [
            (Some("gzip, deflate, br, zstd"), Some("br")),
            (Some("gzip"), Some("gzip")),
            (Some("br;q=0, gzip;q=0.8"), Some("gzip")),
            (Some("zstd"), None),
            (None, None),
        ] {
            let headers: Vec<(&str, &str)> = accept
                .map(|value| ("accept-encoding", value))
                .into_iter()
                .collect();
            let response = get(&server, &path, &headers).await;
            assert_eq!(response.status(), 200, "{name} {accept:?}");
            let encoding = response
                .headers()
                .get("content-encoding")
                .map(|value| value.to_str().expect("ASCII").to_owned());
            assert_eq!(encoding.as_deref(), expected, "{name} {accept:?}");
            assert!(
                header(&response, "content-type").contains(content_type),
                "{name}: {}",
                header(&response, "content-type")
            );
            assert_eq!(
                header(&response, "cache-control"),
                "public, max-age=31536000, immutable"
            );
            assert!(header(&response, "vary").contains("accept-encoding"));
            let body = response.bytes().await.expect("body");
            if expected.is_some() {
                assert!(
                    body.len() < original.len() / 2,
                    "{name} {accept:?} is compressed"
                );
            }
            assert_eq!(decode(expected, &body), original, "{name} {accept:?}");
        }
    }
    // An asset the build left without variants goes out plain.
    let response = get(
        &server,
        &format!("/.skiff/app/{CSS}"),
        &[("accept-encoding", "br, gzip")],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("content-encoding").is_none());
    assert!(header(&response, "content-type").starts_with("text/css"));
}

#[tokio::test]
async fn the_shell_is_revalidated_with_its_etag() {
    let (_fixture, _dist, server) = serve_app();
    let browser = [
        ("accept", BROWSER_ACCEPT),
        ("accept-encoding", "gzip, deflate, br, zstd"),
    ];
    for path in ["/", "/some/folder/"] {
        let response = get(&server, path, &browser).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache");
        assert_eq!(header(&response, "content-encoding"), "br");
        assert!(header(&response, "content-type").starts_with("text/html"));
        let etag = header(&response, "etag").to_owned();
        let body = response.bytes().await.expect("body");
        assert_eq!(decode(Some("br"), &body), shell_bytes());

        let mut conditional = browser.to_vec();
        conditional.push(("if-none-match", &etag));
        let cached = get(&server, path, &conditional).await;
        assert_eq!(cached.status(), 304, "{path}");
        assert_eq!(header(&cached, "etag"), etag);
        assert_eq!(header(&cached, "cache-control"), "no-cache");
        let vary: Vec<&str> = cached
            .headers()
            .get_all("vary")
            .iter()
            .map(|value| value.to_str().expect("ASCII"))
            .collect();
        assert!(vary.contains(&"accept-encoding"), "{vary:?}");
        assert!(cached.bytes().await.expect("body").is_empty());
    }
    // Without `Accept-Encoding`: the same shell, plain, same validator.
    let plain = get(&server, "/", &[("accept", BROWSER_ACCEPT)]).await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(&plain.bytes().await.expect("body")[..], &shell_bytes()[..]);
}

#[tokio::test]
async fn small_json_goes_out_plain() {
    let fixture = Fixture::new();
    let server = TestServer::start(fixture.root());
    // Discovery is a few hundred bytes: not worth an encoding.
    let response = get(
        &server,
        "/.well-known/skiff",
        &[("accept-encoding", "gzip, br, zstd")],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("content-encoding").is_none());
}
