//! Byte ranges (PROTOCOL.md §1: single-range `Range` → 206): closed, open and
//! suffix ranges, clamping, 416 with `Content-Range: bytes */SIZE`, and `If-Range`.
//! Each case runs on the default storage (`local::`) and on an S3 storage (`s3::`; a local folder mounted at `/lm` too, `local_mount::`).

mod common;

use std::time::Duration;

use common::target::{on_each_storage, Kind, Target};
use common::{assert_nosniff, client, expect_error, header, TestServer};

on_each_storage!(
    single_closed_range_is_206,
    range_past_the_end_is_clamped,
    suffix_range_gives_the_last_bytes,
    open_range_runs_to_the_end,
    unsatisfiable_range_is_416_with_the_size,
    if_range_with_a_stale_validator_sends_everything,
    ranges_the_server_does_not_serve_degrade_to_200,
    head_with_a_range_describes_the_part,
);

/// 100 bytes whose every offset is recognisable: byte `i` is `i`.
fn contents() -> Vec<u8> {
    (0..100u8).collect()
}

/// A name that needs encoding, so ranges are exercised on a hostile URL too.
const NAME: &str = "r a n g e 😀.bin";

async fn setup(kind: Kind) -> (Target, TestServer, String) {
    let target = Target::new(kind).await;
    target.write(&[NAME], &contents()).await;
    target.write(&["empty.bin"], b"").await;
    let server = target.serve();
    let url = server.url(&target.url(&[NAME]));
    (target, server, url)
}

/// GETs `url` with `Range: range` (and extra headers), expecting 206 with `expected` bytes.
async fn expect_partial(url: &str, range: &str, extra: &[(&str, &str)], first: usize, last: usize) {
    let mut request = client().get(url).header("range", range);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("send");
    assert_eq!(response.status(), 206, "Range: {range} {extra:?}");
    assert_nosniff(&response, range);
    assert_eq!(
        header(&response, "content-range"),
        format!("bytes {first}-{last}/100"),
        "Range: {range}"
    );
    assert_eq!(
        header(&response, "content-length"),
        (last - first + 1).to_string(),
        "Range: {range}"
    );
    assert_eq!(header(&response, "accept-ranges"), "bytes");
    header(&response, "etag");
    let body = response.bytes().await.expect("read the partial body");
    assert_eq!(&body[..], &contents()[first..=last], "Range: {range}");
}

/// GETs `url` with `headers`, expecting the whole file with 200 and no `Content-Range`.
async fn expect_full(url: &str, headers: &[(&str, &str)]) {
    let mut request = client().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("send");
    assert_eq!(response.status(), 200, "{headers:?}");
    assert!(
        response.headers().get("content-range").is_none(),
        "{headers:?}: a full response has no Content-Range"
    );
    assert_eq!(header(&response, "content-length"), "100");
    let body = response.bytes().await.expect("read the body");
    assert_eq!(&body[..], &contents()[..], "{headers:?}");
}

async fn single_closed_range_is_206(kind: Kind) {
    let (_target, _server, url) = setup(kind).await;
    expect_partial(&url, "bytes=0-9", &[], 0, 9).await;
    expect_partial(&url, "bytes=10-19", &[], 10, 19).await;
    expect_partial(&url, "bytes=42-42", &[], 42, 42).await;
    expect_partial(&url, "bytes=0-99", &[], 0, 99).await;
}

async fn range_past_the_end_is_clamped(kind: Kind) {
    let (_target, _server, url) = setup(kind).await;
    expect_partial(&url, "bytes=95-200", &[], 95, 99).await;
    expect_partial(&url, "bytes=0-18446744073709551615", &[], 0, 99).await;
}

async fn suffix_range_gives_the_last_bytes(kind: Kind) {
    let (_target, _server, url) = setup(kind).await;
    expect_partial(&url, "bytes=-10", &[], 90, 99).await;
    expect_partial(&url, "bytes=-1", &[], 99, 99).await;
    // A suffix longer than the file is the whole file, still as a 206.
    expect_partial(&url, "bytes=-1000", &[], 0, 99).await;
}

