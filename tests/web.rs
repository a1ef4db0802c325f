//! Component tests of the Skiff app in headless Chromium (wasm-bindgen-test), against a
//! real skiff-server that `cargo xtask test` starts over the fixture in `xtask/src/test.rs`:
//!
//! ```text
//! alpha/{one/, two/, note.txt}  beta/  empty/  a.txt (3 B)  b.bin (1024 B)  zeta.md
//! ```
//!
//! Each test mounts the app into its own element, drives it with real DOM events (clicks,
//! key presses, typing) and asserts on what a person would see.
#![cfg(target_arch = "wasm32")]

use leptos::mount::mount_to;
use leptos::prelude::*;
use skiff::location::Config;
use skiff::Skiff;
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

/// The skiff-server the tests browse, baked in at compile time by `cargo xtask test`.
/// Not `env!`: the tests must still compile (for clippy, say) without it, and fail when run.
#[allow(clippy::option_env_unwrap)]
fn server() -> &'static str {
    option_env!("SKIFF_TEST_SERVER")
        .expect("SKIFF_TEST_SERVER is unset: run these tests through `cargo xtask test`")
}

/// How long a condition may take to become true before the test fails.
const PATIENCE: Duration = Duration::from_secs(10);

/// The app mounted into its own sized element, unmounted when dropped.
struct Mounted {
    root: HtmlElement,
    /// Unmounts the app (running its cleanups) when dropped.
    _handle: Box<dyn std::any::Any>,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.root.remove();
    }
}

/// Mounts Skiff browsing `server` with the route given as the fragment (`/alpha/`).
fn mount(server: &str, route: &str) -> Mounted {
    let window = web_sys::window().expect("a window");
    let history = window.history().expect("history");
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(&format!("#{route}")))
        .expect("set the fragment");
    let document = window.document().expect("a document");
    let root: HtmlElement = document
        .create_element("div")
        .expect("create a div")
        .dyn_into()
        .expect("a div is an HtmlElement");
    root.set_attribute("style", "width: 1200px; height: 700px; display: flex")
        .expect("size the mount point");
    document
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("attach the mount point");
    let config = Config::remote(server);
    let handle = mount_to(root.clone(), move || {
        view! { <Skiff config=config.clone()/> }.into_any()
    });
    Mounted {
        root,
        _handle: Box::new(handle),
    }
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("a window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect("the timer resolves");
}

/// Waits until `probe` returns `Some`, failing the test with `what` after [`PATIENCE`].
async fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = js_sys::Date::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        if js_sys::Date::now() - started > PATIENCE.as_millis() as f64 {
            panic!("timed out waiting for {what}");
        }
        sleep(20).await;
    }
}

impl Mounted {
    fn all(&self, selector: &str) -> Vec<Element> {
        let list = self
            .root
            .query_selector_all(selector)
            .expect("valid selector");
        (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|node| node.dyn_into::<Element>().ok())
            .collect()
    }

    fn one(&self, selector: &str) -> Option<Element> {
        self.root.query_selector(selector).expect("valid selector")
    }

    fn html(&self, selector: &str) -> HtmlElement {
        self.one(selector)
            .unwrap_or_else(|| panic!("no element matches {selector}"))
            .dyn_into()
            .expect("an HTML element")
    }

    /// Names of the listing's rows in display order (rows are absolutely placed, so the
    /// DOM order is not the display order: `aria-rowindex` is).
    fn row_names(&self) -> Vec<String> {
        let mut rows: Vec<(u32, String)> = self
            .all("[role=row][data-name]")
            .into_iter()
            .map(|row| {
                let index = row
                    .get_attribute("aria-rowindex")
                    .and_then(|i| i.parse().ok())
                    .unwrap_or(u32::MAX);
                (index, row.get_attribute("data-name").unwrap_or_default())
            })
            .collect();
        rows.sort();
        rows.into_iter().map(|(_, name)| name).collect()
    }

    async fn wait_for_rows(&self, expected: &[&str]) {
        wait_for(&format!("rows {expected:?}"), || {
            let names = self.row_names();
            (names == expected).then_some(())
        })
        .await;
    }

    async fn wait_for_text(&self, text: &str) {
        wait_for(&format!("the text {text:?}"), || {
            self.root
                .text_content()
                .is_some_and(|content| content.contains(text))
                .then_some(())
        })
        .await;
    }

    fn selected_row(&self) -> Option<String> {
        self.one("[role=row][aria-selected=true]")
            .and_then(|row| row.get_attribute("data-name"))
    }

    fn field(&self, name: &str) -> Option<String> {
        self.one(&format!("[data-field={name}]"))
            .and_then(|field| field.text_content())
    }
}

fn key(target: &Element, key: &str, alt: bool) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_alt_key(alt);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
        .expect("a keyboard event");
    target.dispatch_event(&event).expect("dispatch keydown");
}

fn type_into(input: &HtmlInputElement, text: &str) {
    input.set_value(text);
    let event = web_sys::Event::new_with_event_init_dict("input", &{
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        init
    })
    .expect("an input event");
    input.dispatch_event(&event).expect("dispatch input");
}

