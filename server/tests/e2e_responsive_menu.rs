//! The context menu stays inside the window, end to end in headless Chromium: opened by a
//! long press on a phone (320×640, touch) and by a right click or Shift+F10 on a desktop
//! (1400×900), on the last row in view at the window's right edge, every item of the menu
//! is inside the viewport and can be used where it is.

mod browser;

use browser::device::Size;
use browser::files::press;
use browser::{Browser, Server};
use fantoccini::key::Key;

const MENU: &str = "[role=menu]";
const MENU_ITEMS: &str = "[role=menu] [role=menuitem]";

/// A folder with more files than any window shows, so a row sits at the bottom edge.
fn fixture(root: &std::path::Path) {
    for index in 1..=60 {
        std::fs::write(root.join(format!("item-{index:03}.txt")), "x").expect("write");
    }
}

/// The last listing row wholly in view: its name, and a point inside it 6 px from its
/// right end (or the window's, if the row goes on past it) and from its bottom.
async fn last_row_in_view(browser: &Browser) -> (String, f64, f64) {
    let found = browser
        .client
        .execute(
            "const rows = [...document.querySelectorAll('[role=row][data-name]')]
                .map(row => [row, row.getBoundingClientRect()])
                .filter(([row, r]) => r.height && r.top >= 0 && r.bottom <= innerHeight)
                .sort((a, b) => b[1].bottom - a[1].bottom);
             if (!rows.length) return null;
             const [row, r] = rows[0];
             return [row.dataset.name, Math.min(r.right, innerWidth) - 6, r.bottom - 6];",
            vec![],
        )
        .await
        .expect("find the last row");
    let found: (String, f64, f64) =
        serde_json::from_value(found).expect("a row in view at the bottom");
    found
}

/// What keeps the open menu or any of its items from being seen and used where it is.
async fn menu_problems(browser: &Browser, size: &Size, how: &str) -> Vec<String> {
    let least = if size.mobile { 44.0 } else { 1.0 };
    let mut problems = browser.placement_problems(MENU, 1.0).await;
    problems.extend(browser.placement_problems(MENU_ITEMS, least).await);
    problems
        .into_iter()
        .map(|problem| format!("{}x{} {how}: {problem}", size.width, size.height))
        .collect()
}

async fn wait_for_menu(browser: &Browser) {
    browser
        .wait_until(
            "the context menu",
            &format!("document.querySelector({MENU:?})"),
        )
        .await;
    // It is placed once drawn: wait for the frame after.
    browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            vec![],
        )
        .await
        .expect("wait two frames");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_press_at_the_bottom_right_of_a_phone_keeps_the_menu_on_screen() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    let size = Size {
        width: 320,
        height: 640,
        mobile: true,
    };
    browser
        .emulate_device(size.width, size.height, size.mobile, true)
        .await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .element("[role=row][data-name=\"item-001.txt\"]")
        .await;
    browser.element("[role=toolbar]").await;
    let (name, x, y) = last_row_in_view(&browser).await;
    browser.long_press_at(x, y).await;
    wait_for_menu(&browser).await;
    browser.screenshot("menu-320x640-long-press").await;
    let problems = menu_problems(&browser, &size, "long press").await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The menu is for the row pressed, and its files stay on screen behind it.
    browser
        .wait_until(
            &format!("{name} selected"),
            &format!("new URLSearchParams(location.search).get('sel') === {name:?}"),
        )
        .await;
    assert!(browser.is_shown("section[aria-label=Files]").await);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn right_click_and_shift_f10_at_the_bottom_of_a_desktop_keep_the_menu_on_screen() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    let size = Size {
        width: 1400,
        height: 900,
        mobile: false,
    };
    browser
        .emulate_device(size.width, size.height, size.mobile, false)
        .await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .element("[role=row][data-name=\"item-001.txt\"]")
        .await;
    browser.element("[role=toolbar]").await;
    let (name, x, y) = last_row_in_view(&browser).await;
    browser.right_click_at(x, y).await;
    wait_for_menu(&browser).await;
    browser.screenshot("menu-1400x900-right-click").await;
    let mut problems = menu_problems(&browser, &size, "right click").await;
    browser
        .wait_until(
            &format!("{name} selected"),
            &format!("new URLSearchParams(location.search).get('sel') === {name:?}"),
        )
        .await;

    // Esc closes it and gives the listing the keyboard; Shift+F10 opens it under the row.
    press(&browser, &Key::Escape.to_string()).await;
    browser
        .wait_until(
            "the menu closed",
            &format!("!document.querySelector({MENU:?})"),
        )
        .await;
    press(&browser, &format!("{}{}", Key::Shift, Key::F10)).await;
    wait_for_menu(&browser).await;
    problems.extend(menu_problems(&browser, &size, "Shift+F10").await);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    browser.close().await;
}
