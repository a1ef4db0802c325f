//! Embeds the Skiff app's Trunk `dist` into the binary when `SKIFF_APP_DIST`
//! names it (an absolute path; `cargo xtask build` sets it), so a release
//! `skiff-server` is one self-contained file. Without it the table is empty and
//! the server shows a "Skiff app not built" page unless started with `--app DIR`.

use std::env;
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-env-changed=SKIFF_APP_DIST");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").ok_or("cargo did not set OUT_DIR")?);
    let mut files = Vec::new();
    if let Some(dist) = env::var_os("SKIFF_APP_DIST").filter(|dist| !dist.is_empty()) {
        let dist = PathBuf::from(dist);
        if dist.is_dir() {
            // Cargo rescans a directory given to rerun-if-changed, so new files count too.
            println!("cargo:rerun-if-changed={}", dist.display());
            collect(&dist, &dist, &mut files)?;
        } else {
            println!(
                "cargo:warning=SKIFF_APP_DIST={} is not a directory; embedding no app",
                dist.display()
            );
        }
    }
    files.sort();

    let mut code = String::from(
        "/// The app's `dist` files as (path relative to `dist`, bytes), embedded at build time.\n\
         static EMBEDDED_APP: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in &files {
        println!("cargo:rerun-if-changed={path}");
        // `{:?}` of a str is a valid Rust string literal.
        writeln!(code, "    ({name:?}, include_bytes!({path:?})),")?;
    }
    code.push_str("];\n");
    std::fs::write(out_dir.join("embedded_app.rs"), code)?;
    Ok(())
}

/// Every regular file under `dir`, as (`/`-joined name relative to `base`, absolute path).
fn collect(
    base: &Path,
    dir: &Path,
    files: &mut Vec<(String, String)>,
) -> Result<(), Box<dyn Error>> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(base, &path, files)?;
            continue;
        }
        let relative = path.strip_prefix(base)?;
        let name = relative
            .components()
            .map(|component| component.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()
            .map(|parts| parts.join("/"));
        match (name, path.to_str()) {
            (Some(name), Some(absolute)) => files.push((name, absolute.to_owned())),
            _ => println!(
                "cargo:warning=skipping non-UTF-8 app file {}",
                path.display()
            ),
        }
    }
    Ok(())
}
