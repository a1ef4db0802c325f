//! Upload sessions into a storage mounted on an `s3://` root: an S3 storage's
//! sessions are shared like the default storage's (created on one instance, parts
//! on the others, completed on yet another, the bytes in that storage's bucket); a
//! mounted local folder, each instance's own, refuses them with 501 in words.

use object_store::ObjectStore;

use super::*;

const MOUNT: &str = "Cloud";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_into_a_mounted_s3_storage_go_across_instances() {
    let cluster = common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let other = cluster.new_bucket().await;
    let outside = tempfile::tempdir().expect("a temp folder");
    let local = outside.path().join("here");
    std::fs::create_dir(&local).expect("mkdir");
    let config = outside.path().join("storages.toml");
    std::fs::write(
        &config,
        format!(
            "[[storage]]\nname = \"cloud\"\nlabel = \"Cloud\"\ntype = \"s3\"\n\
             url = \"s3://{other}/files\"\nendpoint = \"{}\"\nregion = \"{}\"\n\
             access_key_id_env = \"AWS_ACCESS_KEY_ID\"\n\
             secret_access_key_env = \"AWS_SECRET_ACCESS_KEY\"\nmount = \"{MOUNT}\"\n\n\
             [[storage]]\nname = \"here\"\nlabel = \"Here\"\ntype = \"local\"\n\
             url = \"{}\"\nmount = \"Here\"\n",
            cluster.endpoint,
            common::seaweed::REGION,
            local.display()
        ),
    )
    .expect("write the config");
    let config = config.to_str().expect("a UTF-8 path");
    let root = format!("s3://{bucket}/team");
    let token = format!("writer:{WRITER}:rw");
    let instances: Vec<LoggedServer> = (0..3)
        .map(|_| {
            LoggedServer::start(command(
                &cluster.endpoint,
                &root,
                &["--writable", "--token", &token, "--config", config],
            ))
        })
        .collect();
    let urls = instances.iter().map(|server| server.url("")).collect();
    let client = Rotation::new(urls, WRITER);

    // Three files of one to three parts, each part on another instance.
    let raw = common::seaweed::client(&cluster.endpoint, &other);
    for (i, len) in [(0u64, 3 << 20), (1, 9 << 20), (2, 12 << 20)] {
        let key = format!("inbox/file-{i}.bin");
        let bytes = random_bytes(100 + i, len);
        let file = client
            .upload_in(usize::try_from(i).expect("an index"), "cloud", &key, &bytes)
            .await;
        assert_eq!(file["bucket"], "cloud", "{file}");
        let stored = raw
            .get(&Key::from(format!("files/{key}")))
            .await
            .unwrap_or_else(|error| panic!("files/{key} in the mounted bucket: {error}"))
            .bytes()
            .await
            .expect("the object's bytes");
        assert_eq!(hex_sha256(&stored), hex_sha256(&bytes), "{key}");
        // One id on every instance, kept under the mount.
        let id = file["id"].as_str().expect("an id").to_owned();
        for server in &instances {
            let listing: Value = client_get(server, &format!("/{MOUNT}/inbox/")).await;
            let entry = listing["files"]
                .as_array()
                .and_then(|files| {
                    files
                        .iter()
                        .find(|entry| entry["name"] == format!("file-{i}.bin"))
                })
                .unwrap_or_else(|| panic!("file-{i}.bin listed: {listing}"))
                .clone();
            assert_eq!(entry["id"], id.as_str(), "{entry}");
        }
    }
    let nothing_left = raw
        .list_with_delimiter(Some(&Key::from("files/inbox")))
        .await
        .expect("list the mounted bucket");
    assert_eq!(nothing_left.objects.len(), 3, "only the three files");

    // A mounted local folder is each instance's own: no shared sessions into it.
    let body = serde_json::json!({
        "key": "a.bin", "bucket": "here", "mime_type": "application/octet-stream",
        "size": 10,
    });
    let refused = common::client()
        .post(instances[0].url(skiff_protocol::UPLOADS_PATH))
        .bearer_auth(WRITER)
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), StatusCode::NOT_IMPLEMENTED);
    let answer: Value = refused.json().await.expect("JSON");
    assert_eq!(answer["error"]["code"], "mounted_sessions_not_shared");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("whole-file PUT")),
        "{answer}"
    );
    assert!(std::fs::read_dir(&local)
        .expect("the folder")
        .next()
        .is_none());
}

async fn client_get(server: &LoggedServer, path: &str) -> Value {
    let response = common::client()
        .get(server.url(path))
        .header("x-raw-filesystem-api", "1")
        .bearer_auth(WRITER)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200, "listing {path}");
    response.json().await.expect("JSON")
}
