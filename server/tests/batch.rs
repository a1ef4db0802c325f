//! Batch writes (`POST /.skiff/v1/batch`, a Skiff extension of §2.2 recorded in
//! docs/protocol-notes.md): each item is exactly a `PUT P` (digest, conditions,
//! reserved names, durability) and the answer says what became of each, in
//! order. Every case runs on the default storage, an S3 mount and a local mount;
//! the bytes are checked where they land.

mod common;

use base64::Engine;
use common::target::{on_each_storage, Kind, Target};
use common::{client, discovery, expect_error, TestServer};
use sha2::{Digest, Sha256};
use skiff_protocol::{BatchAnswer, BatchItem, BATCH_CONTENT_TYPE, BATCH_MAX_ITEMS, BATCH_PATH};

on_each_storage!(
    every_item_lands_as_its_own_put_would,
    a_refused_item_changes_nothing_and_the_rest_still_land,
    a_cut_batch_keeps_what_was_answered_and_places_no_partial_file,
    discovery_offers_batches_only_where_puts_work,
);

fn digest_field(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes));
    format!("sha-256=:{encoded}:")
}

fn item(path: String, contents: &[u8]) -> BatchItem {
    BatchItem {
        path,
        size: contents.len() as u64,
        digest: Some(digest_field(contents)),
        create_only: true,
        if_match: None,
    }
}

