//! `cargo xtask build`: the app (scoped CSS bundle, Trunk, then brotli and gzip
//! variants of its files, `compress.rs`) and the server embedding it.

use crate::{compress, setup, util};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// The URL path the server mounts the app's static files under.
const PUBLIC_URL: &str = "/.skiff/app/";

/// What a build produces.
pub struct Artifacts {
    /// Trunk's output (`index.html`, wasm, js, css), absolute.
    pub dist: PathBuf,
    /// The release server binary, with `dist` embedded.
    pub server: PathBuf,
    /// The same app as a static build (`build --static`), for the hosting tests.
    pub static_dist: PathBuf,
}

impl Artifacts {
    /// The environment the server's build script and the end-to-end tests read.
    pub fn test_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SKIFF_APP_DIST", self.dist.display().to_string()),
            ("SKIFF_STATIC_DIST", self.static_dist.display().to_string()),
            ("CHROMEDRIVER", util::CHROMEDRIVER.to_string()),
            ("SKIFF_CHROMIUM", util::CHROMIUM.to_string()),
            (
                "SKIFF_AXE",
                crate::setup::axe_script().display().to_string(),
            ),
            (
                "SKIFF_WEED",
                crate::setup::weed_binary().display().to_string(),
            ),
        ]
    }
}

/// Builds the app for skiff-server (assets under [`PUBLIC_URL`]) and the server embedding it.
pub fn run() -> Result<Artifacts> {
    let dist = util::target_dir().join("dist");
    build_app(PUBLIC_URL, &dist)?;

    util::run(
        util::cargo()
            .args(["build", "--release", "-p", "skiff-server"])
            .env("SKIFF_APP_DIST", &dist),
    )?;
    let server = util::target_dir().join("release/skiff-server");
    if !server.is_file() {
        bail!("cargo finished but {} does not exist", server.display());
    }
    // The same wasm again (cargo's cache makes it quick), with relative asset URLs.
    let static_dist = run_static("./")?;
    println!("build: app in {}", dist.display());
    println!("build: server at {}", server.display());
    Ok(Artifacts {
        dist,
        server,
        static_dist,
    })
}

/// `cargo xtask build --static`: only the app, with relative asset URLs (`./`), so the one
/// output in `target/dist-static` works from any folder of any static host; or
/// `--public-url URL` for assets at a fixed `URL` (e.g. a CDN). Either way the shell says
/// it is a static build, so the app keeps its route in the fragment (no rewrite rules).
pub fn run_static(public_url: &str) -> Result<PathBuf> {
    let dist = util::target_dir().join("dist-static");
    build_app(public_url, &dist)?;
    mark_static(&dist.join("index.html"))?;
    println!("build: static app for {public_url} in {}", dist.display());
    println!("build: copy that folder to your web server; see README \"Hosting the app\"");
    Ok(dist)
}

/// The scoped CSS bundle, then Trunk (release, offline) into `dist`, then the
/// precompressed variants beside its files.
fn build_app(public_url: &str, dist: &std::path::Path) -> Result<()> {
    setup::build_tools()?;
    let root = util::repo_root();

    bundle_css()?;
    for required in ["index.html", "Trunk.toml"] {
        if !root.join(required).is_file() {
            bail!(
                "{required} is missing in {}: the app provides it",
                root.display()
            );
        }
    }
    // Trunk runs cargo with `--offline`, so the crates must already be downloaded.
    util::run(util::cargo().arg("fetch"))?;
    util::run(
        std::process::Command::new("trunk")
            .current_dir(&root)
            .args([
                "build",
                "--release",
                "--offline",
                "--cargo-profile",
                "wasm-release",
            ])
            .args(["--public-url", public_url, "--dist"])
            .arg(dist),
    )?;
    if !dist.join("index.html").is_file() {
        bail!("trunk finished but {} has no index.html", dist.display());
    }
    let sizes = compress::compress_dist(dist)?;
    println!(
        "build: precompressed the app's text files: {} KiB raw, {} KiB brotli, {} KiB gzip",
        sizes.raw / 1024,
        sizes.brotli / 1024,
        sizes.gzip / 1024
    );
    Ok(())
}

/// Writes the stylance bundle of every `*.module.css` (index.html links it, so Trunk needs
/// it first), configured by `[package.metadata.stylance]` in the root manifest.
fn bundle_css() -> Result<()> {
    let config = stylance_cli::Config::load(util::repo_root())
        .context("reading [package.metadata.stylance] from the root Cargo.toml")?;
    let Some(output) = config.output_file.clone() else {
        bail!("[package.metadata.stylance] in the root Cargo.toml sets no output_file");
    };
    if let Some(parent) = output.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("could not create {}", parent.display()))?;
    }
    let mut modules = 0;
    stylance_cli::run_silent(&config, |_| modules += 1).context("bundling scoped CSS")?;
    println!(
        "build: {modules} CSS modules bundled into {}",
        output.display()
    );
    Ok(())
}

/// What marks a static build's shell (read by the app's `location.rs`).
const STATIC_MARK: &str = r#"<meta name="skiff-hosting" content="static" />"#;

/// Adds [`STATIC_MARK`] to the shell's head.
fn mark_static(index: &std::path::Path) -> Result<()> {
    let html = std::fs::read_to_string(index)?;
    if html.contains(STATIC_MARK) {
        return Ok(());
    }
    let Some(at) = html.find("<meta charset") else {
        bail!(
            "{} has no <meta charset> to put the static mark after",
            index.display()
        );
    };
    let end = at + html[at..].find('>').unwrap_or(0) + 1;
    let marked = format!("{}\n    {STATIC_MARK}{}", &html[..end], &html[end..]);
    std::fs::write(index, marked)?;
    // The precompressed copies of the shell are of the unmarked one; it is small: drop them.
    for stale in ["index.html.br", "index.html.gz"] {
        let path = index.with_file_name(stale);
        if path.exists() {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}
