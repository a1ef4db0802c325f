//! Serving file bytes over HTTP (PROTOCOL.md §1 and §6): plain GETs with validators,
//! conditional requests (304), `nosniff` on every kind of response, and unsafe types
//! sent sandboxed as attachments. Each case runs on the default storage (`local::`)
//! and on an S3 storage mounted at `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`).

mod common;

use std::time::{Duration, SystemTime};

use common::target::{on_each_storage, Kind, Target};
use common::{assert_nosniff, client, header, rfsapi, unix_seconds, BROWSER_ACCEPT, RFSAPI};

on_each_storage!(
    plain_get_serves_bytes_with_validators,
    if_none_match_gives_304,
    if_modified_since_gives_304,
    every_kind_of_response_says_nosniff,
    unsafe_types_are_served_sandboxed_as_attachments,
);

async fn plain_get_serves_bytes_with_validators(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();

    let response = client()
        .get(server.url(&target.at("/plain.txt")))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200);
    assert_nosniff(&response, "GET /plain.txt");
    assert_eq!(header(&response, "accept-ranges"), "bytes");
    assert_eq!(header(&response, "content-length"), "13");
    let etag = header(&response, "etag").to_owned();
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "ETag {etag:?} is a quoted strong entity-tag"
    );
    let last_modified = httpdate::parse_http_date(header(&response, "last-modified"))
        .expect("Last-Modified is an HTTP date");
    let stored = target
        .facts(&["plain.txt"])
        .await
        .expect("plain.txt is stored");
    let modified = stored.modified.expect("a file has a modification time");
    assert_eq!(unix_seconds(last_modified), unix_seconds(modified));
    assert!(
        response.headers().get(RFSAPI).is_none(),
        "bytes are not an RFSAPI answer"
    );
    let body = response.bytes().await.expect("read the body");
    assert_eq!(&body[..], b"hello, skiff\n");

    // The JSON `etag` and the `ETag` header are the same string (general rules).
    let listed = rfsapi(&server, &target.at("/plain.txt")).await;
    assert_eq!(listed.files[0].etag.as_deref(), Some(etag.as_str()));
    let in_folder = rfsapi(&server, &target.url(&[])).await;
    let entry = in_folder
        .files
        .iter()
        .find(|entry| entry.name == "plain.txt")
        .expect("plain.txt is listed");
    assert_eq!(entry.etag.as_deref(), Some(etag.as_str()));

    // Binary bytes arrive untouched, and an empty file is an empty 200.
    let binary = client()
        .get(server.url(&target.url(&["😀.bin"])))
        .send()
        .await
        .expect("send");
    assert_eq!(binary.status(), 200);
    assert_eq!(
        &binary.bytes().await.expect("body")[..],
        &common::all_bytes()[..]
    );
    let empty = client()
        .get(server.url(&target.at("/empty.dat")))
        .send()
        .await
        .expect("send");
    assert_eq!(empty.status(), 200);
    assert_eq!(header(&empty, "content-length"), "0");
    assert!(empty.bytes().await.expect("body").is_empty());
}

async fn if_none_match_gives_304(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();
    let url = server.url(&target.at("/plain.txt"));
    let first = client().get(&url).send().await.expect("send");
    let etag = header(&first, "etag").to_owned();

    for condition in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"other\", {etag}"),
        "*".to_owned(),
    ] {
        let response = client()
            .get(&url)
            .header("if-none-match", &condition)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 304, "If-None-Match: {condition}");
        assert_eq!(header(&response, "etag"), etag, "a 304 repeats the ETag");
        assert_nosniff(&response, "304");
        assert!(
            response.bytes().await.expect("body").is_empty(),
            "a 304 has no body"
        );
    }

    let stale = client()
        .get(&url)
        .header("if-none-match", "\"not-the-current-tag\"")
        .send()
        .await
        .expect("send");
    assert_eq!(stale.status(), 200, "a stale tag gets the bytes");
    assert_eq!(&stale.bytes().await.expect("body")[..], b"hello, skiff\n");

    // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
    let both = client()
        .get(&url)
        .header("if-none-match", "\"not-the-current-tag\"")
        .header("if-modified-since", future)
        .send()
        .await
        .expect("send");
    assert_eq!(both.status(), 200);
}

async fn if_modified_since_gives_304(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();
    let url = server.url(&target.at("/plain.txt"));
    let first = client().get(&url).send().await.expect("send");
    let last_modified = header(&first, "last-modified").to_owned();

    let unchanged = client()
        .get(&url)
        .header("if-modified-since", &last_modified)
        .send()
        .await
        .expect("send");
    assert_eq!(
        unchanged.status(),
        304,
        "If-Modified-Since: {last_modified}"
    );
    assert!(unchanged.bytes().await.expect("body").is_empty());

    let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
    let response = client()
        .get(&url)
        .header("if-modified-since", &later)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 304, "If-Modified-Since: {later}");

    let modified = httpdate::parse_http_date(&last_modified).expect("an HTTP date");
    let earlier = httpdate::fmt_http_date(modified - Duration::from_secs(3600));
    let changed = client()
        .get(&url)
        .header("if-modified-since", &earlier)
        .send()
        .await
        .expect("send");
    assert_eq!(changed.status(), 200, "If-Modified-Since: {earlier}");
    assert_eq!(&changed.bytes().await.expect("body")[..], b"hello, skiff\n");
}

async fn every_kind_of_response_says_nosniff(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();
    let cases: [(&str, &[(&str, &str)]); 7] = [
        ("/", &[(RFSAPI, "1")]),
        ("/plain.txt", &[(RFSAPI, "1")]),
        ("/plain.txt", &[]),
        ("/", &[("accept", BROWSER_ACCEPT)]),
        ("/missing", &[(RFSAPI, "1")]),
        ("/a%5cb", &[(RFSAPI, "1")]),
        ("/.well-known/skiff", &[]),
    ];
    for (path, headers) in cases {
        // Discovery is the server's, not a storage's.
        let path = &if path.starts_with("/.well-known/") {
            path.to_owned()
        } else {
            target.at(path)
        };
        let mut request = client().get(server.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("send");
        assert_nosniff(&response, &format!("GET {path} {headers:?}"));
    }
}

/// PROTOCOL.md §6: user files never run as the app's origin. Types off the safe
/// inline list (HTML, SVG, scripts, unknown bytes) come with `CSP: sandbox` and
/// `Content-Disposition: attachment`.
async fn unsafe_types_are_served_sandboxed_as_attachments(kind: Kind) {
    let target = Target::new(kind).await;
    target
        .write(&["page.html"], b"<script>alert(document.cookie)</script>")
        .await;
    target
        .write(
            &["drawing.svg"],
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        )
        .await;
    target.write(&["tool.js"], b"alert(1)").await;
    target.write(&["blob.bin"], b"\x00\x01").await;
    let server = target.serve();
    for name in ["page.html", "drawing.svg", "tool.js", "blob.bin"] {
        let response = client()
            .get(server.url(&target.url(&[name])))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "GET {name}");
        assert_nosniff(&response, name);
        let csp = response
            .headers()
            .get("content-security-policy")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        assert!(
            csp.contains("sandbox"),
            "GET {name}: Content-Security-Policy {csp:?} must hold `sandbox`"
        );
        let disposition = response
            .headers()
            .get("content-disposition")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        assert!(
            disposition.starts_with("attachment"),
            "GET {name}: Content-Disposition {disposition:?} must be `attachment`"
        );
    }
}
