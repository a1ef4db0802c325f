//! The dialog the toolbar, menu and keys open: a name for a new folder, a destination for
//! moves and copies, the confirmation for deletes. A native modal `<dialog>`: focus stays
//! inside and Esc closes it.

use super::{count_label, focus_listing, style, Actions, Ask, Bulk, Undo};
use crate::state::Browser;
use leptos::html::{Dialog, Input};
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;

/// How many known folders the Move/Copy field suggests.
const SUGGESTED: usize = 2000;

/// How many of the entries to delete the confirmation names (the rest are counted).
const LISTED: usize = 200;

/// The open dialog.
#[component]
pub fn AskDialog() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let dialog = NodeRef::<Dialog>::new();
    let input = NodeRef::<Input>::new();
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let open = actions.ask.with(Option::is_some);
        if let Some(dialog) = dialog.get() {
            if open && !dialog.open() {
                error.set(None);
                let _ = dialog.show_modal();
                if let Some(input) = input.get_untracked() {
                    let _ = input.focus();
                    input.select();
                }
            } else if !open && dialog.open() {
                dialog.close();
            }
        }
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let (Some(ask), Some(ops)) = (actions.ask.get_untracked(), actions.ops.get_untracked())
        else {
            return;
        };
        let text = input
            .get_untracked()
            .map(|input| input.value())
            .unwrap_or_default();
        let text = text.trim().to_owned();
        let dir = browser.route.with_untracked(|route| route.dir.clone());
        let bulk = if matches!(ask, Ask::MoveTo(_)) {
            Bulk::Move
        } else {
            Bulk::Copy
        };
        match ask {
            Ask::NewFolder => spawn_local(async move {
                let Ok(path) = dir.child(&text) else {
                    error.set(Some(format!("“{text}” cannot be a name here.")));
                    return;
                };
                match ops.mkdir(&path).await {
                    Ok(()) => {
                        actions.ask.set(None);
                        browser.marked.set(Default::default());
                        browser.select(Some(text.clone()));
                        browser.retry();
                        let undo = Undo::Remove {
                            path,
                            recursive: false,
                        };
                        actions.show(format!("Created “{text}”."), vec![undo], false);
                    }
                    Err(why) => error.set(Some(why.to_string())),
                }
            }),
            Ask::MoveTo(names) | Ask::CopyTo(names) => {
                let Some(target) = folder_path(&text) else {
                    error.set(Some(format!("“{text}” is not a folder path.")));
                    return;
                };
                actions.ask.set(None);
                actions.run(browser, bulk, dir, names, Some(target));
            }
            Ask::Delete(names) => {
                actions.ask.set(None);
                actions.run(browser, Bulk::Delete, dir, names, None);
            }
        }
    };
    let title = move || match actions.ask.get() {
        Some(Ask::NewFolder) => "New folder".to_owned(),
        Some(Ask::MoveTo(names)) => format!("Move {} to…", count_label(&names)),
        Some(Ask::CopyTo(names)) => format!("Copy {} to…", count_label(&names)),
        Some(Ask::Delete(names)) => format!("Delete {}?", count_label(&names)),
        None => String::new(),
    };
    let field = move || match actions.ask.get() {
        Some(Ask::NewFolder) => Some(("Name", String::new())),
        Some(Ask::MoveTo(_) | Ask::CopyTo(_)) => Some((
            "Folder",
            browser.route.with_untracked(|route| route.dir.to_string()),
        )),
        _ => None,
    };
    let doomed = move || match actions.ask.get() {
        Some(Ask::Delete(names)) => names,
        _ => Vec::new(),
    };
    view! {
        <dialog node_ref=dialog class=style::dialog aria-labelledby="ask-title"
            on:close=move |_| {
                actions.ask.set(None);
                // What opened it (a menu item) may be gone: the keyboard goes back to the list.
                focus_listing();
            }>
            <form on:submit=on_submit>
                <h2 id="ask-title">{title}</h2>
                {move || field().map(|(label, value)| {
                    // Folder fields suggest the folders the tree knows of.
                    let folders = (label == "Folder").then(|| {
                        browser.tree.with_untracked(|tree| tree.known_folders(SUGGESTED))
                    });
                    view! {
                        <label class=style::field>
                            {label}
                            <input type="text" required node_ref=input prop:value=value autocomplete="off"
                                list=folders.is_some().then_some("known-folders")/>
                        </label>
                        {folders.map(|folders| view! {
                            <datalist id="known-folders">
                                {folders.into_iter().map(|f| view! { <option value=f.to_string()/> }).collect_view()}
                            </datalist>
                        })}
                    }
                })}
                <Show when=move || !doomed().is_empty()>
                    <p>"These go for good, folders with everything inside them:"</p>
                    <ul class=style::doomed>
                        {move || doomed().into_iter().take(LISTED).map(|name| view! { <li>{name}</li> }).collect_view()}
                    </ul>
                    {move || {
                        let more = doomed().len().saturating_sub(LISTED);
                        (more > 0).then(|| view! { <p>{format!("…and {more} more.")}</p> })
                    }}
                </Show>
                {move || error.get().map(|why| view! { <p class=style::error role="alert">{why}</p> })}
                <div class=style::buttons>
                    <button type="button" on:click=move |_| actions.ask.set(None)>"Cancel"</button>
                    <button type="submit" class=style::primary>
                        {move || if doomed().is_empty() { "OK" } else { "Delete" }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}

/// `/a/b`, `a/b/` or `/`: the folder typed into the Move/Copy dialog.
fn folder_path(text: &str) -> Option<TreePath> {
    TreePath::from_segments(text.split('/').filter(|s| !s.is_empty())).ok()
}
