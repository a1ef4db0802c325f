//! The upload queue: every file the user dropped or picked, a few uploading at a time,
//! with pause, resume, cancel and retry per file and for all. Provided as context.

use crate::upload::drop_zone::PickedFile;
use crate::upload::engine::{self, Route};
use crate::upload::item::{UploadItem, UploadStatus};
use crate::upload::persist;
use crate::upload::policy::{fingerprint, ConflictChoice, DEFAULT_PARALLEL};
use crate::upload::xhr::XhrRequest;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;

/// The queue. `Copy`: signals only.
#[derive(Clone, Copy)]
pub struct UploadQueue {
    /// Every item, in the order added (finished ones stay until cleared).
    pub items: RwSignal<Vec<UploadItem>>,
    /// How uploads reach the server; `None` while unknown or when it is read-only.
    pub route: RwSignal<Option<Route>>,
    /// Files uploaded at once.
    pub parallel: RwSignal<usize>,
    /// Bumped whenever a file completes (the listing refreshes on it).
    pub completed: RwSignal<u64>,
    /// Why the last drop or pick was refused, for the user.
    pub notice: RwSignal<Option<String>>,
    /// The answer to every name conflict, once the user ticked "apply to all".
    pub conflict_policy: RwSignal<Option<ConflictChoice>>,
    server: StoredValue<String>,
    next_id: StoredValue<u64>,
}

impl UploadQueue {
    /// An empty queue for `server` (the app's `Config::server`), showing the uploads a
    /// reload interrupted.
    pub fn new(server: String) -> Self {
        let queue = Self {
            items: RwSignal::new(Vec::new()),
            route: RwSignal::new(None),
            parallel: RwSignal::new(DEFAULT_PARALLEL),
            completed: RwSignal::new(0),
            notice: RwSignal::new(None),
            conflict_policy: RwSignal::new(None),
            server: StoredValue::new(server),
            next_id: StoredValue::new(0),
        };
        queue.restore_interrupted();
        queue
    }

    fn restore_interrupted(self) {
        let server = self.server.get_value();
        let restored: Vec<UploadItem> = persist::all_for(&server)
            .into_iter()
            .filter_map(|(key, saved)| {
                let target = TreePath::parse_url_path(&saved.target).ok()?;
                let item =
                    UploadItem::new(self.take_id(), None, saved.name, saved.size, target, key);
                item.status.set(UploadStatus::NeedsFile);
                item.sent.set(saved.offset.min(saved.size));
                Some(item)
            })
            .collect();
        if !restored.is_empty() {
            self.items.set(restored);
        }
    }

    fn take_id(self) -> u64 {
        self.next_id
            .try_update_value(|id| {
                *id += 1;
                *id
            })
            .unwrap_or_default()
    }

    /// Queues `files` for upload into `dir` (each keeps its path below the drop target).
    /// One signal update for the whole batch: 10,000 files cost one re-render.
    pub fn add(self, dir: &TreePath, files: Vec<PickedFile>) {
        if files.is_empty() {
            return;
        }
        if self.route.get_untracked().is_none() {
            self.notice
                .set(Some("This server is read-only: uploads are off.".into()));
            return;
        }
        let server = self.server.get_value();
        let mut fresh = Vec::with_capacity(files.len());
        let mut refused = 0usize;
        self.items.update(|items| {
            for picked in files {
                let Some(target) = picked
                    .relative
                    .iter()
                    .try_fold(dir.clone(), |path, segment| path.child(segment).ok())
                    .filter(|target| !target.is_root())
                else {
                    refused += 1;
                    continue;
                };
                let size = picked.file.size() as u64;
                let name = picked.file.name();
                let key = fingerprint(
                    &server,
                    &target.to_string(),
                    &name,
                    size,
                    picked.file.last_modified(),
                );
                // The same file again after a reload: give the interrupted item its bytes back.
                if let Some(waiting) = items.iter().find(|item| {
                    item.fingerprint.with_value(|f| *f == key)
                        && matches!(item.status.get_untracked(), UploadStatus::NeedsFile)
                }) {
                    waiting.file.set_value(Some(picked.file));
                    waiting.status.set(UploadStatus::Queued);
                    continue;
                }
                let item =
                    UploadItem::new(self.take_id(), Some(picked.file), name, size, target, key);
                fresh.push(item);
            }
            items.extend(fresh);
        });
        self.notice.set((refused > 0).then(|| {
            format!("{refused} file(s) skipped: their names cannot be stored on the server.")
        }));
        self.pump();
    }

