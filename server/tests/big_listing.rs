//! A 100,000-entry folder listed over RFSAPI (PROTOCOL.md §1): the streamed
//! listing must be one well-formed `FilesetData` holding every name exactly once,
//! sent as it is made (no ETag: only a listing of up to about 1,500 entries is held
//! back to be hashed, so a client paints a big folder's first rows at once).
//! The same check lists a folder of an S3 storage mounted at `/s3`, which the
//! server reads from the store 1,000 keys a page.

mod common;

use std::collections::HashSet;
use std::time::Instant;

use common::target::{on_each_storage, Kind, Target};
use common::{client, header, JSON_TYPE, RFSAPI};
use skiff_protocol::FilesetData;

on_each_storage!(a_big_folder_is_listed_completely);

/// How many files the folder holds. S3 mounts: 3,500 objects cross three of
/// the store's 1,000-key pages and a short last one; 100,000 PUTs into
/// SeaweedFS would take minutes of the suite's time budget.
fn entries(kind: Kind) -> usize {
    match kind {
        Kind::Local => 100_000,
        Kind::S3 | Kind::LocalMount => 3_500,
    }
}

/// Objects written at once while seeding the S3 folder.
const SEEDING_CONCURRENCY: usize = 32;

async fn a_big_folder_is_listed_completely(kind: Kind) {
    let target = Target::new(kind).await;
    let entries = entries(kind);
    let started = Instant::now();
    match kind {
        Kind::Local => {
            let folder = target.fixture().mkdir(&["big"]);
            for index in 0..entries {
                std::fs::File::create(folder.join(format!("f{index:06}")))
                    .expect("create an empty file");
            }
        }
        Kind::S3 | Kind::LocalMount => {
            let files = (0..entries)
                .map(|index| (vec!["big".to_owned(), format!("f{index:06}")], Vec::new()))
                .collect();
            target.write_many(files, SEEDING_CONCURRENCY).await;
        }
    }
    println!("created {entries} files in {:?}", started.elapsed());
    let server = target.serve();

    let started = Instant::now();
    let response = client()
        .get(server.url(&target.at("/big/")))
        .header(RFSAPI, "1")
        .send()
        .await
        .expect("send the listing request");
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, RFSAPI), "1");
    assert_eq!(header(&response, "content-type"), JSON_TYPE);
    assert!(
        response.headers().get("etag").is_none(),
        "a big listing was held back to be hashed"
    );
    let body = response.bytes().await.expect("read the whole listing");
    println!(
        "listed {entries} entries ({} bytes) in {:?}",
        body.len(),
        started.elapsed()
    );
    let listing: FilesetData =
        serde_json::from_slice(&body).expect("the streamed listing is one FilesetData");

    assert!(!listing.is_root);
    assert!(!listing.is_file);
    assert_eq!(listing.files.len(), entries, "exactly {entries} entries");
    let mut seen = HashSet::with_capacity(entries);
    for entry in &listing.files {
        assert!(
            seen.insert(entry.name.as_str()),
            "{} is listed twice",
            entry.name
        );
        assert!(entry.is_file, "{} is a file", entry.name);
        assert_eq!(entry.size, 0, "{} is empty", entry.name);
    }
    for index in 0..entries {
        let name = format!("f{index:06}");
        assert!(seen.contains(name.as_str()), "{name} is missing");
    }
}
