//! Which pane a small screen shows. A desktop window shows the folders, the files and the
//! details side by side; a small window (≤ 1023 px) the files and the details, with the
//! folders in place of the files on request; a phone (≤ 640 px) one pane at a time:
//! folders → files → details, with a back button. The stylesheet (app.module.css) does the
//! hiding; this module keeps the choice, the buttons that change it, and how a click or a
//! tap on a row behaves where one pane is shown at a time.

use crate::components::actions::Actions;
use crate::state::Browser;
use leptos::prelude::*;
use skiff_protocol::TreePath;
use wasm_bindgen::JsCast;

stylance::import_crate_style!(style, "src/components/panes.module.css");

/// Where one pane is shown at a time; keep in step with the media queries in
/// app.module.css and panes.module.css.
const SINGLE_PANE: &str = "(max-width: 640px)";

/// How long after a click opened a folder the next click of the same double click (or
/// double tap: its `detail` is 2) is ignored: it lands on whatever row took the folder's
/// place.
const DOUBLE_CLICK_MS: f64 = 1000.0;

/// A pane of the file manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The folder tree.
    Folders,
    /// The listing of the current folder.
    Files,
    /// The details of the selected entry.
    Details,
}

impl Pane {
    /// The name the stylesheet matches (`data-pane`).
    pub fn name(self) -> &'static str {
        match self {
            Pane::Folders => "folders",
            Pane::Files => "files",
            Pane::Details => "details",
        }
    }
}

/// The pane a small screen shows, and what a touch did last. `Copy`: signals only.
#[derive(Clone, Copy)]
pub struct Panes {
    /// The pane shown where there is room for one (or two) only.
    pub shown: RwSignal<Pane>,
    /// Whether the last pointer that went down was a finger (or a pen).
    touch: StoredValue<bool>,
    /// When (ms since the epoch) a click last opened a folder.
    opened_at: StoredValue<f64>,
}

impl Panes {
    /// Shows the files; follows the pointer in use; and goes back to the files when the
    /// folder changes or the selection goes (a pane with nothing to show helps nobody).
    pub fn new(browser: Browser) -> Self {
        let panes = Self {
            shown: RwSignal::new(Pane::Files),
            touch: StoredValue::new(false),
            opened_at: StoredValue::new(0.0),
        };
        let pointer = window_event_listener(leptos::ev::pointerdown, move |event| {
            panes.touch.set_value(event.pointer_type() != "mouse");
        });
        on_cleanup(move || pointer.remove());
        Effect::new(move |previous: Option<TreePath>| {
            let dir = browser.route.with(|route| route.dir.clone());
            if previous.is_some_and(|previous| previous != dir) {
                panes.shown.set(Pane::Files);
            }
            dir
        });
        Effect::new(move |_| {
            let selected = browser.route.with(|route| route.selected.is_some());
            if !selected && panes.shown.get_untracked() == Pane::Details {
                panes.shown.set(Pane::Files);
            }
        });
        panes
    }

    /// Whether the screen shows one pane at a time now.
    pub fn single(self) -> bool {
        web_sys::window()
            .and_then(|window| window.match_media(SINGLE_PANE).ok().flatten())
            .is_some_and(|query| query.matches())
    }

    /// What a plain click (or tap) on a row does beyond selecting it: on a phone or by
    /// touch a folder opens at once (there is no double click to a finger), a file shows
    /// its details. `count` is the click's `detail` (2 for the second of a double click).
    /// `true` when the click was used up (it opened a folder, or it is the second click
    /// of one that did).
    pub fn row_clicked(self, browser: Browser, name: &str, is_folder: bool, count: i32) -> bool {
        let now = js_sys::Date::now();
        if count > 1 && now - self.opened_at.get_value() < DOUBLE_CLICK_MS {
            return true;
        }
        if is_folder && (self.touch.get_value() || self.single()) {
            let dir = browser
                .route
                .with_untracked(|route| route.dir.child(name).ok());
            if let Some(dir) = dir {
                self.opened_at.set_value(now);
                browser.open_dir(dir);
                return true;
            }
        }
        if !is_folder {
            self.shown.set(Pane::Details);
        }
        false
    }

    /// Whether a double click should open the row: not when its clicks already did, or
    /// when it came from a finger (the first tap opened a folder, or showed a file).
    pub fn double_click_opens(self) -> bool {
        !self.touch.get_value()
            && !self.single()
            && js_sys::Date::now() - self.opened_at.get_value() >= DOUBLE_CLICK_MS
    }
}

/// The bar above the files and the details: the way to the folders (or back from them,
/// or back from a file's details), the file actions, and the menu they fold into when
/// the bar is too narrow for them.
#[component]
pub fn PaneBar(
    /// The toolbar of file actions.
    children: Children,
) -> impl IntoView {
    let panes = expect_context::<Panes>();
    view! {
        <div class=style::bar>
            // Both are always there; the stylesheet shows the one that applies to the
            // window's size and the pane shown.
            <button type="button" class=style::pane_button
                data-action="back-to-files" on:click=move |_| panes.shown.set(Pane::Files)>
                <span aria-hidden="true">"‹ "</span>"Files"
            </button>
            <button type="button" class=style::pane_button
                data-action="show-folders" on:click=move |_| panes.shown.set(Pane::Folders)>
                "Folders"
            </button>
            <div class=style::toolbar_slot>{children()}</div>
            <MoreActions/>
        </div>
    }
}

/// "More actions": the toolbar's actions as a menu, where the bar has no room for them.
#[component]
fn MoreActions() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let shown = move || browser.listing.with(Option::is_some) && actions.ops.with(Option::is_some);
    let open = move |event: leptos::ev::MouseEvent| {
        let Some(button) = event
            .current_target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let rect = button.get_bounding_client_rect();
        let width = web_sys::window()
            .and_then(|window| window.inner_width().ok())
            .and_then(|width| width.as_f64())
            .unwrap_or(rect.right());
        // Opened leftwards from the button's right edge, so it stays on a narrow screen
        // (the menu is at most 15rem wide).
        let left = (rect.right() - 240.0).clamp(8.0, (width - 248.0).max(8.0));
        actions.menu.set(Some((left, rect.bottom() + 4.0)));
    };
    view! {
        <Show when=shown>
            <button type="button" class=style::more data-action="more-actions"
                aria-haspopup="menu" aria-label="More actions" title="More actions"
                on:click=open>
                <span aria-hidden="true">"⋯"</span>
            </button>
        </Show>
    }
}
