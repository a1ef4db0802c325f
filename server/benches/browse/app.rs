//! The app opening the benchmark folder in headless Chromium: when the listing
//! arrived, when its first rows were painted (while the rest still came), when it was
//! all parsed and the whole folder painted, from the marks the app sets.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use crate::browser::Browser;
use crate::progress;
use crate::support::{median_f64, ms_f64, thousands};
use crate::ENTRIES;

/// Timed page loads of the app (after one warm-up).
const PAGE_LOADS: usize = 5;
/// A virtualised listing renders a window of rows; anything near this many is not one.
const MAX_DOM_ROWS: usize = 1_000;

/// Opens the app on the folder `PAGE_LOADS` times (after a warm-up) and reads the marks it
/// sets; returns the app's table rows. The WebDriver session is closed on every exit path,
/// so chromedriver takes Chromium down with it.
pub async fn measure(server_url: &str) -> Vec<(String, String)> {
    let browser = Browser::start().await;
    let outcome = AssertUnwindSafe(page_loads(&browser, server_url))
        .catch_unwind()
        .await;
    browser.close().await;
    let loads = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));

    let since_received: Vec<f64> = loads.iter().map(|l| l.painted - l.received).collect();
    let download_and_parse: Vec<f64> = loads.iter().map(|l| l.parsed - l.received).collect();
    let model_and_render: Vec<f64> = loads.iter().map(|l| l.painted - l.parsed).collect();
    let since_navigation: Vec<f64> = loads.iter().map(|l| l.painted).collect();
    let first_rows: Vec<f64> = loads.iter().map(|l| l.first - l.received).collect();
    let dom_rows = loads.iter().map(|l| l.rows).max().expect("page loads");
    vec![
        (
            format!("app: listing received → first rows painted (median of {PAGE_LOADS})"),
            ms_f64(median_f64(&first_rows)),
        ),
        (
            format!("app: listing received → whole folder painted (median of {PAGE_LOADS})"),
            ms_f64(median_f64(&since_received)),
        ),
        (
            format!("app: of which body download + JSON parse (median of {PAGE_LOADS})"),
            ms_f64(median_f64(&download_and_parse)),
        ),
        (
            format!("app: of which sort + first render (median of {PAGE_LOADS})"),
            ms_f64(median_f64(&model_and_render)),
        ),
        (
            format!("app: navigation → whole folder painted (median of {PAGE_LOADS})"),
            ms_f64(median_f64(&since_navigation)),
        ),
        (
            format!("app: rows in the DOM for {} entries", thousands(ENTRIES)),
            dom_rows.to_string(),
        ),
    ]
}

/// One page load's marks, in milliseconds since navigation start.
#[derive(serde::Deserialize, Debug)]
struct PageLoad {
    /// `skiff:listing-received`: the listing's response headers arrived.
    received: f64,
    /// `skiff:listing-parsed`: the body was downloaded and parsed into entries.
    parsed: f64,
    /// `skiff:first-rows-painted`: the first rows were painted while the rest came (or
    /// `painted`, if it all came at once).
    first: f64,
    /// `skiff:rows-painted`: the first frame with the whole folder was painted.
    painted: f64,
    /// The listing's body fully downloaded (resource timing), if the browser reported it.
    body_done: Option<f64>,
    /// `[role=row][data-name]` elements in the DOM.
    rows: usize,
}

/// Reads the marks of the current page once `skiff:rows-painted` is set: the
/// `listing-received` that preceded it (the folder's own listing), the row count and the
/// resource timing of the listing (whose URL is `arguments[0]`).
const READ_MARKS: &str = r#"
    const painted = performance.getEntriesByName('skiff:rows-painted')[0].startTime;
    const received = performance.getEntriesByName('skiff:listing-received')
        .map(entry => entry.startTime)
        .filter(time => time <= painted);
    const listing = performance.getEntriesByName(arguments[0], 'resource')
        .filter(entry => entry.initiatorType === 'fetch' && entry.responseEnd <= painted)
        .pop();
    const parsed = performance.getEntriesByName('skiff:listing-parsed')
        .map(entry => entry.startTime)
        .filter(time => time <= painted);
    const first = performance.getEntriesByName('skiff:first-rows-painted')
        .map(entry => entry.startTime)
        .filter(time => time <= painted);
    return {
        received: received.length ? Math.max(...received) : -1,
        parsed: parsed.length ? Math.max(...parsed) : -1,
        first: first.length ? Math.min(...first) : painted,
        painted,
        body_done: listing ? listing.responseEnd : null,
        rows: document.querySelectorAll('[role=row][data-name]').length,
    };
"#;

async fn page_loads(browser: &Browser, server_url: &str) -> Vec<PageLoad> {
    let url = format!("{server_url}/");
    let mut loads = Vec::new();
    for load in 0..=PAGE_LOADS {
        // A fresh document each time: marks and resource timings start over.
        browser
            .client
            .goto("about:blank")
            .await
            .expect("open about:blank");
        browser
            .client
            .goto(&url)
            .await
            .unwrap_or_else(|error| panic!("open the app at {url}: {error}"));
        browser
            .wait_until(
                "the skiff:rows-painted mark",
                "performance.getEntriesByName('skiff:rows-painted').length > 0",
            )
            .await;
        let value = browser
            .client
            .execute(READ_MARKS, vec![serde_json::json!(url)])
            .await
            .expect("read the performance marks");
        let page: PageLoad = serde_json::from_value(value.clone())
            .unwrap_or_else(|error| panic!("unexpected marks {value}: {error}"));
        assert!(
            page.received >= 0.0 && page.parsed >= page.received,
            "no skiff:listing-received and skiff:listing-parsed marks before skiff:rows-painted: {page:?}"
        );
        assert!(page.rows > 0, "rows painted, but none in the DOM: {page:?}");
        assert!(
            page.rows < MAX_DOM_ROWS,
            "{} rows in the DOM for {} entries: the listing is not virtualised",
            page.rows,
            thousands(ENTRIES)
        );
        let body = page.body_done.map_or_else(
            || "body download not reported".to_owned(),
            |done| {
                format!(
                    "body downloaded {}, then parse and render {}",
                    ms_f64(done - page.received),
                    ms_f64(page.painted - done)
                )
            },
        );
        let label = if load == 0 {
            "warm-up".to_owned()
        } else {
            format!("{load}/{PAGE_LOADS}")
        };
        progress(&format!(
            "page load {label}: listing received at {}, first rows painted at {}, the whole \
             folder at {} ({body}); {} rows in the DOM",
            ms_f64(page.received),
            ms_f64(page.first),
            ms_f64(page.painted),
            page.rows
        ));
        if load > 0 {
            loads.push(page);
        }
    }
    loads
}
