//! Symlinks (PROTOCOL.md, general rules, "Path safety"): links that stay inside
//! the root work like what they point at; links that leave it are not listed and
//! every request through them is refused with 403; broken links are not listed.
#![cfg(unix)]

mod common;

use std::collections::BTreeSet;

use common::{client, expect_error, rfsapi, Fixture, TestServer, BROWSER_ACCEPT, RFSAPI};

/// Contents of the file outside the root.
const SECRET: &[u8] = b"SKIFF-SYMLINK-SECRET-5eb63bbbe01eeed0";
const REAL: &[u8] = b"the real file";
const INNER: &[u8] = b"inside target_dir";

/// ```text
/// <tmp>/outside/secret.txt            (not served)
/// <tmp>/root/real.txt
/// <tmp>/root/target_dir/inner.txt
/// <tmp>/root/link_in_file  -> real.txt
/// <tmp>/root/link_in_dir   -> target_dir
/// <tmp>/root/link_abs_in   -> <tmp>/root/real.txt (absolute, still inside)
/// <tmp>/root/link_to_root  -> .
/// <tmp>/root/sub/link_up   -> ../real.txt
/// <tmp>/root/sub/out       -> ../../outside
/// <tmp>/root/link_out_file -> ../outside/secret.txt
/// <tmp>/root/link_out_abs  -> <tmp>/outside/secret.txt
/// <tmp>/root/link_out_dir  -> <tmp>/outside
/// <tmp>/root/link_etc      -> /etc/passwd
/// <tmp>/root/link_slash    -> /
/// <tmp>/root/broken        -> does-not-exist
/// <tmp>/root/broken_out    -> ../outside/does-not-exist
/// <tmp>/root/loop_a        -> loop_b -> loop_a
/// ```
fn setup() -> (Fixture, TestServer) {
    let fixture = Fixture::new();
    let outside = fixture.outside().join("outside");
    std::fs::create_dir(&outside).expect("create the outside folder");
    std::fs::write(outside.join("secret.txt"), SECRET).expect("write the secret");

    fixture.write(&["real.txt"], REAL);
    fixture.write(&["target_dir", "inner.txt"], INNER);
    fixture.symlink("real.txt", &["link_in_file"]);
    fixture.symlink("target_dir", &["link_in_dir"]);
    fixture.symlink(fixture.path(&["real.txt"]), &["link_abs_in"]);
    fixture.symlink(".", &["link_to_root"]);
    fixture.symlink("../real.txt", &["sub", "link_up"]);
    fixture.symlink("../../outside", &["sub", "out"]);
    fixture.symlink("../outside/secret.txt", &["link_out_file"]);
    fixture.symlink(outside.join("secret.txt"), &["link_out_abs"]);
    fixture.symlink(&outside, &["link_out_dir"]);
    fixture.symlink("/etc/passwd", &["link_etc"]);
    fixture.symlink("/", &["link_slash"]);
    fixture.symlink("does-not-exist", &["broken"]);
    fixture.symlink("../outside/does-not-exist", &["broken_out"]);
    fixture.symlink("loop_b", &["loop_a"]);
    fixture.symlink("loop_a", &["loop_b"]);
    let server = fixture.serve();
    (fixture, server)
}

fn names(files: &[skiff_protocol::RawFileData]) -> BTreeSet<&str> {
    files.iter().map(|entry| entry.name.as_str()).collect()
}

async fn get_bytes(server: &TestServer, path: &str) -> Vec<u8> {
    let response = client().get(server.url(path)).send().await.expect("send");
    assert_eq!(response.status(), 200, "GET {path}");
    response.bytes().await.expect("body").to_vec()
}

#[tokio::test]
async fn links_inside_the_root_are_listed_and_served() {
    let (_fixture, server) = setup();
    let root = rfsapi(&server, "/").await;
    assert_eq!(
        names(&root.files),
        BTreeSet::from([
            "real.txt",
            "target_dir",
            "sub",
            "link_in_file",
            "link_in_dir",
            "link_abs_in",
            "link_to_root",
        ]),
        "only links that stay inside the root are listed"
    );
    let entry = |name: &str| {
        root.files
            .iter()
            .find(|entry| entry.name == name)
            .unwrap_or_else(|| panic!("{name} is listed"))
    };
    for name in ["link_in_file", "link_abs_in"] {
        assert!(entry(name).is_file, "{name} is described as its target");
        assert_eq!(
            entry(name).size,
            REAL.len() as u64,
            "{name}'s size is its target's"
        );
    }
    assert!(!entry("link_in_dir").is_file);
    assert_eq!(entry("link_in_dir").mime_type, "text/directory");
    assert!(!entry("link_to_root").is_file);

    assert_eq!(get_bytes(&server, "/link_in_file").await, REAL);
    assert_eq!(get_bytes(&server, "/link_abs_in").await, REAL);
    assert_eq!(get_bytes(&server, "/sub/link_up").await, REAL);
    assert_eq!(get_bytes(&server, "/link_in_dir/inner.txt").await, INNER);
    assert_eq!(get_bytes(&server, "/link_to_root/real.txt").await, REAL);
    assert_eq!(
        get_bytes(&server, "/link_to_root/link_to_root/link_in_dir/inner.txt").await,
        INNER
    );

    let file = rfsapi(&server, "/link_in_file").await;
    assert!(file.is_file);
    assert_eq!(file.files.len(), 1);
    assert_eq!(
        file.files[0].name, "link_in_file",
        "the entry has the link's name"
    );
    assert_eq!(file.files[0].size, REAL.len() as u64);

    let dir = rfsapi(&server, "/link_in_dir").await;
    assert!(!dir.is_file);
    assert!(!dir.is_root);
    assert_eq!(names(&dir.files), BTreeSet::from(["inner.txt"]));

    let sub = rfsapi(&server, "/sub").await;
    assert_eq!(names(&sub.files), BTreeSet::from(["link_up"]));
}

