//! Which pane a small screen shows. A desktop window shows the folders, the files and the
//! details side by side; a small window (≤ 1023 px) the files and the details, with the
//! folders in place of the files on request; a phone (≤ 640 px) one pane at a time:
//! folders → files → details, with a back button. The pane is part of the route (`pane=`
//! in the address bar), so the browser's back gesture leaves a pane and a reload keeps it.
//! The stylesheet (app.module.css) does the hiding; this module changes the pane, holds the
//! buttons that do, and decides how a click or a tap on a row behaves where one pane is
//! shown at a time.

use crate::components::actions::Actions;
pub use crate::route::Pane;
use crate::route::Route;
use crate::state::Browser;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

stylance::import_crate_style!(style, "src/components/panes.module.css");

/// Where one pane is shown at a time; keep in step with the media queries in
/// app.module.css and panes.module.css.
const SINGLE_PANE: &str = "(max-width: 640px)";

/// How long after a click opened a folder the next click of the same double click (or
/// double tap: its `detail` is 2) is ignored: it lands on whatever row took the folder's
/// place.
const DOUBLE_CLICK_MS: f64 = 1000.0;

/// The pane a small screen shows, and what a touch did last. `Copy`: signals only.
#[derive(Clone, Copy)]
pub struct Panes {
    /// Where the pane is kept: the route.
    browser: Browser,
    /// Whether the last pointer that went down was a finger (or a pen).
    touch: StoredValue<bool>,
    /// When (ms since the epoch) a click last opened a folder.
    opened_at: StoredValue<f64>,
    /// Whether history was asked to go back and the route has not followed yet.
    going_back: StoredValue<bool>,
}

impl Panes {
    /// Follows the pointer in use, and shows the files when a rename starts from a file's
    /// details (the name is edited in its row) or the entry shown is gone.
    pub fn new(browser: Browser, actions: Actions) -> Self {
        let panes = Self {
            browser,
            touch: StoredValue::new(false),
            opened_at: StoredValue::new(0.0),
            going_back: StoredValue::new(false),
        };
        Effect::new(move |_| {
            browser.route.track();
            panes.going_back.set_value(false);
        });
        let pointer = window_event_listener(leptos::ev::pointerdown, move |event| {
            panes.touch.set_value(event.pointer_type() != "mouse");
        });
        on_cleanup(move || pointer.remove());
        Effect::new(move |_| {
            if actions.renaming.with(Option::is_some)
                && browser.route.with_untracked(|route| route.pane) == Pane::Details
            {
                panes.show(Pane::Files);
            }
        });
        // An entry that went (deleted, moved away) leaves no details to show: its folder's
        // files come back. Only once that folder's own listing says so: the one on screen
        // may still be the folder left.
        Effect::new(move |_| {
            let gone = browser.route.with(|route| {
                route.pane == Pane::Details
                    && route.selected.as_ref().is_some_and(|name| {
                        browser.listing.with(|listing| {
                            listing.as_ref().is_some_and(|listing| {
                                listing.path == route.dir && listing.position_of(name).is_none()
                            })
                        })
                    })
            });
            if gone {
                panes.show(Pane::Files);
            }
        });
        panes
    }

    /// The pane shown where there is room for one (or two) only (tracked).
    pub fn shown(self) -> Pane {
        self.browser.route.with(|route| route.pane)
    }

    /// Shows `pane`: a pane over the files is a history entry of its own, and going back
    /// to the files leaves it (as the browser's back does), so history does not grow.
    pub fn show(self, pane: Pane) {
        let browser = self.browser;
        let current = browser.route.with_untracked(|route| route.pane);
        if current == pane {
            return;
        }
        if self.going_back.get_value() {
            return; // once is enough: the route follows on `popstate`
        }
        if pane == Pane::Files && browser.config.with_value(|config| config.on_pane_entry()) {
            self.going_back.set_value(true);
            browser.config.with_value(|config| config.back());
            return;
        }
        let route = browser
            .route
            .with_untracked(|route| Route {
                pane,
                ..route.clone()
            })
            .settled();
        browser.config.with_value(|config| {
            if pane == Pane::Files {
                // A pane opened by a link or a reload: nothing of ours to go back to.
                config.replace(&route)
            } else {
                config.push_pane(&route)
            }
        });
        browser.route.set(route);
    }

    /// Whether the screen shows one pane at a time now.
    pub fn single(self) -> bool {
        web_sys::window()
            .and_then(|window| window.match_media(SINGLE_PANE).ok().flatten())
            .is_some_and(|query| query.matches())
    }

    /// What a plain click (or tap) on a row does before selecting it: on a phone or by
    /// touch a folder opens at once (there is no double click to a finger). `count` is the
    /// click's `detail` (2 for the second of a double click). `true` when the click was
    /// used up (it opened a folder, or it is the second click of one that did).
    pub fn row_clicked(self, name: &str, is_folder: bool, count: i32) -> bool {
        let now = js_sys::Date::now();
        if count > 1 && now - self.opened_at.get_value() < DOUBLE_CLICK_MS {
            return true;
        }
        if is_folder && (self.touch.get_value() || self.single()) {
            let dir = self
                .browser
                .route
                .with_untracked(|route| route.dir.child(name).ok());
            if let Some(dir) = dir {
                self.opened_at.set_value(now);
                self.browser.open_dir(dir);
                return true;
            }
        }
        false
    }

    /// After a plain click (or tap) selected a file: on a phone its details take the screen.
    pub fn file_selected(self) {
        if self.single() {
            self.show(Pane::Details);
        }
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
                data-action="back-to-files" on:click=move |_| panes.show(Pane::Files)>
                <span aria-hidden="true">"‹ "</span>"Files"
            </button>
            <button type="button" class=style::pane_button
                data-action="show-folders" on:click=move |_| panes.show(Pane::Folders)>
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
