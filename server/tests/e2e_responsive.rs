//! The responsive layout, end to end in headless Chromium: at a phone (320×640, 390×844),
//! a laptop at 200 % zoom (700×450), a phone on its side (844×390) and a desktop
//! (1400×900), in light and dark, the main view, a selected file and the move dialog fit
//! the width, show rows (name and size always among the columns) where the listing is the
//! visible pane, keep the filter box in view, leave nothing drawn over the details heading
//! or the back button, give a finger 44 px on phones, and pass axe-core. On a touch phone: taps open
//! folders and show a file's details, Back returns, the folder pane and the actions menu
//! work, and every button and row is at least 44 px tall.

mod browser;

use std::path::Path;

use browser::device::{Size, SIZES};
use browser::{Browser, Server};

/// Widths at which one pane is shown at a time (keep in step with `SINGLE_PANE` in
/// src/components/panes.rs).
const SINGLE_PANE_MAX: u32 = 640;

const LISTING: &str = "section[aria-label=Files]";
const LISTING_BODY: &str = "section[aria-label=Files] [role=grid]";
const DETAILS_TITLE: &str = "aside[aria-label=Details] h2";
const BACK: &str = "[data-action=back-to-files]";
const FOLDERS: &str = "[data-action=show-folders]";
const MORE: &str = "[data-action=more-actions]";

/// Longer than Chromium's double-tap timeout (300 ms): the pause of a person between taps.
const A_LOOK: std::time::Duration = std::time::Duration::from_millis(400);

/// Something like the demo folder: nesting, unicode, a long name, many entries.
fn fixture(root: &Path) {
    let files: [(&str, &str); 8] = [
        ("README.md", "# Skiff demo\n"),
        ("notes.txt", "Plain text.\nSecond line.\n"),
        ("data.json", "{ \"entries\": [1, 2, 3] }\n"),
        ("table.csv", "id,name\n1,alpha\n"),
        ("projects/skiff/src/main.rs", "fn main() {}\n"),
        ("projects/skiff/docs/guide.md", "# Guide\n"),
        ("Ünïcödé/café crème.txt", "Accents.\n"),
        (
            "a rather long file name that will not fit on a phone screen at all.txt",
            "long\n",
        ),
    ];
    for (path, contents) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
    // "300 KiB": as wide as a size gets in the Size column.
    std::fs::write(root.join("blob.bin"), vec![7u8; 300 * 1024]).expect("write");
    for index in 1..=40 {
        let path = root.join(format!("many/item-{index:03}.txt"));
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, format!("item {index}\n")).expect("write");
    }
    std::fs::create_dir_all(root.join("empty folder")).expect("mkdir");
}

/// What is wrong with the view now, at `size`, each line prefixed with `view`.
async fn layout_problems(
    browser: &Browser,
    size: &Size,
    view: &str,
    listing_shown: bool,
) -> Vec<String> {
    let mut problems: Vec<String> = browser
        .horizontal_overflow(size.width)
        .await
        .into_iter()
        .map(|problem| format!("{view}: overflow: {problem}"))
        .collect();
    if listing_shown {
        let rows = browser
            .client
            .execute(
                "return document.querySelectorAll('[role=row][data-name]').length",
                vec![],
            )
            .await
            .expect("count the rows");
        if rows.as_u64().unwrap_or_default() == 0 {
            problems.push(format!("{view}: the listing shows no rows"));
        }
        // Columns drop by priority instead: Size and Modified, when shown, are whole
        // (a long type may end in "…"; it has the whole on hover).
        let cut = browser
            .client
            .execute(
                "return [...document.querySelectorAll(
                        '[role=row][data-name] > [role=gridcell]:is(:nth-child(2), :nth-child(3))')]
                    .filter(cell => cell.getClientRects().length
                        && cell.scrollWidth > cell.clientWidth)
                    .map(cell => cell.textContent)",
                vec![],
            )
            .await
            .expect("look for cut cells");
        let cut: Vec<String> = serde_json::from_value(cut).expect("a list");
        if !cut.is_empty() {
            problems.push(format!("{view}: cells cut short: {cut:?}"));
        }
        let height = browser.height_of(LISTING_BODY).await;
        if height <= 100.0 {
            problems.push(format!("{view}: the listing is {height:.0} px tall"));
        }
        // Columns drop by priority, but the name and the size always stay.
        let missing = browser
            .client
            .execute(
                "const cells = [...document.querySelector('[role=row][data-name]').children];
                 return ['name', 'size'].filter((column, i) => !(cells[i]
                    && cells[i].getClientRects().length
                    && cells[i].getBoundingClientRect().width >= 40));",
                vec![],
            )
            .await
            .expect("look at the columns");
        let missing: Vec<String> = serde_json::from_value(missing).expect("a list");
        if !missing.is_empty() {
            problems.push(format!("{view}: columns gone: {missing:?}"));
        }
    }
    if size.mobile {
        problems.extend(
            small_touch_targets(browser)
                .await
                .into_iter()
                .map(|problem| format!("{view}: under a finger's 44 px: {problem}")),
        );
    }
    problems.extend(
        // Every axe violation, minor ones included: the issue asks for zero.
        browser
            .every_axe_violation()
            .await
            .into_iter()
            .map(|problem| format!("{view}: axe: {problem}")),
    );
    problems
}

