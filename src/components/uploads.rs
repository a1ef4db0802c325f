//! The upload views: the Upload buttons, the drop overlay, and the queue panel with a
//! progress bar, speed and ETA per file and pause/resume/cancel/retry.

use crate::components::virtual_window::VirtualWindow;
use crate::model::human_size;
use crate::state::Browser;
use crate::upload::drop_zone::{files_of_list, use_window_drop_zone};
use crate::upload::engine::Route;
use crate::upload::item::{UploadItem, UploadStatus};
use crate::upload::persist;
use crate::upload::policy::{human_eta, ConflictChoice};
use crate::upload::queue::UploadQueue;
use leptos::html::Input;
use leptos::prelude::*;

stylance::import_crate_style!(style, "src/components/uploads.module.css");

/// Row height of the queue list; must match `.item` in uploads.module.css.
const ROW_HEIGHT: f64 = 64.0;

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
    view! {
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
    }
}

/// The whole window as a drop target, with an overlay while files are dragged over it.
#[component]
pub fn DropOverlay() -> impl IntoView {
    let queue = expect_context::<UploadQueue>();
    let browser = expect_context::<Browser>();
    let zone = use_window_drop_zone(move |files| {
        let dir = browser.route.with_untracked(|route| route.dir.clone());
        queue.add(&dir, files);
    });
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

/// The queue panel, shown once something was queued.
#[component]
pub fn UploadPanel() -> impl IntoView {
    let queue = expect_context::<UploadQueue>();
    let window = VirtualWindow::new(ROW_HEIGHT);
    let count = Memo::new(move |_| queue.items.with(Vec::len));
    // Follows the queue's coalesced `changes`, not every item's signals: with 10,000
    // small files, one recomputation per file would cost 10,000² reads.
    let totals = Memo::new(move |_| {
        queue.changes.track();
        queue.items.with(|items| {
            let (mut sent, mut size, mut done) = (0u64, 0u64, 0usize);
            for item in items {
                let status = item.status.get_untracked();
                if status == UploadStatus::Cancelled {
                    continue;
                }
                size += item.size;
                sent += item.sent.get_untracked().min(item.size);
                done += usize::from(status == UploadStatus::Done);
            }
            (sent, size, done)
        })
    });
    let visible = move || count.get() > 0 || queue.notice.with(Option::is_some);
    let is_put = move || queue.route.with(|route| matches!(route, Some(Route::Put)));
    view! {
        <Show when=visible>
            <section class=style::panel aria-label="Uploads">
                <header class=style::panel_head>
                    <h2>
                        {move || {
                            let (sent, size, done) = totals.get();
                            let percent = if size == 0 { 100.0 } else { sent as f64 * 100.0 / size as f64 };
                            format!("Uploads: {done} of {} done · {percent:.0}%", count.get())
                        }}
                    </h2>
                    <progress class=style::overall max="1"
                        value=move || { let (s, z, _) = totals.get(); if z == 0 { 1.0 } else { s as f64 / z as f64 } }>
                    </progress>
                    <div class=style::panel_actions>
                        <button type="button" on:click=move |_| queue.pause_all()>"Pause all"</button>
                        <button type="button" on:click=move |_| queue.resume_all()>"Resume all"</button>
                        <button type="button" on:click=move |_| queue.cancel_all()>"Cancel all"</button>
                        <button type="button" on:click=move |_| queue.clear_finished()>"Clear finished"</button>
                        <label class=style::parallel>
                            "At once: "
                            <select
                                data-upload="parallel"
                                on:change=move |event| {
                                    if let Ok(n) = event_target_value(&event).parse() {
                                        queue.set_parallel(n);
                                    }
                                }
                            >
                                {[1usize, 2, 3, 4, 6, 8].into_iter().map(|n| view! {
                                    <option value=n.to_string() selected=move || queue.parallel.get() == n>
                                        {n.to_string()}
                                    </option>
                                }).collect_view()}
                            </select>
                        </label>
                    </div>
                    {move || is_put().then(|| view! {
                        <p class=style::note>"This server takes whole files only: an interrupted upload starts over."</p>
                    })}
                    {move || queue.notice.get().map(|notice| view! { <p class=style::note role="alert">{notice}</p> })}
                </header>
                <div class=style::list node_ref=window.container on:scroll=move |_| window.measure()>
                    <div class=style::spacer style:height=move || window.total_height(count.get())>
                        <For
                            each=move || {
                                let range = window.visible(count.get());
                                queue.items.with(|items| items[range.clone()].iter().enumerate()
                                    .map(|(i, item)| (range.start + i, *item)).collect::<Vec<_>>())
                            }
                            key=|(position, item)| (*position, item.id)
                            children=move |(position, item)| view! { <QueueRow item=item position=position window=window/> }
                        />
                    </div>
                </div>
            </section>
        </Show>
    }
}

/// One file in the queue.
#[component]
fn QueueRow(
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
                sent as f64 * 100.0 / item.size as f64
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
    view! {
        <div class=style::item style:transform=window.offset(position) data-upload-name=item.name.get_value()
            data-status=move || format!("{:?}", status()).split('(').next().unwrap_or_default().to_owned()>
            <div class=style::item_line>
                <span class=style::name title=item.target.with_value(ToString::to_string)>{item.name.get_value()}</span>
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
            {move || (status() == UploadStatus::Conflict).then(|| view! { <ConflictPrompt item=item/> })}
            <progress max="1" value=move || item.fraction()></progress>
            <div class=move || if matches!(status(), UploadStatus::Failed(_)) { style::failed } else { style::detail }>
                {move || match status() {
                    UploadStatus::Uploading => detail(),
                    UploadStatus::NeedsFile if item.needs_permission.get() => format!(
                        "Interrupted: press Resume (the browser asks to read the file again) · {}",
                        detail()
                    ),
                    other => format!("{} · {}", other.label(), detail()),
                }}
            </div>
        </div>
    }
}

/// Replace / keep both / skip for a name that exists, optionally for all conflicts.
#[component]
fn ConflictPrompt(
    /// The upload whose name exists on the server.
    item: UploadItem,
) -> impl IntoView {
    let queue = expect_context::<UploadQueue>();
    let apply_to_all = RwSignal::new(false);
    let choose = move |choice| queue.resolve_conflict(item, choice, apply_to_all.get_untracked());
    view! {
        <div class=style::conflict role="group" aria-label="This name exists on the server">
            <button type="button" on:click=move |_| choose(ConflictChoice::Replace)>"Replace"</button>
            <button type="button" on:click=move |_| choose(ConflictChoice::KeepBoth)>"Keep both"</button>
            <button type="button" on:click=move |_| choose(ConflictChoice::Skip)>"Skip"</button>
            <label>
                <input type="checkbox" prop:checked=move || apply_to_all.get()
                    on:change=move |event| apply_to_all.set(event_target_checked(&event))/>
                "Apply to all"
            </label>
        </div>
    }
}
