//! What the app knows about the server's storages (PROTOCOL.md §5), shared as context:
//! where `{storages}` is, whether this tab's token may manage them (discovery's `roles`
//! has `admin`), the list (read by everyone: the tree, listing and details name the
//! storage a folder or file lives on), and whether the Storages view is shown.

use super::address;
use crate::api::storages::StoragesApi;
use crate::location::Config;
use crate::state::Browser;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::{Discovery, Role, Storage, StorageKind, TreePath};

/// The storages' shared state. `Copy`: signals only.
#[derive(Clone, Copy)]
pub struct Storages {
    /// How to reach `{storages}`; `None` before discovery or on a server without them.
    pub api: RwSignal<Option<StoragesApi>>,
    /// Whether this tab's credentials may add, relabel and remove storages.
    pub admin: RwSignal<bool>,
    /// The server's storages once listed.
    pub list: RwSignal<Option<Vec<Storage>>>,
    /// Why the list could not be read.
    pub load_error: RwSignal<Option<String>>,
    /// Whether the address asks for the Storages view (`view=storages`).
    open: RwSignal<bool>,
}

impl Storages {
    /// Nothing known yet; the view follows the address from now on.
    pub fn new(browser: Browser) -> Self {
        let storages = Self {
            api: RwSignal::new(None),
            admin: RwSignal::new(false),
            list: RwSignal::new(None),
            load_error: RwSignal::new(None),
            open: RwSignal::new(false),
        };
        storages.follow_address(browser);
        storages
    }

    /// Takes discovery's word (`storages`, `roles`) and lists the storages.
    pub fn discovered(self, config: &Config, discovery: Option<&Discovery>) {
        let api = discovery
            .and_then(|found| found.storages.as_ref())
            .map(|path| StoragesApi {
                config: config.clone(),
                endpoint: format!("{}{}", config.server, path.trim_end_matches('/')),
            });
        let admin = api.is_some()
            && discovery
                .and_then(|found| found.roles.as_ref())
                .is_some_and(|roles| roles.contains(&Role::Admin));
        self.api.set(api);
        self.admin.set(admin);
        self.reload();
    }

    /// Lists the storages (again).
    pub fn reload(self) {
        let Some(api) = self.api.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match api.list().await {
                Ok(list) => {
                    self.load_error.set(None);
                    crate::upload::buckets::set_storages(&list);
                    self.list.set(Some(list));
                }
                Err(error) => self.load_error.set(Some(error.message)),
            }
        });
    }

    /// Whether the Storages view is shown: asked for by the address, and this tab is an
    /// admin's (anyone else gets the files, whatever the address says).
    pub fn showing(self) -> bool {
        self.open.get() && self.admin.get()
    }

    /// [`Storages::showing`] without tracking (for event handlers).
    pub fn showing_untracked(self) -> bool {
        self.open.get_untracked() && self.admin.get_untracked()
    }

    /// Opens the Storages view (a history entry: Back returns to the files).
    pub fn open_view(self, browser: Browser) {
        let config = browser.config.get_value();
        let href = browser.route.with_untracked(|route| browser.href_of(route));
        address::write_storages(&config, &href, true);
        self.open.set(true);
    }

    /// After `mount` was removed: the files under the view go to the top folder if they
    /// were in it (it is gone), so "Back to files" does not show a missing folder.
    pub fn leave_removed_mount(self, browser: Browser, mount: &str) {
        let inside = browser.route.with_untracked(|route| {
            route.dir.segments().first().map(String::as_str) == Some(mount)
        });
        if !inside {
            return;
        }
        let top = browser.route.with_untracked(|route| crate::route::Route {
            sort: route.sort,
            ..crate::route::Route::default()
        });
        let config = browser.config.get_value();
        // The view stays: its address is rewritten, then the route follows it.
        address::write_storages(&config, &browser.href_of(&top), false);
        browser.route.set(top);
    }

    /// Goes back to the files, where they were.
    pub fn close_view(self, browser: Browser) {
        let route = browser.route.get_untracked();
        browser.config.with_value(|config| config.push(&route));
        self.open.set(false);
    }

    /// The storage mounted as the top-level folder `name`, if any (tracked).
    pub fn mounted(self, name: &str) -> Option<Storage> {
        self.list.with(|list| {
            list.as_ref()?
                .iter()
                .find(|storage| mount_name(storage) == Some(name))
                .cloned()
        })
    }

    /// The storage `path` lives on: the one mounted at its first segment, else the
    /// default storage (tracked; `None` until listed).
    pub fn storage_of(self, path: &TreePath) -> Option<Storage> {
        self.list
            .with(|list| storage_of(list.as_deref()?, path).cloned())
    }

    /// Keeps `open` in step with the address: back/forward, and the file manager's own
    /// navigation (which writes an address without `view=`).
    fn follow_address(self, browser: Browser) {
        let sync = move || {
            let asked = browser.config.with_value(address::names_storages_now);
            if self.open.get_untracked() != asked {
                self.open.set(asked);
            }
        };
        let popstate = window_event_listener(leptos::ev::popstate, move |_| sync());
        let hashchange = window_event_listener(leptos::ev::hashchange, move |_| sync());
        on_cleanup(move || {
            popstate.remove();
            hashchange.remove();
        });
        Effect::new(move |_| {
            browser.route.track();
            sync();
        });
    }
}

/// The top-level folder a storage appears as; `None` for the default storage (the root).
pub fn mount_name(storage: &Storage) -> Option<&str> {
    let mount = storage.mount.trim_matches('/');
    (!mount.is_empty()).then_some(mount)
}

/// The storage of `list` that `path` lives on: the one mounted at its first segment, else
/// the one mounted at the root.
pub fn storage_of<'a>(list: &'a [Storage], path: &TreePath) -> Option<&'a Storage> {
    let first = path.segments().first();
    first
        .and_then(|first| {
            list.iter()
                .find(|storage| mount_name(storage) == Some(first.as_str()))
        })
        .or_else(|| list.iter().find(|storage| mount_name(storage).is_none()))
}

/// What people call a kind of storage.
pub fn kind_words(kind: StorageKind) -> &'static str {
    match kind {
        StorageKind::Local => "Local folder",
        StorageKind::S3 => "S3 bucket",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage(name: &str, mount: &str) -> Storage {
        Storage {
            id: format!("id-{name}"),
            name: name.to_owned(),
            label: name.to_uppercase(),
            kind: StorageKind::Local,
            url: format!("file:///srv/{name}"),
            default_url: String::new(),
            mount: mount.to_owned(),
            created_at: 0,
            region: None,
            writable: true,
            endpoint: None,
        }
    }

    #[test]
    fn an_entry_lives_on_the_storage_mounted_at_its_first_folder() {
        let list = [
            storage("default", "/"),
            storage("photos", "photos"),
            storage("archive", "/old/"),
        ];
        let on = |segments: &[&str]| {
            let path = TreePath::from_segments(segments.iter().copied()).expect("safe");
            storage_of(&list, &path).map(|storage| storage.name.clone())
        };
        assert_eq!(on(&[]).as_deref(), Some("default"));
        assert_eq!(on(&["photos"]).as_deref(), Some("photos"));
        assert_eq!(on(&["photos", "2024", "a.jpg"]).as_deref(), Some("photos"));
        assert_eq!(on(&["old", "x"]).as_deref(), Some("archive"));
        assert_eq!(on(&["photosx"]).as_deref(), Some("default"));
        assert_eq!(on(&["docs", "photos"]).as_deref(), Some("default"));
        assert_eq!(mount_name(&list[0]), None);
        assert_eq!(mount_name(&list[2]), Some("old"));
    }
}