    /// Starts queued items while fewer than `parallel` are uploading.
    fn pump(self) {
        let Some(route) = self.route.get_untracked() else {
            return;
        };
        let items = self.items.get_untracked();
        let mut active = items
            .iter()
            .filter(|item| {
                matches!(
                    item.status.get_untracked(),
                    UploadStatus::Uploading | UploadStatus::Retrying(_)
                )
            })
            .count();
        let limit = self.parallel.get_untracked().max(1);
        for item in items {
            if active >= limit {
                break;
            }
            if !item.status.get_untracked().is_pending() {
                continue;
            }
            active += 1;
            item.status.set(UploadStatus::Uploading);
            let server = self.server.get_value();
            let route = route.clone();
            spawn_local(async move {
                engine::run(item, server, route).await;
                if item.status.get_untracked() == UploadStatus::Done {
                    self.completed.update(|n| *n += 1);
                }
                self.pump();
            });
        }
    }

    /// Pauses one upload (the server keeps what it has).
    pub fn pause(self, item: UploadItem) {
        if matches!(
            item.status.get_untracked(),
            UploadStatus::Queued | UploadStatus::Uploading | UploadStatus::Retrying(_)
        ) {
            item.status.set(UploadStatus::Paused);
            item.abort_in_flight();
            item.speed.update(|meter| meter.reset());
        }
    }

    /// Resumes (or retries) one upload from the server's offset.
    pub fn resume(self, item: UploadItem) {
        if matches!(
            item.status.get_untracked(),
            UploadStatus::Paused | UploadStatus::Failed(_)
        ) {
            item.status.set(UploadStatus::Queued);
            self.pump();
        }
    }

    /// Cancels one upload for good; the server's partial data is removed.
    pub fn cancel(self, item: UploadItem) {
        let status = item.status.get_untracked();
        if status.is_finished() {
            return;
        }
        let was_uploading = matches!(status, UploadStatus::Uploading);
        item.status.set(UploadStatus::Cancelled);
        if was_uploading {
            item.abort_in_flight(); // the engine removes the session
        } else {
            let key = item.fingerprint.get_value();
            if let Some(saved) = persist::load(&key) {
                persist::forget(&key);
                spawn_local(async move {
                    if let Ok(request) = XhrRequest::new("DELETE", &saved.url) {
                        let _ = request.send(None, |_| {}).await;
                    }
                });
            }
        }
        self.pump();
    }

    /// Answers a name conflict for `item` (and, with `apply_to_all`, for every conflict
    /// now waiting and to come).
    pub fn resolve_conflict(self, item: UploadItem, choice: ConflictChoice, apply_to_all: bool) {
        let targets = if apply_to_all {
            self.conflict_policy.set(Some(choice));
            let items = self.items.get_untracked();
            for other in &items {
                other.on_conflict.set_value(Some(choice));
            }
            items
                .into_iter()
                .filter(|other| other.status.get_untracked() == UploadStatus::Conflict)
                .collect()
        } else {
            vec![item]
        };
        for target in targets {
            target.on_conflict.set_value(Some(choice));
            target.status.set(UploadStatus::Queued);
        }
        self.pump();
    }

    /// Pauses every unfinished upload.
    pub fn pause_all(self) {
        self.items
            .with_untracked(|items| items.iter().for_each(|item| self.pause(*item)));
    }

    /// Resumes every paused or failed upload.
    pub fn resume_all(self) {
        for item in self.items.get_untracked() {
            if matches!(
                item.status.get_untracked(),
                UploadStatus::Paused | UploadStatus::Failed(_)
            ) {
                item.status.set(UploadStatus::Queued);
            }
        }
        self.pump();
    }

    /// Cancels every unfinished upload.
    pub fn cancel_all(self) {
        for item in self.items.get_untracked() {
            self.cancel(item);
        }
    }

    /// Removes finished items from the list.
    pub fn clear_finished(self) {
        self.items
            .update(|items| items.retain(|item| !item.status.get_untracked().is_finished()));
    }
}
