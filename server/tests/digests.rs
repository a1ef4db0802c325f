//! PROTOCOL.md §2.2 and the general rule on digests: `PUT P` and raw `PUT data`
//! verify `Content-Digest` before anything is placed, and file bytes carry
//! `Repr-Digest` wherever the server knows their SHA-256 (and only then).
//! Each case runs on the default storage (`local::`), inside an S3 storage
//! mounted at `/s3` (`s3::`) and in a local folder mounted at `/lm`
//! (`local_mount::`), whose records are kept under the tree key.

mod common;

use base64::Engine;
use common::target::{on_each_storage, Kind, Target};
use common::uploads::{append, create_in};
use common::{client, expect_error, Fixture, TestServer};
use sha2::{Digest, Sha256};
use skiff_protocol::{RawStat, CONTENT_DIGEST_HEADER, RAW_PATH, REPR_DIGEST_HEADER};

on_each_storage!(
    a_tree_put_is_placed_only_when_its_digest_matches,
    racing_creates_with_if_none_match_leave_one_winner,
    file_bytes_carry_repr_digest_only_while_it_is_true,
    a_folder_move_carries_every_files_digest,
    a_refused_replacement_keeps_the_files_id,
);

/// `sha-256=:<base64>:` of `bytes`.
fn digest_field(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes));
    format!("sha-256=:{encoded}:")
}

async fn put(
    server: &TestServer,
    path: &str,
    body: &'static [u8],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client().put(server.url(path)).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("send the PUT")
}

async fn raw_put(
    server: &TestServer,
    path: &str,
    body: &'static [u8],
    digest: &str,
) -> reqwest::Response {
    client()
        .put(server.url(&format!("{RAW_PATH}/data?ref=path:{path}")))
        .header(CONTENT_DIGEST_HEADER, digest)
        .body(body)
        .send()
        .await
        .expect("send the raw PUT")
}

async fn get(server: &TestServer, path: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = client().get(server.url(path));
    if let Some(range) = range {
        request = request.header("range", range);
    }
    request.send().await.expect("send the GET")
}

fn repr_digest(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(REPR_DIGEST_HEADER)
        .map(|value| value.to_str().expect("ASCII").to_owned())
}

