//! The application shell: provides the shared state, lays out the panes (three, two or
//! one at a time by the window's width: see `panes`), and handles the global keyboard
//! shortcuts and back/forward.

use crate::api::{self, MetadataApi};
use crate::components::actions::{Actions, Toolbar};
use crate::components::panes::{PaneBar, Panes};
use crate::components::sign_in::{needs_sign_in, SignInScreen};
use crate::components::storages::{Storages, StoragesView};
use crate::components::uploads::{DropOverlay, UploadPanel};
use crate::components::{details::Details, header::Header, listing::Listing, tree::FolderTree};
use crate::location::Config;
use crate::ops::Operations;
use crate::state::Browser;
use crate::upload::engine::Route as UploadRoute;
use crate::upload::queue::UploadQueue;
use leptos::html::Input;
use leptos::prelude::*;
use skiff_protocol::Discovery;
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
    let queue = UploadQueue::new(config.server.clone());
    let browser = Browser::new(config.clone());
    provide_context(browser);
    provide_context(queue);
    let actions = Actions::new();
    provide_context(actions);
    let metadata = RwSignal::new(None::<MetadataApi>);
    provide_context(metadata);
    let storages = Storages::new(browser);
    provide_context(storages);
    connect_uploads(browser, queue, actions, metadata, config);
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
        // A dialog owns the keyboard while it is open.
        let ctrl = event.ctrl_key() || event.meta_key();
        if is_typing(&event)
            || (ctrl && !event.key().eq_ignore_ascii_case("z"))
            || actions.ask.with_untracked(Option::is_some)
            || storages.showing_untracked()
        {
            return;
        }
        match (event.key().as_str(), event.alt_key()) {
            ("/", false) => {
                if let Some(input) = filter_input.get_untracked() {
                    event.prevent_default();
                    let _ = input.focus();
                }
            }
            ("Delete" | "F2" | "z" | "Z", false)
                if actions.shortcut(browser, &event.key(), ctrl) =>
            {
                event.prevent_default();
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

    let panes = Panes::new(browser, actions);
    provide_context(panes);
    // Sign-in is a screen of its own: the file manager stays hidden (not merely covered)
    // while the server refuses this tab, so nothing in it (Sign out, Retry) is offered.
    let signing_in = move || needs_sign_in(browser);
    view! {
        <Show when=signing_in>
            <SignInScreen/>
        </Show>
        <div class=style::app style:display=move || signing_in().then_some("none")>
            <Header filter_input=filter_input/>
            <main class=style::panes data-pane=move || panes.shown().name()
                style:display=move || storages.showing().then_some("none")>
                <div class=style::folders>
                    <FolderTree/>
                </div>
                <PaneBar>
                    <Toolbar/>
                </PaneBar>
                <div class=style::files>
                    <Listing/>
                </div>
                <div class=style::details>
                    <Details/>
                </div>
            </main>
            <Show when=move || storages.showing()>
                <StoragesView/>
            </Show>
            <UploadPanel/>
            <DropOverlay/>
        </div>
    }
}

/// Least time between two listing refreshes caused by completed uploads.
const REFRESH_EVERY_MS: u64 = 1000;

/// Decides how uploads travel: resumable sessions when discovery offers them (with
/// parallel parts when it has `min_part`), whole-file `PUT` when the server only says
/// `writes_supported`, none otherwise. Completed uploads
/// refresh the listing.
fn connect_uploads(
    browser: Browser,
    queue: UploadQueue,
    actions: Actions,
    metadata: RwSignal<Option<MetadataApi>>,
    config: Config,
) {
    // Outer `None`: discovery has not answered yet.
    let discovery = RwSignal::new(None::<Option<Discovery>>);
    let server = config.server.clone();
    let storages = expect_context::<Storages>();
    leptos::task::spawn_local(async move {
        let found = api::discover(&config).await.ok().flatten();
        storages.discovered(&config, found.as_ref());
        let raw = found
            .as_ref()
            .and_then(|found| found.raw.as_ref())
            .map(|raw| format!("{}{raw}", config.server));
        metadata.set(
            found
                .as_ref()
                .and_then(|found| found.metadata.as_ref())
                .map(|endpoint| MetadataApi {
                    config: config.clone(),
                    endpoint: format!("{}{endpoint}", config.server),
                    raw: raw.clone(),
                }),
        );
        let zip = raw.is_some() && found.as_ref().and_then(|found| found.zip) == Some(true);
        api::set_signing(found.as_ref().and_then(|found| found.sign) == Some(true));
        actions.ops.set(Some(Operations {
            raw,
            zip,
            config: config.clone(),
        }));
        discovery.set(Some(found));
    });
    // The last listing's word: while the next folder loads there is none, and a drop
    // then must not be told the server is read-only.
    let writable = Memo::new(move |previous: Option<&Option<bool>>| {
        browser
            .listing
            .with(|listing| listing.as_ref().map(|l| l.writes_supported))
            .or_else(|| previous.copied().flatten())
    });
    Effect::new(move |_| {
        let writable = writable.get();
        // Only a server that lets *this* client write (`writes_supported`: writable, and a
        // read-write token where tokens are needed) gets uploads at all.
        let route = match (writable, discovery.get()) {
            (Some(true), Some(found)) => Some(match found {
                Some(Discovery {
                    uploads: Some(uploads),
                    max_chunk,
                    min_part,
                    batch,
                    ..
                }) => UploadRoute::Sessions {
                    endpoint: format!("{server}{uploads}"),
                    max_chunk,
                    min_part,
                    batch: batch.map(|batch| format!("{server}{batch}")),
                },
                _ => UploadRoute::Put,
            }),
            _ => None,
        };
        if queue.route.with_untracked(|current| *current != route) {
            queue.route.set(route);
        }
        queue.read_only.set(writable == Some(false));
    });
    // Refresh the listing as uploads land, but at most once a second: 10,000 small files
    // must not mean 10,000 listings (the upload benchmark caught that).
    let refresh_pending = StoredValue::new(false);
    Effect::new(move |previous: Option<u64>| {
        let completed = queue.completed.get();
        if previous.is_some_and(|previous| previous != completed) && !refresh_pending.get_value() {
            refresh_pending.set_value(true);
            set_timeout(
                move || {
                    refresh_pending.set_value(false);
                    browser.retry();
                },
                std::time::Duration::from_millis(REFRESH_EVERY_MS),
            );
        }
        completed
    });
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