/// The wire form of `items` with their bytes.
fn body(items: &[(BatchItem, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (item, contents) in items {
        body.extend_from_slice(&serde_json::to_vec(item).expect("serializes"));
        body.push(b'\n');
        body.extend_from_slice(contents);
    }
    body
}

async fn send(server: &TestServer, body: Vec<u8>) -> reqwest::Response {
    client()
        .post(server.url(BATCH_PATH))
        .header("content-type", BATCH_CONTENT_TYPE)
        .body(body)
        .send()
        .await
        .expect("send the batch")
}

async fn answer(server: &TestServer, body: Vec<u8>) -> BatchAnswer {
    let response = send(server, body).await;
    assert_eq!(response.status(), 200, "the batch is answered");
    response.json().await.expect("a batch answer")
}

async fn every_item_lands_as_its_own_put_would(kind: Kind) {
    let target = Target::new(kind).await;
    target.write(&["old.txt"], b"old").await;
    let server = target.serve_writable(&[]);
    // 300 files (some empty, one of 3 MiB, names that need encoding) plus a replacement.
    let mut items: Vec<(BatchItem, Vec<u8>)> = (0..300)
        .map(|n| {
            let contents = format!("file {n}").repeat(n % 3).into_bytes();
            let path = target.url(&["many", &format!("{n} #ü?.txt")]);
            (item(path, &contents), contents)
        })
        .collect();
    let big: Vec<u8> = (0..3 << 20).map(|n: u32| (n % 251) as u8).collect();
    items.push((item(target.url(&["big.bin"]), &big), big.clone()));
    let mut replace = item(target.url(&["old.txt"]), b"new");
    replace.create_only = false;
    items.push((replace, b"new".to_vec()));

    let answer = answer(&server, body(&items)).await;
    assert_eq!(answer.results.len(), items.len());
    for ((sent, contents), result) in items.iter().zip(&answer.results) {
        assert_eq!(result.path, sent.path, "results come in order");
        let expected = if sent.path.ends_with("old.txt") {
            200
        } else {
            201
        };
        assert_eq!(result.status, expected, "{}: {:?}", sent.path, result.error);
        let file = result.file.as_ref().expect("the stored entry");
        assert_eq!(file.size, contents.len() as u64);
        assert_eq!(result.digest.as_deref(), sent.digest.as_deref());
    }
    for n in [0usize, 1, 2, 299] {
        let stored = target.read(&["many", &format!("{n} #ü?.txt")]).await;
        let expected = format!("file {n}").repeat(n % 3).into_bytes();
        assert_eq!(stored.as_deref(), Some(&expected[..]), "file {n}");
    }
    assert_eq!(target.read(&["big.bin"]).await.as_deref(), Some(&big[..]));
    assert_eq!(
        target.read(&["old.txt"]).await.as_deref(),
        Some(&b"new"[..])
    );
}

async fn a_refused_item_changes_nothing_and_the_rest_still_land(kind: Kind) {
    let target = Target::new(kind).await;
    target.write(&["taken.txt"], b"mine").await;
    let server = target.serve_writable(&[]);
    let mut wrong_digest = item(target.url(&["wrong.txt"]), b"bytes");
    wrong_digest.digest = Some(digest_field(b"other bytes"));
    let mut stale = item(target.url(&["taken.txt"]), b"stale");
    stale.create_only = false;
    stale.if_match = Some("\"not-its-etag\"".to_owned());
    let items = vec![
        (item(target.url(&["a.txt"]), b"a"), b"a".to_vec()),
        (
            item(target.url(&["taken.txt"]), b"theirs"),
            b"theirs".to_vec(),
        ),
        (wrong_digest, b"bytes".to_vec()),
        (stale, b"stale".to_vec()),
        (item("/.skiff/x.txt".to_owned(), b"x"), b"x".to_vec()),
        (item(target.at("/b.txt?evil=1"), b"q"), b"q".to_vec()),
        (item(target.url(&["b.txt"]), b"b"), b"b".to_vec()),
    ];
    let answer = answer(&server, body(&items)).await;
    let statuses: Vec<u16> = answer.results.iter().map(|result| result.status).collect();
    assert_eq!(statuses, [201, 412, 460, 412, 403, 400, 201]);
    let codes: Vec<&str> = answer.results[1..6]
        .iter()
        .map(|result| result.error.as_ref().expect("an error").code.as_str())
        .collect();
    assert_eq!(codes[1], "checksum_mismatch");
    assert_eq!(codes[4], "bad_path");
    assert_eq!(
        target.read(&["taken.txt"]).await.as_deref(),
        Some(&b"mine"[..])
    );
    assert!(!target.exists(&["wrong.txt"]).await, "nothing placed");
    assert_eq!(target.read(&["a.txt"]).await.as_deref(), Some(&b"a"[..]));
    assert_eq!(target.read(&["b.txt"]).await.as_deref(), Some(&b"b"[..]));
    assert!(!target.exists(&["b.txt?evil=1"]).await);
}

async fn a_cut_batch_keeps_what_was_answered_and_places_no_partial_file(kind: Kind) {
    let target = Target::new(kind).await;
    let server = target.serve_writable(&[]);
    let items = vec![
        (
            item(target.url(&["whole.txt"]), b"whole"),
            b"whole".to_vec(),
        ),
        (
            item(target.url(&["cut.txt"]), b"0123456789"),
            b"0123456789".to_vec(),
        ),
    ];
    let mut wire = body(&items);
    wire.truncate(wire.len() - 4);
    let response = send(&server, wire).await;
    expect_error(response, 400, "a batch that ends inside a file").await;
    assert_eq!(
        target.read(&["whole.txt"]).await.as_deref(),
        Some(&b"whole"[..])
    );
    assert!(!target.exists(&["cut.txt"]).await, "no partial file placed");

    // A header that is not JSON, and one over the limit, are refused in words.
    let response = send(&server, b"not json\n".to_vec()).await;
    let error = expect_error(response, 400, "a bad header").await;
    assert_eq!(error.error.code, "bad_batch");
    let response = send(&server, vec![b'x'; 20 * 1024]).await;
    expect_error(response, 400, "a header line without end").await;
    // Past the item limit, items answer 413 and their bytes are skipped.
    let many: Vec<(BatchItem, Vec<u8>)> = (0..=BATCH_MAX_ITEMS)
        .map(|n| {
            (
                item(target.url(&["lots", &format!("{n}")]), b"1"),
                b"1".to_vec(),
            )
        })
        .collect();
    let answer = answer(&server, body(&many)).await;
    assert_eq!(answer.results.len(), BATCH_MAX_ITEMS + 1);
    assert_eq!(answer.results[BATCH_MAX_ITEMS].status, 413);
    assert!(answer.results[..BATCH_MAX_ITEMS]
        .iter()
        .all(|r| r.status == 201));
}

async fn discovery_offers_batches_only_where_puts_work(kind: Kind) {
    let target = Target::new(kind).await;
    let read_only = target.serve();
    assert_eq!(discovery(&read_only).await.batch, None);
    let response = send(&read_only, Vec::new()).await;
    assert_eq!(
        response.status(),
        403,
        "the reserved name on a read-only server"
    );
    drop(read_only);
    let writable = target.serve_writable(&[]);
    assert_eq!(
        discovery(&writable).await.batch.as_deref(),
        Some(BATCH_PATH)
    );
    let response = client()
        .get(writable.url(BATCH_PATH))
        .send()
        .await
        .expect("send");
    expect_error(response, 405, "GET of the batch endpoint").await;
    // An empty batch is a batch of nothing.
    assert!(answer(&writable, Vec::new()).await.results.is_empty());
}
