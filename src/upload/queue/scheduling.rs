//! Scheduling: which queued files start, how many at once (large files, small ones, or
//! batches of small ones), and what happens when an engine run ends.

use super::{UploadQueue, BATCH_PARALLEL, COMPLETED_WHILE_BUSY_MS, SMALL_PARALLEL, TICK_EVERY_MS};
use crate::upload::engine::batch::{BATCH_BYTES, BATCH_FILES, BATCH_FILE_MAX};
use crate::upload::engine::{self, Route};
use crate::upload::item::{UploadItem, UploadStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;

impl UploadQueue {
    /// Starts queued items while fewer than `parallel` large and [`SMALL_PARALLEL`] small
    /// files are uploading.
    pub(super) fn pump(self) {
        let Some(route) = self.route.get_untracked() else {
            return;
        };
        self.pump_kind(&route, false, self.parallel.get_untracked().max(1));
        self.pump_kind(&route, true, SMALL_PARALLEL);
        self.schedule_tick();
    }

    /// [`UploadQueue::pump`] for one kind of file (`small` or not).
    fn pump_kind(self, route: &Route, small: bool, limit: usize) {
        if small {
            if let Some(url) = route.batch_url() {
                self.pump_batches(route, url);
                return;
            }
        }
        let pick = move |pair: (usize, usize)| if small { pair.1 } else { pair.0 };
        let mut index = pick(self.scan_from.get_value());
        while pick(self.active.get_value()) < limit {
            let Some(item) = self.items.with_untracked(|items| items.get(index).copied()) else {
                break;
            };
            index += 1;
            if !item.status.get_untracked().is_pending()
                || route.method_for(item.size).is_small() != small
            {
                continue;
            }
            self.start_one(item, route, small);
        }
        self.scan_from.update_value(|pair| {
            if small {
                pair.1 = index;
            } else {
                pair.0 = index;
            }
        });
    }

    /// Small files on a server that takes batches: up to [`BATCH_PARALLEL`] requests in
    /// flight, each with the next queued files (up to `BATCH_FILES` and `BATCH_BYTES`); a
    /// small file over `BATCH_FILE_MAX` goes alone.
    fn pump_batches(self, route: &Route, url: &str) {
        let mut index = self.scan_from.get_value().1;
        while self.active.get_value().1 < BATCH_PARALLEL {
            let mut batch = Vec::new();
            let mut bytes = 0;
            while let Some(item) = self.items.with_untracked(|items| items.get(index).copied()) {
                if !item.status.get_untracked().is_pending()
                    || !route.method_for(item.size).is_small()
                {
                    index += 1;
                    continue;
                }
                let full = batch.len() >= BATCH_FILES || bytes + item.size > BATCH_BYTES;
                if item.size > BATCH_FILE_MAX || (full && !batch.is_empty()) {
                    break;
                }
                bytes += item.size;
                batch.push(item);
                index += 1;
            }
            if !batch.is_empty() {
                self.start_batch(batch, url.to_owned());
                continue;
            }
            // Nothing to batch: the next file is a bigger small one, or there is none.
            let Some(item) = self.items.with_untracked(|items| items.get(index).copied()) else {
                break;
            };
            index += 1;
            self.start_one(item, route, true);
        }
        self.scan_from.update_value(|pair| pair.1 = index);
    }

    /// Starts the engine on one queued file.
    fn start_one(self, item: UploadItem, route: &Route, small: bool) {
        self.count_active(small, true);
        item.status.set(UploadStatus::Uploading);
        let server = self.server.get_value();
        let route = route.clone();
        spawn_local(async move {
            engine::run(item, server, route).await;
            self.finished(&[item], small);
        });
    }

    /// Starts one batch of small files (one slot among the small ones).
    fn start_batch(self, items: Vec<UploadItem>, url: String) {
        self.count_active(true, true);
        for item in &items {
            item.status.set(UploadStatus::Uploading);
        }
        let server = self.server.get_value();
        spawn_local(async move {
            engine::batch::run(items.clone(), server, url).await;
            self.finished(&items, true);
        });
    }

    /// After an engine run: frees its slot, counts what is done, starts more.
    fn finished(self, items: &[UploadItem], small: bool) {
        self.count_active(small, false);
        let done = items
            .iter()
            .filter(|item| item.status.get_untracked() == UploadStatus::Done)
            .count() as u64;
        if done > 0 {
            self.unannounced.update_value(|(count, _)| *count += done);
        }
        self.pump();
        self.announce_completed();
    }

    /// Bumps `completed` for the files done since the last bump: now if the queue is idle,
    /// else once [`COMPLETED_WHILE_BUSY_MS`] have passed (the tick calls this again).
    pub(super) fn announce_completed(self) {
        let (count, last_ms) = self.unannounced.get_value();
        if count == 0 {
            return;
        }
        let now = js_sys::Date::now();
        let (large, small) = self.active.get_value();
        let idle = large + small == 0 && !self.folders_busy();
        if idle || now - last_ms >= COMPLETED_WHILE_BUSY_MS {
            self.unannounced.set_value((0, now));
            self.completed.update(|n| *n += count);
        }
    }

    /// One more (`started`) or one fewer engine of a kind.
    fn count_active(self, small: bool, started: bool) {
        self.active.update_value(|(large, smalls)| {
            let count = if small { smalls } else { large };
            *count = if started {
                *count + 1
            } else {
                count.saturating_sub(1)
            };
        });
    }

    /// Bumps `changes` soon, and again every [`TICK_EVERY_MS`] while engines run (for the
    /// panel only: the uploads themselves never wait on a timer).
    pub(super) fn schedule_tick(self) {
        if self.tick_scheduled.get_value() {
            return;
        }
        self.tick_scheduled.set_value(true);
        set_timeout(
            move || {
                self.tick_scheduled.set_value(false);
                self.changes.update(|n| *n += 1);
                self.announce_completed();
                let (large, small) = self.active.get_value();
                if large + small > 0 || self.folders_busy() {
                    self.schedule_tick();
                }
            },
            std::time::Duration::from_millis(TICK_EVERY_MS),
        );
    }
}
