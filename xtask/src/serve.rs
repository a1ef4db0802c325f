//! `cargo xtask serve [DIR] [--listen ADDR]`: build, then serve a folder in the foreground.

use crate::server::RunningServer;
use crate::{build, demo, util};
use anyhow::{bail, Result};
use std::path::PathBuf;

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

pub fn run(args: &[String]) -> Result<()> {
    let (dir, listen) = parse(args)?;
    let artifacts = build::run()?;
    let dir = match dir {
        Some(dir) => dir,
        None => demo::ensure_demo_folder(&util::target_dir())?,
    };
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    println!("serve: serving {}", dir.display());
    let server = RunningServer::start(&artifacts.server, &dir, &["--listen", &listen])?;
    println!("Skiff is at {}", server.url);
    server.wait()
}

fn parse(args: &[String]) -> Result<(Option<PathBuf>, String)> {
    let mut dir = None;
    let mut listen = DEFAULT_LISTEN.to_string();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--listen" {
            let Some(addr) = args.next() else {
                bail!("--listen needs an address, e.g. --listen {DEFAULT_LISTEN}");
            };
            listen = addr.clone();
        } else if let Some(addr) = arg.strip_prefix("--listen=") {
            listen = addr.to_string();
        } else if arg.starts_with('-') {
            bail!("unknown option `{arg}`; usage: cargo xtask serve [DIR] [--listen ADDR]");
        } else if dir.replace(PathBuf::from(arg)).is_some() {
            bail!("serve takes one folder; usage: cargo xtask serve [DIR] [--listen ADDR]");
        }
    }
    Ok((dir, listen))
}
