//! The Storages view in the address bar: `?view=storages` beside the file manager's own
//! route (`/photos/?sort=size&view=storages`), so a reload or a shared link opens it
//! again and Back returns to the files. The file manager's route ignores the parameter,
//! and any navigation of its own writes an address without it, which closes the view.

use crate::location::{Config, Routing};
use wasm_bindgen::JsValue;

/// The query parameter and value that name the view.
const PARAM: &str = "view=storages";

/// Whether `path_and_query` (a route as the address holds it) names the Storages view.
pub fn names_storages(path_and_query: &str) -> bool {
    path_and_query
        .split_once('?')
        .is_some_and(|(_, query)| query.split('&').any(|pair| pair == PARAM))
}

/// `href` (a route's address) with the Storages view named in its query.
pub fn with_storages(href: &str) -> String {
    if names_storages(href) {
        return href.to_owned();
    }
    let separator = if href.contains('?') { '&' } else { '?' };
    format!("{href}{separator}{PARAM}")
}

/// Whether the address bar names the Storages view now.
pub fn names_storages_now(config: &Config) -> bool {
    let Some(location) = web_sys::window().map(|window| window.location()) else {
        return false;
    };
    let route = match config.routing {
        Routing::Path => location.search().unwrap_or_default(),
        Routing::Hash => location.hash().unwrap_or_default(),
    };
    // A bare `?view=storages` (Path) still splits at its `?`.
    names_storages(&format!("/{route}"))
}

/// Records the Storages view over `href` (the current route's link, as
/// `Browser::href_of` writes it) as a new history entry, or in place of the current one.
pub fn write_storages(config: &Config, href: &str, push: bool) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(history) = window.history() else {
        return;
    };
    let url = match config.routing {
        Routing::Path => with_storages(href),
        // `#/dir/?…`: the page's own query (`?server=`) stays in front of the fragment.
        Routing::Hash => format!(
            "{}{}",
            window.location().search().unwrap_or_default(),
            with_storages(href)
        ),
    };
    let written = if push {
        history.push_state_with_url(&JsValue::NULL, "", Some(&url))
    } else {
        history.replace_state_with_url(&JsValue::NULL, "", Some(&url))
    };
    if let Err(error) = written {
        web_sys::console::warn_2(&"skiff: could not update the address bar".into(), &error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_is_one_more_query_parameter() {
        assert_eq!(with_storages("/"), "/?view=storages");
        assert_eq!(
            with_storages("/photos/?sort=size"),
            "/photos/?sort=size&view=storages"
        );
        assert_eq!(with_storages("#/a/"), "#/a/?view=storages");
        assert!(names_storages("/a/?q=x&view=storages"));
        assert!(names_storages(&with_storages("/a/?view=storages")));
        assert_eq!(with_storages("/?view=storages"), "/?view=storages");
        // Only the exact pair: a filter that mentions it, or another view, is not it.
        assert!(!names_storages("/?q=view%3Dstorages"));
        assert!(!names_storages("/?view=storagesx"));
        assert!(!names_storages("/view=storages/"));
    }
}
