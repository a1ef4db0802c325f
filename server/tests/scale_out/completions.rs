//! A completion whose instance died (before or after S3 joined the parts, in parts
//! or sequential sessions) is taken over by another instance.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_cut_short_is_taken_over() {
    use object_store::multipart::{MultipartStore, PartId};
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = common::seaweed::client(&cluster.endpoint, &bucket);
    let (_instances, client) = writable_instances(&cluster.endpoint, &bucket);
    let bytes = random_bytes(7, (7 << 20) + 5);
    let hash = content_hash(&bytes, PART);
    let id_of = |url: &str| url.rsplit(':').next().expect("an id").to_owned();

    // A completer that died before S3 joined the parts: while its mark is fresh
    // others are told it is completing; once stale, the next complete finishes.
    let url = client.create(0, "cut/before.bin", bytes.len() as u64).await;
    client.part(1, &url, &bytes, 1).await;
    client.part(2, &url, &bytes, 2).await;
    let key = format!("sessions/{}", id_of(&url));
    let mut session = state_record(&raw, &key).await;
    assert_eq!(session["state"], "open", "{session}");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock")
        .as_millis() as u64;
    session["state"] = "completing".into();
    session["since_ms"] = now_ms.into();
    put_state_record(&raw, &key, &session).await;
    let body = serde_json::json!({ "content_hash": hash })
        .to_string()
        .into_bytes();
    let told = client
        .once(1, Method::POST, &format!("{url}/complete"), body.clone())
        .await;
    assert_eq!(told.status(), StatusCode::CONFLICT);
    session["since_ms"] = 0.into();
    put_state_record(&raw, &key, &session).await;
    let file = client.complete(2, &url, &hash).await;
    assert_eq!(file["content_hash"], hash.as_str());
    assert_eq!(
        hex_sha256(&in_bucket(&raw, "cut/before.bin").await),
        hex_sha256(&bytes)
    );

    // A completer that died after S3 joined the parts, before it recorded so:
    // the next complete asks S3 to join them again (SeaweedFS, like AWS for a
    // while, answers the same object; else the object's content hash is read
    // back and must match) and answers the file.
    let url = client.create(1, "cut/after.bin", bytes.len() as u64).await;
    client.part(2, &url, &bytes, 1).await;
    client.part(0, &url, &bytes, 2).await;
    let id = id_of(&url);
    let key = format!("sessions/{id}");
    let mut session = state_record(&raw, &key).await;
    let mut parts = Vec::new();
    for n in 1..=2 {
        let part = state_record(&raw, &format!("parts/{id}/{n}")).await;
        let etag = part["etag"].as_str().expect("an etag").to_owned();
        parts.push(PartId { content_id: etag });
    }
    let upload = session["upload"]
        .as_str()
        .expect("the upload id")
        .to_owned();
    raw.complete_multipart(&Key::from("team/cut/after.bin"), &upload, parts)
        .await
        .expect("S3 joins the parts");
    session["state"] = "completing".into();
    session["since_ms"] = 0.into();
    put_state_record(&raw, &key, &session).await;
    let file = client.complete(0, &url, &hash).await;
    assert_eq!(file["content_hash"], hash.as_str());
    assert_eq!(file["bytes"], bytes.len());
    assert_eq!(
        hex_sha256(&in_bucket(&raw, "cut/after.bin").await),
        hex_sha256(&bytes)
    );
    let done = state_record(&raw, &key).await;
    assert_eq!(done["state"], "completed", "{done}");

    // S3 no longer knows the upload (joined long ago): the object at the key is
    // this upload's only if its content hash matches; else 412, and the session
    // is failed.
    for (name, stored, status) in [
        ("cut/gone.bin", bytes.clone(), StatusCode::OK),
        (
            "cut/other.bin",
            random_bytes(8, bytes.len()),
            StatusCode::PRECONDITION_FAILED,
        ),
    ] {
        let url = client.create(2, name, bytes.len() as u64).await;
        client.part(0, &url, &bytes, 1).await;
        client.part(1, &url, &bytes, 2).await;
        let key = upload_gone(&raw, &url, name, &stored).await;
        let (_, answered, file) = client
            .send(1, Method::POST, &format!("{url}/complete"), &body)
            .await;
        assert_eq!(answered, status, "{name}: {file}");
        let after = state_record(&raw, &key).await;
        let expected = if status == StatusCode::OK {
            "completed"
        } else {
            "failed"
        };
        assert_eq!(after["state"], expected, "{after}");
        assert_eq!(
            hex_sha256(&in_bucket(&raw, name).await),
            hex_sha256(&stored)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequential_completion_cut_short_is_taken_over() {
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = common::seaweed::client(&cluster.endpoint, &bucket);
    let (_instances, client) = writable_instances(&cluster.endpoint, &bucket);
    let bytes = random_bytes(31, (1 << 20) + 3);
    // Every byte in and S3's upload gone (a completer died after S3 joined the
    // parts, long ago): the object decides, by its SHA-256.
    for (name, stored, status) in [
        ("seqcut/same.bin", bytes.clone(), StatusCode::OK),
        (
            "seqcut/other.bin",
            random_bytes(32, bytes.len()),
            StatusCode::PRECONDITION_FAILED,
        ),
    ] {
        let create = serde_json::json!({
            "key": name, "bucket": "default", "mime_type": "application/octet-stream",
            "size": bytes.len(),
        });
        let made = client
            .once(
                0,
                Method::POST,
                skiff_protocol::UPLOADS_PATH,
                create.to_string().into_bytes(),
            )
            .await;
        let session: Value = made.json().await.expect("JSON");
        let url = session["url"].as_str().expect("a url").to_owned();
        let (done, file) = append(&client, 1, &url, 0, &bytes).await;
        assert_eq!(done, StatusCode::OK, "{file}");
        let key = upload_gone(&raw, &url, name, &stored).await;
        let (answered, answer) = append(&client, 2, &url, bytes.len(), &[]).await;
        assert_eq!(answered, status, "{name}: {answer}");
        let after = state_record(&raw, &key).await;
        let expected = if status == StatusCode::OK {
            "completed"
        } else {
            "failed"
        };
        assert_eq!(after["state"], expected, "{after}");
        if status == StatusCode::OK {
            assert_eq!(answer["sha256"], hex_sha256(&bytes).as_str(), "{answer}");
        }
    }
}

/// What a completer that died after S3 joined the parts leaves once S3 has
/// forgotten the upload: no multipart upload, `stored` at `team/NAME`, and the
/// session (`url`) marked completing long ago. Returns its record's key.
async fn upload_gone(
    raw: &object_store::aws::AmazonS3,
    url: &str,
    name: &str,
    stored: &[u8],
) -> String {
    use object_store::multipart::MultipartStore;
    let key = format!("sessions/{}", url.rsplit(':').next().expect("an id"));
    let mut session = state_record(raw, &key).await;
    let upload = session["upload"]
        .as_str()
        .expect("the upload id")
        .to_owned();
    raw.abort_multipart(&Key::from(format!("team/{name}")), &upload)
        .await
        .expect("abort");
    raw.put(
        &Key::from(format!("team/{name}")),
        PutPayload::from(stored.to_vec()),
    )
    .await
    .expect("put");
    session["state"] = "completing".into();
    session["since_ms"] = 0.into();
    put_state_record(raw, &key, &session).await;
    key
}
