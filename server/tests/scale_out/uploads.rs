//! Upload sessions in parts across instances (issue 13): 20 uploads whose parts
//! each go to another instance while one is killed with SIGKILL, and the same
//! part or completion sent to two instances at once (one winner).

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_in_parts_across_instances_survive_a_kill() {
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = common::seaweed::client(&cluster.endpoint, &bucket);
    let (mut instances, client) = writable_instances(&cluster.endpoint, &bucket);
    // 20 files of 3 to 12 MiB: one to three parts each, ~40 parts in all.
    let files: Vec<(String, Vec<u8>)> = (0..20u64)
        .map(|i| {
            let len = (3 << 20) + usize::try_from(i * 479_001 % (9 << 20)).expect("a size");
            (format!("batch/file-{i:02}.bin"), random_bytes(i + 1, len))
        })
        .collect();
    // The second instance dies (SIGKILL) once 12 parts are in: parts in flight
    // to it fail and go to the next instance, as behind a load balancer.
    let victim = instances.remove(1);
    let acked = std::sync::Arc::clone(&client.acked);
    let killer = tokio::spawn(async move {
        while acked.load(std::sync::atomic::Ordering::SeqCst) < 12 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let (_, stderr) = victim.stop();
        stderr
    });
    let uploads = files.iter().enumerate().map(|(i, (key, bytes))| {
        let client = client.clone();
        async move { client.upload(i, key, bytes).await }
    });
    let done: Vec<Value> = futures_util::stream::iter(uploads)
        .buffer_unordered(4)
        .collect()
        .await;
    assert_eq!(done.len(), files.len());
    let stderr = killer.await.expect("the kill");
    // The kill came mid-upload: later requests for it went to the others.
    let parts: u64 = files
        .iter()
        .map(|(_, bytes)| (bytes.len() as u64).div_ceil(PART))
        .sum();
    assert!(parts > 30, "{parts} parts");
    let moved = client.failovers.load(std::sync::atomic::Ordering::SeqCst);
    assert!(moved > 0, "no request met the killed instance");
    assert!(!stderr.contains(SECRET_KEY), "the secret reached the log");
    for (key, bytes) in &files {
        let stored = in_bucket(&raw, key).await;
        assert_eq!(stored.len(), bytes.len(), "{key}");
        assert_eq!(hex_sha256(&stored), hex_sha256(bytes), "{key}");
    }
    // Every instance left lists them all; no session state shows in the tree.
    for server in &instances {
        let listed = common::s3_root::names(server, "/batch/", Some(WRITER)).await;
        assert_eq!(listed.len(), files.len());
        assert_eq!(names_with(server, "/").await, ["batch"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_instances_have_one_winner() {
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = common::seaweed::client(&cluster.endpoint, &bucket);
    let (_instances, client) = writable_instances(&cluster.endpoint, &bucket);
    let bytes = random_bytes(99, (6 << 20) + 123);

    // The same part sent to two instances at once: both are told it is stored
    // (a repeated part, §2.1), one record holds it, and the file is right.
    let url = client
        .create(0, "race/same-part.bin", bytes.len() as u64)
        .await;
    let first = &bytes[..usize::try_from(PART).expect("a size")];
    let path = format!("{url}/parts/1");
    let (a, b) = tokio::join!(
        client.once(1, Method::PUT, &path, first.to_vec()),
        client.once(2, Method::PUT, &path, first.to_vec()),
    );
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    for answer in [a, b] {
        let session: Value = answer.json().await.expect("a session");
        assert_eq!(session["parts"], serde_json::json!([[1, 1]]));
    }
    client.part(0, &url, &bytes, 2).await;
    let hash = content_hash(&bytes, PART);
    client.complete(1, &url, &hash).await;
    let stored = in_bucket(&raw, "race/same-part.bin").await;
    assert_eq!(hex_sha256(&stored), hex_sha256(&bytes));

    // A completion raced on two instances: exactly one completes, the other is
    // told another request is completing it; asked again, it is completed.
    let url = client
        .create(0, "race/complete.bin", bytes.len() as u64)
        .await;
    client.part(1, &url, &bytes, 1).await;
    client.part(2, &url, &bytes, 2).await;
    let body = serde_json::json!({ "content_hash": hash })
        .to_string()
        .into_bytes();
    let path = format!("{url}/complete");
    let (a, b) = tokio::join!(
        client.once(1, Method::POST, &path, body.clone()),
        client.once(2, Method::POST, &path, body.clone()),
    );
    let mut answers = Vec::new();
    for answer in [a, b] {
        let status = answer.status();
        answers.push((status, answer.json::<Value>().await.expect("JSON")));
    }
    answers.sort_by_key(|(status, _)| *status);
    let [(won, file), (lost, told)] = <[_; 2]>::try_from(answers).expect("two answers");
    assert_eq!(
        (won, lost),
        (StatusCode::OK, StatusCode::CONFLICT),
        "{told}"
    );
    assert_eq!(told["error"]["code"], "session_completing", "{told}");
    assert_eq!(file["content_hash"], hash.as_str());
    let again = client.complete(0, &url, &hash).await;
    assert_eq!(
        again, file,
        "a repeated complete answers the same file object"
    );
    let stored = in_bucket(&raw, "race/complete.bin").await;
    assert_eq!(hex_sha256(&stored), hex_sha256(&bytes));

    // Discovery offers parts of at least S3's 5 MiB, which is what the app uses.
    let discovery: Value = client
        .client
        .get(format!(
            "{}{}",
            client.urls[0],
            skiff_protocol::DISCOVERY_PATH
        ))
        .bearer_auth(WRITER)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    assert_eq!(discovery["min_part"], PART, "{discovery}");
}
