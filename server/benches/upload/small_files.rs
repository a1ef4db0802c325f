//! 1,000 files of 1 MiB dropped on the app as one folder, against `curl -T` of the same
//! 1,000 MiB (the files one after the other) as one file (issue 9: ≥ 0.6× curl's
//! throughput). Every file's size is checked on disk, and the SHA-256 of a sample.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::browser::Browser;
use crate::dropped::drop_folder;
use crate::files::{generated_bytes, sha256_hex, size_and_sha256, verify};
use crate::peers::curl_put;
use crate::support::{mib_per_s, thousands, time_and_rate, MIB};
use crate::{progress, Row};

const COUNT: usize = 1_000;
const SIZE: u64 = MIB;
/// Every this many files (and the last) is checked by SHA-256; all by size.
const SAMPLE_EVERY: usize = 50;

fn name(i: usize) -> String {
    format!("part-{i:04}.bin")
}

pub async fn measure(browser: &Browser, server: &str, tree: &Path, sources: &Path) -> Vec<Row> {
    let source = sources.join("mib-files");
    std::fs::create_dir(&source).expect("a folder of 1 MiB files");
    let joined = sources.join("mib-files-joined.bin");
    let mut whole = std::fs::File::create(&joined).expect("create the joined file");
    let mut sampled = Vec::new();
    for i in 1..=COUNT {
        let bytes = generated_bytes(SIZE as usize, 0x5eed_1000 + i as u64);
        std::fs::write(source.join(name(i)), &bytes).expect("write a 1 MiB file");
        whole.write_all(&bytes).expect("append to the joined file");
        if i % SAMPLE_EVERY == 0 || i == 1 || i == COUNT {
            sampled.push((i, sha256_hex(&bytes)));
        }
    }
    drop(whole);
    let total = SIZE * COUNT as u64;
    let joined_sha = size_and_sha256(&joined).expect("hash the joined file").1;
    progress(&format!(
        "generated {} files of 1 MiB in {}",
        thousands(COUNT),
        source.display()
    ));

    std::fs::create_dir(tree.join("mib-drop")).expect("a folder to drop into");
    let dropped = drop_folder(browser, server, "mib-drop", &source, COUNT).await;
    let app = Duration::from_secs_f64(dropped.done_ms / 1000.0);
    let landed = tree.join("mib-drop/mib-files");
    let mut right_size = 0;
    for i in 1..=COUNT {
        let path = landed.join(name(i));
        match std::fs::metadata(&path) {
            Ok(meta) if meta.len() == SIZE => right_size += 1,
            Ok(meta) => progress(&format!("{} has {} bytes", path.display(), meta.len())),
            Err(error) => progress(&format!("{}: {error}", path.display())),
        }
    }
    let entries = std::fs::read_dir(&landed).expect("list the files").count();
    assert_eq!(
        (right_size, entries),
        (COUNT, COUNT),
        "files of 1 MiB, and entries, in {}",
        landed.display()
    );
    for (i, sha) in &sampled {
        verify(&landed.join(name(*i)), SIZE, sha);
    }
    progress(&format!(
        "app: {} files of 1 MiB in {}; all sizes and {} SHA-256 samples checked",
        thousands(COUNT),
        time_and_rate(total, app),
        sampled.len()
    ));
    std::fs::remove_dir_all(tree.join("mib-drop")).expect("remove the dropped files");
    std::fs::remove_dir_all(&source).expect("remove the 1 MiB files");

    let curl = curl_put(&joined, &format!("{server}/mib-files-joined.bin")).await;
    verify(&tree.join("mib-files-joined.bin"), total, &joined_sha);
    std::fs::remove_file(tree.join("mib-files-joined.bin")).expect("remove curl's copy");
    std::fs::remove_file(&joined).expect("remove the joined file");
    progress(&format!(
        "curl -T of the same {} MiB as one file: {}, SHA-256 checked",
        thousands((total / MIB) as usize),
        time_and_rate(total, curl)
    ));

    let what = format!("{} files of 1 MiB dropped as a folder", thousands(COUNT));
    vec![
        (
            format!(
                "{what}: app / curl -T of the same {} MiB as one file",
                thousands((total / MIB) as usize)
            ),
            format!(
                "{} / {}",
                time_and_rate(total, app),
                time_and_rate(total, curl)
            ),
        ),
        (
            format!("{what}: app vs curl -T (throughput ratio, goal ≥ 0.6×)"),
            format!("{:.2}×", mib_per_s(total, app) / mib_per_s(total, curl)),
        ),
    ]
}
