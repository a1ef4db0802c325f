//! A 100,000-entry folder listed over RFSAPI (PROTOCOL.md §1): the streamed
//! listing must be one well-formed `FilesetData` holding every name exactly once.

mod common;

use std::collections::HashSet;
use std::time::Instant;

use common::{client, header, Fixture, JSON_TYPE, RFSAPI};
use skiff_protocol::FilesetData;

const ENTRIES: usize = 100_000;

#[tokio::test]
async fn a_folder_of_100_000_files_is_listed_completely() {
    let fixture = Fixture::new();
    let folder = fixture.mkdir(&["big"]);
    let started = Instant::now();
    for index in 0..ENTRIES {
        std::fs::File::create(folder.join(format!("f{index:06}"))).expect("create an empty file");
    }
    println!("created {ENTRIES} files in {:?}", started.elapsed());
    let server = fixture.serve();

    let started = Instant::now();
    let response = client()
        .get(server.url("/big/"))
        .header(RFSAPI, "1")
        .send()
        .await
        .expect("send the listing request");
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, RFSAPI), "1");
    assert_eq!(header(&response, "content-type"), JSON_TYPE);
    let body = response.bytes().await.expect("read the whole listing");
    println!(
        "listed {ENTRIES} entries ({} bytes) in {:?}",
        body.len(),
        started.elapsed()
    );
    let listing: FilesetData =
        serde_json::from_slice(&body).expect("the streamed listing is one FilesetData");

    assert!(!listing.is_root);
    assert!(!listing.is_file);
    assert_eq!(listing.files.len(), ENTRIES, "exactly {ENTRIES} entries");
    let mut seen = HashSet::with_capacity(ENTRIES);
    for entry in &listing.files {
        assert!(
            seen.insert(entry.name.as_str()),
            "{} is listed twice",
            entry.name
        );
        assert!(entry.is_file, "{} is a file", entry.name);
        assert_eq!(entry.size, 0, "{} is empty", entry.name);
    }
    for index in 0..ENTRIES {
        let name = format!("f{index:06}");
        assert!(seen.contains(name.as_str()), "{name} is missing");
    }
}
