//! Cases that write: conditional puts, deletes, `mkdir -p`, renames and copies of
//! files and folders, multipart writes, a 40 MiB streamed put, the probe.

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use skiff_protocol::TreePath;
use skiff_server::store::{PutMode, Store, StoreError};

use crate::fixtures::{body, key, listing, put, read, stat};

pub async fn conditional_puts(store: &dyn Store) {
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

pub async fn deletes(store: &dyn Store) {
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

pub async fn mkdir_makes_parents(store: &dyn Store) {
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

pub async fn rename_and_copy_files(store: &dyn Store) {
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

pub async fn rename_and_copy_folders(store: &dyn Store) {
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

pub async fn multipart_parts_in_any_order(store: &dyn Store) {
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

pub async fn streamed_put_of_40_mib(store: &dyn Store) {
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

pub async fn probe_succeeds(store: &dyn Store) {
    store.probe().await.expect("probe");
    store.probe().await.expect("probe again");
}
