//! Where the app is: the current directory, the selected entry, the sort, the filter and
//! the pane a narrow screen shows, and how that maps to the address bar so reload,
//! back/forward and shared links restore it:
//! `/photos/?sort=size&desc=1&q=jpg&sel=a.jpg&pane=details`. Defaults are left out of the URL.
//!
//! Served by skiff-server (same origin) the route is the URL path itself, `/docs/?sel=a.pdf`,
//! which the server answers with the app for browser navigations. Hosted as static files
//! and pointed at another server with `?server=URL`, the route lives in the fragment instead.

use crate::model::{Sort, SortKey};
use skiff_protocol::{decode_segment, encode_segment, TreePath};

/// A pane of the file manager. A desktop window shows all three; a small window the files
/// (or the folders in their place) beside the details; a phone one of them (`pane=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    /// The folder tree.
    Folders,
    /// The listing of the current folder.
    #[default]
    Files,
    /// The details of the selected entry.
    Details,
}

impl Pane {
    /// Its name in the URL (`pane=`) and in the stylesheet (`data-pane`).
    pub fn name(self) -> &'static str {
        match self {
            Pane::Folders => "folders",
            Pane::Files => "files",
            Pane::Details => "details",
        }
    }

    /// The pane a URL's `pane=` names, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        [Pane::Folders, Pane::Files, Pane::Details]
            .into_iter()
            .find(|pane| pane.name() == name)
    }
}

/// The current directory, the selected entry's name, and how the listing is shown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Route {
    /// The directory being shown.
    pub dir: TreePath,
    /// Name of the selected entry inside `dir`.
    pub selected: Option<String>,
    /// Sort column and direction (`sort=`, `desc=1`).
    pub sort: Sort,
    /// Text of the filter box (`q=`).
    pub filter: String,
    /// The pane shown where there is no room for all three (`pane=`); never the details of
    /// nothing (see [`Route::settled`]).
    pub pane: Pane,
}

impl Route {
    /// A route showing `dir` with nothing selected.
    pub fn dir(dir: TreePath) -> Self {
        Self {
            dir,
            ..Self::default()
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
        let mut route = Self::dir(dir);
        // Unknown or malformed parameters are ignored: a hand-edited link still opens.
        for pair in query.unwrap_or_default().split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let Ok(value) = decode_segment(&value.replace('+', " ")) else {
                continue;
            };
            match name {
                "sel" if route.selected.is_none() && route.dir.child(&value).is_ok() => {
                    route.selected = Some(value)
                }
                "sort" => {
                    if let Some(key) = SortKey::from_param(&value) {
                        route.sort.key = key;
                    }
                }
                "desc" => route.sort.ascending = !matches!(value.as_str(), "1" | "true"),
                "q" => route.filter = value,
                "pane" => route.pane = Pane::from_name(&value).unwrap_or_default(),
                _ => {}
            }
        }
        Some(route.settled())
    }

    /// The same route, but showing the files where it would show the details of nothing
    /// (the selection went, or a link named the details pane alone).
    pub fn settled(self) -> Self {
        if self.pane == Pane::Details && self.selected.is_none() {
            Self {
                pane: Pane::Files,
                ..self
            }
        } else {
            self
        }
    }

    /// `/a%20b/?sort=size&desc=1&q=x&sel=c.txt&pane=details`: the directory URL (always with
    /// a trailing slash) plus what differs from the defaults.
    pub fn to_href(&self) -> String {
        let mut href = self.dir.to_dir_url_path();
        let mut query = Vec::new();
        if self.sort.key != SortKey::Name {
            query.push(format!("sort={}", self.sort.key.param()));
        }
        if !self.sort.ascending {
            query.push("desc=1".to_owned());
        }
        if !self.filter.is_empty() {
            query.push(format!("q={}", encode_segment(&self.filter)));
        }
        if let Some(name) = &self.selected {
            query.push(format!("sel={}", encode_segment(name)));
        }
        if self.pane != Pane::Files {
            query.push(format!("pane={}", self.pane.name()));
        }
        if !query.is_empty() {
            href.push('?');
            href.push_str(&query.join("&"));
        }
        href
    }

    /// The route of the parent directory with this directory selected, so going up
    /// keeps your place (its files shown); `None` at the root.
    pub fn up(&self) -> Option<Self> {
        let parent = self.dir.parent()?;
        Some(Self {
            dir: parent,
            selected: self.dir.name().map(str::to_owned),
            sort: self.sort,
            filter: String::new(),
            pane: Pane::Files,
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
                ..Route::default()
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
    fn sort_and_filter_live_in_the_query() {
        let route = Route::parse("/photos/?sort=size&desc=1&q=jpg&sel=a.jpg").expect("valid");
        assert_eq!(route.dir.segments(), ["photos"]);
        assert_eq!(route.selected.as_deref(), Some("a.jpg"));
        assert_eq!(
            route.sort,
            Sort {
                key: SortKey::Size,
                ascending: false
            }
        );
        assert_eq!(route.filter, "jpg");
        assert_eq!(route.to_href(), "/photos/?sort=size&desc=1&q=jpg&sel=a.jpg");
        // Defaults stay out of the URL.
        assert_eq!(
            Route::parse("/a/?sort=name").expect("valid").to_href(),
            "/a/"
        );
    }

    #[test]
    fn hostile_filters_round_trip_and_junk_is_ignored() {
        for filter in ["a&q=b", "50% off", "x y+z", "#hash", "ü"] {
            let route = Route {
                filter: filter.to_owned(),
                sort: Sort {
                    key: SortKey::Modified,
                    ascending: true,
                },
                ..Route::default()
            };
            assert_eq!(
                Route::parse(&route.to_href()),
                Some(route.clone()),
                "{filter}"
            );
        }
        let junk = Route::parse("/?sort=colour&desc=maybe&q=%ZZ&zzz").expect("valid");
        assert_eq!(junk, Route::default());
    }

    #[test]
    fn the_pane_lives_in_the_query() {
        let route = Route::parse("/docs/?sel=a.txt&pane=details").expect("valid");
        assert_eq!(route.pane, Pane::Details);
        assert_eq!(route.to_href(), "/docs/?sel=a.txt&pane=details");
        let folders = Route::parse("/docs/?pane=folders").expect("valid");
        assert_eq!(folders.pane, Pane::Folders);
        assert_eq!(folders.to_href(), "/docs/?pane=folders");
        // The files are the default; junk is ignored; details of nothing show the files.
        assert_eq!(Route::parse("/?pane=files").expect("valid").to_href(), "/");
        assert_eq!(Route::parse("/?pane=map").expect("valid"), Route::default());
        assert_eq!(
            Route::parse("/docs/?pane=details").expect("valid").pane,
            Pane::Files
        );
        // Going up shows the parent's files.
        let up = route.up().expect("has parent");
        assert_eq!(up.pane, Pane::Files);
        assert_eq!(up.to_href(), "/?sel=docs");
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
