//! Hostile names (PROTOCOL.md, general rules: "names may hold spaces, `#`, `?`,
//! `%`, newlines, unicode"): each is listed exactly, and reachable by its
//! percent-encoded URL both as bytes and through RFSAPI. Each case runs on the
//! default storage (`local::`) and on an S3 storage mounted at `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`).

mod common;

use common::target::{on_each_storage, Kind, Target};
use common::{
    client, enc, hostile_files, rfsapi, Fixture, TestServer, DEEP_CONTENTS, DEEP_FILE, EMPTY_DIR,
    LEAF_CONTENTS, NESTED, RFSAPI, UNICODE_DIR, UNICODE_SUBDIR,
};

on_each_storage!(
    every_hostile_name_is_listed_exactly_once,
    every_hostile_name_is_fetchable_by_its_encoded_url,
    unicode_and_nested_folders_are_browsable,
    escapes_in_any_case_and_raw_utf8_reach_the_same_file,
    reserved_characters_are_never_taken_for_syntax,
    a_name_longer_than_the_filesystem_allows_is_404,
);

async fn get_bytes(server: &TestServer, path: &str) -> Vec<u8> {
    let response = client().get(server.url(path)).send().await.expect("send");
    assert_eq!(response.status(), 200, "GET {path}");
    response.bytes().await.expect("body").to_vec()
}

async fn every_hostile_name_is_listed_exactly_once(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();
    let listing = rfsapi(&server, &target.url(&[])).await;
    for (name, contents) in hostile_files() {
        let matches = listing
            .files
            .iter()
            .filter(|entry| entry.name == name)
            .collect::<Vec<_>>();
        assert_eq!(matches.len(), 1, "{name:?} is listed exactly once");
        assert!(matches[0].is_file, "{name:?} is a file");
        assert_eq!(matches[0].size, contents.len() as u64, "{name:?} size");
    }
    for folder in [UNICODE_DIR, EMPTY_DIR, NESTED[0]] {
        let entry = listing
            .files
            .iter()
            .find(|entry| entry.name == folder)
            .unwrap_or_else(|| panic!("{folder:?} is listed"));
        assert!(!entry.is_file, "{folder:?} is a folder");
    }
}

async fn every_hostile_name_is_fetchable_by_its_encoded_url(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();
    for (name, contents) in hostile_files() {
        let path = target.url(&[&name]);
        assert_eq!(
            get_bytes(&server, &path).await,
            contents,
            "GET {path} ({name:?})"
        );

        let entry = rfsapi(&server, &path).await;
        assert!(entry.is_file, "RFSAPI {name:?}");
        assert!(!entry.is_root, "RFSAPI {name:?}");
        assert_eq!(entry.files.len(), 1, "RFSAPI {name:?}");
        assert_eq!(
            entry.files[0].name, name,
            "RFSAPI {name:?} keeps the exact name"
        );
        assert_eq!(
            entry.files[0].size,
            contents.len() as u64,
            "RFSAPI {name:?}"
        );
    }
}

async fn unicode_and_nested_folders_are_browsable(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();

    let top = rfsapi(&server, &target.url(&[UNICODE_DIR])).await;
    assert!(!top.is_root);
    assert_eq!(top.files.len(), 1);
    assert_eq!(top.files[0].name, UNICODE_SUBDIR);
    assert!(!top.files[0].is_file);

    let sub = rfsapi(&server, &target.url(&[UNICODE_DIR, UNICODE_SUBDIR])).await;
    assert_eq!(sub.files.len(), 1);
    assert_eq!(sub.files[0].name, DEEP_FILE);
    let deep = target.url(&[UNICODE_DIR, UNICODE_SUBDIR, DEEP_FILE]);
    assert_eq!(get_bytes(&server, &deep).await, DEEP_CONTENTS);

    let empty = rfsapi(&server, &target.url(&[EMPTY_DIR])).await;
    assert!(empty.files.is_empty(), "{EMPTY_DIR:?} lists nothing");

    for depth in 1..NESTED.len() {
        let listing = rfsapi(&server, &target.url(&NESTED[..depth])).await;
        assert_eq!(listing.files.len(), 1, "{:?}", &NESTED[..depth]);
        assert_eq!(listing.files[0].name, NESTED[depth]);
    }
    assert_eq!(
        get_bytes(&server, &target.url(&NESTED)).await,
        LEAF_CONTENTS
    );
}

