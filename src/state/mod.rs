//! The browser's shared state, provided as context, and the actions that change it:
//! navigation (kept in the address bar, with the sort, filter and pane), the current listing,
//! and the tree. A listing that fails because the server is unreachable (or briefly
//! broken) is fetched again on its own: when the browser comes back online, and with a
//! growing pause while the error shows.
//!
//! - `loading.rs`: the current folder's listing, fetched (and streamed in) as the address changes
//! - `tree.rs`: the folder tree's expanded folders and their children

mod loading;
mod tree;

use crate::api;
use crate::errors::ApiError;
use crate::location::Config;
use crate::model::{SharedListing, Sort};
use crate::route::Route;
use crate::tree_state::TreeState;
use leptos::prelude::*;
use skiff_protocol::{RawFileData, TreePath};
use std::collections::BTreeSet;
use std::sync::Arc;
use web_sys::AbortController;

/// Everything the views share. `Copy`: it is only signal handles.
#[derive(Clone, Copy)]
pub struct Browser {
    /// The server and routing mode.
    pub config: StoredValue<Config>,
    /// Current directory and selection (mirrors the address bar).
    pub route: RwSignal<Route>,
    /// The current directory's listing once loaded.
    pub listing: RwSignal<Option<SharedListing>>,
    /// Whether the current directory is being fetched.
    pub loading: RwSignal<bool>,
    /// Why the current directory could not be shown.
    pub error: RwSignal<Option<ApiError>>,
    /// Sort column and direction.
    pub sort: RwSignal<Sort>,
    /// Text typed in the filter box.
    pub filter: RwSignal<String>,
    /// Indices into the listing's entries, in display order.
    pub order: Memo<Arc<Vec<u32>>>,
    /// Expanded folders and known children of the tree.
    pub tree: RwSignal<TreeState>,
    /// Entries picked with Ctrl/Shift-click or Ctrl+A, beside the selected one.
    pub marked: RwSignal<BTreeSet<String>>,
    /// The raw API's base URL (`{server}{raw}`) once discovery named it: files open
    /// through it (a browser navigation to a tree path gets the app, not the bytes).
    pub raw_api: RwSignal<Option<String>>,
    /// Bumped to fetch the current directory again.
    reload: RwSignal<u64>,
    /// Whether the next fetch is an automatic retry (the error stays shown meanwhile).
    quiet_reload: StoredValue<bool>,
    /// The in-flight listing request, aborted when the user moves on.
    in_flight: StoredValue<Option<AbortController>, LocalStorage>,
}

impl Browser {
    /// Creates the state for `config`, reading the route from the address bar,
    /// and starts loading it.
    pub fn new(config: Config) -> Self {
        let first = config.current_route();
        let listing = RwSignal::new(None::<SharedListing>);
        let sort = RwSignal::new(first.sort);
        let filter = RwSignal::new(first.filter.clone());
        let route = RwSignal::new(first);
        let order = Memo::new(move |_| {
            let sort = sort.get();
            filter.with(|filter| {
                listing.with(|listing| {
                    Arc::new(
                        listing
                            .as_ref()
                            .map(|l| l.view_order(sort, filter))
                            .unwrap_or_default(),
                    )
                })
            })
        });
        let browser = Self {
            config: StoredValue::new(config),
            route,
            listing,
            loading: RwSignal::new(true),
            error: RwSignal::new(None),
            sort,
            filter,
            order,
            tree: RwSignal::new(TreeState::new()),
            marked: RwSignal::new(BTreeSet::new()),
            raw_api: RwSignal::new(None),
            reload: RwSignal::new(0),
            quiet_reload: StoredValue::new(false),
            in_flight: StoredValue::new_local(None),
        };
        browser.load_current_directory();
        browser.keep_view_in_route();
        crate::outage::retry_while_unreachable(browser);
        browser
    }

