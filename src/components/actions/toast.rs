//! The bottom of the window: progress of a bulk operation (with Stop), then what happened
//! (with Undo when it can be undone, also on Ctrl+Z).

use super::{style, Actions};
use crate::state::Browser;
use leptos::prelude::*;

/// Progress while an operation runs; afterwards the toast.
#[component]
pub fn ToastView() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let actions = expect_context::<Actions>();
    let progress = move || {
        actions.progress.get().map(|progress| {
            let label = format!("{} ({} of {})", progress.label, progress.done, progress.total);
            view! {
                <div class=style::toast role="status" data-progress="">
                    <span id="bulk-progress-label">{label}</span>
                    <progress max=progress.total value=progress.done
                        aria-labelledby="bulk-progress-label"></progress>
                    <button type="button" on:click=move |_| actions.stop.set_value(true)>"Stop"</button>
                </div>
            }
        })
    };
    let toast = move || {
        if actions.progress.with(Option::is_some) {
            return None;
        }
        actions.toast.get().map(|toast| {
            let role = if toast.alert { "alert" } else { "status" };
            view! {
                <div class=style::toast role=role>
                    <span>{toast.message.clone()}</span>
                    {(!toast.undo.is_empty()).then(|| view! {
                        <button type="button" aria-keyshortcuts="Control+Z"
                            on:click=move |_| { actions.undo(browser); }>"Undo"</button>
                    })}
                </div>
            }
        })
    };
    view! { {progress} {toast} }
}
