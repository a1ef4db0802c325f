//! Free space on the disk that holds the tree: refuse (507) up front what cannot
//! fit, instead of streaming gigabytes only to hit ENOSPC near the end.
//!
//! The check is advisory: concurrent writes share the same free space, so a
//! write that passed it may still meet a full disk, which `From<io::Error>` for
//! `AppError` also turns into 507 (and the writers clean up after themselves).

use std::path::Path;

use skiff_protocol::human_size;

use crate::error::AppError;

/// Never let one write take the last of the disk: the state database and
/// other writes need room too. The margin is 1 % of the filesystem, at most this.
const MAX_MARGIN: u64 = 64 * 1024 * 1024;

/// What the filesystem holding a path can still take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// Bytes the server's (unprivileged) user may still write.
    pub available: u64,
    /// Size of the whole filesystem in bytes.
    pub total: u64,
}

impl Space {
    /// The bytes kept free whatever a request asks for.
    pub fn margin(&self) -> u64 {
        (self.total / 100).min(MAX_MARGIN)
    }
}

/// Free and total space of the filesystem holding `path` (blocking; statvfs).
pub fn space_at(path: &Path) -> std::io::Result<Space> {
    let stats = rustix::fs::statvfs(path)?;
    // `f_frsize` is the unit of the block counts (`f_bsize` is only the preferred I/O size).
    let unit = if stats.f_frsize > 0 {
        stats.f_frsize
    } else {
        stats.f_bsize
    };
    Ok(Space {
        available: stats.f_bavail.saturating_mul(unit),
        total: stats.f_blocks.saturating_mul(unit),
    })
}

/// 507 with a sentence when `bytes` more (plus the margin) do not fit on the
/// filesystem holding `path` (blocking). If the free space cannot be read, the
/// write goes ahead: a full disk is still caught while writing.
pub fn ensure_room(path: &Path, bytes: u64) -> Result<(), AppError> {
    let space = match space_at(path) {
        Ok(space) => space,
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "cannot read the free space");
            return Ok(());
        }
    };
    check_room(space, bytes)
}

/// The decision of [`ensure_room`], apart from the system call so it can be tested.
fn check_room(space: Space, bytes: u64) -> Result<(), AppError> {
    if bytes.saturating_add(space.margin()) <= space.available {
        return Ok(());
    }
    let free = space.available.saturating_sub(space.margin());
    Err(AppError::InsufficientStorage {
        code: "insufficient_storage",
        message: format!(
            "this upload needs {} but the server has only {} free",
            human_size(bytes),
            human_size(free)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1024 * 1024 * 1024;

    #[test]
    fn room_counts_the_margin() {
        let disk = Space {
            available: 10 * GIB,
            total: 100 * GIB,
        };
        assert_eq!(disk.margin(), MAX_MARGIN, "1 % capped at 64 MiB");
        assert!(check_room(disk, 10 * GIB - MAX_MARGIN).is_ok());
        assert!(check_room(disk, 10 * GIB - MAX_MARGIN + 1).is_err());
        let refused = check_room(disk, 10 * GIB).expect_err("no room");
        let AppError::InsufficientStorage { code, message } = refused else {
            panic!("not a 507: {refused:?}");
        };
        assert_eq!(code, "insufficient_storage");
        assert_eq!(
            message,
            "this upload needs 10 GiB but the server has only 9.9 GiB free"
        );
        let small = Space {
            available: 20 << 20,
            total: 32 << 20,
        };
        assert_eq!(small.margin(), (32 << 20) / 100, "1 % of a small disk");
        assert!(check_room(small, u64::MAX).is_err(), "no overflow");
    }

    #[test]
    fn reads_the_free_space_of_a_real_folder() {
        let space = space_at(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("statvfs");
        assert!(
            space.total > 0 && space.available <= space.total,
            "{space:?}"
        );
    }
}
