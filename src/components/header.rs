//! The top bar: app name, breadcrumbs of the current folder, the upload buttons (behind
//! a menu button on a narrow window) and the filter box.

use crate::components::storages::StoragesButton;
use crate::components::tree::host_label;
use crate::components::uploads::UploadButtons;
use crate::route::Route;
use crate::state::Browser;
use leptos::html::Input;
use leptos::prelude::*;
use skiff_protocol::TreePath;
use wasm_bindgen::JsCast;

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
            // The page's one level-one heading (axe page-has-heading-one): the app's name.
            <h1 class=style::brand>
                <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                    <path d="M3 15h18l-3 5H6zM11 3v10H5zm2 2 6 8h-6z" fill="currentColor"></path>
                </svg>
                <span class=style::brand_name>"Skiff"</span>
            </h1>
            <Breadcrumbs/>
            <HeaderTools>
                <UploadButtons/>
                <StoragesButton/>
                <SignOut/>
            </HeaderTools>
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

/// The upload buttons and Sign out: in the bar on a wide window, behind a menu button
/// on a narrow one (the stylesheet decides which; the menu closes on a choice, a tap
/// elsewhere or Escape).
#[component]
fn HeaderTools(
    /// The tools.
    children: Children,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let tools = NodeRef::<leptos::html::Div>::new();
    let outside = window_event_listener(leptos::ev::pointerdown, move |event| {
        let inside = tools.get_untracked().is_some_and(|tools| {
            event
                .target()
                .and_then(|target| target.dyn_into::<web_sys::Node>().ok())
                .is_some_and(|node| tools.contains(Some(&node)))
        });
        if !inside && open.get_untracked() {
            open.set(false);
        }
    });
    let escape = window_event_listener(leptos::ev::keydown, move |event| {
        if event.key() == "Escape" && open.get_untracked() {
            open.set(false);
        }
    });
    on_cleanup(move || {
        outside.remove();
        escape.remove();
    });
    view! {
        <div class=style::tools node_ref=tools>
            <button type="button" class=style::tools_button data-action="header-menu"
                aria-expanded=move || open.get().to_string() aria-controls="header-tools"
                aria-label="Upload and account" title="Upload and account"
                on:click=move |_| open.update(|open| *open = !*open)>
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                    <path d="M4 6h16M4 12h16M4 18h16" stroke="currentColor" stroke-width="2"
                        stroke-linecap="round"></path>
                </svg>
            </button>
            <div id="header-tools" class=style::tools_panel data-open=move || open.get().to_string()
                on:click=move |event| {
                    // A choice closes the menu (clicks between the buttons do not).
                    let on_button = event
                        .target()
                        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
                        .is_some_and(|element| element.closest("button").ok().flatten().is_some());
                    if on_button {
                        open.set(false);
                    }
                }>
                {children()}
            </div>
        </div>
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
