//! The centre pane: the current folder as a sortable, filterable, virtualised grid,
//! with its loading, empty, error and no-match states. Typing letters selects the next
//! entry whose name starts with them (type-to-jump).

use crate::components::actions::Actions;
use crate::components::virtual_window::VirtualWindow;
use crate::model::{Sort, SortKey};
use crate::state::Browser;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use stylance::classes;

mod long_press;
mod row;
mod state_view;

use row::Row;
use state_view::ListingState;

stylance::import_crate_style!(style, "src/components/listing/listing.module.css");

/// Row height in CSS pixels where listing.module.css sets no `--row-height` (it does: 32 px,
/// 44 px for touch and phones).
const ROW_HEIGHT: f64 = 32.0;

/// Letters typed closer together than this make one word for type-to-jump.
const TYPE_TO_JUMP_MS: f64 = 1000.0;

/// The listing grid of the current folder.
#[component]
pub fn Listing() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let window = VirtualWindow::new(ROW_HEIGHT);
    let count = Memo::new(move |_| browser.order.with(|order| order.len()));
    let selected_position = Memo::new(move |_| {
        let name = browser.route.with(|route| route.selected.clone())?;
        browser.listing.with(|listing| {
            let listing = listing.as_ref()?;
            let index = listing.position_of(&name)? as u32;
            browser
                .order
                .with(|order| order.iter().position(|&i| i == index))
        })
    });

    // A deep link or "go up" selects a row that may be far down: bring it into view once shown.
    Effect::new(move |_| {
        if let Some(position) = selected_position.get() {
            request_animation_frame(move || window.scroll_into_view(position));
        }
    });

    let select_position = move |position: usize| {
        let name = browser.listing.with_untracked(|listing| {
            let listing = listing.as_ref()?;
            let index = browser
                .order
                .with_untracked(|order| order.get(position).copied())?;
            Some(listing.entries[index as usize].name.clone())
        });
        if name.is_some() {
            browser.select(name);
            window.scroll_into_view(position);
        }
    };

    // Where Shift ranges start: the row last clicked or moved to without Shift.
    let anchor = StoredValue::new(None::<usize>);
    // Click: select one. Ctrl/Cmd-click: add or remove one. Shift-click: a range from
    // the anchor.
    // The names shown from display position `from` to `to` (either way round), inclusive.
    let names_in = move |from: usize, to: usize| -> Vec<String> {
        browser.listing.with_untracked(|listing| {
            let Some(listing) = listing.as_ref() else {
                return Vec::new();
            };
            browser.order.with_untracked(|order| {
                order[from.min(to)..=from.max(to).min(order.len().saturating_sub(1))]
                    .iter()
                    .map(|&i| listing.entries[i as usize].name.clone())
                    .collect()
            })
        })
    };
    let click_position = move |position: usize, toggle: bool, range: bool| {
        let Some(name) = names_in(position, position).pop() else {
            return;
        };
        if !range {
            anchor.set_value(Some(position));
        }
        if toggle {
            let current = browser.route.with_untracked(|route| route.selected.clone());
            browser.marked.update(|marked| {
                marked.extend(current);
                if !marked.remove(&name) {
                    marked.insert(name.clone());
                }
            });
            browser.select(Some(name));
        } else if range {
            let from = anchor
                .get_value()
                .or_else(|| selected_position.get_untracked())
                .unwrap_or(position);
            browser
                .marked
                .set(names_in(from, position).into_iter().collect());
            browser.select(Some(name));
        } else {
            browser.marked.set(Default::default());
            select_position(position);
        }
    };

    // Type-to-jump: letters typed within a second of each other, and when they were typed.
    let typed = StoredValue::new((String::new(), 0.0f64));
    let type_to_jump = move |event: &KeyboardEvent| -> bool {
        let key = event.key();
        let mut chars = key.chars();
        let (Some(letter), None) = (chars.next(), chars.next()) else {
            return false; // a named key (ArrowDown, Enter…)
        };
        let now = js_sys::Date::now();
        let (mut word, last) = typed.get_value();
        if now - last > TYPE_TO_JUMP_MS {
            word.clear();
        }
        // `/` stays the filter's shortcut; a space only counts inside a word.
        if letter == '/' || letter.is_control() || (letter == ' ' && word.is_empty()) {
            return false;
        }
        word.push(letter);
        typed.set_value((word.clone(), now));
        let target = browser.listing.with_untracked(|listing| {
            let listing = listing.as_ref()?;
            browser.order.with_untracked(|order| {
                listing.jump(order, selected_position.get_untracked(), &word)
            })
        });
        if let Some(target) = target {
            anchor.set_value(Some(target));
            browser.marked.set(Default::default());
            select_position(target);
        }
        true
    };

    let on_keydown = move |event: KeyboardEvent| {
        let total = count.get_untracked();
        if total > 0 && (event.ctrl_key() || event.meta_key()) && event.key() == "a" {
            event.prevent_default();
            browser
                .marked
                .set(names_in(0, total - 1).into_iter().collect());
            return;
        }
        let menu_key = event.key() == "ContextMenu" || (event.shift_key() && event.key() == "F10");
        if menu_key && browser.writes_supported() && selected_position.get_untracked().is_some() {
            event.prevent_default();
            let at = selected_position
                .get_untracked()
                .and_then(|position| document().get_element_by_id(&format!("row-{position}")))
                .map(|row| row.get_bounding_client_rect())
                .map_or((40.0, 120.0), |rect| (rect.left() + 40.0, rect.bottom()));
            actions.menu.set(Some(at));
            return;
        }
        let current = selected_position.get_untracked();
        if (event.ctrl_key() || event.meta_key()) && event.key() == " " {
            // Ctrl+Space: add the selected row to the selection, or take it out.
            if let Some(position) = current {
                event.prevent_default();
                click_position(position, true, false);
            }
            return;
        }
        if total == 0 || event.alt_key() || event.ctrl_key() || event.meta_key() {
            return;
        }
        if type_to_jump(&event) {
            event.prevent_default();
            return;
        }
        let last = total - 1;
        let target = match event.key().as_str() {
            "ArrowDown" => current.map_or(0, |p| (p + 1).min(last)),
            "ArrowUp" => current.map_or(0, |p| p.saturating_sub(1)),
            "Home" => 0,
            "End" => last,
            "PageDown" => current.map_or(0, |p| (p + window.page_rows()).min(last)),
            "PageUp" => current.map_or(0, |p| p.saturating_sub(window.page_rows())),
            "Enter" => {
                if let Some(entry) = browser.selected_entry() {
                    event.prevent_default();
                    browser.open_entry(&entry);
                }
                return;
            }
            "Escape" => {
                browser.marked.set(Default::default());
                browser.select(None);
                return;
            }
            _ => return,
        };
        event.prevent_default();
        if event.shift_key() {
            // Shift+arrows (and Home, End, pages): extend the range from the anchor.
            if anchor.get_value().is_none() {
                anchor.set_value(current);
            }
            click_position(target, false, true);
            window.scroll_into_view(target);
        } else {
            anchor.set_value(Some(target));
            browser.marked.set(Default::default());
            select_position(target);
        }
    };

    let active_descendant = move || selected_position.get().map(|p| format!("row-{p}"));
    let label = move || {
        format!(
            "Contents of {}",
            browser.route.with(|route| route.dir.to_string())
        )
    };

    view! {
        <section class=style::listing aria-label="Files">
            <div
                role="grid"
                class=style::grid
                tabindex="0"
                aria-label=label
                aria-rowcount=move || count.get() + 1
                aria-colcount="4"
                aria-activedescendant=active_descendant
                aria-busy=move || browser.loading.get().to_string()
                on:keydown=on_keydown
                // The grid itself scrolls (under its sticky column headings): the one
                // element in the tab order is the one that scrolls, as axe asks.
                node_ref=window.container
                on:scroll=move |_| window.measure()
            >
                <div role="rowgroup" class=style::head>
                    <div role="row" class=style::head_row aria-rowindex="1">
                        {SortKey::ALL.into_iter().map(|key| view! { <ColumnHeader key=key/> }).collect_view()}
                    </div>
                </div>
                <div
                    // A rowgroup must hold rows: none while empty, loading or failed.
                    role=move || (count.get() > 0).then_some("rowgroup")
                    class=style::body
                >
                    <div class=style::spacer node_ref=window.content style:height=move || window.total_height(count.get())>
                        <For
                            each=move || {
                                let range = window.visible(count.get());
                                // Rows read their entry once, so a reloaded listing (same
                                // positions and indices, other entries) must key new rows.
                                let version = browser.listing.with(|listing| {
                                    listing.as_ref().map_or(0, |l| std::sync::Arc::as_ptr(l) as usize)
                                });
                                browser.order.with(|order| {
                                    range
                                        .map(|position| (position, order[position], version))
                                        .collect::<Vec<_>>()
                                })
                            }
                            key=|row| *row
                            children=move |(position, index, _)| view! {
                                <Row position=position index=index as usize window=window click=click_position/>
                            }
                        />
                    </div>
                    // Inside the grid only rows may stand: the message is a one-cell row.
                    <div role="row">
                        <div role="gridcell" aria-colspan="4">
                            <ListingState/>
                        </div>
                    </div>
                </div>
            </div>
        </section>
    }
}

