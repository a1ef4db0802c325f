//! File operations on the current folder: New folder, Rename (F2, inline), Move to…,
//! Copy to…, Download and Delete (Delete key, with a confirmation that lists what goes),
//! from the toolbar, the context menu, the keyboard, or by dragging rows onto a folder.
//! Many entries at once show progress; what can be undone goes on an undo history (Ctrl+Z,
//! or the toast's "Undo") that a failed operation leaves intact. Move/Copy to… pick their
//! destination in a folder tree (`folder_picker`).
//! They use the raw API (PROTOCOL.md §4); on a server without it only delete and download
//! are offered (plain `DELETE P`, `GET P`).

mod dialog;
pub mod drag;
pub mod history;
mod menu;
pub mod rename;
mod run;
mod toast;

pub use run::{count_label, Bulk, Progress};

use crate::location::Config;
use crate::ops::Operations;
use crate::state::Browser;
use history::History;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;
use std::collections::BTreeSet;

stylance::import_crate_style!(style, "src/components/actions/actions.module.css");

/// Which dialog is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// A name for a new folder.
    NewFolder,
    /// A destination folder for these entries.
    MoveTo(Vec<String>),
    /// A destination folder for copies of these entries.
    CopyTo(Vec<String>),
    /// Confirmation to delete these entries.
    Delete(Vec<String>),
}

/// One step that takes an operation back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// Move the first path back to the second.
    Move(TreePath, TreePath),
    /// Delete what the operation made: a copy (`recursive`) or a new folder (only while
    /// it is still empty, so nothing put in it since is lost).
    Remove {
        /// What to delete.
        path: TreePath,
        /// Whether its content goes too.
        recursive: bool,
    },
}

impl Undo {
    /// The folders whose content the step changes.
    fn touched(&self) -> Vec<TreePath> {
        match self {
            Undo::Move(from, to) => [from.parent(), to.parent()].into_iter().flatten().collect(),
            Undo::Remove { path, .. } => path.parent().into_iter().collect(),
        }
    }
}

/// What was typed into the rename field, and where the caret was.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Draft {
    text: String,
    caret: u32,
}

/// How many operations the undo history keeps.
const UNDO_LIMIT: usize = 50;

/// A message at the bottom of the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    /// Tells toasts apart (a timer must only close the toast it was set for).
    pub id: u64,
    /// What happened.
    pub message: String,
    /// Whether the toast offers Undo (the newest operation on the history).
    pub undoable: bool,
    /// Whether something failed (announced assertively, stays until dismissed).
    pub alert: bool,
}

/// The actions' shared state. `Copy`: signals only.
#[derive(Clone, Copy)]
pub struct Actions {
    /// The dialog open now.
    pub ask: RwSignal<Option<Ask>>,
    /// The toast shown now.
    pub toast: RwSignal<Option<Toast>>,
    /// How to reach the server's operations (`None` until discovery answered).
    pub ops: RwSignal<Option<Operations>>,
    /// The context menu, open at this viewport position.
    pub menu: RwSignal<Option<(f64, f64)>>,
    /// The entry being renamed in place.
    pub renaming: RwSignal<Option<String>>,
    /// The bulk operation under way.
    pub progress: RwSignal<Option<Progress>>,
    /// Set by "Stop": the bulk operation ends after the entry in flight.
    stop: StoredValue<bool>,
    /// What can be undone, newest last.
    history: StoredValue<History<Undo>>,
    /// Whether the pointer, and whether keyboard focus, is on the toast (it stays meanwhile).
    toast_held: StoredValue<(bool, bool)>,
    /// The id the next toast gets.
    next_toast: StoredValue<u64>,
    /// The newest closing timer: an older one (set before the toast was last held) must
    /// not close it early.
    toast_timer: StoredValue<u64>,
    /// What was typed into the rename field, kept if the row is redrawn meanwhile (the
    /// listing refreshes as uploads land).
    draft: StoredValue<Option<Draft>>,
}

