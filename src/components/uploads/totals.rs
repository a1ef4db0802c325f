//! What the panel's heading says and which of its buttons apply: counted honestly, so a
//! cancelled file is neither "done" nor part of the percentage.

use crate::upload::folder_upload::{FolderCounts, FolderState, FolderUpload};
use crate::upload::item::{UploadItem, UploadStatus};
use leptos::prelude::*;

/// Counts over the whole queue, taken on the queue's coalesced tick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Every file in the list.
    pub count: usize,
    /// Arrived and verified.
    pub done: usize,
    /// Stopped for good by the user.
    pub cancelled: usize,
    /// Kept the file already on the server.
    pub skipped: usize,
    /// Gave up (a Retry button waits in its row).
    pub failed: usize,
    /// Queued, uploading or waiting to retry: what Pause all acts on.
    pub moving: usize,
    /// Paused by the user.
    pub paused: usize,
    /// A name conflict waiting for the user's answer.
    pub conflicts: usize,
    /// Known from before a reload, waiting for its file.
    pub interrupted: usize,
    /// Bytes the server has, over files still meant to arrive.
    pub sent: u64,
    /// Bytes of the files still meant to arrive (not cancelled, not skipped).
    pub size: u64,
}

impl Totals {
    /// Counts `items` (their signals read untracked: the caller tracks the tick).
    pub fn of(items: &[UploadItem]) -> Self {
        let mut totals = Self {
            count: items.len(),
            ..Self::default()
        };
        for item in items {
            let status = item.status.get_untracked();
            match status {
                UploadStatus::Done => totals.done += 1,
                UploadStatus::Cancelled => totals.cancelled += 1,
                UploadStatus::Skipped => totals.skipped += 1,
                UploadStatus::Failed(_) => totals.failed += 1,
                UploadStatus::Queued | UploadStatus::Uploading | UploadStatus::Retrying(_) => {
                    totals.moving += 1
                }
                UploadStatus::Paused => totals.paused += 1,
                UploadStatus::Conflict => totals.conflicts += 1,
                UploadStatus::NeedsFile => totals.interrupted += 1,
            }
            if !matches!(status, UploadStatus::Cancelled | UploadStatus::Skipped) {
                totals.size += item.size;
                totals.sent += item.sent.get_untracked().min(item.size);
            }
        }
        totals
    }

    /// Adds the files of dropped folders the upload worker sends (their signals read
    /// untracked, as for items).
    pub fn with_folders(mut self, folders: &[FolderUpload]) -> Self {
        for folder in folders {
            self.add_folder(folder.counts.get_untracked(), folder.state.get_untracked());
        }
        self
    }

    fn add_folder(&mut self, counts: FolderCounts, state: FolderState) {
        let left = counts.left() as usize;
        self.count += counts.files as usize;
        self.done += counts.done as usize;
        self.sent += counts.done_bytes;
        match state {
            _ if counts.finished && left == 0 => {}
            FolderState::Cancelled => self.cancelled += left,
            _ if counts.finished => self.cancelled += left,
            FolderState::Running => self.moving += left,
            FolderState::Paused => self.paused += left,
            FolderState::Interrupted => self.interrupted += left,
        }
        if state == FolderState::Cancelled || counts.finished {
            self.size += counts.done_bytes;
        } else {
            self.size += counts.bytes;
        }
        // A folder still being walked may find more: that is work to lose too.
        if counts.walking && state == FolderState::Running && left == 0 {
            self.moving += 1;
        }
    }

    /// Files not over yet (anything that may still send bytes or waits for the user).
    pub fn unfinished(&self) -> usize {
        self.moving + self.paused + self.conflicts + self.interrupted
    }

    /// Whether leaving the page now would lose work: bytes moving, files queued, or a
    /// question waiting.
    pub fn would_lose_work(&self) -> bool {
        self.moving + self.conflicts > 0
    }

    /// The share of bytes arrived, 0.0–1.0, over the files still meant to arrive; a list
    /// with nothing left to send is full only if something arrived.
    pub fn fraction(&self) -> f64 {
        if self.size == 0 {
            return if self.done > 0 && self.unfinished() == 0 {
                1.0
            } else {
                0.0
            };
        }
        (self.sent as f64 / self.size as f64).clamp(0.0, 1.0)
    }

    /// "Uploads: 3 of 14 done · 40% · 2 waiting for you", or once nothing is left,
    /// "Uploads: 0 of 1 done · cancelled".
    pub fn heading(&self) -> String {
        let mut parts = vec![format!("Uploads: {} of {} done", self.done, self.count)];
        if self.unfinished() > 0 {
            parts.push(format!("{:.0}%", (self.fraction() * 100.0).floor()));
            if self.conflicts > 0 {
                parts.push(format!("{} waiting for you", self.conflicts));
            }
            if self.paused > 0 {
                parts.push(format!("{} paused", self.paused));
            }
            if self.interrupted > 0 {
                parts.push(format!("{} interrupted", self.interrupted));
            }
        }
        if self.failed > 0 {
            parts.push(format!("{} failed", self.failed));
        }
        if self.cancelled > 0 {
            parts.push(if self.cancelled == self.count {
                "cancelled".to_owned()
            } else {
                format!("{} cancelled", self.cancelled)
            });
        }
        if self.skipped > 0 {
            parts.push(format!("{} skipped", self.skipped));
        }
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_file_is_not_done_and_not_counted() {
        let totals = Totals {
            count: 1,
            cancelled: 1,
            ..Totals::default()
        };
        assert_eq!(totals.heading(), "Uploads: 0 of 1 done · cancelled");
        assert_eq!(totals.fraction(), 0.0);
        assert!(!totals.would_lose_work());
    }

    #[test]
    fn a_folder_counts_its_files_and_what_is_left_by_its_state() {
        let counts = FolderCounts {
            files: 10,
            bytes: 100,
            done: 4,
            done_bytes: 40,
            walking: false,
            finished: false,
        };
        let mut running = Totals::default();
        running.add_folder(counts, FolderState::Running);
        assert_eq!(running.heading(), "Uploads: 4 of 10 done · 40%");
        assert!(running.would_lose_work());
        let mut paused = Totals::default();
        paused.add_folder(counts, FolderState::Paused);
        assert_eq!(paused.heading(), "Uploads: 4 of 10 done · 40% · 6 paused");
        let mut cancelled = Totals::default();
        let over = FolderCounts {
            finished: true,
            ..counts
        };
        cancelled.add_folder(over, FolderState::Cancelled);
        assert_eq!(cancelled.heading(), "Uploads: 4 of 10 done · 6 cancelled");
        assert_eq!(cancelled.fraction(), 1.0);
        // Still walking with all found files stored: not over yet.
        let mut walking = Totals::default();
        walking.add_folder(
            FolderCounts {
                done: 10,
                done_bytes: 100,
                walking: true,
                ..counts
            },
            FolderState::Running,
        );
        assert!(walking.would_lose_work());
    }

    #[test]
    fn waiting_questions_are_named() {
        let totals = Totals {
            count: 14,
            done: 8,
            conflicts: 6,
            sent: 64,
            size: 100,
            ..Totals::default()
        };
        assert_eq!(
            totals.heading(),
            "Uploads: 8 of 14 done · 64% · 6 waiting for you"
        );
        assert!(totals.would_lose_work());
    }
}
