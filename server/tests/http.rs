//! Browsing over HTTP (PROTOCOL.md §1 and the general rules): RFSAPI listings and
//! single-file entries, the app shell for browser navigations, HEAD, refused methods and
//! error bodies. Serving the bytes themselves is in http_bytes.rs. Each case runs on
//! the default storage (`local::`) and inside an S3 storage mounted at `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`).

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::target::{on_each_storage, Kind, Target};
use common::{
    assert_nosniff, client, expect_error, header, hostile_files, parse_rfc3339, rfsapi,
    BROWSER_ACCEPT, DEEP_FILE, EMPTY_DIR, JSON_TYPE, NESTED, RFSAPI, UNICODE_DIR, UNICODE_SUBDIR,
};
use skiff_protocol::{RawFileData, DIRECTORY_MIME};

on_each_storage!(
    rfsapi_lists_the_root,
    rfsapi_lists_subfolders_with_and_without_trailing_slash,
    rfsapi_describes_a_single_file,
    rfsapi_missing_path_is_a_json_404,
    browser_navigation_to_a_folder_gets_the_app_shell,
    head_answers_like_get_without_a_body,
    put_and_delete_are_refused_with_405_json,
);

/// Checks one listed entry against what the storage has at `segments`.
async fn assert_entry_matches_store(target: &Target, segments: &[&str], entry: &RawFileData) {
    let facts = target
        .facts(segments)
        .await
        .expect("a listed entry exists in the storage");
    let context = format!("entry {:?} of {segments:?}", entry.name);
    assert_eq!(
        Some(entry.name.as_str()),
        segments.last().copied(),
        "{context}"
    );
    assert_eq!(entry.is_file, !facts.is_dir, "{context}: is_file");
    if facts.is_dir {
        assert_eq!(
            entry.mime_type, DIRECTORY_MIME,
            "{context}: a folder's mime_type"
        );
        assert_eq!(entry.size, 0, "{context}: a folder's size");
    } else {
        assert_eq!(entry.size, facts.len, "{context}: size");
        assert_ne!(
            entry.mime_type, DIRECTORY_MIME,
            "{context}: a file's mime_type"
        );
        assert!(
            entry.mime_type.contains('/'),
            "{context}: mime_type {:?} is not a media type",
            entry.mime_type
        );
    }
    let listed = parse_rfc3339(&entry.last_modified).unwrap_or_else(|| {
        panic!(
            "{context}: last_modified {:?} is not RFC 3339",
            entry.last_modified
        )
    });
    // An S3 folder that is only a prefix keeps no time of its own.
    if let Some(modified) = facts.modified {
        assert_eq!(
            listed, modified,
            "{context}: last_modified {:?} is not the storage's",
            entry.last_modified
        );
    }
    if let Some(etag) = &entry.etag {
        assert!(
            etag.len() >= 2 && etag.starts_with('"') && etag.ends_with('"'),
            "{context}: etag {etag:?} is not a quoted entity-tag"
        );
    }
}

fn names(files: &[RawFileData]) -> BTreeSet<String> {
    let names = files
        .iter()
        .map(|entry| entry.name.clone())
        .collect::<BTreeSet<_>>();
    assert_eq!(
        names.len(),
        files.len(),
        "a name is listed twice: {files:?}"
    );
    names
}

async fn rfsapi_lists_the_root(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();
    let listing = rfsapi(&server, &target.url(&[])).await;

    assert_eq!(listing.is_root, target.top_is_root(), "/ is the root");
    assert!(!listing.is_file, "/ is a folder");
    assert!(!listing.writes_supported, "the server is read-only");
    let mut expected = hostile_files()
        .into_iter()
        .map(|(name, _)| name)
        .collect::<BTreeSet<_>>();
    expected.extend([UNICODE_DIR, EMPTY_DIR, NESTED[0]].map(str::to_owned));
    assert_eq!(names(&listing.files), expected);
    for entry in &listing.files {
        assert_entry_matches_store(&target, &[&entry.name], entry).await;
    }

    let by_name = |name: &str| {
        listing
            .files
            .iter()
            .find(|entry| entry.name == name)
            .unwrap_or_else(|| panic!("{name:?} is listed"))
    };
    assert_eq!(by_name("plain.txt").mime_type, "text/plain");
    assert_eq!(by_name("plain.txt").size, 13);
    assert_eq!(by_name("😀.bin").size, 256);
    assert_eq!(by_name("empty.dat").size, 0);
    assert!(by_name("empty.dat").is_file);
    assert!(!by_name(EMPTY_DIR).is_file);
}

