//! The queue panel: a heading with honest totals, buttons that are enabled only when they
//! apply, the waiting name conflicts first, then every file by its path below the folder
//! it went into. It can be minimised to its heading (remembered), and while files are
//! moving or waiting it asks before the page is left.

use super::conflict::ConflictCard;
use super::folder_row::FolderRow;
use super::row::{QueueRow, ROW_HEIGHT};
use super::totals::Totals;
use crate::components::virtual_window::VirtualWindow;
use crate::upload::engine::Route;
use crate::upload::item::UploadStatus;
use crate::upload::queue::UploadQueue;
use leptos::prelude::*;

use super::style;

/// Where the minimised state is remembered.
const MINIMISED_KEY: &str = "skiff-uploads-minimised";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn saved_minimised() -> bool {
    local_storage()
        .and_then(|storage| storage.get_item(MINIMISED_KEY).ok().flatten())
        .is_some_and(|saved| saved == "true")
}

fn save_minimised(minimised: bool) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(MINIMISED_KEY, if minimised { "true" } else { "false" });
    }
}

/// The queue panel, shown once something was queued.
#[component]
pub fn UploadPanel() -> impl IntoView {
    let queue = expect_context::<UploadQueue>();
    let window = VirtualWindow::new(ROW_HEIGHT);
    let minimised = RwSignal::new(saved_minimised());
    // Follows the queue's coalesced `changes`, not every item's signals: with 10,000
    // small files, one recomputation per file would cost 10,000² reads.
    let totals = Memo::new(move |_| {
        queue.changes.track();
        let totals = queue.items.with(|items| Totals::of(items));
        queue.folders.with(|folders| totals.with_folders(folders))
    });
    // Positions in `items`: the questions waiting for an answer, and every other file
    // (the rows below the questions).
    let order = Memo::new(move |_| {
        queue.changes.track();
        queue.items.with(|items| {
            let (conflicts, rest): (Vec<usize>, Vec<usize>) = (0..items.len())
                .partition(|&i| items[i].status.get_untracked() == UploadStatus::Conflict);
            (conflicts, rest)
        })
    });
    let items_at = move |positions: &[usize]| {
        queue.items.with(|items| {
            positions
                .iter()
                .filter_map(|&i| items.get(i).copied())
                .collect::<Vec<_>>()
        })
    };
    let count = Memo::new(move |_| order.with(|(_, rest)| rest.len()));
    warn_before_leaving(queue);

    let visible = move || {
        queue.items.with(|items| !items.is_empty())
            || queue.folders.with(|folders| !folders.is_empty())
            || queue.notice.with(Option::is_some)
    };
    let is_put = move || queue.route.with(|route| matches!(route, Some(Route::Put)));
    let toggle = move |_| {
        let next = !minimised.get_untracked();
        minimised.set(next);
        save_minimised(next);
    };
    view! {
        <Show when=visible>
            <section class=style::panel aria-label="Uploads" data-minimised=move || minimised.get().to_string()>
                <header class=style::panel_head>
                    <div class=style::title_line>
                        <h2 class=style::heading>{move || totals.get().heading()}</h2>
                        <button type="button" class=style::minimise data-upload="minimise"
                            aria-expanded=move || (!minimised.get()).to_string()
                            title=move || if minimised.get() { "Show the upload list" } else { "Minimise to one line" }
                            on:click=toggle>
                            {move || if minimised.get() { "Show" } else { "Minimise" }}
                        </button>
                    </div>
                    <Show when=move || !minimised.get()>
                        <progress class=style::overall max="1" aria-label="All uploads"
                            value=move || totals.get().fraction()>
                        </progress>
                        <PanelActions totals=totals/>
                        {move || is_put().then(|| view! {
                            <p class=style::note>"This server takes whole files only: an interrupted upload starts over."</p>
                        })}
                        {move || queue.notice.get().map(|notice| view! { <p class=style::note role="alert">{notice}</p> })}
                    </Show>
                </header>
                <Show when=move || !minimised.get()>
                    <Show when=move || order.with(|(conflicts, _)| !conflicts.is_empty())>
                        <div class=style::questions role="region" aria-label="Waiting for your answer">
                            <For
                                each=move || order.with(|(conflicts, _)| items_at(conflicts))
                                key=|item| item.id
                                children=move |item| view! { <ConflictCard item=item/> }
                            />
                        </div>
                    </Show>
                    <Show when=move || queue.folders.with(|folders| !folders.is_empty())>
                        <div class=style::folders role="region" aria-label="Dropped folders">
                            <For
                                each=move || queue.folders.get()
                                key=|folder| folder.id
                                children=move |folder| view! { <FolderRow folder=folder/> }
                            />
                        </div>
                    </Show>
                    <div class=style::list node_ref=window.container on:scroll=move |_| window.measure()
                        tabindex="0" role="region" aria-label="Upload list">
                        <div class=style::spacer style:height=move || window.total_height(count.get())>
                            <For
                                each=move || {
                                    let range = window.visible(count.get());
                                    order.with(|(_, rest)| items_at(&rest[range.clone()]).into_iter()
                                        .enumerate().map(|(i, item)| (range.start + i, item)).collect::<Vec<_>>())
                                }
                                key=|(position, item)| (*position, item.id)
                                children=move |(position, item)| view! { <QueueRow item=item position=position window=window/> }
                            />
                        </div>
                    </div>
                </Show>
            </section>
        </Show>
    }
}

/// Pause all / Resume all / Cancel all / Clear finished, each enabled only when some file
/// is in a state it acts on, and the parallelism picker.
#[component]
fn PanelActions(
    /// The queue's counts.
    totals: Memo<Totals>,
) -> impl IntoView {
    let queue = expect_context::<UploadQueue>();
    let none_moving = move || totals.with(|t| t.moving == 0);
    let none_resumable = move || totals.with(|t| t.paused + t.failed == 0);
    let none_unfinished = move || totals.with(|t| t.unfinished() == 0);
    let none_finished = move || totals.with(|t| t.done + t.failed + t.cancelled + t.skipped == 0);
    view! {
        <div class=style::panel_actions>
            <button type="button" disabled=none_moving on:click=move |_| queue.pause_all()>"Pause all"</button>
            <button type="button" disabled=none_resumable on:click=move |_| queue.resume_all()>"Resume all"</button>
            <button type="button" disabled=none_unfinished on:click=move |_| queue.cancel_all()>"Cancel all"</button>
            <button type="button" disabled=none_finished on:click=move |_| queue.clear_finished()>"Clear finished"</button>
            <label class=style::parallel>
                "At once "
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
    }
}

/// Asks the browser to confirm leaving the page while files are moving, queued or waiting
/// for an answer (counted fresh at that moment, not from the last tick); says nothing when
/// the queue is idle.
fn warn_before_leaving(queue: UploadQueue) {
    let listener = window_event_listener(leptos::ev::beforeunload, move |event| {
        let totals = queue.items.with_untracked(|items| Totals::of(items));
        let totals = queue
            .folders
            .with_untracked(|folders| totals.with_folders(folders));
        if totals.would_lose_work() {
            event.prevent_default();
            // Older browsers show the prompt only when `returnValue` is set.
            event.set_return_value("Uploads are still running.");
        }
    });
    on_cleanup(move || listener.remove());
}
