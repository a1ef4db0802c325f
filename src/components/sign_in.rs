//! Sign-in as its own screen (PROTOCOL.md §6): when the server wants a token, the file
//! manager gives way to one card that says which server asks, takes the token, and, after
//! a refused one, says "That token was not accepted" (the refused token is forgotten, so
//! there is nothing to sign out of). The token lives in this tab's `sessionStorage`
//! (`crate::auth`) and the page reloads to use it everywhere.

use crate::errors::ApiError;
use crate::state::Browser;
use leptos::html::Input;
use leptos::prelude::*;

stylance::import_crate_style!(style, "src/components/sign_in.module.css");

/// Whether the app must show the sign-in screen instead of the file manager.
pub fn needs_sign_in(browser: Browser) -> bool {
    browser
        .error
        .with(|error| matches!(error, Some(ApiError::Unauthorized { .. })))
}

/// The sign-in screen, shown while the server refuses this tab without a (valid) token.
#[component]
pub fn SignInScreen() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let server = browser.config.with_value(|config| config.server.clone());
    let label = browser.config.with_value(|config| config.server_label());
    let token = NodeRef::<Input>::new();
    let refused = Memo::new(move |_| {
        browser
            .error
            .with(|error| matches!(error, Some(ApiError::Unauthorized { signed_in: true })))
    });
    // A refused token is of no use: forget it so no request carries it and nothing offers
    // to "sign out" of it.
    Effect::new({
        let server = server.clone();
        move |_| {
            if refused.get() {
                crate::auth::sign_out(&server);
            }
        }
    });
    Effect::new(move |_| {
        if let Some(input) = token.get() {
            let _ = input.focus();
        }
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(input) = token.get_untracked() else {
            return;
        };
        if input.value().trim().is_empty() {
            return;
        }
        crate::auth::sign_in(&server, &input.value());
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    };
    view! {
        <main class=style::screen data-screen="sign-in">
            <div class=style::card>
                <h1 class=style::title>"Sign in"</h1>
                <p class=style::server>{label}</p>
                <p class=style::explain>
                    "This server asks for an access token. Paste the token you were given; Skiff keeps it in this tab only and never puts it in the address."
                </p>
                {move || refused.get().then(|| view! {
                    <p class=style::refused role="alert" data-sign-in="refused">
                        "That token was not accepted. Check it (no spaces around it) and try again."
                    </p>
                })}
                <form class=style::form on:submit=on_submit>
                    <label class=style::label for="skiff-token">"Access token"</label>
                    <input id="skiff-token" class=style::input type="password" name="token" required
                        autocomplete="off" spellcheck="false" node_ref=token/>
                    <button type="submit" class=style::submit>"Sign in"</button>
                </form>
            </div>
        </main>
    }
}
