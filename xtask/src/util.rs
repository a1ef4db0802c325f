//! Small shared helpers: where things live, and running child processes loudly.

use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Chromium as installed by `apt-get install chromium` (see `setup`).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// chromedriver as installed by `apt-get install chromium-driver` (see `setup`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The workspace root: xtask always lives one level below it.
pub fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Cargo's target directory for this workspace, honouring `CARGO_TARGET_DIR`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => repo_root().join(dir),
        _ => repo_root().join("target"),
    }
}

/// Where `cargo install` puts binaries (`$CARGO_HOME/bin`, usually `~/.cargo/bin`).
pub fn cargo_bin_dir() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    cargo_home.join("bin")
}

/// Prepends `~/.cargo/bin` to this process's `PATH`, so every child (Trunk looking for
/// `wasm-bindgen`, cargo looking for `wasm-bindgen-test-runner`) finds the tools `setup`
/// installed even when the user's shell profile does not list that directory.
pub fn put_cargo_bin_on_path() {
    let bin = cargo_bin_dir();
    let current = std::env::var_os("PATH").unwrap_or_default();
    if std::env::split_paths(&current).any(|dir| dir == bin) {
        return;
    }
    let mut dirs = vec![bin];
    dirs.extend(std::env::split_paths(&current));
    if let Ok(path) = std::env::join_paths(dirs) {
        // Called first thing in `main`, before any thread exists.
        std::env::set_var("PATH", path);
    }
}

/// A `cargo` command using the same cargo that runs xtask, started in the repo root.
pub fn cargo() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(cargo);
    command.current_dir(repo_root());
    command
}

/// Runs `command` with inherited stdio, echoing it first; fails if it exits non-zero.
pub fn run(command: &mut Command) -> Result<()> {
    let shown = describe(command);
    println!("$ {shown}");
    let status = command
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Tests counted from cargo's `test result: ok. 3 passed; 0 failed; 1 ignored; …` lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.ignored += other.ignored;
    }
}

impl Counts {
    /// The counts of one `test result:` line, if `line` is one.
    pub fn parse(line: &str) -> Option<Self> {
        let rest = line.trim().strip_prefix("test result: ")?;
        let mut counts = Self::default();
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(number)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(number) = number.parse::<u64>() else {
                continue;
            };
            match what {
                "passed" => counts.passed = number,
                "failed" => counts.failed = number,
                "ignored" => counts.ignored = number,
                _ => {}
            }
        }
        Some(counts)
    }
}

/// Like [`run`], but echoes the child's stdout line by line and adds up its test counts.
pub fn run_tests(command: &mut Command) -> Result<Counts> {
    use std::io::{BufRead, BufReader};
    let shown = describe(command);
    println!("$ {shown}");
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{shown}`"))?;
    let mut counts = Counts::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            if let Some(found) = Counts::parse(&line) {
                counts += found;
            }
        }
    }
    let status = child
        .wait()
        .with_context(|| format!("waiting for `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(counts)
}

/// The trimmed stdout of `program args`, or `None` if it is missing or fails.
pub fn stdout_of(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// The version of `package` that Cargo.lock pins (the first one, if several are locked).
pub fn locked_version(package: &str) -> Result<String> {
    let lock_path = repo_root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("could not read {}", lock_path.display()))?;
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == name_line {
            if let Some(version) = lines
                .next()
                .and_then(|next| next.trim().strip_prefix("version = \""))
                .and_then(|rest| rest.strip_suffix('"'))
            {
                return Ok(version.to_string());
            }
        }
    }
    bail!(
        "{} does not lock a version of `{package}`",
        lock_path.display()
    )
}

/// `command` as a copy-pastable shell line, explicit environment first.
pub fn describe(command: &Command) -> String {
    let envs = command.get_envs().filter_map(|(key, value)| {
        value.map(|value| {
            format!(
                "{}={}",
                key.to_string_lossy(),
                quote(&value.to_string_lossy())
            )
        })
    });
    let program = command.get_program().to_string_lossy();
    let program = program.rsplit('/').next().unwrap_or(&program).to_string();
    let args = command.get_args().map(|arg| quote(&arg.to_string_lossy()));
    envs.chain(std::iter::once(program))
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `1m 05s` or `4.2s`: how long a step took, for summaries.
pub fn human_duration(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = duration.as_secs();
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::Counts;

    #[test]
    fn counts_come_from_cargo_and_wasm_bindgen_summaries() {
        let cargo = "test result: ok. 13 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.24s";
        assert_eq!(
            Counts::parse(cargo),
            Some(Counts {
                passed: 13,
                failed: 0,
                ignored: 2
            })
        );
        let wasm = "test result: FAILED. 7 passed; 5 failed; 0 ignored; 0 filtered out; finished in 50.61s";
        assert_eq!(
            Counts::parse(wasm),
            Some(Counts {
                passed: 7,
                failed: 5,
                ignored: 0
            })
        );
        assert_eq!(Counts::parse("running 3 tests"), None);
    }
}
