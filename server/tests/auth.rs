//! Bearer tokens (PROTOCOL.md §6) against the real binary: the auth matrix of
//! no token, a wrong one, a read-only and a read-write one over every route
//! family, with refused writes leaving the storage untouched, and admin tokens
//! (all a read-write token may). Each case runs on the default storage (`local::`)
//! and on the paths and bucket of an S3 storage mounted at `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`). Where
//! tokens come from and discovery's `roles` are in auth_tokens.rs.

mod common;

use common::bearer::{check, send, Who, ADMIN, EVERYONE, RO, RW};
use common::target::{on_each_storage, Kind, Target};
use common::{client, TestServer, BROWSER_ACCEPT, JSON_TYPE, RFSAPI};
use reqwest::Method;
use skiff_protocol::{
    AuthScheme, Discovery, FilesetData, DISCOVERY_PATH, METADATA_PATH, RAW_PATH, UPLOADS_PATH,
};

on_each_storage!(
    discovery_and_the_app_shell_are_public_and_reveal_nothing,
    reads_need_a_valid_token,
    writes_need_a_read_write_token_and_refusals_change_nothing,
    a_read_only_server_never_lets_a_token_write,
    admin_tokens_can_do_everything_read_write_tokens_can,
);

fn serve_with_tokens(target: &Target) -> TestServer {
    target.serve_with(&[
        "--writable",
        "--token",
        &format!("reader:{RO}:ro"),
        "--token",
        &format!("writer:{RW}:rw"),
    ])
}

async fn fixture(kind: Kind) -> Target {
    let target = Target::new(kind).await;
    target.write(&["plain.txt"], b"secret contents").await;
    target.write(&["folder", "inner.txt"], b"inner").await;
    target
}

async fn discovery_and_the_app_shell_are_public_and_reveal_nothing(kind: Kind) {
    let target = fixture(kind).await;
    let server = serve_with_tokens(&target);
    let mut shells = Vec::new();
    for who in EVERYONE {
        let reply = send(&server, who, Method::GET, DISCOVERY_PATH, &[], vec![]).await;
        check(&reply, 200, "discovery");
        let discovery: Discovery = serde_json::from_slice(&reply.body).expect("discovery");
        assert_eq!(discovery.auth, Some(AuthScheme::Bearer));

        let asset = send(&server, who, Method::GET, "/.skiff/app/x.js", &[], vec![]).await;
        assert_ne!(asset.status, 401, "app assets are public");

        if who
            .secret()
            .is_some_and(|secret| secret == RO || secret == RW)
        {
            continue;
        }
        for path in [
            "/",
            "/plain.txt",
            "/folder/",
            "/missing/path",
            "/folder/inner.txt",
        ] {
            let path = &target.at(path);
            let reply = send(
                &server,
                who,
                Method::GET,
                path,
                &[("accept", BROWSER_ACCEPT)],
                vec![],
            )
            .await;
            check(&reply, 200, &format!("{who:?} navigates to {path}"));
            assert!(
                reply.headers["content-type"]
                    .to_str()
                    .expect("ascii")
                    .starts_with("text/html"),
                "{path}"
            );
            shells.push(reply.body);
        }
    }
    assert!(
        shells.windows(2).all(|pair| pair[0] == pair[1]),
        "one shell for every path"
    );
    assert!(
        !shells[0].windows(6).any(|w| w == b"secret"),
        "the shell holds no file bytes"
    );
}

