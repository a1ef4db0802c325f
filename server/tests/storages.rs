//! Storages (PROTOCOL.md §5) against the real binary: discovery, the `default`
//! storage (every field) and its id across restarts, the streamed scrub of every file (checksums
//! recorded at upload against the bytes now, so corruption shows), refusals, and
//! tokens.

mod common;

use common::uploads::{append, create, pattern, serve_writable, sha256_hex};
use common::{
    client, expect_error, header, hostile_files, rfsapi, url_path, Fixture, TestServer,
    BROWSER_ACCEPT, DEEP_FILE, NESTED, UNICODE_DIR, UNICODE_SUBDIR,
};
use futures_util::StreamExt;
use reqwest::Method;
use skiff_protocol::{
    ChecksumLine, Discovery, FileObject, Storage, StorageKind, DISCOVERY_PATH, NDJSON_CONTENT_TYPE,
    RAW_PATH, STORAGES_PATH,
};

const RO: &str = "storage-reader-secret";
const RW: &str = "storage-writer-secret";

fn checksums_path() -> String {
    format!("{STORAGES_PATH}/default/checksums")
}

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    client().get(server.url(path)).send().await.expect("send")
}

/// The status of `method path` with `body`.
async fn status(server: &TestServer, method: Method, path: &str, body: &'static str) -> u16 {
    let request = client().request(method, server.url(path)).body(body);
    request.send().await.expect("send").status().as_u16()
}

/// `GET {storages}` as the typed list, after checking its exact JSON keys and that
/// discovery points there.
async fn storages(server: &TestServer) -> Vec<Storage> {
    let discovery: Discovery = get(server, DISCOVERY_PATH)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(discovery.storages.as_deref(), Some(STORAGES_PATH));
    let response = get(server, STORAGES_PATH).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), common::JSON_TYPE);
    let raw: serde_json::Value = response.json().await.expect("JSON");
    let list = raw.as_array().expect("an array");
    assert_eq!(list.len(), 1, "{raw}");
    let mut keys: Vec<&str> = list[0]
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "default_url",
            "id",
            "label",
            "mount",
            "name",
            "region",
            "type",
            "url",
            "writable"
        ],
        "{raw}"
    );
    serde_json::from_value(raw).expect("storage objects")
}

/// The whole scrub as lines, checking it is NDJSON, streamed and in path order.
async fn scrub(server: &TestServer, token: Option<&str>) -> Vec<ChecksumLine> {
    let mut request = client().get(server.url(&checksums_path()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("send");
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), NDJSON_CONTENT_TYPE);
    assert!(response.headers().get("content-length").is_none());
    let body = response.bytes().await.expect("the whole scrub");
    let text = std::str::from_utf8(&body).expect("UTF-8");
    assert!(text.is_empty() || text.ends_with('\n'), "{text:?}");
    let lines: Vec<ChecksumLine> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .collect();
    let paths: Vec<&str> = lines.iter().map(path_of).collect();
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    assert_eq!(paths, sorted, "lines come sorted by path");
    lines
}

fn path_of(line: &ChecksumLine) -> &str {
    line.path.as_deref().expect("skiff-server sends path")
}

fn line<'a>(lines: &'a [ChecksumLine], path: &str) -> &'a ChecksumLine {
    lines
        .iter()
        .find(|line| path_of(line) == path)
        .unwrap_or_else(|| panic!("no line for {path:?}"))
}

/// Uploads `contents` to `key` through a §2 session in one chunk.
async fn upload(server: &TestServer, key: &str, contents: &[u8]) -> FileObject {
    let session = create(server, key, contents.len() as u64, None).await;
    let response = append(server, &session.url, 0, contents.to_vec(), true).await;
    assert_eq!(response.status(), 200, "upload {key}");
    response.json().await.expect("the file object")
}

