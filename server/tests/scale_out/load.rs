//! The load test of issue 13: 64 concurrent clients upload and list on one
//! `s3://` ROOT of the SeaweedFS cluster, every request to the next instance in
//! turn (no stickiness, as behind a round-robin load balancer): three instances
//! for [`PHASE`], then the same load on one instance. Each client writes into
//! its own folder a mix of small whole-file `PUT`s, a few whole-file `PUT`s of
//! some MiB and parts sessions of 5–8 MiB (each part, and the completion, on
//! another instance), and lists its folder now and then: the listing must show
//! every file it has finished. Afterwards every file is in the bucket with its
//! SHA-256, nothing else is there, and every instance lists each folder whole.
//! Zero errors: any answer but the expected one fails the test.
//!
//! The throughput of both runs (files/s, MiB/s) and their ratio are printed and
//! written to `target/scale-out-load.md`. The 2-core machine (and the debug
//! build) bound the ratio; only correctness is asserted, never timing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use skiff_protocol::UPLOADS_PATH;

use super::common::logged::LoggedServer;
use super::rotation::{content_hash, hex_sha256, random_bytes, PART};
use super::{writable_instances, WRITER};

/// Concurrent clients.
const CLIENTS: usize = 64;
/// How long each run sends new work (what is under way then finishes).
const PHASE: Duration = Duration::from_secs(20);
const MIB: f64 = 1_048_576.0;

/// One run's clients: the instances' URLs, the turn counter, what was stored.
#[derive(Clone)]
struct Load {
    urls: Arc<Vec<String>>,
    http: reqwest::Client,
    turn: Arc<AtomicUsize>,
    /// Tree key → (size, SHA-256) of every file a client finished.
    stored: Arc<Mutex<BTreeMap<String, (usize, String)>>>,
    errors: Arc<Mutex<Vec<String>>>,
    listings: Arc<AtomicUsize>,
}

