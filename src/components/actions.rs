//! File operations on the current folder: New folder, Rename (F2), Move to…, Delete
//! (Delete key, with a confirmation that lists what goes), with an "Undo" toast for renames
//! and moves. They use the raw API (PROTOCOL.md §4); on a server without it only delete is
//! offered (plain `DELETE P`).

use crate::ops::{OpError, Operations};
use crate::state::Browser;
use leptos::html::{Dialog, Input};
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;
use wasm_bindgen::JsCast;

stylance::import_crate_style!(style, "src/components/actions.module.css");

/// Which dialog is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// A name for a new folder.
    NewFolder,
    /// A new name for this entry.
    Rename(String),
    /// A destination folder for these entries.
    MoveTo(Vec<String>),
    /// A destination folder for copies of these entries.
    CopyTo(Vec<String>),
    /// Confirmation to delete these entries.
    Delete(Vec<String>),
}

/// A message at the bottom of the window, optionally undoable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    /// What happened.
    pub message: String,
    /// Moves that put things back: `(from, to)`.
    pub undo: Vec<(TreePath, TreePath)>,
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
}

impl Actions {
    /// No dialog, no toast, operations unknown yet.
    pub fn new() -> Self {
        Self {
            ask: RwSignal::new(None),
            toast: RwSignal::new(None),
            ops: RwSignal::new(None),
            menu: RwSignal::new(None),
        }
    }

    /// Whether the server offers moves and new folders (the raw API).
    pub fn has_raw(self) -> bool {
        self.ops
            .with(|ops| ops.as_ref().is_some_and(|ops| ops.raw.is_some()))
    }

    /// Opens the dialog for the Delete key / Rename (F2) shortcuts, if they apply.
    pub fn shortcut(self, browser: Browser, key: &str) -> bool {
        if !writable(browser) {
            return false;
        }
        let picked = browser.picked_names();
        match key {
            "Delete" if !picked.is_empty() => self.ask.set(Some(Ask::Delete(picked))),
            "F2" if picked.len() == 1 && self.has_raw() => {
                self.ask.set(Some(Ask::Rename(picked[0].clone())))
            }
            _ => return false,
        }
        true
    }

    fn show(self, message: String, undo: Vec<(TreePath, TreePath)>) {
        self.toast.set(Some(Toast { message, undo }));
        let shown = self.toast.get_untracked();
        set_timeout(
            move || {
                if self.toast.get_untracked() == shown {
                    self.toast.set(None);
                }
            },
            std::time::Duration::from_secs(10),
        );
    }
}

impl Default for Actions {
    fn default() -> Self {
        Self::new()
    }
}

fn writable(browser: Browser) -> bool {
    browser
        .listing
        .with(|listing| listing.as_ref().is_some_and(|l| l.writes_supported))
}

/// The toolbar above the listing.
#[component]
pub fn Toolbar() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let picked = Memo::new(move |_| browser.picked_names());
    let shown = move || writable(browser) && actions.ops.with(Option::is_some);
    view! {
        <Show when=shown>
            <div class=style::toolbar role="toolbar" aria-label="File actions">
                <Show when=move || actions.has_raw()>
                    <button type="button" on:click=move |_| actions.ask.set(Some(Ask::NewFolder))>
                        "New folder"
                    </button>
                    <button type="button" disabled=move || picked.with(|p| p.len() != 1)
                        on:click=move |_| {
                            if let Some(name) = picked.get_untracked().pop() {
                                actions.ask.set(Some(Ask::Rename(name)));
                            }
                        }>"Rename"</button>
                    <button type="button" disabled=move || picked.with(Vec::is_empty)
                        on:click=move |_| actions.ask.set(Some(Ask::MoveTo(picked.get_untracked())))>
                        "Move to…"
                    </button>
                    <button type="button" disabled=move || picked.with(Vec::is_empty)
                        on:click=move |_| actions.ask.set(Some(Ask::CopyTo(picked.get_untracked())))>
                        "Copy to…"
                    </button>
                </Show>
                <button type="button" disabled=move || picked.with(Vec::is_empty)
                    on:click=move |_| actions.ask.set(Some(Ask::Delete(picked.get_untracked())))>
                    "Delete"
                </button>
                <span class=style::count aria-live="polite">
                    {move || picked.with(|p| match p.len() {
                        0 | 1 => String::new(),
                        n => format!("{n} selected"),
                    })}
                </span>
            </div>
        </Show>
        <AskDialog/>
        <ContextMenu/>
        <ToastView/>
    }
}

