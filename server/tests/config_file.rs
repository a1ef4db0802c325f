//! `--config FILE` (PROTOCOL.md §7) against the real binary: settings and
//! `[[storage]]` tables from TOML, flags winning over the file, configured
//! storages fixed (the API may not change them), and bad files stopping the
//! server with exit code 2 and the line at fault.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{client, expect_error, Fixture, TestServer};
use reqwest::Method;
use skiff_protocol::{Discovery, Storage, StorageKind, DISCOVERY_PATH, STORAGES_PATH};

const ADMIN: &str = "file-admin-secret";

/// Writes `text` as `skiff.toml` next to (not inside) the served root.
fn config(fixture: &Fixture, text: &str) -> PathBuf {
    let path = fixture.outside().join("skiff.toml");
    std::fs::write(&path, text).expect("write the config file");
    path
}

fn folder(fixture: &Fixture, name: &str) -> PathBuf {
    let path = fixture.outside().join(name);
    std::fs::create_dir_all(&path).expect("mkdir");
    path
}

fn start(fixture: &Fixture, file: &Path, extra: &[&str]) -> TestServer {
    let mut args = vec!["--config", file.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    TestServer::start_with(fixture.root(), &args)
}

async fn get<T: serde::de::DeserializeOwned>(server: &TestServer, path: &str, token: &str) -> T {
    let response = client()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("JSON")
}

/// Runs the server on `file` expecting it to refuse; returns its stderr.
fn refused(fixture: &Fixture, file: &Path, env: &[(&str, &str)]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_skiff-server"))
        .arg("serve")
        .arg(fixture.root())
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(file)
        .envs(env.iter().copied())
        .output()
        .expect("run skiff-server");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty(), "never listened");
    stderr
}