impl Load {
    fn new(urls: Vec<String>) -> Self {
        Self {
            urls: Arc::new(urls),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("a client"),
            turn: Arc::new(AtomicUsize::new(0)),
            stored: Arc::default(),
            errors: Arc::default(),
            listings: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// One request to the next instance in turn; `Err` with what went wrong
    /// unless it answered `expected`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
        expected: StatusCode,
    ) -> Result<Value, String> {
        let at = self.turn.fetch_add(1, Ordering::Relaxed) % self.urls.len();
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.urls[at]))
            .bearer_auth(WRITER);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|error| format!("{method} {path} on instance {at}: {error}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status != expected {
            return Err(format!("{method} {path} on instance {at}: {status} {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A whole-file `PUT` of `bytes` as `key`.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), String> {
        let created = StatusCode::CREATED;
        self.call(Method::PUT, &format!("/{key}"), &[], bytes, created)
            .await
            .map(drop)
    }

    /// A parts session for `key`: created, each part and the completion each
    /// on the next instance in turn.
    async fn parts(&self, key: &str, bytes: &[u8]) -> Result<(), String> {
        let create = json!({
            "key": key, "bucket": "default", "mime_type": "application/octet-stream",
            "size": bytes.len(), "part_size": PART,
        });
        let body = create.to_string().into_bytes();
        let session = self
            .call(Method::POST, UPLOADS_PATH, &[], body, StatusCode::CREATED)
            .await?;
        let url = session["url"].as_str().ok_or("no session url")?.to_owned();
        for (n, part) in bytes.chunks(PART as usize).enumerate() {
            let path = format!("{url}/parts/{}", n + 1);
            self.call(Method::PUT, &path, &[], part.to_vec(), StatusCode::OK)
                .await?;
        }
        let done = json!({ "content_hash": content_hash(bytes, PART) }).to_string();
        let path = format!("{url}/complete");
        let file = self
            .call(Method::POST, &path, &[], done.into_bytes(), StatusCode::OK)
            .await?;
        if file["bytes"] != bytes.len() {
            return Err(format!("{key}: completed as {file}"));
        }
        Ok(())
    }

    /// The names in folder `dir`'s listing, from the next instance in turn.
    async fn list(&self, dir: &str) -> Result<Vec<String>, String> {
        let rfsapi = [("X-Raw-Filesystem-API", "1".to_owned())];
        let path = format!("/{dir}/");
        let listing = self
            .call(Method::GET, &path, &rfsapi, Vec::new(), StatusCode::OK)
            .await?;
        self.listings.fetch_add(1, Ordering::Relaxed);
        let files = listing["files"]
            .as_array()
            .ok_or("a listing without files")?;
        Ok(files
            .iter()
            .filter_map(|file| file["name"].as_str().map(str::to_owned))
            .collect())
    }

    /// Client `c`: files into `ROOT/c{c}` until `until`, listing every fourth step.
    async fn client(self, root: String, c: usize, until: Instant) {
        let dir = format!("{root}/c{c:02}");
        let mut mine: Vec<String> = Vec::new();
        let mut step = 0usize;
        while Instant::now() < until {
            step += 1;
            let outcome = if step % 4 == 0 {
                self.listed(&dir, &mine).await
            } else {
                self.upload(&dir, c, &mut mine).await
            };
            if let Err(error) = outcome {
                self.errors.lock().expect("errors").push(error);
                return;
            }
        }
    }

    /// A file of the mix: 1 in 48 a parts session of 5–8 MiB, 1 in 48 a `PUT`
    /// of 1–4 MiB, the rest `PUT`s of 1–64 KiB (the cluster keeps two copies of
    /// each on the one disk of the machine: some 400 MiB a run, not more).
    async fn upload(&self, dir: &str, c: usize, mine: &mut Vec<String>) -> Result<(), String> {
        let n = mine.len() + 1;
        let seed = (c * 100_003 + n) as u64;
        let name = format!("f{n:04}.bin");
        let key = format!("{dir}/{name}");
        let bytes = match (c + n) % 48 {
            0 => {
                let len = (5 << 20) + (seed as usize * 7919) % (3 << 20);
                let bytes = random_bytes(seed, len);
                self.parts(&key, &bytes).await?;
                bytes
            }
            24 => {
                let bytes = random_bytes(seed, (1 << 20) + (seed as usize * 7919) % (3 << 20));
                self.put(&key, bytes.clone()).await?;
                bytes
            }
            _ => {
                let bytes = random_bytes(seed, 1024 + (seed as usize * 7919) % (63 << 10));
                self.put(&key, bytes.clone()).await?;
                bytes
            }
        };
        let digest = hex_sha256(&bytes);
        self.stored
            .lock()
            .expect("stored")
            .insert(key, (bytes.len(), digest));
        mine.push(name);
        Ok(())
    }

    /// The folder's listing shows every file finished so far.
    async fn listed(&self, dir: &str, mine: &[String]) -> Result<(), String> {
        if mine.is_empty() {
            return Ok(());
        }
        let listed = self.list(dir).await?;
        match mine.iter().find(|name| !listed.contains(name)) {
            Some(missing) => Err(format!("{dir}: {missing} finished but not listed")),
            None => Ok(()),
        }
    }
}

/// What one run did.
struct Run {
    instances: usize,
    files: usize,
    bytes: usize,
    listings: usize,
    seconds: f64,
}

impl Run {
    fn files_per_s(&self) -> f64 {
        self.files as f64 / self.seconds
    }

    fn mib_per_s(&self) -> f64 {
        self.bytes as f64 / MIB / self.seconds
    }

    fn row(&self) -> String {
        format!(
            "| {} | {} | {:.1} MiB | {} | {:.1} s | {:.1} | {:.2} |",
            self.instances,
            self.files,
            self.bytes as f64 / MIB,
            self.listings,
            self.seconds,
            self.files_per_s(),
            self.mib_per_s()
        )
    }
}

/// Runs the load against `servers` into folder `root`, then checks the bucket
/// and every instance's listings.
async fn run(raw: &AmazonS3, servers: &[&LoggedServer], root: &str) -> Run {
    let load = Load::new(servers.iter().map(|server| server.url("")).collect());
    let started = Instant::now();
    let until = started + PHASE;
    let clients =
        (0..CLIENTS).map(|c| tokio::spawn(load.clone().client(root.to_owned(), c, until)));
    for client in clients.collect::<Vec<_>>() {
        client.await.expect("a client");
    }
    let seconds = started.elapsed().as_secs_f64();
    let errors = load.errors.lock().expect("errors").clone();
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    let stored = load.stored.lock().expect("stored").clone();

    // Every file in the bucket with its bytes, and nothing else.
    let listed: Vec<_> = raw
        .list(Some(&Key::from(format!("team/{root}"))))
        .try_collect()
        .await
        .expect("list the bucket");
    let mut in_bucket: Vec<String> = listed
        .iter()
        .filter_map(|meta| {
            meta.location
                .as_ref()
                .strip_prefix("team/")
                .map(str::to_owned)
        })
        .collect();
    in_bucket.sort();
    assert_eq!(
        in_bucket,
        stored.keys().cloned().collect::<Vec<_>>(),
        "the bucket's objects"
    );
    let checks = stored.iter().map(|(key, (size, digest))| async move {
        let bytes = raw
            .get(&Key::from(format!("team/{key}")))
            .await
            .map_err(|error| format!("{key}: {error}"))?
            .bytes()
            .await
            .map_err(|error| format!("{key}: {error}"))?;
        if bytes.len() != *size || hex_sha256(&bytes) != *digest {
            return Err(format!("{key}: {} bytes, not the ones sent", bytes.len()));
        }
        Ok(())
    });
    let wrong: Vec<String> = futures_util::stream::iter(checks)
        .buffer_unordered(16)
        .filter_map(|checked| async move { checked.err() })
        .collect()
        .await;
    assert!(wrong.is_empty(), "{wrong:?}");

    // Every instance lists every client's folder whole.
    for c in 0..CLIENTS {
        let dir = format!("{root}/c{c:02}");
        let mut expected: Vec<String> = stored
            .keys()
            .filter_map(|key| key.strip_prefix(&format!("{dir}/")).map(str::to_owned))
            .collect();
        expected.sort();
        for server in servers {
            let names = super::names_with(server, &format!("/{dir}/")).await;
            assert_eq!(names, expected, "{dir} on {}", server.url(""));
        }
    }
    Run {
        instances: servers.len(),
        files: stored.len(),
        bytes: stored.values().map(|(size, _)| size).sum(),
        listings: load.listings.load(Ordering::Relaxed),
        seconds,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_clients_on_three_instances_then_one() {
    let cluster = super::common::seaweed_cluster::cluster().await;
    let bucket = cluster.new_bucket().await;
    let raw = super::common::seaweed::client(&cluster.endpoint, &bucket);
    let (servers, _client) = writable_instances(&cluster.endpoint, &bucket);
    let three = run(&raw, &servers.iter().collect::<Vec<_>>(), "load-3").await;
    let mut servers = servers.into_iter();
    let one = servers.next().expect("an instance");
    for idle in servers {
        let _ = idle.stop();
    }
    let single = run(&raw, &[&one], "load-1").await;

    let ratio = three.files_per_s() / single.files_per_s();
    let table = format!(
        "# Scale-out load test (`cargo test -p skiff-server --test scale_out -- load::`)\n\n\
         {CLIENTS} concurrent clients for {} s per run, on one SeaweedFS cluster (a master, \
         three volume servers, a filer with S3) on loopback, debug build, a shared 2-core \
         machine: whole-file PUTs of 1 KiB–4 MiB and parts sessions of 5–8 MiB, with a \
         listing every fourth step; requests spread over the instances in turn; zero \
         errors, every file's SHA-256 checked in the bucket.\n\n\
         | instances | files | bytes | listings | time | files/s | MiB/s |\n\
         |---|---|---|---|---|---|---|\n{}\n{}\n\n\
         3 instances vs 1: {ratio:.2}× the files/s, {:.2}× the MiB/s.\n",
        PHASE.as_secs(),
        three.row(),
        single.row(),
        three.mib_per_s() / single.mib_per_s(),
    );
    println!("{table}");
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .join("scale-out-load.md");
    std::fs::write(&target, &table).expect("write the report");
    println!("written to {}", target.display());
    assert!(
        three.files > CLIENTS && single.files > CLIENTS,
        "too little load"
    );
}
