//! `--config FILE` (PROTOCOL.md §7): the flags' settings in TOML, plus
//! `[[storage]]` tables for storages the operator fixes.
//!
//! ```toml
//! listen = "0.0.0.0:8080"
//! writable = true
//! tokens = ["alice:SECRET:admin"]
//! cors_origins = ["https://app.example"]
//!
//! [[storage]]
//! name = "photos"
//! type = "s3"
//! url = "s3://photos/2024"
//! endpoint = "http://127.0.0.1:8333"
//! access_key_id_env = "PHOTOS_KEY_ID"
//! secret_access_key_env = "PHOTOS_SECRET"
//! ```
//!
//! Every mistake (syntax, an unknown key, a bad value or storage, a credentials
//! variable that is not set) is a [`ConfigError::File`] naming the line, and the
//! server exits with code 2. Relative paths are taken from the file's folder.

use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use skiff_protocol::{StorageKind, DEFAULT_BUCKET};
use toml::Spanned;

use super::ConfigError;
use crate::storages::spec::{check_mount, check_name, BackendInput, BackendSpec, StorageSpec};

/// The file's settings; absent keys leave the flags' defaults.
#[derive(Debug, Default)]
pub struct FileSettings {
    /// `listen`.
    pub listen: Option<SocketAddr>,
    /// `app` (a Trunk `dist` folder).
    pub app: Option<PathBuf>,
    /// `writable`.
    pub writable: Option<bool>,
    /// `max_chunk`, bytes.
    pub max_chunk: Option<u64>,
    /// `max_size`, bytes.
    pub max_size: Option<u64>,
    /// `session_ttl`, seconds.
    pub session_ttl: Option<u64>,
    /// `tokens`, each `NAME:TOKEN:ro|rw|admin`.
    pub tokens: Option<Vec<String>>,
    /// `token_file`.
    pub token_file: Option<PathBuf>,
    /// `tls_cert` and `tls_key` (PEM files).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// `cors_origins`.
    pub cors_origins: Option<Vec<String>>,
    /// `[[storage]]` tables, checked.
    pub storages: Vec<StorageSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    listen: Option<SocketAddr>,
    app: Option<PathBuf>,
    writable: Option<bool>,
    max_chunk: Option<u64>,
    max_size: Option<u64>,
    session_ttl: Option<u64>,
    tokens: Option<Vec<Spanned<String>>>,
    token_file: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    cors_origins: Option<Vec<String>>,
    #[serde(default)]
    storage: Vec<Spanned<RawStorage>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    name: Spanned<String>,
    label: Option<Spanned<String>>,
    #[serde(rename = "type")]
    kind: StorageKind,
    url: Spanned<String>,
    endpoint: Option<String>,
    region: Option<String>,
    mount: Option<Spanned<String>>,
    access_key_id_env: Option<Spanned<String>>,
    secret_access_key_env: Option<Spanned<String>>,
}

/// Reads and checks `path`.
pub fn load(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ConfigUnreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let base = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let base = std::fs::canonicalize(&base).unwrap_or(base);
    let error = |span: Option<Range<usize>>, message: String| ConfigError::File {
        path: path.to_path_buf(),
        line: span.map_or(1, |span| line_of(&text, span.start)),
        message,
    };
    let raw: Raw =
        toml::from_str(&text).map_err(|e| error(e.span(), e.message().trim_end().to_owned()))?;
    for token in raw.tokens.iter().flatten() {
        crate::config::tokens::Token::parse(token.get_ref())
            .map_err(|why| error(Some(token.span()), why.to_string()))?;
    }
    let mut storages: Vec<StorageSpec> = Vec::new();
    for table in &raw.storage {
        let spec = storage(table.get_ref(), &base)
            .map_err(|(span, why)| error(Some(span.unwrap_or_else(|| table.span())), why))?;
        let taken = |other: &StorageSpec| other.name == spec.name || other.mount == spec.mount;
        if spec.name == DEFAULT_BUCKET || storages.iter().any(taken) {
            return Err(error(
                Some(table.get_ref().name.span()),
                format!(
                    "the storage name {:?} or its mount {:?} is already taken",
                    spec.name, spec.mount
                ),
            ));
        }
        storages.push(spec);
    }
    let relative = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    Ok(FileSettings {
        listen: raw.listen,
        app: raw.app.map(relative),
        writable: raw.writable,
        max_chunk: raw.max_chunk,
        max_size: raw.max_size,
        session_ttl: raw.session_ttl,
        tokens: raw
            .tokens
            .map(|tokens| tokens.into_iter().map(Spanned::into_inner).collect()),
        token_file: raw.token_file.map(relative),
        tls_cert: raw.tls_cert.map(relative),
        tls_key: raw.tls_key.map(relative),
        cors_origins: raw.cors_origins,
        storages,
    })
}

