//! What the store keeps per entry for §3, and the rules a client's metadata body
//! must follow. Records live in the `metadata` table keyed by the entry's stable
//! id (so they follow moves), `_format` in the `formats` table beside it; on an
//! `s3://` ROOT, records in the bucket instead (`super::shared`).

use redb::ReadableTable;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use skiff_protocol::FORMAT_KEY;

use super::ids::{store_error, Ids, FORMATS, METADATA};
use crate::error::AppError;

/// One entry's stored metadata.
#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq)]
pub struct Record {
    /// Token name of the first writer of this entry's metadata.
    pub owner: Option<String>,
    /// The user keys (scalars only).
    pub user: Map<String, Value>,
}

/// A checked client body: user keys, and what to do with `_format`.
#[derive(Debug, Default)]
pub struct Change {
    /// User keys to merge or to replace with.
    pub user: Map<String, Value>,
    /// `Some(Some(type))` sets `_format`, `Some(None)` (JSON null) clears it.
    pub format: Option<Option<String>>,
}

/// Checks a body: a JSON object of scalars, no `_` key but `_format`, which must
/// be a content type (or null). Errors name the offending key.
pub fn parse_change(bytes: &[u8]) -> Result<Change, AppError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|error| AppError::BadRequest {
        code: "bad_json",
        message: format!("the body is not JSON: {error}"),
    })?;
    let Value::Object(object) = value else {
        return Err(AppError::BadRequest {
            code: "bad_json",
            message: "the body must be a JSON object".to_owned(),
        });
    };
    let mut change = Change::default();
    for (key, value) in object {
        if matches!(value, Value::Array(_) | Value::Object(_)) {
            return Err(AppError::BadRequest {
                code: "nested_value",
                message: format!("{key:?}: values must be strings, numbers, booleans or null"),
            });
        }
        if key == FORMAT_KEY {
            change.format = Some(match value {
                Value::Null => None,
                Value::String(format) if is_content_type(&format) => Some(format),
                _ => {
                    return Err(AppError::BadRequest {
                        code: "bad_format",
                        message: format!("{key:?} must be a content type like \"text/plain\""),
                    })
                }
            });
        } else if key.starts_with('_') {
            return Err(AppError::BadRequest {
                code: "read_only_key",
                message: format!("{key:?} is read-only (only _format may be set)"),
            });
        } else {
            change.user.insert(key, value);
        }
    }
    Ok(change)
}

/// `type/subtype` with optional parameters, valid as a header value.
fn is_content_type(text: &str) -> bool {
    let essence = text.split(';').next().unwrap_or_default().trim();
    let valid_token = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    text.len() <= 255
        && is_header_value(text)
        && essence
            .split_once('/')
            .is_some_and(|(kind, sub)| valid_token(kind) && valid_token(sub))
}

/// No control bytes but tab (the rule of `http::HeaderValue::from_str`), so
/// `_format` can always be served as `Content-Type`.
fn is_header_value(text: &str) -> bool {
    text.bytes().all(|b| (b >= 32 && b != 127) || b == b'\t')
}

/// The record and `_format` of entry `id` (empty if none was ever written).
pub fn load(ids: &Ids, id: &str) -> Result<(Record, Option<String>), AppError> {
    if let Some(shared) = ids.records() {
        return super::shared::run(shared.load_metadata(id));
    }
    let txn = ids.database().begin_read().map_err(store_error)?;
    let metadata = txn.open_table(METADATA).map_err(store_error)?;
    let formats = txn.open_table(FORMATS).map_err(store_error)?;
    let record = match metadata.get(id).map_err(store_error)? {
        Some(bytes) => serde_json::from_slice(bytes.value()).map_err(store_error)?,
        None => Record::default(),
    };
    let format = formats
        .get(id)
        .map_err(store_error)?
        .map(|format| format.value().to_owned());
    Ok((record, format))
}

/// Applies `change` to entry `id` in one transaction: merged into the user keys,
/// or replacing them with `replace`; `owner` becomes the owner if there is none.
pub fn apply(
    ids: &Ids,
    id: &str,
    change: Change,
    replace: bool,
    owner: Option<&str>,
) -> Result<(), AppError> {
    if let Some(shared) = ids.records() {
        return super::shared::run(shared.apply_metadata(id, change, replace, owner));
    }
    let txn = ids.database().begin_write().map_err(store_error)?;
    {
        let mut metadata = txn.open_table(METADATA).map_err(store_error)?;
        let mut record: Record = match metadata.get(id).map_err(store_error)? {
            Some(bytes) => serde_json::from_slice(bytes.value()).map_err(store_error)?,
            None => Record::default(),
        };
        if replace {
            record.user = change.user;
        } else {
            record.user.extend(change.user);
        }
        if record.owner.is_none() {
            record.owner = owner.map(str::to_owned);
        }
        let bytes = serde_json::to_vec(&record).map_err(store_error)?;
        metadata.insert(id, bytes.as_slice()).map_err(store_error)?;
        let mut formats = txn.open_table(FORMATS).map_err(store_error)?;
        match change.format {
            Some(Some(format)) => {
                formats.insert(id, format.as_str()).map_err(store_error)?;
            }
            Some(None) => {
                formats.remove(id).map_err(store_error)?;
            }
            None => {}
        }
    }
    txn.commit().map_err(store_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> String {
        match parse_change(body.as_bytes()) {
            Err(AppError::BadRequest { code, message }) => format!("{code}: {message}"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn bodies_are_checked_key_by_key() {
        let change = parse_change(
            br#"{"a": 1, "b": "x", "c": null, "d": true, "_format": "text/markdown"}"#,
        )
        .expect("valid");
        assert_eq!(change.user.len(), 4);
        assert_eq!(change.format, Some(Some("text/markdown".to_owned())));
        assert!(code(r#"{"_id": "x"}"#).starts_with("read_only_key: \"_id\""));
        assert!(code(r#"{"tags": ["a"]}"#).starts_with("nested_value: \"tags\""));
        assert!(code(r#"{"o": {}}"#).starts_with("nested_value: \"o\""));
        assert!(code(r#"{"_format": "html"}"#).starts_with("bad_format"));
        assert!(code(r#"{"_format": 3}"#).starts_with("bad_format"));
        assert!(code("[1]").starts_with("bad_json"));
        assert!(code("{").starts_with("bad_json"));
        assert_eq!(
            parse_change(br#"{"_format": null}"#).expect("valid").format,
            Some(None)
        );
    }
}
