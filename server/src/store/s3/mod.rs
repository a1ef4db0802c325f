//! [`S3Store`]: an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, …) behind the
//! [`Store`] seam, through `object_store`'s `AmazonS3`.
//!
//! Keys are the tree path's names joined by `/` under the storage's prefix, each
//! name readable as itself (`keys.rs`). S3 has no folders: a folder is a common
//! prefix in a delimited listing, or an empty one's zero-byte `key/` marker
//! object (`marker.rs`), which listings show as the folder, never as a file.
//! Conditional writes are S3's own `If-None-Match: *` / `If-Match` (object_store's
//! `S3ConditionalPut::ETagMatch`); multipart writes are S3 multipart uploads,
//! part number = index + 1, so a part sent again replaces itself.
//!
//! - `spec.rs`: [`S3Spec`], the bucket and how to reach it
//! - `tree.rs`: stat, paged listing, walk
//! - `folders.rs`: delete, mkdir, rename, copy (per object; a journaled job
//!   is a later step)
//! - `write.rs`: streamed puts and multipart writes
//! - `errors.rs`: failures in words (bad credentials, no bucket, unreachable)

mod errors;
mod folders;
mod keys;
mod marker;
mod spec;
mod steps;
mod tree;
mod write;

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, S3ConditionalPut};
use object_store::client::{HttpConnector, ReqwestConnector};
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, ObjectMeta, ObjectStore, ObjectStoreExt, RetryConfig,
};
use skiff_protocol::{StorageKind, TreePath};

use super::{
    ByteStream, Entry, EntryStream, MultipartId, Page, PartTag, PutMode, Store, StoreError,
};
pub use spec::{BadS3Url, S3Spec, DEFAULT_REGION};

/// How long connecting to the endpoint may take before it counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest one request may take (a big part on a slow link, a long read).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// The entity-tag of every folder: S3 folders have no bytes to change.
const FOLDER_ETAG: &str = "\"folder\"";

/// One bucket (and prefix) on an S3-compatible endpoint.
#[derive(Debug, Clone)]
pub struct S3Store {
    spec: S3Spec,
    inner: Arc<AmazonS3>,
    markers: marker::Markers,
}

impl S3Store {
    /// A client for `spec`'s bucket. Nothing is sent yet: [`Store::probe`] proves
    /// the bucket can be listed and written.
    pub fn connect(spec: &S3Spec) -> Result<S3Store, StoreError> {
        let options = ClientOptions::new()
            .with_allow_http(spec.allow_http)
            .with_connect_timeout(CONNECT_TIMEOUT)
            .with_timeout(REQUEST_TIMEOUT);
        // A few quick retries: an endpoint that is down should say so in seconds.
        let retry = RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: 2,
            retry_timeout: Duration::from_secs(10),
        };
        let mut builder = match (&spec.access_key_id, &spec.secret_access_key) {
            (Some(key), Some(secret)) => AmazonS3Builder::new()
                .with_access_key_id(key)
                .with_secret_access_key(secret),
            _ => AmazonS3Builder::from_env(),
        };
        builder = builder
            .with_bucket_name(&spec.bucket)
            .with_region(&spec.region)
            .with_allow_http(spec.allow_http)
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            .with_client_options(options.clone())
            .with_retry(retry);
        if let Some(endpoint) = &spec.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false);
        }
        let inner = builder
            .build()
            .map_err(|error| StoreError::Unavailable(format!("bad S3 settings: {error}")))?;
        let client = ReqwestConnector::default()
            .connect(&options)
            .map_err(|error| StoreError::Unavailable(format!("bad S3 settings: {error}")))?;
        let markers = marker::Markers {
            client,
            credentials: Arc::clone(inner.credentials()),
            spec: spec.clone(),
        };
        Ok(S3Store {
            spec: spec.clone(),
            inner: Arc::new(inner),
            markers,
        })
    }

    /// What this store was connected with (the secret stays redacted in `Debug`).
    pub fn spec(&self) -> &S3Spec {
        &self.spec
    }

    /// The bucket's client, for what lives beside the tree in the same bucket
    /// (`crate::bucket_state`: the server's own records under `.skiff/`).
    pub(crate) fn client(&self) -> Arc<AmazonS3> {
        Arc::clone(&self.inner)
    }

    /// An `object_store` error in the seam's words, naming this store's endpoint.
    pub(crate) fn error_in_words(&self, error: object_store::Error) -> StoreError {
        self.error(error)
    }

    /// The object key of `key`: the prefix, then each name encoded (`""` for
    /// the root of a whole bucket).
    fn object_key(&self, key: &TreePath) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(key.segments().len() + 1);
        if !self.spec.prefix.is_empty() {
            parts.push(self.spec.prefix.clone());
        }
        parts.extend(key.segments().iter().map(|name| keys::encode(name)));
        parts.join("/")
    }

    /// `object_store`'s path of `key`.
    fn path(&self, key: &TreePath) -> Result<Path, StoreError> {
        Path::parse(self.object_key(key))
            .map_err(|_| StoreError::WrongKind("a name this storage cannot hold"))
    }

    /// The listing prefix of folder `dir`: its key and `/` (`""` for the bucket).
    fn dir_prefix(&self, dir: &TreePath) -> String {
        let key = self.object_key(dir);
        if key.is_empty() {
            key
        } else {
            format!("{key}/")
        }
    }

    fn error(&self, error: object_store::Error) -> StoreError {
        errors::from_object_store(error, &self.spec)
    }

    /// The object at `key`, if there is one (a folder is not an object).
    async fn head(&self, key: &TreePath) -> Result<Option<ObjectMeta>, StoreError> {
        if key.is_root() {
            return Ok(None);
        }
        match self.inner.head(&self.path(key)?).await {
            Ok(meta) => Ok(Some(meta)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(self.error(error)),
        }
    }
}