async fn escapes_in_any_case_and_raw_utf8_reach_the_same_file(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();
    let emoji = common::all_bytes();
    for path in [
        "/%F0%9F%98%80.bin",
        "/%f0%9f%98%80.bin",
        "/%F0%9f%98%80%2Ebin",
    ] {
        let path = target.at(path);
        assert_eq!(get_bytes(&server, &path).await, emoji, "GET {path}");
    }
    // Raw UTF-8 bytes in the request line (some clients send them unencoded).
    let raw = server.raw_get(&target.at("/😀.bin"), &[]);
    assert_eq!(raw.status, 200, "raw UTF-8 path: {}", raw.text());
    assert_eq!(raw.body, emoji);
    let raw_folder = target.at(&format!("/{}/", UNICODE_DIR.replace(' ', "%20")));
    let raw_listing = server.raw_get(&raw_folder, &[(RFSAPI, "1")]);
    assert_eq!(
        raw_listing.status,
        200,
        "{raw_folder}: {}",
        raw_listing.text()
    );
    let listing: skiff_protocol::FilesetData =
        serde_json::from_slice(&raw_listing.body).expect("a FilesetData body");
    assert_eq!(listing.files.len(), 1);
    assert_eq!(listing.files[0].name, UNICODE_SUBDIR);
}

async fn reserved_characters_are_never_taken_for_syntax(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();

    // `+` is a plus in a path, not a space; and `a b#c?d%e` is one name, not a
    // path with a fragment and a query.
    assert_eq!(
        get_bytes(&server, &target.at("/a+b.txt")).await,
        b"a plus is a plus in a path"
    );
    let response = client()
        .get(server.url(&target.at("/a%20b.txt")))
        .header(RFSAPI, "1")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 404, "`a b.txt` does not exist");
    assert_eq!(
        get_bytes(&server, &target.at(&format!("/{}", enc("a b#c?d%e")))).await,
        b"space hash question percent"
    );
    // `%2e%2e` literally is a name, reached by escaping its `%`.
    assert_eq!(
        get_bytes(&server, &target.at("/%252e%252e")).await,
        b"a literal percent-two-e name"
    );
    assert_eq!(
        get_bytes(&server, &target.at("/...")).await,
        b"three dots are a name"
    );
    assert_eq!(
        get_bytes(&server, &target.at("/..;")).await,
        b"dot dot semicolon is a name"
    );
    assert_eq!(
        get_bytes(&server, &target.at("/file%0A1.txt")).await,
        b"newline in the name\n"
    );
}

// Local only: names that are not UTF-8 and socket files exist on a disk; in S3
// every key is UTF-8 and there are no special files.
#[cfg(unix)]
#[tokio::test]
async fn unreachable_names_do_not_break_the_listing() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let fixture = Fixture::hostile();
    // Legal on Unix, but no protocol path can name them: not UTF-8, or holding `\`.
    std::fs::write(
        fixture
            .root()
            .join(OsStr::from_bytes(b"latin1-\xe9t\xe9.txt")),
        b"x",
    )
    .expect("write a non-UTF-8 name");
    fixture.write(&["back\\slash.txt"], b"x");
    // A socket file: reading special files could block forever, so they stay invisible.
    let _socket = std::os::unix::net::UnixListener::bind(fixture.root().join("socket"))
        .expect("bind a Unix socket in the root");
    let server = fixture.serve();

    let listing = rfsapi(&server, "/").await;
    assert!(
        listing
            .files
            .iter()
            .all(|entry| !entry.name.contains('\\') && !entry.name.contains('\u{fffd}')),
        "names no URL can reach are not listed: {:?}",
        listing
            .files
            .iter()
            .map(|entry| &entry.name)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        listing.files.len(),
        hostile_files().len() + 3,
        "every reachable entry is still there"
    );
    assert!(listing.files.iter().all(|entry| entry.name != "socket"));
    let socket = client()
        .get(server.url("/socket"))
        .send()
        .await
        .expect("send");
    assert_eq!(socket.status(), 404, "a socket file is not served");
}

async fn a_name_longer_than_the_filesystem_allows_is_404(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();
    for path in [
        format!("/{}", "n".repeat(256)),
        format!("/{}", "ö".repeat(300)),
        format!("/nested/{}/leaf.txt", "x".repeat(1000)),
    ] {
        let encoded = path.split('/').map(enc).collect::<Vec<_>>().join("/");
        let response = client()
            .get(server.url(&target.at(&encoded)))
            .header(RFSAPI, "1")
            .send()
            .await
            .expect("send");
        common::expect_error(response, 404, &format!("GET a {}-byte path", path.len())).await;
    }
}