async fn rfsapi_lists_subfolders_with_and_without_trailing_slash(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();

    for path in [
        target.url(&[UNICODE_DIR]),
        format!("{}/", target.url(&[UNICODE_DIR])),
    ] {
        let listing = rfsapi(&server, &path).await;
        assert!(!listing.is_root, "{path} is not the root");
        assert!(!listing.is_file, "{path} is a folder");
        assert_eq!(
            names(&listing.files),
            BTreeSet::from([UNICODE_SUBDIR.to_owned()])
        );
        assert_entry_matches_store(&target, &[UNICODE_DIR, UNICODE_SUBDIR], &listing.files[0])
            .await;
    }

    let deeper = rfsapi(&server, &target.url(&[UNICODE_DIR, UNICODE_SUBDIR])).await;
    assert!(!deeper.is_root);
    assert_eq!(names(&deeper.files), BTreeSet::from([DEEP_FILE.to_owned()]));
    assert_entry_matches_store(
        &target,
        &[UNICODE_DIR, UNICODE_SUBDIR, DEEP_FILE],
        &deeper.files[0],
    )
    .await;

    let empty = rfsapi(&server, &target.url(&[EMPTY_DIR])).await;
    assert!(!empty.is_root);
    assert!(!empty.is_file);
    assert!(empty.files.is_empty(), "{EMPTY_DIR:?} is empty: {empty:?}");

    let chain = rfsapi(&server, &target.url(&NESTED[..4])).await;
    assert_eq!(names(&chain.files), BTreeSet::from([NESTED[4].to_owned()]));
}

async fn rfsapi_describes_a_single_file(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();

    let file = rfsapi(&server, &target.url(&NESTED)).await;
    assert!(file.is_file, "a file answers is_file");
    assert!(!file.is_root, "a file is never the root");
    assert!(!file.writes_supported);
    assert_eq!(file.files.len(), 1, "files holds exactly the file's entry");
    assert_eq!(file.files[0].name, "leaf.txt");
    assert!(file.files[0].is_file);
    assert_entry_matches_store(&target, &NESTED, &file.files[0]).await;

    let empty = rfsapi(&server, &target.at("/empty.dat")).await;
    assert!(empty.is_file);
    assert_eq!(empty.files.len(), 1);
    assert_eq!(empty.files[0].size, 0);
}

async fn rfsapi_missing_path_is_a_json_404(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();
    for path in [
        "/missing.txt",
        "/missing/deeper/still",
        "/plain.txt/under-a-file",
        "/empty%20folder/nothing",
    ] {
        let path = &target.at(path);
        let response = client()
            .get(server.url(path))
            .header(RFSAPI, "1")
            .send()
            .await
            .expect("send");
        expect_error(response, 404, &format!("RFSAPI GET {path}")).await;
        // Without the header (a download) the error is the same JSON.
        let response = client().get(server.url(path)).send().await.expect("send");
        expect_error(response, 404, &format!("GET {path}")).await;
    }
}

/// `page` without the folder's first screen skiff-server puts at the start of its
/// body (only a folder's page has one; its names are escaped, so no `</div>` of
/// theirs can end it early).
fn without_first_screen(page: &str, path: &str) -> String {
    const START: &str = "<div id=\"skiff-first-screen\">";
    const END: &str = "Skiff is loading…</p></div>";
    let Some(start) = page.find(START) else {
        assert!(
            path.ends_with("yet"),
            "{path}: a folder's page without its first screen"
        );
        return page.to_owned();
    };
    let end = page[start..].find(END).expect("the first screen's end") + start + END.len();
    format!("{}{}", &page[..start], &page[end..])
}

async fn browser_navigation_to_a_folder_gets_the_app_shell(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();
    let mut bodies = Vec::new();
    for path in [
        target.url(&[]),
        target.url(&[UNICODE_DIR]),
        format!("{}/", target.url(&[UNICODE_DIR, UNICODE_SUBDIR])),
        target.url(&[EMPTY_DIR]),
        // A deep link to something that does not exist (yet) opens the app too.
        target.at("/not/there/yet"),
    ] {
        let response = client()
            .get(server.url(&path))
            .header("accept", BROWSER_ACCEPT)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "navigation to {path}");
        assert_nosniff(&response, &path);
        let content_type = header(&response, "content-type");
        assert!(
            content_type.starts_with("text/html"),
            "navigation to {path}: content-type {content_type:?}"
        );
        assert!(
            response.headers().get(RFSAPI).is_none(),
            "{path}: not RFSAPI"
        );
        let body = response.text().await.expect("body");
        assert!(
            body.to_ascii_lowercase().contains("<html"),
            "navigation to {path}: not an HTML page"
        );
        bodies.push(without_first_screen(&body, &path));
    }
    // Past the folder's first screen (a server open to all shows it; with tokens the
    // shell is the same for every path, `auth.rs`), one shell for every path.
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "the app shell differs between paths"
    );

    // The RFSAPI header wins over `Accept: text/html`.
    let listing = client()
        .get(server.url(&target.url(&[])))
        .header("accept", BROWSER_ACCEPT)
        .header(RFSAPI, "1")
        .send()
        .await
        .expect("send");
    assert_eq!(listing.status(), 200);
    assert_eq!(header(&listing, "content-type"), JSON_TYPE);

    // A navigation to a file gets the file, not the app.
    let file = client()
        .get(server.url(&target.at("/plain.txt")))
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .expect("send");
    assert_eq!(file.status(), 200);
    assert_eq!(&file.bytes().await.expect("body")[..], b"hello, skiff\n");
}

