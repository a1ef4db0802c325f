//! An RFSAPI listing (PROTOCOL.md §1) read as its bytes arrive: the entries of
//! `files` are parsed one at a time, so the first screenful of a 100,000-entry
//! folder can be painted long before its whole body (16 MiB of JSON) has come.
//!
//! skiff-server sends `writes_supported`, `is_root` and `is_file` first and
//! `files` last, and streams a big folder's entries as it reads them. Any other
//! order is read too (a plain RFSAPI server's); the flags are then known only at
//! the end, and nothing is shown early. Only the bytes of the entry being read
//! are kept, never the whole body.

use skiff_protocol::{FilesetData, RawFileData};

/// Bytes already read are dropped from the buffer once there are this many.
const COMPACT_AT: usize = 64 << 10;

/// A listing being read; see the module docs.
#[derive(Default)]
pub struct ListingStream {
    buf: Vec<u8>,
    /// Where reading goes on in `buf`.
    at: usize,
    state: State,
    writes_supported: Option<bool>,
    is_root: Option<bool>,
    is_file: Option<bool>,
    files: Option<Vec<RawFileData>>,
}

/// What the reader expects next.
#[derive(Default, Clone, Copy, PartialEq, Debug)]
enum State {
    /// The opening `{`.
    #[default]
    Start,
    /// A member's key (or, when `first`, the closing `}`).
    Key { first: bool },
    /// The value of a member.
    Value(Field),
    /// `,` or `}` after a member.
    AfterValue,
    /// An entry of `files` (or, when `first`, the closing `]`).
    Entry { first: bool },
    /// `,` or `]` after an entry.
    AfterEntry,
    /// Nothing but white space.
    Done,
}

/// The members the app reads; others are skipped.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Field {
    WritesSupported,
    IsRoot,
    IsFile,
    Files,
    Other,
}

impl ListingStream {
    /// Reads `chunk`, the next bytes of the body.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), String> {
        self.buf.extend_from_slice(chunk);
        self.read(false)?;
        if self.at >= COMPACT_AT {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        Ok(())
    }

    /// The whole listing, once the body has ended.
    pub fn finish(mut self) -> Result<FilesetData, String> {
        self.read(true)?;
        if self.state != State::Done {
            return Err(if self.buf.is_empty() {
                "the body is empty".to_owned()
            } else {
                "it ends in the middle".to_owned()
            });
        }
        let missing = |field: &str| format!("missing field `{field}`");
        Ok(FilesetData {
            writes_supported: self
                .writes_supported
                .ok_or_else(|| missing("writes_supported"))?,
            is_root: self.is_root.ok_or_else(|| missing("is_root"))?,
            is_file: self.is_file.ok_or_else(|| missing("is_file"))?,
            files: self.files.ok_or_else(|| missing("files"))?,
        })
    }

    /// The entries read so far.
    pub fn entries(&self) -> &[RawFileData] {
        self.files.as_deref().unwrap_or_default()
    }

    /// `is_file`, `is_root` and `writes_supported`, once all three have been read.
    pub fn flags(&self) -> Option<(bool, bool, bool)> {
        Some((self.is_file?, self.is_root?, self.writes_supported?))
    }

