//! Sessions into an S3 mount are real S3 multipart uploads (issue 11): the
//! parts are in the bucket (S3's own ListParts) before the session completes,
//! nothing but a sequential session's short tail waits on the server's disk,
//! S3's 5 MiB minimum part is enforced at create, and a `kill -9` between parts
//! or chunks resumes from the records.

use axum::http::Method;
use skiff_protocol::{FileObject, UploadSession};

use crate::common::seaweed::seaweed;
use crate::common::uploads::{content_hash, pattern, sha256_hex};
use crate::common::{client, expect_error, Fixture};
use crate::helpers::{
    append, complete, create, listed_with_sha256, partial_files, put_part, send, serve_mounted,
    session, start, Backend, MIB, NAME,
};

/// `(upload id, part numbers)` of every unfinished S3 multipart upload of
/// `key` in `backend`'s bucket, read with S3's ListMultipartUploads and ListParts.
async fn s3_parts(backend: &Backend, key: &str) -> Vec<(String, Vec<u64>)> {
    let Backend::S3 { bucket, .. } = backend else {
        unreachable!("an S3 backend")
    };
    let s3 = seaweed().await;
    let (status, listing) = s3
        .signed_text(Method::GET, &format!("/{bucket}?uploads"))
        .await
        .expect("ListMultipartUploads");
    assert_eq!(status, 200, "{listing}");
    let mut uploads = Vec::new();
    for upload in elements(&listing, "Upload") {
        if elements(&upload, "Key") != [format!("team/{key}")] {
            continue;
        }
        let id = elements(&upload, "UploadId").concat();
        let (status, parts) = s3
            .signed_text(Method::GET, &format!("/{bucket}/team/{key}?uploadId={id}"))
            .await
            .expect("ListParts");
        assert_eq!(status, 200, "{parts}");
        let numbers = elements(&parts, "PartNumber")
            .iter()
            .map(|n| n.parse().expect("a part number"))
            .collect();
        uploads.push((id, numbers));
    }
    uploads
}

/// The text of every `<name>…</name>` in `xml`.
fn elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(text, _)| text.to_owned()))
        .collect()
}

/// A parts session's parts are S3 parts of one multipart upload as soon as they
/// are acknowledged, nothing stages on the server, and completing joins them.
#[tokio::test]
async fn s3_parts_go_straight_into_a_multipart_upload() {
    let backend = Backend::s3().await;
    let fixture = Fixture::new();
    let server = serve_mounted(&fixture, &backend).await;
    let part = 5 * MIB;

    let small = create(
        &server,
        NAME,
        "small.bin",
        20 * MIB,
        serde_json::json!({ "part_size": MIB }),
        false,
    )
    .await;
    let refused = expect_error(small, 400, "1 MiB parts into S3").await;
    assert_eq!(refused.error.code, "bad_part_size");
    assert!(
        refused.error.message.contains("5 MiB"),
        "{}",
        refused.error.message
    );

    let data = pattern(3 * part + 5, 2);
    let created = session(
        &server,
        "docs/big.bin",
        data.len(),
        serde_json::json!({ "part_size": part }),
    )
    .await;
    for n in [3, 1] {
        assert_eq!(put_part(&server, &created.url, &data, part, n).await, 200);
    }
    let uploads = s3_parts(&backend, "docs/big.bin").await;
    assert_eq!(uploads.len(), 1, "one multipart upload: {uploads:?}");
    assert_eq!(uploads[0].1, [1, 3], "the acknowledged parts are in S3");
    assert_eq!(partial_files(fixture.root()), Vec::<String>::new());
    assert_eq!(backend.stored("docs/big.bin").await, None);

    for n in [2, 4] {
        assert_eq!(put_part(&server, &created.url, &data, part, n).await, 200);
    }
    let body = serde_json::json!({ "content_hash": content_hash(&data, part) });
    let done = complete(&server, &created.url, body).await;
    assert_eq!(done.status(), 200);
    let stored = backend.stored("docs/big.bin").await.expect("placed");
    assert_eq!(sha256_hex(&stored), sha256_hex(&data));
    assert!(s3_parts(&backend, "docs/big.bin").await.is_empty());
    let listed = listed_with_sha256(&server).await;
    assert_eq!(listed.data[0].sha256, Some(sha256_hex(&data)));

    // Aborting drops the multipart upload in S3.
    let aborted = session(
        &server,
        "gone.bin",
        data.len(),
        serde_json::json!({ "part_size": part }),
    )
    .await;
    assert_eq!(put_part(&server, &aborted.url, &data, part, 1).await, 200);
    assert_eq!(s3_parts(&backend, "gone.bin").await.len(), 1);
    let deleted = send(client().delete(server.url(&aborted.url))).await;
    assert_eq!(deleted.status(), 204);
    assert!(s3_parts(&backend, "gone.bin").await.is_empty());
}

