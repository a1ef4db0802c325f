//! What a reload left: the uploads it interrupted, shown again (with what the server
//! holds of each) and given their files back from kept handles where the browser allows.
//! Interrupted folder uploads are `folders.rs`'s.

use super::UploadQueue;
use crate::upload::handles::{self, Restored};
use crate::upload::item::{UploadItem, UploadStatus};
use crate::upload::persist;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;

impl UploadQueue {
    pub(super) fn restore_interrupted(self) {
        let server = self.server.get_value();
        let restored: Vec<(UploadItem, f64)> = persist::all_for(&server)
            .into_iter()
            .filter_map(|(key, saved)| {
                let target = TreePath::parse_url_path(&saved.target).ok()?;
                let item =
                    UploadItem::new(self.take_id(), None, saved.name, saved.size, target, key);
                item.status.set(UploadStatus::NeedsFile);
                item.sent.set(saved.offset.min(saved.size));
                Some((item, saved.last_modified))
            })
            .collect();
        if restored.is_empty() {
            return;
        }
        self.items
            .set(restored.iter().map(|(item, _)| *item).collect());
        // Where a file handle was kept (Chromium), take the file back without a re-pick;
        // meanwhile the row shows what the server holds (saved progress may lag by 1 s).
        for (item, last_modified) in restored {
            spawn_local(async move { self.reattach(item, last_modified, false).await });
            let server = server.clone();
            spawn_local(async move {
                let key = item.fingerprint.get_value();
                let held = crate::upload::engine::durable_on_server(&key, &server).await;
                if let (Some(bytes), UploadStatus::NeedsFile) = (held, item.status.get_untracked())
                {
                    item.sent.set(bytes);
                }
            });
        }
    }

    /// Gives `item` its file back from a stored handle; with `ask`, asks the user for
    /// permission first (call it from a click).
    pub async fn reattach(self, item: UploadItem, last_modified: f64, ask: bool) {
        let key = item.fingerprint.get_value();
        match handles::restore(&key, ask).await {
            Restored::File(file)
                if file.size() as u64 == item.size && file.last_modified() == last_modified =>
            {
                item.needs_permission.set(false);
                item.file.set_value(Some(file));
                if item.status.get_untracked() == UploadStatus::NeedsFile {
                    self.requeue(item);
                    self.pump();
                }
            }
            Restored::NeedsPermission => item.needs_permission.set(true),
            // Gone, or changed since: only a fresh pick or drop can continue it.
            _ => item.needs_permission.set(false),
        }
    }
}
