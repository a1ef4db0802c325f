//! Sequential sessions take their chunks on any instance: one winner for a chunk
//! sent twice at once, one instance killed midway, the whole file's SHA-256
//! checked before it is placed.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_sessions_take_chunks_on_any_instance() {
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = common::seaweed::client(&cluster.endpoint, &bucket);
    let (mut instances, client) = writable_instances(&cluster.endpoint, &bucket);
    // Two whole 8 MiB S3 parts and a short last one, in 3 MiB chunks.
    let bytes = random_bytes(21, (19 << 20) + 1234);
    let create = |key: &str, sha256: &str| {
        serde_json::json!({
            "key": key, "bucket": "default", "mime_type": "application/octet-stream",
            "size": bytes.len(), "sha256": sha256,
        })
        .to_string()
        .into_bytes()
    };
    let made = client
        .once(
            0,
            Method::POST,
            skiff_protocol::UPLOADS_PATH,
            create("seq/file.bin", &hex_sha256(&bytes)),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let session: Value = made.json().await.expect("JSON");
    let url = session["url"].as_str().expect("a url").to_owned();
    assert_eq!(session["part_size"], Value::Null, "{session}");
    let chunks: Vec<&[u8]> = bytes.chunks(3 << 20).collect();
    let mut offset = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        if i == 2 {
            // The same chunk on two instances at once: one takes it, the other
            // is told the offset moved on (409 with the session).
            let (a, b) = tokio::join!(
                append(&client, i + 1, &url, offset, chunk),
                append(&client, i + 2, &url, offset, chunk),
            );
            let mut statuses = [a.0, b.0];
            statuses.sort();
            assert_eq!(
                statuses,
                [StatusCode::OK, StatusCode::CONFLICT],
                "{} {}",
                a.1,
                b.1
            );
            let told = if a.0 == StatusCode::CONFLICT {
                &a.1
            } else {
                &b.1
            };
            assert_eq!(told["offset"], offset + chunk.len(), "{told}");
        } else {
            let (status, answer) = append(&client, i + 1, &url, offset, chunk).await;
            assert_eq!(status, StatusCode::OK, "chunk {i}: {answer}");
            if last {
                assert_eq!(answer["sha256"], hex_sha256(&bytes).as_str(), "{answer}");
                assert_eq!(answer["bytes"], bytes.len());
            } else {
                assert_eq!(answer["offset"], offset + chunk.len(), "{answer}");
            }
        }
        offset += chunk.len();
    }
    assert_eq!(
        hex_sha256(&in_bucket(&raw, "seq/file.bin").await),
        hex_sha256(&bytes)
    );
    // A retried last chunk learns the outcome again.
    let (status, again) = append(&client, 0, &url, bytes.len(), &[]).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["sha256"], hex_sha256(&bytes).as_str());

    // An instance killed (SIGKILL) midway: the chunks meant for it go to the
    // others, and a client that lost an answer resyncs from the 409's offset.
    let url = {
        let made = client
            .once(
                0,
                Method::POST,
                skiff_protocol::UPLOADS_PATH,
                create("seq/killed.bin", &hex_sha256(&bytes)),
            )
            .await;
        let session: Value = made.json().await.expect("JSON");
        session["url"].as_str().expect("a url").to_owned()
    };
    let mut offset = 0;
    let mut turn = 0;
    let mut victim = Some(instances.remove(1));
    while offset < bytes.len() {
        if offset >= 7 << 20 {
            if let Some(victim) = victim.take() {
                victim.stop();
            }
        }
        let chunk = &bytes[offset..(offset + (3 << 20)).min(bytes.len())];
        turn += 1;
        let (_, status, answer) = client
            .send_with(
                turn,
                Method::POST,
                &url,
                &[("Upload-Offset", offset.to_string())],
                chunk,
            )
            .await;
        match status {
            StatusCode::OK => offset += chunk.len(),
            StatusCode::CONFLICT => {
                offset = usize::try_from(answer["offset"].as_u64().expect("an offset"))
                    .expect("an offset");
            }
            other => panic!("{other}: {answer}"),
        }
        if offset == bytes.len() {
            assert_eq!(answer["sha256"], hex_sha256(&bytes).as_str(), "{answer}");
        }
    }
    assert!(victim.is_none());
    let moved = client.failovers.load(std::sync::atomic::Ordering::SeqCst);
    assert!(moved > 0, "no chunk met the killed instance");
    assert_eq!(
        hex_sha256(&in_bucket(&raw, "seq/killed.bin").await),
        hex_sha256(&bytes)
    );

    // A whole-file SHA-256 that does not match: 460 at the last chunk, nothing placed.
    let made = client
        .once(
            0,
            Method::POST,
            skiff_protocol::UPLOADS_PATH,
            create("seq/wrong.bin", &"0".repeat(64)),
        )
        .await;
    let session: Value = made.json().await.expect("JSON");
    let url = session["url"].as_str().expect("a url").to_owned();
    let mut offset = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        let (status, answer) = append(&client, 2 * (i % 2), &url, offset, chunk).await;
        let expected = if i + 1 == chunks.len() { 460 } else { 200 };
        assert_eq!(status.as_u16(), expected, "chunk {i}: {answer}");
        offset += chunk.len();
    }
    assert!(matches!(
        raw.head(&Key::from("team/seq/wrong.bin")).await,
        Err(object_store::Error::NotFound { .. })
    ));
    let aborted = client.once(2, Method::DELETE, &url, Vec::new()).await;
    drop(instances);
    assert_eq!(aborted.status(), StatusCode::NO_CONTENT);
}
