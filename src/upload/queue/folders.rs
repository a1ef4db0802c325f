//! Dropped folders the upload worker uploads itself (`folder_upload.rs`): one entry of
//! counts per folder in the queue, and the files it hands back queued as files of their own.

use super::{UploadQueue, BATCH_PARALLEL};
use crate::upload::folder_upload::{self, FolderMessage, FolderState, FolderUpload};
use crate::upload::folder_walk;
use crate::upload::handles::{self, Restored};
use crate::upload::persist;
use crate::upload::policy::ConflictChoice;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;
use wasm_bindgen::JsValue;

impl UploadQueue {
    /// Hands the dropped folder `handle` to the upload worker, to go into `dir`; `false`
    /// when it cannot take it (no worker, a server without batches, the route not known
    /// yet): then the caller walks the folder on the page.
    pub fn add_dropped_folder(self, dir: &TreePath, handle: &JsValue) -> bool {
        let name = js_sys::Reflect::get(handle, &"name".into())
            .ok()
            .and_then(|name| name.as_string())
            .unwrap_or_default();
        let key = persist::folder_key(&self.server.get_value(), &dir.to_url_path(), &name);
        // Already being sent (resumed from its kept handle after a reload, say): one
        // walk of it is enough.
        let running = self.folders.with_untracked(|folders| {
            folders
                .iter()
                .any(|old| old.is_active() && old.key.get_value() == key)
        });
        if running {
            return true;
        }
        let Some(folder) = self.start_folder(dir, handle, key.clone()) else {
            return false;
        };
        // The same folder dropped into the same place again takes over its interrupted
        // row: the worker counts what already landed as stored.
        self.folders.update(|folders| {
            folders.retain(|old| old.is_active() || old.key.get_value() != key);
            folders.push(folder);
        });
        self.schedule_tick();
        true
    }

    /// Starts the worker on `handle` into `dir`, remembered for a reload under `key`
    /// (record and handle); `None` if it cannot take it.
    fn start_folder(self, dir: &TreePath, handle: &JsValue, key: String) -> Option<FolderUpload> {
        let route = self.route.get_untracked()?;
        let url = route.batch_url()?;
        if !folder_walk::is_folder(handle) {
            return None;
        }
        let create_only = self.conflict_policy.get_untracked() != Some(ConflictChoice::Replace);
        let server = self.server.get_value();
        let folder = folder_upload::start(
            self.take_id(),
            key.clone(),
            handle,
            dir,
            url,
            &server,
            create_only,
            BATCH_PARALLEL,
        )?;
        persist::save_folder(&key, &folder.saved(&server));
        let handle = handle.clone();
        spawn_local(async move { handles::save(&key, &handle).await });
        Some(folder)
    }

    /// Shows the folder uploads a reload interrupted; where the browser still lets the
    /// kept handle be read, they go on at once.
    pub(super) fn restore_folders(self) {
        let server = self.server.get_value();
        let restored: Vec<FolderUpload> = persist::folders_for(&server)
            .into_iter()
            .filter_map(|(key, saved)| FolderUpload::interrupted(self.take_id(), key, &saved))
            .collect();
        if restored.is_empty() {
            return;
        }
        self.folders
            .update(|folders| folders.extend(restored.iter().copied()));
        // Once discovery has said where batches go (right after a reload it has not).
        let route = self.route;
        Effect::new(move |started: Option<bool>| {
            if started == Some(true) || route.with(Option::is_none) {
                return started.unwrap_or(false);
            }
            for folder in restored.iter().copied() {
                spawn_local(async move { self.resume_folder(folder, false).await });
            }
            true
        });
    }

    /// Starts an interrupted `folder` again from its kept handle; `ask` asks the browser
    /// for permission to read it first (from a click).
    pub async fn resume_folder(self, folder: FolderUpload, ask: bool) {
        let key = folder.key.get_value();
        let handle = match handles::restore_folder(&key, ask).await {
            Restored::Folder(handle) => handle,
            Restored::NeedsPermission => {
                folder.needs_permission.set(true);
                return;
            }
            _ => {
                folder.needs_permission.set(false);
                return;
            }
        };
        if folder.state.get_untracked() != FolderState::Interrupted {
            return;
        }
        let dir = folder.dir.get_value();
        if !self.add_dropped_folder(&dir, &handle) {
            folder.needs_permission.set(true);
        }
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
                let key = folder.key.get_value();
                if counts.finished {
                    persist::forget_folder(&key);
                } else {
                    persist::save_folder(&key, &folder.saved(&self.server.get_value()));
                }
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

    fn folder(self, id: u64) -> Option<FolderUpload> {
        self.folders
            .with_untracked(|folders| folders.iter().find(|folder| folder.id == id).copied())
    }

    /// Whether a folder upload may still send files.
    pub(super) fn folders_busy(self) -> bool {
        self.folders
            .with_untracked(|folders| folders.iter().any(|folder| folder.is_active()))
    }

    /// Runs `act` on every folder upload (pause all, resume all, cancel all).
    pub(super) fn each_folder(self, act: impl Fn(&FolderUpload)) {
        self.folders
            .with_untracked(|folders| folders.iter().for_each(act));
        self.schedule_tick();
    }
}
