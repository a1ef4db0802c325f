//! An `s3://bucket[/prefix]` ROOT (PROTOCOL.md §7): the bucket is the default
//! storage, reached with the standard `AWS_*` variables, and the server's state
//! lives beside it in the bucket (`crate::bucket_state`), so several instances
//! can serve one bucket (docs/design/scale-out.md).
//!
//! Before anything is served, [`prepare`] proves the bucket can be listed, that
//! the endpoint enforces conditional writes (else it refuses to start, saying
//! why), and takes the URL-signing key from the bucket, made once by whichever
//! instance came first, so a link signed by one instance opens on every other.
//!
//! What is shared so far: the tree, the signing key, ids and metadata (records
//! in the bucket, `crate::catalog::shared`, scale-out step 3: every instance
//! gives an entry the same id and reads the same metadata) and, with
//! `--writable`, the upload sessions (parts sessions; `crate::uploads` keeps
//! them as records in the bucket, scale-out step 4), so a session made on one
//! instance takes parts on another and completes on a third. Whole-file writes,
//! `mkdir`, and `move` and `DELETE` of a file go straight to the bucket; a
//! folder's move or recursive delete runs as a journaled job any instance can
//! finish (`crate::jobs`). Storages added through the API are one record in the
//! bucket (`crate::storages::shared`), checked by every request. What would
//! drift apart between instances is refused with 501: sessions into a mounted
//! local folder (each instance's own; sessions into a mounted S3 storage are
//! shared).

use std::path::Path;
use std::sync::Arc;

use skiff_protocol::{StorageKind, TreePath};

use crate::bucket_state::BucketState;
use crate::config::{Config, ConfigError};
use crate::storages::shared::{Records, SharedStorages};
use crate::storages::spec::{BackendInput, BackendSpec};
use crate::store::s3::{S3Spec, S3Store};
use crate::store::{Store, StoreError};

/// The signing key's record.
const SIGNING_KEY: &str = "secrets/signing";

/// An S3 root, checked and ready to serve.
#[derive(Debug)]
pub struct S3Root {
    /// The bucket (and prefix) as the default storage.
    pub store: S3Store,
    /// Its backend as the storages API shows it (credentials never shown).
    pub backend: BackendSpec,
    /// The records shared by every instance on the bucket.
    pub state: BucketState,
    /// The key that signs URLs, the same on every instance.
    pub signing_key: [u8; 32],
    /// The storages record (`crate::storages::shared`) and what it held at startup.
    pub storages: (Arc<SharedStorages>, Records),
}

impl S3Root {
    /// The default storage's label: the prefix's last name, else the bucket.
    pub fn label(&self) -> String {
        let spec = self.store.spec();
        spec.prefix
            .rsplit('/')
            .next()
            .filter(|name| !name.is_empty())
            .unwrap_or(&spec.bucket)
            .to_owned()
    }
}

/// Whether ROOT names a bucket rather than a folder.
pub fn is_s3_root(root: &Path) -> bool {
    root.to_str().is_some_and(|root| root.starts_with("s3://"))
}

/// Checks an `s3://` ROOT and everything it needs; `Ok(None)` for a folder ROOT.
pub async fn prepare(config: &Config) -> Result<Option<S3Root>, ConfigError> {
    let Some(url) = config.root.to_str().filter(|_| is_s3_root(&config.root)) else {
        return Ok(None);
    };
    let spec = S3Spec::from_env(url).map_err(|bad| ConfigError::S3Root(bad.0))?;
    let refused = |error: StoreError| ConfigError::S3Root(format!("cannot serve {url}: {error}"));
    let store = S3Store::connect(&spec).map_err(refused)?;
    store
        .list(&TreePath::root(), None, 1)
        .await
        .map_err(refused)?;
    let state = BucketState::open(&store);
    state
        .check_conditional_writes()
        .await
        .map_err(|why| ConfigError::S3Root(why.0))?;
    let signing_key = shared_signing_key(&state).await.map_err(refused)?;
    // Every instance shows the default and `--config` storages with one id each.
    let mut names = vec![skiff_protocol::DEFAULT_BUCKET.to_owned()];
    names.extend(config.storages.iter().map(|spec| spec.name.clone()));
    let (shared, records) = SharedStorages::open(state.clone(), &names)
        .await
        .map_err(refused)?;
    let backend = BackendSpec::parse(
        BackendInput {
            kind: StorageKind::S3,
            url: spec.url(),
            endpoint: spec.endpoint.clone(),
            region: Some(spec.region.clone()),
            ..BackendInput::default()
        },
        None,
    )
    .map_err(ConfigError::S3Root)?;
    Ok(Some(S3Root {
        store,
        backend,
        state,
        signing_key,
        storages: (Arc::new(shared), records),
    }))
}

/// The bucket's signing key: read, or made if there is none; when two instances
/// make one at once, the one whose record landed first is every instance's key.
async fn shared_signing_key(state: &BucketState) -> Result<[u8; 32], StoreError> {
    for _ in 0..3 {
        if let Some(record) = state.get(SIGNING_KEY).await? {
            return <[u8; 32]>::try_from(record.bytes.as_ref()).map_err(|_| {
                StoreError::Unavailable(format!(
                    "the record {SIGNING_KEY} in the bucket's .skiff/state is damaged \
                     (remove it to make a new key; links signed so far stop working)"
                ))
            });
        }
        let key = crate::catalog::secrets::new_signing_key();
        match state.create(SIGNING_KEY, key.to_vec()).await {
            Ok(_) => return Ok(key),
            Err(StoreError::Exists) => continue,
            Err(error) => return Err(error),
        }
    }
    Err(StoreError::Unavailable(
        "the signing key's record keeps changing".to_owned(),
    ))
}
