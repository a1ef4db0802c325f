//! dufs's own page (`dufs DIR --allow-upload`): its upload input sends the picked file as
//! one `PUT`. The binary comes from `SKIFF_BENCH_DUFS` (`cargo xtask bench` installs it into
//! `target/tools`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{free_port, upload_in_page, wait_for_line, KillOnDrop, PageUpload};
use crate::browser::Browser;
use crate::files::verify;
use crate::progress;

/// Records the pick (the input's `change` event, before dufs's own handler) and the first
/// upload row's ✓ (dufs's `complete()`, after its `PUT` answered 2xx) by the page's clock;
/// a ✗ with its retry button is a failure.
const WATCH_DUFS: &str = r#"
    window.uploadPicked = null;
    window.addEventListener('change', event => {
        if (window.uploadPicked === null && event.target.id === 'file') {
            window.uploadPicked = performance.now();
        }
    }, true);
    const observer = new MutationObserver(() => {
        const status = document.getElementById('uploadStatus0');
        if (!status) return;
        if (status.textContent === '✓') {
            window.uploadDone = performance.now();
            observer.disconnect();
        } else if (status.querySelector('.retry-btn')) {
            window.uploadFailed = 'dufs: ' + (status.firstChild && status.firstChild.title);
        }
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
"#;

/// The running dufs.
pub struct Dufs {
    _process: KillOnDrop,
    /// `http://127.0.0.1:PORT`.
    url: String,
    /// The folder dufs serves, where uploads land.
    dir: tempfile::TempDir,
    /// `dufs 0.47.0`.
    pub label: String,
}

impl Dufs {
    pub fn start() -> Dufs {
        let binary = PathBuf::from(std::env::var_os("SKIFF_BENCH_DUFS").expect(
            "SKIFF_BENCH_DUFS is unset: run the upload benchmark through `cargo xtask bench`, \
             which installs dufs",
        ));
        let version = Command::new(&binary)
            .arg("--version")
            .output()
            .ok()
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .unwrap_or_else(|| panic!("run {} --version", binary.display()));
        let dir = tempfile::Builder::new()
            .prefix("skiff-bench-dufs-")
            .tempdir()
            .expect("a folder for dufs");
        let port = free_port();
        let mut child = Command::new(&binary)
            .arg(dir.path())
            .args(["--allow-upload", "--bind", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("start {}: {error}", binary.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let process = KillOnDrop(child);
        let url = wait_for_line(stdout, "Listening on ", "dufs");
        let url = url.trim_end_matches('/').to_owned();
        progress(&format!(
            "{version} at {url}, serving {}",
            dir.path().display()
        ));
        Dufs {
            _process: process,
            url,
            dir,
            label: version,
        }
    }

    /// Picks `file` in dufs's page, waits for its ✓, checks the bytes on disk and removes
    /// them. Returns the page's time from the pick to ✓, and its memory.
    pub async fn upload(
        &self,
        browser: &Browser,
        file: &Path,
        len: u64,
        sha256: &str,
    ) -> PageUpload {
        let page = format!("{}/", self.url);
        let (upload, _) = upload_in_page(browser, &page, "#file", Some(WATCH_DUFS), file).await;
        let name = file.file_name().expect("a file name");
        let landed = self.dir.path().join(name);
        verify(&landed, len, sha256);
        std::fs::remove_file(&landed).expect("remove dufs's copy");
        upload
    }
}
