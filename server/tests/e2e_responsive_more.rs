//! The responsive layout of the two screens `e2e_responsive` leaves out, end to end in
//! headless Chromium at a phone (320×640, 390×844), a laptop at 200 % zoom (700×450), a
//! phone on its side (844×390) and a desktop (1400×900), in light and dark: the upload
//! panel asking about a name conflict (Replace, Keep both and Skip inside the viewport,
//! finger-sized on a phone) and the sign-in screen (the token field and the button inside
//! the viewport). Nothing overflows the width, the listing keeps rows in view beside the
//! question, and axe-core finds no violation at all.

mod browser;

use browser::device::{Size, SIZES};
use browser::uploads::{pick_files, wait_for_status, wait_for_uploads_enabled};
use browser::{Browser, Server};

/// WCAG 2.5.5: the least height of a target a finger has to hit.
const FINGER: f64 = 44.0;

const CONFLICT_CARD: &str = "section[aria-label=Uploads] [role=group][data-status=Conflict]";
const TOKEN_FIELD: &str = "[data-screen=sign-in] input[name=token]";
const SIGN_IN_BUTTON: &str = "[data-screen=sign-in] button[type=submit]";

/// `320x640-dark` and the like, for screenshots and messages.
fn view_name(size: &Size, dark: bool) -> String {
    format!(
        "{}x{}-{}",
        size.width,
        size.height,
        if dark { "dark" } else { "light" }
    )
}

/// Overflow past the width and every axe-core violation, each prefixed with `view`.
async fn width_and_axe_problems(browser: &Browser, size: &Size, view: &str) -> Vec<String> {
    let mut problems: Vec<String> = browser
        .horizontal_overflow(size.width)
        .await
        .into_iter()
        .map(|problem| format!("{view}: overflow: {problem}"))
        .collect();
    problems.extend(
        browser
            .every_axe_violation()
            .await
            .into_iter()
            .map(|problem| format!("{view}: axe: {problem}")),
    );
    problems
}

/// Whether a listing row is on screen and drawn on top (not hidden under the upload panel).
async fn rows_in_view(browser: &Browser) -> bool {
    let found = browser
        .client
        .execute(
            "return [...document.querySelectorAll('[role=row][data-name]')].some(row => {
                const r = row.getBoundingClientRect();
                if (!r.height || r.bottom <= 0 || r.top >= innerHeight) return false;
                const top = document.elementFromPoint(r.x + 8, r.y + r.height / 2);
                return !!top && row.contains(top);
             })",
            vec![],
        )
        .await
        .expect("look for rows");
    found == serde_json::Value::Bool(true)
}

/// The least height a control must have at `size`: a finger's on a phone.
fn least_height(size: &Size) -> f64 {
    if size.mobile {
        FINGER
    } else {
        1.0
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_conflict_question_fits_every_size_and_theme() {
    let tree = tempfile::tempdir().expect("a temp folder");
    let sources = tempfile::tempdir().expect("a source folder");
    std::fs::write(tree.path().join("a.txt"), b"on the server\n").expect("write");
    std::fs::write(tree.path().join("notes.txt"), b"another file\n").expect("write");
    let local = sources.path().join("a.txt");
    std::fs::write(&local, b"the one being uploaded, longer\n").expect("write");

    let server = Server::start(tree.path(), &["--writable"]);
    let browser = Browser::start().await;
    let mut problems = Vec::new();
    for size in &SIZES {
        browser
            .emulate_device(size.width, size.height, size.mobile, size.mobile)
            .await;
        // A fresh page per size: the layout as it is first drawn there.
        browser.open(&format!("{}/", server.url)).await;
        browser.wait_for_rows(&["a.txt", "notes.txt"]).await;
        wait_for_uploads_enabled(&browser).await;
        pick_files(&browser, "files", &local).await;
        wait_for_status(&browser, "a.txt", "Conflict").await;
        browser
            .wait_until(
                "the conflict question with the server's copy",
                &format!(
                    "document.querySelector({:?})",
                    format!("{CONFLICT_CARD} [data-version=server][title]")
                ),
            )
            .await;
        for dark in [false, true] {
            browser.set_dark(dark).await;
            let view = format!("{} conflict", view_name(size, dark));
            problems.extend(
                browser
                    .placement_problems(&format!("{CONFLICT_CARD} button"), least_height(size))
                    .await
                    .into_iter()
                    .map(|problem| format!("{view}: {problem}")),
            );
            let labels = browser
                .client
                .execute(
                    "return [...document.querySelectorAll(arguments[0])].map(b => b.textContent)",
                    vec![serde_json::json!(format!("{CONFLICT_CARD} button"))],
                )
                .await
                .expect("read the buttons");
            let labels: Vec<String> = serde_json::from_value(labels).expect("a list");
            for wanted in ["Replace", "Keep both", "Skip"] {
                if !labels.iter().any(|label| label == wanted) {
                    problems.push(format!("{view}: no {wanted} button in {labels:?}"));
                }
            }
            if !rows_in_view(&browser).await {
                problems.push(format!(
                    "{view}: no listing row in view beside the question"
                ));
            }
            problems.extend(width_and_axe_problems(&browser, size, &view).await);
            browser
                .screenshot(&format!("responsive-{}-conflict", view_name(size, dark)))
                .await;
        }
        // Skip, so the next size starts without a question pending.
        browser
            .client
            .execute(
                "[...document.querySelectorAll(arguments[0])]
                    .find(b => b.textContent === 'Skip').click()",
                vec![serde_json::json!(format!("{CONFLICT_CARD} button"))],
            )
            .await
            .expect("click Skip");
        browser
            .wait_until(
                "the question to go",
                &format!("!document.querySelector({CONFLICT_CARD:?})"),
            )
            .await;
    }
    browser.close().await;
    assert_eq!(
        std::fs::read(tree.path().join("a.txt")).expect("read a.txt"),
        b"on the server\n",
        "Skip changed the server's copy"
    );
    assert!(
        problems.is_empty(),
        "{} layout problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sign_in_screen_fits_every_size_and_theme() {
    let tree = tempfile::tempdir().expect("a temp folder");
    std::fs::write(tree.path().join("private.txt"), "secret").expect("write");
    let server = Server::start(tree.path(), &["--token", "bob:s3cret-ro-token:ro"]);
    let browser = Browser::start().await;
    let mut problems = Vec::new();
    for size in &SIZES {
        browser
            .emulate_device(size.width, size.height, size.mobile, size.mobile)
            .await;
        browser.open(&format!("{}/", server.url)).await;
        browser
            .wait_until(
                "the sign-in screen",
                &format!("document.querySelector({TOKEN_FIELD:?})"),
            )
            .await;
        for dark in [false, true] {
            browser.set_dark(dark).await;
            let view = format!("{} sign-in", view_name(size, dark));
            for control in [TOKEN_FIELD, SIGN_IN_BUTTON] {
                problems.extend(
                    browser
                        .placement_problems(control, least_height(size))
                        .await
                        .into_iter()
                        .map(|problem| format!("{view}: {problem}")),
                );
            }
            problems.extend(width_and_axe_problems(&browser, size, &view).await);
            browser
                .screenshot(&format!("responsive-{}-sign-in", view_name(size, dark)))
                .await;
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