#[tokio::test]
async fn the_tree_is_the_default_storage_and_keeps_its_id_across_restarts() {
    let fixture = Fixture::new();
    let before = common::unix_seconds(std::time::SystemTime::now());
    let mut server = serve_writable(&fixture, &[]);
    let after = common::unix_seconds(std::time::SystemTime::now());
    let first = storages(&server).await.remove(0);
    assert!(uuid::Uuid::parse_str(&first.id).is_ok(), "{}", first.id);
    assert_eq!(first.name, "default");
    assert_eq!(first.label, "root", "the served folder's name");
    assert_eq!(first.kind, StorageKind::Local);
    let root = std::fs::canonicalize(fixture.root()).expect("canonical root");
    let root_url = url::Url::from_file_path(&root)
        .expect("absolute")
        .to_string();
    assert_eq!(first.url, root_url, "the served folder as a file URL");
    assert_eq!(first.default_url, root_url);
    assert_eq!(first.mount, "/", "the default storage is the tree's root");
    assert_eq!(first.region, None);
    assert!(first.writable);
    assert_eq!(first.endpoint, None);
    let created = u64::try_from(first.created_at).expect("after 1970");
    assert!((before..=after).contains(&created), "{created}");
    let one = get(&server, &format!("{STORAGES_PATH}/default")).await;
    assert_eq!(one.json::<Storage>().await.expect("one storage"), first);
    assert_eq!(status(&server, Method::PUT, "/kept.txt", "kept").await, 201);
    let kept_id = line(&scrub(&server, None).await, "/kept.txt")
        .upload_id
        .clone();

    // A restart, writable or read-only, keeps the record and what the store knows.
    server.kill();
    server = serve_writable(&fixture, &[]);
    assert_eq!(storages(&server).await, std::slice::from_ref(&first));
    server.kill();
    server = fixture.serve();
    let read_only = Storage {
        writable: false,
        ..first.clone()
    };
    assert_eq!(storages(&server).await, std::slice::from_ref(&read_only));
    let lines = scrub(&server, None).await;
    let kept = line(&lines, "/kept.txt");
    assert_eq!(kept.upload_id, kept_id);
    assert_eq!(kept.checksum.as_deref(), Some(sha256_hex(b"kept").as_str()));
    drop(server);

    // A read-only server without state still has its storage.
    let fresh = Fixture::new();
    let server = fresh.serve();
    assert_eq!(storages(&server).await[0].name, "default");
    assert!(scrub(&server, None).await.is_empty(), "an empty tree");
}

#[tokio::test]
async fn the_scrub_checks_every_file_against_its_recorded_checksum() {
    let fixture = Fixture::hostile();
    fixture.write(
        &["deep", "a", ".skiff", "not reserved here.txt"],
        b"nested name",
    );
    std::fs::write(fixture.outside().join("secret.txt"), b"secret").expect("write");
    fixture.symlink(fixture.outside().join("secret.txt"), &["leak.txt"]);
    fixture.symlink(fixture.outside(), &["leak-dir"]);
    fixture.symlink("plain.txt", &["alias.txt"]);
    fixture.symlink("nested", &["nested-alias"]);
    let server = serve_writable(&fixture, &[]);

    let contents = pattern(100_000, 7);
    let uploaded = upload(&server, "uploads/big one.bin", &contents).await;
    let bad = pattern(5_000, 9);
    upload(&server, "uploads/bitrot.bin", &bad).await;
    // Corrupt it on disk behind the server's back, keeping its size.
    let mut flipped = bad.clone();
    flipped[1234] ^= 0x20;
    std::fs::write(fixture.path(&["uploads", "bitrot.bin"]), &flipped).expect("corrupt");
    // An upload in progress is never part of the storage.
    let partial = create(&server, "uploads/partial.bin", 10, None).await;
    assert_eq!(
        append(&server, &partial.url, 0, vec![1; 5], false)
            .await
            .status(),
        200
    );

    let lines = scrub(&server, None).await;
    let mut expected: Vec<String> = hostile_files()
        .into_iter()
        .map(|(name, _)| format!("/{name}"))
        .collect();
    expected.extend([
        format!("/{UNICODE_DIR}/{UNICODE_SUBDIR}/{DEEP_FILE}"),
        format!("/{}", NESTED.join("/")),
        "/deep/a/.skiff/not reserved here.txt".to_owned(),
        "/alias.txt".to_owned(),
        "/uploads/big one.bin".to_owned(),
        "/uploads/bitrot.bin".to_owned(),
    ]);
    expected.sort_unstable();
    let paths: Vec<&str> = lines.iter().map(path_of).collect();
    assert_eq!(
        paths, expected,
        "every file once; no .skiff, links out or partials"
    );

    for line in &lines {
        assert!(line.error.is_none(), "{line:?}");
        let on_disk = std::fs::read(fixture.path(&[&path_of(line)[1..]])).expect("read");
        assert_eq!(
            line.checksum_on_disk.as_deref(),
            Some(sha256_hex(&on_disk).as_str())
        );
    }
    // Uploaded: recorded and still intact.
    let big = line(&lines, "/uploads/big one.bin");
    assert_eq!(big.upload_id, uploaded.id);
    assert_eq!(big.checksum, uploaded.sha256);
    assert_eq!(big.checksum, big.checksum_on_disk);
    // Written straight to disk: nothing recorded.
    let plain = line(&lines, "/plain.txt");
    assert_eq!(plain.checksum, None);
    // Corrupted after upload: the scrub's whole point.
    let rotten = line(&lines, "/uploads/bitrot.bin");
    assert_eq!(rotten.checksum.as_deref(), Some(sha256_hex(&bad).as_str()));
    assert_ne!(rotten.checksum, rotten.checksum_on_disk);
    // Ids are the entries' stable ids (§4), the same the RFSAPI shows.
    let entry = rfsapi(&server, &url_path(&["file\n1.txt"]))
        .await
        .files
        .remove(0);
    assert_eq!(
        entry.id.as_deref(),
        Some(line(&lines, "/file\n1.txt").upload_id.as_str())
    );
    // A second scrub gives the same ids.
    let again = scrub(&server, None).await;
    let ids = |lines: &[ChecksumLine]| -> Vec<String> {
        lines.iter().map(|line| line.upload_id.clone()).collect()
    };
    assert_eq!(ids(&again), ids(&lines));
}