async fn open_range_runs_to_the_end(kind: Kind) {
    let (_target, _server, url) = setup(kind).await;
    expect_partial(&url, "bytes=5-", &[], 5, 99).await;
    expect_partial(&url, "bytes=99-", &[], 99, 99).await;
    expect_partial(&url, "bytes=0-", &[], 0, 99).await;
}

async fn unsatisfiable_range_is_416_with_the_size(kind: Kind) {
    let (target, server, url) = setup(kind).await;
    for range in ["bytes=100-", "bytes=100-200", "bytes=1000-2000", "bytes=-0"] {
        let response = client()
            .get(&url)
            .header("range", range)
            .send()
            .await
            .expect("send");
        assert_eq!(
            header(&response, "content-range"),
            "bytes */100",
            "Range: {range}"
        );
        expect_error(response, 416, &format!("Range: {range}")).await;
    }

    let empty = client()
        .get(server.url(&target.at("/empty.bin")))
        .header("range", "bytes=0-")
        .send()
        .await
        .expect("send");
    assert_eq!(header(&empty, "content-range"), "bytes */0");
    expect_error(empty, 416, "Range: bytes=0- of an empty file").await;
}

async fn if_range_with_a_stale_validator_sends_everything(kind: Kind) {
    let (target, _server, url) = setup(kind).await;
    let first = client().get(&url).send().await.expect("send");
    let etag = header(&first, "etag").to_owned();
    let last_modified = header(&first, "last-modified").to_owned();

    // The current validators keep the range.
    expect_partial(&url, "bytes=0-9", &[("if-range", &etag)], 0, 9).await;
    expect_partial(&url, "bytes=-10", &[("if-range", &last_modified)], 90, 99).await;

    // A stale or weak validator gets the whole (current) file with 200.
    expect_full(
        &url,
        &[("range", "bytes=0-9"), ("if-range", "\"stale-etag\"")],
    )
    .await;
    expect_full(
        &url,
        &[("range", "bytes=0-9"), ("if-range", &format!("W/{etag}"))],
    )
    .await;
    let modified = httpdate::parse_http_date(&last_modified).expect("an HTTP date");
    let old_date = httpdate::fmt_http_date(modified - Duration::from_secs(86_400));
    expect_full(&url, &[("range", "bytes=5-"), ("if-range", &old_date)]).await;

    // Once the file changes, the old ETag is stale: a resumed download restarts.
    std::thread::sleep(Duration::from_millis(20));
    let mut changed = contents();
    changed.reverse();
    target.write(&[NAME], &changed).await;
    let response = client()
        .get(&url)
        .header("range", "bytes=0-9")
        .header("if-range", &etag)
        .send()
        .await
        .expect("send");
    assert_eq!(
        response.status(),
        200,
        "If-Range with the ETag of the old bytes"
    );
    assert_ne!(header(&response, "etag"), etag, "new bytes, new ETag");
    assert_eq!(&response.bytes().await.expect("body")[..], &changed[..]);
}

async fn ranges_the_server_does_not_serve_degrade_to_200(kind: Kind) {
    let (_target, _server, url) = setup(kind).await;
    // One range per response is all the protocol promises; multi-range, other
    // units and malformed values are ignored (RFC 9110 §14.2 allows it).
    for range in [
        "bytes=0-1,5-6",
        "items=0-9",
        "bytes=9-3",
        "bytes=x-y",
        "bytes=+1-2",
    ] {
        expect_full(&url, &[("range", range)]).await;
    }
}

async fn head_with_a_range_describes_the_part(kind: Kind) {
    let (_target, _server, url) = setup(kind).await;
    let response = client()
        .head(&url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 206);
    assert_eq!(header(&response, "content-range"), "bytes 10-19/100");
    assert_eq!(header(&response, "content-length"), "10");
    assert!(response.bytes().await.expect("body").is_empty());
}