    /// Reads as far as the buffer goes; `end`: no more bytes will come.
    fn read(&mut self, end: bool) -> Result<(), String> {
        loop {
            let Some(skip) = self.buf[self.at..]
                .iter()
                .position(|byte| !byte.is_ascii_whitespace())
            else {
                self.at = self.buf.len();
                return Ok(());
            };
            self.at += skip;
            let rest = &self.buf[self.at..];
            let next = rest[0];
            let (used, state) = match self.state {
                State::Start if next == b'{' => (1, State::Key { first: true }),
                State::Start => return Err("it is not a JSON object".to_owned()),
                State::Key { first: true } if next == b'}' => (1, State::Done),
                State::Key { .. } => {
                    if next != b'"' {
                        return Err(format!("expected a key, found `{}`", next as char));
                    }
                    let Some((used, key)) = key_and_colon(rest)? else {
                        return Ok(());
                    };
                    (used, State::Value(field_named(&key)))
                }
                State::Value(Field::Files) if next == b'[' => {
                    self.files = Some(Vec::new());
                    (1, State::Entry { first: true })
                }
                State::Value(field) => {
                    let Some(used) = value_end(rest, end) else {
                        return Ok(());
                    };
                    if used == 0 {
                        return Err("a member has no value".to_owned());
                    }
                    let value = &rest[..used];
                    match field {
                        Field::WritesSupported => self.writes_supported = Some(boolean(value)?),
                        Field::IsRoot => self.is_root = Some(boolean(value)?),
                        Field::IsFile => self.is_file = Some(boolean(value)?),
                        Field::Files => return Err("`files` is not an array".to_owned()),
                        Field::Other => {}
                    }
                    (used, State::AfterValue)
                }
                State::AfterValue if next == b',' => (1, State::Key { first: false }),
                State::AfterValue if next == b'}' => (1, State::Done),
                State::AfterValue => {
                    return Err(format!("expected `,` or `}}`, found `{}`", next as char))
                }
                State::Entry { first: true } if next == b']' => (1, State::AfterValue),
                State::Entry { .. } => {
                    let Some(used) = value_end(rest, end) else {
                        return Ok(());
                    };
                    let entry: RawFileData = serde_json::from_slice(&rest[..used])
                        .map_err(|error| format!("an entry of `files`: {error}"))?;
                    self.files.get_or_insert_with(Vec::new).push(entry);
                    (used, State::AfterEntry)
                }
                State::AfterEntry if next == b',' => (1, State::Entry { first: false }),
                State::AfterEntry if next == b']' => (1, State::AfterValue),
                State::AfterEntry => {
                    return Err(format!("expected `,` or `]`, found `{}`", next as char))
                }
                State::Done => return Err("there is more after the listing".to_owned()),
            };
            self.at += used;
            self.state = state;
        }
    }
}

fn field_named(key: &str) -> Field {
    match key {
        "writes_supported" => Field::WritesSupported,
        "is_root" => Field::IsRoot,
        "is_file" => Field::IsFile,
        "files" => Field::Files,
        _ => Field::Other,
    }
}

fn boolean(value: &[u8]) -> Result<bool, String> {
    serde_json::from_slice(value).map_err(|error| error.to_string())
}

/// A member's key (`rest` starts with its `"`) and the bytes up to and with its
/// `:`; `None` until they have all come.
fn key_and_colon(rest: &[u8]) -> Result<Option<(usize, String)>, String> {
    let Some(end) = string_end(rest) else {
        return Ok(None);
    };
    let Some(gap) = rest[end..]
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
    else {
        return Ok(None);
    };
    if rest[end + gap] != b':' {
        return Err("expected `:` after a key".to_owned());
    }
    let key: String = serde_json::from_slice(&rest[..end]).map_err(|error| error.to_string())?;
    Ok(Some((end + gap + 1, key)))
}

