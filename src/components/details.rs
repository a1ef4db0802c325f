//! The right pane, in plain words: what the selected entry is ("PNG image", "Empty
//! file"), when it last changed ("5 minutes ago", the exact time on hover), Download and
//! Copy link; the technical fields (MIME type, id, ETag, raw timestamp) in a collapsed
//! "Advanced" section. With nothing selected, a folder summary.

pub mod copy;
pub mod words;

use crate::components::icons::{EntryIcon, IconKind};
use crate::components::metadata::MetadataSection;
use crate::components::preview::Preview;
use crate::components::storages::StorageFact;
use crate::model::{group_thousands, human_size, parse_rfc3339_ms};
use crate::state::Browser;
use copy::CopyLink;
use leptos::prelude::*;
use skiff_protocol::RawFileData;
use words::{exact_time, kind_of, now_ms, relative_time};

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
    let modified = parse_rfc3339_ms(&entry.last_modified);
    let changed = modified.map_or_else(
        || "Last changed: unknown".to_owned(),
        |ms| format!("Last changed {}", relative_time(ms, now_ms())),
    );
    let exact = modified.map(exact_time).unwrap_or_default();
    let kind = IconKind::of(entry.is_dir(), &entry.mime_type);
    let kind_words = if entry.is_dir() {
        "Folder".to_owned()
    } else {
        kind_of(&entry.mime_type, &entry.name)
    };
    let open = entry.clone();
    let (download_url, download_name, size) = (url.clone(), entry.name.clone(), entry.size);
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
            {path.clone().map(|path| view! { <StorageFact path=path/> })}
            <dt>"Type"</dt>
            <dd data-field="kind">{kind_words}</dd>
            <dt>"Size"</dt>
            <dd data-field="size" data-bytes=entry.size.to_string()>
                {if !entry.is_file {
                    "—".to_owned()
                } else if entry.size == 0 {
                    "Empty file".to_owned()
                } else {
                    format!("{} ({} bytes)", human_size(entry.size), group_thousands(entry.size))
                }}
            </dd>
            <dt>"Changed"</dt>
            <dd data-field="last_modified" title=exact.clone()>{changed}</dd>
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
                                expect_context::<crate::components::actions::Actions>()
                                    .download_file(config, url, name, Some(size));
                            }
                        }>"Download"</a>
                    <CopyLink url=url.clone() label="Copy link" class=style::button marker="url"/>
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
        <details class=style::advanced data-advanced="entry">
            <summary>"Advanced"</summary>
            <dl class=style::fields>
                <dt>"MIME type"</dt>
                <dd data-field="mime_type"><code>{entry.mime_type.clone()}</code></dd>
                <dt>"Changed at"</dt>
                <dd data-field="raw_last_modified"><code>{entry.last_modified.clone()}</code></dd>
                {entry.id.clone().map(|id| view! {
                    <dt>"Stable id"</dt>
                    <dd data-field="id"><code>{id}</code></dd>
                })}
                {entry.etag.clone().map(|etag| view! {
                    <dt>"Version tag (ETag)"</dt>
                    <dd data-field="etag"><code>{etag}</code></dd>
                })}
            </dl>
        </details>
        {path.clone().map(|path| view! { <MetadataSection path=path/> })}
    }
}

/// What the current folder holds, when nothing is selected.
#[component]
fn FolderSummary() -> impl IntoView {
    let browser = expect_context::<Browser>();
    move || {
        let name = browser.route.with(|route| route.dir.to_string());
        let dir = browser.route.with(|route| route.dir.clone());
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
                    <StorageFact path=dir.clone()/>
                </dl>
            })}
            <p class=style::hint>"Select a file or folder to see its details."</p>
        }
    }
}
