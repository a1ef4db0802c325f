//! The address bar: where the app finds its server and its route, and how it
//! writes the route back (push for navigation, replace for selection).

use crate::route::Route;
use wasm_bindgen::JsValue;

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
    /// Same-origin with path routing unless the page URL has `?server=URL`.
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
                routing: Routing::Path,
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
        self.write(route, true);
    }

    /// Rewrites the current history entry (selection changes must not flood history).
    pub fn replace(&self, route: &Route) {
        self.write(route, false);
    }

    fn write(&self, route: &Route, push: bool) {
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
            history.push_state_with_url(&JsValue::NULL, "", Some(&url))
        } else {
            history.replace_state_with_url(&JsValue::NULL, "", Some(&url))
        };
        if let Err(error) = result {
            web_sys::console::warn_2(&"skiff: could not update the address bar".into(), &error);
        }
    }
}

fn window_location() -> Option<web_sys::Location> {
    web_sys::window().map(|window| window.location())
}
