//! End-to-end resilience: the browser uploads through a loopback TCP proxy (written here)
//! that cuts connections mid-request, and through a server that is killed and restarted
//! mid-upload, once with sequential chunks (a v1 server: chunks under `min_part`) and once
//! with parallel parts. The upload still completes and every byte on disk matches.

mod browser;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use browser::uploads::*;
use browser::{Browser, Server};

/// A TCP proxy on an ephemeral loopback port that forwards to `target` and, when
/// `cut_after` is set, drops each connection once it has carried that many bytes upstream.
struct CuttingProxy {
    addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    cuts: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl CuttingProxy {
    fn start(target: SocketAddr, cut_after: Option<u64>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let target = Arc::new(Mutex::new(target));
        let cuts = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (shared_target, shared_cuts, shared_stop) =
            (target.clone(), cuts.clone(), stop.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if shared_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let upstream_addr = *shared_target.lock().expect("target lock");
                let cuts = shared_cuts.clone();
                thread::spawn(move || relay(client, upstream_addr, cut_after, cuts));
            }
        });
        Self {
            addr,
            target,
            cuts,
            stop,
        }
    }

    fn retarget(&self, target: SocketAddr) {
        *self.target.lock().expect("target lock") = target;
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Copies both ways; the upstream direction counts bytes and cuts at the limit.
fn relay(client: TcpStream, upstream: SocketAddr, cut_after: Option<u64>, cuts: Arc<AtomicU64>) {
    let Ok(server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(2)) else {
        // The server is down: the browser sees a dropped connection, as it would.
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let (mut client_read, mut server_write) = match (client.try_clone(), server.try_clone()) {
        (Ok(c), Ok(s)) => (c, s),
        _ => return,
    };
    let (mut server_read, mut client_write) = (server, client);
    let downstream = thread::spawn(move || {
        let _ = std::io::copy(&mut server_read, &mut client_write);
        let _ = client_write.shutdown(Shutdown::Both);
        let _ = server_read.shutdown(Shutdown::Both);
    });
    let mut carried = 0u64;
    let mut buffer = vec![0u8; 64 * 1024];
    while let Ok(n) = client_read.read(&mut buffer) {
        if n == 0 {
            break;
        }
        let allowed = match cut_after {
            Some(limit) if carried + n as u64 >= limit => {
                let part = (limit - carried) as usize;
                let _ = server_write.write_all(&buffer[..part]);
                cuts.fetch_add(1, Ordering::SeqCst);
                break;
            }
            _ => n,
        };
        if server_write.write_all(&buffer[..allowed]).is_err() {
            break;
        }
        carried += allowed as u64;
    }
    let _ = server_write.shutdown(Shutdown::Both);
    let _ = client_read.shutdown(Shutdown::Both);
    let _ = downstream.join();
}

fn socket_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://")
        .parse()
        .expect("the server's address")
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_completes_through_a_proxy_that_cuts_connections() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let file = write_source(sources.path(), "resilient.bin", 12 * 1024 * 1024 + 777, 41);
    // 512 KiB chunks, under the server's smallest part: a sequential (v1) session. Every
    // connection dies after 2.5 MB: each keep-alive connection carries four chunks, then
    // the fifth is cut in the middle.
    let server = Server::start(tree.path(), &["--writable", "--max-chunk", "524288"]);
    let proxy = CuttingProxy::start(socket_of(&server.url), Some(2_500_000));
    let browser = Browser::start().await;
    browser.open(&format!("{}/", proxy.url())).await;
    wait_for_uploads_enabled(&browser).await;
    pick_files(&browser, "files", &file).await;
    wait_done(&browser, Duration::from_secs(120)).await;
    assert_eq!(
        sha256_of(&tree.path().join("resilient.bin")),
        sha256_of(&file)
    );
    let cuts = proxy.cuts.load(Ordering::SeqCst);
    assert!(
        cuts >= 3,
        "the proxy cut only {cuts} connections: the test proved nothing"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_survives_the_server_being_killed_and_restarted() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let file = write_source(sources.path(), "resilient.bin", 24 * 1024 * 1024, 42);
    let args = ["--writable", "--max-chunk", "262144"];
    let server = Server::start(tree.path(), &args);
    let proxy = CuttingProxy::start(socket_of(&server.url), None);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", proxy.url())).await;
    wait_for_uploads_enabled(&browser).await;
    pick_files(&browser, "files", &file).await;
    wait_for_progress(&browser, 0.25).await;
    // Kill -9 (the harness kills on drop), leave it down for a moment, start it again.
    drop(server);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let restarted = Server::start(tree.path(), &args);
    proxy.retarget(socket_of(&restarted.url));
    wait_done(&browser, Duration::from_secs(180)).await;
    assert_eq!(
        sha256_of(&tree.path().join("resilient.bin")),
        sha256_of(&file)
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_parts_complete_through_a_proxy_that_cuts_connections() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let file = write_source(sources.path(), "parts cut.bin", 300 * 1024 * 1024, 43);
    let server = Server::start(tree.path(), &["--writable"]);
    // 8 MiB parts; every connection dies after 20 MB: two parts, then the third is cut.
    let proxy = CuttingProxy::start(socket_of(&server.url), Some(20_000_000));
    let browser = Browser::start().await;
    browser.open(&format!("{}/", proxy.url())).await;
    wait_for_uploads_enabled(&browser).await;
    record_requests(&browser).await;
    pick_files(&browser, "files", &file).await;
    let url = wait_for_session(&browser).await;
    assert!(
        server_session(&proxy.url(), &url).await["parts"].is_array(),
        "not a parts session"
    );
    wait_done(&browser, Duration::from_secs(300)).await;
    assert_eq!(
        sha256_of(&tree.path().join("parts cut.bin")),
        sha256_of(&file)
    );
    let cuts = proxy.cuts.load(Ordering::SeqCst);
    assert!(
        cuts >= 3,
        "the proxy cut only {cuts} connections: the test proved nothing"
    );
    assert!(most_at_once(&part_requests(&browser).await) >= 2);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_parts_survive_the_server_being_killed_and_restarted() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    let file = write_source(sources.path(), "parts killed.bin", 300 * 1024 * 1024, 44);
    let server = Server::start(tree.path(), &["--writable"]);
    let proxy = CuttingProxy::start(socket_of(&server.url), None);
    let browser = Browser::start().await;
    browser.open(&format!("{}/", proxy.url())).await;
    wait_for_uploads_enabled(&browser).await;
    pick_files(&browser, "files", &file).await;
    let url = wait_for_session(&browser).await;
    wait_for_progress(&browser, 0.2).await;
    // Kill -9 with parts in flight, leave it down for a moment, start it again.
    drop(server);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let restarted = Server::start(tree.path(), &["--writable"]);
    proxy.retarget(socket_of(&restarted.url));
    // The parts acknowledged before the kill are still there after it.
    let durable = durable_parts(&server_session(&proxy.url(), &url).await);
    assert!(!durable.is_empty(), "nothing survived the kill");
    wait_done(&browser, Duration::from_secs(300)).await;
    assert_eq!(
        sha256_of(&tree.path().join("parts killed.bin")),
        sha256_of(&file)
    );
    browser.close().await;
}
