//! One row of the listing: its cells, selection (a tap opens a folder on a phone or by
//! touch), the context menu (right click or long press), renaming in place, dragging it
//! onto folders, and (for folders) taking drops of files and rows.

use super::long_press::LongPress;
use super::{style, VirtualWindow};
use crate::components::actions::{drag, rename::RenameField, Actions};
use crate::components::details::words::kind_of;
use crate::components::icons::IconKind;
use crate::components::panes::Panes;
use crate::components::storages::{RowIcon, RowName};
use crate::model::human_size;
use crate::state::Browser;
use crate::upload::drop_zone::FolderDropTarget;
use crate::upload::queue::UploadQueue;
use leptos::prelude::*;
use stylance::classes;

/// One entry of the grid, absolutely positioned at its place in the scroll area.
#[component]
pub fn Row(
    /// Position in display order (0-based).
    position: usize,
    /// Index into the listing's entries.
    index: usize,
    /// The scrolling window this row lives in.
    window: VirtualWindow,
    /// Handles a click on the row at a display position: (position, toggle, range).
    click: impl Fn(usize, bool, bool) + Copy + 'static,
) -> impl IntoView {
    let browser = expect_context::<Browser>();
    let Some((entry, modified)) = browser.listing.with_untracked(|listing| {
        listing.as_ref().and_then(|l| {
            l.entries
                .get(index)
                .map(|e| (e.clone(), l.modified_ms(index)))
        })
    }) else {
        return ().into_any();
    };
    let name = entry.name.clone();
    let is_selected = {
        let name = name.clone();
        Memo::new(move |_| browser.is_picked(&name))
    };
    let size = if entry.is_dir() {
        "—".to_owned()
    } else {
        human_size(entry.size)
    };
    let kind = IconKind::of(entry.is_dir(), &entry.mime_type);
    // Plain words ("PNG image"); the content type itself on hover.
    let (type_label, type_title) = if entry.is_dir() {
        ("Folder".to_owned(), "Folder".to_owned())
    } else {
        (
            kind_of(&entry.mime_type, &entry.name),
            entry.mime_type.clone(),
        )
    };
    let open_entry = entry.clone();
    let actions = expect_context::<Actions>();
    let renaming = {
        let name = name.clone();
        Memo::new(move |_| {
            actions
                .renaming
                .with(|r| r.as_deref() == Some(name.as_str()))
        })
    };
    let writes = browser.writes_supported();
    // Folders take dropped files into themselves.
    let queue = expect_context::<UploadQueue>();
    let drop_target = FolderDropTarget::new();
    let is_folder = entry.is_dir();
    // A folder of the root may be a mounted storage: its icon and label then.
    let top_folder = is_folder && browser.route.with_untracked(|route| route.dir.is_root());
    let cell_name = name.clone();
    let click_name = name.clone();
    let panes = expect_context::<Panes>();
    // Our menu where the server takes writes (the browser's own elsewhere), for the row
    // (selected first unless it is part of the selection) at a point of the window.
    let has_menu = move || actions.ops.with_untracked(Option::is_some) && writes;
    let open_menu = move |x: f64, y: f64| {
        if !is_selected.get_untracked() {
            click(position, false, false);
        }
        actions.menu.set(Some((x, y)));
    };
    let long_press = LongPress::new();
    let drop_dir = is_folder
        .then(|| {
            browser
                .route
                .with_untracked(|route| route.dir.child(&entry.name).ok())
        })
        .flatten();
    view! {
        <div
            role="row"
            id=format!("row-{position}")
            class=move || classes!(
                style::row,
                is_selected.get().then_some(style::row_selected),
                drop_target.hover.get().then_some(style::row_drop)
            )
            style:transform=window.offset(position)
            aria-rowindex=position + 2
            aria-selected=move || is_selected.get().to_string()
            data-name=name.clone()
            on:click=move |event: leptos::ev::MouseEvent| {
                if long_press.take_fired() {
                    return; // the lifted finger of a long press that opened the menu
                }
                let (toggle, range) = (event.ctrl_key() || event.meta_key(), event.shift_key());
                // On a phone or by touch a folder opens with one tap.
                if !toggle && !range && panes.row_clicked(&click_name, is_folder, event.detail()) {
                    return;
                }
                click(position, toggle, range);
                // On a phone a file's details then take the screen (a history entry).
                if !toggle && !range && !is_folder {
                    panes.file_selected();
                }
            }
            on:contextmenu=move |event: leptos::ev::MouseEvent| {
                if has_menu() {
                    event.prevent_default();
                    // Android fires it for a long press the row already answered.
                    if !long_press.fired() {
                        long_press.cancel();
                        open_menu(f64::from(event.client_x()), f64::from(event.client_y()));
                    }
                }
            }
            on:pointerdown=move |event: leptos::ev::PointerEvent| {
                if has_menu() {
                    long_press.down(&event, open_menu);
                }
            }
            on:pointermove=move |event: leptos::ev::PointerEvent| long_press.moved(&event)
            on:pointerup=move |_| long_press.cancel()
            on:pointercancel=move |_| long_press.cancel()
            on:touchend=move |event: leptos::ev::TouchEvent| {
                // No mouse events or click from the finger that opened the menu.
                if long_press.fired() {
                    event.prevent_default();
                }
            }
            on:dblclick=move |_| {
                if panes.double_click_opens() {
                    browser.open_entry(&open_entry)
                }
            }
            // Rows drag onto folders (in the listing or the tree) to move there, once
            // discovery says the server moves (it may answer after the rows are drawn).
            draggable=move || (actions.can_move(browser) && !renaming.get()).then_some("true")
            on:dragstart=move |event: leptos::ev::DragEvent| {
                if !is_selected.get_untracked() {
                    click(position, false, false);
                }
                let dir = browser.route.with_untracked(|route| route.dir.clone());
                drag::start(&event, &dir, browser.picked_names());
            }
            on:dragover=move |event| if is_folder { drop_target.over(&event) }
            on:dragleave=move |_| drop_target.leave()
            on:drop=move |event| {
                if let Some(dir) = drop_dir.clone() {
                    drag::drop_on_folder(&event, drop_target, dir, actions, browser, queue);
                }
            }
        >
            <div role="gridcell" class=classes!(style::cell, style::col_name) title=name.clone()>
                <RowIcon top_folder=top_folder name=name.clone() kind=kind/>
                {move || if renaming.get() {
                    view! { <RenameField name=cell_name.clone() folder=is_folder/> }.into_any()
                } else {
                    view! { <span class=style::name><RowName top_folder=top_folder name=cell_name.clone()/></span> }.into_any()
                }}
            </div>
            <div role="gridcell" class=classes!(style::cell, style::col_size)>{size}</div>
            <div role="gridcell" class=classes!(style::cell, style::col_modified)>
                {modified.map(crate::components::format_local_time).unwrap_or_default()}
            </div>
            <div role="gridcell" class=classes!(style::cell, style::col_type) title=type_title>
                {type_label}
            </div>
        </div>
    }
    .into_any()
}
