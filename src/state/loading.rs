//! Loading the current folder: fetched whenever the address names another folder
//! (or a retry is asked for), shown while it streams in when it is big, the
//! request aborted when the user moves on.

use super::Browser;
use crate::api::{self, Fetched};
use crate::model::Listing;
use crate::route::Route;
use crate::tree_state::Children;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::Arc;
use web_sys::AbortController;

impl Browser {
    /// Fetches the listing whenever the directory changes (or a retry is asked for).
    pub(super) fn load_current_directory(self) {
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
            // An automatic retry leaves the error up until it has an answer.
            if !self.quiet_reload.get_value() {
                self.error.set(None);
            }
            self.quiet_reload.set_value(false);
            if self
                .listing
                .with_untracked(|l| l.as_ref().is_some_and(|l| l.path != dir))
            {
                self.listing.set(None);
            }
            self.reveal_in_tree(&dir);
            let config = self.config.get_value();
            spawn_local(async move {
                // A big folder's first entries are shown while the rest comes, unless
                // the folder is already on screen (a reload keeps the whole of it up).
                let mut show_partial = |listing: Listing| {
                    let fresh = self
                        .listing
                        .with_untracked(|shown| shown.as_ref().is_none_or(|shown| shown.partial));
                    if generation.get_value() == this_generation && fresh {
                        self.error.set(None);
                        crate::first_screen::app_ready();
                        self.listing.set(Some(Arc::new(listing)));
                        mark_after_paint("skiff:first-rows-painted");
                    }
                };
                let result =
                    api::fetch_listing(&config, &dir, signal.as_ref(), Some(&mut show_partial))
                        .await;
                if generation.get_value() != this_generation {
                    return; // the user moved on; this answer is stale
                }
                self.loading.set(false);
                if !matches!(result, Ok(Fetched::File(_))) {
                    crate::first_screen::app_ready();
                }
                match result {
                    Ok(Fetched::Directory(listing)) => {
                        self.error.set(None);
                        let names = Children::Loaded(Arc::new(listing.directory_names()));
                        self.tree.update(|tree| tree.set_children(&dir, names));
                        self.listing.set(Some(Arc::new(listing)));
                        mark_after_paint("skiff:rows-painted");
                    }
                    Ok(Fetched::File(file)) => {
                        // The address named a file: show its folder with the file selected.
                        let folder = Route::dir(dir.clone()).up().unwrap_or_default();
                        let route = self.route.with_untracked(|current| Route {
                            selected: Some(file.name),
                            sort: current.sort,
                            filter: current.filter.clone(),
                            ..folder
                        });
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

    /// Fetches the current directory again without taking the error down first.
    pub fn retry_quietly(self) {
        self.quiet_reload.set_value(true);
        self.retry();
    }
}

/// Sets a `performance.mark` once the browser has painted the current frame.
fn mark_after_paint(name: &'static str) {
    request_animation_frame(move || {
        set_timeout(move || api::mark(name), std::time::Duration::ZERO);
    });
}
