//! The right pane: every RFSAPI field of the selected entry (plus `id`/`etag` when the
//! server sends them) and a download link; with nothing selected, a folder summary.

pub mod words;

use crate::api;
use crate::components::format_local_time;
use crate::components::icons::{EntryIcon, IconKind};
use crate::components::metadata::MetadataSection;
use crate::components::preview::Preview;
use crate::model::{group_thousands, human_size, parse_rfc3339_ms};
use crate::state::Browser;
use leptos::prelude::*;
use skiff_protocol::RawFileData;

stylance::import_crate_style!(style, "src/components/details.module.css");

/// The details pane.
#[component]
pub fn Details() -> impl IntoView {
    let browser = expect_context::<Browser>();
    view! {
        <aside class=style::pane aria-label="Details">
            {move || match browser.selected_entry() {
                Some(entry) => view! { <EntryDetails entry=entry/> }.into_any(),
                None => view! { <FolderSummary/> }.into_any(),
            }}
        </aside>
    }
}

/// The fields of one entry.
#[component]
fn EntryDetails(
    /// The selected entry.
    entry: RawFileData,
) -> impl IntoView {
    let browser = expect_context::<Browser>();
    let path = browser
        .route
        .with_untracked(|route| route.dir.child(&entry.name).ok());
    let url = path
        .as_ref()
        .map(|path| browser.url_of(path))
        .unwrap_or_default();
    let location = path.as_ref().map(ToString::to_string).unwrap_or_default();
    let modified = parse_rfc3339_ms(&entry.last_modified).map(format_local_time);
    let kind = IconKind::of(entry.is_dir(), &entry.mime_type);
    let open = entry.clone();
    let (download_url, download_name) = (url.clone(), entry.name.clone());
    let (preview_entry, preview_url) = (entry.clone(), url.clone());
    view! {
        <h2 class=style::title>
            <EntryIcon kind=kind/>
            <span>{entry.name.clone()}</span>
        </h2>
        <dl class=style::fields>
            <dt>"Name"</dt>
            <dd data-field="name">{entry.name.clone()}</dd>
            <dt>"Location"</dt>
            <dd data-field="path">{location}</dd>
            <dt>"Kind"</dt>
            <dd data-field="is_file">{if entry.is_file { "File" } else { "Folder" }}</dd>
            <dt>"Type"</dt>
            <dd data-field="mime_type">{entry.mime_type.clone()}</dd>
            <dt>"Size"</dt>
            <dd data-field="size" data-bytes=entry.size.to_string()>
                {if entry.is_file {
                    format!("{} ({} bytes)", human_size(entry.size), group_thousands(entry.size))
                } else {
                    "—".to_owned()
                }}
            </dd>
            <dt>"Modified"</dt>
            <dd data-field="last_modified" title=entry.last_modified.clone()>
                {modified.unwrap_or_default()}
                <small class=style::raw>{entry.last_modified.clone()}</small>
            </dd>
            {entry.id.clone().map(|id| view! {
                <dt>"ID"</dt>
                <dd data-field="id"><code>{id}</code></dd>
            })}
            {entry.etag.clone().map(|etag| view! {
                <dt>"ETag"</dt>
                <dd data-field="etag"><code>{etag}</code></dd>
            })}
        </dl>
        <div class=style::actions>
            {if entry.is_file {
                view! {
                    <a class=style::button href=url.clone() download=entry.name.clone()
                        on:click=move |event| {
                            // A link cannot carry a bearer token: fetch with it instead.
                            let config = browser.config.get_value();
                            if crate::auth::authorization(&config.server).is_some() {
                                event.prevent_default();
                                let (url, name) = (download_url.clone(), download_name.clone());
                                leptos::task::spawn_local(async move {
                                    if let Err(error) = api::download(&config, &url, &name).await {
                                        web_sys::console::warn_1(&error.to_string().into());
                                    }
                                });
                            }
                        }>"Download"</a>
                }
                .into_any()
            } else {
                view! {
                    <button type="button" class=style::button on:click=move |_| browser.open_entry(&open)>
                        "Open folder"
                    </button>
                }
                .into_any()
            }}
        </div>
        {entry.is_file.then(|| view! { <Preview entry=preview_entry url=preview_url/> })}
        {path.clone().map(|path| view! { <MetadataSection path=path/> })}
    }
}

/// What the current folder holds, when nothing is selected.
#[component]
fn FolderSummary() -> impl IntoView {
    let browser = expect_context::<Browser>();
    move || {
        let name = browser.route.with(|route| route.dir.to_string());
        let summary = browser.listing.with(|listing| {
            listing.as_ref().map(|listing| {
                let folders = listing.entries.iter().filter(|e| e.is_dir()).count();
                let files = listing.entries.len() - folders;
                let bytes: u64 = listing
                    .entries
                    .iter()
                    .filter(|e| e.is_file)
                    .map(|e| e.size)
                    .sum();
                (folders, files, bytes)
            })
        });
        view! {
            <h2 class=style::title>
                <EntryIcon kind=IconKind::Folder/>
                <span>{name}</span>
            </h2>
            {summary.map(|(folders, files, bytes)| view! {
                <dl class=style::fields>
                    <dt>"Folders"</dt>
                    <dd data-field="folders">{group_thousands(folders as u64)}</dd>
                    <dt>"Files"</dt>
                    <dd data-field="files">{group_thousands(files as u64)}</dd>
                    <dt>"Total size"</dt>
                    <dd data-field="total">{human_size(bytes)}</dd>
                </dl>
            })}
            <p class=style::hint>"Select a file or folder to see its details."</p>
        }
    }
}
