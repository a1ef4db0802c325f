//! Renaming in place: F2 (or Rename in the toolbar or menu) turns the row's name into a
//! text field with the name before the extension selected. Enter or leaving the field
//! renames, Esc cancels; a refusal is shown and the field stays for another try.

use super::{focus_listing, style, Actions, Draft, Undo};
use crate::components::panes::{Pane, Panes};
use crate::state::Browser;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The text field over the name of the entry `name` being renamed.
#[component]
pub fn RenameField(
    /// The entry's current name.
    name: String,
    /// Whether it is a folder (its whole name is selected: folders have no extension).
    folder: bool,
) -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let input = NodeRef::<Input>::new();
    // Set while a rename is sent (or once cancelled): blur must not send it again.
    let settled = StoredValue::new(false);
    let stem = selected_length(&name, folder);
    // Redrawn mid-rename (the listing refreshed): what was typed so far comes back.
    let draft = actions.draft.get_value();
    let caret = draft.as_ref().map(|draft| draft.caret);
    // Focused when drawn, and again when its pane comes on screen: started from a phone's
    // details (the menu's Rename) it is drawn in the files while they are hidden.
    let panes = use_context::<Panes>();
    // The pane alone: other route changes (none while typing) must not refocus.
    let pane = Memo::new(move |_| panes.map(Panes::shown));
    let focus = move || {
        if let Some(input) = input.get_untracked() {
            let _ = input.focus();
            if let Some(caret) = caret {
                let _ = input.set_selection_range(caret, caret);
            } else {
                let _ = input.set_selection_range(0, stem);
            }
        }
    };
    Effect::new(move |_| {
        if input.get().is_none() || pane.get() == Some(Pane::Details) {
            return;
        }
        focus();
        // The pane may come on screen only once this frame is laid out.
        let focused = document().active_element().is_some_and(|active| {
            input
                .get_untracked()
                .is_some_and(|input| AsRef::<web_sys::Element>::as_ref(&input) == &active)
        });
        if !focused {
            request_animation_frame(focus);
        }
    });
    let finish = move || {
        actions.renaming.set(None);
        focus_listing();
    };
    let commit = {
        let name = name.clone();
        move || {
            let Some(field) = input.get_untracked() else {
                return;
            };
            if settled.get_value() {
                return;
            }
            let text = field.value().trim().to_owned();
            if text.is_empty() || text == name {
                settled.set_value(true);
                finish();
                return;
            }
            let Some(ops) = actions.ops.get_untracked() else {
                return;
            };
            let dir = browser.route.with_untracked(|route| route.dir.clone());
            let (Ok(from), Ok(to)) = (dir.child(&name), dir.child(&text)) else {
                actions.show_error(format!("“{text}” cannot be a name here."));
                return;
            };
            settled.set_value(true);
            let name = name.clone();
            spawn_local(async move {
                match ops.rename(&from, &to, false).await {
                    Ok(()) => {
                        finish();
                        browser.select(Some(text.clone()));
                        browser.retry();
                        actions.show(
                            format!("Renamed “{name}” to “{text}”."),
                            vec![Undo::Move(to, from)],
                            false,
                        );
                    }
                    Err(why) => {
                        settled.set_value(false);
                        actions.show_error(format!("Could not rename “{name}”: {why}"));
                        if let Some(field) = input.get_untracked() {
                            let _ = field.focus();
                        }
                    }
                }
            });
        }
    };
    let on_keydown = {
        let commit = commit.clone();
        move |event: leptos::ev::KeyboardEvent| {
            // The listing's keys (arrows, Enter, Ctrl+A, Delete) must not act meanwhile.
            event.stop_propagation();
            match event.key().as_str() {
                "Enter" => {
                    event.prevent_default();
                    commit();
                }
                "Escape" => {
                    event.prevent_default();
                    settled.set_value(true);
                    finish();
                }
                _ => {}
            }
        }
    };
    view! {
        <input
            type="text"
            class=style::rename
            node_ref=input
            value=draft.map_or_else(|| name.clone(), |draft| draft.text)
            aria-label=format!("New name for {name}")
            autocomplete="off"
            spellcheck="false"
            on:keydown=on_keydown
            on:input=move |event| {
                let field = event_target::<web_sys::HtmlInputElement>(&event);
                let caret = field.selection_end().ok().flatten().unwrap_or(0);
                actions.draft.set_value(Some(Draft { text: field.value(), caret }));
            }
            // Leaving the field renames; a field taken away by a redraw does not. Chromium
            // sends blur while removing the field, so look once the removal is done.
            on:blur=move |event| {
                let field = event_target::<web_sys::HtmlInputElement>(&event);
                let commit = commit.clone();
                set_timeout(
                    move || {
                        if field.is_connected() {
                            commit();
                        }
                    },
                    std::time::Duration::ZERO,
                );
            }
            on:click=|event| event.stop_propagation()
            on:dblclick=|event| event.stop_propagation()
        />
    }
}

/// Length (UTF-16 units, as the field counts) of the part of a name selected at first:
/// a file's name before its extension (`report.final.pdf` → `report.final`; names without
/// one, or dot files, whole), a folder's whole name.
fn selected_length(name: &str, folder: bool) -> u32 {
    let stem = match name.rfind('.') {
        Some(dot) if dot > 0 && !folder => &name[..dot],
        _ => name,
    };
    u32::try_from(stem.encode_utf16().count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::selected_length;

    #[test]
    fn the_extension_is_left_out_of_the_selection() {
        assert_eq!(selected_length("report.final.pdf", false), 12);
        assert_eq!(selected_length("README", false), 6);
        assert_eq!(selected_length(".bashrc", false), 7);
        assert_eq!(selected_length("été.txt", false), 3);
        assert_eq!(selected_length("v1.2", true), 4);
    }
}
