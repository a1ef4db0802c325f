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
        if state() == FolderState::Interrupted {
            let found = if counts.walking {
                "found so far"
            } else {
                "in it"
            };
            let how = if folder.needs_permission.get() {
                "press Resume, or drop the folder here again, to send the rest"
            } else {
                "drop the folder here again to send the rest"
            };
            return format!(
                "Stopped when the page was closed or reloaded: {} of the {} files {found} had \
                 landed. To finish, {how} \
                 (files already there are not sent twice).",
                counts.done, counts.files
            );
        }
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
            FolderState::Interrupted => " · interrupted",
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
    let interrupted = move || state() == FolderState::Interrupted;
    let data_status = move || {
        if active() {
            format!("{:?}", state())
        } else if state() == FolderState::Cancelled {
            "Cancelled".to_owned()
        } else {
            "Done".to_owned()
        }
    };
    // Asking to read the kept folder again needs this click.
    let resume_kept = move |_| {
        leptos::task::spawn_local(async move { queue.resume_folder(folder, true).await });
        changed();
    };
    view! {
        <div class=style::folder data-upload-folder=name.clone() data-status=data_status>
            <div class=style::item_line>
                <span class=style::name>{format!("Folder {name}")}</span>
                <span class=style::actions>
                    {move || (active() && !interrupted()).then(|| match state() {
                        FolderState::Paused => view! {
                            <button type="button" on:click=move |_| { folder.resume(); changed() }>"Resume"</button>
                        }.into_any(),
                        _ => view! {
                            <button type="button" on:click=move |_| { folder.pause(); changed() }>"Pause"</button>
                        }.into_any(),
                    })}
                    {move || (interrupted() && folder.needs_permission.get()).then(|| view! {
                        <button type="button" on:click=resume_kept>"Resume"</button>
                    })}
                    {move || active().then(|| view! {
                        <button type="button" on:click=move |_| { folder.cancel(); changed() }>
                            {if interrupted() { "Forget" } else { "Cancel" }}
                        </button>
                    })}
                </span>
            </div>
            <progress max="1" aria-label=format!("Folder {name} uploaded") value=fraction></progress>
            <div class=style::detail>{status}</div>
        </div>
    }
}
