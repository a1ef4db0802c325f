//! The Move/Copy destination: the server's folders as a tree (ARIA `tree`), loaded lazily
//! through the app's own tree state (children fetched once, shared with the left pane) but
//! opened and closed on its own, plus "New folder" inside the folder chosen. Arrows move,
//! Right/Left open and close, letters jump to a folder by name, Enter picks; a click
//! chooses, a click on the arrow (or a double click) opens.

use crate::components::actions::Actions;
use crate::components::icons::{EntryIcon, IconKind};
use crate::components::tree::host_label;
use crate::state::Browser;
use crate::tree_state::TreeRow;
use leptos::ev::KeyboardEvent;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;
use std::collections::HashSet;
use stylance::classes;

stylance::import_crate_style!(style, "src/components/folder_picker.module.css");

/// Letters typed closer together than this make one word for jumping to a folder.
const TYPE_TO_JUMP_MS: f64 = 1000.0;

/// The folder tree of the Move/Copy dialog.
#[component]
pub fn FolderPicker(
    /// The folder chosen at first (the one shown in the listing).
    start: TreePath,
    /// The folder chosen now: the destination.
    chosen: RwSignal<TreePath>,
    /// Called when Enter picks the chosen folder.
    on_pick: Callback<()>,
) -> impl IntoView {
    let browser = expect_context::<Browser>();
    chosen.set(start.clone());
    // Open in the picker: the root and the way down to the folder chosen at first.
    let expanded = RwSignal::new({
        let mut open: HashSet<TreePath> = std::iter::successors(start.parent(), TreePath::parent)
            .chain([TreePath::root()])
            .collect();
        open.insert(start);
        open
    });
    Effect::new(move |_| {
        expanded.with(|open| {
            open.iter()
                .for_each(|path| browser.ensure_tree_children(path))
        });
    });
    let rows =
        Memo::new(move |_| expanded.with(|open| browser.tree.with(|tree| tree.rows_with(open))));
    let chosen_index = Memo::new(move |_| {
        chosen.with(|path| rows.with(|rows| rows.iter().position(|row| row.path == *path)))
    });
    let set_open = move |path: &TreePath, open: bool| {
        expanded.update(|expanded| {
            if open {
                expanded.insert(path.clone());
            } else {
                expanded.remove(path);
            }
        });
    };
    let typed = StoredValue::new((String::new(), 0.0f64));

    let on_keydown = move |event: KeyboardEvent| {
        let rows_now = rows.get_untracked();
        let Some(index) = chosen_index.get_untracked() else {
            chosen.set(TreePath::root());
            return;
        };
        let row = &rows_now[index];
        let go = |target: usize| {
            if let Some(row) = rows_now.get(target) {
                chosen.set(row.path.clone());
                scroll_to(target);
            }
        };
        match event.key().as_str() {
            "ArrowDown" => go((index + 1).min(rows_now.len() - 1)),
            "ArrowUp" => go(index.saturating_sub(1)),
            "Home" => go(0),
            "End" => go(rows_now.len() - 1),
            "ArrowRight" if row.expandable && !row.expanded => set_open(&row.path, true),
            "ArrowRight" if row.expanded => go(index + 1),
            "ArrowLeft" if row.expanded => set_open(&row.path, false),
            "ArrowLeft" => {
                if let Some(parent) = row.path.parent() {
                    if let Some(target) = rows_now.iter().position(|r| r.path == parent) {
                        go(target);
                    }
                }
            }
            "Enter" => on_pick.run(()),
            key if key.chars().count() == 1 && !event.ctrl_key() && !event.meta_key() => {
                let now = js_sys::Date::now();
                let (mut word, last) = typed.get_value();
                if now - last > TYPE_TO_JUMP_MS {
                    word.clear();
                }
                word.push_str(&key.to_lowercase());
                typed.set_value((word.clone(), now));
                if let Some(target) = jump(&rows_now, index, &word) {
                    go(target);
                }
            }
            _ => return,
        }
        event.prevent_default();
        event.stop_propagation();
    };

    view! {
        <div class=style::picker>
            <div role="tree" class=style::tree tabindex="0" aria-label="Folders"
                id="folder-picker"
                aria-activedescendant=move || chosen_index.get().map(|i| format!("picker-{i}"))
                on:keydown=on_keydown
            >
                <For
                    each=move || { rows.get().into_iter().enumerate().collect::<Vec<_>>() }
                    key=|(index, row)| (*index, row.path.clone(), row.expanded, row.expandable, row.loading, row.error.clone())
                    children=move |(index, row)| view! {
                        <PickerItem index=index row=row chosen=chosen set_open=set_open />
                    }
                />
            </div>
            <NewFolder chosen=chosen expanded=expanded/>
        </div>
    }
}

