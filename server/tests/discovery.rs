//! Discovery and the reserved name (PROTOCOL.md §0): `GET /.well-known/skiff`
//! describes the server; the top-level `.skiff` is never listed, reads of it are
//! 404, and writes to it are 403 and change nothing.

mod common;

use common::{
    client, expect_error, header, rfsapi, Fixture, BROWSER_ACCEPT, JSON_TYPE, RESERVED_CONTENTS,
    RESERVED_FILE, RFSAPI,
};
use skiff_protocol::{AuthScheme, Discovery, DISCOVERY_PATH, RESERVED_NAME};

#[tokio::test]
async fn well_known_skiff_describes_the_server() {
    let fixture = Fixture::hostile();
    let server = fixture.serve();
    for headers in [
        vec![],
        vec![(RFSAPI, "1")],
        vec![("accept", BROWSER_ACCEPT)],
    ] {
        let mut request = client().get(server.url(DISCOVERY_PATH));
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("send");
        assert_eq!(response.status(), 200, "discovery with {headers:?}");
        assert_eq!(header(&response, "content-type"), JSON_TYPE);
        common::assert_nosniff(&response, "discovery");
        let body = response.bytes().await.expect("body");

        let raw: serde_json::Value = serde_json::from_slice(&body).expect("discovery is JSON");
        assert_eq!(raw["version"], 1, "{raw}");
        assert_eq!(raw["tree"], "/", "{raw}");

        let discovery: Discovery = serde_json::from_slice(&body).expect("a Discovery body");
        assert_eq!(discovery.version, 1);
        assert_eq!(discovery.tree, "/");
        // No `--token`: nobody needs credentials (§6, §7).
        assert!(
            matches!(discovery.auth, None | Some(AuthScheme::None)),
            "auth {:?} without --token",
            discovery.auth
        );
        // Advertised endpoints live under the reserved name.
        for endpoint in [
            &discovery.uploads,
            &discovery.metadata,
            &discovery.raw,
            &discovery.storages,
        ]
        .into_iter()
        .flatten()
        {
            assert!(
                endpoint.starts_with("/.skiff/"),
                "endpoint {endpoint:?} is outside /.skiff/"
            );
        }
    }

    let head = client()
        .head(server.url(DISCOVERY_PATH))
        .send()
        .await
        .expect("send");
    assert_eq!(head.status(), 200);

    for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
        let response = client()
            .request(method.clone(), server.url(DISCOVERY_PATH))
            .send()
            .await
            .expect("send");
        expect_error(response, 405, &format!("{method} {DISCOVERY_PATH}")).await;
    }
}

#[tokio::test]
async fn the_reserved_folder_is_never_listed() {
    let fixture = Fixture::hostile();
    // Nested `.skiff` folders are ordinary names: only the top-level one is reserved.
    fixture.write(&["sub", RESERVED_NAME, "ordinary.txt"], b"ordinary");
    let server = fixture.serve();
    assert!(fixture.path(&[RESERVED_NAME, RESERVED_FILE]).is_file());

    let root = rfsapi(&server, "/").await;
    assert!(
        root.files.iter().all(|entry| entry.name != RESERVED_NAME),
        "the root listing shows .skiff"
    );

    let sub = rfsapi(&server, "/sub").await;
    assert!(
        sub.files.iter().any(|entry| entry.name == RESERVED_NAME),
        "a nested .skiff is an ordinary folder and is listed"
    );
    let nested = client()
        .get(server.url("/sub/.skiff/ordinary.txt"))
        .send()
        .await
        .expect("send");
    assert_eq!(nested.status(), 200);
    assert_eq!(&nested.bytes().await.expect("body")[..], b"ordinary");
}

