//! Sessions into a mounted storage land in its backend with the right bytes,
//! whatever the order of parts, across a `kill -9`, with digests checked.

use skiff_protocol::{BucketList, FileObject, UploadSession, UPLOADS_PATH};

use crate::common::uploads::{content_hash, pattern, sha256_hex};
use crate::common::{client, expect_error, Fixture};
use crate::helpers::{
    append, complete, create, listed_with_sha256, part_for, partial_files, put_part, send,
    serve_mounted, session, start, Backend, MIB, NAME,
};

/// Sequential and parts sessions, digests, the bucket listings, `If-None-Match`.
async fn sessions_land_in_the_backend(backend: Backend) {
    let fixture = Fixture::new();
    let server = serve_mounted(&fixture, &backend).await;
    let part = part_for(&backend);

    // Sequential, in two chunks, with the whole file's SHA-256 announced.
    let data = pattern(2 * MIB + 3, 7);
    let sha256 = sha256_hex(&data);
    let created = session(
        &server,
        "docs/seq.bin",
        data.len(),
        serde_json::json!({ "sha256": sha256 }),
    )
    .await;
    let first = append(&server, &created.url, 0, &data[..MIB]).await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        backend.stored("docs/seq.bin").await,
        None,
        "nothing before the end"
    );
    let last = append(&server, &created.url, MIB, &data[MIB..]).await;
    assert_eq!(last.status(), 200);
    let file: FileObject = last.json().await.expect("a file object");
    assert_eq!(
        (file.key.as_str(), file.bucket.as_str(), file.bytes),
        ("docs/seq.bin", NAME, data.len() as u64)
    );
    assert_eq!(file.sha256.as_deref(), Some(sha256.as_str()));
    let stored = backend.stored("docs/seq.bin").await.expect("placed");
    assert_eq!(sha256_hex(&stored), sha256);

    // Parts, out of order, part 1 sent twice; no digest asked for.
    let data = pattern(2 * part + part / 2, 9);
    let parts = session(
        &server,
        "docs/parts.bin",
        data.len(),
        serde_json::json!({ "part_size": part }),
    )
    .await;
    for n in [3, 1, 1, 2] {
        assert_eq!(
            put_part(&server, &parts.url, &data, part, n).await,
            200,
            "part {n}"
        );
    }
    let body = serde_json::json!({ "content_hash": content_hash(&data, part) });
    let done = complete(&server, &parts.url, body.clone()).await;
    assert_eq!(done.status(), 200);
    let mut file: FileObject = done.json().await.expect("a file object");
    // The parts went straight into the storage: its SHA-256 is read back later.
    assert_eq!(file.sha256, None);
    let again: FileObject = complete(&server, &parts.url, body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, file, "a repeated complete answers the same file");
    assert_eq!(
        backend.stored("docs/parts.bin").await.as_deref(),
        Some(&data[..])
    );
    file.sha256 = Some(sha256_hex(&data));

    // Parts with the whole file's SHA-256 announced: staged here, checked, placed.
    let announced = session(
        &server,
        "docs/announced.bin",
        data.len(),
        serde_json::json!({ "part_size": part, "sha256": sha256_hex(&data) }),
    )
    .await;
    for n in 1..=3 {
        assert_eq!(put_part(&server, &announced.url, &data, part, n).await, 200);
    }
    let done = complete(&server, &announced.url, serde_json::json!({})).await;
    let announced_file: FileObject = done.json().await.expect("a file object");
    assert_eq!(announced_file.sha256, file.sha256);
    assert_eq!(
        backend.stored("docs/announced.bin").await.as_deref(),
        Some(&data[..])
    );

    // The buckets, and the mounted one's files with what the server knows.
    let buckets: BucketList = send(client().get(server.url(UPLOADS_PATH)))
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<_> = buckets.data.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["default", NAME]);
    let listed = listed_with_sha256(&server).await;
    let keys: Vec<_> = listed.data.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        ["docs/announced.bin", "docs/parts.bin", "docs/seq.bin"]
    );
    assert_eq!(listed.data[1].id, file.id, "the id the session reported");
    assert_eq!(listed.data[1].sha256, file.sha256);

    // `If-None-Match: *` on an existing key.
    let taken = create(
        &server,
        NAME,
        "docs/seq.bin",
        3,
        serde_json::json!({}),
        true,
    )
    .await;
    expect_error(taken, 412, "If-None-Match on an existing file").await;

    // A wrong content hash: 460, nothing in the backend.
    let bad = session(
        &server,
        "bad.bin",
        data.len(),
        serde_json::json!({ "part_size": part }),
    )
    .await;
    for n in 1..=3 {
        assert_eq!(put_part(&server, &bad.url, &data, part, n).await, 200);
    }
    let wrong = serde_json::json!({ "content_hash": "0".repeat(64) });
    let refused = complete(&server, &bad.url, wrong).await;
    assert_eq!(refused.status(), 460);
    assert_eq!(backend.stored("bad.bin").await, None);
}