async fn head_answers_like_get_without_a_body(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();

    let get = client()
        .get(server.url(&target.at("/plain.txt")))
        .send()
        .await
        .expect("send");
    let get_etag = header(&get, "etag").to_owned();
    let head = client()
        .head(server.url(&target.at("/plain.txt")))
        .send()
        .await
        .expect("send");
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "content-length"), "13");
    assert_eq!(header(&head, "etag"), get_etag);
    assert_eq!(header(&head, "accept-ranges"), "bytes");
    header(&head, "last-modified");
    assert_nosniff(&head, "HEAD file");
    assert!(head.bytes().await.expect("body").is_empty());

    let listing = client()
        .head(server.url(&target.url(&[])))
        .header(RFSAPI, "1")
        .send()
        .await
        .expect("send");
    assert_eq!(listing.status(), 200);
    assert_eq!(header(&listing, RFSAPI), "1");
    assert_eq!(header(&listing, "content-type"), JSON_TYPE);
    assert!(listing.bytes().await.expect("body").is_empty());

    let entry = client()
        .head(server.url(&target.url(&NESTED)))
        .header(RFSAPI, "1")
        .send()
        .await
        .expect("send");
    assert_eq!(entry.status(), 200);
    assert_eq!(header(&entry, RFSAPI), "1");

    let shell = client()
        .head(server.url(&target.url(&[])))
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .expect("send");
    assert_eq!(shell.status(), 200);
    assert!(header(&shell, "content-type").starts_with("text/html"));
    assert!(shell.bytes().await.expect("body").is_empty());

    let missing = client()
        .head(server.url(&target.at("/missing.txt")))
        .header(RFSAPI, "1")
        .send()
        .await
        .expect("send");
    assert_eq!(missing.status(), 404);
}

async fn put_and_delete_are_refused_with_405_json(kind: Kind) {
    let target = Target::hostile(kind).await;
    let server = target.serve();

    for (method, path) in [
        (reqwest::Method::PUT, "/plain.txt"),
        (reqwest::Method::PUT, "/new-file.txt"),
        (reqwest::Method::DELETE, "/plain.txt"),
        (reqwest::Method::DELETE, "/empty%20folder"),
        (reqwest::Method::DELETE, "/"),
        (reqwest::Method::POST, "/plain.txt"),
    ] {
        let path = &target.at(path);
        let response = client()
            .request(method.clone(), server.url(path))
            .header(RFSAPI, "1")
            .body("overwritten")
            .send()
            .await
            .expect("send");
        let allow = response
            .headers()
            .get("allow")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        expect_error(response, 405, &format!("{method} {path}")).await;
        let allow = allow.unwrap_or_else(|| panic!("{method} {path}: 405 without Allow"));
        assert!(allow.contains("GET"), "{method} {path}: Allow {allow:?}");
    }
    assert_eq!(
        target.read(&["plain.txt"]).await.as_deref(),
        Some(&b"hello, skiff\n"[..]),
        "plain.txt is still there"
    );
    assert!(
        !target.exists(&["new-file.txt"]).await,
        "PUT created a file"
    );
    assert!(target.is_dir(&[EMPTY_DIR]).await, "DELETE removed a folder");
}

#[test]
fn rfc3339_parser_agrees_with_known_instants() {
    use std::time::UNIX_EPOCH;
    let instant = |seconds, nanos| Some(UNIX_EPOCH + Duration::new(seconds, nanos));
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), instant(0, 0));
    assert_eq!(
        parse_rfc3339("2020-04-13T19:12:22.695457919Z"),
        instant(1_586_805_142, 695_457_919)
    );
    assert_eq!(
        parse_rfc3339("2020-04-13T21:12:22.5+02:00"),
        instant(1_586_805_142, 500_000_000)
    );
    assert_eq!(
        parse_rfc3339("2024-02-29T12:00:00Z"),
        instant(1_709_208_000, 0)
    );
    for bad in [
        "",
        "2020-04-13",
        "2020-04-13 19:12:22Z",
        "2020-04-13T19:12:22",
        "2020-02-30T00:00:00Z",
        "2020-04-13T19:12:22.Z",
        "2020-04-13T25:00:00Z",
        "Mon, 13 Apr 2020 19:12:22 GMT",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad:?} is not RFC 3339");
    }
}