type Failure = (Option<Range<usize>>, String);

/// One `[[storage]]` table; a failure carries the span of the value at fault.
fn storage(raw: &RawStorage, base: &Path) -> Result<StorageSpec, Failure> {
    let at = |spanned: &Spanned<String>| {
        let span = spanned.span();
        move |why: String| (Some(span), why)
    };
    check_name(raw.name.get_ref()).map_err(at(&raw.name))?;
    let name = raw.name.get_ref().clone();
    let label = match &raw.label {
        Some(label) => crate::storages::checked_label_text(label.get_ref()).map_err(at(label))?,
        None => name.clone(),
    };
    let mount = match &raw.mount {
        Some(mount) => {
            check_mount(mount.get_ref()).map_err(at(mount))?;
            mount.get_ref().clone()
        }
        None => name.clone(),
    };
    let variable = |spanned: &Option<Spanned<String>>| -> Result<Option<String>, Failure> {
        let Some(spanned) = spanned else {
            return Ok(None);
        };
        let var = spanned.get_ref();
        match std::env::var(var) {
            Ok(value) if !value.is_empty() => Ok(Some(value)),
            _ => Err((
                Some(spanned.span()),
                format!("the environment variable {var} is not set"),
            )),
        }
    };
    let backend = BackendSpec::parse(
        BackendInput {
            kind: raw.kind,
            url: raw.url.get_ref().clone(),
            endpoint: raw.endpoint.clone(),
            region: raw.region.clone(),
            access_key_id: variable(&raw.access_key_id_env)?,
            secret_access_key: variable(&raw.secret_access_key_env)?,
        },
        Some(base),
    )
    .map_err(|why| (None, why))?;
    if let Ok(crate::storages::spec::Location::Local(folder)) = backend.location() {
        if !folder.is_dir() {
            return Err(at(&raw.url)(format!(
                "the folder {} does not exist",
                folder.display()
            )));
        }
    }
    Ok(StorageSpec {
        name,
        label,
        mount,
        backend,
    })
}

/// 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<FileSettings, ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("skiff.toml");
        std::fs::write(&path, text).expect("write");
        load(&path)
    }

    fn line(result: Result<FileSettings, ConfigError>) -> usize {
        match result {
            Err(ConfigError::File { line, .. }) => line,
            other => panic!("expected a file error, got {other:?}"),
        }
    }

    #[test]
    fn mistakes_name_their_line() {
        assert_eq!(line(load_text("writable = true\nlisten = [\n")), 2);
        assert_eq!(line(load_text("writable = true\n\ncolour = 1\n")), 3);
        assert_eq!(line(load_text("max_chunk = \"big\"\n")), 1);
        let storage =
            "writable = true\n[[storage]]\nname = \"Bad Name\"\ntype = \"local\"\nurl = \"/\"\n";
        assert_eq!(line(load_text(storage)), 3);
        let kind = "[[storage]]\nname = \"a\"\ntype = \"ftp\"\nurl = \"/\"\n";
        assert_eq!(line(load_text(kind)), 3);
        let env = "[[storage]]\nname = \"a\"\ntype = \"s3\"\nurl = \"s3://abc\"\n\
                   access_key_id_env = \"SKIFF_TEST_SURELY_UNSET\"\n\
                   secret_access_key_env = \"SKIFF_TEST_SURELY_UNSET\"\n";
        assert_eq!(line(load_text(env)), 5);
        let token = "tokens = [\n  \"a:b:ro\",\n  \"broken\",\n]\n";
        assert_eq!(line(load_text(token)), 3);
    }

    #[test]
    fn storages_and_settings_are_read() {
        let text = "listen = \"127.0.0.1:9\"\nwritable = true\nsession_ttl = 5\n\
                    [[storage]]\nname = \"tmp\"\nlabel = \"Temp\"\ntype = \"local\"\nurl = \".\"\n";
        let settings = load_text(text).expect("valid");
        assert_eq!(settings.listen, Some(SocketAddr::from(([127, 0, 0, 1], 9))));
        assert_eq!(settings.session_ttl, Some(5));
        assert_eq!(settings.storages.len(), 1);
        assert_eq!(settings.storages[0].label, "Temp");
        assert_eq!(settings.storages[0].mount, "tmp");
        assert!(settings.storages[0].backend.url.starts_with("file:///"));
    }
}
