//! A running `skiff-server`: started, its URL read from its first line, stopped on drop.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// What the server prints once it accepts connections.
const READY_PREFIX: &str = "skiff-server listening on ";
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct RunningServer {
    child: Child,
    /// Where it listens, e.g. `http://127.0.0.1:41234/`.
    pub url: String,
}

impl RunningServer {
    /// Runs `BINARY serve ROOT ARGS...` and waits for its "listening on" line. Its output is
    /// passed through (prefixed) so failures in tests that use it stay explainable.
    pub fn start(binary: &Path, root: &Path, args: &[&str]) -> Result<Self> {
        let mut child = Command::new(binary)
            .arg("serve")
            .arg(root)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        let Some(stdout) = child.stdout.take() else {
            bail!("no stdout pipe to {}", binary.display());
        };
        let (url_sender, url_receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut url_sender = Some(url_sender);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix(READY_PREFIX) {
                    if let Some(sender) = url_sender.take() {
                        let _ = sender.send(url.trim().to_string());
                    }
                }
                println!("[skiff-server] {line}");
            }
        });
        match url_receiver.recv_timeout(START_TIMEOUT) {
            Ok(url) => Ok(RunningServer { child, url }),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                bail!(
                    "{} printed no `{READY_PREFIX}URL` line within {}s ({status})",
                    binary.display(),
                    START_TIMEOUT.as_secs()
                )
            }
        }
    }

    /// Blocks until the server exits by itself (or Ctrl-C stops us both).
    pub fn wait(mut self) -> Result<()> {
        let status = self.child.wait().context("waiting for skiff-server")?;
        if !status.success() {
            bail!("skiff-server exited with {status}");
        }
        Ok(())
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