impl Actions {
    /// No dialog, no toast, operations unknown yet.
    pub fn new() -> Self {
        Self {
            ask: RwSignal::new(None),
            toast: RwSignal::new(None),
            ops: RwSignal::new(None),
            menu: RwSignal::new(None),
            renaming: RwSignal::new(None),
            progress: RwSignal::new(None),
            stop: StoredValue::new(false),
            history: StoredValue::new(History::new(UNDO_LIMIT)),
            toast_held: StoredValue::new((false, false)),
            next_toast: StoredValue::new(0),
            toast_timer: StoredValue::new(0),
            draft: StoredValue::new(None),
        }
    }

    /// Whether the server offers moves and new folders (the raw API).
    pub fn has_raw(self) -> bool {
        self.ops
            .with(|ops| ops.as_ref().is_some_and(|ops| ops.raw.is_some()))
    }

    /// Whether entries of this listing can be moved (dragged onto folders).
    pub fn can_move(self, browser: Browser) -> bool {
        browser.writes_supported() && self.has_raw()
    }

    /// The keyboard shortcuts: Delete asks to delete the selection, F2 renames it in
    /// place, Ctrl+Z undoes the last operation. Whether the key was used.
    pub fn shortcut(self, browser: Browser, key: &str, ctrl: bool) -> bool {
        if ctrl {
            return key.eq_ignore_ascii_case("z") && self.undo(browser);
        }
        if !browser.writes_supported() {
            return false;
        }
        let picked = browser.picked_names();
        match key {
            "Delete" if !picked.is_empty() => self.ask.set(Some(Ask::Delete(picked))),
            "F2" if picked.len() == 1 && self.has_raw() => self.rename(browser),
            _ => return false,
        }
        true
    }

    /// Starts renaming the one selected entry in place.
    pub fn rename(self, browser: Browser) {
        if let [name] = browser.picked_names().as_slice() {
            browser.marked.set(BTreeSet::new());
            browser.select(Some(name.clone()));
            self.draft.set_value(None);
            self.renaming.set(Some(name.clone()));
        }
    }

    /// Takes back the newest operation on the history. Whether there was one to undo.
    pub fn undo(self, browser: Browser) -> bool {
        let Some(ops) = self.ops.get_untracked() else {
            return false;
        };
        let Some(steps) = self.history.try_update_value(History::pop).flatten() else {
            return false;
        };
        self.dismiss();
        spawn_local(async move {
            let mut failed = None;
            for step in steps.iter().rev() {
                let result = match step {
                    Undo::Move(from, to) => ops.rename(from, to, false).await,
                    Undo::Remove { path, recursive } => ops.delete(path, *recursive).await,
                };
                if let Err(error) = result {
                    failed = Some(error.to_string());
                }
            }
            browser.retry();
            let touched: BTreeSet<TreePath> = steps.iter().flat_map(Undo::touched).collect();
            touched.iter().for_each(|dir| browser.refresh_tree(dir));
            match failed {
                Some(why) => self.show_error(format!("Could not undo everything: {why}")),
                None => self.show("Undone.".to_owned(), Vec::new(), false),
            }
        });
        true
    }

    /// Whether the picked entries can be downloaded: files one by one anywhere, folders and
    /// several entries as one ZIP where the server makes them.
    pub fn can_download(self, browser: Browser) -> bool {
        let zip = self.ops.with(|ops| ops.as_ref().is_some_and(|ops| ops.zip));
        if zip {
            !browser.picked_names().is_empty()
        } else {
            !picked_files(browser).is_empty()
        }
    }

    /// Downloads the picked entries: one file as itself; a folder or several entries as
    /// one ZIP (named after the folder, else `download.zip`) where the server makes them,
    /// else the picked files one by one (folders cannot be downloaded whole then).
    pub fn download(self, browser: Browser) {
        let dir = browser.route.with_untracked(|route| route.dir.clone());
        let config = browser.config.get_value();
        let names = browser.picked_names();
        let files = picked_files(browser);
        let zip = (names.len() > 1 || files.is_empty()).then(|| {
            let paths: Vec<TreePath> = names
                .iter()
                .filter_map(|name| dir.child(name).ok())
                .collect();
            self.ops
                .with_untracked(|ops| ops.as_ref().and_then(|ops| ops.zip_url(&paths)))
        });
        if let Some(Some(url)) = zip {
            let name = match names.as_slice() {
                [folder] => format!("{folder}.zip"),
                _ => "download.zip".to_owned(),
            };
            self.download_file(config, url, name, None);
            return;
        }
        for (name, size) in files {
            let Ok(path) = dir.child(&name) else { continue };
            self.download_file(config.clone(), browser.url_of(&path), name, Some(size));
        }
    }

