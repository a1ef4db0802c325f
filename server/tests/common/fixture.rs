//! Fixture trees full of hostile names, and the names' URL forms.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::TestServer;

/// Percent-encodes one path segment the way the app does.
pub fn enc(segment: &str) -> String {
    skiff_protocol::encode_segment(segment)
}

/// The encoded URL path of `/`-separated decoded segments: `url_path(&["a b", "c"])` is `/a%20b/c`.
pub fn url_path(segments: &[&str]) -> String {
    skiff_protocol::encode_tree_path(segments)
}

/// The names of the entries in the folder `dir` of the real file system, sorted.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// A 255-byte file name (the usual `NAME_MAX`).
pub fn long_name() -> String {
    let name = format!("{}.txt", "n".repeat(251));
    assert_eq!(name.len(), 255);
    name
}

/// Every byte value once: a binary body that no text transform survives intact.
pub fn all_bytes() -> Vec<u8> {
    (0..=255u8).collect()
}

/// Top-level files of [`Fixture::hostile`], with their contents.
pub fn hostile_files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("😀.bin".to_owned(), all_bytes()),
        ("file\n1.txt".to_owned(), b"newline in the name\n".to_vec()),
        (
            "a b#c?d%e".to_owned(),
            b"space hash question percent".to_vec(),
        ),
        (long_name(), b"a name of 255 bytes".to_vec()),
        ("a+b.txt".to_owned(), b"a plus is a plus in a path".to_vec()),
        (
            "%2e%2e".to_owned(),
            b"a literal percent-two-e name".to_vec(),
        ),
        ("...".to_owned(), b"three dots are a name".to_vec()),
        ("..;".to_owned(), b"dot dot semicolon is a name".to_vec()),
        (" leading and trailing ".to_owned(), b"spaces".to_vec()),
        (
            "quote\"apos'<tag>&amp.html".to_owned(),
            b"<p>markup</p>".to_vec(),
        ),
        ("tab\there.txt".to_owned(), b"tab".to_vec()),
        ("plain.txt".to_owned(), b"hello, skiff\n".to_vec()),
        ("empty.dat".to_owned(), Vec::new()),
    ]
}

/// Unicode folder of [`Fixture::hostile`].
pub const UNICODE_DIR: &str = "ünïcødé 文件夹";
/// Folder inside [`UNICODE_DIR`].
pub const UNICODE_SUBDIR: &str = "子 folder ✓";
/// File inside [`UNICODE_SUBDIR`].
pub const DEEP_FILE: &str = "ﬁnal ドキュメント.txt";
/// Contents of [`DEEP_FILE`].
pub const DEEP_CONTENTS: &[u8] = "déjà vu — 既視感\n".as_bytes();
/// The empty folder of [`Fixture::hostile`].
pub const EMPTY_DIR: &str = "empty folder";
/// A plain nested chain of [`Fixture::hostile`]: `nested/a/b/c/leaf.txt`.
pub const NESTED: [&str; 5] = ["nested", "a", "b", "c", "leaf.txt"];
/// Contents of the nested leaf.
pub const LEAF_CONTENTS: &[u8] = b"leaf";
/// A file inside the reserved folder, never to be served.
pub const RESERVED_FILE: &str = "state.json";
/// Contents of [`RESERVED_FILE`], recognisable if it ever leaks.
pub const RESERVED_CONTENTS: &[u8] = b"{\"reserved\":\"SKIFF-RESERVED-STATE-4be1\"}";

/// A temporary directory holding the served `root/` and, next to it, things that
/// must stay out of reach.
pub struct Fixture {
    dir: TempDir,
    root: PathBuf,
}

impl Fixture {
    /// An empty served root.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("skiff-test-")
            .tempdir()
            .expect("create a temporary directory");
        let root = dir.path().join("root");
        std::fs::create_dir(&root).expect("create the served root");
        Self { dir, root }
    }

    /// The standard tree of hostile names:
    ///
    /// ```text
    /// root/
    ///   <every name of hostile_files()>
    ///   ünïcødé 文件夹/子 folder ✓/ﬁnal ドキュメント.txt
    ///   empty folder/
    ///   nested/a/b/c/leaf.txt
    ///   .skiff/state.json          (reserved: never listed, never served)
    /// ```
    pub fn hostile() -> Self {
        let fixture = Self::new();
        for (name, contents) in hostile_files() {
            fixture.write(&[&name], &contents);
        }
        fixture.write(&[UNICODE_DIR, UNICODE_SUBDIR, DEEP_FILE], DEEP_CONTENTS);
        fixture.mkdir(&[EMPTY_DIR]);
        fixture.write(&NESTED, LEAF_CONTENTS);
        fixture.write(&[".skiff", RESERVED_FILE], RESERVED_CONTENTS);
        fixture
    }

    /// The served root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The temporary directory that holds the root: outside the served tree.
    pub fn outside(&self) -> &Path {
        self.dir.path()
    }

    /// `root` joined with decoded `segments`.
    pub fn path(&self, segments: &[&str]) -> PathBuf {
        let mut path = self.root.clone();
        path.extend(segments);
        path
    }

    /// Writes a file under the root, creating its folders.
    pub fn write(&self, segments: &[&str], contents: &[u8]) -> PathBuf {
        let path = self.path(segments);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the file's folders");
        }
        std::fs::write(&path, contents).expect("write a fixture file");
        path
    }

    /// Creates a folder (and its parents) under the root.
    pub fn mkdir(&self, segments: &[&str]) -> PathBuf {
        let path = self.path(segments);
        std::fs::create_dir_all(&path).expect("create a fixture folder");
        path
    }

    /// Creates a symlink at `segments` under the root, pointing at `target`
    /// (absolute, or relative to the link's folder).
    #[cfg(unix)]
    pub fn symlink(&self, target: impl AsRef<Path>, segments: &[&str]) -> PathBuf {
        let link = self.path(segments);
        if let Some(parent) = link.parent() {
            std::fs::create_dir_all(parent).expect("create the link's folder");
        }
        std::os::unix::fs::symlink(target, &link).expect("create a fixture symlink");
        link
    }

    /// Starts the real server on this root.
    pub fn serve(&self) -> TestServer {
        TestServer::start(&self.root)
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}
