//! One dropped folder the upload worker sends (`upload::folder_upload`): its name, how
//! many of its files are stored, and Pause / Resume / Cancel for the whole folder. Its
//! files that need attention (a conflict, an error) are rows of their own.

use crate::model::human_size;
use crate::upload::folder_upload::{FolderState, FolderUpload};
use crate::upload::queue::UploadQueue;
use leptos::prelude::*;

use super::style;

/// One dropped folder.
#[component]
pub fn FolderRow(
    /// The folder shown.
    folder: FolderUpload,
) -> impl IntoView {
    let queue = expect_context::<UploadQueue>();
    // The heading's totals follow the queue's tick: have it count now.
    let changed = move || queue.changes.update(|n| *n += 1);
    let name = folder.name.get_value();
    let counts = move || folder.counts.get();
    let state = move || folder.state.get();
    let status = move || {
        let counts = counts();
        let mut text = format!(
            "{} of {} files · {} of {}",
            counts.done,
            counts.files,
            human_size(counts.done_bytes),
            human_size(counts.bytes)
        );
        let what = match state() {
            FolderState::Cancelled => " · cancelled",
            _ if counts.finished => " · done",
            FolderState::Paused => " · paused",
            _ if counts.walking => " · uploading while reading the folder",
            FolderState::Running => " · uploading",
        };
        text.push_str(what);
        text
    };
    let fraction = move || {
        let counts = counts();
        if counts.files == 0 {
            0.0
        } else {
            counts.done as f64 / counts.files as f64
        }
    };
    let active =
        move || folder.counts.with(|counts| !counts.finished) && state() != FolderState::Cancelled;
    view! {
        <div class=style::folder data-upload-folder=name.clone()
            data-status=move || if active() { format!("{:?}", state()) } else if state() == FolderState::Cancelled { "Cancelled".to_owned() } else { "Done".to_owned() }>
            <div class=style::item_line>
                <span class=style::name>{format!("Folder {name}")}</span>
                <span class=style::actions>
                    {move || active().then(|| match state() {
                        FolderState::Paused => view! {
                            <button type="button" on:click=move |_| { folder.resume(); changed() }>"Resume"</button>
                        }.into_any(),
                        _ => view! {
                            <button type="button" on:click=move |_| { folder.pause(); changed() }>"Pause"</button>
                        }.into_any(),
                    })}
                    {move || active().then(|| view! {
                        <button type="button" on:click=move |_| { folder.cancel(); changed() }>"Cancel"</button>
                    })}
                </span>
            </div>
            <progress max="1" aria-label=format!("Folder {name} uploaded") value=fraction></progress>
            <div class=style::detail>{status}</div>
        </div>
    }
}
