//! A name conflict, asked at the top of the panel: which file, and both versions side by
//! side (size and date of the one on the server, from an RFSAPI request for that path,
//! and of the one being uploaded), with Replace / Keep both / Skip.

use crate::api::{self, Fetched};
use crate::components::details::words::{exact_time, now_ms, relative_time};
use crate::model::{human_size, parse_rfc3339_ms};
use crate::state::Browser;
use crate::upload::item::UploadItem;
use crate::upload::policy::ConflictChoice;
use crate::upload::queue::UploadQueue;
use leptos::prelude::*;

use super::style;

/// What the server holds at the conflicting path.
#[derive(Debug, Clone, PartialEq)]
enum ServerCopy {
    /// Still asking.
    Loading,
    /// Its size and modification time (ms since the epoch, when it parsed).
    Found { size: u64, modified: Option<f64> },
    /// The request failed: say so rather than show nothing.
    Unknown(String),
}

/// "12 KiB · changed 5 minutes ago", with the exact time in the title.
fn version_line(size: u64, modified: Option<f64>) -> (String, String) {
    match modified {
        Some(ms) => (
            format!(
                "{} · changed {}",
                human_size(size),
                relative_time(ms, now_ms())
            ),
            exact_time(ms),
        ),
        None => (human_size(size), String::new()),
    }
}

/// One conflict's question.
#[component]
pub fn ConflictCard(
    /// The upload whose name exists on the server.
    item: UploadItem,
) -> impl IntoView {
    let queue = expect_context::<UploadQueue>();
    let browser = expect_context::<Browser>();
    let apply_to_all = RwSignal::new(false);
    let choose = move |choice| queue.resolve_conflict(item, choice, apply_to_all.get_untracked());
    let server_copy = RwSignal::new(ServerCopy::Loading);
    let target = item.target.get_value();
    leptos::task::spawn_local({
        let target = target.clone();
        async move {
            let config = browser.config.get_value();
            let found = match api::fetch_listing(&config, &target, None, None).await {
                Ok(Fetched::File(file)) => ServerCopy::Found {
                    size: file.size,
                    modified: parse_rfc3339_ms(&file.last_modified),
                },
                Ok(Fetched::Directory(_)) => {
                    ServerCopy::Unknown("a folder has this name on the server".into())
                }
                Err(error) => {
                    ServerCopy::Unknown(format!("Its size and date could not be read. {error}"))
                }
            };
            let _ = server_copy.try_set(found);
        }
    });
    let local_modified = item
        .file
        .with_value(|file| file.as_ref().map(web_sys::File::last_modified));
    let (local_text, local_title) = version_line(item.size, local_modified);
    let folder = target
        .parent()
        .map_or_else(|| "/".to_owned(), |parent| parent.to_string());
    let name = item.relative.get_value();
    let label = format!("{name} already exists");
    view! {
        <div class=style::conflict role="group" aria-label=label data-upload-name=item.name.get_value()
            data-upload-path=name.clone() data-status="Conflict">
            <p class=style::conflict_title>
                <strong class=style::conflict_name>{name.clone()}</strong>
                {format!(" already exists in {folder}.")}
            </p>
            <dl class=style::versions>
                <dt>"On the server"</dt>
                {move || match server_copy.get() {
                    ServerCopy::Loading => view! { <dd data-version="server">"Looking…"</dd> }.into_any(),
                    ServerCopy::Found { size, modified } => {
                        let (text, title) = version_line(size, modified);
                        view! { <dd data-version="server" title=title>{text}</dd> }.into_any()
                    }
                    ServerCopy::Unknown(why) => view! { <dd data-version="server">{why}</dd> }.into_any(),
                }}
                <dt>"Yours"</dt>
                <dd data-version="local" title=local_title>{local_text}</dd>
            </dl>
            <div class=style::conflict_actions>
                <button type="button" class=style::primary on:click=move |_| choose(ConflictChoice::Replace)>"Replace"</button>
                <button type="button" on:click=move |_| choose(ConflictChoice::KeepBoth)>"Keep both"</button>
                <button type="button" on:click=move |_| choose(ConflictChoice::Skip)>"Skip"</button>
                <label class=style::apply_all>
                    <input type="checkbox" prop:checked=move || apply_to_all.get()
                        on:change=move |event| apply_to_all.set(event_target_checked(&event))/>
                    "Apply to all"
                </label>
            </div>
        </div>
    }
}
