//! One 1 GiB file uploaded by every client, side by side: the app, tus-js-client (one
//! `PATCH`, and 8 MiB chunks) to @tus/server, dufs's page, and `curl -T`, all pages in the
//! same Chromium. Rounds are interleaved (each round runs every client once) so that a
//! slow spell of the machine hits all of them; every copy is checked on disk (SHA-256).
//! Each page's renderer is watched too: how far its resident memory rises above idle.

use std::path::Path;
use std::time::Duration;

use crate::browser::Browser;
use crate::cpu::{children_cpu, cores};
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
/// Rounds of every client (`SKIFF_BENCH_UPLOAD_ROUNDS` overrides, for working on one).
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

/// Whether `client` runs: all by default; `SKIFF_BENCH_UPLOAD_CLIENTS=app,curl` (names
/// `app`, `tus`, `dufs`, `curl`) picks some, for working on one (rows of the others and
/// ratios to them are then left out).
fn wanted(client: Client) -> bool {
    let name = match client {
        Client::App => "app",
        Client::Tus(_) => "tus",
        Client::Dufs => "dufs",
        Client::Curl => "curl",
    };
    std::env::var("SKIFF_BENCH_UPLOAD_CLIENTS")
        .map(|only| only.split(',').any(|picked| picked.trim() == name))
        .unwrap_or(true)
}

fn rounds() -> usize {
    std::env::var("SKIFF_BENCH_UPLOAD_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .filter(|rounds| *rounds > 0)
        .unwrap_or(ROUNDS)
}

pub async fn measure(browser: &Browser, server: &str, tree: &Path, sources: &Path) -> BigResult {
    let rounds = rounds();
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
    // CPU time of every process each upload took (see `cpu.rs`).
    let mut cpu: Vec<Vec<Duration>> = vec![Vec::new(); CLIENTS.len()];
    let mut slices = None;
    for round in 1..=rounds {
        for (index, client) in CLIENTS.into_iter().enumerate() {
            if !wanted(client) {
                continue;
            }
            let (elapsed, renderer, spent): (Duration, Option<Rss>, Duration) = match client {
                Client::App => {
                    let folder = format!("app-{round}");
                    std::fs::create_dir(tree.join(&folder)).expect("a folder for the app");
                    let cpu_before = children_cpu();
                    let upload = app::upload(browser, server, &folder, &big, true).await;
                    let spent = children_cpu().saturating_sub(cpu_before);
                    if slices.is_none() {
                        slices = app::read_slices(browser, TUS_CHUNK).await;
                    }
                    verify(&tree.join(&folder).join("big.bin"), BIG, &sha);
                    std::fs::remove_dir_all(tree.join(&folder)).expect("remove the app's copy");
                    (
                        upload.elapsed,
                        upload.memory.and_then(|memory| memory.renderer),
                        spent,
                    )
                }
                Client::Tus(chunk) => {
                    let cpu_before = children_cpu();
                    let upload = tus.upload(browser, &big, chunk, BIG, &sha).await;
                    let spent = children_cpu().saturating_sub(cpu_before);
                    (upload.elapsed, upload.renderer, spent)
                }
                Client::Dufs => {
                    let cpu_before = children_cpu();
                    let upload = dufs.upload(browser, &big, BIG, &sha).await;
                    let spent = children_cpu().saturating_sub(cpu_before);
                    (upload.elapsed, upload.renderer, spent)
                }
                Client::Curl => {
                    let name = format!("curl-{round}.bin");
                    let cpu_before = children_cpu();
                    let elapsed = peers::curl_put(&big, &format!("{server}/{name}")).await;
                    let spent = children_cpu().saturating_sub(cpu_before);
                    verify(&tree.join(&name), BIG, &sha);
                    std::fs::remove_file(tree.join(&name)).expect("remove curl's copy");
                    (elapsed, None, spent)
                }
            };
            cpu[index].push(spent);
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
                "round {round}/{rounds}: {} {}{memory}, {} of CPU, SHA-256 checked",
                label(client),
                time_and_rate(BIG, elapsed),
                seconds(spent)
            ));
            times[index].push(elapsed);
        }
    }
    std::fs::remove_file(&big).expect("remove the generated file");

    let medians: Vec<Option<Duration>> = times
        .iter()
        .map(|runs| (!runs.is_empty()).then(|| median(runs)))
        .collect();
    let of = |client: Client| {
        let index = CLIENTS.iter().position(|c| *c == client).expect("a client");
        medians[index]
    };
    let size = size_label(BIG);
    let mut rows: Vec<Row> = CLIENTS
        .into_iter()
        .enumerate()
        .filter_map(|(index, client)| Some((index, client, of(client)?)))
        .map(|(index, client, median)| {
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
                format!("upload {size}: {} (median of {rounds})", label(client)),
                format!("{}{memory}", time_and_rate(BIG, median)),
            )
        })
        .collect();
    // Throughput ratios: the app's MiB/s over the other's (> 1 means the app is faster).
    if let Some(app) = of(Client::App) {
        let ratio = |other: Duration| mib_per_s(BIG, app) / mib_per_s(BIG, other);
        if let Some(curl) = of(Client::Curl) {
            rows.push((
                format!("upload {size}: app vs curl -T (throughput ratio, goal ≥ 0.8×)"),
                format!("{:.2}×", ratio(curl)),
            ));
        }
        let tus_times = [of(Client::Tus(None)), of(Client::Tus(Some(TUS_CHUNK)))];
        if let Some(best_tus) = tus_times.into_iter().flatten().min() {
            rows.push((
                format!(
                    "upload {size}: app vs tus-js-client → @tus/server (the faster of its two \
                     chunk sizes; throughput ratio, goal ≥ 2×)"
                ),
                format!("{:.2}×", ratio(best_tus)),
            ));
        }
        if let Some(dufs) = of(Client::Dufs) {
            rows.push((
                format!("upload {size}: app vs dufs's page (throughput ratio)"),
                format!("{:.2}×", ratio(dufs)),
            ));
        }
    }
    rows.extend(cpu_rows(&cpu, &of, rounds, &size));
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
        // Without the app's runs, the measured 15 s per GiB (for the memory run).
        app_per_gib: of(Client::App)
            .unwrap_or(Duration::from_secs(15))
            .mul_f64(GIB as f64 / BIG as f64),
    }
}

