//! CPU time an upload costs the whole machine: every process this bench started (Chromium
//! and all its helpers, skiff-server, the peers' servers, curl), read from `/proc`, so a
//! client's throughput can be set against what two cores can give at all. On a 2-core
//! machine a client that needs 4 CPU-seconds per GiB cannot go faster than 2 / 4 GiB/s,
//! however it is written; a client that needs fewer has room the other one has not.
//!
//! A process's own time (`utime + stime`) counts while it lives; once it exits, its
//! parent's `cutime + cstime` holds it (Chromium reaps its renderers; this process reaps
//! curl). The bench's own time (polling the page, hashing the copies) is left out.

use std::collections::HashMap;
use std::time::Duration;

/// CPU time used so far by every descendant of this process.
pub fn children_cpu() -> Duration {
    let ticks = clock_ticks();
    let me = std::process::id();
    let processes = processes();
    let mut parents: HashMap<u32, Vec<u32>> = HashMap::new();
    for (pid, process) in &processes {
        parents.entry(process.ppid).or_default().push(*pid);
    }
    // This process's reaped children, then every live descendant with what it reaped.
    let mut total = processes.get(&me).map_or(0, |process| process.reaped);
    let mut stack = parents.get(&me).cloned().unwrap_or_default();
    while let Some(pid) = stack.pop() {
        if let Some(process) = processes.get(&pid) {
            total += process.own + process.reaped;
        }
        if let Some(children) = parents.get(&pid) {
            stack.extend(children);
        }
    }
    Duration::from_secs_f64(total as f64 / ticks)
}

/// How many CPUs this machine gives the bench.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// One process's times, in clock ticks.
struct Times {
    ppid: u32,
    /// `utime + stime`.
    own: u64,
    /// `cutime + cstime`: its children that exited and were waited for.
    reaped: u64,
}

/// Every process's times, by pid (a process that exits while we read is skipped).
fn processes() -> HashMap<u32, Times> {
    let mut found = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(times) = parse_stat(&stat) {
            found.insert(pid, times);
        }
    }
    found
}

/// `/proc/PID/stat`: the fields after the command's closing `)` start with field 3
/// (state); ppid is field 4, utime..cstime are fields 14..17.
fn parse_stat(stat: &str) -> Option<Times> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |number: usize| fields.get(number - 3)?.parse::<u64>().ok();
    Some(Times {
        ppid: u32::try_from(field(4)?).ok()?,
        own: field(14)? + field(15)?,
        reaped: field(16)? + field(17)?,
    })
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when it cannot be asked).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(100.0)
}
