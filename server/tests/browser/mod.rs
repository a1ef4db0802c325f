//! End-to-end harness: a real skiff-server serving the built app, and a real headless
//! Chromium driven through chromedriver (WebDriver) with fantoccini.
//!
//! `cargo xtask test` builds the app first and sets `SKIFF_APP_DIST`, `CHROMEDRIVER` and
//! `SKIFF_CHROMIUM`; run alone, these tests fail and say so rather than pass untested.

// Each test target uses a different part of the harness.
#![allow(dead_code)]

pub mod device;
mod dragging;
pub mod files;
pub mod renderers;
pub mod storages;
pub mod uploads;

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

/// How long the page may take to reach an expected state.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Chromium flags for a root user on a closed network (see DEVELOPERS.md).
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--window-size=1280,800",
];

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is unset: run the end-to-end tests through `cargo xtask test`")
    })
}

/// A child process killed when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver and the Chromium it starts, in a process group of their own: dropping it
/// kills the whole group, so a test that panics leaves no browser behind.
pub struct ProcessGroup(Child);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        // `kill -KILL -PGID`: every process of the group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real `skiff-server` binary serving `root` and the built app.
pub struct Server {
    _process: Process,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub url: String,
}

impl Server {
    /// Starts `skiff-server serve ROOT --listen 127.0.0.1:0 --app $SKIFF_APP_DIST ARGS…`.
    pub fn start(root: &Path, args: &[&str]) -> Server {
        Server::start_with_env(root, args, &[])
    }

    /// [`Server::start`] with `env` added to the server's environment.
    pub fn start_with_env(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let dist = required_env("SKIFF_APP_DIST");
        let mut child = Command::new(env!("CARGO_BIN_EXE_skiff-server"))
            .arg("serve")
            .arg(root)
            .args(["--listen", "127.0.0.1:0", "--app", &dist])
            .args(args)
            .envs(env.iter().copied())
            // Warnings and errors only: the test's own output stays readable.
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .spawn()
            .expect("start skiff-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("skiff-server listening on ") {
                    let _ = sender.send(url.trim().trim_end_matches('/').to_owned());
                }
            }
        });
        let process = Process(child);
        let url = receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("skiff-server printed its address");
        Server {
            _process: process,
            url,
        }
    }

    /// The server's process id (to watch its memory).
    pub fn pid(&self) -> u32 {
        self._process.0.id()
    }
}

/// A WebDriver session in a fresh headless Chromium, with its chromedriver.
pub struct Browser {
    pub client: Client,
    _driver: ProcessGroup,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Browser {
        // A chromedriver that lost its port to another process between `free_port` and
        // its own bind (the suite starts many servers on free ports) is started again.
        let mut last = String::new();
        for _ in 0..3 {
            match Browser::try_start().await {
                Ok(browser) => return browser,
                Err(error) => last = error,
            }
        }
        panic!("a WebDriver session in Chromium: {last}");
    }