/// The open dialog (native `<dialog>`, modal: focus stays inside, Esc closes).
#[component]
fn AskDialog() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let dialog = NodeRef::<Dialog>::new();
    let input = NodeRef::<Input>::new();
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let open = actions.ask.with(Option::is_some);
        if let Some(dialog) = dialog.get() {
            if open && !dialog.open() {
                error.set(None);
                let _ = dialog.show_modal();
                if let Some(input) = input.get_untracked() {
                    let _ = input.focus();
                    input.select();
                }
            } else if !open && dialog.open() {
                dialog.close();
            }
        }
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let (Some(ask), Some(ops)) = (actions.ask.get_untracked(), actions.ops.get_untracked())
        else {
            return;
        };
        let text = input
            .get_untracked()
            .map(|input| input.value())
            .unwrap_or_default();
        let dir = browser.route.with_untracked(|route| route.dir.clone());
        spawn_local(async move {
            match perform(&ops, &dir, &ask, text.trim()).await {
                Ok((message, undo, select)) => {
                    actions.ask.set(None);
                    browser.marked.set(Default::default());
                    browser.select(select);
                    browser.retry();
                    actions.show(message, undo);
                }
                Err(why) => error.set(Some(why)),
            }
        });
    };
    let title = move || match actions.ask.get() {
        Some(Ask::NewFolder) => "New folder".to_owned(),
        Some(Ask::Rename(name)) => format!("Rename “{name}”"),
        Some(Ask::MoveTo(names)) => format!("Move {} to…", count_label(&names)),
        Some(Ask::CopyTo(names)) => format!("Copy {} to…", count_label(&names)),
        Some(Ask::Delete(names)) => format!("Delete {}?", count_label(&names)),
        None => String::new(),
    };
    let field = move || match actions.ask.get() {
        Some(Ask::NewFolder) => Some(("Name", String::new())),
        Some(Ask::Rename(name)) => Some(("New name", name)),
        Some(Ask::MoveTo(_) | Ask::CopyTo(_)) => Some((
            "Folder",
            browser.route.with_untracked(|route| route.dir.to_string()),
        )),
        _ => None,
    };
    let doomed = move || match actions.ask.get() {
        Some(Ask::Delete(names)) => names,
        _ => Vec::new(),
    };
    view! {
        <dialog node_ref=dialog class=style::dialog aria-labelledby="ask-title"
            on:close=move |_| actions.ask.set(None)>
            <form on:submit=on_submit>
                <h2 id="ask-title">{title}</h2>
                {move || field().map(|(label, value)| view! {
                    <label class=style::field>
                        {label}
                        <input type="text" required node_ref=input prop:value=value autocomplete="off"/>
                    </label>
                })}
                <Show when=move || !doomed().is_empty()>
                    <p>"These go for good, folders with everything inside them:"</p>
                    <ul class=style::doomed>
                        {move || doomed().into_iter().map(|name| view! { <li>{name}</li> }).collect_view()}
                    </ul>
                </Show>
                {move || error.get().map(|why| view! { <p class=style::error role="alert">{why}</p> })}
                <div class=style::buttons>
                    <button type="button" on:click=move |_| actions.ask.set(None)>"Cancel"</button>
                    <button type="submit" class=style::primary>
                        {move || if doomed().is_empty() { "OK" } else { "Delete" }}
                    </button>
                </div>
            </form>
        </dialog>
    }
}

