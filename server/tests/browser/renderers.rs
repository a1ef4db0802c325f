//! Chromium's renderer processes started by this test or bench, and their memory as
//! the kernel counts it (`/proc`), for the memory checks of uploads.

/// The renderer processes descending from this one, except Chromium's own user interface
/// (`--top-chrome-webui`) and extensions.
pub fn renderer_pids() -> Vec<u32> {
    let mut parents = Vec::new();
    let Ok(proc) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for entry in proc.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|ppid| ppid.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.push((pid, ppid));
        }
    }
    let me = std::process::id();
    let is_descendant = |mut pid: u32| {
        for _ in 0..64 {
            match parents.iter().find(|(child, _)| *child == pid) {
                Some((_, parent)) if *parent == me => return true,
                Some((_, parent)) if *parent > 1 => pid = *parent,
                _ => return false,
            }
        }
        false
    };
    parents
        .iter()
        .map(|(pid, _)| *pid)
        .filter(|pid| is_descendant(*pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                // Chromium rewrites its children's titles: arguments end up space-separated.
                let args: Vec<&[u8]> = cmdline.split(|byte| *byte == 0 || *byte == b' ').collect();
                args.contains(&&b"--type=renderer"[..])
                    && !args.contains(&&b"--top-chrome-webui"[..])
                    && !args.contains(&&b"--extension-process"[..])
            })
        })
        .collect()
}

/// A size field of `/proc/PID/status` (`VmRSS:`, `VmHWM:`), in bytes.
pub fn status_field(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}
