//! What the listing says instead of rows: loading, an error (with Retry, the parent
//! folder, and where it helps a form to reach another server; signing in is a screen of
//! its own, `components::sign_in`), an empty folder, or a filter that matches nothing. Errors time can fix say that the app keeps
//! trying (see `crate::outage`).

use super::style;
use crate::errors::ApiError;
use crate::model::group_thousands;
use crate::state::Browser;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Loading, error, empty and no-match messages over the grid body.
#[component]
pub fn ListingState() -> impl IntoView {
    let browser = expect_context::<Browser>();
    move || {
        if let Some(error) = browser.error.get() {
            let up = browser.route.with(|route| route.up());
            return view! {
                <div class=style::state role="alert">
                    <h2>{error.title()}</h2>
                    <p>{error.to_string()}</p>
                    {crate::outage::is_transient(&error).then(|| view! {
                        <p>"Skiff keeps trying and shows the folder as soon as the server answers."</p>
                    })}
                    <div class=style::state_actions>
                        <button type="button" on:click=move |_| browser.retry()>"Retry"</button>
                        {up.map(|up| view! {
                            <a href=browser.href_of(&up) on:click=move |event| {
                                event.prevent_default();
                                browser.navigate(up.clone());
                            }>"Go to parent folder"</a>
                        })}
                    </div>
                    {matches!(error, ApiError::NotRfsapi { .. } | ApiError::Unreachable { .. })
                        .then(|| view! { <ConnectForm/> })}
                </div>
            }
            .into_any();
        }
        if browser.loading.get() && browser.listing.with(Option::is_none) {
            return view! {
                <div class=style::state role="status">
                    <span class=style::spinner aria-hidden="true"></span>
                    "Loading…"
                </div>
            }
            .into_any();
        }
        let total = browser
            .listing
            .with(|l| l.as_ref().map_or(0, |l| l.entries.len()));
        let shown = browser.order.with(|order| order.len());
        if browser.listing.with(Option::is_some) && total == 0 {
            return view! { <div class=style::state role="status">"This folder is empty."</div> }
                .into_any();
        }
        if total > 0 && shown == 0 {
            let filter = browser.filter.get();
            return view! {
                <div class=style::state role="status">
                    {format!("No items match “{}”.", filter.trim())}
                    <button type="button" on:click=move |_| browser.filter.set(String::new())>"Clear filter"</button>
                </div>
            }
            .into_any();
        }
        let partial = browser.listing.with(|listing| {
            listing
                .as_ref()
                .filter(|listing| listing.partial)
                .map(|listing| listing.entries.len())
        });
        if let Some(count) = partial {
            // A big folder shown while the rest of it comes: say so under its rows.
            return view! {
                <div class=style::more role="status">
                    <span class=style::spinner aria-hidden="true"></span>
                    {format!("Loading… {} items so far", group_thousands(count as u64))}
                </div>
            }
            .into_any();
        }
        ().into_any()
    }
}

/// Lets the user point the app at another server (`?server=URL`), for when the app is
/// hosted as static files or the server it came from is not the one they want.
#[component]
fn ConnectForm() -> impl IntoView {
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(form) = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        let Ok(data) = web_sys::FormData::new_with_form(&form) else {
            return;
        };
        let server = data.get("server").as_string().unwrap_or_default();
        let server = server.trim();
        if server.is_empty() {
            return;
        }
        let Ok(params) = web_sys::UrlSearchParams::new() else {
            return;
        };
        params.append("server", server);
        let query: String = params.to_string().into();
        if let Some(window) = web_sys::window() {
            let _ = window.location().assign(&format!("?{query}#/"));
        }
    };
    view! {
        <form class=style::connect on:submit=on_submit>
            <label>
                "Browse another server: "
                <input type="url" name="server" required placeholder="https://files.example.org"/>
            </label>
            <button type="submit">"Browse"</button>
        </form>
    }
}