async fn reads_need_a_valid_token(kind: Kind) {
    let target = fixture(kind).await;
    let server = serve_with_tokens(&target);
    let session = create_as_writer(&server, &target, "new.bin").await;
    let top = target.url(&[]);
    let plain = target.at("/plain.txt");
    for who in EVERYONE {
        let listing = send(&server, who, Method::GET, &top, &[(RFSAPI, "1")], vec![]).await;
        check(&listing, who.read(200), &format!("{who:?} lists /"));
        if listing.status == 200 {
            assert_eq!(listing.headers["content-type"], JSON_TYPE);
            let fileset: FilesetData = serde_json::from_slice(&listing.body).expect("listing");
            assert_eq!(fileset.writes_supported, who == Who::ReadWrite, "{who:?}");
            let file = send(&server, who, Method::GET, &plain, &[(RFSAPI, "1")], vec![]).await;
            let fileset: FilesetData = serde_json::from_slice(&file.body).expect("entry");
            assert_eq!(fileset.writes_supported, who == Who::ReadWrite, "{who:?}");
        }
        let bytes = send(&server, who, Method::GET, &plain, &[], vec![]).await;
        check(&bytes, who.read(200), &format!("{who:?} reads bytes"));
        if who.read(200) == 200 {
            assert_eq!(bytes.body, b"secret contents");
        }
        let head = send(&server, who, Method::HEAD, &plain, &[], vec![]).await;
        assert_eq!(head.status, who.read(200), "{who:?} HEAD");

        let buckets = send(&server, who, Method::GET, UPLOADS_PATH, &[], vec![]).await;
        check(&buckets, who.read(200), &format!("{who:?} lists buckets"));
        let files_url = format!("{UPLOADS_PATH}/{}", target.bucket());
        let files = send(&server, who, Method::GET, &files_url, &[], vec![]).await;
        check(&files, who.read(200), &format!("{who:?} lists files"));
        let object_url = format!("{UPLOADS_PATH}/{}/plain.txt", target.bucket());
        let object = send(&server, who, Method::GET, &object_url, &[], vec![]).await;
        check(
            &object,
            who.read(200),
            &format!("{who:?} reads a file object"),
        );
        let status = send(&server, who, Method::GET, &session, &[], vec![]).await;
        check(&status, who.read(200), &format!("{who:?} reads a session"));

        // S3 mounts: metadata and raw `data` are 409 not_on_mounted_storage.
        if kind == Kind::Local {
            let metadata_url = format!("{METADATA_PATH}/plain.txt");
            let metadata = send(&server, who, Method::GET, &metadata_url, &[], vec![]).await;
            check(&metadata, who.read(200), &format!("{who:?} reads metadata"));
            let url = format!("{RAW_PATH}/data?ref=path:/plain.txt");
            let raw = send(&server, who, Method::GET, &url, &[], vec![]).await;
            check(&raw, who.read(200), &format!("{who:?} raw data"));
        }
        for operation in ["stat", "list"] {
            let reference = if operation == "list" { &top } else { &plain };
            let url = format!("{RAW_PATH}/{operation}?ref=path:{reference}");
            let raw = send(&server, who, Method::GET, &url, &[], vec![]).await;
            check(&raw, who.read(200), &format!("{who:?} raw {operation}"));
        }
    }
}

async fn create_as_writer(server: &TestServer, target: &Target, key: &str) -> String {
    let body = serde_json::json!({
        "key": key, "bucket": target.bucket(), "mime_type": "application/octet-stream", "size": 4
    });
    let reply = send(
        server,
        Who::ReadWrite,
        Method::POST,
        UPLOADS_PATH,
        &[("content-type", "application/json")],
        serde_json::to_vec(&body).expect("json"),
    )
    .await;
    check(&reply, 201, "the writer creates a session");
    let session: skiff_protocol::UploadSession =
        serde_json::from_slice(&reply.body).expect("session");
    session.url
}

async fn writes_need_a_read_write_token_and_refusals_change_nothing(kind: Kind) {
    let target = fixture(kind).await;
    let server = serve_with_tokens(&target);
    let session = create_as_writer(&server, &target, "new.bin").await;
    let before = target.snapshot().await;
    let at = |path: &str| target.at(path);
    for who in [Who::Nobody, Who::Wrong, Who::ReadOnly] {
        let context = |what: &str| format!("{who:?} {what}");
        let create = serde_json::json!({
            "key": "other.bin", "bucket": target.bucket(), "mime_type": "text/plain", "size": 1
        });
        let json = [("content-type", "application/json")];
        let body = serde_json::to_vec(&create).expect("json");
        let reply = send(&server, who, Method::POST, UPLOADS_PATH, &json, body).await;
        check(&reply, who.write(201), &context("creates a session"));
        let offset = [("upload-offset", "0")];
        let reply = send(
            &server,
            who,
            Method::POST,
            &session,
            &offset,
            b"data".to_vec(),
        )
        .await;
        check(&reply, who.write(200), &context("appends"));
        let reply = send(&server, who, Method::DELETE, &session, &[], vec![]).await;
        check(&reply, who.write(204), &context("aborts"));
        let reply = send(
            &server,
            who,
            Method::PUT,
            &at("/plain.txt"),
            &[],
            b"overwritten".to_vec(),
        )
        .await;
        check(&reply, who.write(200), &context("PUTs a file"));
        let reply = send(
            &server,
            who,
            Method::PUT,
            &at("/fresh/new.txt"),
            &[],
            b"new".to_vec(),
        )
        .await;
        check(&reply, who.write(201), &context("PUTs a new file"));
        let reply = send(
            &server,
            who,
            Method::DELETE,
            &at("/folder/inner.txt"),
            &[],
            vec![],
        )
        .await;
        check(&reply, who.write(204), &context("DELETEs a file"));
        let object_url = format!("{UPLOADS_PATH}/{}/plain.txt", target.bucket());
        let reply = send(&server, who, Method::DELETE, &object_url, &[], vec![]).await;
        check(&reply, who.write(200), &context("DELETEs a file object"));
        let metadata_url = format!("{METADATA_PATH}{}", at("/plain.txt"));
        for method in [Method::POST, Method::PUT] {
            let body = br#"{"a": 1}"#.to_vec();
            let reply = send(&server, who, method.clone(), &metadata_url, &json, body).await;
            check(
                &reply,
                who.write(200),
                &context(&format!("{method} metadata")),
            );
        }
        for (method, operation, query, ok) in [
            (Method::PUT, "data", "ref=path:/plain.txt", 200),
            (
                Method::DELETE,
                "data",
                "ref=path:/folder&recursive=true",
                204,
            ),
            (Method::POST, "mkdir", "ref=path:/made", 201),
            (
                Method::POST,
                "move",
                "ref=path:/plain.txt&to=path:/moved.txt",
                200,
            ),
            (
                Method::POST,
                "copy",
                "ref=path:/plain.txt&to=path:/copied.txt",
                201,
            ),
        ] {
            let query = query.replace("path:/", &format!("path:{}/", target.base()));
            let url = format!("{RAW_PATH}/{operation}?{query}");
            let reply = send(&server, who, method, &url, &[], b"raw".to_vec()).await;
            check(&reply, who.write(ok), &context(&format!("raw {operation}")));
        }
        assert_eq!(
            target.snapshot().await,
            before,
            "{who:?}: nothing changed in the storage"
        );
    }
    // S3 mounts: metadata is 409 not_on_mounted_storage, so none to read back.
    if kind == Kind::Local {
        let metadata_url = format!("{METADATA_PATH}/plain.txt");
        let metadata = send(
            &server,
            Who::ReadOnly,
            Method::GET,
            &metadata_url,
            &[],
            vec![],
        )
        .await;
        let metadata: serde_json::Value = serde_json::from_slice(&metadata.body).expect("metadata");
        assert!(
            metadata.get("a").is_none(),
            "refused metadata writes stored nothing"
        );
    }
    // The session survived every refused write: the writer can still finish it.
    let status = send(&server, Who::ReadOnly, Method::GET, &session, &[], vec![]).await;
    let session_object: skiff_protocol::UploadSession =
        serde_json::from_slice(&status.body).expect("session");
    assert_eq!(session_object.offset, 0);
    let offset = [("upload-offset", "0")];
    let reply = send(
        &server,
        Who::ReadWrite,
        Method::POST,
        &session,
        &offset,
        b"data".to_vec(),
    )
    .await;
    check(&reply, 200, "the writer appends");
    assert_eq!(target.read(&["new.bin"]).await.expect("completed"), b"data");
    let reply = send(
        &server,
        Who::ReadWrite,
        Method::PUT,
        &at("/plain.txt"),
        &[],
        b"new".to_vec(),
    )
    .await;
    check(&reply, 200, "the writer PUTs");
    let reply = send(
        &server,
        Who::ReadWrite,
        Method::DELETE,
        &at("/folder/inner.txt"),
        &[],
        vec![],
    )
    .await;
    check(&reply, 204, "the writer DELETEs");
}

