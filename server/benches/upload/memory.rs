//! The page's renderer process's resident memory (from `/proc`), sampled during an upload:
//! `usedJSHeapSize` counts array buffers but not wasm memory, so it alone would hide some.

use super::*;

/// The Chromium renderer processes under this one (chromedriver → Chromium → renderers),
/// with the resident memory seen at the first sample, the largest seen since and the
/// latest. The page's renderer is the one that grew most during the upload.
#[derive(Default)]
pub(crate) struct Renderers(Vec<Renderer>);

struct Renderer {
    pid: u32,
    before: f64,
    peak: f64,
    last: f64,
    /// Whether its peak resident size (`VmHWM`) was reset when the upload started.
    hwm_reset: bool,
}

impl Renderers {
    /// Reads every renderer's resident size (new renderers start their `before` here).
    pub(crate) fn sample(&mut self) {
        for pid in renderer_pids() {
            let Some(rss) = status_field(pid, "VmRSS:") else {
                continue;
            };
            match self.0.iter_mut().find(|renderer| renderer.pid == pid) {
                Some(renderer) => {
                    renderer.peak = renderer.peak.max(rss);
                    renderer.last = rss;
                }
                None => self.0.push(Renderer {
                    pid,
                    before: rss,
                    peak: rss,
                    last: rss,
                    hwm_reset: false,
                }),
            }
        }
    }

    /// Resets each renderer's `VmHWM` (`echo 5 > /proc/PID/clear_refs`), where allowed, so
    /// that it then holds the true peak between two samples.
    pub(crate) fn reset_peaks(&mut self) {
        for renderer in &mut self.0 {
            renderer.hwm_reset =
                std::fs::write(format!("/proc/{}/clear_refs", renderer.pid), "5").is_ok();
        }
    }

    /// The renderer that grew most: before / peak / latest.
    pub(crate) fn the_page(&self) -> Option<Rss> {
        for renderer in &self.0 {
            progress(&format!(
                "renderer {}: {} before, {} peak, {} after",
                renderer.pid,
                mib(renderer.before),
                mib(renderer.peak),
                mib(renderer.last)
            ));
        }
        let page = self
            .0
            .iter()
            .max_by(|a, b| (a.peak - a.before).total_cmp(&(b.peak - b.before)))?;
        let hwm = if page.hwm_reset {
            status_field(page.pid, "VmHWM:").unwrap_or(0.0)
        } else {
            0.0
        };
        Some(Rss {
            before: page.before,
            peak: page.peak.max(hwm),
            after: page.last,
        })
    }
}

/// The renderer processes descending from this one, except Chromium's own user interface
/// (`--top-chrome-webui`) and extensions.
fn renderer_pids() -> Vec<u32> {
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
fn status_field(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}
