//! The context menu (right click or long press on a row, or the menu key / Shift+F10): the
//! toolbar's actions for the selection, as an ARIA menu driven by the arrow keys, kept
//! inside the window (it opens up or leftwards from the point near the bottom or right edge).

use super::{style, Actions, Ask};
use crate::state::Browser;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The open context menu, if any.
#[component]
pub fn ContextMenu() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let menu = NodeRef::<leptos::html::Div>::new();
    // Keep it inside the window, then focus the first item, so the keyboard is in the menu.
    Effect::new(move |_| {
        if let Some(at) = actions.menu.get() {
            keep_in_window(menu, at);
            request_animation_frame(move || {
                keep_in_window(menu, at);
                if let Some(first) = menu
                    .get_untracked()
                    .and_then(|menu| menu.query_selector("[role=menuitem]").ok().flatten())
                {
                    if let Ok(first) = first.dyn_into::<web_sys::HtmlElement>() {
                        let _ = first.focus();
                    }
                }
            });
        }
    });
    let close = move || actions.menu.set(None);
    let outside = window_event_listener(leptos::ev::mousedown, move |event| {
        let inside = menu.get_untracked().is_some_and(|menu| {
            event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Node>().ok())
                .is_some_and(|node| menu.contains(Some(&node)))
        });
        if !inside {
            close();
        }
    });
    on_cleanup(move || outside.remove());
    let on_keydown = move |event: leptos::ev::KeyboardEvent| {
        let Some(menu) = menu.get_untracked() else {
            return;
        };
        let items = menu
            .query_selector_all("[role=menuitem]:not([disabled])")
            .ok();
        let items: Vec<web_sys::HtmlElement> = items
            .map(|list| {
                (0..list.length())
                    .filter_map(|i| list.item(i))
                    .filter_map(|node| node.dyn_into().ok())
                    .collect()
            })
            .unwrap_or_default();
        let active = document().active_element();
        let at = items.iter().position(|item| {
            active
                .as_ref()
                .is_some_and(|a| a == item.as_ref() as &web_sys::Element)
        });
        let target = match event.key().as_str() {
            "ArrowDown" => at.map_or(0, |i| (i + 1) % items.len().max(1)),
            "ArrowUp" => at.map_or(0, |i| (i + items.len().max(1) - 1) % items.len().max(1)),
            "Home" => 0,
            "End" => items.len().saturating_sub(1),
            "Escape" | "Tab" => {
                event.prevent_default();
                close();
                super::focus_listing();
                return;
            }
            _ => return,
        };
        event.prevent_default();
        if let Some(item) = items.get(target) {
            let _ = item.focus();
        }
    };
    let picked = move || browser.picked_names();
    let item = move |label: &'static str, enabled: bool, act: Box<dyn Fn()>| {
        view! {
            <button type="button" role="menuitem" tabindex="-1" disabled=!enabled
                on:click=move |_| {
                    close();
                    act();
                }>{label}</button>
        }
    };
    let ask =
        move |ask: Ask| -> Box<dyn Fn()> { Box::new(move || actions.ask.set(Some(ask.clone()))) };
    move || {
        actions.menu.get().map(|(x, y)| {
            let names = picked();
            let some = !names.is_empty();
            let raw = actions.has_raw();
            let idle = actions.progress.with_untracked(Option::is_none);
            let files = actions.can_download(browser);
            view! {
                <div node_ref=menu class=style::menu role="menu" aria-label="Actions"
                    style:left=format!("{x}px") style:top=format!("{y}px") on:keydown=on_keydown>
                    {item("Rename", names.len() == 1 && raw, Box::new(move || actions.rename(browser)))}
                    {item("Move to…", some && raw && idle, ask(Ask::MoveTo(names.clone())))}
                    {item("Copy to…", some && raw && idle, ask(Ask::CopyTo(names.clone())))}
                    {item("Download", files, Box::new(move || actions.download(browser)))}
                    {item("New folder", raw, ask(Ask::NewFolder))}
                    {item("Delete", some && idle, ask(Ask::Delete(names.clone())))}
                </div>
            }
        })
    }
}

/// Least distance in CSS pixels between the menu and the window's edges.
const MARGIN: f64 = 8.0;

/// Moves the open menu, opened at `at`, to where [`place`] says (it is drawn at `at` first,
/// and only its drawn size tells whether it fits).
fn keep_in_window(menu: NodeRef<leptos::html::Div>, at: (f64, f64)) {
    let Some(element) = menu.get_untracked() else {
        return;
    };
    // The layout viewport without scrollbars: what `position: fixed` is placed in.
    let Some(root) = document().document_element() else {
        return;
    };
    let rect = element.get_bounding_client_rect();
    let (left, top) = place(
        at,
        (rect.width(), rect.height()),
        (
            f64::from(root.client_width()),
            f64::from(root.client_height()),
        ),
    );
    let style = web_sys::HtmlElement::style(&element);
    let _ = style.set_property("left", &format!("{left}px"));
    let _ = style.set_property("top", &format!("{top}px"));
}

/// Where a menu of `size` opened at `point` goes in a `window` (all CSS pixels): below and
/// right of the point where it fits, else above or left of it (as desktop context menus
/// do), else against the far edge; never closer than [`MARGIN`] to an edge while it fits.
pub fn place(point: (f64, f64), size: (f64, f64), window: (f64, f64)) -> (f64, f64) {
    (
        place_along(point.0, size.0, window.0),
        place_along(point.1, size.1, window.1),
    )
}

/// [`place`] along one axis.
fn place_along(at: f64, length: f64, room: f64) -> f64 {
    if at + length <= room - MARGIN {
        at
    } else if at - length >= MARGIN {
        at - length
    } else if room - MARGIN - length >= MARGIN {
        room - MARGIN - length
    } else {
        // Too big for both margins: centred, and never past the near edge.
        ((room - length) / 2.0).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::place;

    #[test]
    fn a_menu_that_fits_opens_at_the_point() {
        assert_eq!(
            place((100.0, 200.0), (176.0, 264.0), (1400.0, 900.0)),
            (100.0, 200.0)
        );
    }

    #[test]
    fn near_the_right_and_bottom_edges_it_opens_left_and_up() {
        assert_eq!(
            place((1390.0, 880.0), (176.0, 264.0), (1400.0, 900.0)),
            (1214.0, 616.0)
        );
    }

    #[test]
    fn where_neither_side_has_room_it_sits_against_the_far_edge() {
        // A phone: 300 px from a point 150 px in, in 320 px, fits neither way.
        assert_eq!(
            place((150.0, 300.0), (300.0, 264.0), (320.0, 640.0)),
            (12.0, 300.0)
        );
        // Wider than the window: flush with its left edge, never off it.
        assert_eq!(place((10.0, 10.0), (330.0, 20.0), (320.0, 640.0)).0, 0.0);
        // Just too wide for both margins: centred.
        assert_eq!(place((200.0, 10.0), (310.0, 20.0), (320.0, 640.0)).0, 5.0);
    }
}
