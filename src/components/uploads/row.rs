//! One file in the upload list: its path below the folder it went into, its state in
//! words, a progress bar, speed and time left, and the buttons that apply to it.

use crate::components::virtual_window::VirtualWindow;
use crate::model::human_size;
use crate::upload::item::{UploadItem, UploadStatus};
use crate::upload::persist;
use crate::upload::policy::human_eta;
use crate::upload::queue::UploadQueue;
use leptos::prelude::*;

use super::style;

/// Row height of the queue list; must match `.item` in uploads.module.css.
pub const ROW_HEIGHT: f64 = 64.0;

/// One file in the queue.
#[component]
pub fn QueueRow(
    /// The upload shown.
    item: UploadItem,
    /// Its position in the list.
    position: usize,
    /// The list's scrolling window.
    window: VirtualWindow,
) -> impl IntoView {
    let queue = expect_context::<UploadQueue>();
    let detail = move || {
        let sent = item.sent.get().min(item.size);
        let mut text = format!("{} of {}", human_size(sent), human_size(item.size));
        if item.size > 0 {
            text.push_str(&format!(
                " · {:.0}%",
                (sent as f64 * 100.0 / item.size as f64).floor()
            ));
        }
        if item.status.get() == UploadStatus::Uploading {
            let meter = item.speed.get();
            if let Some(speed) = meter.bytes_per_second() {
                text.push_str(&format!(" · {}/s", human_size(speed as u64)));
            }
            if let Some(eta) = meter.eta_seconds(item.size - sent) {
                text.push_str(&format!(" · {} left", human_eta(eta)));
            }
        }
        text
    };
    let status = move || item.status.get();
    // A name conflict is asked at the top of the panel: have the panel move this row there
    // now rather than on its next tick.
    Effect::new(move |_| {
        if item.status.get() == UploadStatus::Conflict {
            queue.changes.update(|n| *n += 1);
        }
    });
    let path = item.relative.get_value();
    let shown = path.clone();
    view! {
        <div class=style::item style:transform=window.offset(position) data-upload-name=item.name.get_value()
            data-upload-path=path
            data-status=move || match status() {
                // The question itself (data-status "Conflict") is the card at the top.
                UploadStatus::Conflict => "Asking".to_owned(),
                other => format!("{other:?}").split('(').next().unwrap_or_default().to_owned(),
            }>
            <div class=style::item_line>
                <span class=style::name title=item.target.with_value(ToString::to_string)>{shown}</span>
                <span class=style::actions>
                    {move || match status() {
                        UploadStatus::Queued | UploadStatus::Uploading | UploadStatus::Retrying(_) => view! {
                            <button type="button" on:click=move |_| queue.pause(item)>"Pause"</button>
                        }.into_any(),
                        UploadStatus::Paused => view! {
                            <button type="button" on:click=move |_| queue.resume(item)>"Resume"</button>
                        }.into_any(),
                        UploadStatus::Failed(_) => view! {
                            <button type="button" on:click=move |_| queue.resume(item)>"Retry"</button>
                        }.into_any(),
                        UploadStatus::NeedsFile if item.needs_permission.get() => view! {
                            <button type="button" on:click=move |_| {
                                let last_modified = persist::load(&item.fingerprint.get_value())
                                    .map_or(f64::NAN, |saved| saved.last_modified);
                                leptos::task::spawn_local(queue.reattach(item, last_modified, true));
                            }>"Resume"</button>
                        }.into_any(),
                        _ => ().into_any(),
                    }}
                    {move || (!status().is_finished()).then(|| view! {
                        <button type="button" on:click=move |_| queue.cancel(item)>"Cancel"</button>
                    })}
                </span>
            </div>
            <progress max="1" aria-label=format!("{} uploaded", item.relative.get_value())
                value=move || item.fraction()></progress>
            <div class=move || if matches!(status(), UploadStatus::Failed(_)) { style::failed } else { style::detail }>
                {move || match status() {
                    UploadStatus::Uploading => detail(),
                    UploadStatus::NeedsFile if item.needs_permission.get() => format!(
                        "Interrupted: press Resume (the browser asks to read the file again) · {}",
                        detail()
                    ),
                    UploadStatus::Cancelled => format!("Cancelled · {} not uploaded", human_size(item.size)),
                    UploadStatus::Conflict => "This name exists: answer above".to_owned(),
                    other => format!("{} · {}", other.label(), detail()),
                }}
            </div>
        </div>
    }
}
