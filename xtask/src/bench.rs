//! `cargo xtask bench`: the browse benchmark (server and app on 100,000 entries), the
//! upload benchmark (the app against curl, tus-js-client → @tus/server and dufs's page on
//! 1 GiB, its memory on 4 GiB, 10,000 and 1,000 dropped files), the storage benchmark (S3
//! through skiff-server against S3 directly, on SeaweedFS: 1 GiB upload, 10,000-object
//! listing) and the app bundle size, as one Markdown table printed and written to
//! `target/bench.md`.

use crate::{build, setup, util};
use anyhow::{bail, Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

const HEADER: &str = "| Measurement | Value |\n|---|---|";

/// The bench targets of `skiff-server` (`server/benches/NAME.rs`), run in this order.
const BENCHES: &[&str] = &["browse", "upload", "storage"];

pub fn run() -> Result<()> {
    setup::run()?;
    setup::bench_tools()?;
    let artifacts = build::run()?;
    let mut rows = Vec::new();
    for name in BENCHES {
        rows.extend(server_bench(&artifacts, name)?);
    }
    rows.extend(bundle_rows(&artifacts.dist)?);

    let table = format!("{HEADER}\n{}\n", rows.join("\n"));
    let report = util::target_dir().join("bench.md");
    std::fs::write(&report, &table).with_context(|| format!("writing {}", report.display()))?;
    println!("\n{table}\nbench: written to {}", report.display());
    Ok(())
}

/// Runs `server/benches/NAME.rs`, echoing its output, and keeps the rows of the Markdown
/// table it prints (every line starting with `|` except its header).
fn server_bench(artifacts: &build::Artifacts, name: &str) -> Result<Vec<String>> {
    let mut command = util::cargo();
    command
        .args(["bench", "-p", "skiff-server", "--bench", name])
        // With SKIFF_WEED: the storage benchmark's SeaweedFS.
        .envs(artifacts.test_env())
        // The upload benchmark's peers (see `setup::bench_tools`).
        .env("SKIFF_BENCH_NODE_MODULES", setup::node_modules())
        .env("SKIFF_BENCH_DUFS", setup::dufs_binary())
        .stdout(Stdio::piped());
    println!("$ {}", util::describe(&command));
    let mut child = command.spawn().context("could not start cargo bench")?;
    let Some(stdout) = child.stdout.take() else {
        bail!("no stdout pipe to cargo bench");
    };
    let mut rows = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading cargo bench output")?;
        println!("{line}");
        let is_header = HEADER.lines().any(|header| header == line.trim());
        if line.starts_with('|') && !is_header {
            rows.push(line);
        }
    }
    let status = child.wait().context("waiting for cargo bench")?;
    if !status.success() {
        bail!("cargo bench --bench {name} failed ({status})");
    }
    if rows.is_empty() {
        bail!("the {name} benchmark printed no table rows");
    }
    Ok(rows)
}

/// Raw and `gzip -9` sizes of the app's wasm, js and css, and their total.
fn bundle_rows(dist: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    collect_files(dist, &mut files)?;
    let mut rows = Vec::new();
    let (mut total_raw, mut total_gzip) = (0, 0);
    for kind in ["wasm", "js", "css"] {
        let (mut raw, mut gzip) = (0, 0);
        for file in files
            .iter()
            .filter(|f| f.extension().is_some_and(|ext| ext == kind))
        {
            let bytes =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            raw += bytes.len();
            gzip += gzip_len(&bytes)?;
        }
        rows.push(format!("| app bundle: {kind}, raw | {} |", kib(raw)));
        rows.push(format!("| app bundle: {kind}, gzip -9 | {} |", kib(gzip)));
        total_raw += raw;
        total_gzip += gzip;
    }
    rows.push(format!("| app bundle: total, raw | {} |", kib(total_raw)));
    rows.push(format!(
        "| app bundle: total, gzip -9 | {} |",
        kib(total_gzip)
    ));
    // What a browser that accepts brotli is sent: the build's `.br` beside each file.
    let brotli = files
        .iter()
        .filter(|f| f.extension().is_some_and(|ext| ext == "br"))
        .map(|f| std::fs::metadata(f).map(|m| m.len() as usize))
        .sum::<std::io::Result<usize>>()
        .context("reading the sizes of the .br files")?;
    rows.push(format!(
        "| app bundle: first load as served with Accept-Encoding: br (shell, js, wasm, css; goal ≤ 250 KiB) | {} |",
        kib(brotli)
    ));
    Ok(rows)
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}
