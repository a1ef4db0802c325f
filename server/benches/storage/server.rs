//! The release `skiff-server` under test: started on a free port with an admin token,
//! its process id kept so its memory can be read from `/proc`, killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use skiff_protocol::STORAGES_PATH;

use crate::seaweed::{ACCESS_KEY, REGION, SECRET_KEY};
use crate::MOUNT;

/// The admin token's secret (`--token bench:SECRET:admin`).
const ADMIN_SECRET: &str = "storage-bench-admin-secret";
/// How long the binary may take to print its "listening" line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `skiff-server serve ROOT --writable`, killed on drop.
pub struct Skiff {
    child: Child,
    /// Its process id, for `/proc/PID/status`.
    pub pid: u32,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub url: String,
}

impl Skiff {
    /// Starts the binary Cargo built for this bench (the bench profile: optimised).
    pub fn start(root: &Path) -> Skiff {
        let token = format!("bench:{ADMIN_SECRET}:admin");
        let mut child = Command::new(env!("CARGO_BIN_EXE_skiff-server"))
            .arg("serve")
            .arg(root)
            .args(["--listen", "127.0.0.1:0", "--writable", "--token", &token])
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start skiff-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = mpsc::channel();
        // Keeps draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("skiff-server listening on ") {
                    let _ = sender.send(url.trim().trim_end_matches('/').to_owned());
                }
            }
        });
        let pid = child.id();
        let skiff = |url| Skiff { child, pid, url };
        match receiver.recv_timeout(STARTUP_TIMEOUT) {
            Ok(url) => skiff(url),
            Err(error) => {
                drop(skiff(String::new()));
                panic!("skiff-server did not print its listening line: {error}");
            }
        }
    }

    /// `Authorization: Bearer …` of the admin token.
    pub fn bearer(&self) -> String {
        format!("Bearer {ADMIN_SECRET}")
    }

    /// Mounts the bucket at `url` (`s3://BUCKET/PREFIX`) as `/MOUNT/` through the
    /// storages admin API (PROTOCOL.md §5).
    pub async fn mount_s3(&self, endpoint: &str, url: &str) {
        let body = serde_json::json!({
            "name": "s3-bench", "label": "S3 bench", "type": "s3",
            "url": url, "endpoint": endpoint, "region": REGION,
            "access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, "mount": MOUNT,
        });
        let response = reqwest::Client::new()
            .post(format!("{}{STORAGES_PATH}", self.url))
            .header("authorization", self.bearer())
            .json(&body)
            .send()
            .await
            .expect("POST the S3 storage");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(status, 201, "creating the S3 storage: {text}");
    }

    /// A line of `/proc/PID/status` (`VmRSS`, `VmHWM`), in bytes.
    pub fn memory(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .expect("skiff-server's /proc status");
        proc_status_bytes(&status, field)
            .unwrap_or_else(|| panic!("no {field} in skiff-server's /proc status"))
    }
}

/// `VmRSS:     12345 kB` → 12345 × 1024.
pub fn proc_status_bytes(status: &str, field: &str) -> Option<u64> {
    let value = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?;
    let kib: u64 = value.split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
}

impl Drop for Skiff {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
