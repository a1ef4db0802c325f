//! End-to-end: the admin's Storages view (PROTOCOL.md §5, issue 11 "The app") in Chromium
//! against the real skiff-server with an admin token. A local storage added through the
//! form shows in the list (and after a reload), its label is renamed in place, and Remove
//! (confirmed) forgets it while its files stay on disk. A refused storage gets the
//! server's own words under the field they name. A read-write token never sees any of
//! it, but sees a mounted storage as a folder with its label and a storage icon in the
//! tree and listing, and the details say which storage a file lives on. The view at five
//! sizes in two themes: `e2e_storages_sizes.rs`.

mod browser;

use std::path::Path;

use browser::files::{answer_dialog, click_button};
use browser::storages::{click, fill};
use browser::{Browser, Server};
use serde_json::json;

const ADMIN: &str = "admin-token-e2e";
const RW: &str = "writer-token-e2e";

/// A writable server with an admin and a read-write token.
fn serve(root: &Path) -> Server {
    Server::start(
        root,
        &[
            "--writable",
            "--token",
            &format!("boss:{ADMIN}:admin"),
            "--token",
            &format!("writer:{RW}:rw"),
        ],
    )
}

/// Opens `path` on `server` and signs in with `token` on the sign-in screen.
async fn sign_in(browser: &Browser, server: &Server, path: &str, token: &str) {
    browser.open(&format!("{}{path}", server.url)).await;
    browser
        .element("[data-screen=sign-in] input[name=token]")
        .await
        .send_keys(token)
        .await
        .expect("type the token");
    browser
        .element("[data-screen=sign-in] button[type=submit]")
        .await
        .click()
        .await
        .expect("click Sign in");
}

/// The text of the first element matching `css` ("" when there is none).
async fn text_of(browser: &Browser, css: &str) -> String {
    let text = browser
        .client
        .execute(
            "return document.querySelector(arguments[0])?.innerText ?? ''",
            vec![json!(css)],
        )
        .await
        .unwrap_or_else(|error| panic!("read {css}: {error}"));
    text.as_str().unwrap_or_default().to_owned()
}

