//! JSON shape of the wire types against the RFSAPI reference examples, and path rules.

use super::*;
use serde_json::json;

/// The directory listing from the RFSAPI reference documentation, verbatim.
const RFSAPI_ROOT_EXAMPLE: &str = r#"{
  "writes_supported": false,
  "is_root": true,
  "is_file": false,
  "files": [
    {"mime_type": "application/zip", "name": "ndis2-15.6.1.zip",
     "last_modified": "2020-04-13T19:12:22.695457919Z", "size": 31387, "is_file": true},
    {"mime_type": "text/directory", "name": "works",
     "last_modified": "2020-04-22T13:03:33.898025702Z", "size": 0, "is_file": false},
    {"mime_type": "text/plain", "name": "a.txt",
     "last_modified": "2020-04-22T13:02:57.928406978Z", "size": 7, "is_file": true}
  ]
}"#;

#[test]
fn parses_the_rfsapi_reference_listing() {
    let data: FilesetData = serde_json::from_str(RFSAPI_ROOT_EXAMPLE).expect("valid listing");
    assert!(data.is_root && !data.is_file && !data.writes_supported);
    assert_eq!(data.files.len(), 3);
    let works = &data.files[1];
    assert_eq!(works.name, "works");
    assert!(works.is_dir());
    assert_eq!(works.mime_type, DIRECTORY_MIME);
    assert_eq!(data.files[0].size, 31387);
    assert_eq!(
        data.files[2].last_modified,
        "2020-04-22T13:02:57.928406978Z"
    );
    assert_eq!(data.files[2].id, None);
}

#[test]
fn plain_entries_serialize_without_extension_fields() {
    let entry = RawFileData {
        mime_type: "text/plain".into(),
        name: "a.txt".into(),
        last_modified: "2020-04-22T17:55:18.159945230Z".into(),
        size: 12,
        is_file: true,
        id: None,
        etag: None,
    };
    let value = serde_json::to_value(FilesetData {
        writes_supported: false,
        is_root: false,
        is_file: true,
        files: vec![entry],
    })
    .expect("serializes");
    assert_eq!(
        value,
        json!({
            "writes_supported": false, "is_root": false, "is_file": true,
            "files": [{"mime_type": "text/plain", "name": "a.txt",
                       "last_modified": "2020-04-22T17:55:18.159945230Z",
                       "size": 12, "is_file": true}]
        })
    );
}

#[test]
fn extension_fields_round_trip() {
    let text = r#"{"mime_type":"text/plain","name":"b","last_modified":"2020-01-01T00:00:00Z",
        "size":1,"is_file":true,"id":"7d0c","etag":"\"1-2\""}"#;
    let entry: RawFileData = serde_json::from_str(text).expect("parses");
    assert_eq!(entry.id.as_deref(), Some("7d0c"));
    assert_eq!(entry.etag.as_deref(), Some("\"1-2\""));
}

#[test]
fn discovery_omits_features_that_are_off() {
    let discovery = Discovery {
        version: 1,
        tree: "/".into(),
        uploads: None,
        metadata: None,
        raw: None,
        storages: None,
        auth: Some(AuthScheme::None),
        max_chunk: None,
        min_part: None,
        batch: None,
        zip: None,
        sign: None,
        roles: None,
    };
    let value = serde_json::to_value(&discovery).expect("serializes");
    assert_eq!(value, json!({"version": 1, "tree": "/", "auth": "none"}));
    let full: Discovery = serde_json::from_value(json!({
        "version": 1, "tree": "/", "uploads": "/.skiff/v1/files",
        "metadata": "/.skiff/api/storage/metadata", "raw": "/.skiff/raw",
        "storages": "/.skiff/api/storages", "auth": "bearer", "max_chunk": 8388608
    }))
    .expect("parses the PROTOCOL.md example");
    assert_eq!(full.auth, Some(AuthScheme::Bearer));
    assert_eq!(full.max_chunk, Some(8 << 20));
}

#[test]
fn error_body_shape() {
    let value = serde_json::to_value(ErrorBody::new("not_found", "no such file")).expect("ok");
    assert_eq!(
        value,
        json!({"error": {"code": "not_found", "message": "no such file"}})
    );
}

#[test]
fn url_paths_round_trip_hostile_names() {
    for name in [
        "😀.bin",
        "file\n1.txt",
        "a b#c?d%e",
        "+plus",
        "ü",
        &"x".repeat(255),
    ] {
        let path = TreePath::root()
            .child("dir")
            .and_then(|p| p.child(name))
            .expect("safe name");
        let url = path.to_url_path();
        assert!(!url[1..].contains("//"));
        assert_eq!(
            TreePath::parse_url_path(&url),
            Ok(path.clone()),
            "{name:?} via {url}"
        );
    }
}

