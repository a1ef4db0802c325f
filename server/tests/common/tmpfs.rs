//! A small tmpfs mounted over a test's folder, so "the disk is full" is real and
//! cheap: the tests run as root in CI. Unmounted on drop, even after a panic.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of a fixed size mounted at a folder; unmounted when dropped.
pub struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as `mount -o size=` takes it, e.g. `32m`) over
    /// the existing, empty folder `dir`. Panics with the reason if it cannot.
    pub fn mount(dir: &Path, size: &str) -> Self {
        Self::mount_with(dir, &format!("size={size}"))
    }

    /// Mounts a small read-only tmpfs over `dir`: nobody, not even root, may
    /// write there (permission bits do not bind root).
    pub fn mount_read_only(dir: &Path) -> Self {
        Self::mount_with(dir, "ro,size=1m")
    }

    fn mount_with(dir: &Path, options: &str) -> Self {
        let size = options;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .output()
            .expect("run mount(8)");
        assert!(
            output.status.success(),
            "cannot mount a {size} tmpfs at {} (these tests need root and mount(8)): {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
        Self {
            dir: dir.to_path_buf(),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.dir)
            .status()
            .is_ok_and(|status| status.success());
        if !unmounted {
            // Still busy (a server not yet gone): detach it now, it goes when idle.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

/// Writes a file of zeros at `path` until the disk is full (or `limit` bytes);
/// returns how much it wrote.
pub fn fill(path: &Path, limit: u64) -> u64 {
    use std::io::Write;
    let mut file = std::fs::File::create(path).expect("create the filler file");
    let block = vec![0u8; 64 * 1024];
    let mut written = 0;
    while written < limit {
        match file.write(&block) {
            Ok(0) | Err(_) => break,
            Ok(count) => written += count as u64,
        }
    }
    written
}
