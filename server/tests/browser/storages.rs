//! The admin's Storages view, driven as a person would: typing into the "Add
//! storage" form and clicking its controls.

use super::Browser;

/// Types `value` into the "Add storage" field `key` (its input's `name`).
pub async fn fill(browser: &Browser, key: &str, value: &str) {
    let input = browser
        .element(&format!("[data-form=add-storage] input[name={key}]"))
        .await;
    input.clear().await.expect("clear the field");
    input.send_keys(value).await.expect("type into the field");
}

/// Clicks the first element matching `css` (waiting for it to exist).
pub async fn click(browser: &Browser, css: &str) {
    browser
        .element(css)
        .await
        .click()
        .await
        .unwrap_or_else(|error| panic!("click {css}: {error}"));
}