#[test]
fn unsafe_url_paths_are_refused() {
    let cases = [
        ("a", PathError::NotAbsolute),
        ("/a//b", PathError::EmptySegment),
        ("/..", PathError::DotSegment),
        ("/a/../b", PathError::DotSegment),
        ("/%2e%2e/b", PathError::DotSegment),
        ("/%2E", PathError::DotSegment),
        ("/a%2fb", PathError::ForbiddenCharacter),
        ("/a%5cb", PathError::ForbiddenCharacter),
        ("/a\\b", PathError::ForbiddenCharacter),
        ("/a%00", PathError::ForbiddenCharacter),
        ("/a%zz", PathError::BadEncoding),
        ("/a%2", PathError::BadEncoding),
        ("/%ff", PathError::BadEncoding),
    ];
    for (raw, expected) in cases {
        assert_eq!(TreePath::parse_url_path(raw), Err(expected), "{raw}");
    }
}

#[test]
fn root_and_directory_urls() {
    assert_eq!(TreePath::parse_url_path("/"), Ok(TreePath::root()));
    assert_eq!(TreePath::root().to_url_path(), "/");
    let dir = TreePath::parse_url_path("/a%20b/").expect("dir url");
    assert_eq!(dir.segments(), ["a b"]);
    assert_eq!(dir.to_dir_url_path(), "/a%20b/");
    assert_eq!(dir.parent(), Some(TreePath::root()));
    assert_eq!(dir.to_string(), "/a b");
    assert!(TreePath::root().child("..").is_err());
}

#[test]
fn upload_create_matches_the_protocol_shape() {
    let create: UploadCreate = serde_json::from_value(json!({
        "key": "a b/ü.bin", "bucket": "default", "mime_type": "application/octet-stream",
        "size": 5
    }))
    .expect("parses without sha256");
    assert_eq!(create.sha256, None);
    assert_eq!(create.key, "a b/ü.bin");
    let with_hash = UploadCreate {
        sha256: Some("ab".repeat(32)),
        part_size: None,
        ..create
    };
    let value = serde_json::to_value(&with_hash).expect("serializes");
    assert_eq!(value["sha256"], json!("ab".repeat(32)));
    assert_eq!(value["size"], json!(5));
    assert!(
        serde_json::from_value::<UploadCreate>(json!({"key": "a", "bucket": "default"})).is_err()
    );
}

#[test]
fn upload_session_carries_error_only_when_refused() {
    let session = UploadSession {
        id: "1f".into(),
        url: format!("{UPLOADS_PATH}/{SESSION_PREFIX}1f"),
        offset: 0,
        size: 10,
        part_size: None,
        parts: None,
        error: None,
    };
    assert_eq!(
        serde_json::to_value(&session).expect("serializes"),
        json!({"id": "1f", "url": "/.skiff/v1/files/session:1f", "offset": 0, "size": 10})
    );
    let conflict = UploadSession {
        error: Some(ErrorBody::new("offset_mismatch", "re-sync").error),
        ..session
    };
    let value = serde_json::to_value(&conflict).expect("serializes");
    assert_eq!(value["error"]["code"], "offset_mismatch");
    assert_eq!(value["offset"], 0);
}

#[test]
fn file_object_and_listings_match_the_protocol_shape() {
    let file = FileObject {
        key: "dir/a.txt".into(),
        bucket: DEFAULT_BUCKET.into(),
        mime_type: "text/plain".into(),
        bytes: 3,
        created_at: 1_700_000_000,
        id: "5b6f".into(),
        sha256: None,
        content_hash: None,
        part_size: None,
    };
    let value = serde_json::to_value(&file).expect("serializes");
    assert_eq!(
        value,
        json!({"key": "dir/a.txt", "bucket": "default", "mime_type": "text/plain",
               "bytes": 3, "created_at": 1_700_000_000, "id": "5b6f"})
    );
    let page = FileList {
        data: vec![file],
        next: None,
    };
    let value = serde_json::to_value(&page).expect("serializes");
    assert_eq!(
        value["next"],
        serde_json::Value::Null,
        "next is always present"
    );
    let buckets: BucketList =
        serde_json::from_value(json!({"data": [{"name": "default"}]})).expect("parses");
    assert_eq!(buckets.data[0].name, DEFAULT_BUCKET);
}