/// What each upload cost in CPU time (every process it took), and the fastest the app
/// could go on this machine's cores at its cost, against curl's measured speed: the
/// ceiling the hardware, not the code, puts on the app-vs-curl ratio.
fn cpu_rows(
    cpu: &[Vec<Duration>],
    of: &dyn Fn(Client) -> Option<Duration>,
    rounds: usize,
    size: &str,
) -> Vec<Row> {
    let cost = |client: Client| {
        let index = CLIENTS.iter().position(|c| *c == client)?;
        (!cpu[index].is_empty()).then(|| median(&cpu[index]))
    };
    let names = [
        (Client::App, "app".to_owned()),
        (Client::Tus(None), "tus (one PATCH)".to_owned()),
        (
            Client::Tus(Some(TUS_CHUNK)),
            format!("tus ({} chunks)", size_label(TUS_CHUNK)),
        ),
        (Client::Dufs, "dufs".to_owned()),
        (Client::Curl, "curl".to_owned()),
    ];
    let listed: Vec<String> = names
        .iter()
        .filter_map(|(client, name)| Some(format!("{name} {}", seconds(cost(*client)?))))
        .collect();
    let mut rows = Vec::new();
    if listed.is_empty() {
        return rows;
    }
    rows.push((
        format!(
            "upload {size}: CPU time it took, every process (browser, server, client; \
             median of {rounds})"
        ),
        listed.join(" · "),
    ));
    if let (Some(app_cpu), Some(curl)) = (cost(Client::App), of(Client::Curl)) {
        let cores = cores();
        // At most `cores` CPU-seconds per second: the app's throughput ceiling here.
        let ceiling = BIG as f64 / MIB as f64 * cores as f64 / app_cpu.as_secs_f64().max(1e-3);
        let curl_rate = mib_per_s(BIG, curl);
        rows.push((
            format!(
                "upload {size}: the app's ceiling on this machine's {cores} cores at that CPU \
                 cost, vs curl -T measured"
            ),
            format!("{ceiling:.0} MiB/s = {:.2}× curl", ceiling / curl_rate),
        ));
        // The cheapest page of all (often dufs's: one PUT of the file, nothing hashed)
        // bounds what any browser upload can reach here.
        let cheapest = names
            .iter()
            .filter(|(client, _)| *client != Client::Curl)
            .filter_map(|(client, name)| Some((cost(*client)?, name)))
            .min_by_key(|(spent, _)| *spent);
        if let Some((spent, name)) = cheapest {
            let ceiling = BIG as f64 / MIB as f64 * cores as f64 / spent.as_secs_f64().max(1e-3);
            rows.push((
                format!(
                    "upload {size}: any page's ceiling here, at the CPU cost of the cheapest \
                     page measured ({name}), vs curl -T measured"
                ),
                format!("{ceiling:.0} MiB/s = {:.2}× curl", ceiling / curl_rate),
            ));
        }
    }
    rows
}