/// One folder of the picker.
#[component]
fn PickerItem(
    /// Position among the visible rows.
    index: usize,
    /// The row's data.
    row: TreeRow,
    /// The folder chosen now.
    chosen: RwSignal<TreePath>,
    /// Opens (`true`) or closes a folder in the picker.
    set_open: impl Fn(&TreePath, bool) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let browser = expect_context::<Browser>();
    let path = row.path.clone();
    let label = match path.name() {
        Some(name) => name.to_owned(),
        None => browser
            .config
            .with_value(|config| host_label(&config.server_label())),
    };
    let is_chosen = {
        let path = path.clone();
        Memo::new(move |_| chosen.with(|chosen| *chosen == path))
    };
    let (toggle_path, pick_path, open_path) = (path.clone(), path.clone(), path.clone());
    let (expanded, expandable) = (row.expanded, row.expandable);
    view! {
        <div role="treeitem" id=format!("picker-{index}")
            class=move || classes!(style::item, is_chosen.get().then_some(style::item_chosen))
            style:padding-left=format!("{}px", 4 + row.depth * 16)
            prop:ariaLevel=(row.depth + 1).to_string()
            aria-setsize=row.set_size
            aria-posinset=row.position
            aria-expanded=expandable.then(|| expanded.to_string())
            aria-selected=move || is_chosen.get().to_string()
            aria-busy=row.loading.to_string()
            data-path=path.to_string()
            title=row.error.clone().unwrap_or_else(|| path.to_string())
            on:click=move |_| chosen.set(pick_path.clone())
            on:dblclick=move |_| {
                if expandable {
                    set_open(&open_path, !expanded);
                }
            }>
            <span class=style::toggle aria-hidden="true"
                on:click=move |event| {
                    event.stop_propagation();
                    if expandable {
                        set_open(&toggle_path, !expanded);
                    }
                }>
                {if !expandable { "" } else if expanded { "▾" } else { "▸" }}
            </span>
            <EntryIcon kind=IconKind::Folder/>
            <span class=style::name>{label}</span>
            {row.loading.then(|| view! { <span class=style::hint>"…"</span> })}
            {row.error.is_some().then(|| view! { <span class=style::hint>"⚠"</span> })}
        </div>
    }
}

/// "New folder" inside the chosen folder: a name, then Create. The new folder is chosen
/// and goes on the undo history like one made from the toolbar.
#[component]
fn NewFolder(
    /// The folder chosen now (the parent of the new one, then the new one).
    chosen: RwSignal<TreePath>,
    /// The folders open in the picker (the parent opens to show the new one).
    expanded: RwSignal<HashSet<TreePath>>,
) -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let naming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let input = NodeRef::<Input>::new();
    Effect::new(move |_| {
        if let (true, Some(input)) = (naming.get(), input.get()) {
            let _ = input.focus();
        }
    });
    let create = move || {
        let (Some(field), Some(ops)) = (input.get_untracked(), actions.ops.get_untracked()) else {
            return;
        };
        let name = field.value().trim().to_owned();
        let parent = chosen.get_untracked();
        let Ok(path) = parent.child(&name) else {
            error.set(Some(format!("“{name}” cannot be a folder name.")));
            return;
        };
        spawn_local(async move {
            match ops.mkdir(&path).await {
                Ok(()) => {
                    error.set(None);
                    naming.set(false);
                    browser.load_tree_children(parent.clone());
                    expanded.update(|open| {
                        open.insert(parent.clone());
                    });
                    chosen.set(path.clone());
                    browser.retry();
                    let undo = crate::components::actions::Undo::Remove {
                        path,
                        recursive: false,
                    };
                    actions.show(format!("Created “{name}”."), vec![undo], false);
                    focus_picker();
                }
                Err(why) => error.set(Some(format!("Could not create “{name}”: {why}"))),
            }
        });
    };
    view! {
        <div class=style::new_folder>
            <Show when=move || naming.get()
                fallback=move || view! {
                    <button type="button" on:click=move |_| { error.set(None); naming.set(true); }>
                        "New folder"
                    </button>
                }>
                <label class=style::new_name>
                    {move || format!("New folder in {}", chosen.with(ToString::to_string))}
                    <input type="text" node_ref=input autocomplete="off" spellcheck="false"
                        // Enter makes the folder; it must not send the Move/Copy form.
                        on:keydown=move |event: KeyboardEvent| match event.key().as_str() {
                            "Enter" => { event.prevent_default(); create(); }
                            "Escape" => {
                                event.prevent_default();
                                event.stop_propagation();
                                naming.set(false);
                                focus_picker();
                            }
                            _ => {}
                        }/>
                </label>
                <button type="button" on:click=move |_| create()>"Create"</button>
                <button type="button" on:click=move |_| { naming.set(false); focus_picker(); }>"Cancel"</button>
            </Show>
            {move || error.get().map(|why| view! { <p class=style::error role="alert">{why}</p> })}
        </div>
    }
}

/// The visible row after `index` (or at it, for a word still matching) whose folder name
/// starts with `word`, wrapping around.
fn jump(rows: &[TreeRow], index: usize, word: &str) -> Option<usize> {
    let first = word.chars().next()?;
    let (prefix, start) = if word.chars().all(|c| c == first) {
        (first.to_string(), index + 1)
    } else {
        (word.to_owned(), index)
    };
    let count = rows.len();
    (0..count).map(|step| (start + step) % count).find(|&i| {
        rows[i]
            .path
            .name()
            .is_some_and(|name| name.to_lowercase().starts_with(&prefix))
    })
}

/// Scrolls row `index` of the picker into view.
fn scroll_to(index: usize) {
    if let Some(row) = document().get_element_by_id(&format!("picker-{index}")) {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Nearest);
        row.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

/// Gives keyboard focus to the picker's tree.
pub fn focus_picker() {
    let tree = document().get_element_by_id("folder-picker");
    if let Some(tree) =
        tree.and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok())
    {
        let _ = tree.focus();
    }
}