const ROOT_ORDER: [&str; 6] = ["alpha", "beta", "empty", "a.txt", "b.bin", "zeta.md"];

#[wasm_bindgen_test]
async fn root_lists_folders_first_then_files_by_name() {
    let app = mount(server(), "/");
    app.wait_for_rows(&ROOT_ORDER).await;
    let folders = app.all("[role=row][data-name] [role=gridcell]:nth-child(4)");
    let types: Vec<String> = folders
        .iter()
        .filter_map(|cell| cell.text_content())
        .collect();
    assert_eq!(types[0], "Folder");
    assert_eq!(
        app.one("[role=grid]")
            .and_then(|g| g.get_attribute("aria-busy"))
            .as_deref(),
        Some("false")
    );
}

#[wasm_bindgen_test]
async fn sorting_by_size_keeps_folders_first_and_flips_direction() {
    let app = mount(server(), "/");
    app.wait_for_rows(&ROOT_ORDER).await;
    let size_button = || app.html("[role=columnheader]:nth-child(2) button");
    size_button().click();
    app.wait_for_rows(&["alpha", "beta", "empty", "a.txt", "zeta.md", "b.bin"])
        .await;
    assert!(app
        .one("[role=columnheader][aria-sort=ascending]")
        .is_some());
    size_button().click();
    // Ties (every folder is size 0) stay in name order.
    app.wait_for_rows(&["alpha", "beta", "empty", "b.bin", "zeta.md", "a.txt"])
        .await;
    assert!(app
        .one("[role=columnheader][aria-sort=descending]")
        .is_some());
    app.html("[role=columnheader]:nth-child(1) button").click();
    app.wait_for_rows(&ROOT_ORDER).await;
}

#[wasm_bindgen_test]
async fn filter_narrows_the_listing_and_says_when_nothing_matches() {
    let app = mount(server(), "/");
    app.wait_for_rows(&ROOT_ORDER).await;
    let input: HtmlInputElement = app
        .html("input[type=search]")
        .dyn_into()
        .expect("the filter is an input");
    type_into(&input, "A");
    app.wait_for_rows(&["alpha", "beta", "a.txt", "zeta.md"])
        .await;
    type_into(&input, ".TXT");
    app.wait_for_rows(&["a.txt"]).await;
    type_into(&input, "nothing-like-this");
    app.wait_for_rows(&[]).await;
    app.wait_for_text("No items match").await;
    app.html("[role=status] button").click();
    app.wait_for_rows(&ROOT_ORDER).await;
    assert_eq!(input.value(), "");
}