#[tokio::test]
async fn settings_and_storages_come_from_the_file() {
    let fixture = Fixture::new();
    let photos = folder(&fixture, "photo files");
    let text = format!(
        "# the operator's file\nwritable = true\nmax_chunk = 2000000\ntokens = [\"boss:{ADMIN}:admin\"]\n\
         token_file = \"tokens.txt\"\n\n[[storage]]\nname = \"photos\"\nlabel = \"Photos\"\ntype = \"local\"\nurl = \"photo files\"\nmount = \"Pictures\"\n"
    );
    std::fs::write(
        fixture.outside().join("tokens.txt"),
        "reader:file-reader:ro\n",
    )
    .expect("write the token file");
    let file = config(&fixture, &text);
    let mut server = start(&fixture, &file, &[]);
    let _: Vec<Storage> = get(&server, STORAGES_PATH, "file-reader").await;
    let discovery: Discovery = get(&server, DISCOVERY_PATH, ADMIN).await;
    assert_eq!(
        discovery.max_chunk,
        Some(2_000_000),
        "writable, with the file's max_chunk"
    );
    let storages: Vec<Storage> = get(&server, STORAGES_PATH, ADMIN).await;
    assert_eq!(storages.len(), 2, "{storages:?}");
    let configured = &storages[1];
    let url = url::Url::from_file_path(std::fs::canonicalize(&photos).expect("canonical"))
        .expect("absolute")
        .to_string();
    assert_eq!(
        (
            configured.name.as_str(),
            configured.label.as_str(),
            configured.kind
        ),
        ("photos", "Photos", StorageKind::Local)
    );
    assert_eq!(configured.url, url, "relative to the file's folder");
    assert_eq!(configured.default_url, url);
    assert_eq!(configured.mount, "Pictures");
    assert!(configured.writable);

    // Fixed by the operator: the API may neither change nor remove it.
    for (method, body) in [
        (Method::PATCH, Some(serde_json::json!({"label": "Mine"}))),
        (Method::DELETE, None),
    ] {
        let mut request = client()
            .request(
                method.clone(),
                server.url(&format!("{STORAGES_PATH}/photos")),
            )
            .bearer_auth(ADMIN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let error = expect_error(request.send().await.expect("send"), 409, "fixed").await;
        assert_eq!(error.error.code, "storage_fixed", "{method}");
        assert!(
            error.error.message.contains("configuration file"),
            "{}",
            error.error.message
        );
    }
    // Its id survives restarts like any storage's.
    server.kill();
    server = start(&fixture, &file, &[]);
    let again: Vec<Storage> = get(&server, STORAGES_PATH, ADMIN).await;
    assert_eq!(again, storages);
}

#[tokio::test]
async fn flags_win_over_the_file() {
    let fixture = Fixture::new();
    // The file's address cannot be bound here; `--listen` (from the harness) wins.
    let text = "listen = \"192.0.2.1:80\"\nwritable = false\nmax_chunk = 1000\n\
                tokens = [\"filer:file-secret:admin\"]\n";
    let file = config(&fixture, text);
    let server = start(
        &fixture,
        &file,
        &[
            "--writable",
            "--max-chunk",
            "5000",
            "--token",
            &format!("flag:{ADMIN}:admin"),
        ],
    );
    let discovery: Discovery = get(&server, DISCOVERY_PATH, ADMIN).await;
    assert_eq!(discovery.max_chunk, Some(5000));
    assert!(
        discovery.uploads.is_some(),
        "--writable wins over writable = false"
    );
    let refused = client()
        .get(server.url(STORAGES_PATH))
        .bearer_auth("file-secret")
        .send()
        .await
        .expect("send");
    expect_error(refused, 401, "the file's tokens give way to --token").await;
}

#[tokio::test]
async fn bad_files_stop_the_server_naming_the_line() {
    let fixture = Fixture::new();
    folder(&fixture, "exists");
    let storage = |extra: &str| {
        format!("writable = true\n\n[[storage]]\nname = \"ok\"\ntype = \"local\"\nurl = \"exists\"\n{extra}")
    };
    let cases = [
        ("writable = true\nlisten = \"127.0.0.1:0\nmax_chunk = 5\n", 2, ""),
        ("writable = true\n\ncolour = \"red\"\n", 3, "colour"),
        ("max_chunk = \"big\"\n", 1, ""),
        ("tokens = [\n  \"fine:x:ro\",\n  \"broken:x:superuser\",\n]\n", 3, "broken"),
        (&*storage("mount = \".skiff\"\n"), 7, "reserved"),
        (&*storage("flavour = 1\n"), 7, "flavour"),
        (
            &*"[[storage]]\nname = \"Not Valid\"\ntype = \"local\"\nurl = \"exists\"\n".to_owned(),
            2,
            "Not Valid",
        ),
        (
            &*"[[storage]]\nname = \"a\"\ntype = \"ftp\"\nurl = \"exists\"\n".to_owned(),
            3,
            "ftp",
        ),
        (
            &*"[[storage]]\nname = \"a\"\ntype = \"local\"\nurl = \"missing\"\n".to_owned(),
            4,
            "does not exist",
        ),
        (
            &*format!("{}\n[[storage]]\nname = \"ok\"\ntype = \"local\"\nurl = \"exists\"\nmount = \"x\"\n", storage("")),
            9,
            "taken",
        ),
        (
            &*"[[storage]]\nname = \"b\"\ntype = \"s3\"\nurl = \"s3://bucket\"\n\
               access_key_id_env = \"SKIFF_UNSET_KEY_ID\"\nsecret_access_key_env = \"SKIFF_UNSET_SECRET\"\n"
                .to_owned(),
            5,
            "SKIFF_UNSET_KEY_ID",
        ),
    ];
    for (text, line, words) in cases {
        let file = config(&fixture, text);
        let stderr = refused(&fixture, &file, &[]);
        let at = format!("skiff.toml:{line}:");
        assert!(
            stderr.contains(&at),
            "{text:?} should fail at line {line}: {stderr}"
        );
        assert!(stderr.contains(words), "{text:?}: {stderr}");
    }
    let missing = fixture.outside().join("no-such.toml");
    let stderr = refused(&fixture, &missing, &[]);
    assert!(stderr.contains("no-such.toml"), "{stderr}");
}

#[tokio::test]
async fn s3_credentials_come_from_the_environment_and_are_never_shown() {
    let fixture = Fixture::new();
    let text = "writable = true\n[[storage]]\nname = \"bucket\"\ntype = \"s3\"\n\
                url = \"s3://some-bucket/prefix\"\nendpoint = \"http://127.0.0.1:9\"\nregion = \"eu-west-3\"\n\
                access_key_id_env = \"SKIFF_TEST_KEY_ID\"\nsecret_access_key_env = \"SKIFF_TEST_SECRET\"\n";
    let file = config(&fixture, text);
    let key_id = "AKIDCONFIGFILEKEY";
    let secret = "config-file-secret-never-shown";
    let mut command = Command::new(env!("CARGO_BIN_EXE_skiff-server"));
    command
        .arg("serve")
        .arg(fixture.root())
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(&file)
        .env("SKIFF_TEST_KEY_ID", key_id)
        .env("SKIFF_TEST_SECRET", secret);
    let server = common::logged::LoggedServer::start(command);
    let storages: Vec<serde_json::Value> = client()
        .get(server.url(STORAGES_PATH))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    let s3 = &storages[1];
    assert_eq!(s3["type"], "s3");
    assert_eq!(s3["url"], "s3://some-bucket/prefix");
    assert_eq!(s3["endpoint"], "http://127.0.0.1:9");
    assert_eq!(s3["region"], "eu-west-3");
    let (stdout, stderr) = server.stop();
    for text in [
        serde_json::to_string(&storages).expect("json"),
        stdout,
        stderr,
    ] {
        assert!(!text.contains(key_id) && !text.contains(secret), "{text}");
    }
}

#[tokio::test]
async fn a_configured_storage_takes_over_the_api_storage_of_its_name() {
    let fixture = Fixture::new();
    let first = folder(&fixture, "first");
    let second = folder(&fixture, "second");
    let as_url = |path: &Path| {
        url::Url::from_file_path(std::fs::canonicalize(path).expect("canonical"))
            .expect("absolute")
            .to_string()
    };
    let mut server = TestServer::start_with(fixture.root(), &["--writable"]);
    let made = client()
        .post(server.url(STORAGES_PATH))
        .json(&serde_json::json!({"name": "shared", "type": "local", "url": as_url(&first)}))
        .send()
        .await
        .expect("send");
    assert_eq!(made.status(), 201);
    let made: Storage = made.json().await.expect("storage");
    server.kill();

    let text =
        "writable = true\n[[storage]]\nname = \"shared\"\ntype = \"local\"\nurl = \"second\"\n";
    let file = config(&fixture, text);
    server = start(&fixture, &file, &[]);
    let storages: Vec<Storage> = client()
        .get(server.url(STORAGES_PATH))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    let shared = &storages[1];
    assert_eq!(
        shared.id, made.id,
        "the same storage, now fixed by the file"
    );
    assert_eq!(shared.url, as_url(&second), "the file's URL is in use");
    assert_eq!(shared.default_url, made.url, "the URL it was created with");
    let refused = client()
        .delete(server.url(&format!("{STORAGES_PATH}/shared")))
        .send()
        .await
        .expect("send");
    expect_error(refused, 409, "now fixed").await;
}
