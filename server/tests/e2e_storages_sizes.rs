//! The Storages view (admins) at the five sizes of `browser::device::SIZES` in light and
//! dark: nothing past the right edge, every control a finger's height on a phone, and
//! axe-core with zero violations, with a storage listed and a refusal shown in the form.

mod browser;

use browser::device::{Size, SIZES};
use browser::{Browser, Server};
use serde_json::json;

const ADMIN: &str = "admin-token-sizes";

/// A finger's height in CSS pixels.
const FINGER: f64 = 44.0;

/// Controls of the view shorter than `least` px, named by their text.
async fn short_controls(browser: &Browser, least: f64) -> Vec<String> {
    let found = browser
        .client
        .execute(
            "const least = arguments[0];
             return [...document.querySelectorAll(
                 '[data-screen=storages] button, [data-screen=storages] input:not([type=radio]), [data-screen=storages] label:has(input[type=radio])')]
                .filter(e => e.getClientRects().length)
                .filter(e => e.getBoundingClientRect().height < least)
                .map(e => `${e.tagName.toLowerCase()} “${(e.innerText || e.name || '').slice(0, 30)}” is ${e.getBoundingClientRect().height} px tall`);",
            vec![json!(least)],
        )
        .await
        .expect("measure the controls");
    serde_json::from_value(found).expect("a list of problems")
}

fn view_name(size: &Size, dark: bool) -> String {
    let theme = if dark { "dark" } else { "light" };
    format!("{}x{}-{theme}", size.width, size.height)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_storages_view_fits_every_size_and_theme() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let backend = tempfile::tempdir().expect("the storage's folder");
    let server = Server::start(
        tree.path(),
        &["--writable", "--token", &format!("boss:{ADMIN}:admin")],
    );
    let backend_url =
        url::Url::from_file_path(std::fs::canonicalize(backend.path()).expect("real"))
            .expect("absolute")
            .to_string();
    let created = reqwest::Client::new()
        .post(format!("{}/.skiff/api/storages", server.url))
        .bearer_auth(ADMIN)
        .json(
            &json!({"name": "archive-with-a-long-name", "label": "Archive of the long-gone years",
                      "type": "local", "url": backend_url}),
        )
        .send()
        .await
        .expect("POST storages");
    assert_eq!(created.status(), 201);

    let browser = Browser::start().await;
    let page = format!("{}/?view=storages", server.url);
    browser.open(&page).await;
    browser
        .element("[data-screen=sign-in] input[name=token]")
        .await
        .send_keys(&format!("{ADMIN}\u{E007}"))
        .await
        .expect("sign in");
    // On a phone the Storages button is in the header's menu, a tap away.
    let phone = &SIZES[0];
    browser
        .emulate_device(phone.width, phone.height, phone.mobile, true)
        .await;
    browser.open(&format!("{}/", server.url)).await;
    browser.tap("[data-action=header-menu]").await;
    browser.tap("[data-action=open-storages]").await;
    browser
        .wait_until(
            "the view opened from the menu",
            "document.querySelector('[data-screen=storages]') && location.search === '?view=storages'",
        )
        .await;
    let mut problems = Vec::new();
    for size in &SIZES {
        browser
            .emulate_device(size.width, size.height, size.mobile, size.mobile)
            .await;
        browser.open(&page).await;
        browser
            .wait_until(
                "the view with both storages",
                "document.querySelectorAll('[data-screen=storages] [data-storage]').length === 2",
            )
            .await;
        // A refusal in the form, so its look is checked too.
        browser
            .element("[data-action=add-storage]")
            .await
            .click()
            .await
            .expect("submit the empty form");
        browser
            .wait_until(
                "the name's refusal",
                "document.querySelector('[data-field=name] [role=alert]')",
            )
            .await;
        for dark in [false, true] {
            browser.set_dark(dark).await;
            let view = view_name(size, dark);
            let mut found: Vec<String> = browser
                .horizontal_overflow(size.width)
                .await
                .into_iter()
                .map(|problem| format!("overflow: {problem}"))
                .collect();
            if size.mobile {
                found.extend(short_controls(&browser, FINGER).await);
            }
            found.extend(
                browser
                    .every_axe_violation()
                    .await
                    .into_iter()
                    .map(|problem| format!("axe: {problem}")),
            );
            problems.extend(
                found
                    .into_iter()
                    .map(|problem| format!("{view}: {problem}")),
            );
            browser.screenshot(&format!("storages-{view}")).await;
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
