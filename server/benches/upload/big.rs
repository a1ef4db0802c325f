//! One 1 GiB file uploaded by every client, side by side: the app, tus-js-client (one
//! `PATCH`, and 8 MiB chunks) to @tus/server, dufs's page, and `curl -T`, all pages in the
//! same Chromium. Rounds are interleaved (each round runs every client once) so that a
//! slow spell of the machine hits all of them; every copy is checked on disk (SHA-256).
//! Each page's renderer is watched too: how far its resident memory rises above idle.

use std::path::Path;
use std::time::Duration;

use crate::browser::Browser;
use crate::files::{generate, verify};
use crate::memory::Rss;
use crate::peers::{self, Dufs, Tus};
use crate::support::{
    median, median_f64, mib_label, mib_number, mib_per_s, seconds, size_label, time_and_rate, GIB,
    MIB,
};
use crate::{app, progress, Row};

/// The file every client uploads.
const BIG: u64 = GIB;
/// Rounds of every client.
const ROUNDS: usize = 3;
/// tus-js-client's chunked variant.
const TUS_CHUNK: u64 = 8 * MIB;

/// One client of the comparison.
#[derive(Clone, Copy, PartialEq)]
enum Client {
    App,
    /// tus-js-client with this `chunkSize` (`None`: Infinity, one `PATCH`).
    Tus(Option<u64>),
    Dufs,
    Curl,
}

const CLIENTS: [Client; 5] = [
    Client::App,
    Client::Tus(None),
    Client::Tus(Some(TUS_CHUNK)),
    Client::Dufs,
    Client::Curl,
];

/// The medians, for the memory run's size estimate.
pub struct BigResult {
    pub rows: Vec<Row>,
    /// The app's median time for 1 GiB.
    pub app_per_gib: Duration,
}

pub async fn measure(browser: &Browser, server: &str, tree: &Path, sources: &Path) -> BigResult {
    let tus = Tus::start();
    let dufs = Dufs::start();
    let curl_label = format!("curl {} -T → skiff-server (one PUT)", peers::curl_version());
    let label = |client: Client| match client {
        Client::App => "Skiff app → skiff-server".to_owned(),
        Client::Tus(None) => format!("{}, chunkSize Infinity", tus.label),
        Client::Tus(Some(chunk)) => format!("{}, {} chunks", tus.label, size_label(chunk)),
        Client::Dufs => format!("{}'s own page (one PUT)", dufs.label),
        Client::Curl => curl_label.clone(),
    };

    let big = sources.join("big.bin");
    let sha = generate(&big, BIG, 0x5eed_0001);
    progress(&format!(
        "generated {} ({}), SHA-256 {sha}",
        big.display(),
        size_label(BIG)
    ));
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); CLIENTS.len()];
    // Each page's renderer growth above idle, per round (none for curl).
    let mut growths: Vec<Vec<f64>> = vec![Vec::new(); CLIENTS.len()];
    let mut slices = None;
    for round in 1..=ROUNDS {
        for (index, client) in CLIENTS.into_iter().enumerate() {
            let (elapsed, renderer): (Duration, Option<Rss>) = match client {
                Client::App => {
                    let folder = format!("app-{round}");
                    std::fs::create_dir(tree.join(&folder)).expect("a folder for the app");
                    let upload = app::upload(browser, server, &folder, &big, true).await;
                    if slices.is_none() {
                        slices = app::read_slices(browser, TUS_CHUNK).await;
                    }
                    verify(&tree.join(&folder).join("big.bin"), BIG, &sha);
                    std::fs::remove_dir_all(tree.join(&folder)).expect("remove the app's copy");
                    (
                        upload.elapsed,
                        upload.memory.and_then(|memory| memory.renderer),
                    )
                }
                Client::Tus(chunk) => {
                    let upload = tus.upload(browser, &big, chunk, BIG, &sha).await;
                    (upload.elapsed, upload.renderer)
                }
                Client::Dufs => {
                    let upload = dufs.upload(browser, &big, BIG, &sha).await;
                    (upload.elapsed, upload.renderer)
                }
                Client::Curl => {
                    let name = format!("curl-{round}.bin");
                    let elapsed = peers::curl_put(&big, &format!("{server}/{name}")).await;
                    verify(&tree.join(&name), BIG, &sha);
                    std::fs::remove_file(tree.join(&name)).expect("remove curl's copy");
                    (elapsed, None)
                }
            };
            let memory = match &renderer {
                Some(rss) => {
                    growths[index].push(rss.peak - rss.before);
                    format!(
                        ", renderer {} → peak {} MiB",
                        mib_label(rss.before),
                        mib_number(rss.peak)
                    )
                }
                None => String::new(),
            };
            progress(&format!(
                "round {round}/{ROUNDS}: {} {}{memory}, SHA-256 checked",
                label(client),
                time_and_rate(BIG, elapsed)
            ));
            times[index].push(elapsed);
        }
    }
    std::fs::remove_file(&big).expect("remove the generated file");

    let medians: Vec<Duration> = times.iter().map(|runs| median(runs)).collect();
    let of = |client: Client| {
        let index = CLIENTS.iter().position(|c| *c == client).expect("a client");
        medians[index]
    };
    let size = size_label(BIG);
    let mut rows: Vec<Row> = CLIENTS
        .into_iter()
        .enumerate()
        .map(|(index, client)| {
            let growth = &growths[index];
            let memory = if growth.is_empty() {
                String::new()
            } else {
                format!(
                    "; renderer RSS peak +{} above idle",
                    mib_label(median_f64(growth))
                )
            };
            (
                format!("upload {size}: {} (median of {ROUNDS})", label(client)),
                format!("{}{memory}", time_and_rate(BIG, of(client))),
            )
        })
        .collect();
    // Throughput ratios: the app's MiB/s over the other's (> 1 means the app is faster).
    let app = mib_per_s(BIG, of(Client::App));
    let ratio = |other: Duration| app / mib_per_s(BIG, other);
    rows.push((
        format!("upload {size}: app vs curl -T (throughput ratio, goal ≥ 0.8×)"),
        format!("{:.2}×", ratio(of(Client::Curl))),
    ));
    let best_tus = of(Client::Tus(None)).min(of(Client::Tus(Some(TUS_CHUNK))));
    rows.push((
        format!(
            "upload {size}: app vs tus-js-client → @tus/server (the faster of its two \
             chunk sizes; throughput ratio, goal ≥ 2×)"
        ),
        format!("{:.2}×", ratio(best_tus)),
    ));
    rows.push((
        format!("upload {size}: app vs dufs's page (throughput ratio)"),
        format!("{:.2}×", ratio(of(Client::Dufs))),
    ));
    if let Some((read, hashed)) = slices {
        rows.push((
            format!(
                "{size} in the page without uploading: reading it in {} slices / reading \
                 and hashing each with WebCrypto SHA-256 (for comparison)",
                size_label(TUS_CHUNK)
            ),
            format!("{} / {}", seconds(read), seconds(hashed)),
        ));
    }
    BigResult {
        rows,
        app_per_gib: of(Client::App).mul_f64(GIB as f64 / BIG as f64),
    }
}
