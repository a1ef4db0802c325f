//! Server memory while it streams a 4 GiB folder as one ZIP (issue 12's goal: server RSS
//! ≤ 64 MiB): a folder of a sparse 4 GiB file and 1,000 small files, fetched as
//! `{raw}/zip` by a bare HTTP/1.0 client that reads the body and drops it, while the
//! server's resident memory (`/proc/PID/status` `VmRSS`) is sampled every 50 ms. Beside
//! it, in the same run, the ZIP again (warm) and the same 4 GiB file fetched as itself:
//! the warm ZIP's throughput is reported as a ratio of that plain download's.

use std::time::{Duration, Instant};

use crate::browser::renderers::status_field;
use crate::browser::Server;
use crate::progress;
use crate::support::{mib_label, time_and_rate, GIB};

/// The big file in the folder.
const BIG: u64 = 4 * GIB;
/// Small files beside it.
const SMALL: usize = 1000;

/// Zips the folder and downloads the file, memory watched; returns the rows.
pub async fn measure() -> Vec<(String, String)> {
    let tree = tempfile::Builder::new()
        .prefix("skiff-bench-zip-")
        .tempdir()
        .expect("a temp folder for the ZIP benchmark");
    let folder = tree.path().join("huge");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::File::create(folder.join("zeros.bin"))
        .and_then(|file| file.set_len(BIG))
        .expect("a sparse 4 GiB file");
    for i in 0..SMALL {
        std::fs::write(
            folder.join(format!("small-{i:04}.txt")),
            format!("{i:08}\n"),
        )
        .expect("a small file");
    }
    let server = Server::start(tree.path(), &[]);
    let pid = server.pid();
    let raw = skiff_protocol::RAW_PATH;
    let idle = rss(pid);

    progress("zip: the 4 GiB folder as one ZIP, server memory watched");
    let zip = fetch(&server.url, &format!("{raw}/zip?ref=path:/huge"), pid).await;
    progress(&format!(
        "zip: {} in {}, server RSS {} → peak {}",
        mib_label(zip.bytes as f64),
        time_and_rate(zip.bytes, zip.time),
        mib_label(idle as f64),
        mib_label(zip.peak as f64)
    ));
    // Once more, the server and the page cache warm.
    let again = fetch(&server.url, &format!("{raw}/zip?ref=path:/huge"), pid).await;
    progress(&format!(
        "zip: again in {}",
        time_and_rate(again.bytes, again.time)
    ));
    let plain = fetch(&server.url, "/huge/zeros.bin", pid).await;
    progress(&format!(
        "zip: the file alone in {}",
        time_and_rate(plain.bytes, plain.time)
    ));
    drop(server);
    assert!(
        zip.bytes > BIG,
        "the ZIP holds the whole file: {} bytes",
        zip.bytes
    );
    assert_eq!(plain.bytes, BIG, "the file's length");

    let rate = |bytes: u64, time: Duration| bytes as f64 / time.as_secs_f64().max(1e-9);
    vec![
        (
            format!(
                "ZIP of a 4 GiB folder ({} small files beside a 4 GiB one): server RSS peak above idle (goal ≤ 64 MiB; VmRSS every 50 ms)",
                SMALL
            ),
            format!(
                "+{} (idle {} → peak {})",
                mib_label(zip.peak.saturating_sub(idle) as f64),
                mib_label(idle as f64),
                mib_label(zip.peak as f64)
            ),
        ),
        (
            "ZIP of that folder, first / again / the 4 GiB file alone, streamed over loopback"
                .to_owned(),
            format!(
                "{} / {} / {} (again: {:.2}× the plain download's throughput)",
                time_and_rate(zip.bytes, zip.time),
                time_and_rate(again.bytes, again.time),
                time_and_rate(plain.bytes, plain.time),
                rate(again.bytes, again.time) / rate(plain.bytes, plain.time)
            ),
        ),
    ]
}

/// What one streamed download took.
struct Fetched {
    bytes: u64,
    time: Duration,
    /// The server's largest resident memory seen meanwhile, in bytes.
    peak: u64,
}

/// GETs `path` from the server at `url` over a bare HTTP/1.0 connection, reading and
/// dropping the body, sampling the server's memory. HTTP/1.0 so that the body is not
/// chunked but ends with the connection: what is timed is the server, not a client's
/// chunked decoding (reqwest took 12 s for a ZIP that Python's `http.client` and this read
/// in 3 s, as fast as the plain file).
async fn fetch(url: &str, path: &str, pid: u32) -> Fetched {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = url.trim_start_matches("http://");
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect to the server");
    let request = format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut buffer = vec![0u8; 1 << 20];
    let (mut total, mut head, mut peak) = (0u64, Vec::new(), rss(pid));
    let mut header_len = None;
    let mut sampled = Instant::now();
    loop {
        let read = stream.read(&mut buffer).await.expect("read the answer");
        if read == 0 {
            break;
        }
        total += read as u64;
        if header_len.is_none() {
            head.extend_from_slice(&buffer[..read]);
            if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                assert!(head.starts_with(b"HTTP/1."), "an HTTP answer");
                let status = String::from_utf8_lossy(&head[..head.len().min(12)]).into_owned();
                assert!(status.ends_with("200"), "{path}: {status}");
                header_len = Some(end as u64 + 4);
                head = Vec::new();
            }
        }
        if sampled.elapsed() >= Duration::from_millis(50) {
            peak = peak.max(rss(pid));
            sampled = Instant::now();
        }
    }
    peak = peak.max(rss(pid));
    Fetched {
        bytes: total - header_len.expect("the answer's headers"),
        time: started.elapsed(),
        peak,
    }
}

/// The process's resident memory in bytes (0 if unreadable).
fn rss(pid: u32) -> u64 {
    status_field(pid, "VmRSS:").map_or(0, |bytes| bytes as u64)
}
