//! An experiment, not a measurement of the table (`SKIFF_BENCH_UPLOAD_ONLY=memlab`): how
//! far the renderer's resident memory rises while a page reads a 1 GiB file in 8 MiB
//! slices in different ways (read only; read and hash with WebCrypto; each with the
//! buffer detached at once or left to the collector; in the page or in a worker), to
//! find which of the upload engine's steps costs the memory.

use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::browser::Browser;
use crate::files::generate;
use crate::memory::Renderers;
use crate::support::{mib_label, GIB};
use crate::{execute, progress, Row, POLL};

/// The variants: `[name, in a worker, hash, detach, read into one reused buffer]`.
const VARIANTS: [(&str, bool, bool, bool, bool); 8] = [
    ("page: read", false, false, false, false),
    ("page: read + detach", false, false, true, false),
    ("page: read + hash", false, true, false, false),
    ("page: read + hash + detach", false, true, true, false),
    ("worker: read + hash", true, true, false, false),
    ("worker: read + hash + detach", true, true, true, false),
    (
        "worker: read into one buffer (BYOB)",
        true,
        false,
        false,
        true,
    ),
    (
        "worker: read into one buffer (BYOB) + hash",
        true,
        true,
        false,
        true,
    ),
];

const LOOP: &str = r#"
    const [inWorker, hash, detach, byob] = arguments;
    const file = document.querySelector('#memlab').files[0];
    const chunk = 8 * 1024 * 1024;
    const body = async (file, hash, detach) => {
        for (let start = 0; start < file.size; start += chunk) {
            const buffer = await file.slice(start, Math.min(start + chunk, file.size)).arrayBuffer();
            if (hash) await crypto.subtle.digest('SHA-256', buffer);
            if (detach) buffer.transfer(0);
        }
    };
    window.__memlab = { done: false };
    const started = performance.now();
    if (inWorker) {
        const source = `onmessage = async e => { const [file, hash, detach, byob] = e.data;
            const chunk = 8 * 1024 * 1024;
            if (byob) {
                let buffer = new ArrayBuffer(chunk);
                for (let start = 0; start < file.size; start += chunk) {
                    const reader = file.slice(start, Math.min(start + chunk, file.size)).stream().getReader({ mode: 'byob' });
                    let filled = 0;
                    for (;;) {
                        const { done, value } = await reader.read(new Uint8Array(buffer, filled, chunk - filled));
                        if (done) { buffer = value.buffer; break; }
                        buffer = value.buffer;
                        filled += value.byteLength;
                        if (filled === chunk) break;
                    }
                    reader.releaseLock();
                    if (hash) await crypto.subtle.digest('SHA-256', new Uint8Array(buffer, 0, filled));
                }
                postMessage('done');
                return;
            }
            for (let start = 0; start < file.size; start += chunk) {
                const buffer = await file.slice(start, Math.min(start + chunk, file.size)).arrayBuffer();
                if (hash) await crypto.subtle.digest('SHA-256', buffer);
                if (detach) buffer.transfer(0);
            }
            postMessage('done'); };`;
        const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
        worker.onmessage = () => { window.__memlab = { done: true, ms: performance.now() - started }; worker.terminate(); };
        worker.postMessage([file, hash, detach, byob]);
    } else {
        body(file, hash, detach).then(() => { window.__memlab = { done: true, ms: performance.now() - started }; });
    }
"#;

pub async fn measure(browser: &Browser, server: &str, sources: &Path) -> Vec<Row> {
    let big = sources.join("memlab.bin");
    generate(&big, GIB, 0x5eed_0077);
    let mut rows = Vec::new();
    for (name, in_worker, hash, detach, byob) in VARIANTS {
        browser.open("about:blank").await;
        browser.open(&format!("{server}/")).await;
        execute(
            browser,
            "add an input",
            "const input = document.createElement('input'); input.type = 'file'; input.id = 'memlab'; document.body.append(input);",
            vec![],
        )
        .await;
        browser
            .element("#memlab")
            .await
            .send_keys(&big.display().to_string())
            .await
            .expect("pick the file");
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut renderers = Renderers::default();
        renderers.sample();
        renderers.reset_peaks();
        execute(
            browser,
            "run the loop",
            LOOP,
            vec![json!(in_worker), json!(hash), json!(detach), json!(byob)],
        )
        .await;
        let ms = loop {
            renderers.sample();
            let state = execute(browser, "read", "return window.__memlab;", vec![]).await;
            if state["done"].as_bool() == Some(true) {
                break state["ms"].as_f64().unwrap_or(0.0);
            }
            tokio::time::sleep(POLL).await;
        };
        let rss = renderers.the_page();
        let growth = rss.map_or(f64::NAN, |rss| rss.peak - rss.before);
        progress(&format!(
            "memlab {name}: {ms:.0} ms, renderer +{}",
            mib_label(growth)
        ));
        rows.push((
            format!("memlab {name}"),
            format!("{ms:.0} ms, renderer +{}", mib_label(growth)),
        ));
    }
    std::fs::remove_file(&big).expect("remove the file");
    rows
}
