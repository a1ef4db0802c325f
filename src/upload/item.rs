//! One file in the upload queue: what it is, where it goes, and its live state as signals,
//! so a progress event re-renders that file's row and nothing else.

use crate::upload::policy::{ConflictChoice, SpeedMeter};
use crate::upload::xhr::AbortHandle;
use leptos::prelude::*;
use skiff_protocol::TreePath;
use web_sys::File;

/// Where an upload stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadStatus {
    /// Waiting for a free slot.
    Queued,
    /// Bytes are moving.
    Uploading,
    /// Waiting before a retry (network down, server busy).
    Retrying(String),
    /// Stopped by the user; resumes from the server's offset.
    Paused,
    /// Every byte arrived and the checksums agree.
    Done,
    /// Gave up; the message says why.
    Failed(String),
    /// Stopped by the user for good; the server's partial data was removed.
    Cancelled,
    /// Known from before a reload, but the file must be picked or dropped again.
    NeedsFile,
    /// The name exists on the server: waiting for replace / keep both / skip.
    Conflict,
    /// Not uploaded because the user chose to keep the existing file.
    Skipped,
}

impl UploadStatus {
    /// Whether the item still wants a slot (queued, or between retries).
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Queued)
    }

    /// Whether the item is over (done, failed or cancelled).
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            Self::Done | Self::Failed(_) | Self::Cancelled | Self::Skipped
        )
    }

    /// Short label for the row.
    pub fn label(&self) -> String {
        match self {
            Self::Queued => "Queued".into(),
            Self::Uploading => "Uploading".into(),
            Self::Retrying(why) => format!("Retrying: {why}"),
            Self::Paused => "Paused".into(),
            Self::Done => "Done".into(),
            Self::Failed(why) => format!("Failed: {why}"),
            Self::Cancelled => "Cancelled".into(),
            Self::NeedsFile => "Interrupted: drop or pick this file again to resume".into(),
            Self::Conflict => "A file with this name exists".into(),
            Self::Skipped => "Skipped: kept the existing file".into(),
        }
    }
}

/// One queued file. `Copy`: signals and stored values only.
#[derive(Clone, Copy)]
pub struct UploadItem {
    /// Queue-unique id (keys the rows).
    pub id: u64,
    /// The file's name.
    pub name: StoredValue<String>,
    /// Its path below the folder it was dropped or picked into (`photos/2024/a.jpg` for a
    /// folder upload; the name alone otherwise): what the panel shows.
    pub relative: StoredValue<String>,
    /// Size in bytes.
    pub size: u64,
    /// Where it goes on the server.
    pub target: StoredValue<TreePath>,
    /// The bytes, when the browser still has them (not after a reload).
    pub file: StoredValue<Option<File>, LocalStorage>,
    /// Survives reloads: identifies this upload in local storage.
    pub fingerprint: StoredValue<String>,
    /// Current state.
    pub status: RwSignal<UploadStatus>,
    /// Bytes the server has (plus those in flight, for a smooth bar).
    pub sent: RwSignal<u64>,
    /// Smoothed speed for the speed and ETA shown.
    pub speed: RwSignal<SpeedMeter>,
    /// Aborts the requests in flight (pause, cancel): several while parts go in parallel.
    /// Each with the number [`UploadItem::track`] gave it.
    pub in_flight: StoredValue<Vec<(u64, AbortHandle)>, LocalStorage>,
    /// Numbers the tracked requests.
    next_request: StoredValue<u64>,
    /// What to do if the name exists; `None`: ask.
    pub on_conflict: StoredValue<Option<ConflictChoice>>,
    /// After a reload: a stored file handle can give the file back once the user allows.
    pub needs_permission: RwSignal<bool>,
    /// Bumped each time an engine starts on this item; an older engine that has not yet
    /// noticed a pause sees a newer number and stops, so two never upload one file.
    pub run: StoredValue<u64>,
}

impl UploadItem {
    /// A queued item for `file` going to `target`.
    pub fn new(
        id: u64,
        file: Option<File>,
        name: String,
        size: u64,
        target: TreePath,
        fingerprint: String,
    ) -> Self {
        Self {
            id,
            relative: StoredValue::new(name.clone()),
            name: StoredValue::new(name),
            size,
            target: StoredValue::new(target),
            file: StoredValue::new_local(file),
            fingerprint: StoredValue::new(fingerprint),
            status: RwSignal::new(UploadStatus::Queued),
            sent: RwSignal::new(0),
            speed: RwSignal::new(SpeedMeter::default()),
            in_flight: StoredValue::new_local(Vec::new()),
            next_request: StoredValue::new(0),
            on_conflict: StoredValue::new(None),
            run: StoredValue::new(0),
            needs_permission: RwSignal::new(false),
        }
    }

    /// Remembers a request about to be sent, so a pause or cancel can abort it; returns
    /// the number to [`UploadItem::untrack`] it by once it has settled.
    pub fn track(&self, handle: AbortHandle) -> u64 {
        let number = self
            .next_request
            .try_update_value(|n| {
                *n += 1;
                *n
            })
            .unwrap_or_default();
        self.in_flight
            .update_value(|requests| requests.push((number, handle)));
        number
    }

    /// Forgets a settled request.
    pub fn untrack(&self, number: u64) {
        self.in_flight
            .update_value(|requests| requests.retain(|(n, _)| *n != number));
    }

    /// Stops every request in flight (the engine then sees `Aborted` for each).
    pub fn abort_in_flight(&self) {
        let requests = self
            .in_flight
            .try_update_value(std::mem::take)
            .unwrap_or_default();
        for (_, handle) in requests {
            handle.abort();
        }
    }

    /// Fraction done, 0.0–1.0 (an empty file is done when it is done).
    pub fn fraction(&self) -> f64 {
        if self.size == 0 {
            return if self.status.get() == UploadStatus::Done {
                1.0
            } else {
                0.0
            };
        }
        (self.sent.get() as f64 / self.size as f64).clamp(0.0, 1.0)
    }
}