#[test]
fn storages_and_scrub_lines_match_the_protocol_shape() {
    let storage = Storage {
        id: "0f6c".into(),
        name: DEFAULT_BUCKET.into(),
        label: "files".into(),
        kind: StorageKind::Local,
        url: "file:///srv/files".into(),
        default_url: "file:///srv/files".into(),
        mount: "/".into(),
        created_at: 1_700_000_000,
        region: None,
        writable: true,
        endpoint: None,
    };
    assert_eq!(
        serde_json::to_value(vec![storage]).expect("serializes"),
        json!([{"id": "0f6c", "name": "default", "label": "files", "type": "local",
                "url": "file:///srv/files", "default_url": "file:///srv/files", "mount": "/",
                "created_at": 1_700_000_000, "region": null, "writable": true}])
    );
    let s3: Storage = serde_json::from_value(json!({"id": "1", "name": "b", "label": "B",
        "type": "s3", "url": "https://s3.example/b", "created_at": 0}))
    .expect("parses");
    assert_eq!(s3.kind, StorageKind::S3);

    let line = ChecksumLine {
        upload_id: "5b6f".into(),
        checksum: None,
        checksum_on_disk: Some("ab".repeat(32)),
        path: None,
        error: None,
    };
    assert_eq!(
        serde_json::to_value(&line).expect("serializes"),
        json!({"upload_id": "5b6f", "checksum": null, "checksum_on_disk": "ab".repeat(32)}),
        "checksum is null, never absent"
    );
    let failed: ChecksumLine = serde_json::from_str(
        r#"{"upload_id":"5b6f","checksum":null,"checksum_on_disk":null,"path":"/a",
            "error":{"code":"not_found","message":"gone"}}"#,
    )
    .expect("parses");
    assert_eq!(
        failed.error.map(|error| error.code).as_deref(),
        Some("not_found")
    );
    assert_eq!(failed.path.as_deref(), Some("/a"));
}

#[test]
fn parts_cover_the_file_and_merge_into_ranges() {
    use crate::{part_count, part_range, part_ranges};
    assert_eq!(part_count(0, 5), 1);
    assert_eq!(part_range(0, 5, 1), Some((0, 0)));
    assert_eq!(part_count(10, 5), 2);
    assert_eq!(part_count(11, 5), 3);
    assert_eq!(part_range(11, 5, 3), Some((10, 11)));
    assert_eq!(part_range(11, 5, 4), None);
    assert_eq!(part_range(11, 5, 0), None);
    assert_eq!(
        part_ranges([1, 2, 3, 5, 7, 8]),
        vec![[1, 3], [5, 5], [7, 8]]
    );
    assert_eq!(part_ranges([4, 4]), vec![[4, 4]]);
    assert!(part_ranges([]).is_empty());
}

#[test]
fn parts_sessions_and_complete_match_the_protocol_shape() {
    let session: UploadSession = serde_json::from_value(json!({
        "id": "s", "url": "/u/session:s", "offset": 10, "size": 30,
        "part_size": 10, "parts": [[1, 1], [3, 3]]
    }))
    .expect("a parts session");
    assert_eq!(session.parts, Some(vec![[1, 1], [3, 3]]));
    let plain = serde_json::to_value(UploadSession {
        part_size: None,
        parts: None,
        ..session
    })
    .expect("json");
    assert!(plain.get("parts").is_none() && plain.get("part_size").is_none());
    let complete: crate::UploadComplete = serde_json::from_value(json!({})).expect("empty");
    assert_eq!(complete, crate::UploadComplete::default());
}

#[test]
fn a_batch_item_header_is_one_line_and_leaves_out_what_is_off() {
    let item = BatchItem {
        path: "/docs/a%20b.txt".into(),
        size: 10,
        digest: None,
        create_only: false,
        if_match: None,
    };
    let line = serde_json::to_string(&item).expect("serializes");
    assert_eq!(line, r#"{"path":"/docs/a%20b.txt","size":10}"#);
    let full: BatchItem = serde_json::from_str(
        r#"{"path":"/x","size":0,"digest":"sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:","create_only":true}"#,
    )
    .expect("parses");
    assert!(full.create_only);
    assert!(!serde_json::to_string(&full)
        .expect("serializes")
        .contains('\n'));
}

#[test]
fn display_order_is_folders_first_then_names_as_people_read_them() {
    let entry = |name: &str, is_file: bool| RawFileData::named(name, is_file, 0);
    let mut entries = [
        entry("b10.txt", true),
        entry("B2.txt", true),
        entry("zeta", false),
        entry("a", true),
        entry("Alpha", false),
        entry("b2.txt", true),
    ];
    entries.sort_by(display_cmp);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Alpha", "zeta", "a", "B2.txt", "b2.txt", "b10.txt"]);
    assert_eq!(human_size(1023), "1023 B");
    assert_eq!(human_size(1536), "1.5 KiB");
    assert_eq!(human_size(10 << 30), "10 GiB");
}
