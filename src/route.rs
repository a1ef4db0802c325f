//! Where the app is: the current directory and the selected entry, and how that
//! maps to the address bar so reload and back/forward restore it.
//!
//! Served by skiff-server (same origin) the route is the URL path itself, `/docs/?sel=a.pdf`,
//! which the server answers with the app for browser navigations. Hosted as static files
//! and pointed at another server with `?server=URL`, the route lives in the fragment instead.

use skiff_protocol::{decode_segment, encode_segment, TreePath};

/// The current directory and, optionally, the selected entry's name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Route {
    /// The directory being shown.
    pub dir: TreePath,
    /// Name of the selected entry inside `dir`.
    pub selected: Option<String>,
}

impl Route {
    /// A route showing `dir` with nothing selected.
    pub fn dir(dir: TreePath) -> Self {
        Self {
            dir,
            selected: None,
        }
    }

    /// Parses `path?query` as written by [`Route::to_href`]; unsafe or malformed
    /// paths yield `None` (the caller falls back to the root).
    pub fn parse(path_and_query: &str) -> Option<Self> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let dir = TreePath::parse_url_path(if path.is_empty() { "/" } else { path }).ok()?;
        let selected = query.and_then(|query| {
            query.split('&').find_map(|pair| {
                let value = pair.strip_prefix("sel=")?;
                let name = decode_segment(&value.replace('+', " ")).ok()?;
                dir.child(&name).ok().map(|_| name)
            })
        });
        Some(Self { dir, selected })
    }

    /// `/a%20b/?sel=c.txt`: the directory URL (always with a trailing slash) plus the selection.
    pub fn to_href(&self) -> String {
        let mut href = self.dir.to_dir_url_path();
        if let Some(name) = &self.selected {
            href.push_str("?sel=");
            href.push_str(&encode_segment(name));
        }
        href
    }

    /// The route of the parent directory with this directory selected, so going up
    /// keeps your place; `None` at the root.
    pub fn up(&self) -> Option<Self> {
        let parent = self.dir.parent()?;
        Some(Self {
            dir: parent,
            selected: self.dir.name().map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_hostile_selections() {
        for name in ["a b#c?d%e", "file\n1.txt", "😀.bin", "x&sel=y", "plus+sign"] {
            let route = Route {
                dir: TreePath::from_segments(["ü dir", "sub"]).expect("safe"),
                selected: Some(name.to_owned()),
            };
            let href = route.to_href();
            assert!(href.starts_with("/%C3%BC%20dir/sub/?sel="), "{href}");
            assert_eq!(Route::parse(&href), Some(route), "{href}");
        }
    }

    #[test]
    fn parses_plain_and_form_encoded_queries() {
        let route = Route::parse("/docs?x=1&sel=my+file.txt").expect("valid");
        assert_eq!(route.dir.segments(), ["docs"]);
        assert_eq!(route.selected.as_deref(), Some("my file.txt"));
        assert_eq!(Route::parse(""), Some(Route::default()));
        assert_eq!(Route::parse("/a/../b"), None);
        assert_eq!(Route::parse("/a/?sel=..").map(|r| r.selected), Some(None));
    }

    #[test]
    fn going_up_selects_the_folder_we_left() {
        let route = Route::dir(TreePath::from_segments(["a", "b"]).expect("safe"));
        let up = route.up().expect("has parent");
        assert_eq!(up.dir.segments(), ["a"]);
        assert_eq!(up.selected.as_deref(), Some("b"));
        assert_eq!(Route::default().up(), None);
    }
}
