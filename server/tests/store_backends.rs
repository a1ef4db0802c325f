//! The storage seam (`skiff_server::store`) proved against real backends: every
//! case runs on a local folder AND on an S3 bucket of a real SeaweedFS, the
//! same code for both (`on_both!`), plus what only one of them has (symlinks
//! leaving a local root; credentials, buckets and endpoints of S3).

mod common;

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use skiff_protocol::TreePath;
use skiff_server::store::local::LocalStore;
use skiff_server::store::s3::{S3Spec, S3Store};
use skiff_server::store::{ByteStream, Entry, PutMode, Store, StoreError};
use tempfile::TempDir;

use common::seaweed::{fresh_bucket, unreachable_endpoint, ACCESS_KEY, REGION, SECRET_KEY};

/// A store under test, and what keeps its backing alive.
struct Backend {
    store: Box<dyn Store>,
    _dir: Option<TempDir>,
}

async fn local() -> Backend {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalStore::open(dir.path()).expect("open the local store");
    Backend {
        store: Box::new(store),
        _dir: Some(dir),
    }
}

/// The spec of `bucket` on the test SeaweedFS at `endpoint`.
fn spec(bucket: &str, endpoint: &str) -> S3Spec {
    let mut spec = S3Spec::from_url(&format!("s3://{bucket}")).expect("valid URL");
    spec.endpoint = Some(endpoint.to_owned());
    spec.region = REGION.to_owned();
    spec.access_key_id = Some(ACCESS_KEY.to_owned());
    spec.secret_access_key = Some(SECRET_KEY.to_owned());
    spec.allow_http = true;
    spec
}

async fn s3() -> Backend {
    let (bucket, seaweed) = fresh_bucket().await;
    let store = S3Store::connect(&spec(&bucket, &seaweed.endpoint)).expect("connect");
    Backend {
        store: Box::new(store),
        _dir: None,
    }
}

/// Runs each named case once on a local store and once on an S3 store.
macro_rules! on_both {
    ($($case:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(super::local().await.store.as_ref()).await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let backend = super::s3().await;
                    super::$case(backend.store.as_ref()).await;
                }
            )*
        }
    };
}

on_both!(
    stat_and_list_nested_folders_page_by_page,
    hostile_names_round_trip,
    ranged_reads,
    conditional_puts,
    deletes,
    mkdir_makes_parents,
    rename_and_copy_files,
    rename_and_copy_folders,
    walk_comes_in_key_order,
    multipart_parts_in_any_order,
    streamed_put_of_40_mib,
    probe_succeeds,
);

fn key(text: &str) -> TreePath {
    if text.is_empty() {
        return TreePath::root();
    }
    TreePath::from_segments(text.split('/')).expect("valid key")
}

fn body(bytes: &[u8]) -> ByteStream {
    let chunk = Bytes::copy_from_slice(bytes);
    Box::pin(futures_util::stream::once(async move { Ok(chunk) }))
}

async fn put(store: &dyn Store, at: &str, bytes: &[u8]) -> Entry {
    store
        .put(&key(at), PutMode::Overwrite, body(bytes))
        .await
        .unwrap_or_else(|error| panic!("put {at}: {error}"))
}

async fn read(store: &dyn Store, at: &str, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
    let mut stream = store
        .read(&key(at), range)
        .await
        .unwrap_or_else(|error| panic!("read {at}: {error}"));
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.expect("a chunk"));
    }
    bytes
}

/// Every child of `dir` as `name` or `name/`, all pages of `limit`.
async fn listing(store: &dyn Store, dir: &str, limit: usize) -> Vec<String> {
    let mut names = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list(&key(dir), after.as_deref(), limit)
            .await
            .unwrap_or_else(|error| panic!("list {dir}: {error}"));
        assert!(page.entries.len() <= limit, "a page holds at most {limit}");
        for entry in &page.entries {
            let name = entry.key.name().expect("a child has a name");
            names.push(if entry.is_dir {
                format!("{name}/")
            } else {
                name.to_owned()
            });
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return names,
        }
    }
}

async fn stat(store: &dyn Store, at: &str) -> Result<Entry, StoreError> {
    store.stat(&key(at)).await
}