#[tokio::test]
async fn records_that_outlived_their_file_are_not_reported() {
    let fixture = Fixture::new();
    fixture.write(&["other.txt"], b"other");
    let server = serve_writable(&fixture, &[]);
    for path in ["/copied-over.txt", "/gone/again.txt"] {
        assert_eq!(status(&server, Method::PUT, path, "first").await, 201);
    }
    // Replaced by a copy through the server: new bytes, new id, no record.
    let copy = format!("{RAW_PATH}/copy?ref=path:/other.txt&to=path:/copied-over.txt&overwrite=1");
    assert_eq!(status(&server, Method::POST, &copy, "").await, 201);
    // Its folder deleted through the server, then a file written outside it.
    let delete = format!("{RAW_PATH}/data?ref=path:/gone&recursive=true");
    assert_eq!(status(&server, Method::DELETE, &delete, "").await, 204);
    fixture.write(&["gone", "again.txt"], b"second");

    let lines = scrub(&server, None).await;
    for path in ["/copied-over.txt", "/gone/again.txt"] {
        let line = line(&lines, path);
        assert_eq!(line.checksum, None, "{line:?}");
        assert!(line.checksum_on_disk.is_some());
    }
}

#[cfg(unix)]
#[tokio::test]
async fn unreadable_entries_get_error_lines_and_the_scrub_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let fixture = Fixture::new();
    fixture.write(&["a.txt"], b"a");
    let locked = fixture.write(&["b.txt"], b"b");
    let locked_dir = fixture.mkdir(&["c"]);
    fixture.write(&["c", "inside.txt"], b"c");
    fixture.write(&["d.txt"], b"d");
    let mode = |path: &std::path::Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    mode(&locked, 0o000);
    mode(&locked_dir, 0o000);
    if std::fs::read(&locked).is_ok() {
        // Root reads anything; a unit test of the scrub covers the vanished file.
        mode(&locked_dir, 0o755);
        eprintln!("skipped: permissions do not bind this user");
        return;
    }
    let server = fixture.serve();
    let lines = scrub(&server, None).await;
    mode(&locked_dir, 0o755);
    let paths: Vec<&str> = lines.iter().map(path_of).collect();
    assert_eq!(paths, ["/a.txt", "/b.txt", "/c", "/d.txt"]);
    for path in ["/b.txt", "/c"] {
        let line = line(&lines, path);
        let error = line.error.as_ref().expect("an error line");
        assert_eq!(error.code, "permission_denied", "{line:?}");
        assert_eq!(line.checksum_on_disk, None);
    }
    assert!(line(&lines, "/d.txt").checksum_on_disk.is_some());
}

