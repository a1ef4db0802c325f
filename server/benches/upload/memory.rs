//! Memory while a very large file goes up (issue 9's goals: the renderer at most 128 MiB
//! above idle, the JS heap at most 64 MiB): the page's JS heap (`usedJSHeapSize`, precise
//! and sampled every 250 ms) and its renderer process's resident memory from `/proc`
//! (`usedJSHeapSize` counts array buffers but not wasm memory, so it alone would hide some).

use std::path::Path;
use std::time::Duration;

use crate::browser::renderers::{renderer_pids, status_field};
use crate::browser::Browser;
use crate::files::{generate, verify};
use crate::support::{mib_label, mib_number, seconds, size_label, time_and_rate, GIB};
use crate::{app, progress, Row};

/// The file uploaded while memory is watched, unless that would take too long.
const FILE: u64 = 4 * GIB;
/// The smaller file used instead when `FILE` would take longer than `BUDGET`.
const FILE_FALLBACK: u64 = 2 * GIB;
/// How long the memory upload may take, estimated from the app's 1 GiB time.
const BUDGET: Duration = Duration::from_secs(240);

/// `usedJSHeapSize` readings in bytes (before and after follow a GC), and the renderer's
/// resident memory.
pub struct Memory {
    pub heap_before: f64,
    pub heap_peak: f64,
    pub heap_after: f64,
    pub renderer: Option<Rss>,
}

/// Resident memory of one process in bytes: idle before the upload, the peak during it,
/// and 2 s after it.
pub struct Rss {
    pub before: f64,
    pub peak: f64,
    pub after: f64,
}

/// Uploads a 4 GiB file with the app (2 GiB if `app_per_gib` says 4 would take over four
/// minutes) while watching its memory; checks the bytes on disk; returns the rows.
pub async fn measure(
    browser: &Browser,
    server: &str,
    tree: &Path,
    sources: &Path,
    app_per_gib: Duration,
) -> Vec<Row> {
    let estimate = app_per_gib.mul_f64(FILE as f64 / GIB as f64);
    let size = if estimate > BUDGET {
        progress(&format!(
            "a {} upload would take about {}: using {} instead",
            size_label(FILE),
            seconds(estimate),
            size_label(FILE_FALLBACK)
        ));
        FILE_FALLBACK
    } else {
        FILE
    };
    let label = size_label(size);
    let huge = sources.join("huge.bin");
    let sha = generate(&huge, size, 0x5eed_0002);
    progress(&format!("memory: generated {label}, SHA-256 {sha}"));
    std::fs::create_dir(tree.join("memory")).expect("a folder for the memory upload");
    let upload = app::upload(browser, server, "memory", &huge, true).await;
    verify(&tree.join("memory/huge.bin"), size, &sha);
    std::fs::remove_dir_all(tree.join("memory")).expect("remove the uploaded file");
    std::fs::remove_file(&huge).expect("remove the generated file");
    progress(&format!(
        "memory: app uploaded {label} in {}, SHA-256 checked",
        time_and_rate(size, upload.elapsed)
    ));
    let memory = upload.memory.expect("memory readings");
    let mut rows = vec![
        (
            format!("upload {label}: app → skiff-server (one run, memory watched)"),
            time_and_rate(size, upload.elapsed),
        ),
        (
            format!("JS heap peak during a {label} upload (goal ≤ 64 MiB)"),
            format!(
                "{} (idle {} MiB, {} MiB 2 s after; usedJSHeapSize sampled every 250 ms, \
                 idle and after read after a GC)",
                mib_label(memory.heap_peak),
                mib_number(memory.heap_before),
                mib_number(memory.heap_after)
            ),
        ),
    ];
    if let Some(rss) = memory.renderer {
        rows.push((
            format!("renderer RSS peak during a {label} upload, above idle (goal ≤ +128 MiB)"),
            format!(
                "+{} (idle {} → peak {} → {} 2 s after)",
                mib_label(rss.peak - rss.before),
                mib_number(rss.before),
                mib_number(rss.peak),
                mib_label(rss.after)
            ),
        ));
    }
    rows
}

/// The Chromium renderer processes under this one (chromedriver → Chromium → renderers),
/// with the resident memory seen at the first sample, the largest seen since and the
/// latest. The page's renderer is the one that grew most during the upload.
#[derive(Default)]
pub struct Renderers(Vec<Renderer>);

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
    pub fn sample(&mut self) {
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
    pub fn reset_peaks(&mut self) {
        for renderer in &mut self.0 {
            renderer.hwm_reset =
                std::fs::write(format!("/proc/{}/clear_refs", renderer.pid), "5").is_ok();
        }
    }

    /// The renderer that grew most (the page's): before / peak / latest.
    pub fn the_page(&self) -> Option<Rss> {
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