async fn a_read_only_server_never_lets_a_token_write(kind: Kind) {
    let target = fixture(kind).await;
    let server = target.serve_with(&["--token", &format!("writer:{RW}:rw")]);
    let at = |path: &str| target.at(path);
    let listing = send(
        &server,
        Who::ReadWrite,
        Method::GET,
        &target.url(&[]),
        &[(RFSAPI, "1")],
        vec![],
    )
    .await;
    let fileset: FilesetData = serde_json::from_slice(&listing.body).expect("listing");
    assert!(
        !fileset.writes_supported,
        "a read-only server supports no writes"
    );
    let reply = send(
        &server,
        Who::ReadWrite,
        Method::PUT,
        &at("/plain.txt"),
        &[],
        b"x".to_vec(),
    )
    .await;
    assert_eq!(reply.status, 405);
    let reply = send(
        &server,
        Who::Nobody,
        Method::PUT,
        &at("/plain.txt"),
        &[],
        b"x".to_vec(),
    )
    .await;
    check(&reply, 401, "no token on a read-only server");
}

async fn admin_tokens_can_do_everything_read_write_tokens_can(kind: Kind) {
    let target = fixture(kind).await;
    let server = target.serve_with(&["--writable", "--token", &format!("boss:{ADMIN}:admin")]);
    let as_admin = |method: Method, path: String, body: &'static [u8]| {
        let request = client()
            .request(method, server.url(&path))
            .bearer_auth(ADMIN)
            .body(body);
        async move { request.send().await.expect("send").status().as_u16() }
    };
    assert_eq!(
        as_admin(Method::PUT, target.at("/made-by-admin.txt"), b"admin").await,
        201
    );
    assert_eq!(
        target.read(&["made-by-admin.txt"]).await.expect("written"),
        b"admin"
    );
    let listing = client()
        .get(server.url(&target.url(&[])))
        .header(RFSAPI, "1")
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("send");
    let fileset: FilesetData = listing.json().await.expect("listing");
    assert!(fileset.writes_supported);
    let mkdir = format!("{RAW_PATH}/mkdir?ref=path:{}", target.at("/admin-folder"));
    let status = client()
        .post(server.url(&mkdir))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("send")
        .status();
    assert_eq!(status, 201);
    assert!(target.is_dir(&["admin-folder"]).await);
    assert_eq!(
        as_admin(Method::DELETE, target.at("/folder/inner.txt"), b"").await,
        204
    );
    assert!(!target.exists(&["folder", "inner.txt"]).await);
}