/// A sortable column heading.
#[component]
fn ColumnHeader(
    /// The column this heading sorts by.
    key: SortKey,
) -> impl IntoView {
    let browser = expect_context::<Browser>();
    let aria_sort = move || {
        let sort = browser.sort.get();
        match (sort.key == key, sort.ascending) {
            (false, _) => "none",
            (true, true) => "ascending",
            (true, false) => "descending",
        }
    };
    let arrow = move || {
        let sort = browser.sort.get();
        match (sort.key == key, sort.ascending) {
            (false, _) => "",
            (true, true) => "▲",
            (true, false) => "▼",
        }
    };
    let column_class = column_class(key);
    view! {
        <div role="columnheader" class=classes!(style::cell, column_class) aria-sort=aria_sort>
            <button
                type="button"
                class=style::sort_button
                on:click=move |_| browser.sort.update(|sort: &mut Sort| *sort = sort.toggled(key))
            >
                {key.label()}
                <span class=style::sort_arrow aria-hidden="true">{arrow}</span>
            </button>
        </div>
    }
}

fn column_class(key: SortKey) -> &'static str {
    match key {
        SortKey::Name => style::col_name,
        SortKey::Size => style::col_size,
        SortKey::Modified => style::col_modified,
        SortKey::Type => style::col_type,
    }
}