#[tokio::test]
async fn unknown_storages_are_404_and_other_methods_are_405() {
    let fixture = Fixture::new();
    let server = serve_writable(&fixture, &[]);
    for path in [
        format!("{STORAGES_PATH}/nope"),
        format!("{STORAGES_PATH}/nope/checksums"),
        format!("{STORAGES_PATH}/de%66ault-not"),
    ] {
        let error = expect_error(get(&server, &path).await, 404, &path).await;
        assert_eq!(error.error.code, "unknown_storage");
    }
    let other = format!("{STORAGES_PATH}/default/other");
    expect_error(get(&server, &other).await, 404, &other).await;

    let refused = [
        (Method::PUT, STORAGES_PATH.to_owned(), "GET, HEAD, POST"),
        (Method::DELETE, STORAGES_PATH.to_owned(), "GET, HEAD, POST"),
        (
            Method::POST,
            format!("{STORAGES_PATH}/default"),
            "GET, HEAD, PATCH, DELETE",
        ),
        (
            Method::PUT,
            format!("{STORAGES_PATH}/default"),
            "GET, HEAD, PATCH, DELETE",
        ),
        (Method::POST, checksums_path(), "GET, HEAD"),
    ];
    for (method, path, allow) in refused {
        let response = client()
            .request(method.clone(), server.url(&path))
            .json(&serde_json::json!({"name": "new", "type": "local"}))
            .send()
            .await
            .expect("send");
        let context = format!("{method} {path}");
        assert_eq!(header(&response, "allow"), allow, "{context}");
        expect_error(response, 405, &context).await;
    }
    assert_eq!(storages(&server).await.len(), 1);

    let head = client()
        .head(server.url(&checksums_path()))
        .send()
        .await
        .expect("send");
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "content-type"), NDJSON_CONTENT_TYPE);
}

#[tokio::test]
async fn storages_need_a_token_when_tokens_are_configured() {
    let fixture = Fixture::new();
    fixture.write(&["a.txt"], b"a");
    let server = serve_writable(
        &fixture,
        &[
            "--token",
            &format!("reader:{RO}:ro"),
            "--token",
            &format!("writer:{RW}:rw"),
        ],
    );
    for path in [STORAGES_PATH.to_owned(), checksums_path()] {
        for token in [None, Some("wrong")] {
            let mut request = client()
                .get(server.url(&path))
                .header("accept", BROWSER_ACCEPT);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.expect("send");
            assert_eq!(header(&response, "www-authenticate"), "Bearer");
            expect_error(response, 401, &format!("{path} with {token:?}")).await;
        }
        let response = client()
            .get(server.url(&path))
            .bearer_auth(RO)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "{path} with the read-only token");
    }
    assert_eq!(scrub(&server, Some(RO)).await.len(), 1);
    let post = |token| {
        client()
            .post(server.url(STORAGES_PATH))
            .bearer_auth(token)
            .send()
    };
    let refused = expect_error(post(RO).await.expect("send"), 403, "POST, read-only").await;
    assert_eq!(refused.error.code, "read_only_token");
    let refused = expect_error(post(RW).await.expect("send"), 403, "POST, read-write").await;
    assert_eq!(refused.error.code, "admin_only");
}

#[tokio::test]
async fn the_scrub_of_thousands_of_files_is_streamed() {
    let fixture = Fixture::new();
    for folder in 0..30 {
        for file in 0..100 {
            let name = format!("f{file:03}.txt");
            fixture.write(&[&format!("d{folder:02}"), &name], name.as_bytes());
        }
    }
    let server = fixture.serve();
    let raw = server.raw_get(&checksums_path(), &[]);
    assert_eq!(raw.status, 200);
    assert_eq!(raw.header("transfer-encoding"), Some("chunked"));
    assert_eq!(raw.header("content-length"), None);

    let mut stream = get(&server, &checksums_path()).await.bytes_stream();
    let (mut chunks, mut body) = (0, Vec::new());
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.expect("a chunk"));
        chunks += 1;
    }
    assert!(chunks > 1, "the body came in {chunks} piece(s)");
    assert_eq!(body, raw.body, "both scrubs read the same tree and ids");
    let lines: Vec<ChecksumLine> = body
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).expect("a line"))
        .collect();
    assert_eq!(lines.len(), 3000);
    assert_eq!(path_of(&lines[0]), "/d00/f000.txt");
    assert_eq!(path_of(&lines[2999]), "/d29/f099.txt");
    assert_eq!(
        lines[2999].checksum_on_disk.as_deref(),
        Some(sha256_hex(b"f099.txt").as_str())
    );
}
