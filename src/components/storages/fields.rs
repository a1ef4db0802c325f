//! The fields of the "Add storage" form, and which of them a server's refusal is about:
//! a 400 or 409 whose message names a field ("no such bucket", "the name is taken") is
//! shown under that field; any other message above the buttons.

/// One input of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The storage's name (also the folder it appears as).
    Name,
    /// A name for people.
    Label,
    /// `file:///…` or `s3://bucket/prefix`.
    Url,
    /// The S3 endpoint.
    Endpoint,
    /// The S3 region.
    Region,
    /// The S3 access key id.
    AccessKey,
    /// The S3 secret access key.
    Secret,
}

impl Field {
    /// Every field, in the form's order.
    pub const ALL: [Field; 7] = [
        Field::Name,
        Field::Label,
        Field::Url,
        Field::Endpoint,
        Field::Region,
        Field::AccessKey,
        Field::Secret,
    ];

    /// The input's `name` (also in element ids and `data-field`).
    pub fn key(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Label => "label",
            Field::Url => "url",
            Field::Endpoint => "endpoint",
            Field::Region => "region",
            Field::AccessKey => "access_key_id",
            Field::Secret => "secret_access_key",
        }
    }

    /// The id of the element holding this field's error (its `aria-describedby`).
    pub fn error_id(self) -> String {
        format!("storage-error-{}", self.key())
    }

    /// The input's id.
    pub fn input_id(self) -> String {
        format!("storage-{}", self.key())
    }

    /// Whether only S3 storages have it.
    pub fn s3_only(self) -> bool {
        matches!(
            self,
            Field::Endpoint | Field::Region | Field::AccessKey | Field::Secret
        )
    }
}

/// The field a refusal is about, judged by the words of its message (and its code):
/// the most specific mention wins, so "the secret access key" is the secret, not the
/// access key id, and "bucket" or "folder" is the URL that names them. Quoted values
/// are not words of the message: `the name "url-test" is taken` is about the name.
pub fn field_of(code: &str, message: &str) -> Option<Field> {
    let words: Vec<String> = format!("{code} {}", without_quoted(message))
        .to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect();
    let has = |wanted: &[&str]| words.iter().any(|word| wanted.contains(&word.as_str()));
    let has_pair = |first: &str, second: &str| {
        words
            .windows(2)
            .any(|pair| pair[0] == first && pair[1] == second)
    };
    if has(&["secret", "secret_access_key"]) {
        Some(Field::Secret)
    } else if has(&["access_key_id", "access_key"]) || has_pair("access", "key") {
        Some(Field::AccessKey)
    } else if has(&["endpoint"]) {
        Some(Field::Endpoint)
    } else if has(&["region"]) {
        Some(Field::Region)
    } else if has(&["url", "bucket", "folder", "directory", "path", "prefix"]) {
        Some(Field::Url)
    } else if has(&["label"]) {
        Some(Field::Label)
    } else if has(&["name", "named", "mount", "name_taken", "mount_taken"]) {
        Some(Field::Name)
    } else {
        None
    }
}

/// `message` without what it quotes (`"…"`, with `\"` inside, or `“…”`).
fn without_quoted(message: &str) -> String {
    let mut kept = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in message.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(close) if c == close => {
                quote = None;
                kept.push(' ');
            }
            Some(_) => {}
            None if c == '"' => quote = Some('"'),
            None if c == '“' => quote = Some('”'),
            None => kept.push(c),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_goes_to_the_field_it_names() {
        let cases = [
            (
                "bad_request",
                "url must be file:///abs/path or s3://bucket",
                Some(Field::Url),
            ),
            ("bad_request", "no such bucket: photos", Some(Field::Url)),
            ("bad_request", "/srv/x is not a folder", Some(Field::Url)),
            (
                "conflict",
                "a storage named photos already exists",
                Some(Field::Name),
            ),
            (
                "bad_request",
                r#"the name "url-test\"x" is not valid"#,
                Some(Field::Name),
            ),
            (
                "bad_request",
                "the URL “bucket” is not valid",
                Some(Field::Url),
            ),
            ("conflict", "the name photos is taken", Some(Field::Name)),
            ("conflict", "mount photos is taken", Some(Field::Name)),
            (
                "bad_request",
                "the endpoint http://127.0.0.1:1 is unreachable",
                Some(Field::Endpoint),
            ),
            (
                "bad_request",
                "The secret access key is wrong",
                Some(Field::Secret),
            ),
            (
                "bad_request",
                "The AWS Access Key Id you provided does not exist",
                Some(Field::AccessKey),
            ),
            ("bad_request", "unknown region xx-1", Some(Field::Region)),
            ("bad_request", "bad credentials", None),
            ("internal", "storage_unavailable", None),
        ];
        for (code, message, field) in cases {
            assert_eq!(field_of(code, message), field, "{message}");
        }
    }

    #[test]
    fn fields_have_distinct_ids() {
        let ids: std::collections::HashSet<String> =
            Field::ALL.iter().map(|field| field.input_id()).collect();
        assert_eq!(ids.len(), Field::ALL.len());
    }
}