/// Opens the Move dialog for the selection: from the toolbar where it fits, from the
/// actions menu where the toolbar is collapsed into it.
async fn open_move_dialog(browser: &Browser) {
    if browser.is_shown(MORE).await {
        browser
            .element(MORE)
            .await
            .click()
            .await
            .expect("open the actions menu");
        browser
            .wait_until("the actions menu", "document.querySelector('[role=menu]')")
            .await;
        browser
            .client
            .execute(
                "[...document.querySelectorAll('[role=menuitem]')]
                    .find(b => b.textContent === 'Move to…').click()",
                vec![],
            )
            .await
            .expect("choose Move to…");
    } else {
        browser
            .client
            .execute(
                "[...document.querySelectorAll('[role=toolbar] button')]
                    .find(b => b.textContent === 'Move to…').click()",
                vec![],
            )
            .await
            .expect("click Move to…");
    }
    browser
        .wait_until("the move dialog", "document.querySelector('dialog[open]')")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_size_and_theme_fits_shows_rows_and_passes_axe() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    let mut problems = Vec::new();
    for size in &SIZES {
        // Phones with touch: the touch-sized rules (`pointer: coarse`) apply and are checked.
        browser
            .emulate_device(size.width, size.height, size.mobile, size.mobile)
            .await;
        let single = size.width <= SINGLE_PANE_MAX;
        for dark in [false, true] {
            browser.set_dark(dark).await;
            let name = format!(
                "{}x{}-{}",
                size.width,
                size.height,
                if dark { "dark" } else { "light" }
            );

            browser.open(&format!("{}/", server.url)).await;
            browser
                .wait_until(
                    "rows",
                    "document.querySelector('[role=row][data-name=\"notes.txt\"]')",
                )
                .await;
            browser.screenshot(&format!("responsive-{name}-main")).await;
            problems.extend(layout_problems(&browser, size, &format!("{name} main"), true).await);
            // The filter box is in view and usable (it used to sit off-screen on a phone).
            problems.extend(
                browser
                    .placement_problems("input[type=search]", if size.mobile { 44.0 } else { 1.0 })
                    .await
                    .into_iter()
                    .map(|problem| format!("{name} main: filter: {problem}")),
            );

            browser.click_row("notes.txt", None).await;
            browser
                .wait_until(
                    "the details of notes.txt",
                    &format!("[...document.querySelectorAll({DETAILS_TITLE:?})].some(h => h.textContent.includes('notes.txt') && h.getClientRects().length)"),
                )
                .await;
            browser
                .screenshot(&format!("responsive-{name}-selected"))
                .await;
            let view = format!("{name} selected");
            if !browser.is_uncovered(DETAILS_TITLE).await {
                problems.push(format!(
                    "{view}: something is drawn over the details heading"
                ));
            }
            if single {
                if !(browser.is_shown(BACK).await && browser.is_uncovered(BACK).await) {
                    problems.push(format!("{view}: no visible way back to the files"));
                }
                if browser.is_shown(LISTING).await {
                    problems.push(format!(
                        "{view}: the listing shares the narrow screen with the details"
                    ));
                }
            }
            problems.extend(layout_problems(&browser, size, &view, !single).await);

            if single && !browser.is_shown(MORE).await {
                problems.push(format!("{name}: the toolbar is not collapsed into a menu"));
            }
            open_move_dialog(&browser).await;
            browser.screenshot(&format!("responsive-{name}-move")).await;
            problems.extend(
                layout_problems(&browser, size, &format!("{name} move dialog"), false).await,
            );
            // Cancel and Move are in view as the dialog opens, however short the window.
            problems.extend(
                browser
                    .placement_problems("dialog[open] form > div:last-child button", 1.0)
                    .await
                    .into_iter()
                    .map(|problem| format!("{name} move dialog: {problem}")),
            );
        }
    }
    browser.close().await;
    assert!(
        problems.is_empty(),
        "{} layout problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The breadcrumb of a deep folder is one line with the current folder's name readable.
async fn breadcrumb_problems(browser: &Browser, view: &str) -> Vec<String> {
    let found = browser
        .client
        .execute(
            "const nav = document.querySelector('nav[aria-label=Breadcrumb]');
             const current = nav && nav.querySelector('[aria-current=page]');
             if (!current) return ['no current crumb'];
             const problems = [];
             const height = nav.getBoundingClientRect().height;
             if (height > 48) problems.push(`the breadcrumb is ${height} px tall (wrapped)`);
             const width = current.getBoundingClientRect().width;
             if (width < 30) problems.push(`the current folder's crumb is ${width} px wide`);
             return problems;",
            vec![],
        )
        .await
        .expect("measure the breadcrumb");
    let found: Vec<String> = serde_json::from_value(found).expect("a list");
    found
        .into_iter()
        .map(|problem| format!("{view}: {problem}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn deep_breadcrumbs_stay_on_one_line_at_every_size() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &[]);
    let browser = Browser::start().await;
    let mut problems = Vec::new();
    for size in &SIZES {
        browser
            .emulate_device(size.width, size.height, size.mobile, false)
            .await;
        browser
            .open(&format!("{}/projects/skiff/docs/", server.url))
            .await;
        browser.wait_for_rows(&["guide.md"]).await;
        let view = format!("{}x{} /projects/skiff/docs/", size.width, size.height);
        problems.extend(breadcrumb_problems(&browser, &view).await);
        problems.extend(
            browser
                .horizontal_overflow(size.width)
                .await
                .into_iter()
                .map(|problem| format!("{view}: overflow: {problem}")),
        );
    }
    browser.close().await;
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Visible buttons, links (but those inside a sentence or value, which WCAG 2.5.5
/// exempts), fields, rows and tree items shorter than 44 px.
async fn small_touch_targets(browser: &Browser) -> Vec<String> {
    let found = browser
        .client
        .execute(
            "return [...document.querySelectorAll(
                    'button, a[href]:not(dd a, p a), input:not([type=file]), [role=row][data-name], [role=treeitem]')]
                .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
                .filter(e => !e.closest('.visually-hidden'))
                .filter(e => !e.closest('[role=row][data-name], [role=treeitem]') || e.matches('[role=row], [role=treeitem]'))
                .map(e => [e, e.getBoundingClientRect().height])
                .filter(([e, h]) => h < 44)
                .map(([e, h]) => `${e.tagName.toLowerCase()} “${(e.innerText || e.ariaLabel || e.name || '').slice(0, 30)}” is ${h} px tall`);",
            vec![],
        )
        .await
        .expect("measure the touch targets");
    serde_json::from_value(found).expect("a list")
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_touch_phone_taps_open_folders_show_details_and_go_back() {
    let tree = tempfile::tempdir().expect("a temp folder");
    fixture(tree.path());
    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    browser.emulate_device(390, 844, true, true).await;
    browser.open(&format!("{}/", server.url)).await;
    browser
        .wait_until(
            "rows",
            "document.querySelector('[role=row][data-name=projects]')",
        )
        .await;
    let small = small_touch_targets(&browser).await;
    assert!(
        small.is_empty(),
        "touch targets under 44 px:\n{}",
        small.join("\n")
    );

    // The upload buttons wait behind the header's menu button, and fit when shown.
    browser.tap("[data-action=header-menu]").await;
    browser
        .wait_until(
            "the header menu",
            "document.querySelector('#header-tools button')?.getClientRects().length",
        )
        .await;
    assert!(
        browser.is_uncovered("#header-tools button").await,
        "the header menu is covered"
    );
    let overflow = browser.horizontal_overflow(390).await;
    assert!(
        overflow.is_empty(),
        "the header menu overflows: {overflow:?}"
    );
    let small = small_touch_targets(&browser).await;
    assert!(
        small.is_empty(),
        "touch targets under 44 px in the header menu:\n{}",
        small.join("\n")
    );
    tokio::time::sleep(A_LOOK).await;
    browser.tap_at(195.0, 820.0).await; // the empty end of the listing
    browser
        .wait_until(
            "the header menu to close",
            "!document.querySelector('#header-tools button').getClientRects().length",
        )
        .await;
    tokio::time::sleep(A_LOOK).await;

    // One tap opens a folder (a double tap used to only select it). A person looks
    // before tapping again: taps quicker than that, on the same spot, are a double tap.
    browser.tap("[role=row][data-name=projects]").await;
    browser.wait_for_rows(&["skiff"]).await;
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=row][data-name=skiff]").await;
    browser.wait_for_rows(&["docs", "src"]).await;
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=row][data-name=docs]").await;
    browser.wait_for_rows(&["guide.md"]).await;
    let url = browser.client.current_url().await.expect("the URL");
    assert_eq!(url.path(), "/projects/skiff/docs/");
    let crumbs = breadcrumb_problems(&browser, "390x844 touch").await;
    assert!(crumbs.is_empty(), "{crumbs:?}");

    // A tap on a file shows its details, alone on the screen, with a way back.
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=row][data-name=\"guide.md\"]").await;
    browser
        .wait_until(
            "the details of guide.md",
            &format!("[...document.querySelectorAll({DETAILS_TITLE:?})].some(h => h.textContent.includes('guide.md') && h.getClientRects().length)"),
        )
        .await;
    browser.screenshot("responsive-touch-details").await;
    assert!(
        !browser.is_shown(LISTING).await,
        "the listing stays beside the details on a phone"
    );
    assert!(
        browser.is_uncovered(BACK).await,
        "the back button is covered"
    );
    let small = small_touch_targets(&browser).await;
    assert!(
        small.is_empty(),
        "touch targets under 44 px in the details:\n{}",
        small.join("\n")
    );
    browser.tap(BACK).await;
    browser
        .wait_until(
            "the listing again",
            &format!("document.querySelector({LISTING:?}).getClientRects().length"),
        )
        .await;
    assert!(
        browser.height_of(LISTING_BODY).await > 100.0,
        "the listing is back at full height"
    );
    browser.wait_for_rows(&["guide.md"]).await;

    // A double tap on a folder opens it once and does not act on what lands under the
    // finger in the folder it opened.
    browser.tap(FOLDERS).await;
    browser
        .wait_until(
            "the folder tree",
            "document.querySelector('nav[aria-label=Folders]').getClientRects().length",
        )
        .await;
    assert!(
        !browser.is_shown(LISTING).await,
        "the tree shares the phone screen with the listing"
    );
    let small = small_touch_targets(&browser).await;
    assert!(
        small.is_empty(),
        "touch targets under 44 px in the tree:\n{}",
        small.join("\n")
    );
    browser.screenshot("responsive-touch-folders").await;
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=treeitem][data-path='/'] a").await;
    browser
        .wait_until(
            "the root listing",
            "document.querySelector('[role=row][data-name=many]')",
        )
        .await;
    assert!(
        browser.is_shown(LISTING).await,
        "choosing a folder in the tree shows its files"
    );
    tokio::time::sleep(A_LOOK).await;
    browser.double_tap("[role=row][data-name=many]").await;
    browser
        .wait_until(
            "the folder many",
            "document.querySelector('[role=row][data-name=\"item-001.txt\"]')",
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let url = browser.client.current_url().await.expect("the URL");
    assert_eq!(url.path(), "/many/");
    assert!(
        browser.is_shown(LISTING).await,
        "the second tap of a double tap opened something"
    );

    // The toolbar is a menu on a phone, and it offers the file actions.
    tokio::time::sleep(A_LOOK).await;
    browser.tap("[role=row][data-name=\"item-002.txt\"]").await;
    browser
        .wait_until("the details", &format!("document.querySelector({BACK:?})"))
        .await;
    browser.tap(MORE).await;
    browser
        .wait_until("the actions menu", "document.querySelector('[role=menu]')")
        .await;
    let items = browser
        .client
        .execute(
            "return [...document.querySelectorAll('[role=menu] [role=menuitem]:not([disabled])')]
                .map(b => b.textContent)",
            vec![],
        )
        .await
        .expect("read the menu");
    let items: Vec<String> = serde_json::from_value(items).expect("a list");
    for wanted in ["Rename", "Move to…", "Copy to…", "Download", "Delete"] {
        assert!(
            items.iter().any(|item| item == wanted),
            "{wanted} missing from the menu {items:?}"
        );
    }
    let overflow = browser.horizontal_overflow(390).await;
    assert!(overflow.is_empty(), "the menu overflows: {overflow:?}");
    let small = small_touch_targets(&browser).await;
    assert!(
        small.is_empty(),
        "touch targets under 44 px in the menu:\n{}",
        small.join("\n")
    );
    browser.screenshot("responsive-touch-menu").await;
    browser.close().await;
}
