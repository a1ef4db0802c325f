//! `curl -T`: one plain `PUT` of the file on skiff-server's tree, the practical limit.

use std::path::Path;
use std::time::Duration;

use crate::LONG_WAIT;

/// `curl --version`'s first line's version (`8.14.1`).
pub fn version() -> String {
    std::process::Command::new("curl")
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| {
            String::from_utf8_lossy(&output.stdout)
                .split_whitespace()
                .nth(1)
                .map(str::to_owned)
        })
        .expect("curl is installed (`cargo xtask bench` installs it)")
}

/// `PUT`s `path` to `url` with `curl -T`; returns the time the request took (curl's
/// `time_total`). The server must answer 201.
pub async fn put(path: &Path, url: &str) -> Duration {
    let mut command = tokio::process::Command::new("curl");
    command
        .args(["--silent", "--show-error", "--fail", "--noproxy", "*"])
        .arg("--upload-file")
        .arg(path)
        .args(["--output", "/dev/null"])
        .args(["--write-out", "%{http_code} %{time_total}"])
        .arg(url)
        .kill_on_drop(true);
    let output = tokio::time::timeout(LONG_WAIT, command.output())
        .await
        .unwrap_or_else(|_| panic!("curl -T {url} took over {LONG_WAIT:?}"))
        .expect("run curl");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "curl -T {url} failed ({}): {stdout} {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let (code, total) = stdout
        .trim()
        .split_once(' ')
        .unwrap_or_else(|| panic!("unexpected curl --write-out: {stdout:?}"));
    assert_eq!(code, "201", "curl -T {url} answered {code}");
    let total: f64 = total
        .parse()
        .unwrap_or_else(|error| panic!("curl's time_total {total:?}: {error}"));
    Duration::from_secs_f64(total)
}