#[tokio::test]
async fn reads_of_the_reserved_folder_are_404() {
    let fixture = Fixture::hostile();
    let server = fixture.serve();
    for path in [
        "/.skiff",
        "/.skiff/",
        "/.skiff/anything",
        "/.skiff/state.json",
        "/.skiff/v1/files",
        "/.skiff/app/",
    ] {
        for (flavour, headers) in [
            ("RFSAPI", vec![(RFSAPI, "1")]),
            ("plain", vec![]),
            ("browser", vec![("accept", BROWSER_ACCEPT)]),
            ("range", vec![("range", "bytes=0-")]),
        ] {
            let mut request = client().get(server.url(path));
            for (name, value) in &headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.expect("send");
            let status = response.status();
            let body = response.bytes().await.expect("body");
            assert_eq!(
                status,
                404,
                "{flavour} GET {path}: {}",
                String::from_utf8_lossy(&body)
            );
            assert!(
                !body
                    .windows(RESERVED_CONTENTS.len())
                    .any(|w| w == RESERVED_CONTENTS),
                "{flavour} GET {path} leaked the reserved folder"
            );
        }
        let response = client()
            .get(server.url(path))
            .header(RFSAPI, "1")
            .send()
            .await
            .expect("send");
        expect_error(response, 404, &format!("RFSAPI GET {path}")).await;
        let head = client().head(server.url(path)).send().await.expect("send");
        assert_eq!(head.status(), 404, "HEAD {path}");
    }

    // Spelling the name with escapes reaches the same reserved name.
    for target in ["/%2eskiff/state.json", "/%2Eskiff/", "/.sk%69ff/state.json"] {
        let response = server.raw_get(target, &[(RFSAPI, "1")]);
        assert_eq!(response.status, 404, "GET {target}: {}", response.text());
        assert!(!response.text().contains("SKIFF-RESERVED-STATE"));
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_reserved_folder_is_not_reachable_through_a_symlink() {
    let fixture = Fixture::hostile();
    fixture.symlink(RESERVED_NAME, &["peek"]);
    fixture.symlink(
        format!("../{RESERVED_NAME}/{RESERVED_FILE}"),
        &["sub", "peek_file"],
    );
    let server = fixture.serve();

    let root = rfsapi(&server, "/").await;
    assert!(
        root.files.iter().all(|entry| entry.name != "peek"),
        "a link onto .skiff is listed"
    );
    let sub = rfsapi(&server, "/sub").await;
    assert!(
        sub.files.is_empty(),
        "a link onto .skiff/… is listed: {sub:?}"
    );
    for path in ["/peek", "/peek/state.json", "/sub/peek_file"] {
        for headers in [vec![(RFSAPI, "1")], vec![]] {
            let mut request = client().get(server.url(path));
            for (name, value) in &headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.expect("send");
            let status = response.status();
            let body = response.bytes().await.expect("body");
            assert_eq!(status, 404, "GET {path} {headers:?}");
            assert!(
                !body
                    .windows(RESERVED_CONTENTS.len())
                    .any(|w| w == RESERVED_CONTENTS),
                "GET {path} leaked the reserved folder"
            );
        }
    }
}

#[tokio::test]
async fn writes_to_the_reserved_folder_are_403_and_change_nothing() {
    let fixture = Fixture::hostile();
    let server = fixture.serve();
    let reserved = fixture.path(&[RESERVED_NAME]);
    for (method, path) in [
        (reqwest::Method::PUT, "/.skiff/x"),
        (reqwest::Method::PUT, "/.skiff"),
        (reqwest::Method::PUT, "/.skiff/state.json"),
        (reqwest::Method::DELETE, "/.skiff/state.json"),
        (reqwest::Method::DELETE, "/.skiff"),
        (reqwest::Method::POST, "/.skiff/x"),
        (reqwest::Method::PUT, "/.skiff/app/index.html"),
        (reqwest::Method::DELETE, "/.skiff/app/index.html"),
    ] {
        let response = client()
            .request(method.clone(), server.url(path))
            .body("overwritten")
            .send()
            .await
            .expect("send");
        expect_error(response, 403, &format!("{method} {path}")).await;
    }
    let mut left = std::fs::read_dir(&reserved)
        .expect("the reserved folder is still there")
        .map(|entry| entry.expect("a readable entry").file_name())
        .collect::<Vec<_>>();
    left.sort();
    assert_eq!(left, vec![std::ffi::OsString::from(RESERVED_FILE)]);
    assert_eq!(
        std::fs::read(reserved.join(RESERVED_FILE)).expect("state.json is still there"),
        RESERVED_CONTENTS
    );
}
