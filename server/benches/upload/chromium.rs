//! The Chromium the benchmark drives: the real one, started through a small wrapper script
//! that adds the flags memory readings need.
//!
//! The end-to-end harness has no way to add Chromium flags, so `SKIFF_CHROMIUM` is pointed
//! at a script that adds `--enable-precise-memory-info` (without it Chromium rounds
//! `usedJSHeapSize` and refreshes it only every 20 minutes) and `--js-flags=--expose-gc`
//! (so the before/after heap readings follow a garbage collection). Every page of the run,
//! the app's and the peers', runs in this one browser.

use std::os::unix::fs::PermissionsExt;

use crate::progress;

/// The wrapper script, installed as `SKIFF_CHROMIUM`; removed when dropped.
pub struct ChromiumWrapper {
    _dir: tempfile::TempDir,
}

impl ChromiumWrapper {
    /// Writes the wrapper and points `SKIFF_CHROMIUM` at it. Call it before any other
    /// thread exists: it sets an environment variable.
    pub fn install() -> ChromiumWrapper {
        let real = std::env::var("SKIFF_CHROMIUM").expect("SKIFF_CHROMIUM is set");
        let dir = tempfile::Builder::new()
            .prefix("skiff-bench-chromium-")
            .tempdir()
            .expect("a temp folder for the Chromium wrapper");
        let script = dir.path().join("chromium");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nexec {} --enable-precise-memory-info --js-flags=--expose-gc \"$@\"\n",
                shell_quote(&real)
            ),
        )
        .expect("write the Chromium wrapper");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .expect("make the Chromium wrapper executable");
        std::env::set_var("SKIFF_CHROMIUM", &script);
        progress(&format!(
            "Chromium: {real} with --enable-precise-memory-info --js-flags=--expose-gc"
        ));
        ChromiumWrapper { _dir: dir }
    }
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