/// Sequential chunks of odd sizes are regrouped into 8 MiB S3 parts; only the
/// tail under a part waits on the server's disk. A `kill -9` between chunks
/// resumes from the records, and the whole-file SHA-256 is still right.
#[tokio::test]
async fn s3_sequential_chunks_become_parts_and_survive_kill_9() {
    let backend = Backend::s3().await;
    let fixture = Fixture::new();
    let mut server = serve_mounted(&fixture, &backend).await;
    let data = pattern(20 * MIB + 12_345, 6);
    let created = session(
        &server,
        "seq.bin",
        data.len(),
        serde_json::json!({ "sha256": sha256_hex(&data) }),
    )
    .await;
    let chunk = 3 * MIB + 1;
    let mut offset = 0;
    for _ in 0..3 {
        let response = append(&server, &created.url, offset, &data[offset..offset + chunk]).await;
        assert_eq!(response.status(), 200, "chunk at {offset}");
        offset += chunk;
    }
    // 9 MiB + 3 in: one 8 MiB part in S3, the rest in the tail.
    let uploads = s3_parts(&backend, "seq.bin").await;
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    assert_eq!(uploads[0].1, [1]);
    let tail = format!("{}.t1", created.id);
    assert_eq!(partial_files(fixture.root()), std::slice::from_ref(&tail));
    let on_disk = std::fs::metadata(fixture.root().join(".skiff/partial").join(&tail))
        .expect("the tail")
        .len();
    assert_eq!(on_disk, (offset - 8 * MIB) as u64);

    // A damaged chunk changes nothing.
    let bad = client()
        .post(server.url(&created.url))
        .header("upload-offset", offset.to_string())
        .header(
            "upload-checksum",
            format!("sha256 {}", "A".repeat(43) + "="),
        )
        .body(data[offset..offset + chunk].to_vec());
    assert_eq!(send(bad).await.status(), 460);

    server.kill();
    let server = start(&fixture);
    let now: UploadSession = send(client().get(server.url(&created.url)))
        .await
        .json()
        .await
        .expect("the session after the restart");
    assert_eq!(now.offset, offset as u64);
    while offset < data.len() {
        let end = (offset + chunk).min(data.len());
        let response = append(&server, &created.url, offset, &data[offset..end]).await;
        assert_eq!(response.status(), 200, "chunk at {offset}");
        if end < data.len() {
            offset = end;
            continue;
        }
        let file: FileObject = response.json().await.expect("the file object");
        assert_eq!(
            file.sha256,
            Some(sha256_hex(&data)),
            "hashed across the restart"
        );
        offset = end;
    }
    let stored = backend.stored("seq.bin").await.expect("placed");
    assert_eq!(sha256_hex(&stored), sha256_hex(&data));
    assert_eq!(partial_files(fixture.root()), Vec::<String>::new());
    assert!(s3_parts(&backend, "seq.bin").await.is_empty());
}
