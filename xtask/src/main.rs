//! `cargo xtask`: the project's one entry point for setup, build, serve, test and bench.
//!
//! Every command is idempotent and installs or builds only what it needs, so
//! `cargo xtask test` works on a fresh clone (that is what CI runs).

mod bench;
mod build;
mod compress;
mod demo;
mod serve;
mod server;
mod setup;
mod test;
mod util;

use anyhow::{bail, Result};
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup                        install what is missing: wasm32 target, trunk, wasm-bindgen-cli, chromium
  build                        build the app with Trunk, then the server with the app embedded
  build --static               build only the app as static files that work from any folder of any
                               web server (into target/dist-static; relative asset URLs)
  build --public-url URL       the same with the assets at a fixed URL (e.g. a CDN)
  serve [DIR] [--listen ADDR] [--writable] [--tls]
                               build, then serve DIR (default: a writable demo folder) at ADDR
                               (default 127.0.0.1:8080); --writable allows uploads into DIR;
                               --tls serves HTTPS (HTTP/2) on a self-signed localhost certificate
  test                         build, then run the workspace tests and the app's browser tests
  bench                        build, then time browsing a 100,000-entry folder and measure the app bundle";

fn main() -> ExitCode {
    util::put_cargo_bin_on_path();
    // Printed by hand: returning the error from `main` would add a backtrace whenever
    // RUST_BACKTRACE is set, burying the one line that matters.
    match dispatch() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        println!("{USAGE}");
        return Ok(());
    };
    match command.as_str() {
        "setup" => no_args(command, rest).and_then(|()| setup::run()),
        "build" => match rest {
            [] => build::run().map(drop),
            [flag] if flag == "--static" => build::run_static("./").map(drop),
            [flag, url] if flag == "--public-url" => build::run_static(url).map(drop),
            _ => bail!("usage: cargo xtask build [--static | --public-url URL]\n\n{USAGE}"),
        },
        "serve" => serve::run(rest),
        "test" => no_args(command, rest).and_then(|()| test::run()),
        "bench" => no_args(command, rest).and_then(|()| bench::run()),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

/// Refuses stray arguments, so a typo is not silently ignored.
fn no_args(command: &str, rest: &[String]) -> Result<()> {
    match rest.first() {
        Some(arg) => bail!("`cargo xtask {command}` takes no arguments (got `{arg}`)\n\n{USAGE}"),
        None => Ok(()),
    }
}