/// The length of the JSON value `bytes` starts with, if it has all come; a number
/// or `true`/`false`/`null` is whole once what follows it has come (or at the end).
fn value_end(bytes: &[u8], end: bool) -> Option<usize> {
    match bytes.first()? {
        b'"' => string_end(bytes),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => {
                        i += string_end(&bytes[i..])?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => bytes
            .iter()
            .position(|byte| matches!(byte, b',' | b'}' | b']') || byte.is_ascii_whitespace())
            .or(end.then_some(bytes.len())),
    }
}

/// The length of the JSON string `bytes` starts with (its `"` included), if whole.
fn string_end(bytes: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> RawFileData {
        RawFileData {
            mime_type: "text/plain".to_owned(),
            name: name.to_owned(),
            last_modified: "2026-12-03T10:00:00Z".to_owned(),
            size: 12,
            is_file: true,
            id: None,
            etag: Some("\"e\"".to_owned()),
        }
    }

    fn whole(bytes: &[u8], split: usize) -> Result<FilesetData, String> {
        let mut stream = ListingStream::default();
        stream.feed(&bytes[..split])?;
        stream.feed(&bytes[split..])?;
        stream.finish()
    }

    #[test]
    fn reads_a_listing_split_anywhere_as_serde_does() {
        let names = ["a", "b]}\"{[,", "c\\\"d", "ünï \u{1F600}", "e\nf"];
        let data = FilesetData {
            writes_supported: true,
            is_root: false,
            is_file: false,
            files: names.iter().map(|name| entry(name)).collect(),
        };
        let json = serde_json::to_vec_pretty(&data).expect("json");
        for split in 0..=json.len() {
            assert_eq!(whole(&json, split), Ok(data.clone()), "split at {split}");
        }
    }

    #[test]
    fn any_member_order_and_unknown_members() {
        let json = br#"{"files":[{"mime_type":"text/plain","name":"x","last_modified":"t","size":1,"is_file":true}],
            "extra":{"nested":[1,{"a":"]"}]},"is_file":false,"n":-1.5e3,"is_root":true,"writes_supported":false}"#;
        for split in 0..=json.len() {
            let data = whole(json, split).expect("reads");
            assert!(data.is_root && !data.is_file && !data.writes_supported);
            assert_eq!(data.files.len(), 1);
        }
        let mut stream = ListingStream::default();
        stream.feed(&json[..json.len() / 2]).expect("half");
        assert_eq!(stream.entries().len(), 1);
        assert_eq!(stream.flags(), None, "the flags come last here");
    }

    #[test]
    fn entries_and_flags_are_there_before_the_end() {
        let data = FilesetData {
            writes_supported: true,
            is_root: true,
            is_file: false,
            files: (0..100).map(|i| entry(&format!("f{i}"))).collect(),
        };
        let json = serde_json::to_vec(&data).expect("json");
        let mut stream = ListingStream::default();
        stream.feed(&json[..json.len() / 2]).expect("half");
        assert_eq!(stream.flags(), Some((false, true, true)));
        assert!((40..60).contains(&stream.entries().len()));
        assert_eq!(stream.entries()[0].name, "f0");
    }

    #[test]
    fn broken_bodies_are_errors() {
        let cases: [&[u8]; 12] = [
            b"{\"x\":}",
            b"{\"files\":[{},]}",
            b"",
            b"[]",
            b"{\"files\":[",
            b"{\"files\":[{\"name\":1}]}",
            b"{\"files\":{}}",
            b"{\"is_root\":\"yes\"}",
            b"{\"is_root\" true}",
            b"{\"writes_supported\":true,\"is_root\":false,\"is_file\":false}",
            b"{\"writes_supported\":true,\"is_root\":false,\"is_file\":false,\"files\":[]} x",
            b"{\"writes_supported\":true,\"is_root\":false,\"is_file\":false,\"files\":[],}",
        ];
        for case in cases {
            let mut stream = ListingStream::default();
            let result = stream.feed(case).and_then(|()| stream.finish());
            assert!(
                result.is_err(),
                "{:?} was read",
                String::from_utf8_lossy(case)
            );
        }
        let ok = b"{\"writes_supported\":true,\"is_root\":false,\"is_file\":false,\"files\":[]}";
        assert!(whole(ok, 10).is_ok());
    }

    #[test]
    fn memory_holds_only_what_is_unread() {
        let data = FilesetData {
            writes_supported: false,
            is_root: false,
            is_file: false,
            files: (0..5_000).map(|i| entry(&format!("file-{i:06}"))).collect(),
        };
        let json = serde_json::to_vec(&data).expect("json");
        let mut stream = ListingStream::default();
        for chunk in json.chunks(1000) {
            stream.feed(chunk).expect("chunk");
            assert!(stream.buf.len() < COMPACT_AT + 2000);
        }
        assert_eq!(stream.finish().expect("whole"), data);
    }
}
