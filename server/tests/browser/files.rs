//! File-action helpers for the end-to-end tests: buttons, dialogs, the keyboard, and
//! waiting for the bytes on disk.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::Locator;

use super::Browser;

/// Clicks the enabled, visible button labelled `label` inside `scope` (a CSS selector;
/// the open dialog wins if there is one).
pub async fn click_button_in(browser: &Browser, scope: &str, label: &str) {
    let clicked = browser
        .client
        .execute(
            "const scope = document.querySelector('dialog[open]')
                || document.querySelector(arguments[1]) || document;
             const button = [...scope.querySelectorAll('button')]
                .find(b => b.textContent.trim() === arguments[0] && !b.disabled
                    && b.offsetParent !== null);
             if (button) button.click();
             return !!button;",
            vec![serde_json::json!(label), serde_json::json!(scope)],
        )
        .await
        .expect("click");
    assert_eq!(
        clicked,
        serde_json::json!(true),
        "no enabled button {label:?} in {scope}"
    );
}

/// Clicks the enabled, visible button labelled `label` (inside the open dialog, if any).
pub async fn click_button(browser: &Browser, label: &str) {
    click_button_in(browser, "body", label).await;
}

/// Waits until the toolbar counts `count` selected entries.
pub async fn wait_for_selected(browser: &Browser, count: usize) {
    browser
        .wait_until(
            &format!("{count} selected"),
            &format!("document.body.innerText.includes('{count} selected')"),
        )
        .await;
}

/// Types `text` into the open dialog's field (replacing what is there) and presses Enter.
pub async fn answer_dialog(browser: &Browser, text: &str) {
    let input = browser.element("dialog[open] input[type=text]").await;
    input.clear().await.expect("clear the field");
    input
        .send_keys(&format!("{text}{}", Key::Enter))
        .await
        .expect("type the answer");
}

/// Sends keys to whatever has focus, as a keyboard does.
pub async fn press(browser: &Browser, keys: &str) {
    browser
        .client
        .active_element()
        .await
        .expect("the focused element")
        .send_keys(keys)
        .await
        .expect("send keys");
}

/// Presses Tab until the focused element matches `css` (at most 60 times).
pub async fn tab_to(browser: &Browser, css: &str) {
    let script = format!(
        "return !!document.activeElement?.matches({})",
        serde_json::json!(css)
    );
    tab_until(browser, css, &script).await;
}

/// Presses Tab until the focused element is the button labelled `label`.
pub async fn tab_to_button(browser: &Browser, label: &str) {
    let script = format!(
        "return document.activeElement?.tagName === 'BUTTON'
            && document.activeElement.textContent.trim() === {}",
        serde_json::json!(label)
    );
    tab_until(browser, &format!("the button {label:?}"), &script).await;
}

async fn tab_until(browser: &Browser, what: &str, script: &str) {
    for _ in 0..60 {
        let there = browser
            .client
            .execute(script, vec![])
            .await
            .expect("read the focus");
        if there == serde_json::json!(true) {
            return;
        }
        press(browser, &Key::Tab.to_string()).await;
    }
    panic!("Tab never reached {what}");
}

/// Fills the last key/value row of the metadata table.
pub async fn fill_last_metadata_row(browser: &Browser, key: &str, value: &str) {
    let rows = browser
        .client
        .find_all(Locator::Css("[data-metadata-row]"))
        .await
        .expect("the rows");
    let row = rows.last().expect("a row");
    let inputs = row
        .find_all(Locator::Css("input"))
        .await
        .expect("the inputs");
    inputs[0].send_keys(key).await.expect("type the key");
    inputs[1].send_keys(value).await.expect("type the value");
}

/// Waits until `relative` below `root` exists (or, with `present == false`, is gone).
pub async fn wait_for_path(root: &Path, relative: &str, present: bool) {
    let started = Instant::now();
    while root.join(relative).exists() != present {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{relative} is {} on disk after 20 s",
            if present {
                "still missing"
            } else {
                "still there"
            }
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The text of the toast (or progress) at the bottom of the window, once it says `part`.
pub async fn wait_for_toast(browser: &Browser, part: &str) -> String {
    let script = format!(
        "[...document.querySelectorAll('[role=status], [role=alert]')].some(t => t.textContent.includes({}))",
        serde_json::json!(part)
    );
    browser
        .wait_until(&format!("a toast saying {part:?}"), &script)
        .await;
    let text = browser
        .client
        .execute(
            "return [...document.querySelectorAll('[role=status], [role=alert]')]
                .map(t => t.textContent).find(t => t.includes(arguments[0]))",
            vec![serde_json::json!(part)],
        )
        .await
        .expect("read the toast");
    text.as_str().unwrap_or_default().to_owned()
}
