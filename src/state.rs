//! The browser's shared state, provided as context, and the actions that change it:
//! navigation (kept in the address bar), the current listing, sort, filter and tree.

use crate::api::{self, Fetched};
use crate::errors::ApiError;
use crate::location::Config;
use crate::model::{SharedListing, Sort};
use crate::route::Route;
use crate::tree_state::{Children, TreeState};
use leptos::prelude::*;
use leptos::task::spawn_local;
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
    /// Bumped to fetch the current directory again.
    reload: RwSignal<u64>,
    /// The in-flight listing request, aborted when the user moves on.
    in_flight: StoredValue<Option<AbortController>, LocalStorage>,
}

impl Browser {
    /// Creates the state for `config`, reading the route from the address bar,
    /// and starts loading it.
    pub fn new(config: Config) -> Self {
        let route = RwSignal::new(config.current_route());
        let listing = RwSignal::new(None::<SharedListing>);
        let sort = RwSignal::new(Sort::default());
        let filter = RwSignal::new(String::new());
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
            reload: RwSignal::new(0),
            in_flight: StoredValue::new_local(None),
        };
        browser.load_current_directory();
        browser
    }

    /// Fetches the listing whenever the directory changes (or a retry is asked for).
    fn load_current_directory(self) {
        let dir = Memo::new(move |_| self.route.with(|route| route.dir.clone()));
        let generation = StoredValue::new(0u64);
        Effect::new(move |_| {
            let dir = dir.get();
            self.reload.track();
            generation.update_value(|g| *g += 1);
            let this_generation = generation.get_value();
            self.in_flight.update_value(|previous| {
                if let Some(controller) = previous.take() {
                    controller.abort();
                }
            });
            let controller = AbortController::new().ok();
            let signal = controller.as_ref().map(AbortController::signal);
            self.in_flight.set_value(controller);
            self.loading.set(true);
            self.error.set(None);
            if self
                .listing
                .with_untracked(|l| l.as_ref().is_some_and(|l| l.path != dir))
            {
                self.listing.set(None);
            }
            self.reveal_in_tree(&dir);
            let config = self.config.get_value();
            spawn_local(async move {
                let result = api::fetch_listing(&config, &dir, signal.as_ref()).await;
                if generation.get_value() != this_generation {
                    return; // the user moved on; this answer is stale
                }
                self.loading.set(false);
                match result {
                    Ok(Fetched::Directory(listing)) => {
                        let names = Children::Loaded(Arc::new(listing.directory_names()));
                        self.tree.update(|tree| tree.set_children(&dir, names));
                        self.listing.set(Some(Arc::new(listing)));
                        mark_after_paint("skiff:rows-painted");
                    }
                    Ok(Fetched::File(file)) => {
                        // The address named a file: show its folder with the file selected.
                        let folder = Route::dir(dir.clone()).up().unwrap_or_default();
                        let route = Route {
                            selected: Some(file.name),
                            ..folder
                        };
                        self.config.with_value(|config| config.replace(&route));
                        self.route.set(route);
                    }
                    Err(error) => {
                        self.listing.set(None);
                        self.error.set(Some(error));
                    }
                }
            });
        });
    }

    /// Fetches the current directory again (after an error).
    pub fn retry(self) {
        self.reload.update(|n| *n += 1);
    }

    /// Goes to `route`: a new history entry when the directory changes.
    pub fn navigate(self, route: Route) {
        let same_dir = self
            .route
            .with_untracked(|current| current.dir == route.dir);
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

    /// Opens an entry: folders are entered, files are shown by the browser in a new tab.
    pub fn open_entry(self, entry: &RawFileData) {
        let Some(path) = self
            .route
            .with_untracked(|route| route.dir.child(&entry.name).ok())
        else {
            return;
        };
        if entry.is_dir() {
            self.open_dir(path);
        } else if let Some(window) = web_sys::window() {
            let _ = window.open_with_url_and_target(&self.url_of(&path), "_blank");
        }
    }

    /// The URL of a tree path on the server (for downloads and links).
    pub fn url_of(self, path: &TreePath) -> String {
        self.config.with_value(|config| api::url_of(config, path))
    }

    /// The href that navigates the app to `route` (for real, middle-clickable links).
    pub fn href_of(self, route: &Route) -> String {
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

    /// Expands or collapses a tree folder, loading its children the first time.
    pub fn set_tree_expanded(self, path: &TreePath, expanded: bool) {
        self.tree.update(|tree| tree.set_expanded(path, expanded));
        let unknown = self
            .tree
            .with_untracked(|tree| tree.children(path).is_none());
        if expanded && unknown {
            self.load_tree_children(path.clone());
        }
    }

    /// Fetches a tree folder's children again if the tree has them (after a move, copy or
    /// rename changed them).
    pub fn refresh_tree(self, path: &TreePath) {
        let known = self.tree.with_untracked(|tree| {
            matches!(
                tree.children(path),
                Some(Children::Loaded(_) | Children::Failed(_))
            )
        });
        if known {
            self.load_tree_children(path.clone());
        }
    }

    fn reveal_in_tree(self, dir: &TreePath) {
        let missing = self
            .tree
            .try_update(|tree| tree.reveal(dir))
            .unwrap_or_default();
        for path in missing {
            self.load_tree_children(path);
        }
    }

    fn load_tree_children(self, path: TreePath) {
        self.tree
            .update(|tree| tree.set_children(&path, Children::Loading));
        let config = self.config.get_value();
        spawn_local(async move {
            let children = match api::fetch_listing(&config, &path, None).await {
                Ok(Fetched::Directory(listing)) => {
                    Children::Loaded(Arc::new(listing.directory_names()))
                }
                Ok(Fetched::File(_)) => Children::Loaded(Arc::default()),
                Err(error) => Children::Failed(error.to_string()),
            };
            self.tree.update(|tree| tree.set_children(&path, children));
        });
    }
}

/// Sets a `performance.mark` once the browser has painted the current frame.
fn mark_after_paint(name: &'static str) {
    request_animation_frame(move || {
        set_timeout(move || api::mark(name), std::time::Duration::ZERO);
    });
}
