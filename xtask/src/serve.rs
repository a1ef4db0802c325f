//! `cargo xtask serve [DIR] [--listen ADDR] [--writable] [--tls]`: build, then serve a folder
//! in the foreground. The demo folder (no DIR) is a playground under `target/`, so it is
//! writable. `--tls` serves HTTPS with HTTP/2 on a self-signed certificate for localhost,
//! made once with openssl into `target/tls/` (the browser asks to trust it once).

use crate::server::RunningServer;
use crate::{build, demo, util};
use anyhow::{bail, Result};
use std::path::PathBuf;

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

const USAGE: &str = "usage: cargo xtask serve [DIR] [--listen ADDR] [--writable] [--tls]";

pub fn run(args: &[String]) -> Result<()> {
    let Options {
        dir,
        listen,
        mut writable,
        tls,
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
    let pair = if tls { Some(self_signed()?) } else { None };
    if let Some((cert, key)) = &pair {
        server_args.extend(["--tls-cert", cert.as_str(), "--tls-key", key.as_str()]);
        println!("serve: HTTPS with HTTP/2 on a self-signed certificate ({cert})");
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
    tls: bool,
}

/// A self-signed certificate and key for localhost and 127.0.0.1 in `target/tls/`,
/// made with openssl the first time.
fn self_signed() -> Result<(String, String)> {
    let dir = util::target_dir().join("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    if !(cert.is_file() && key.is_file()) {
        std::fs::create_dir_all(&dir)?;
        let made = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ])
            .args(["-nodes", "-days", "825", "-subj", "/CN=localhost"])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .status();
        match made {
            Ok(status) if status.success() => {}
            _ => bail!("--tls needs openssl to make a certificate (apt-get install openssl)"),
        }
    }
    let text = |path: PathBuf| path.to_string_lossy().into_owned();
    Ok((text(cert), text(key)))
}

fn parse(args: &[String]) -> Result<Options> {
    let mut dir = None;
    let mut listen = DEFAULT_LISTEN.to_string();
    let mut writable = false;
    let mut tls = false;
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
        } else if arg == "--tls" {
            tls = true;
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
        tls,
    })
}