#[tokio::test]
async fn a_link_to_the_root_does_not_reveal_the_reserved_folder() {
    let (fixture, server) = setup();
    fixture.write(&[".skiff", "state.json"], b"{}");
    let through_link = rfsapi(&server, "/link_to_root").await;
    assert!(
        !names(&through_link.files).contains(".skiff"),
        "the root seen through a link still hides .skiff"
    );
    let response = client()
        .get(server.url("/link_to_root/.skiff/state.json"))
        .header(RFSAPI, "1")
        .send()
        .await
        .expect("send");
    expect_error(response, 404, "/.skiff through a link to the root").await;
}

#[tokio::test]
async fn links_leaving_the_root_are_refused_with_403() {
    let (_fixture, server) = setup();
    for path in [
        "/link_out_file",
        "/link_out_abs",
        "/link_etc",
        "/link_out_dir",
        "/link_out_dir/",
        "/link_out_dir/secret.txt",
        "/link_slash",
        "/link_slash/etc/passwd",
        "/sub/out",
        "/sub/out/secret.txt",
        "/link_to_root/link_out_file",
    ] {
        for (flavour, headers) in [
            ("RFSAPI", vec![(RFSAPI, "1")]),
            ("plain", vec![]),
            ("browser", vec![("accept", BROWSER_ACCEPT)]),
        ] {
            let mut request = client().get(server.url(path));
            for (name, value) in &headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.expect("send");
            expect_error(response, 403, &format!("{flavour} GET {path}")).await;
        }
        let head = client().head(server.url(path)).send().await.expect("send");
        assert_eq!(head.status(), 403, "HEAD {path}");
    }
}

#[tokio::test]
async fn nothing_below_a_link_leaving_the_root_is_revealed() {
    let (_fixture, server) = setup();
    // Whether a name exists outside the root must not show: a path below a link
    // that leaves the root is 403 whether or not the thing it names exists.
    for path in [
        "/link_out_dir/does-not-exist",
        "/link_out_dir/no/such/path",
        "/sub/out/does-not-exist",
        "/link_slash/no-such-top-level-dir",
    ] {
        let response = client()
            .get(server.url(path))
            .header(RFSAPI, "1")
            .send()
            .await
            .expect("send");
        expect_error(response, 403, &format!("RFSAPI GET {path}")).await;
    }
}

#[tokio::test]
async fn secret_bytes_never_come_back() {
    let (_fixture, server) = setup();
    for path in [
        "/link_out_file",
        "/link_out_abs",
        "/link_out_dir/secret.txt",
        "/sub/out/secret.txt",
    ] {
        for headers in [vec![], vec![(RFSAPI, "1")], vec![("range", "bytes=0-")]] {
            let mut request = client().get(server.url(path));
            for (name, value) in &headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.expect("send");
            let status = response.status();
            let body = response.bytes().await.expect("body");
            assert!(
                !body.windows(SECRET.len()).any(|window| window == SECRET),
                "GET {path} {headers:?} ({status}) returned the secret"
            );
        }
    }
}

#[tokio::test]
async fn broken_and_looping_links_are_not_listed_and_are_404() {
    let (_fixture, server) = setup();
    let root = rfsapi(&server, "/").await;
    for name in ["broken", "broken_out", "loop_a", "loop_b"] {
        assert!(
            !names(&root.files).contains(name),
            "{name} must not be listed"
        );
    }
    for path in ["/broken", "/loop_a", "/loop_b/x"] {
        let response = client()
            .get(server.url(path))
            .header(RFSAPI, "1")
            .send()
            .await
            .expect("send");
        expect_error(response, 404, &format!("RFSAPI GET {path}")).await;
    }
}