async fn stat_and_list_nested_folders_page_by_page(store: &dyn Store) {
    store.mkdir(&key("a/b/c")).await.expect("mkdir");
    put(store, "a/x.txt", b"x").await;
    put(store, "a/b/y", b"yy").await;
    put(store, "a/b.txt", b"b").await;
    // S3's order: a folder sorts as its name and `/`, after `b.txt`.
    assert_eq!(listing(store, "a", 100).await, ["b.txt", "b/", "x.txt"]);
    assert_eq!(listing(store, "a/b", 100).await, ["c/", "y"]);
    assert!(
        listing(store, "a/b/c", 100).await.is_empty(),
        "an empty folder lists empty"
    );
    assert_eq!(listing(store, "", 100).await, ["a/"]);

    let folder = stat(store, "a/b").await.expect("stat a folder");
    assert!(folder.is_dir && folder.size == 0);
    let file = stat(store, "a/b/y").await.expect("stat a file");
    assert_eq!((file.is_dir, file.size), (false, 2));
    assert!(
        file.etag.starts_with('"') && file.etag.ends_with('"'),
        "{}",
        file.etag
    );
    assert!(stat(store, "").await.expect("stat the root").is_dir);
    assert!(matches!(
        stat(store, "a/nope").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.list(&key("a/nope"), None, 10).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.list(&key("a/x.txt"), None, 10).await,
        Err(StoreError::WrongKind(_))
    ));

    for name in ["e", "a", "d", "c", "b"] {
        put(store, &format!("p/{name}"), name.as_bytes()).await;
    }
    store.mkdir(&key("p/f")).await.expect("mkdir");
    let all = ["a", "b", "c", "d", "e", "f/"];
    assert_eq!(listing(store, "p", 2).await, all, "pages of 2");
    assert_eq!(listing(store, "p", 1).await, all, "pages of 1");
    let first = store.list(&key("p"), None, 6).await.expect("one page");
    assert_eq!(
        (first.entries.len(), first.next),
        (6, None),
        "the last page says so"
    );
}

async fn hostile_names_round_trip(store: &dyn Store) {
    let names = [
        "a b",
        "#hash",
        "100% off",
        "what?",
        "é😀",
        "new\nline",
        "a%0Ab",
        "tab\tx",
        "50%25",
    ];
    for name in names {
        put(store, &format!("h/{name}"), name.as_bytes()).await;
    }
    let mut expected: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let mut listed = listing(store, "h", 100).await;
    expected.sort();
    listed.sort();
    assert_eq!(listed, expected);
    for name in names {
        let at = format!("h/{name}");
        assert_eq!(read(store, &at, None).await, name.as_bytes(), "{name:?}");
        assert_eq!(
            stat(store, &at).await.expect("stat").size,
            name.len() as u64
        );
    }
    store
        .mkdir(&key("h/dir\n#%"))
        .await
        .expect("mkdir with a hostile name");
    put(store, "h/dir\n#%/inner file", b"in").await;
    assert_eq!(listing(store, "h/dir\n#%", 10).await, ["inner file"]);
}

async fn ranged_reads(store: &dyn Store) {
    let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    put(store, "r.bin", &bytes).await;
    assert_eq!(read(store, "r.bin", None).await, bytes);
    assert_eq!(read(store, "r.bin", Some(10..20)).await, &bytes[10..20]);
    assert_eq!(read(store, "r.bin", Some(990..1000)).await, &bytes[990..]);
    assert!(read(store, "r.bin", Some(5..5)).await.is_empty());
    store.mkdir(&key("d")).await.expect("mkdir");
    assert!(matches!(
        store.read(&key("d"), None).await.err(),
        Some(StoreError::WrongKind(_))
    ));
    assert!(matches!(
        store.read(&key("missing"), None).await.err(),
        Some(StoreError::NotFound)
    ));
}