/// The entry of file `key` from its object's metadata.
fn file_entry(key: TreePath, meta: &ObjectMeta) -> Entry {
    Entry {
        key,
        is_dir: false,
        size: meta.size,
        modified: SystemTime::from(meta.last_modified),
        etag: quoted(meta.e_tag.as_deref().unwrap_or_default()),
    }
}

/// The entry of folder `key`, last changed at `modified` if a marker says when.
fn folder_entry(key: TreePath, modified: Option<SystemTime>) -> Entry {
    Entry {
        key,
        is_dir: true,
        size: 0,
        modified: modified.unwrap_or(SystemTime::UNIX_EPOCH),
        etag: FOLDER_ETAG.to_owned(),
    }
}

/// S3 ETags come quoted; some servers drop the quotes.
fn quoted(etag: &str) -> String {
    if etag.starts_with('"') || etag.starts_with("W/") {
        etag.to_owned()
    } else {
        format!("\"{etag}\"")
    }
}

#[async_trait]
impl Store for S3Store {
    fn kind(&self) -> StorageKind {
        StorageKind::S3
    }

    async fn probe(&self) -> Result<(), StoreError> {
        self.list_raw(&TreePath::root(), None, 1).await?;
        let probe = Path::parse(format!(
            "{}.skiff/probe-{}",
            self.dir_prefix(&TreePath::root()),
            uuid::Uuid::new_v4().simple()
        ))
        .map_err(|_| StoreError::WrongKind("a prefix this storage cannot hold"))?;
        self.inner
            .put(&probe, "skiff probe".into())
            .await
            .map_err(|error| self.error(error))?;
        self.inner
            .delete(&probe)
            .await
            .map_err(|error| self.error(error))
    }

    async fn stat(&self, key: &TreePath) -> Result<Entry, StoreError> {
        self.stat_entry(key).await
    }

    async fn list(
        &self,
        dir: &TreePath,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        self.list_page(dir, after, limit).await
    }

    async fn read(
        &self,
        key: &TreePath,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream, StoreError> {
        let path = self.path(key)?;
        if let Some(range) = &range {
            if range.start >= range.end {
                // S3 cannot express an empty range; the file must still exist.
                self.stat_file(key).await?;
                return Ok(Box::pin(futures_util::stream::empty()));
            }
        }
        let options = GetOptions::new().with_range(range);
        let result = match self.inner.get_opts(&path, options).await {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(match self.stat_entry(key).await {
                    Ok(entry) if entry.is_dir => StoreError::WrongKind("a folder, not a file"),
                    _ => StoreError::NotFound,
                });
            }
            // A range past the end: nothing to read there, as on a disk.
            Err(error) if errors::status(&error) == Some(416) => {
                self.stat_file(key).await?;
                return Ok(Box::pin(futures_util::stream::empty()));
            }
            Err(error) => return Err(self.error(error)),
        };
        let spec = self.spec.clone();
        Ok(Box::pin(result.into_stream().map_err(move |error| {
            errors::from_object_store(error, &spec)
        })))
    }

    async fn put(
        &self,
        key: &TreePath,
        mode: PutMode,
        body: ByteStream,
    ) -> Result<Entry, StoreError> {
        self.put_streamed(key, mode, body).await
    }

    async fn delete(&self, key: &TreePath, recursive: bool) -> Result<(), StoreError> {
        self.delete_entry(key, recursive).await
    }

    async fn mkdir(&self, key: &TreePath) -> Result<(), StoreError> {
        self.make_folder(key).await
    }

    async fn mkdir_new(&self, key: &TreePath) -> Result<(), StoreError> {
        self.make_new_folder(key).await
    }

    async fn rename(
        &self,
        from: &TreePath,
        to: &TreePath,
        overwrite: bool,
    ) -> Result<(), StoreError> {
        self.transfer(from, to, overwrite, true).await
    }

    async fn copy(
        &self,
        from: &TreePath,
        to: &TreePath,
        overwrite: bool,
    ) -> Result<(), StoreError> {
        self.transfer(from, to, overwrite, false).await
    }

    fn walk(&self, prefix: &TreePath) -> EntryStream {
        self.walk_files(prefix)
    }

    fn walk_tree(&self, prefix: &TreePath) -> EntryStream {
        self.walk_everything(prefix)
    }

    async fn multipart_create(
        &self,
        key: &TreePath,
        _part_size: u64,
    ) -> Result<MultipartId, StoreError> {
        self.start_multipart(key).await
    }

    async fn multipart_put(
        &self,
        key: &TreePath,
        id: &MultipartId,
        index: u64,
        len: u64,
        body: ByteStream,
    ) -> Result<PartTag, StoreError> {
        self.put_part(key, id, index, len, body).await
    }

    async fn multipart_complete(
        &self,
        key: &TreePath,
        id: &MultipartId,
        parts: Vec<PartTag>,
        mode: PutMode,
    ) -> Result<Entry, StoreError> {
        self.complete_multipart(key, id, parts, mode).await
    }

    async fn multipart_abort(&self, key: &TreePath, id: &MultipartId) -> Result<(), StoreError> {
        self.abort_multipart(key, id).await
    }
}