    /// Keeps sort and filter and the route (so the address bar) in step both ways: the
    /// column headers and filter box set the signals, back/forward and links set the route.
    fn keep_view_in_route(self) {
        Effect::new(move |_| {
            let (sort, filter) = self.route.with(|r| (r.sort, r.filter.clone()));
            if self.sort.get_untracked() != sort {
                self.sort.set(sort);
            }
            if self.filter.with_untracked(|f| *f != filter) {
                self.filter.set(filter);
            }
        });
        Effect::new(move |_| {
            let sort = self.sort.get();
            let filter = self.filter.get();
            let differs = self
                .route
                .with_untracked(|r| r.sort != sort || r.filter != filter);
            if differs {
                let route = self.route.with_untracked(|route| Route {
                    sort,
                    filter,
                    ..route.clone()
                });
                // Typing and sorting rewrite the entry: history is for places.
                self.config.with_value(|config| config.replace(&route));
                self.route.set(route);
            }
        });
    }

    /// Goes to `route`: a new history entry when the directory changes. The sort stays as
    /// it is; the filter stays within a folder and is cleared in another; the details of
    /// nothing give way to the files.
    pub fn navigate(self, route: Route) {
        let same_dir = self
            .route
            .with_untracked(|current| current.dir == route.dir);
        let route = Route {
            sort: self.sort.get_untracked(),
            filter: if same_dir {
                self.filter.get_untracked()
            } else {
                String::new()
            },
            ..route
        }
        .settled();
        self.config.with_value(|config| {
            if same_dir {
                config.replace(&route)
            } else {
                config.push(&route)
            }
        });
        if !same_dir {
            self.filter.set(String::new());
            self.marked.set(BTreeSet::new());
        }
        self.route.set(route);
    }

    /// Opens a directory.
    pub fn open_dir(self, dir: TreePath) {
        self.navigate(Route::dir(dir));
    }

    /// Goes to the parent directory, selecting the folder we came from.
    pub fn go_up(self) {
        if let Some(up) = self.route.with_untracked(Route::up) {
            self.navigate(up);
        }
    }

    /// Whether the current listing lets this client write (`writes_supported`).
    pub fn writes_supported(self) -> bool {
        self.listing
            .with(|listing| listing.as_ref().is_some_and(|l| l.writes_supported))
    }

    /// Names the next operation acts on: the marked entries, else the selected one.
    pub fn picked_names(self) -> Vec<String> {
        let marked: Vec<String> = self.marked.with(|marked| marked.iter().cloned().collect());
        if !marked.is_empty() {
            return marked;
        }
        self.route
            .with(|route| route.selected.clone())
            .into_iter()
            .collect()
    }

    /// Whether `name` is part of the selection (selected or marked).
    pub fn is_picked(self, name: &str) -> bool {
        self.marked.with(|marked| marked.contains(name))
            || self
                .route
                .with(|route| route.selected.as_deref() == Some(name))
    }

    /// Selects an entry of the current directory by name (or clears the selection).
    pub fn select(self, name: Option<String>) {
        let route = self.route.with_untracked(|route| Route {
            selected: name,
            ..route.clone()
        });
        self.navigate(route);
    }

    /// Opens an entry: folders are entered, files are shown by the browser in a new tab
    /// (their bytes: see [`crate::opener`]).
    pub fn open_entry(self, entry: &RawFileData) {
        let Some(path) = self
            .route
            .with_untracked(|route| route.dir.child(&entry.name).ok())
        else {
            return;
        };
        if entry.is_dir() {
            self.open_dir(path);
        } else {
            let config = self.config.get_value();
            let raw = self.raw_api.get_untracked();
            crate::opener::open_file(&config, raw.as_deref(), &path);
        }
    }

    /// The URL of a tree path on the server (for downloads and links).
    pub fn url_of(self, path: &TreePath) -> String {
        self.config.with_value(|config| api::url_of(config, path))
    }

    /// The href that navigates the app to `route` (for real, middle-clickable links),
    /// keeping the current sort.
    pub fn href_of(self, route: &Route) -> String {
        let route = &Route {
            sort: self.sort.get_untracked(),
            ..route.clone()
        };
        self.config.with_value(|config| match config.routing {
            crate::location::Routing::Path => route.to_href(),
            crate::location::Routing::Hash => format!("#{}", route.to_href()),
        })
    }

    /// The currently selected entry, if it is in the listing.
    pub fn selected_entry(self) -> Option<RawFileData> {
        let name = self.route.with(|route| route.selected.clone())?;
        self.listing.with(|listing| {
            let listing = listing.as_ref()?;
            listing
                .position_of(&name)
                .map(|i| listing.entries[i].clone())
        })
    }
}