async fn conditional_puts(store: &dyn Store) {
    let at = key("c.txt");
    let created = store
        .put(&at, PutMode::Create, body(b"one"))
        .await
        .expect("create");
    let again = store.put(&at, PutMode::Create, body(b"two")).await;
    assert!(matches!(again, Err(StoreError::Exists)), "{again:?}");
    assert!(matches!(
        store
            .put(
                &at,
                PutMode::Update("\"not-the-etag\"".to_owned()),
                body(b"two")
            )
            .await,
        Err(StoreError::Precondition)
    ));
    assert_eq!(
        read(store, "c.txt", None).await,
        b"one",
        "refused writes change nothing"
    );
    let updated = store
        .put(&at, PutMode::Update(created.etag.clone()), body(b"two"))
        .await
        .expect("update with the right etag");
    assert_ne!(updated.etag, created.etag);
    assert!(matches!(
        store
            .put(&at, PutMode::Update(created.etag.clone()), body(b"three"))
            .await,
        Err(StoreError::Precondition)
    ));
    assert!(matches!(
        store
            .put(&key("absent"), PutMode::Update(created.etag), body(b"x"))
            .await,
        Err(StoreError::Precondition)
    ));
    put(store, "c.txt", b"four").await;
    assert_eq!(read(store, "c.txt", None).await, b"four");
    put(store, "deep/er/file", b"parents made").await;
    assert!(stat(store, "deep/er").await.expect("parent").is_dir);
}

