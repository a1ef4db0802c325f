//! What every case uses: the two backends (a temp folder; a fresh bucket on the
//! test SeaweedFS) and short helpers over the `Store` calls.

use bytes::Bytes;
use futures_util::StreamExt;
use skiff_protocol::TreePath;
use skiff_server::store::local::LocalStore;
use skiff_server::store::s3::{S3Spec, S3Store};
use skiff_server::store::{ByteStream, Entry, PutMode, Store, StoreError};
use tempfile::TempDir;

use crate::common::seaweed::{fresh_bucket, ACCESS_KEY, REGION, SECRET_KEY};

/// A store under test, and what keeps its backing alive.
pub struct Backend {
    pub store: Box<dyn Store>,
    pub dir: Option<TempDir>,
}

pub async fn local() -> Backend {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalStore::open(dir.path()).expect("open the local store");
    Backend {
        store: Box::new(store),
        dir: Some(dir),
    }
}

/// The spec of `bucket` on the test SeaweedFS at `endpoint`.
pub fn spec(bucket: &str, endpoint: &str) -> S3Spec {
    let mut spec = S3Spec::from_url(&format!("s3://{bucket}")).expect("valid URL");
    spec.endpoint = Some(endpoint.to_owned());
    spec.region = REGION.to_owned();
    spec.access_key_id = Some(ACCESS_KEY.to_owned());
    spec.secret_access_key = Some(SECRET_KEY.to_owned());
    spec.allow_http = true;
    spec
}

pub async fn s3() -> Backend {
    let (bucket, seaweed) = fresh_bucket().await;
    let store = S3Store::connect(&spec(&bucket, &seaweed.endpoint)).expect("connect");
    Backend {
        store: Box::new(store),
        dir: None,
    }
}

pub fn key(text: &str) -> TreePath {
    if text.is_empty() {
        return TreePath::root();
    }
    TreePath::from_segments(text.split('/')).expect("valid key")
}

pub fn body(bytes: &[u8]) -> ByteStream {
    let chunk = Bytes::copy_from_slice(bytes);
    Box::pin(futures_util::stream::once(async move { Ok(chunk) }))
}

pub async fn put(store: &dyn Store, at: &str, bytes: &[u8]) -> Entry {
    store
        .put(&key(at), PutMode::Overwrite, body(bytes))
        .await
        .unwrap_or_else(|error| panic!("put {at}: {error}"))
}

pub async fn read(store: &dyn Store, at: &str, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
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

pub async fn listing(store: &dyn Store, dir: &str, limit: usize) -> Vec<String> {
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

pub async fn stat(store: &dyn Store, at: &str) -> Result<Entry, StoreError> {
    store.stat(&key(at)).await
}
