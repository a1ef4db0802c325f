//! The upload queue: every file the user dropped or picked, a few uploading at a time,
//! with pause, resume, cancel and retry per file and for all. Provided as context.

use crate::upload::drop_zone::PickedFile;
use crate::upload::engine::Route;
use crate::upload::folder_upload::FolderUpload;
use crate::upload::handles;
use crate::upload::item::{UploadItem, UploadStatus};
use crate::upload::persist;
use crate::upload::policy::{fingerprint, ConflictChoice, DEFAULT_PARALLEL};
use crate::upload::xhr::XhrRequest;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;
use std::collections::HashMap;

mod folders;
mod restore;
mod scheduling;

/// Where the chosen parallelism is remembered.
const PARALLEL_KEY: &str = "skiff-upload-parallel";
/// More than this only contends for the same link.
const MAX_PARALLEL: usize = 8;
/// Small files (one request each, see `plan::Method::Small`) at once: each costs a round
/// trip and a durable write rather than bandwidth, so many overlap well.
pub const SMALL_PARALLEL: usize = 16;
/// Batches of small files in flight at once (each is one request of many files).
pub const BATCH_PARALLEL: usize = 4;
/// How often the panel's totals are refreshed while uploads run.
const TICK_EVERY_MS: u64 = 200;
/// While files are still uploading, `completed` (which refreshes the listing) is bumped
/// at most this often: a listing of thousands of entries costs the page's main thread
/// more than the uploads themselves. Once the queue is idle it is bumped at once.
const COMPLETED_WHILE_BUSY_MS: f64 = 5000.0;

fn saved_parallel() -> Option<usize> {
    let storage = web_sys::window()?.local_storage().ok()??;
    let saved = storage
        .get_item(PARALLEL_KEY)
        .ok()??
        .parse::<usize>()
        .ok()?;
    Some(saved.clamp(1, MAX_PARALLEL))
}

/// The queue. `Copy`: signals only.
#[derive(Clone, Copy)]
pub struct UploadQueue {
    /// Every item, in the order added (finished ones stay until cleared).
    pub items: RwSignal<Vec<UploadItem>>,
    /// Dropped folders the upload worker uploads (`folders.rs`): counts, not items.
    pub folders: RwSignal<Vec<FolderUpload>>,
    /// How uploads reach the server; `None` while unknown or when it is read-only.
    pub route: RwSignal<Option<Route>>,
    /// Large files uploaded at once (small ones go up to [`SMALL_PARALLEL`] at once).
    pub parallel: RwSignal<usize>,
    /// Bumped at most every [`TICK_EVERY_MS`] while anything changes: what the panel's
    /// totals follow instead of every item's signals (10,000 small files must not mean
    /// 10,000 recomputations over 10,000 items).
    pub changes: RwSignal<u64>,
    /// Bumped when files have completed (the listing refreshes on it): at once when the
    /// queue goes idle, at most every [`COMPLETED_WHILE_BUSY_MS`] while it is busy.
    pub completed: RwSignal<u64>,
    /// Files completed since `completed` was last bumped, and when that was.
    unannounced: StoredValue<(u64, f64)>,
    /// Whether the server is known to refuse writes from this client (as opposed to not
    /// known yet, while the page loads: files added then wait for the route).
    pub read_only: RwSignal<bool>,
    /// Why the last drop or pick was refused, for the user.
    pub notice: RwSignal<Option<String>>,
    /// Files of the drop being added whose names cannot be stored (for `notice`).
    refused_in_drop: StoredValue<usize>,
    /// The answer to every name conflict, once the user ticked "apply to all".
    pub conflict_policy: RwSignal<Option<ConflictChoice>>,
    server: StoredValue<String>,
    next_id: StoredValue<u64>,
    /// Engines running now on large files, and on small ones.
    active: StoredValue<(usize, usize)>,
    /// For large files and for small ones: every item before this index has been started,
    /// is of the other kind, or was not queued when looked at; reset to 0 whenever an
    /// item is queued again. Keeps `pump` from rescanning 10,000 finished items each time
    /// one completes.
    scan_from: StoredValue<(usize, usize)>,
    /// Whether a `changes` bump is already scheduled.
    tick_scheduled: StoredValue<bool>,
    /// The queue's reactive owner. Items are created under it: files are often added from
    /// a listing row's drop handler, and a row is disposed (with every signal created
    /// under it) when the listing refreshes, which would freeze those items mid-upload.
    owner: StoredValue<Option<Owner>, LocalStorage>,
}

impl UploadQueue {
    /// An empty queue for `server` (the app's `Config::server`), showing the uploads a
    /// reload interrupted.
    pub fn new(server: String) -> Self {
        let queue = Self {
            items: RwSignal::new(Vec::new()),
            folders: RwSignal::new(Vec::new()),
            route: RwSignal::new(None),
            parallel: RwSignal::new(saved_parallel().unwrap_or(DEFAULT_PARALLEL)),
            completed: RwSignal::new(0),
            unannounced: StoredValue::new((0, f64::NEG_INFINITY)),
            changes: RwSignal::new(0),
            notice: RwSignal::new(None),
            refused_in_drop: StoredValue::new(0),
            read_only: RwSignal::new(false),
            conflict_policy: RwSignal::new(None),
            server: StoredValue::new(server),
            next_id: StoredValue::new(0),
            active: StoredValue::new((0, 0)),
            scan_from: StoredValue::new((0, 0)),
            tick_scheduled: StoredValue::new(false),
            owner: StoredValue::new_local(Owner::current()),
        };
        queue.restore_interrupted();
        queue.restore_folders();
        crate::upload::worker_io::on_folder_message(move |data| queue.on_folder_message(data));
        // Items may be queued before discovery says how to upload: start them once it has.
        Effect::new(move |_| {
            if queue.route.with(Option::is_some) {
                queue.pump();
            }
        });
        queue
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
        self.add_dropped(dir, files, true);
    }

