//! `cargo xtask test`: everything CI checks, stopping at the first failure.
//!
//! 0. `cargo fmt --check`, and `cargo clippy --all-targets -- -D warnings` for both
//!    targets (the workspace on the host, the app on wasm32): the line CI holds for all.
//! 1. `cargo test --workspace`, including the server's end-to-end tests in Chromium.
//! 2. The app's component tests in Chromium (wasm-bindgen-test), against a real server.

use crate::build::Artifacts;
use crate::server::RunningServer;
use crate::util::Counts;
use crate::{build, setup, util};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One step of the suite; the first that fails ends the run. Returns what its runners
/// counted.
type Stage = fn(&Artifacts) -> Result<Counts>;

pub fn run() -> Result<()> {
    let started = Instant::now();
    setup::run()?;
    lint()?;
    let artifacts = build::run()?;
    let built = started.elapsed();

    let mut timings = vec![("setup and build", built)];
    let mut total = Counts::default();
    let stages: [(&str, Stage); 2] = [
        ("workspace tests", workspace_tests),
        ("app browser tests", app_browser_tests),
    ];
    for (name, stage) in stages {
        println!("test: {name}");
        let stage_started = Instant::now();
        total += stage(&artifacts).with_context(|| format!("test: {name} failed"))?;
        timings.push((name, stage_started.elapsed()));
    }

    let parts: Vec<String> = timings
        .iter()
        .map(|(name, took)| format!("{name} {}", util::human_duration(*took)))
        .collect();
    println!(
        "test: all passed in {} ({})",
        util::human_duration(started.elapsed()),
        parts.join(", ")
    );
    if total.passed == 0 {
        anyhow::bail!("test: the runners reported no test at all");
    }
    // The plain closing line CI reads (several runners ran; their last line alone would
    // only speak for the last of them).
    println!(
        "{} passed, {} failed, {} skipped",
        total.passed, total.failed, total.ignored
    );
    Ok(())
}

/// Formatting, then clippy with warnings as errors on the host (every crate, tests and
/// benches included) and on wasm32 (the app, as it ships and as its browser tests build).
fn lint() -> Result<()> {
    util::run(util::cargo().args(["fmt", "--all", "--check"]))?;
    util::run(util::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    util::run(util::cargo().args([
        "clippy",
        "-p",
        "skiff",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn workspace_tests(artifacts: &Artifacts) -> Result<Counts> {
    util::run_tests(
        util::cargo()
            .args(["test", "--workspace", "--no-fail-fast"])
            .envs(artifacts.test_env()),
    )
}

/// The wasm tests read `SKIFF_TEST_SERVER` at compile time (`option_env!`), and are served
/// from wasm-bindgen-test-runner's own origin, hence the server's permissive CORS here.
fn app_browser_tests(artifacts: &Artifacts) -> Result<Counts> {
    let fixture = wasm_fixture(&util::target_dir())?;
    let server = RunningServer::start(
        &artifacts.server,
        &fixture,
        &["--listen", "127.0.0.1:0", "--cors-origin", "*"],
    )?;
    let root = util::repo_root();
    let result = util::run_tests(
        util::cargo()
            .args(["test", "-p", "skiff", "--target", "wasm32-unknown-unknown"])
            .env("SKIFF_TEST_SERVER", server.url.trim_end_matches('/'))
            .env("CHROMEDRIVER", util::CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
            .env(
                "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                root.join("webdriver.json"),
            ),
    );
    drop(server);
    result
}

/// The tree the app's browser tests expect, rebuilt from scratch each run.
fn wasm_fixture(target_dir: &Path) -> Result<PathBuf> {
    let root = target_dir.join("wasm-fixture");
    if root.exists() {
        std::fs::remove_dir_all(&root).with_context(|| format!("removing {}", root.display()))?;
    }
    for dir in ["alpha/one", "alpha/two", "beta", "empty"] {
        std::fs::create_dir_all(root.join(dir))?;
    }
    let files: [(&str, Vec<u8>); 4] = [
        ("alpha/note.txt", b"hello\n".to_vec()),
        ("a.txt", b"abc".to_vec()),
        ("b.bin", (0..1024).map(|i| (i % 251) as u8).collect()),
        ("zeta.md", b"# zeta\n\nz\n".to_vec()),
    ];
    for (path, contents) in files {
        std::fs::write(root.join(path), contents)?;
    }
    Ok(root)
}
