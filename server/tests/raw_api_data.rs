//! Raw `data` (PROTOCOL.md §4, §2.2): bytes served safely, whole-file writes
//! with their preconditions and digests, on every storage (`local::`, `s3::`,
//! `local_mount::`); and symlinks out of the root refused (on a disk only).

mod common;

use common::raw::{call, fixture, inside, put, raw_url, stat};
use common::target::{on_each_storage, Kind};
use common::uploads::content_digest_header as sha256_field;
use common::{client, expect_error, header};
use reqwest::Method;
use skiff_protocol::{RawList, RawStat};

on_each_storage!(
    data_is_served_safely,
    whole_file_writes_with_preconditions,
    whole_file_writes_with_digests;
    local_only:
    // Symlinks live on a disk; an S3 bucket has none.
    symlinks_out_of_the_root_are_refused,
);

async fn data_is_served_safely(kind: Kind) {
    let target = fixture(kind).await;
    let server = target.serve_writable(&[]);
    let bytes = call(&target, &server, Method::GET, "data", "ref=path:/a+b.txt").await;
    assert_eq!(bytes.status(), 200);
    assert_eq!(header(&bytes, "x-content-type-options"), "nosniff");
    assert!(
        bytes.headers().get("content-security-policy").is_none(),
        "text/plain is inline"
    );
    let etag = header(&bytes, "etag").to_owned();
    assert_eq!(bytes.bytes().await.expect("body").as_ref(), b"hello raw");
    let id = stat(&target, &server, "path:/a+b.txt").await.id;
    let ranged = client()
        .get(raw_url(&server, "data", &format!("ref=id:{id}")))
        .header("range", "bytes=6-")
        .send()
        .await
        .expect("send");
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.expect("body").as_ref(), b"raw");
    let cached = client()
        .get(raw_url(
            &server,
            "data",
            &inside(&target, "ref=path:/a+b.txt"),
        ))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("send");
    assert_eq!(cached.status(), 304);
    let head = call(&target, &server, Method::HEAD, "data", "ref=path:/a+b.txt").await;
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "content-length"), "9");
    assert!(head.bytes().await.expect("body").is_empty());

    for evil in ["/evil.html", "/evil.svg"] {
        let response = call(
            &target,
            &server,
            Method::GET,
            "data",
            &format!("ref=path:{evil}"),
        )
        .await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "content-security-policy"),
            "sandbox",
            "{evil}"
        );
        assert!(
            header(&response, "content-disposition").starts_with("attachment"),
            "{evil}"
        );
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    }
    let picture = call(&target, &server, Method::GET, "data", "ref=path:/pic.png").await;
    assert_eq!(header(&picture, "content-type"), "image/png");
    assert!(picture.headers().get("content-disposition").is_none());
    expect_error(
        call(&target, &server, Method::GET, "data", "ref=path:/folder").await,
        409,
        "folder",
    )
    .await;
}

async fn whole_file_writes_with_preconditions(kind: Kind) {
    let target = fixture(kind).await;
    let server = target.serve_writable(&[]);
    let created = put(&target, &server, "/new/deep/file 1.txt", "first", &[]).await;
    assert_eq!(created.status(), 201);
    let created: RawStat = created.json().await.expect("stat");
    assert_eq!(
        (created.path.as_str(), created.size),
        (target.at("/new/deep/file 1.txt").as_str(), 5)
    );
    assert_eq!(
        target
            .read(&["new", "deep", "file 1.txt"])
            .await
            .expect("on disk"),
        b"first"
    );

    let taken = put(
        &target,
        &server,
        "/new/deep/file 1.txt",
        "nope",
        &[("if-none-match", "*")],
    )
    .await;
    expect_error(taken, 412, "If-None-Match").await;
    let stale = put(
        &target,
        &server,
        "/new/deep/file 1.txt",
        "nope",
        &[("if-match", "\"stale\"")],
    )
    .await;
    expect_error(stale, 412, "If-Match stale").await;
    let missing = put(
        &target,
        &server,
        "/absent.txt",
        "nope",
        &[("if-match", "*")],
    )
    .await;
    expect_error(missing, 412, "If-Match on nothing").await;
    assert!(!target.exists(&["absent.txt"]).await);
    assert_eq!(
        target
            .read(&["new", "deep", "file 1.txt"])
            .await
            .expect("on disk"),
        b"first"
    );

    let replaced = put(
        &target,
        &server,
        "/new/deep/file 1.txt",
        "second",
        &[("if-match", &created.etag)],
    )
    .await;
    assert_eq!(replaced.status(), 200);
    let replaced: RawStat = replaced.json().await.expect("stat");
    assert_eq!(replaced.id, created.id, "a replaced file keeps its id");
    assert_ne!(replaced.etag, created.etag);
    assert_eq!(
        target
            .read(&["new", "deep", "file 1.txt"])
            .await
            .expect("on disk"),
        b"second"
    );
    expect_error(
        put(&target, &server, "/.skiff/x", "x", &[]).await,
        403,
        "reserved",
    )
    .await;
    expect_error(
        put(&target, &server, "/folder", "x", &[]).await,
        409,
        "a folder",
    )
    .await;
}