/// What is left in the folder where streamed writes start.
fn partial_leftovers(fixture: &Fixture) -> Vec<String> {
    std::fs::read_dir(fixture.path(&[".skiff", "partial"]))
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn a_tree_put_is_placed_only_when_its_digest_matches(kind: Kind) {
    let target = Target::new(kind).await;
    let server = target.serve_with(&["--writable"]);

    let created = put(
        &server,
        &target.at("/a.txt"),
        b"first",
        &[("content-digest", &digest_field(b"first"))],
    )
    .await;
    assert_eq!(created.status(), 201);
    assert_eq!(repr_digest(&created), Some(digest_field(b"first")));
    assert_eq!(target.read(&["a.txt"]).await.expect("placed"), b"first");

    let wrong = put(
        &server,
        &target.at("/b.txt"),
        b"body",
        &[("content-digest", &digest_field(b"other"))],
    )
    .await;
    let error = expect_error(wrong, 460, "wrong digest, new file").await;
    assert_eq!(error.error.code, "checksum_mismatch");
    assert!(!target.exists(&["b.txt"]).await, "nothing placed");

    let replacing = put(
        &server,
        &target.at("/a.txt"),
        b"second",
        &[("content-digest", &digest_field(b"nope"))],
    )
    .await;
    expect_error(replacing, 460, "wrong digest, replacing").await;
    assert_eq!(target.read(&["a.txt"]).await.expect("kept"), b"first");
    assert_eq!(
        repr_digest(&get(&server, &target.at("/a.txt"), None).await),
        Some(digest_field(b"first")),
        "record untouched"
    );

    // Several algorithms: only sha-256 counts; unknown ones are ignored.
    let several = format!("sha-512=:AAAA:, {}, md5=:x:", digest_field(b"second"));
    let replaced = put(
        &server,
        &target.at("/a.txt"),
        b"second",
        &[("content-digest", &several)],
    )
    .await;
    assert_eq!(replaced.status(), 200);
    assert_eq!(target.read(&["a.txt"]).await.expect("replaced"), b"second");
    let no_sha256 = put(
        &server,
        &target.at("/c.txt"),
        b"c",
        &[("content-digest", "sha-512=:AAAA:")],
    )
    .await;
    assert_eq!(no_sha256.status(), 201, "no sha-256: as if no header");

    for malformed in ["sha-256=abc", "sha-256=:AAAA:", "sha-256=:!!:"] {
        let refused = put(
            &server,
            &target.at("/d.txt"),
            b"d",
            &[("content-digest", malformed)],
        )
        .await;
        let error = expect_error(refused, 400, malformed).await;
        assert_eq!(error.error.code, "bad_digest");
    }
    assert!(!target.exists(&["d.txt"]).await);

    let taken = put(
        &server,
        &target.at("/a.txt"),
        b"third",
        &[
            ("content-digest", &digest_field(b"third")),
            ("if-none-match", "*"),
        ],
    )
    .await;
    expect_error(taken, 412, "If-None-Match on an existing file").await;
    assert_eq!(target.read(&["a.txt"]).await.expect("kept"), b"second");
    assert_eq!(
        partial_leftovers(target.fixture()),
        Vec::<String>::new(),
        "no temp file left"
    );
}

async fn a_refused_replacement_keeps_the_files_id(kind: Kind) {
    let target = Target::new(kind).await;
    let server = target.serve_with(&["--writable"]);
    let stat = |response: reqwest::Response| async move {
        assert!(response.status().is_success(), "{}", response.status());
        response.json::<RawStat>().await.expect("a stat object")
    };
    let at = |path: &str| target.at(path);
    let first = stat(raw_put(&server, &at("/x/y.bin"), b"one", &digest_field(b"one")).await).await;
    assert_eq!(target.read(&["x", "y.bin"]).await.expect("placed"), b"one");

    let wrong = raw_put(&server, &at("/x/y.bin"), b"two", &digest_field(b"one")).await;
    expect_error(wrong, 460, "raw PUT with a wrong digest").await;
    let fresh = raw_put(&server, &at("/x/z.bin"), b"two", &digest_field(b"one")).await;
    expect_error(fresh, 460, "raw PUT of a new file with a wrong digest").await;
    assert!(!target.exists(&["x", "z.bin"]).await);

    let url = server.url(&format!("{RAW_PATH}/stat?ref=path:{}", at("/x/y.bin")));
    let after = stat(client().get(url).send().await.expect("stat")).await;
    assert_eq!(
        (after.id, after.etag),
        (first.id.clone(), first.etag),
        "nothing changed"
    );
    let replaced = raw_put(&server, &at("/x/y.bin"), b"two", &digest_field(b"two")).await;
    assert_eq!(replaced.status(), 200);
    assert_eq!(repr_digest(&replaced), Some(digest_field(b"two")));
    assert_eq!(
        stat(replaced).await.id,
        first.id,
        "a replaced file keeps its id"
    );
    assert_eq!(partial_leftovers(target.fixture()), Vec::<String>::new());
}

async fn file_bytes_carry_repr_digest_only_while_it_is_true(kind: Kind) {
    let target = Target::new(kind).await;
    target
        .write(&["untouched.txt"], b"never written by the server")
        .await;
    let server = target.serve_with(&["--writable"]);
    assert_eq!(
        put(&server, &target.at("/put.txt"), b"0123456789", &[])
            .await
            .status(),
        201
    );
    let whole = digest_field(b"0123456789");

    let full = get(&server, &target.at("/put.txt"), None).await;
    assert_eq!(
        (full.status().as_u16(), repr_digest(&full)),
        (200, Some(whole.clone()))
    );
    let partial = get(&server, &target.at("/put.txt"), Some("bytes=2-4")).await;
    assert_eq!(partial.status(), 206);
    assert_eq!(
        repr_digest(&partial),
        Some(whole.clone()),
        "it describes the whole file"
    );
    let head = client()
        .head(server.url(&target.at("/put.txt")))
        .send()
        .await
        .expect("HEAD");
    assert_eq!(repr_digest(&head), Some(whole.clone()));
    let raw = get(
        &server,
        &format!("{RAW_PATH}/data?ref=path:{}", target.at("/put.txt")),
        None,
    )
    .await;
    // Raw `data` serves the same bytes, with the digest too.
    assert_eq!(repr_digest(&raw), Some(whole));

    let bytes = b"uploaded in a session".to_vec();
    let session = create_in(
        &server,
        target.bucket(),
        "up/s.bin",
        bytes.len() as u64,
        None,
    )
    .await;
    assert_eq!(
        append(&server, &session.url, 0, bytes.clone(), false)
            .await
            .status(),
        200
    );
    assert_eq!(
        repr_digest(&get(&server, &target.at("/up/s.bin"), None).await),
        Some(digest_field(&bytes))
    );

    assert_eq!(
        repr_digest(&get(&server, &target.at("/untouched.txt"), None).await),
        None
    );
    // Changed behind the server's back: the recorded digest no longer holds.
    target.write(&["put.txt"], b"changed outside").await;
    let changed = get(&server, &target.at("/put.txt"), None).await;
    assert_eq!(
        (changed.status().as_u16(), repr_digest(&changed)),
        (200, None)
    );

    // A read-only server has no uploads store: no digests, even for files it knew.
    drop(server);
    let read_only = target.serve();
    assert_eq!(
        repr_digest(&get(&read_only, &target.at("/up/s.bin"), None).await),
        None
    );
}

async fn racing_creates_with_if_none_match_leave_one_winner(kind: Kind) {
    let target = Target::new(kind).await;
    let server = target.serve_with(&["--writable"]);
    let bodies: [&'static [u8]; 8] = [b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7"];
    let race = target.at("/race.txt");
    let answers = futures_util::future::join_all(bodies.iter().map(|body| {
        let digest = digest_field(body);
        let (server, race) = (&server, &race);
        async move {
            let headers = [("content-digest", digest.as_str()), ("if-none-match", "*")];
            (put(server, race, body, &headers).await.status(), *body)
        }
    }))
    .await;
    let winners: Vec<&[u8]> = answers
        .iter()
        .filter(|(status, _)| *status == 201)
        .map(|(_, body)| *body)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    assert!(answers
        .iter()
        .all(|(status, _)| [201, 412].contains(&status.as_u16())));
    let stored = target.read(&["race.txt"]).await.expect("placed");
    assert_eq!(stored, winners[0], "the one 201 is what is stored");
    assert_eq!(partial_leftovers(target.fixture()), Vec::<String>::new());
}

/// One owner keeps ids and recorded digests in step: a folder move carries every
/// file's digest, not only a record for the folder's own key (forgetting them on
/// delete is the unit test in `ids.rs`: a stale record is never served anyway).
async fn a_folder_move_carries_every_files_digest(kind: Kind) {
    let target = Target::new(kind).await;
    let server = target.serve_with(&["--writable"]);
    for path in ["/docs/a.txt", "/docs/deep/b.txt"] {
        let path = &target.at(path);
        assert_eq!(put(&server, path, b"recorded", &[]).await.status(), 201);
    }
    let whole = digest_field(b"recorded");
    let moved = client()
        .post(server.url(&format!(
            "{RAW_PATH}/move?ref=path:{}&to=path:{}",
            target.at("/docs"),
            target.at("/archive")
        )))
        .send()
        .await
        .expect("move");
    assert_eq!(moved.status(), 200);
    for path in ["/archive/a.txt", "/archive/deep/b.txt"] {
        let path = &target.at(path);
        let response = get(&server, path, None).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(repr_digest(&response), Some(whole.clone()), "{path}");
    }
}
