//! The dialog the toolbar, menu and keys open: a name for a new folder, a destination for
//! moves and copies (picked in a folder tree, or typed), the confirmation for deletes. A
//! native modal `<dialog>`: focus stays inside and Esc closes it. A typed destination must
//! exist: one that does not is an error in words, never created.

use super::{count_label, focus_listing, style, Actions, Ask, Bulk, Undo};
use crate::components::folder_picker::{focus_picker, FolderPicker};
use crate::state::Browser;
use leptos::html::{Dialog, Form, Input};
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;

/// How many of the entries to delete the confirmation names (the rest are counted).
const LISTED: usize = 200;

/// The open dialog.
#[component]
pub fn AskDialog() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let dialog = NodeRef::<Dialog>::new();
    let form = NodeRef::<Form>::new();
    let input = NodeRef::<Input>::new();
    let error = RwSignal::new(None::<String>);
    // The destination chosen in the folder picker.
    let chosen = RwSignal::new(TreePath::root());
    let picking = move || matches!(actions.ask.get(), Some(Ask::MoveTo(_) | Ask::CopyTo(_)));
    // What the dialog was last opened for: a `close` event comes a task after the close,
    // and by then the next question may already be asked (see `on:close`).
    let shown = StoredValue::new(None::<Ask>);
    Effect::new(move |_| {
        let open = actions.ask.with(Option::is_some);
        if let Some(dialog) = dialog.get() {
            if open && !dialog.open() {
                error.set(None);
                shown.set_value(actions.ask.get_untracked());
                let _ = dialog.show_modal();
                if picking() {
                    // The picker's rows are drawn by now; the keyboard starts in its tree.
                    request_animation_frame(focus_picker);
                } else if let Some(input) = input.get_untracked() {
                    let _ = input.focus();
                    input.select();
                }
            } else if !open && dialog.open() {
                dialog.close();
            }
        }
    });
    // The typed path follows the folder chosen in the tree.
    Effect::new(move |_| {
        let path = chosen.get().to_string();
        if let (true, Some(input)) = (picking(), input.get_untracked()) {
            input.set_value(&path);
        }
    });
    let pick = Callback::new(move |()| {
        if let Some(form) = form.get_untracked() {
            let _ = form.request_submit();
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
                let Some(target) = typed_folder(&dir, &text) else {
                    error.set(Some(format!("“{text}” is not a folder path.")));
                    return;
                };
                // What was typed must be there already: a slip of the keyboard must not
                // make folders (and move things into them) unseen.
                spawn_local(async move {
                    match ops.is_folder(&target).await {
                        Ok(Some(true)) => {
                            actions.ask.set(None);
                            actions.run(browser, bulk, dir, names, Some(target));
                        }
                        Ok(Some(false)) => {
                            error.set(Some(format!("“{target}” is a file, not a folder.")))
                        }
                        Ok(None) => error.set(Some(format!(
                            "There is no folder “{target}”. Choose one in the list, or make \
                             it with “New folder”."
                        ))),
                        Err(why) => error.set(Some(format!("Could not check “{target}”: {why}"))),
                    }
                });
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
        Some(Ask::MoveTo(_) | Ask::CopyTo(_)) => {
            Some(("Or type a folder path", chosen.get_untracked().to_string()))
        }
        _ => None,
    };
    let submit_label = move || match actions.ask.get() {
        Some(Ask::MoveTo(_)) => "Move here",
        Some(Ask::CopyTo(_)) => "Copy here",
        Some(Ask::Delete(_)) => "Delete",
        _ => "OK",
    };
    let doomed = move || match actions.ask.get() {
        Some(Ask::Delete(names)) => names,
        _ => Vec::new(),
    };
    view! {
        <dialog node_ref=dialog class=style::dialog aria-labelledby="ask-title"
            on:close=move |_| {
                // A late event of an earlier close must not close the question asked since.
                let reopened = dialog.get_untracked().is_some_and(|d| d.open());
                let asked_since = actions
                    .ask
                    .with_untracked(|ask| ask.is_some() && *ask != shown.get_value());
                if reopened || asked_since {
                    return;
                }
                actions.ask.set(None);
                // What opened it (a menu item) may be gone: the keyboard goes back to the list,
                // unless the person is already typing elsewhere (the close event comes a task
                // later, and by then a rename field may hold the focus; taking it away would
                // end the rename).
                let typing = document().active_element().is_some_and(|active| {
                    matches!(active.tag_name().as_str(), "INPUT" | "TEXTAREA")
                        && dialog.get_untracked().is_none_or(|d| !d.contains(Some(&active)))
                });
                if !typing {
                    focus_listing();
                }
            }>
            <form node_ref=form on:submit=on_submit>
                <h2 id="ask-title">{title}</h2>
                {move || picking().then(|| {
                    let start = browser.route.with_untracked(|route| route.dir.clone());
                    view! { <FolderPicker start=start chosen=chosen on_pick=pick/> }
                })}
                {move || field().map(|(label, value)| view! {
                    <label class=style::field>
                        {label}
                        <input type="text" required node_ref=input prop:value=value autocomplete="off"
                            spellcheck="false"/>
                    </label>
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
                    <button type="submit" class=style::primary>{submit_label}</button>
                </div>
            </form>
        </dialog>
    }
}

/// The folder typed into the Move/Copy dialog: `/a/b` (or `/`) from the top, `a/b` inside
/// the folder shown, `dir`. `None` for what cannot be a path (`..`, reserved names).
fn typed_folder(dir: &TreePath, text: &str) -> Option<TreePath> {
    let mut segments = text.split('/').filter(|s| !s.is_empty());
    if text.starts_with('/') {
        return TreePath::from_segments(segments).ok();
    }
    segments.try_fold(dir.clone(), |path, segment| path.child(segment).ok())
}

#[cfg(test)]
mod tests {
    use super::typed_folder;
    use skiff_protocol::TreePath;

    #[test]
    fn typed_paths_are_absolute_with_a_slash_and_relative_without() {
        let docs = TreePath::from_segments(["docs"]).expect("safe");
        let show = |text: &str| typed_folder(&docs, text).map(|p| p.to_string());
        assert_eq!(show("dest").as_deref(), Some("/docs/dest"));
        assert_eq!(show("/dest").as_deref(), Some("/dest"));
        assert_eq!(show("/docs/").as_deref(), Some("/docs"));
        assert_eq!(show("/").as_deref(), Some("/"));
        assert_eq!(show("a//b/").as_deref(), Some("/docs/a/b"));
        assert_eq!(show("../up"), None);
        assert_eq!(show("/a/../b"), None);
    }
}
