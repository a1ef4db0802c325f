//! The application shell: provides the shared state, lays out the panes, and
//! handles the global keyboard shortcuts and back/forward.

use crate::components::{details::Details, header::Header, listing::Listing, tree::FolderTree};
use crate::location::Config;
use crate::state::Browser;
use leptos::html::Input;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

stylance::import_crate_style!(style, "src/components/app.module.css");

/// The app as deployed: server and route come from the address bar.
#[component]
pub fn App() -> impl IntoView {
    view! { <Skiff config=Config::from_location()/> }
}

/// The file manager for one server.
#[component]
pub fn Skiff(
    /// Which server to browse and how to route.
    config: Config,
) -> impl IntoView {
    let browser = Browser::new(config);
    provide_context(browser);
    let filter_input = NodeRef::<Input>::new();

    // Back/forward: the address bar changed under us, follow it.
    let on_history = move || {
        let route = browser.config.with_value(Config::current_route);
        if browser.route.with_untracked(|current| *current != route) {
            browser.route.set(route);
        }
    };
    let popstate = window_event_listener(leptos::ev::popstate, move |_| on_history());
    let hashchange = window_event_listener(leptos::ev::hashchange, move |_| on_history());

    let keydown = window_event_listener(leptos::ev::keydown, move |event| {
        if is_typing(&event) || event.ctrl_key() || event.meta_key() {
            return;
        }
        match (event.key().as_str(), event.alt_key()) {
            ("/", false) => {
                if let Some(input) = filter_input.get_untracked() {
                    event.prevent_default();
                    let _ = input.focus();
                }
            }
            ("Backspace", false) | ("ArrowUp", true) => {
                event.prevent_default();
                browser.go_up();
            }
            _ => {}
        }
    });
    on_cleanup(move || {
        popstate.remove();
        hashchange.remove();
        keydown.remove();
    });

    Effect::new(move |_| {
        let title = browser.route.with(|route| match route.dir.name() {
            Some(name) => format!("{name} — Skiff"),
            None => "Skiff".to_owned(),
        });
        document().set_title(&title);
    });

    view! {
        <div class=style::app>
            <Header filter_input=filter_input/>
            <main class=style::panes>
                <FolderTree/>
                <Listing/>
                <Details/>
            </main>
        </div>
    }
}

/// Whether a key event is typing into a text field (shortcuts must not steal it).
fn is_typing(event: &web_sys::KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|element| {
            matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || element.has_attribute("contenteditable")
        })
}
