//! A server whose stdout and stderr are kept (with `RUST_LOG=debug`), so a test
//! can prove what never reaches a log: credentials, above all.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A running server, its output captured; killed by [`LoggedServer::stop`] or on drop.
pub struct LoggedServer {
    child: Child,
    addr: SocketAddr,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

impl LoggedServer {
    /// Starts `command` (a `skiff-server serve …` with `--listen 127.0.0.1:0`) and
    /// waits for its listening line.
    pub fn start(mut command: Command) -> Self {
        command
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn skiff-server");
        let stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let (sender, receiver) = mpsc::channel::<String>();
        let stdout = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("skiff-server listening on ") {
                    let _ = sender.send(line.clone());
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let stderr = std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = stderr.read_to_end(&mut all);
            String::from_utf8_lossy(&all).into_owned()
        });
        let line = receiver
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|error| {
                let _ = child.kill();
                panic!("no listening line ({error})");
            });
        let addr = line
            .trim_start_matches("skiff-server listening on http://")
            .trim_end_matches('/')
            .parse()
            .expect("an address");
        Self {
            child,
            addr,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server; everything it printed: (stdout, stderr).
    pub fn stop(mut self) -> (String, String) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let stdout = self.stdout.take().map(|t| t.join().unwrap_or_default());
        let stderr = self.stderr.take().map(|t| t.join().unwrap_or_default());
        (stdout.unwrap_or_default(), stderr.unwrap_or_default())
    }
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