#[tokio::test]
async fn sessions_land_in_a_local_mount() {
    sessions_land_in_the_backend(Backend::local()).await;
}

#[tokio::test]
async fn sessions_land_in_an_s3_mount() {
    sessions_land_in_the_backend(Backend::s3().await).await;
}

/// `kill -9` between parts: the parts are still there after the restart, and
/// the session completes into the store. They never stage on the server's disk.
async fn parts_survive_kill_9(backend: Backend) {
    let fixture = Fixture::new();
    let mut server = serve_mounted(&fixture, &backend).await;
    let part = part_for(&backend);
    let data = pattern(3 * part + 11, 5);
    let parts = session(
        &server,
        "big/a.bin",
        data.len(),
        serde_json::json!({ "part_size": part }),
    )
    .await;
    for n in [1, 3] {
        assert_eq!(put_part(&server, &parts.url, &data, part, n).await, 200);
    }
    assert_eq!(partial_files(fixture.root()), Vec::<String>::new());
    server.kill();
    let server = start(&fixture);
    let now: UploadSession = send(client().get(server.url(&parts.url)))
        .await
        .json()
        .await
        .expect("the session after the restart");
    assert_eq!(now.parts, Some(vec![[1, 1], [3, 3]]));
    for n in [2, 4] {
        assert_eq!(put_part(&server, &parts.url, &data, part, n).await, 200);
    }
    let body = serde_json::json!({ "content_hash": content_hash(&data, part) });
    let done = complete(&server, &parts.url, body).await;
    assert_eq!(done.status(), 200);
    let stored = backend.stored("big/a.bin").await.expect("placed");
    assert_eq!(sha256_hex(&stored), sha256_hex(&data));
}

#[tokio::test]
async fn parts_survive_kill_9_in_a_local_mount() {
    parts_survive_kill_9(Backend::local()).await;
}

#[tokio::test]
async fn parts_survive_kill_9_in_an_s3_mount() {
    parts_survive_kill_9(Backend::s3().await).await;
}

/// A session created with `If-None-Match: *` whose file appeared before it
/// completed: the session's own bytes count as placed (what a crash after the
/// store's put leaves), anybody else's are 412 and stay.
#[tokio::test]
async fn a_create_only_completion_meets_a_file() {
    let backend = Backend::local();
    let fixture = Fixture::new();
    let server = serve_mounted(&fixture, &backend).await;
    let Backend::Local(dir) = &backend else {
        unreachable!("a local backend")
    };
    let data = pattern(MIB + 5, 4);
    let mut outcomes = Vec::new();
    for (key, there) in [
        ("same.bin", &data[..]),
        ("other.bin", &b"someone else's"[..]),
    ] {
        let created = create(
            &server,
            NAME,
            key,
            data.len(),
            serde_json::json!({ "part_size": MIB }),
            true,
        )
        .await;
        assert_eq!(created.status(), 201, "create {key}");
        let created: UploadSession = created.json().await.expect("a session object");
        for n in [1, 2] {
            assert_eq!(put_part(&server, &created.url, &data, MIB, n).await, 200);
        }
        std::fs::write(dir.path().join(key), there).expect("a file appears");
        let done = complete(&server, &created.url, serde_json::json!({})).await;
        outcomes.push(done.status().as_u16());
        assert_eq!(backend.stored(key).await.as_deref(), Some(there), "{key}");
    }
    assert_eq!(outcomes, [200, 412]);
}

/// A staged session's finished file goes into a local mount on this file
/// system the way the default storage's do: renamed in (the same inode), not
/// copied byte by byte; its announced SHA-256 is the one recorded.
#[tokio::test]
async fn a_staged_file_is_renamed_into_a_local_mount() {
    use std::os::unix::fs::MetadataExt;
    let backend = Backend::local();
    let fixture = Fixture::new();
    let server = serve_mounted(&fixture, &backend).await;
    let Backend::Local(dir) = &backend else {
        unreachable!("a local backend")
    };
    let data = pattern(2 * MIB + 5, 6);
    let staged = session(
        &server,
        "in/renamed.bin",
        data.len(),
        serde_json::json!({ "part_size": MIB, "sha256": sha256_hex(&data) }),
    )
    .await;
    for n in 1..=3 {
        assert_eq!(put_part(&server, &staged.url, &data, MIB, n).await, 200);
    }
    let partial = fixture.root().join(".skiff/partial").join(&staged.id);
    let inode = std::fs::metadata(&partial).expect("staged here").ino();
    let done = complete(&server, &staged.url, serde_json::json!({})).await;
    assert_eq!(done.status(), 200);
    let file: FileObject = done.json().await.expect("a file object");
    assert_eq!(file.sha256.as_deref(), Some(sha256_hex(&data).as_str()));
    let placed = dir.path().join("in/renamed.bin");
    assert_eq!(std::fs::read(&placed).expect("placed"), data);
    assert_eq!(
        std::fs::metadata(&placed).unwrap().ino(),
        inode,
        "renamed in"
    );
    assert!(!partial.exists());
}
