//! Dropped folders the upload worker uploads itself (`folder_upload.rs`): one entry of
//! counts per folder in the queue, and the files it hands back queued as files of their own.

use super::{UploadQueue, BATCH_PARALLEL};
use crate::upload::folder_upload::{self, FolderMessage};
use crate::upload::folder_walk;
use crate::upload::policy::ConflictChoice;
use leptos::prelude::*;
use skiff_protocol::TreePath;
use wasm_bindgen::JsValue;

impl UploadQueue {
    /// Hands the dropped folder `handle` to the upload worker, to go into `dir`; `false`
    /// when it cannot take it (no worker, a server without batches, the route not known
    /// yet): then the caller walks the folder on the page.
    pub fn add_dropped_folder(self, dir: &TreePath, handle: &JsValue) -> bool {
        let Some(route) = self.route.get_untracked() else {
            return false;
        };
        let Some(url) = route.batch_url() else {
            return false;
        };
        if !folder_walk::is_folder(handle) {
            return false;
        }
        let create_only = self.conflict_policy.get_untracked() != Some(ConflictChoice::Replace);
        let server = self.server.get_value();
        let started = folder_upload::start(
            self.take_id(),
            handle,
            dir,
            url,
            &server,
            create_only,
            BATCH_PARALLEL,
        );
        let Some(folder) = started else {
            return false;
        };
        self.folders.update(|folders| folders.push(folder));
        self.schedule_tick();
        true
    }

    /// A `folder-*` message from the worker.
    pub(super) fn on_folder_message(self, data: &JsValue) {
        match folder_upload::read_message(data) {
            Some(FolderMessage::Progress(id, counts)) => {
                let Some(folder) = self.folder(id) else {
                    return;
                };
                let before = folder.counts.with_untracked(|counts| counts.done);
                folder.counts.set(counts);
                if counts.done > before {
                    self.unannounced
                        .update_value(|(count, _)| *count += counts.done - before);
                }
                self.announce_completed();
                if counts.finished {
                    // The panel's totals now, not on the next tick.
                    self.changes.update(|n| *n += 1);
                }
                self.schedule_tick();
            }
            Some(FolderMessage::Back(id, files)) => {
                if let Some(folder) = self.folder(id) {
                    self.add_dropped(&folder.dir.get_value(), files, false);
                }
            }
            None => {}
        }
    }

    fn folder(self, id: u64) -> Option<folder_upload::FolderUpload> {
        self.folders
            .with_untracked(|folders| folders.iter().find(|folder| folder.id == id).copied())
    }

    /// Whether a folder upload may still send files.
    pub(super) fn folders_busy(self) -> bool {
        self.folders
            .with_untracked(|folders| folders.iter().any(|folder| folder.is_active()))
    }

    /// Runs `act` on every folder upload (pause all, resume all, cancel all).
    pub(super) fn each_folder(self, act: impl Fn(&folder_upload::FolderUpload)) {
        self.folders
            .with_untracked(|folders| folders.iter().for_each(act));
        self.schedule_tick();
    }
}
