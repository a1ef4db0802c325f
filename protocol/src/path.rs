//! Tree paths as they travel in URLs: percent-encoded per segment, validated
//! lexically by the rules of PROTOCOL.md ("Path safety") before anything touches storage.

use std::fmt;

/// Why a URL path is not a safe tree path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// The path does not start with `/`.
    NotAbsolute,
    /// An empty segment (`//`) in the middle of the path.
    EmptySegment,
    /// A `.` or `..` segment, literal or percent-encoded.
    DotSegment,
    /// A segment holding NUL, a backslash or an encoded `/`.
    ForbiddenCharacter,
    /// A malformed `%` escape, or bytes that are not UTF-8.
    BadEncoding,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotAbsolute => "the path must start with '/'",
            Self::EmptySegment => "the path has an empty segment",
            Self::DotSegment => "the path has a '.' or '..' segment",
            Self::ForbiddenCharacter => "a path segment holds NUL, '\\' or an encoded '/'",
            Self::BadEncoding => "the path is not valid percent-encoded UTF-8",
        })
    }
}

impl std::error::Error for PathError {}

/// A validated path inside the served tree: zero or more safe segments.
///
/// The root is the empty path. Every segment is non-empty, not `.`/`..`, and holds
/// no `/`, `\` or NUL, so joining it under a root directory can never leave it lexically.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TreePath {
    segments: Vec<String>,
}

impl TreePath {
    /// The root of the tree.
    pub fn root() -> Self {
        Self::default()
    }

    /// Parses the path part of a URL (no query, no fragment): `/a%20b/c.txt`.
    /// One trailing `/` is allowed (a directory URL).
    pub fn parse_url_path(raw: &str) -> Result<Self, PathError> {
        let rest = raw.strip_prefix('/').ok_or(PathError::NotAbsolute)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() {
            return Ok(Self::root());
        }
        let segments = rest
            .split('/')
            .map(|raw_segment| {
                if raw_segment.is_empty() {
                    return Err(PathError::EmptySegment);
                }
                let segment = decode_segment(raw_segment)?;
                check_segment(&segment)?;
                Ok(segment)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { segments })
    }

    /// Builds a path from already-decoded segments, validating each.
    pub fn from_segments<I, S>(segments: I) -> Result<Self, PathError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let segments = segments
            .into_iter()
            .map(Into::into)
            .collect::<Vec<String>>();
        for segment in &segments {
            check_segment(segment)?;
        }
        Ok(Self { segments })
    }

    /// This path with one more segment; fails if `name` is not a safe segment.
    pub fn child(&self, name: &str) -> Result<Self, PathError> {
        check_segment(name)?;
        let mut segments = self.segments.clone();
        segments.push(name.to_owned());
        Ok(Self { segments })
    }

    /// The enclosing directory; `None` for the root.
    pub fn parent(&self) -> Option<Self> {
        let (_, parent) = self.segments.split_last()?;
        Some(Self {
            segments: parent.to_vec(),
        })
    }

    /// The last segment; `None` for the root.
    pub fn name(&self) -> Option<&str> {
        self.segments.last().map(String::as_str)
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The decoded segments, outermost first.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// Whether `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &TreePath) -> bool {
        self.segments.starts_with(&other.segments)
    }

    /// The percent-encoded URL path, `/` for the root, without a trailing slash otherwise.
    pub fn to_url_path(&self) -> String {
        encode_tree_path(&self.segments)
    }

    /// The URL path of this path as a directory: always ends in `/`.
    pub fn to_dir_url_path(&self) -> String {
        let mut url = self.to_url_path();
        if !url.ends_with('/') {
            url.push('/');
        }
        url
    }
}

impl fmt::Display for TreePath {
    /// Human form: `/a b/c.txt` (decoded, for display only).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str("/");
        }
        for segment in &self.segments {
            write!(f, "/{segment}")?;
        }
        Ok(())
    }
}

fn check_segment(segment: &str) -> Result<(), PathError> {
    if segment.is_empty() {
        return Err(PathError::EmptySegment);
    }
    if segment == "." || segment == ".." {
        return Err(PathError::DotSegment);
    }
    if segment.contains(['/', '\\', '\0']) {
        return Err(PathError::ForbiddenCharacter);
    }
    Ok(())
}

/// Percent-encodes one path segment: everything but RFC 3986 unreserved characters.
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Joins segments into an encoded absolute URL path (`/` for none).
pub fn encode_tree_path<S: AsRef<str>>(segments: &[S]) -> String {
    if segments.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::new();
    for segment in segments {
        out.push('/');
        out.push_str(&encode_segment(segment.as_ref()));
    }
    out
}

/// Decodes `%XX` escapes of one segment into UTF-8. `+` stays a `+` (this is a path).
pub fn decode_segment(raw: &str) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(PathError::BadEncoding)?;
            let high = hex_value(hex[0]).ok_or(PathError::BadEncoding)?;
            let low = hex_value(hex[1]).ok_or(PathError::BadEncoding)?;
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| PathError::BadEncoding)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}
