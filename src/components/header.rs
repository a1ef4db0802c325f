//! The top bar: app name, breadcrumbs of the current folder, and the filter box.

use crate::components::tree::host_label;
use crate::components::uploads::UploadButtons;
use crate::route::Route;
use crate::state::Browser;
use leptos::html::Input;
use leptos::prelude::*;
use skiff_protocol::TreePath;

stylance::import_crate_style!(style, "src/components/header.module.css");

/// The header bar.
#[component]
pub fn Header(
    /// The filter input, focused by the `/` shortcut.
    filter_input: NodeRef<Input>,
) -> impl IntoView {
    let browser = expect_context::<Browser>();
    view! {
        <header class=style::header>
            <span class=style::brand>
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                    <path d="M3 15h18l-3 5H6zM11 3v10H5zm2 2 6 8h-6z" fill="currentColor"></path>
                </svg>
                "Skiff"
            </span>
            <Breadcrumbs/>
            <UploadButtons/>
            <SignOut/>
            <label class=style::filter>
                <span class="visually-hidden">"Filter this folder"</span>
                <input
                    type="search"
                    placeholder="Filter  ( / )"
                    node_ref=filter_input
                    prop:value=move || browser.filter.get()
                    on:input=move |event| browser.filter.set(event_target_value(&event))
                    on:keydown=move |event| {
                        if event.key() == "Escape" {
                            browser.filter.set(String::new());
                        }
                    }
                />
            </label>
        </header>
    }
}

/// Links to each folder above the current one.
#[component]
fn Breadcrumbs() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let crumbs = move || {
        let dir = browser.route.with(|route| route.dir.clone());
        let root_label = browser
            .config
            .with_value(|config| host_label(&config.server_label()));
        let mut crumbs = vec![(TreePath::root(), root_label)];
        let mut path = TreePath::root();
        for segment in dir.segments() {
            if let Ok(child) = path.child(segment) {
                path = child;
                crumbs.push((path.clone(), segment.clone()));
            }
        }
        let last = crumbs.len() - 1;
        crumbs
            .into_iter()
            .enumerate()
            .map(|(i, (path, label))| {
                let route = Route::dir(path);
                let href = browser.href_of(&route);
                let current = (i == last).then_some("page");
                view! {
                    <li>
                        <a
                            href=href
                            aria-current=current
                            on:click=move |event| {
                                event.prevent_default();
                                browser.navigate(route.clone());
                            }
                        >
                            {label}
                        </a>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <nav class=style::crumbs aria-label="Breadcrumb">
            <ol>{crumbs}</ol>
        </nav>
    }
}

/// "Sign out" while a token is kept for this server (signing in or out reloads the page,
/// so reading it once is enough).
#[component]
fn SignOut() -> impl IntoView {
    let browser = expect_context::<Browser>();
    let server = browser.config.with_value(|config| config.server.clone());
    crate::auth::authorization(&server).map(|_| {
        view! {
            <button type="button" class=style::sign_out on:click=move |_| {
                crate::auth::sign_out(&server);
                if let Some(window) = web_sys::window() {
                    let _ = window.location().reload();
                }
            }>"Sign out"</button>
        }
    })
}
