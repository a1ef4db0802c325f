//! The bottom of the window: progress of a bulk operation (with Stop), then what happened
//! (with Undo when it can be undone, also on Ctrl+Z). A toast stays while the pointer or
//! keyboard focus is on it; news goes after [`SHOWN_FOR`] otherwise, failures stay until
//! dismissed. News sits in a polite live region that is always in the page, failures in
//! an `alert`, so screen readers announce both.

use super::{style, Actions, Toast, Undo};
use crate::state::Browser;
use leptos::prelude::*;
use std::time::Duration;

/// How long a toast that tells of a success stays once nobody holds it.
pub const SHOWN_FOR: Duration = Duration::from_secs(12);

impl Actions {
    /// Shows `message`; `undo` (if it has steps) goes on the undo history and the toast
    /// offers to take it back. Failures (`alert`) stay until dismissed.
    pub fn show(self, message: String, undo: Vec<Undo>, alert: bool) {
        let undoable = !undo.is_empty();
        self.history.update_value(|history| history.push(undo));
        let id = self.next_toast.get_value();
        self.next_toast.set_value(id + 1);
        self.toast_held.set_value((false, false));
        self.toast.set(Some(Toast {
            id,
            message,
            undoable,
            alert,
        }));
        if !alert {
            self.dismiss_later(id);
        }
    }

    /// Shows a failure.
    pub fn show_error(self, message: String) {
        self.show(message, Vec::new(), true);
    }

    /// Takes the toast away.
    pub fn dismiss(self) {
        self.toast.set(None);
    }

    /// Closes toast `id` after [`SHOWN_FOR`] unless it is held then (releasing it starts
    /// the wait again).
    fn dismiss_later(self, id: u64) {
        self.toast_timer.update_value(|timer| *timer += 1);
        let timer = self.toast_timer.get_value();
        set_timeout(
            move || {
                // `try_`: the app may be gone (unmounted) by the time the timer fires.
                let current = self.toast.try_with_untracked(|t| t.as_ref().map(|t| t.id));
                let held = self.toast_held.try_get_value();
                let newest = self.toast_timer.try_get_value() == Some(timer);
                if newest && current == Some(Some(id)) && held == Some((false, false)) {
                    self.dismiss();
                }
            },
            SHOWN_FOR,
        );
    }

    /// The pointer (`pointer`) or focus (`!pointer`) came onto the toast or left it.
    fn hold_toast(self, pointer: bool, held: bool) {
        let (was_hovered, was_focused) = self.toast_held.get_value();
        let now = if pointer {
            (held, was_focused)
        } else {
            (was_hovered, held)
        };
        self.toast_held.set_value(now);
        let toast = self
            .toast
            .with_untracked(|t| t.as_ref().map(|t| (t.id, t.alert)));
        if let (Some((id, false)), (false, false)) = (toast, now) {
            self.dismiss_later(id);
        }
    }
}

/// Progress while an operation runs; afterwards the toast.
#[component]
pub fn ToastView() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let progress = move || {
        actions.progress.get().map(|progress| {
            let label = format!("{} ({})", progress.label, progress.counts());
            // One entry in flight tells nothing until it is done (a big file moving to
            // another storage takes a while): an indeterminate bar shows it is under
            // way. Otherwise bytes when the sizes are known, else entries.
            let (max, value) = match progress.bytes {
                _ if progress.total == 1 => (1, None),
                Some((done, total)) if total > 0 => (total, Some(done)),
                _ => (progress.total as u64, Some(progress.done as u64)),
            };
            view! {
                <div class=style::toast data-progress="">
                    <span id="bulk-progress-label">{label}</span>
                    <progress max=max value=value
                        aria-labelledby="bulk-progress-label"></progress>
                    <button type="button" on:click=move |_| actions.stop.set_value(true)>"Stop"</button>
                </div>
            }
        })
    };
    // The toast of one kind (`alert` or not), while no progress hides it.
    let toast = move |alert: bool| {
        let shown = actions.toast.get().filter(|toast| toast.alert == alert);
        if actions.progress.with(Option::is_some) {
            return None;
        }
        shown.map(|toast| {
            view! {
                <div class=style::toast data-toast=toast.id
                    on:mouseenter=move |_| actions.hold_toast(true, true)
                    on:mouseleave=move |_| actions.hold_toast(true, false)
                    on:focusin=move |_| actions.hold_toast(false, true)
                    on:focusout=move |_| actions.hold_toast(false, false)>
                    <span>{toast.message.clone()}</span>
                    {toast.undoable.then(|| view! {
                        <button type="button" aria-keyshortcuts="Control+Z"
                            on:click=move |_| { actions.undo(browser); }>"Undo"</button>
                    })}
                    <button type="button" aria-label="Dismiss" title="Dismiss"
                        on:click=move |_| {
                            actions.dismiss();
                            super::focus_listing();
                        }>"✕"</button>
                </div>
            }
        })
    };
    view! {
        <div role="status" aria-live="polite">{progress} {move || toast(false)}</div>
        // `alert` is announced when it appears, so that region comes and goes with its toast.
        {move || toast(true).map(|toast| view! { <div role="alert">{toast}</div> })}
    }
}