async fn deletes(store: &dyn Store) {
    put(store, "f", b"f").await;
    store.delete(&key("f"), false).await.expect("delete a file");
    assert!(matches!(stat(store, "f").await, Err(StoreError::NotFound)));
    assert!(matches!(
        store.delete(&key("f"), false).await,
        Err(StoreError::NotFound)
    ));

    store.mkdir(&key("empty")).await.expect("mkdir");
    store
        .delete(&key("empty"), false)
        .await
        .expect("delete an empty folder");
    assert!(matches!(
        stat(store, "empty").await,
        Err(StoreError::NotFound)
    ));

    put(store, "full/a", b"a").await;
    put(store, "full/sub/b", b"b").await;
    store.mkdir(&key("full/sub/empty")).await.expect("mkdir");
    assert!(matches!(
        store.delete(&key("full"), false).await,
        Err(StoreError::NotEmpty)
    ));
    assert_eq!(
        read(store, "full/a", None).await,
        b"a",
        "a refused delete removes nothing"
    );
    store
        .delete(&key("full"), true)
        .await
        .expect("recursive delete");
    assert!(matches!(
        stat(store, "full").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(listing(store, "", 10).await, Vec::<String>::new());

    put(store, "keep/last", b"l").await;
    store
        .delete(&key("keep/last"), false)
        .await
        .expect("delete");
    assert!(
        stat(store, "keep").await.expect("the folder stays").is_dir,
        "a folder outlives its last file, as on a disk"
    );
    assert!(matches!(
        store.delete(&TreePath::root(), true).await,
        Err(StoreError::WrongKind(_))
    ));
}

async fn mkdir_makes_parents(store: &dyn Store) {
    store.mkdir(&key("m/n/o")).await.expect("mkdir -p");
    for dir in ["m", "m/n", "m/n/o"] {
        assert!(stat(store, dir).await.expect("made").is_dir, "{dir}");
    }
    store
        .mkdir(&key("m/n/o"))
        .await
        .expect("an existing folder is fine");
    store
        .mkdir(&TreePath::root())
        .await
        .expect("the root exists");
    put(store, "m/file", b"f").await;
    assert!(matches!(
        store.mkdir(&key("m/file")).await,
        Err(StoreError::WrongKind(_))
    ));
}

async fn rename_and_copy_files(store: &dyn Store) {
    put(store, "one", b"1").await;
    put(store, "two", b"2").await;
    assert!(matches!(
        store.rename(&key("one"), &key("two"), false).await,
        Err(StoreError::Exists)
    ));
    assert!(matches!(
        store.copy(&key("one"), &key("two"), false).await,
        Err(StoreError::Exists)
    ));
    store
        .copy(&key("one"), &key("sub/copy"), false)
        .await
        .expect("copy");
    assert_eq!(read(store, "sub/copy", None).await, b"1");
    assert_eq!(read(store, "one", None).await, b"1", "the original stays");
    store
        .rename(&key("one"), &key("two"), true)
        .await
        .expect("rename over");
    assert_eq!(read(store, "two", None).await, b"1");
    assert!(matches!(
        stat(store, "one").await,
        Err(StoreError::NotFound)
    ));
    store
        .rename(&key("two"), &key("moved/here"), false)
        .await
        .expect("rename");
    assert_eq!(read(store, "moved/here", None).await, b"1");
    store
        .copy(&key("sub/copy"), &key("two"), true)
        .await
        .expect("copy over");
    assert!(matches!(
        store.rename(&key("absent"), &key("x"), false).await,
        Err(StoreError::NotFound)
    ));
}

async fn rename_and_copy_folders(store: &dyn Store) {
    put(store, "src/a", b"a").await;
    put(store, "src/deep/b", b"b").await;
    store.mkdir(&key("src/empty")).await.expect("mkdir");
    store
        .copy(&key("src"), &key("copied"), false)
        .await
        .expect("copy a folder");
    assert_eq!(listing(store, "copied", 10).await, ["a", "deep/", "empty/"]);
    assert_eq!(read(store, "copied/deep/b", None).await, b"b");
    assert_eq!(listing(store, "src", 10).await, ["a", "deep/", "empty/"]);

    assert!(matches!(
        store.copy(&key("src"), &key("copied"), false).await,
        Err(StoreError::Exists)
    ));
    assert!(matches!(
        store.rename(&key("src"), &key("copied"), true).await,
        Err(StoreError::NotEmpty)
    ));
    assert!(matches!(
        store
            .rename(&key("src"), &key("src/deep/inside"), false)
            .await,
        Err(StoreError::WrongKind(_))
    ));

    store
        .rename(&key("src"), &key("dst/moved"), false)
        .await
        .expect("move a folder");
    assert!(matches!(
        stat(store, "src").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        listing(store, "dst/moved", 10).await,
        ["a", "deep/", "empty/"]
    );
    assert_eq!(read(store, "dst/moved/deep/b", None).await, b"b");

    store.mkdir(&key("vacant")).await.expect("mkdir");
    store
        .rename(&key("dst/moved"), &key("vacant"), true)
        .await
        .expect("a folder replaces an empty one");
    assert_eq!(listing(store, "vacant", 10).await, ["a", "deep/", "empty/"]);
    assert!(
        stat(store, "dst")
            .await
            .expect("its old parent stays")
            .is_dir
    );
}

async fn walk_comes_in_key_order(store: &dyn Store) {
    for at in ["w/ab", "w/a/c/d", "w/a-b", "w/a.txt", "w/a/b", "other"] {
        put(store, at, at.as_bytes()).await;
    }
    store.mkdir(&key("w/empty")).await.expect("mkdir");
    let walked: Vec<String> = store
        .walk(&key("w"))
        .map(|entry| entry.expect("walked").key.segments().join("/"))
        .collect()
        .await;
    assert_eq!(walked, ["w/a-b", "w/a.txt", "w/a/b", "w/a/c/d", "w/ab"]);
    let single: Vec<_> = store.walk(&key("other")).collect().await;
    assert_eq!(single.len(), 1, "a file walks as itself");
    let everything: Vec<_> = store.walk(&TreePath::root()).collect().await;
    assert_eq!(everything.len(), 6);
}

async fn multipart_parts_in_any_order(store: &dyn Store) {
    // S3's smallest part is 5 MiB.
    const PART: u64 = 5 * 1024 * 1024;
    let content: Vec<u8> = (0..2 * PART + 1000).map(|i| (i % 253) as u8).collect();
    let part = |index: usize| {
        let start = index * PART as usize;
        &content[start..(start + PART as usize).min(content.len())]
    };
    let at = key("mp/file.bin");
    let id = store.multipart_create(&at, PART).await.expect("create");
    let mut tags = Vec::new();
    for index in [2usize, 0] {
        let bytes = part(index);
        tags.push(
            store
                .multipart_put(&at, &id, index as u64, bytes.len() as u64, body(bytes))
                .await
                .expect("put a part"),
        );
    }
    // Part 1 first with wrong bytes, then again with the right ones: it replaces itself.
    let wrong = vec![0u8; PART as usize];
    store
        .multipart_put(&at, &id, 1, PART, body(&wrong))
        .await
        .expect("put part 1");
    tags.push(
        store
            .multipart_put(&at, &id, 1, PART, body(part(1)))
            .await
            .expect("put part 1 again"),
    );
    assert!(matches!(
        store.multipart_put(&at, &id, 1, PART, body(b"short")).await,
        Err(StoreError::Body(_))
    ));
    tags.sort_by_key(|tag| tag.index);
    let entry = store
        .multipart_complete(&at, &id, tags, PutMode::Create)
        .await
        .expect("complete");
    assert_eq!(entry.size, content.len() as u64);
    assert!(
        read(store, "mp/file.bin", None).await == content,
        "the parts joined in order"
    );

    let other = store
        .multipart_create(&key("mp/dropped"), PART)
        .await
        .expect("create");
    store
        .multipart_put(&key("mp/dropped"), &other, 0, 3, body(b"abc"))
        .await
        .expect("put");
    store
        .multipart_abort(&key("mp/dropped"), &other)
        .await
        .expect("abort");
    store
        .multipart_abort(&key("mp/dropped"), &other)
        .await
        .expect("aborting again is fine");
    assert!(matches!(
        stat(store, "mp/dropped").await,
        Err(StoreError::NotFound)
    ));
}

async fn streamed_put_of_40_mib(store: &dyn Store) {
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 40 * 16;
    // Chunks are made as the store asks for them; the whole never exists here.
    let chunk_at = |index: usize| Bytes::from(vec![(index % 251) as u8; CHUNK]);
    let mut expected = Sha256::new();
    for index in 0..CHUNKS {
        expected.update(chunk_at(index));
    }
    let stream = futures_util::stream::iter(0..CHUNKS).map(move |index| Ok(chunk_at(index)));
    let entry = store
        .put(&key("big.bin"), PutMode::Create, Box::pin(stream))
        .await
        .expect("streamed put");
    assert_eq!(entry.size, (CHUNK * CHUNKS) as u64);
    let mut read_back = store.read(&key("big.bin"), None).await.expect("read");
    let mut actual = Sha256::new();
    while let Some(chunk) = read_back.next().await {
        actual.update(chunk.expect("chunk"));
    }
    assert_eq!(actual.finalize(), expected.finalize());
}

async fn probe_succeeds(store: &dyn Store) {
    store.probe().await.expect("probe");
    store.probe().await.expect("probe again");
}

#[tokio::test]
async fn local_symlinks_leaving_the_root_are_outside_and_unlisted() {
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("secret"), b"s").expect("write");
    let backend = local().await;
    let store = backend.store.as_ref();
    let root = backend._dir.as_ref().expect("local dir").path();
    std::os::unix::fs::symlink(outside.path(), root.join("out")).expect("symlink");
    std::os::unix::fs::symlink(outside.path().join("secret"), root.join("out-file"))
        .expect("symlink");
    put(store, "inside", b"i").await;
    std::os::unix::fs::symlink(root.join("inside"), root.join("link-in")).expect("symlink");

    assert_eq!(listing(store, "", 10).await, ["inside", "link-in"]);
    for at in ["out", "out/secret", "out-file"] {
        assert!(
            matches!(stat(store, at).await, Err(StoreError::Outside)),
            "{at}"
        );
    }
    assert!(matches!(
        store
            .put(&key("out/new"), PutMode::Overwrite, body(b"x"))
            .await,
        Err(StoreError::Outside)
    ));
    assert!(
        !outside.path().join("new").exists(),
        "nothing written outside"
    );
    assert_eq!(
        read(store, "link-in", None).await,
        b"i",
        "links inside work"
    );
    let walked: Vec<_> = store.walk(&TreePath::root()).collect().await;
    assert_eq!(walked.len(), 2, "the walk sees inside and link-in only");
}

#[tokio::test]
async fn local_full_disk_is_no_space_and_places_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let _tmpfs = common::tmpfs::Tmpfs::mount(dir.path(), "4m");
    let store = LocalStore::open(dir.path()).expect("open");
    let big = vec![7u8; 8 * 1024 * 1024];
    let put = store.put(&key("big"), PutMode::Overwrite, body(&big)).await;
    assert!(matches!(put, Err(StoreError::NoSpace)), "{put:?}");
    assert!(matches!(
        stat(&store, "big").await,
        Err(StoreError::NotFound)
    ));
    let staged = std::fs::read_dir(dir.path().join(".skiff/partial"))
        .expect("staging folder")
        .count();
    assert_eq!(staged, 0, "the staged bytes are gone");
    let id = store
        .multipart_create(&key("parts"), 8 << 20)
        .await
        .expect("create");
    let part = store
        .multipart_put(&key("parts"), &id, 0, 8 << 20, body(&big))
        .await;
    assert!(matches!(part, Err(StoreError::NoSpace)), "{part:?}");
    store
        .multipart_abort(&key("parts"), &id)
        .await
        .expect("abort");
}

#[tokio::test]
async fn local_reserved_name_is_never_the_tree() {
    let backend = local().await;
    let store = backend.store.as_ref();
    store.probe().await.expect("probe");
    put(store, "a", b"a").await;
    assert_eq!(listing(store, "", 10).await, ["a"], ".skiff stays hidden");
    assert!(stat(store, ".skiff").await.is_err());
    assert!(matches!(
        store
            .put(&key(".skiff/x"), PutMode::Overwrite, body(b"x"))
            .await,
        Err(StoreError::Outside)
    ));
}

#[tokio::test]
async fn s3_probe_names_bad_credentials() {
    let (bucket, seaweed) = fresh_bucket().await;
    let mut spec = spec(&bucket, &seaweed.endpoint);
    spec.secret_access_key = Some("not-the-secret".to_owned());
    let store = S3Store::connect(&spec).expect("connect");
    assert!(
        !format!("{store:?}").contains("not-the-secret"),
        "Debug hides the secret"
    );
    match store.probe().await {
        Err(StoreError::Denied(words)) => {
            assert!(!words.contains("not-the-secret"), "{words}");
        }
        other => panic!("expected Denied, got {other:?}"),
    }
    spec.access_key_id = Some("no-such-key".to_owned());
    let store = S3Store::connect(&spec).expect("connect");
    assert!(matches!(store.probe().await, Err(StoreError::Denied(_))));
}

#[tokio::test]
async fn s3_probe_names_a_missing_bucket() {
    let (_, seaweed) = fresh_bucket().await;
    let store = S3Store::connect(&spec("no-such-bucket", &seaweed.endpoint)).expect("connect");
    match store.probe().await {
        Err(StoreError::Unavailable(words)) => {
            assert!(
                words.contains("no bucket named \"no-such-bucket\""),
                "{words}"
            )
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn s3_probe_names_an_unreachable_endpoint() {
    let endpoint = unreachable_endpoint();
    let store = S3Store::connect(&spec("any", &endpoint)).expect("connect");
    let started = std::time::Instant::now();
    match store.probe().await {
        Err(StoreError::Unavailable(words)) => {
            assert_eq!(words, format!("cannot reach {endpoint}"))
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(started.elapsed().as_secs() < 30, "says so in seconds");
}

#[tokio::test]
async fn s3_keys_are_readable_in_the_bucket_and_under_a_prefix() {
    let (bucket, seaweed) = fresh_bucket().await;
    let mut prefixed = spec(&bucket, &seaweed.endpoint);
    prefixed.prefix = "tenant/one".to_owned();
    let store = S3Store::connect(&prefixed).expect("connect");
    put(&store, "50% off #1.txt", b"deal").await;
    store.mkdir(&key("empty")).await.expect("mkdir");
    // Seen from the whole bucket: the prefix, then the names as they are.
    let whole = S3Store::connect(&spec(&bucket, &seaweed.endpoint)).expect("connect");
    assert_eq!(
        listing(&whole, "tenant/one", 10).await,
        ["50% off #1.txt", "empty/"]
    );
    assert_eq!(
        read(&whole, "tenant/one/50% off #1.txt", None).await,
        b"deal"
    );
    assert!(listing(&whole, "tenant/one/empty", 10).await.is_empty());
}