/// `Content-Digest` is verified before anything is placed (460, nothing
/// changes); what was stored carries `Repr-Digest`, on the write and on the
/// bytes served afterwards.
async fn whole_file_writes_with_digests(kind: Kind) {
    let target = fixture(kind).await;
    let server = target.serve_writable(&[]);
    let wrong = sha256_field(b"something else");
    let refused = put(
        &target,
        &server,
        "/a b.txt",
        "damaged",
        &[("content-digest", &wrong)],
    )
    .await;
    expect_error(refused, 460, "a wrong digest").await;
    let refused = put(
        &target,
        &server,
        "/fresh.txt",
        "damaged",
        &[("content-digest", &wrong)],
    )
    .await;
    expect_error(refused, 460, "a wrong digest").await;
    assert_eq!(
        target.read(&["a b.txt"]).await.as_deref(),
        Some(&b"hello raw"[..])
    );
    assert!(!target.exists(&["fresh.txt"]).await);

    let digest = sha256_field(b"checked");
    let written = put(
        &target,
        &server,
        "/fresh.txt",
        "checked",
        &[("content-digest", &digest)],
    )
    .await;
    assert_eq!(written.status(), 201);
    assert_eq!(header(&written, "repr-digest"), digest);
    assert_eq!(
        target.read(&["fresh.txt"]).await.as_deref(),
        Some(&b"checked"[..])
    );
    let served = call(&target, &server, Method::GET, "data", "ref=path:/fresh.txt").await;
    assert_eq!(header(&served, "repr-digest"), digest);
    assert_eq!(served.bytes().await.expect("body").as_ref(), b"checked");
}

#[cfg(unix)]
async fn symlinks_out_of_the_root_are_refused(kind: Kind) {
    let target = fixture(kind).await;
    let fixture = target.fixture();
    std::fs::write(fixture.outside().join("secret.txt"), b"outside").expect("write");
    fixture.symlink(fixture.outside().join("secret.txt"), &["out.txt"]);
    fixture.symlink(fixture.outside(), &["out-dir"]);
    let server = target.serve_writable(&[]);
    for query in ["ref=path:/out.txt", "ref=path:/out-dir/secret.txt"] {
        expect_error(
            call(&target, &server, Method::GET, "data", query).await,
            403,
            query,
        )
        .await;
        expect_error(
            call(&target, &server, Method::GET, "stat", query).await,
            403,
            query,
        )
        .await;
    }
    let list: RawList = call(&target, &server, Method::GET, "list", "ref=path:/")
        .await
        .json()
        .await
        .expect("list");
    assert!(
        list.entries.iter().all(|e| !e.name.starts_with("out")),
        "links out are not listed"
    );
    let copy = call(
        &target,
        &server,
        Method::POST,
        "copy",
        "ref=path:/out-dir&to=path:/stolen",
    )
    .await;
    expect_error(copy, 403, "copy from outside").await;
    assert!(!target.exists(&["stolen"]).await);
}