    /// Has the browser download `url` as `name` (`size` bytes, if known); a failure, like
    /// a file too big to fetch with the token, is told in a toast.
    pub fn download_file(self, config: Config, url: String, name: String, size: Option<u64>) {
        spawn_local(async move {
            if let Err(error) = crate::api::download(&config, &url, &name, size).await {
                self.show_error(format!("Could not download “{name}”: {error}"));
            }
        });
    }
}

impl Default for Actions {
    fn default() -> Self {
        Self::new()
    }
}

/// The picked entries that are files, with their sizes, or none if any of them is a folder.
/// One pass over the listing: with Ctrl+A in a folder of 100,000 entries, a lookup per
/// name would not do.
fn picked_files(browser: Browser) -> Vec<(String, u64)> {
    let names = browser.picked_names();
    let wanted: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
    browser.listing.with(|listing| {
        let Some(listing) = listing else {
            return Vec::new();
        };
        let mut files = Vec::with_capacity(wanted.len());
        for entry in &listing.entries {
            if wanted.contains(entry.name.as_str()) {
                if !entry.is_file {
                    return Vec::new();
                }
                files.push((entry.name.clone(), entry.size));
            }
        }
        if files.len() == wanted.len() {
            files
        } else {
            Vec::new()
        }
    })
}

/// Gives keyboard focus back to the listing (after a dialog, menu or rename).
pub fn focus_listing() {
    let grid = document().query_selector("[role=grid]").ok().flatten();
    if let Some(grid) =
        grid.and_then(|g| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(g).ok())
    {
        let _ = grid.focus();
    }
}

/// The toolbar above the listing.
#[component]
pub fn Toolbar() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let picked = Memo::new(move |_| browser.picked_names());
    let downloadable = Memo::new(move |_| actions.can_download(browser));
    let shown = move || browser.listing.with(Option::is_some) && actions.ops.with(Option::is_some);
    let busy = move || actions.progress.with(Option::is_some);
    // Files open through the raw API (see `crate::opener`); the listing learns where it is.
    Effect::new(move |_| {
        let raw = actions
            .ops
            .with(|ops| ops.as_ref().and_then(|ops| ops.raw.clone()));
        browser.raw_api.set(raw);
    });
    view! {
        <Show when=shown>
            <div class=style::toolbar role="toolbar" aria-label="File actions">
                <Show when=move || actions.can_move(browser)>
                    <button type="button" on:click=move |_| actions.ask.set(Some(Ask::NewFolder))>
                        "New folder"
                    </button>
                    <button type="button" disabled=move || picked.with(|p| p.len() != 1)
                        on:click=move |_| actions.rename(browser)>"Rename"</button>
                    <button type="button" disabled=move || busy() || picked.with(Vec::is_empty)
                        on:click=move |_| actions.ask.set(Some(Ask::MoveTo(picked.get_untracked())))>
                        "Move to…"
                    </button>
                    <button type="button" disabled=move || busy() || picked.with(Vec::is_empty)
                        on:click=move |_| actions.ask.set(Some(Ask::CopyTo(picked.get_untracked())))>
                        "Copy to…"
                    </button>
                </Show>
                <button type="button" disabled=move || !downloadable.get()
                    on:click=move |_| actions.download(browser)>"Download"</button>
                <Show when=move || browser.writes_supported()>
                    <button type="button" disabled=move || busy() || picked.with(Vec::is_empty)
                        on:click=move |_| actions.ask.set(Some(Ask::Delete(picked.get_untracked())))>
                        "Delete"
                    </button>
                </Show>
                <span class=style::count aria-live="polite">
                    {move || picked.with(|p| match p.len() {
                        0 | 1 => String::new(),
                        n => format!("{n} selected"),
                    })}
                </span>
            </div>
        </Show>
        <dialog::AskDialog/>
        <menu::ContextMenu/>
        <toast::ToastView/>
    }
}
