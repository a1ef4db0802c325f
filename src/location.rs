//! The address bar: where the app finds its server and its route, and how it
//! writes the route back (push for navigation, replace for selection, a marked push for
//! a pane shown over the files, which the app's own back button then pops).

use crate::route::Route;
use wasm_bindgen::JsValue;

/// The history state of an entry pushed to show a pane (the folders, a file's details)
/// over the files of the entry before it: leaving the pane is then going back, so the
/// browser's back gesture and the app's back button agree and history does not grow.
const PANE_ENTRY: &str = "skiff:pane";

/// How the route is kept in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// The URL path is the tree path (served by the server itself).
    Path,
    /// The fragment holds the route (static hosting, `?server=` given).
    Hash,
}

/// Which server the app browses and how it routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Base URL of the server without a trailing slash; empty for the page's own origin.
    pub server: String,
    /// Where the route lives in the URL.
    pub routing: Routing,
}

impl Config {
    /// The page's own server unless the page URL has `?server=URL`; path routing when
    /// skiff-server serves the app, the route in the fragment when the app is a static
    /// build (`cargo xtask build --static`) that may sit in any folder of any host.
    pub fn from_location() -> Self {
        let server = window_location()
            .and_then(|location| location.search().ok())
            .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
            .and_then(|params| params.get("server"))
            .filter(|server| !server.trim().is_empty());
        match server {
            Some(server) => Self::remote(&server),
            None => Self {
                server: String::new(),
                routing: if static_build() {
                    Routing::Hash
                } else {
                    Routing::Path
                },
            },
        }
    }

    /// Browse `server` (an absolute base URL) with the route in the fragment.
    pub fn remote(server: &str) -> Self {
        Self {
            server: server.trim().trim_end_matches('/').to_owned(),
            routing: Routing::Hash,
        }
    }

    /// The server as people should read it in messages.
    pub fn server_label(&self) -> String {
        if self.server.is_empty() {
            window_location()
                .and_then(|location| location.origin().ok())
                .unwrap_or_default()
        } else {
            self.server.clone()
        }
    }

    /// The route the address bar names now (root when it names nothing valid).
    pub fn current_route(&self) -> Route {
        let Some(location) = window_location() else {
            return Route::default();
        };
        let raw = match self.routing {
            Routing::Path => {
                let path = location.pathname().unwrap_or_default();
                let search = location.search().unwrap_or_default();
                format!("{path}{search}")
            }
            Routing::Hash => location
                .hash()
                .unwrap_or_default()
                .trim_start_matches('#')
                .to_owned(),
        };
        Route::parse(&raw).unwrap_or_default()
    }

    /// Records `route` as a new history entry.
    pub fn push(&self, route: &Route) {
        self.write(route, true, &JsValue::NULL);
    }

    /// Records `route`, which shows a pane over the current entry's files, as a new
    /// history entry marked as such (see [`Config::on_pane_entry`]).
    pub fn push_pane(&self, route: &Route) {
        self.write(route, true, &JsValue::from_str(PANE_ENTRY));
    }

    /// Rewrites the current history entry (selection changes must not flood history).
    pub fn replace(&self, route: &Route) {
        self.write(route, false, &JsValue::NULL);
    }

    /// Whether the current history entry was pushed by [`Config::push_pane`] (it stays so
    /// across a reload), so the entry before it shows the files.
    pub fn on_pane_entry(&self) -> bool {
        web_sys::window()
            .and_then(|window| window.history().ok())
            .and_then(|history| history.state().ok())
            .and_then(|state| state.as_string())
            .is_some_and(|state| state == PANE_ENTRY)
    }

    /// Goes one entry back in history (the route follows on `popstate`).
    pub fn back(&self) {
        let result = web_sys::window()
            .ok_or(JsValue::NULL)
            .and_then(|window| window.history())
            .and_then(|history| history.back());
        if let Err(error) = result {
            web_sys::console::warn_2(&"skiff: could not go back".into(), &error);
        }
    }

    fn write(&self, route: &Route, push: bool, state: &JsValue) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(history) = window.history() else {
            return;
        };
        let url = match self.routing {
            Routing::Path => route.to_href(),
            Routing::Hash => {
                let search = window.location().search().unwrap_or_default();
                format!("{search}#{}", route.to_href())
            }
        };
        let result = if push {
            history.push_state_with_url(state, "", Some(&url))
        } else {
            history.replace_state_with_url(state, "", Some(&url))
        };
        if let Err(error) = result {
            web_sys::console::warn_2(&"skiff: could not update the address bar".into(), &error);
        }
    }
}

fn window_location() -> Option<web_sys::Location> {
    web_sys::window().map(|window| window.location())
}

/// Whether this page is a static build: its shell carries
/// `<meta name="skiff-hosting" content="static">` (added by `cargo xtask build --static`).
fn static_build() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| {
            document
                .query_selector("meta[name='skiff-hosting'][content='static']")
                .ok()
                .flatten()
        })
        .is_some()
}