    async fn try_start() -> Result<Browser, String> {
        let chromedriver = required_env("CHROMEDRIVER");
        let chromium = required_env("SKIFF_CHROMIUM");
        let port = free_port();
        let driver = ProcessGroup(
            Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|error| panic!("start {chromedriver}: {error}")),
        );
        wait_for_port(port);
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|arg| (*arg).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .map_err(|error| error.to_string())?;
        Ok(Browser {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Opens `url` in the page.
    pub async fn open(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|error| panic!("open {url}: {error}"));
    }

    /// Waits until `script` (a JS expression) is truthy, failing with `what` and the
    /// page's text after [`PATIENCE`].
    pub async fn wait_until(&self, what: &str, script: &str) {
        self.wait_until_within(what, script, PATIENCE).await;
    }

    /// [`Browser::wait_until`] with a patience of its own, for long operations.
    pub async fn wait_until_within(&self, what: &str, script: &str, patience: Duration) {
        let started = Instant::now();
        let body = format!("return !!({script});");
        loop {
            let value = self.client.execute(&body, vec![]).await;
            if matches!(value, Ok(serde_json::Value::Bool(true))) {
                return;
            }
            if started.elapsed() > patience {
                let text = self
                    .client
                    .execute("return document.body.innerText", vec![])
                    .await
                    .ok();
                panic!("timed out waiting for {what}; page text: {text:?}; last value: {value:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The listing's row names in display order.
    pub async fn row_names(&self) -> Vec<String> {
        let value = self
            .client
            .execute(
                "return [...document.querySelectorAll('[role=row][data-name]')]
                    .sort((a, b) => a.ariaRowIndex - b.ariaRowIndex)
                    .map(row => row.dataset.name)",
                vec![],
            )
            .await
            .expect("read the rows");
        serde_json::from_value(value).expect("a list of names")
    }

    /// Waits until the listing shows exactly `names`, in order.
    pub async fn wait_for_rows(&self, names: &[&str]) {
        let json = serde_json::to_string(names).expect("names as JSON");
        let script = format!(
            "JSON.stringify([...document.querySelectorAll('[role=row][data-name]')]
                .sort((a, b) => a.ariaRowIndex - b.ariaRowIndex)
                .map(row => row.dataset.name)) === {json:?}"
        );
        self.wait_until(&format!("rows {names:?}"), &script).await;
    }

    /// Clicks the listing row named `name`, with `modifier` (`ctrlKey`, `shiftKey`) held
    /// if given (WebDriver's element click cannot hold a key).
    pub async fn click_row(&self, name: &str, modifier: Option<&str>) {
        let css = format!("[role=row][data-name={name:?}]");
        let Some(modifier) = modifier else {
            // A listing fetched again redraws its rows: a row found just before may be gone.
            for attempt in 1..=3 {
                match self.element(&css).await.click().await {
                    Ok(_) => return,
                    Err(error) if attempt == 3 => panic!("click {name}: {error}"),
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
            return;
        };
        self.element(&css).await;
        self.client
            .execute(
                "document.querySelector(arguments[0]).dispatchEvent(
                    new MouseEvent('click', {bubbles: true, [arguments[1]]: true}))",
                vec![serde_json::json!(css), serde_json::json!(modifier)],
            )
            .await
            .unwrap_or_else(|error| panic!("{modifier}-click {name}: {error}"));
    }

    /// Finds the element matching a CSS selector, waiting for it to appear.
    pub async fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no element {css}: {error}"))
    }

    /// Saves a PNG of the page under `target/tmp/e2e/NAME.png` (a test artifact).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e");
        std::fs::create_dir_all(&dir).expect("the artifact folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver (`goog/cdp/execute`),
    /// for what WebDriver cannot express, like dragging real files and folders.
    pub async fn cdp(&self, cmd: &str, params: serde_json::Value) -> serde_json::Value {
        self.client
            .issue_cmd(Cdp {
                cmd: cmd.to_owned(),
                params,
            })
            .await
            .unwrap_or_else(|error| panic!("CDP {cmd}: {error}"))
    }

    /// Lets the page's downloads land in `folder` (headless Chromium refuses them otherwise).
    pub async fn allow_downloads(&self, folder: &Path) {
        self.cdp(
            "Browser.setDownloadBehavior",
            serde_json::json!({
                "behavior": "allow",
                "downloadPath": folder.display().to_string(),
            }),
        )
        .await;
    }

    /// Runs axe-core (the accessibility checker; `cargo xtask setup` installs it) on the
    /// page and returns its serious and critical violations, one line each (and any
    /// failure of axe itself).
    pub async fn accessibility_problems(&self) -> Vec<String> {
        self.every_axe_violation()
            .await
            .into_iter()
            .filter(|line| {
                line.starts_with("serious ")
                    || line.starts_with("critical ")
                    || line.starts_with("axe failed")
            })
            .collect()
    }

    /// Runs axe-core on the page and returns every violation, whatever its impact (minor and moderate
    /// too), one line each: the "zero violations" bar.
    pub async fn every_axe_violation(&self) -> Vec<String> {
        let axe_path = required_env("SKIFF_AXE");
        let axe = std::fs::read_to_string(&axe_path)
            .unwrap_or_else(|error| panic!("read axe-core at {axe_path}: {error}"));
        self.client
            .execute(&format!("{axe}\nreturn true;"), vec![])
            .await
            .expect("inject axe-core");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(result => done(result.violations
                        .map(v => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)))
                    .catch(error => done(['axe failed: ' + error]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        serde_json::from_value(found).expect("a list of violations")
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

fn wait_for_port(port: u16) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}
