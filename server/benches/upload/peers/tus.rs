//! tus-js-client in a page, uploading to @tus/server with @tus/file-store: `tus_peer.mjs`
//! (next to the benchmark) serves the page, tus-js-client's browser build and the tus
//! endpoint on one loopback port. The packages come from `SKIFF_BENCH_NODE_MODULES`
//! (`cargo xtask bench` installs them into `target/node`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{npm_version, upload_in_page, wait_for_line, KillOnDrop, PageUpload};
use crate::browser::Browser;
use crate::files::verify;
use crate::progress;

/// The running tus peer.
pub struct Tus {
    _process: KillOnDrop,
    /// `http://127.0.0.1:PORT`.
    url: String,
    /// @tus/file-store's folder: each upload lands in a file named by its id.
    store: tempfile::TempDir,
    /// `tus-js-client 4.3.1 → @tus/server 2.4.5 (@tus/file-store 2.1.1)`.
    pub label: String,
}

impl Tus {
    pub fn start() -> Tus {
        let modules = PathBuf::from(std::env::var_os("SKIFF_BENCH_NODE_MODULES").expect(
            "SKIFF_BENCH_NODE_MODULES is unset: run the upload benchmark through \
             `cargo xtask bench`, which installs tus-js-client and @tus/server",
        ));
        let label = format!(
            "tus-js-client {} → @tus/server {} (@tus/file-store {})",
            npm_version(&modules, "tus-js-client"),
            npm_version(&modules, "@tus/server"),
            npm_version(&modules, "@tus/file-store")
        );
        let store = tempfile::Builder::new()
            .prefix("skiff-bench-tus-store-")
            .tempdir()
            .expect("a folder for @tus/file-store");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/upload/tus_peer.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .arg(&modules)
            .arg(store.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("start node {}: {error}", script.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let process = KillOnDrop(child);
        let url = wait_for_line(stdout, "tus peer listening on ", "the tus peer");
        progress(&format!("{label} at {url}"));
        Tus {
            _process: process,
            url,
            store,
            label,
        }
    }

    /// Picks `file` in the tus page (`chunk` bytes per `PATCH`, or one `PATCH` for the
    /// whole file), waits for tus-js-client's success, checks the stored bytes and removes
    /// them. Returns the page's time from the pick to success, and its memory.
    pub async fn upload(
        &self,
        browser: &Browser,
        file: &Path,
        chunk: Option<u64>,
        len: u64,
        sha256: &str,
    ) -> PageUpload {
        let page = match chunk {
            Some(chunk) => format!("{}/?chunk={chunk}", self.url),
            None => format!("{}/", self.url),
        };
        let (upload, upload_url) = upload_in_page(browser, &page, "#file", None, file).await;
        let upload_url = upload_url.expect("tus-js-client's upload URL");
        let id = upload_url
            .rsplit('/')
            .next()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| panic!("no upload id in {upload_url}"));
        let stored = self.store.path().join(id);
        verify(&stored, len, sha256);
        std::fs::remove_file(&stored).expect("remove the stored upload");
        // The upload's metadata, next to it.
        let _ = std::fs::remove_file(self.store.path().join(format!("{id}.json")));
        upload
    }
}