/// `folder` as the `file://` URL the server takes.
fn file_url(folder: &Path) -> String {
    let folder = std::fs::canonicalize(folder).expect("canonical folder");
    url::Url::from_file_path(folder)
        .expect("an absolute path")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_adds_renames_and_removes_a_local_storage() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("hello.txt"), "hi").expect("write");
    let backend = tempfile::tempdir().expect("the storage's folder");
    std::fs::write(backend.path().join("kept.txt"), "kept bytes").expect("write");
    let url = file_url(backend.path());
    let server = serve(tree.path());
    let browser = Browser::start().await;
    sign_in(&browser, &server, "/", ADMIN).await;
    browser.wait_for_rows(&["hello.txt"]).await;

    click(&browser, "[data-action=open-storages]").await;
    browser
        .wait_until(
            "the Storages view with the default storage",
            "document.querySelector('[data-screen=storages] [data-storage] [data-field=mount]')
                ?.innerText === 'The top folder'",
        )
        .await;
    let address = browser.client.current_url().await.expect("the address");
    assert!(address.as_str().ends_with("/?view=storages"), "{address}");
    assert!(!browser.is_shown("[role=grid]").await, "the files show too");

    fill(&browser, "name", "photos").await;
    fill(&browser, "label", "Photo archive").await;
    fill(&browser, "url", &url).await;
    click(&browser, "[data-action=add-storage]").await;
    browser
        .wait_until(
            "the new storage's card",
            "document.querySelector('[data-storage=photos] [data-field=label]')
                ?.innerText === 'Photo archive'",
        )
        .await;
    let card = text_of(&browser, "[data-storage=photos]").await;
    for part in ["Local folder", "/photos/", url.as_str()] {
        assert!(card.contains(part), "{part} missing from the card: {card}");
    }
    assert!(
        text_of(&browser, "[data-storage-status=form]")
            .await
            .contains("Added “Photo archive”"),
        "no word that it was added"
    );

    // The view survives a reload (the address names it).
    browser.client.refresh().await.expect("reload");
    browser
        .wait_until(
            "the view after a reload",
            "document.querySelector('[data-storage=photos]')",
        )
        .await;

    // Rename its label in place: Enter saves.
    click(
        &browser,
        "[data-storage=photos] [data-action=rename-storage]",
    )
    .await;
    let field = browser
        .element("[data-storage=photos] input[name=label]")
        .await;
    field.clear().await.expect("clear the label");
    field
        .send_keys("Holiday photos\u{E007}")
        .await
        .expect("type the label and Enter");
    browser
        .wait_until(
            "the new label",
            "document.querySelector('[data-storage=photos] [data-field=label]')
                ?.innerText === 'Holiday photos'",
        )
        .await;

    // Back to the files, into the storage's folder, and to the view again from there.
    click(&browser, "[data-action=close-storages]").await;
    browser
        .wait_until(
            "the files without the view",
            "document.querySelector('[role=row][data-name=\"hello.txt\"]')
                && !document.querySelector('[data-screen=storages]')
                && !location.search.includes('view=')",
        )
        .await;
    click(&browser, "[role=treeitem][data-path=\"/photos\"] a").await;
    browser.wait_for_rows(&["kept.txt"]).await;
    // File actions work inside the storage: a new folder lands in its folder.
    click_button(&browser, "New folder").await;
    answer_dialog(&browser, "Inside").await;
    browser.wait_for_rows(&["Inside", "kept.txt"]).await;
    assert!(
        backend.path().join("Inside").is_dir(),
        "made in the storage"
    );
    click(&browser, "[data-action=open-storages]").await;
    browser
        .wait_until(
            "the view over the storage's folder",
            "document.querySelector('li[data-storage=photos]') && location.pathname === '/photos/'",
        )
        .await;

    // Remove it: the confirmation says the files stay; they do.
    click(
        &browser,
        "[data-storage=photos] [data-action=remove-storage]",
    )
    .await;
    browser
        .wait_until(
            "the confirmation with the Keep button focused",
            "document.activeElement?.dataset.action === 'cancel-remove'",
        )
        .await;
    let question = text_of(&browser, "[data-confirm=remove-storage]").await;
    let promise = format!("The files stay in {url}; Skiff only forgets this storage.");
    assert!(question.contains(&promise), "{question}");
    click(&browser, "[data-action=confirm-remove]").await;
    browser
        .wait_until(
            "the card gone",
            "!document.querySelector('[data-storage=photos]')
                && document.querySelector('[data-screen=storages] [data-storage]')",
        )
        .await;
    assert_eq!(
        std::fs::read_to_string(backend.path().join("kept.txt")).expect("still on disk"),
        "kept bytes"
    );
    // Its folder is gone, so the files are the top folder's now.
    click(&browser, "[data-action=close-storages]").await;
    browser.wait_for_rows(&["hello.txt"]).await;
    browser
        .wait_until("the top folder", "location.pathname === '/'")
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_storage_gets_the_servers_words_next_to_the_form() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let server = serve(tree.path());
    // What the server says to the same requests, straight from its API.
    let refusal = |body: serde_json::Value| {
        let url = format!("{}/.skiff/api/storages", server.url);
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(ADMIN)
                .json(&body)
                .send()
                .await
                .expect("POST storages");
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.expect("a JSON error");
            (
                status,
                body["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        }
    };
    let (status, bad_url) =
        refusal(json!({"name": "docs", "type": "local", "url": "relative/docs"})).await;
    assert_eq!(status, 400, "{bad_url}");
    let (status, taken) =
        refusal(json!({"name": "default", "type": "local", "url": file_url(tree.path())})).await;
    assert_eq!(status, 409, "{taken}");

    let browser = Browser::start().await;
    sign_in(&browser, &server, "/?view=storages", ADMIN).await;
    fill(&browser, "name", "docs").await;
    fill(&browser, "url", "relative/docs").await;
    click(&browser, "[data-action=add-storage]").await;
    browser
        .wait_until(
            "the refusal under the URL field",
            "document.querySelector('[data-field=url] [role=alert]')",
        )
        .await;
    assert_eq!(
        text_of(&browser, "[data-field=url] [role=alert]").await,
        bad_url
    );
    let described = browser
        .client
        .execute(
            "const input = document.querySelector('[data-form=add-storage] input[name=url]');
             return [input.getAttribute('aria-invalid'), input.getAttribute('aria-describedby'),
                     document.activeElement === input];",
            vec![],
        )
        .await
        .expect("read the field");
    assert_eq!(
        described,
        json!(["true", "storage-hint-url storage-error-url", true]),
        "the field is not marked, described and focused"
    );

    // A taken name (409) is said too, and nothing was added meanwhile.
    fill(&browser, "name", "default").await;
    fill(&browser, "url", &file_url(tree.path())).await;
    click(&browser, "[data-action=add-storage]").await;
    browser
        .wait_until(
            "the 409's words",
            &format!(
                "[...document.querySelectorAll('[data-form=add-storage] [role=alert]')]
                    .some(e => e.innerText === {taken:?})"
            ),
        )
        .await;
    assert!(
        text_of(&browser, "[data-field=url] [role=alert]")
            .await
            .is_empty(),
        "the old refusal stays"
    );
    let cards = browser
        .client
        .execute(
            "return document.querySelectorAll('li[data-storage]').length",
            vec![],
        )
        .await
        .expect("count the cards");
    assert_eq!(cards, json!(1), "only the default storage");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_write_token_sees_mounted_storages_but_no_storage_controls() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("hello.txt"), "hi").expect("write");
    let backend = tempfile::tempdir().expect("the storage's folder");
    std::fs::write(backend.path().join("kept.txt"), "kept bytes").expect("write");
    let server = serve(tree.path());
    // An admin mounted a storage: everyone sees its label, nobody else its controls.
    let created = reqwest::Client::new()
        .post(format!("{}/.skiff/api/storages", server.url))
        .bearer_auth(ADMIN)
        .json(
            &json!({"name": "team", "label": "Team share", "type": "local",
                      "url": file_url(backend.path())}),
        )
        .send()
        .await
        .expect("POST storages");
    assert_eq!(created.status(), 201);

    let browser = Browser::start().await;
    // Even an address that names the view shows this token the files.
    sign_in(&browser, &server, "/?view=storages", RW).await;
    browser
        .wait_until(
            "the files",
            "document.querySelector('[role=row][data-name=\"hello.txt\"]')",
        )
        .await;
    let admin_bits = browser
        .client
        .execute(
            "return [...document.querySelectorAll(
                '[data-action=open-storages], [data-screen=storages], [data-form=add-storage]')]
                .length + [...document.querySelectorAll('button')]
                .filter(b => b.innerText.includes('Storages')).length",
            vec![],
        )
        .await
        .expect("look for admin controls");
    assert_eq!(admin_bits, json!(0), "a rw token sees storage controls");

    // The mounted storage: a folder with its label and a storage icon, in the listing and
    // the tree; a file in it says which storage it lives on.
    browser.wait_for_rows(&["team", "hello.txt"]).await;
    browser
        .wait_until(
            "the label and icon in the listing and the tree",
            "document.querySelector('[role=row][data-name=team] [data-storage-label=team]')
                ?.innerText === 'Team share'
             && document.querySelector('[role=row][data-name=team] [data-storage-icon]')
             && document.querySelector('[role=treeitem][data-path=\"/team\"] [data-storage-label]')
                ?.innerText === 'Team share'",
        )
        .await;
    browser.screenshot("storages-mounted-folder").await;
    click(&browser, "[role=treeitem][data-path=\"/team\"] a").await;
    browser.wait_for_rows(&["kept.txt"]).await;
    browser.click_row("kept.txt", None).await;
    browser
        .wait_until(
            "the storage in the details",
            "document.querySelector('[data-field=storage]')?.innerText
                === 'Team share (Local folder)'",
        )
        .await;
    browser.close().await;
}
