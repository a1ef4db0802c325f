//! `cargo xtask serve [DIR] [--listen ADDR] [--writable]`: build, then serve a folder in the
//! foreground. The demo folder (no DIR) is a playground under `target/`, so it is writable.

use crate::server::RunningServer;
use crate::{build, demo, util};
use anyhow::{bail, Result};
use std::path::PathBuf;

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

const USAGE: &str = "usage: cargo xtask serve [DIR] [--listen ADDR] [--writable]";

pub fn run(args: &[String]) -> Result<()> {
    let Options {
        dir,
        listen,
        mut writable,
    } = parse(args)?;
    let artifacts = build::run()?;
    let dir = match dir {
        Some(dir) => dir,
        None => {
            writable = true;
            demo::ensure_demo_folder(&util::target_dir())?
        }
    };
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    println!("serve: serving {}", dir.display());
    let mut server_args = vec!["--listen", listen.as_str()];
    if writable {
        server_args.push("--writable");
        println!("serve: uploads are on (--writable)");
    }
    let server = RunningServer::start(&artifacts.server, &dir, &server_args)?;
    println!("Skiff is at {}", server.url);
    server.wait()
}

/// What `serve` was asked for.
struct Options {
    dir: Option<PathBuf>,
    listen: String,
    writable: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut dir = None;
    let mut listen = DEFAULT_LISTEN.to_string();
    let mut writable = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--listen" {
            let Some(addr) = args.next() else {
                bail!("--listen needs an address, e.g. --listen {DEFAULT_LISTEN}");
            };
            listen = addr.clone();
        } else if let Some(addr) = arg.strip_prefix("--listen=") {
            listen = addr.to_string();
        } else if arg == "--writable" {
            writable = true;
        } else if arg.starts_with('-') {
            bail!("unknown option `{arg}`; {USAGE}");
        } else if dir.replace(PathBuf::from(arg)).is_some() {
            bail!("serve takes one folder; {USAGE}");
        }
    }
    Ok(Options {
        dir,
        listen,
        writable,
    })
}
