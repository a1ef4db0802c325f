//! End-to-end: the static build (`cargo xtask build --static`, relative asset URLs) copied
//! into a deep folder of a plain static web server (Python's `http.server`, which knows
//! nothing of Skiff), browsing a skiff-server on another origin with `?server=`: the app
//! loads, lists, opens a folder (the route in the fragment) and a reload keeps it.

mod browser;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use browser::{Browser, Process, Server};

/// Copies the folder `from` into `to`, recursively.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read the static build") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// `python3 -m http.server` on a free port serving `root`; its base URL.
fn static_host(root: &Path) -> (Process, String) {
    let mut child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python3 -m http.server");
    let stdout = child.stdout.take().expect("piped stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
            if let Some(port) = line
                .split(" port ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
            {
                let _ = sender.send(port.to_owned());
            }
        }
    });
    let port = receiver
        .recv_timeout(Duration::from_secs(20))
        .expect("http.server printed its port");
    (Process(child), format!("http://127.0.0.1:{port}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_static_build_works_from_any_folder_of_a_plain_web_server() {
    let dist = std::env::var("SKIFF_STATIC_DIST").unwrap_or_else(|_| {
        panic!("SKIFF_STATIC_DIST is unset: run the end-to-end tests through `cargo xtask test`")
    });
    let html = std::fs::read_to_string(Path::new(&dist).join("index.html")).expect("index.html");
    assert!(
        !html.contains("\"/.skiff/app/") && html.contains("skiff-hosting"),
        "the static build's shell: relative assets and the static mark"
    );
    let www = tempfile::tempdir().expect("a web root");
    copy_tree(Path::new(&dist), &www.path().join("deep/folder/skiff"));
    let (_host, host) = static_host(www.path());

    let tree = tempfile::tempdir().expect("a tree");
    std::fs::create_dir_all(tree.path().join("photos/2026")).expect("mkdir");
    std::fs::write(tree.path().join("photos/2026/a.txt"), "a").expect("write");
    std::fs::write(tree.path().join("readme.txt"), "hello").expect("write");
    let server = Server::start(tree.path(), &["--cors-origin", &host]);

    let browser = Browser::start().await;
    let app = format!("{host}/deep/folder/skiff/?server={}", server.url);
    browser.open(&app).await;
    browser.wait_for_rows(&["photos", "readme.txt"]).await;
    browser.click_row("photos", None).await;
    browser
        .element("[role=grid]")
        .await
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .expect("Enter opens the folder");
    browser.wait_for_rows(&["2026"]).await;
    let address = browser.client.current_url().await.expect("the address");
    assert!(
        address.path() == "/deep/folder/skiff/"
            && address.fragment().is_some_and(|f| f.contains("photos")),
        "the route lives in the fragment: {address}"
    );
    browser.client.refresh().await.expect("reload");
    browser.wait_for_rows(&["2026"]).await;
    browser.close().await;
}
