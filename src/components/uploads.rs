//! The upload views: the Upload buttons, the drop overlay, and (in `panel`) the queue
//! panel with its conflicts first, a row per file and honest totals.

mod conflict;
mod folder_row;
mod panel;
mod row;
mod totals;

pub use panel::UploadPanel;

use crate::state::Browser;
use crate::upload::drop_zone::{files_of_list, use_window_drop_zone};
use crate::upload::queue::UploadQueue;
use leptos::html::Input;
use leptos::prelude::*;
use skiff_protocol::TreePath;

stylance::import_crate_style!(style, "src/components/uploads.module.css");

/// "Upload files" and "Upload folder" buttons (hidden file inputs behind them).
#[component]
pub fn UploadButtons() -> impl IntoView {
    let queue = expect_context::<UploadQueue>();
    let browser = expect_context::<Browser>();
    let files_input = NodeRef::<Input>::new();
    let folder_input = NodeRef::<Input>::new();
    let disabled = move || queue.route.with(Option::is_none);
    let on_pick = move |input: NodeRef<Input>| {
        if let Some(input) = input.get_untracked() {
            let files = files_of_list(input.files());
            let dir = browser.route.with_untracked(|route| route.dir.clone());
            queue.add(&dir, files);
            input.set_value(""); // picking the same file again must fire `change` again
        }
    };
    let title = move || {
        if disabled() {
            "This server is read-only"
        } else {
            "Upload into this folder (or drop files anywhere)"
        }
    };
    // A read-only server or token is not offered uploads at all (hidden, not greyed out).
    view! {
        <Show when=move || !queue.read_only.get()>
        <div class=style::buttons>
            <input type="file" multiple class="visually-hidden" tabindex="-1" aria-hidden="true"
                data-upload="files" node_ref=files_input on:change=move |_| on_pick(files_input)/>
            <input type="file" multiple prop:webkitdirectory=true class="visually-hidden" tabindex="-1"
                aria-hidden="true" data-upload="folder" node_ref=folder_input
                on:change=move |_| on_pick(folder_input)/>
            <button type="button" class=style::button disabled=disabled title=title
                on:click=move |_| { if let Some(input) = files_input.get_untracked() { input.click() } }>
                "Upload files"
            </button>
            <button type="button" class=style::button disabled=disabled title=title
                on:click=move |_| { if let Some(input) = folder_input.get_untracked() { input.click() } }>
                "Upload folder"
            </button>
        </div>
        </Show>
    }
}

/// The whole window as a drop target, with an overlay while files are dragged over it.
#[component]
pub fn DropOverlay() -> impl IntoView {
    let queue = expect_context::<UploadQueue>();
    let browser = expect_context::<Browser>();
    // The folder on screen when the files were dropped: a long walk's later batches go
    // there too, even if the user has moved on meanwhile.
    let drop_dir = StoredValue::new(TreePath::root());
    let zone = use_window_drop_zone(
        move |files, first| {
            if first {
                drop_dir.set_value(browser.route.with_untracked(|route| route.dir.clone()));
            }
            queue.add_dropped(&drop_dir.get_value(), files, first);
        },
        move |handle| queue.add_dropped_folder(&drop_dir.get_value(), handle),
    );
    let target = move || browser.route.with(|route| route.dir.to_string());
    view! {
        <Show when=move || zone.is_over.get()>
            <div class=style::overlay aria-hidden="true">
                <div class=style::overlay_box>
                    {move || if queue.route.with(Option::is_some) {
                        format!("Drop to upload into {}", target())
                    } else {
                        "This server is read-only".to_owned()
                    }}
                </div>
            </div>
        </Show>
    }
}
