//! The metadata section of the details pane (PROTOCOL.md §3): the user keys as an editable
//! table (Save merges) where this client may write, as plain text where it may not; the
//! technical parts (id, checksum, `_format`, replacing every key, the permanent link to copy)
//! in a collapsed "Advanced" section; the server's refusals shown inline.

use crate::api::MetadataApi;
use crate::components::details::copy::CopyLink;
use crate::state::Browser;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::{FileMetadata, MetadataValue, TreePath};
use std::collections::BTreeMap;

stylance::import_crate_style!(style, "src/components/metadata.module.css");

/// One editable row: key and value as typed.
#[derive(Clone)]
struct Row {
    key: RwSignal<String>,
    value: RwSignal<String>,
    id: u64,
}

/// The value a person typed: JSON scalars as themselves (`42`, `true`, `null`, `"42"`),
/// anything else as text.
pub fn parse_value(text: &str) -> MetadataValue {
    match serde_json::from_str::<MetadataValue>(text.trim()) {
        Ok(value) => value,
        Err(_) => MetadataValue::Text(text.to_owned()),
    }
}

/// How a value is shown for editing (strings without quotes unless they would read as
/// another type).
pub fn show_value(value: &MetadataValue) -> String {
    match value {
        MetadataValue::Text(text) if matches!(parse_value(text), MetadataValue::Text(_)) => {
            text.clone()
        }
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// Metadata of the entry at `path`, editable where the server allows.
#[component]
pub fn MetadataSection(
    /// The entry's tree path.
    path: TreePath,
) -> impl IntoView {
    let browser = expect_context::<Browser>();
    let api = expect_context::<RwSignal<Option<MetadataApi>>>();
    let loaded = RwSignal::new(None::<Result<FileMetadata, String>>);
    let rows = RwSignal::new(Vec::<Row>::new());
    let format = RwSignal::new(String::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let next_id = StoredValue::new(0u64);
    let new_row = move |key: String, value: String| {
        next_id.update_value(|id| *id += 1);
        Row {
            key: RwSignal::new(key),
            value: RwSignal::new(value),
            id: next_id.get_value(),
        }
    };
    let show = move |metadata: FileMetadata| {
        format.set(metadata.format.clone());
        rows.set(
            metadata
                .user
                .iter()
                .map(|(key, value)| new_row(key.clone(), show_value(value)))
                .collect(),
        );
        loaded.set(Some(Ok(metadata)));
    };
    let path = StoredValue::new(path);
    Effect::new(move |_| {
        let Some(api) = api.get() else { return };
        let path = path.get_value();
        spawn_local(async move {
            match api.get(&path).await {
                Ok(metadata) => show(metadata),
                Err(error) => loaded.set(Some(Err(error))),
            }
        });
    });
    let save = move |replace: bool| {
        let Some(api) = api.get_untracked() else {
            return;
        };
        let mut body: BTreeMap<String, MetadataValue> = rows
            .get_untracked()
            .iter()
            .map(|row| {
                (
                    row.key.get_untracked().trim().to_owned(),
                    parse_value(&row.value.get_untracked()),
                )
            })
            .filter(|(key, _)| !key.is_empty())
            .collect();
        body.insert(
            "_format".to_owned(),
            MetadataValue::Text(format.get_untracked()),
        );
        let path = path.get_value();
        spawn_local(async move {
            match api.write(&path, &body, replace).await {
                Ok(metadata) => {
                    let format_changed = loaded.with_untracked(|loaded| {
                        !matches!(loaded, Some(Ok(before)) if before.format == metadata.format)
                    });
                    show(metadata);
                    message.set(Some((false, "Saved".to_owned())));
                    if format_changed {
                        browser.retry(); // the listing's type column shows `_format`
                    }
                }
                Err(error) => message.set(Some((
                    true,
                    format!("Not saved: {error}. Change what it names and save again."),
                ))),
            }
        });
    };
    // A read-only token (or server) is never offered the editor.
    let writable = move || browser.writes_supported();
    view! {
        <section class=style::section aria-label="Metadata">
            <h3>"Metadata"</h3>
            {move || match loaded.get() {
                None => Some(view! { <p class=style::note>"Loading…"</p> }.into_any()),
                Some(Err(error)) => Some(view! {
                    <p class=style::error role="alert">
                        {format!("The metadata could not be loaded: {error}. Select the entry again to retry.")}
                    </p>
                }.into_any()),
                Some(Ok(metadata)) if !writable() => Some(view! {
                    <ReadOnlyKeys metadata=metadata/>
                }.into_any()),
                Some(Ok(_)) => None,
            }}
            <Show when=move || writable() && matches!(loaded.get(), Some(Ok(_)))>
                <form class=style::editor on:submit=move |event| { event.prevent_default(); save(false) }>
                    <table class=style::table>
                        <thead><tr><th scope="col">"Key"</th><th scope="col">"Value"</th><th><span class="visually-hidden">"Remove"</span></th></tr></thead>
                        <tbody>
                            <For each=move || rows.get() key=|row| row.id children=move |row| {
                                let id = row.id;
                                view! {
                                    <tr data-metadata-row="">
                                        <td><input type="text" aria-label="Key" prop:value=move || row.key.get()
                                            on:input=move |event| row.key.set(event_target_value(&event))/></td>
                                        <td><input type="text" aria-label="Value" prop:value=move || row.value.get()
                                            on:input=move |event| row.value.set(event_target_value(&event))/></td>
                                        <td><button type="button" aria-label="Remove this key"
                                            on:click=move |_| rows.update(|rows| rows.retain(|r| r.id != id))>"×"</button></td>
                                    </tr>
                                }
                            }/>
                        </tbody>
                    </table>
                    <p class=style::note>"Values: text, numbers, true/false or null."</p>
                    <div class=style::buttons>
                        <button type="button" on:click=move |_| {
                            rows.update(|rows| rows.push(new_row(String::new(), String::new())));
                            focus_new_key();
                        }>"Add key"</button>
                        <button type="submit">"Save"</button>
                    </div>
                    {move || message.get().map(|(is_error, text)| view! {
                        <p class=if is_error { style::error } else { style::note } role="status">{text}</p>
                    })}
                    <details class=style::advanced data-advanced="metadata">
                        <summary>"Advanced"</summary>
                        {move || loaded.get().and_then(Result::ok).map(|metadata| view! { <FixedFields metadata=metadata/> })}
                        <label class=style::format>
                            "Content type sent with the file"
                            <input type="text" data-field="_format" prop:value=move || format.get()
                                on:input=move |event| format.set(event_target_value(&event))/>
                        </label>
                        <p class=style::note>"Save keeps keys not shown here; “Save, removing other keys” replaces them all."</p>
                        <div class=style::buttons>
                            <button type="button" data-metadata="replace" on:click=move |_| save(true)>
                                "Save, removing other keys"
                            </button>
                        </div>
                    </details>
                </form>
            </Show>
        </section>
    }
}

/// The user keys as text, for a token that may read but not write, with the fixed fields
/// under "Advanced".
#[component]
fn ReadOnlyKeys(
    /// What the server sent.
    metadata: FileMetadata,
) -> impl IntoView {
    let empty = metadata.user.is_empty();
    let keys = metadata
        .user
        .iter()
        .map(|(key, value)| view! { <dt>{key.clone()}</dt><dd>{show_value(value)}</dd> })
        .collect_view();
    view! {
        {if empty {
            view! { <p class=style::note>"No metadata on this entry."</p> }.into_any()
        } else {
            view! { <dl class=style::fixed data-metadata="read-only">{keys}</dl> }.into_any()
        }}
        <p class=style::note>"You can read this entry's metadata; your access does not allow changing it."</p>
        <details class=style::advanced data-advanced="metadata">
            <summary>"Advanced"</summary>
            <FixedFields metadata=metadata/>
        </details>
    }
}

/// Id, checksum, owner, content type and the permanent link (copied, never followed: it
/// leads to the raw bytes).
#[component]
fn FixedFields(
    /// What the server sent.
    metadata: FileMetadata,
) -> impl IntoView {
    let api = expect_context::<RwSignal<Option<MetadataApi>>>();
    let permalink = api
        .get_untracked()
        .filter(|api| api.raw.is_some())
        .map(|api| api.permalink(&metadata.id));
    view! {
        <dl class=style::fixed>
            <dt>"Stable id"</dt><dd data-field="_id"><code>{metadata.id.clone()}</code></dd>
            {metadata.sha256.clone().map(|sha| view! {
                <dt>"SHA-256 checksum"</dt><dd data-field="_sha256"><code>{sha}</code></dd>
            })}
            {metadata.owner.clone().map(|owner| view! { <dt>"First written by"</dt><dd>{owner}</dd> })}
            <dt>"Stored content type"</dt><dd data-field="format"><code>{metadata.format.clone()}</code></dd>
            {permalink.map(|link| view! {
                <dt>"Permanent link"</dt>
                <dd>
                    <CopyLink url=link label="Copy permanent link" class=style::copy marker="permalink"/>
                    <p class=style::note>"Keeps working after the file is moved or renamed."</p>
                </dd>
            })}
        </dl>
    }
}

/// Puts the cursor in the key field of the row "Add key" just added.
fn focus_new_key() {
    request_animation_frame(|| {
        let input = document()
            .query_selector("section[aria-label=Metadata] tr[data-metadata-row]:last-of-type input")
            .ok()
            .flatten()
            .and_then(|input| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(input).ok());
        if let Some(input) = input {
            let _ = input.focus();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_keep_their_json_type() {
        assert_eq!(parse_value("42"), MetadataValue::Integer(42));
        assert_eq!(parse_value("true"), MetadataValue::Bool(true));
        assert_eq!(parse_value("null"), MetadataValue::Null);
        assert_eq!(parse_value("\"42\""), MetadataValue::Text("42".into()));
        assert_eq!(
            parse_value("hello world"),
            MetadataValue::Text("hello world".into())
        );
        assert_eq!(parse_value("[1,2]"), MetadataValue::Text("[1,2]".into()));
    }

    #[test]
    fn shown_values_read_back_as_the_same_value() {
        for value in [
            MetadataValue::Text("plain".into()),
            MetadataValue::Text("42".into()),
            MetadataValue::Integer(42),
            MetadataValue::Bool(false),
            MetadataValue::Null,
            MetadataValue::Float(1.5),
        ] {
            assert_eq!(parse_value(&show_value(&value)), value);
        }
    }
}
