//! The left pane: a lazily loaded, virtualised folder tree (ARIA `tree` pattern).
//! Children load when a node expands; expanded state survives navigation.

use crate::components::actions::{drag, Actions};
use crate::components::storages::FolderName;
use crate::components::virtual_window::VirtualWindow;
use crate::state::Browser;
use crate::tree_state::TreeRow;
use crate::upload::drop_zone::FolderDropTarget;
use crate::upload::queue::UploadQueue;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use skiff_protocol::TreePath;
use std::sync::Arc;
use stylance::classes;

stylance::import_crate_style!(style, "src/components/tree.module.css");

/// Row height in CSS pixels; must match `.item` in tree.module.css.
const ROW_HEIGHT: f64 = 28.0;

/// The folder tree.
#[component]
pub fn FolderTree() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let window = VirtualWindow::new(ROW_HEIGHT);
    let rows = Memo::new(move |_| Arc::new(browser.tree.with(|tree| tree.rows())));
    // The row with keyboard focus; follows the current folder until the user moves it.
    let focused = RwSignal::new(TreePath::root());
    Effect::new(move |_| focused.set(browser.route.with(|route| route.dir.clone())));
    let focused_index = Memo::new(move |_| {
        let path = focused.get();
        rows.with(|rows| rows.iter().position(|row| row.path == path))
    });

    let on_keydown = move |event: KeyboardEvent| {
        let Some(index) = focused_index.get_untracked() else {
            focused.set(TreePath::root());
            return;
        };
        let rows_now = rows.get_untracked();
        let row = &rows_now[index];
        let move_to = |target: usize| {
            if let Some(row) = rows_now.get(target) {
                focused.set(row.path.clone());
                window.scroll_into_view(target);
            }
        };
        match event.key().as_str() {
            "ArrowDown" => move_to((index + 1).min(rows_now.len() - 1)),
            "ArrowUp" => move_to(index.saturating_sub(1)),
            "Home" => move_to(0),
            "End" => move_to(rows_now.len() - 1),
            "ArrowRight" if row.expandable && !row.expanded => {
                browser.set_tree_expanded(&row.path, true)
            }
            "ArrowRight" if row.expanded => move_to(index + 1),
            "ArrowLeft" if row.expanded => browser.set_tree_expanded(&row.path, false),
            "ArrowLeft" => {
                if let Some(parent) = row.path.parent() {
                    if let Some(target) = rows_now.iter().position(|r| r.path == parent) {
                        move_to(target);
                    }
                }
            }
            "Enter" | " " => browser.open_dir(row.path.clone()),
            _ => return,
        }
        event.prevent_default();
    };

    view! {
        <nav class=style::pane aria-label="Folders">
            <div
                role="tree"
                class=style::tree
                aria-label="Folders"
                tabindex="0"
                node_ref=window.container
                on:scroll=move |_| window.measure()
                on:keydown=on_keydown
                aria-activedescendant=move || focused_index.get().map(|i| format!("tree-{i}"))
            >
                <div class=style::spacer style:height=move || window.total_height(rows.with(|r| r.len()))>
                    <For
                        each=move || {
                            let all = rows.get();
                            window.visible(all.len()).map(|i| (i, all[i].clone())).collect::<Vec<_>>()
                        }
                        key=|(index, row)| (*index, row.path.clone(), row.expanded, row.expandable, row.loading, row.error.clone(), row.set_size)
                        children=move |(index, row)| view! {
                            <TreeItem index=index row=row window=window focused=focused/>
                        }
                    />
                </div>
            </div>
        </nav>
    }
}

/// One folder row of the tree.
#[component]
fn TreeItem(
    /// Position among the visible rows.
    index: usize,
    /// The row's data.
    row: TreeRow,
    /// The scrolling window this row lives in.
    window: VirtualWindow,
    /// The row that has keyboard focus.
    focused: RwSignal<TreePath>,
) -> impl IntoView {
    let browser = expect_context::<Browser>();
    let path = row.path.clone();
    let label = match path.name() {
        Some(name) => name.to_owned(),
        None => browser
            .config
            .with_value(|config| host_label(&config.server_label())),
    };
    let is_current = {
        let path = path.clone();
        Memo::new(move |_| browser.route.with(|route| route.dir == path))
    };
    let is_focused = {
        let path = path.clone();
        Memo::new(move |_| focused.with(|focused| *focused == path))
    };
    let toggle_path = path.clone();
    let open_path = path.clone();
    let expanded = row.expanded;
    let toggle_label = if expanded { "Collapse" } else { "Expand" };
    let indent = format!("{}px", 8 + row.depth * 16);
    let queue = expect_context::<UploadQueue>();
    let actions = expect_context::<Actions>();
    let drop_target = FolderDropTarget::new();
    let drop_dir = path.clone();
    view! {
        <div
            role="treeitem"
            id=format!("tree-{index}")
            class=move || classes!(
                style::item,
                is_current.get().then_some(style::item_current),
                is_focused.get().then_some(style::item_focused),
                drop_target.hover.get().then_some(style::item_drop)
            )
            style:transform=window.offset(index)
            style:padding-left=indent
            // tachys has no `aria_level`; ARIA reflection sets the attribute.
            prop:ariaLevel=(row.depth + 1).to_string()
            aria-setsize=row.set_size
            aria-posinset=row.position
            aria-expanded=row.expandable.then(|| expanded.to_string())
            aria-selected=move || is_current.get().to_string()
            aria-busy=row.loading.to_string()
            data-path=path.to_string()
            on:dragover=move |event| drop_target.over(&event)
            on:dragleave=move |_| drop_target.leave()
            on:drop=move |event| {
                drag::drop_on_folder(&event, drop_target, drop_dir.clone(), actions, browser, queue);
            }
            title=row.error.clone().unwrap_or_else(|| path.to_string())
        >
            <button
                type="button"
                class=style::toggle
                tabindex="-1"
                aria-label=toggle_label
                disabled=!row.expandable
                on:click=move |_| browser.set_tree_expanded(&toggle_path, !expanded)
            >
                {if !row.expandable { "" } else if expanded { "▾" } else { "▸" }}
            </button>
            <a
                class=style::label
                tabindex="-1"
                href=browser.href_of(&crate::route::Route::dir(path.clone()))
                on:click=move |event| {
                    event.prevent_default();
                    focused.set(open_path.clone());
                    browser.open_dir(open_path.clone());
                }
            >
                <FolderName path=path.clone() name=label class=style::name/>
                {row.loading.then(|| view! { <span class=style::hint>"…"</span> })}
                {row.error.is_some().then(|| view! { <span class=style::hint>"⚠"</span> })}
            </a>
        </div>
    }
}

/// `http://127.0.0.1:8080` → `127.0.0.1:8080`: how the root is named.
pub fn host_label(server: &str) -> String {
    let label = server
        .split_once("://")
        .map_or(server, |(_, rest)| rest)
        .trim_end_matches('/');
    if label.is_empty() {
        "Home".to_owned()
    } else {
        label.to_owned()
    }
}