/// Does what the dialog asked: `(message, undo moves, entry to select)`.
async fn perform(
    ops: &Operations,
    dir: &TreePath,
    ask: &Ask,
    text: &str,
) -> Result<(String, Vec<(TreePath, TreePath)>, Option<String>), String> {
    let child = |name: &str| {
        dir.child(name)
            .map_err(|_| format!("“{name}” cannot be a name here."))
    };
    match ask {
        Ask::NewFolder => {
            ops.mkdir(&child(text)?).await.map_err(|e| e.to_string())?;
            Ok((
                format!("Created “{text}”"),
                Vec::new(),
                Some(text.to_owned()),
            ))
        }
        Ask::Rename(name) => {
            let (from, to) = (child(name)?, child(text)?);
            ops.rename(&from, &to, false)
                .await
                .map_err(|e| e.to_string())?;
            Ok((
                format!("Renamed “{name}” to “{text}”"),
                vec![(to, from)],
                Some(text.to_owned()),
            ))
        }
        Ask::MoveTo(names) | Ask::CopyTo(names) => {
            let copying = matches!(ask, Ask::CopyTo(_));
            let target = TreePath::parse_url_path(&skiff_protocol::encode_tree_path(
                &text
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>(),
            ))
            .map_err(|_| format!("“{text}” is not a folder path."))?;
            let mut undo = Vec::new();
            for (done, name) in names.iter().enumerate() {
                let (from, to) = (child(name)?, target.child(name).map_err(|e| e.to_string())?);
                let result = if copying {
                    ops.copy(&from, &to).await
                } else {
                    ops.rename(&from, &to, false).await
                };
                match result {
                    // A copy is undone by deleting it: not a move, so no undo entry.
                    Ok(()) if !copying => undo.push((to, from)),
                    Ok(()) => {}
                    Err(error) => return Err(partial(done, name, error)),
                }
            }
            let verb = if copying { "Copied" } else { "Moved" };
            Ok((
                format!("{verb} {} to {target}", count_label(names)),
                undo,
                None,
            ))
        }
        Ask::Delete(names) => {
            for name in names {
                ops.delete(&child(name)?, true)
                    .await
                    .map_err(|e| format!("“{name}”: {e}"))?;
            }
            Ok((format!("Deleted {}", count_label(names)), Vec::new(), None))
        }
    }
}

fn partial(done: usize, name: &str, error: OpError) -> String {
    format!("{done} item(s) done, then “{name}” failed: {error}")
}

fn count_label(names: &[String]) -> String {
    match names {
        [one] => format!("“{one}”"),
        many => format!("{} items", many.len()),
    }
}

/// The toast, with Undo when the operation can be undone.
#[component]
fn ToastView() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let undo = move |_| {
        let (Some(toast), Some(ops)) = (actions.toast.get_untracked(), actions.ops.get_untracked())
        else {
            return;
        };
        actions.toast.set(None);
        spawn_local(async move {
            let mut failed = None;
            for (from, to) in toast.undo.iter().rev() {
                if let Err(error) = ops.rename(from, to, false).await {
                    failed = Some(error.to_string());
                }
            }
            browser.retry();
            actions.show(failed.unwrap_or_else(|| "Undone".to_owned()), Vec::new());
        });
    };
    move || {
        actions.toast.get().map(|toast| {
            view! {
                <div class=style::toast role="status">
                    <span>{toast.message.clone()}</span>
                    {(!toast.undo.is_empty()).then(|| view! {
                        <button type="button" on:click=undo>"Undo"</button>
                    })}
                </div>
            }
        })
    }
}

/// The context menu (right click on a row, or the menu key / Shift+F10): the toolbar's
/// actions for the selection, as an ARIA menu driven by the arrow keys.
#[component]
fn ContextMenu() -> impl IntoView {
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
    let item = move |label: &'static str, enabled: bool, ask: Option<Ask>| {
        view! {
            <button type="button" role="menuitem" tabindex="-1" disabled=!enabled
                on:click=move |_| {
                    close();
                    actions.ask.set(ask.clone());
                }>{label}</button>
        }
    };
    move || {
        actions.menu.get().map(|(x, y)| {
            let names = picked();
            let one = names.len() == 1;
            let raw = actions.has_raw();
            view! {
                <div node_ref=menu class=style::menu role="menu" aria-label="Actions"
                    style:left=format!("{x}px") style:top=format!("{y}px") on:keydown=on_keydown>
                    {item("Rename", one && raw, names.first().cloned().map(Ask::Rename))}
                    {item("Move to…", !names.is_empty() && raw, Some(Ask::MoveTo(names.clone())))}
                    {item("Copy to…", !names.is_empty() && raw, Some(Ask::CopyTo(names.clone())))}
                    {item("New folder", raw, Some(Ask::NewFolder))}
                    {item("Delete", !names.is_empty(), Some(Ask::Delete(names.clone())))}
                </div>
            }
        })
    }
}