    /// Queues one batch of a drop (see `drop_zone::take_dropped`): `first` starts a new
    /// drop, whose refused names are counted afresh.
    pub fn add_dropped(self, dir: &TreePath, files: Vec<PickedFile>, first: bool) {
        if first {
            self.refused_in_drop.set_value(0);
        }
        if files.is_empty() {
            return;
        }
        if self.route.get_untracked().is_none() && self.read_only.get_untracked() {
            self.notice
                .set(Some("This server is read-only: uploads are off.".into()));
            return;
        }
        let server = self.server.get_value();
        let mut fresh = Vec::with_capacity(files.len());
        let mut refused = 0usize;
        // Interrupted uploads waiting for their file, by fingerprint (usually none).
        let waiting: HashMap<String, UploadItem> = self.items.with_untracked(|items| {
            items
                .iter()
                .filter(|item| item.status.get_untracked() == UploadStatus::NeedsFile)
                .map(|item| (item.fingerprint.get_value(), *item))
                .collect()
        });
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
            let modified = picked.file.last_modified();
            let key = fingerprint(&server, &target.to_string(), &name, size, modified);
            // The same file again after a reload: give the interrupted item its bytes back.
            if let Some(handle) = picked.handle.clone() {
                let key = key.clone();
                spawn_local(async move { handles::save(&key, &handle).await });
            }
            if let Some(item) = waiting.get(&key) {
                item.file.set_value(Some(picked.file));
                item.status.set(UploadStatus::Queued);
                continue;
            }
            let id = self.take_id();
            let file = Some(picked.file);
            let relative = picked.relative.join("/");
            let item = self.owned(|| UploadItem::new(id, file, name, size, target, key));
            if !relative.is_empty() {
                item.relative.set_value(relative);
            }
            item.on_conflict
                .set_value(self.conflict_policy.get_untracked());
            fresh.push(item);
        }
        self.items.update(|items| items.extend(fresh));
        self.scan_from.set_value((0, 0));
        self.refused_in_drop.update_value(|count| *count += refused);
        let refused = self.refused_in_drop.get_value();
        if first || refused > 0 {
            self.notice.set((refused > 0).then(|| {
                format!("{refused} file(s) skipped: their names cannot be stored on the server.")
            }));
        }
        self.pump();
    }

    /// Runs `make` under the queue's owner (see the `owner` field).
    fn owned<T>(self, make: impl FnOnce() -> T) -> T {
        match self.owner.get_value() {
            Some(owner) => owner.with(make),
            None => make(),
        }
    }

    /// Marks `item` queued again and makes `pump` look at it.
    fn requeue(self, item: UploadItem) {
        item.status.set(UploadStatus::Queued);
        self.scan_from.set_value((0, 0));
    }

    /// Sets how many files upload at once (remembered for next time), starting more now if
    /// the limit went up.
    pub fn set_parallel(self, parallel: usize) {
        let parallel = parallel.clamp(1, MAX_PARALLEL);
        self.parallel.set(parallel);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(PARALLEL_KEY, &parallel.to_string());
        }
        self.pump();
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
            self.schedule_tick();
        }
    }

    /// Resumes (or retries) one upload from the server's offset.
    pub fn resume(self, item: UploadItem) {
        if matches!(
            item.status.get_untracked(),
            UploadStatus::Paused | UploadStatus::Failed(_)
        ) {
            self.requeue(item);
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
                    if let Ok(request) = XhrRequest::new("DELETE", &saved.url, &saved.server) {
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
            self.requeue(target);
        }
        self.pump();
    }

    /// Pauses every unfinished upload.
    pub fn pause_all(self) {
        self.each_folder(FolderUpload::pause);
        self.items
            .with_untracked(|items| items.iter().for_each(|item| self.pause(*item)));
    }

    /// Resumes every paused or failed upload.
    pub fn resume_all(self) {
        self.each_folder(FolderUpload::resume);
        for item in self.items.get_untracked() {
            if matches!(
                item.status.get_untracked(),
                UploadStatus::Paused | UploadStatus::Failed(_)
            ) {
                self.requeue(item);
            }
        }
        self.pump();
    }

    /// Cancels every unfinished upload.
    pub fn cancel_all(self) {
        self.each_folder(FolderUpload::cancel);
        for item in self.items.get_untracked() {
            self.cancel(item);
        }
    }

    /// Removes finished items from the list.
    pub fn clear_finished(self) {
        self.items
            .update(|items| items.retain(|item| !item.status.get_untracked().is_finished()));
        self.folders
            .update(|folders| folders.retain(FolderUpload::is_unfinished));
        self.scan_from.set_value((0, 0)); // indices moved
        self.schedule_tick();
    }
}
