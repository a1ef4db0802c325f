//! Dragging entries of the listing onto a folder (a folder row or a tree item) moves them
//! there; with Ctrl (Option on a Mac) held at the drop it copies them. The drag carries
//! the source folder and the names as JSON under its own type, so a drop elsewhere (the
//! desktop, another app) gets only the plain-text names.

use super::{Actions, Bulk};
use crate::state::Browser;
use crate::upload::drop_zone::{carries, FolderDropTarget};
use crate::upload::queue::UploadQueue;
use serde::{Deserialize, Serialize};
use skiff_protocol::TreePath;
use web_sys::DragEvent;

/// The drag data type for entries of a Skiff listing.
pub const ENTRIES_TYPE: &str = "application/x-skiff-entries";

/// What a drag of listing rows carries.
#[derive(Debug, Serialize, Deserialize)]
struct Dragged {
    /// The folder they are in, as segments.
    dir: Vec<String>,
    /// Their names.
    names: Vec<String>,
}

/// For `dragstart`: the drag carries `names` of `dir`.
pub fn start(event: &DragEvent, dir: &TreePath, names: Vec<String>) {
    let Some(transfer) = event.data_transfer() else {
        return;
    };
    let plain = names.join("\n");
    if names.len() > 1 {
        // The browser's picture is the one row under the pointer: show how many go.
        show_count(&transfer, names.len());
    }
    let dragged = Dragged {
        dir: dir.segments().to_vec(),
        names,
    };
    if let Ok(json) = serde_json::to_string(&dragged) {
        let _ = transfer.set_data(ENTRIES_TYPE, &json);
        let _ = transfer.set_data("text/plain", &plain);
        transfer.set_effect_allowed("copyMove");
    }
}

/// Whether a drag carries listing entries (its data is readable only at the drop).
pub fn carries_entries(event: &DragEvent) -> bool {
    carries(event, ENTRIES_TYPE)
}

/// For `drop` on the folder `target` (a folder row or a tree item): dragged entries move
/// (or copy) into it, dropped files upload into it.
pub fn drop_on_folder(
    event: &DragEvent,
    hover: FolderDropTarget,
    target: TreePath,
    actions: Actions,
    browser: Browser,
    queue: UploadQueue,
) {
    hover.leave();
    if !drop_entries(event, actions, browser, &target) {
        let folder_target = target.clone();
        hover.drop(
            event,
            move |files, first| queue.add_dropped(&target, files, first),
            // A dropped folder is walked and uploaded by the upload worker, as on the page.
            move |handle| queue.add_dropped_folder(&folder_target, handle),
        );
    }
}

/// Moves (or with Ctrl/Option copies) the dragged entries into `target`. Whether the drop
/// carried entries (and was handled here).
fn drop_entries(event: &DragEvent, actions: Actions, browser: Browser, target: &TreePath) -> bool {
    if !carries_entries(event) {
        return false;
    }
    event.prevent_default();
    let Some(dragged) = event
        .data_transfer()
        .and_then(|transfer| transfer.get_data(ENTRIES_TYPE).ok())
        .and_then(|json| serde_json::from_str::<Dragged>(&json).ok())
    else {
        return true;
    };
    let Ok(from) = TreePath::from_segments(dragged.dir) else {
        return true;
    };
    if from == *target {
        return true; // dropped where they already are
    }
    let into_itself = dragged
        .names
        .iter()
        .filter_map(|name| from.child(name).ok())
        .any(|source| target.starts_with(&source));
    if into_itself {
        actions.show_error("A folder cannot be moved into itself.".to_owned());
        return true;
    }
    let bulk = if event.ctrl_key() || event.alt_key() {
        Bulk::Copy
    } else {
        Bulk::Move
    };
    actions.run(browser, bulk, from, dragged.names, Some(target.clone()));
    true
}

/// Makes the drag's picture a badge saying "N items" (it must be in the page while the
/// drag starts; it goes right after).
fn show_count(transfer: &web_sys::DataTransfer, count: usize) {
    let document = leptos::prelude::document();
    let (Ok(badge), Some(body)) = (document.create_element("div"), document.body()) else {
        return;
    };
    badge.set_class_name(super::style::drag_badge);
    badge.set_text_content(Some(&format!("{count} items")));
    if body.append_child(&badge).is_ok() {
        transfer.set_drag_image(&badge, -12, -12);
        leptos::prelude::set_timeout(move || badge.remove(), std::time::Duration::ZERO);
    }
}
