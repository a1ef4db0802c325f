//! The context menu (right click on a row, or the menu key / Shift+F10): the toolbar's
//! actions for the selection, as an ARIA menu driven by the arrow keys.

use super::{picked_files, style, Actions, Ask};
use crate::state::Browser;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The open context menu, if any.
#[component]
pub fn ContextMenu() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let menu = NodeRef::<leptos::html::Div>::new();
    // Focus the first item when it opens, so the keyboard is in the menu.
    Effect::new(move |_| {
        if actions.menu.with(Option::is_some) {
            request_animation_frame(move || {
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
            let files = !picked_files(browser).is_empty();
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
