//! An optional CPU profile of the page's main thread while a case runs, for finding where
//! the page spends its time: with `SKIFF_BENCH_UPLOAD_PROFILE=DIR`, the CDP `Profiler`
//! samples the page from [`Profile::start`] to [`Profile::finish`], which writes
//! `DIR/NAME.cpuprofile` (open it in DevTools' Performance panel) and prints the functions
//! with the most self time. Without the variable both do nothing.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::progress;

/// A profile being taken (or not, without `SKIFF_BENCH_UPLOAD_PROFILE`).
pub struct Profile {
    path: Option<PathBuf>,
}

impl Profile {
    /// Starts sampling the page every 200 µs when a profile folder is set.
    pub async fn start(browser: &Browser, name: &str) -> Profile {
        let Some(dir) = std::env::var_os("SKIFF_BENCH_UPLOAD_PROFILE") else {
            return Profile { path: None };
        };
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("the profile folder");
        browser.cdp("Profiler.enable", json!({})).await;
        browser
            .cdp("Profiler.setSamplingInterval", json!({ "interval": 200 }))
            .await;
        browser.cdp("Profiler.start", json!({})).await;
        Profile {
            path: Some(dir.join(format!("{name}.cpuprofile"))),
        }
    }

    /// Stops sampling, writes the profile and prints its heaviest functions.
    pub async fn finish(self, browser: &Browser) {
        let Some(path) = self.path else { return };
        let stopped = browser.cdp("Profiler.stop", json!({})).await;
        let profile = &stopped["profile"];
        std::fs::write(&path, profile.to_string()).expect("write the profile");
        progress(&format!("profile written to {}", path.display()));
        for line in heaviest(profile, 40) {
            progress(&line);
        }
    }
}

/// The `count` functions with the most self time (samples × interval), as lines.
fn heaviest(profile: &Value, count: usize) -> Vec<String> {
    let nodes = profile["nodes"].as_array().cloned().unwrap_or_default();
    let name_of: HashMap<u64, String> = nodes
        .iter()
        .map(|node| {
            let frame = &node["callFrame"];
            let name = frame["functionName"].as_str().unwrap_or("");
            let url = frame["url"].as_str().unwrap_or("");
            let file = url.rsplit('/').next().unwrap_or("");
            (
                node["id"].as_u64().unwrap_or(0),
                format!(
                    "{} ({file})",
                    if name.is_empty() { "(anonymous)" } else { name }
                ),
            )
        })
        .collect();
    let samples = profile["samples"].as_array().cloned().unwrap_or_default();
    let deltas = profile["timeDeltas"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut self_us: HashMap<&str, f64> = HashMap::new();
    let mut total = 0.0;
    // A sample's time is the delta to the next sample.
    for (i, sample) in samples.iter().enumerate() {
        let delta = deltas.get(i + 1).and_then(Value::as_f64).unwrap_or(0.0);
        total += delta;
        let name = name_of
            .get(&sample.as_u64().unwrap_or(0))
            .map_or("?", String::as_str);
        *self_us.entry(name).or_default() += delta;
    }
    let mut sorted: Vec<(&str, f64)> = self_us.into_iter().collect();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut lines = vec![format!("profile: {:.0} ms sampled", total / 1000.0)];
    lines.extend(sorted.into_iter().take(count).map(|(name, us)| {
        format!(
            "{:>9.1} ms {:>5.1} %  {name}",
            us / 1000.0,
            us * 100.0 / total
        )
    }));
    lines
}