#[wasm_bindgen_test]
async fn tree_loads_children_when_a_folder_expands_and_keeps_them_while_navigating() {
    let app = mount(server(), "/");
    let alpha = wait_for("the alpha tree item", || {
        app.one("[role=treeitem][data-path='/alpha']")
    })
    .await;
    assert_eq!(
        alpha.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert!(app.one("[role=treeitem][data-path='/alpha/one']").is_none());
    app.html("[role=treeitem][data-path='/alpha'] button")
        .click();
    wait_for("alpha's children in the tree", || {
        app.one("[role=treeitem][data-path='/alpha/two']")
    })
    .await;
    assert!(app.one("[role=treeitem][data-path='/alpha/one']").is_some());
    let expanded = app
        .one("[role=treeitem][data-path='/alpha']")
        .and_then(|item| item.get_attribute("aria-expanded"));
    assert_eq!(expanded.as_deref(), Some("true"));

    // Opening another folder from the tree keeps alpha expanded.
    app.html("[role=treeitem][data-path='/beta'] a").click();
    app.wait_for_text("This folder is empty.").await;
    assert!(app.one("[role=treeitem][data-path='/alpha/one']").is_some());
    let current = app.one("[role=treeitem][aria-selected=true]");
    assert_eq!(
        current
            .and_then(|c| c.get_attribute("data-path"))
            .as_deref(),
        Some("/beta")
    );
}

#[wasm_bindgen_test]
async fn tree_keyboard_expands_and_opens() {
    let app = mount(server(), "/");
    wait_for("the alpha tree item", || {
        app.one("[role=treeitem][data-path='/alpha']")
    })
    .await;
    let tree = app.one("[role=tree]").expect("the tree");
    key(&tree, "ArrowDown", false); // root → alpha
    key(&tree, "ArrowRight", false); // expand alpha
    wait_for("alpha's children", || {
        app.one("[role=treeitem][data-path='/alpha/one']")
    })
    .await;
    key(&tree, "ArrowDown", false); // alpha → alpha/one
    key(&tree, "Enter", false);
    wait_for("the route to open /alpha/one", || {
        let hash = web_sys::window()?.location().hash().ok()?;
        (hash == "#/alpha/one/").then_some(())
    })
    .await;
}

#[wasm_bindgen_test]
async fn keyboard_moves_the_selection_opens_folders_and_goes_up() {
    let app = mount(server(), "/");
    app.wait_for_rows(&ROOT_ORDER).await;
    let grid = app.one("[role=grid]").expect("the grid");
    key(&grid, "ArrowDown", false);
    wait_for("alpha selected", || {
        (app.selected_row()? == "alpha").then_some(())
    })
    .await;
    key(&grid, "End", false);
    wait_for("zeta.md selected", || {
        (app.selected_row()? == "zeta.md").then_some(())
    })
    .await;
    key(&grid, "ArrowUp", false);
    wait_for("b.bin selected", || {
        (app.selected_row()? == "b.bin").then_some(())
    })
    .await;
    // The details pane follows the selection with the exact size.
    wait_for("b.bin's size in the details pane", || {
        let bytes = app.one("[data-field=size]")?.get_attribute("data-bytes")?;
        (bytes == "1024").then_some(())
    })
    .await;
    assert_eq!(app.field("name").as_deref(), Some("b.bin"));

    key(&grid, "Home", false);
    key(&grid, "Enter", false);
    app.wait_for_rows(&["one", "two", "note.txt"]).await;
    // Backspace (outside a text field) goes up and keeps our place on the folder we left.
    let body = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
        .expect("a body");
    key(&body, "Backspace", false);
    app.wait_for_rows(&ROOT_ORDER).await;
    wait_for("alpha selected after going up", || {
        (app.selected_row()? == "alpha").then_some(())
    })
    .await;
    // Alt+Up from inside a folder does the same.
    key(&grid, "Enter", false);
    app.wait_for_rows(&["one", "two", "note.txt"]).await;
    key(&body, "ArrowUp", true);
    app.wait_for_rows(&ROOT_ORDER).await;
}

#[wasm_bindgen_test]
async fn slash_focuses_the_filter() {
    let app = mount(server(), "/");
    app.wait_for_rows(&ROOT_ORDER).await;
    let body = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
        .expect("a body");
    key(&body, "/", false);
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .expect("something has focus");
    assert_eq!(active.get_attribute("type").as_deref(), Some("search"));
    // Typing into the filter must not trigger shortcuts (Backspace edits, not "go up").
    key(&active, "Backspace", false);
    sleep(100).await;
    assert_eq!(app.row_names(), ROOT_ORDER);
}

#[wasm_bindgen_test]
async fn deep_link_opens_the_folder_with_the_file_selected() {
    let app = mount(server(), "/alpha/?sel=note.txt");
    app.wait_for_rows(&["one", "two", "note.txt"]).await;
    wait_for("note.txt selected", || {
        (app.selected_row()? == "note.txt").then_some(())
    })
    .await;
    wait_for("note.txt's size", || {
        let bytes = app.one("[data-field=size]")?.get_attribute("data-bytes")?;
        (bytes == "6").then_some(())
    })
    .await;
    assert_eq!(app.field("path").as_deref(), Some("/alpha/note.txt"));
}

#[wasm_bindgen_test]
async fn empty_folder_says_so() {
    let app = mount(server(), "/empty/");
    app.wait_for_text("This folder is empty.").await;
    assert!(app.row_names().is_empty());
}

#[wasm_bindgen_test]
async fn missing_folder_shows_not_found() {
    let app = mount(server(), "/no-such-folder/");
    app.wait_for_text("Folder not found").await;
    assert!(app.one("[role=alert]").is_some());
}

#[wasm_bindgen_test]
async fn unreachable_server_is_explained() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let app = mount("http://127.0.0.1:9", "/");
    app.wait_for_text("Can't reach the server").await;
    app.wait_for_text("http://127.0.0.1:9").await;
}

#[wasm_bindgen_test]
async fn server_that_does_not_speak_rfsapi_is_explained() {
    // The test runner's own origin serves plain HTML and knows nothing of RFSAPI.
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .expect("an origin");
    let app = mount(&origin, "/");
    app.wait_for_text("doesn't speak RFSAPI").await;
    // …and offers to browse another server instead of leaving the user stuck.
    assert!(app.one("form input[type=url][name=server]").is_some());
}

#[wasm_bindgen_test]
async fn sort_and_filter_come_from_the_address_and_go_back_to_it() {
    // By size, largest first, names containing "a": folders first (size 0, by name).
    let app = mount(server(), "/?sort=size&desc=1&q=a");
    app.wait_for_rows(&["alpha", "beta", "zeta.md", "a.txt"])
        .await;
    let input: HtmlInputElement = app
        .html("input[type=search]")
        .dyn_into()
        .expect("the filter is an input");
    assert_eq!(input.value(), "a");
    // Sorting by name (the default) leaves only the filter in the address.
    app.html("[role=columnheader]:nth-child(1) button").click();
    app.wait_for_rows(&["alpha", "beta", "a.txt", "zeta.md"])
        .await;
    let hash = || web_sys::window().and_then(|w| w.location().hash().ok());
    wait_for("the fragment to follow", || {
        (hash()? == "#/?q=a").then_some(())
    })
    .await;
}
