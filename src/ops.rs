//! Tree operations through the raw file API (PROTOCOL.md §4): new folder, move (rename),
//! copy and delete. Where a server has no raw API but lets the client write, delete falls
//! back to plain RFSAPI `DELETE P` (§0).

use crate::errors::ApiError;
use crate::location::Config;
use skiff_protocol::{ErrorBody, TreePath};
use wasm_bindgen_futures::JsFuture;
use web_sys::UrlSearchParams;

/// Where tree operations go on one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operations {
    /// The app's configuration (server and token).
    pub config: Config,
    /// `{server}{raw}`, when the server has the raw API.
    pub raw: Option<String>,
    /// The raw API streams folders and several entries as one ZIP (discovery's `zip`).
    pub zip: bool,
}

/// Why an operation failed, in words for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpError {
    /// The target name exists (412).
    Exists,
    /// A folder that is not empty needs a recursive delete (409).
    NotEmpty,
    /// This server cannot do that operation at all.
    Unsupported,
    /// The server refused it for a reason of its own (a 409 such as moving a storage's
    /// top folder), in its own words.
    Refused(String),
    /// Anything else: the request's error.
    Failed(ApiError),
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpError::Exists => f.write_str("Something with that name is already there."),
            OpError::NotEmpty => f.write_str("That folder is not empty."),
            OpError::Unsupported => f.write_str("This server cannot do that."),
            OpError::Refused(why) => write!(f, "{}", sentence(why)),
            OpError::Failed(error) => write!(f, "{error}"),
        }
    }
}

impl Operations {
    /// Creates the folder `path` (parents too).
    pub async fn mkdir(&self, path: &TreePath) -> Result<(), OpError> {
        let url = self.raw_url("mkdir", &[("ref", reference(path))])?;
        self.send("POST", &url).await
    }

    /// Moves (or renames) `from` to `to`; `overwrite` replaces what is there.
    pub async fn rename(
        &self,
        from: &TreePath,
        to: &TreePath,
        overwrite: bool,
    ) -> Result<(), OpError> {
        let mut query = vec![("ref", reference(from)), ("to", reference(to))];
        if overwrite {
            query.push(("overwrite", "true".to_owned()));
        }
        let url = self.raw_url("move", &query)?;
        self.send("POST", &url).await
    }

    /// Copies `from` to `to` (new ids for the copy).
    pub async fn copy(&self, from: &TreePath, to: &TreePath) -> Result<(), OpError> {
        let url = self.raw_url("copy", &[("ref", reference(from)), ("to", reference(to))])?;
        self.send("POST", &url).await
    }

    /// Whether `path` is a folder (`Some(true)`), a file (`Some(false)`) or not there
    /// (`None`), from the raw API's `stat`: a typed destination is checked, never created.
    pub async fn is_folder(&self, path: &TreePath) -> Result<Option<bool>, OpError> {
        let url = self.raw_url("stat", &[("ref", reference(path))])?;
        let response = crate::api::send(&self.config, "GET", &url, Default::default())
            .await
            .map_err(OpError::Failed)?;
        if response.status() == 404 {
            return Ok(None);
        }
        if !response.ok() {
            return Err(OpError::Failed(ApiError::Http {
                status: response.status(),
                message: response.status_text(),
            }));
        }
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise)
                .await
                .ok()
                .and_then(|t| t.as_string()),
            Err(_) => None,
        };
        let kind = text
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|stat| stat.get("type").and_then(|t| t.as_str()).map(str::to_owned));
        Ok(Some(kind.as_deref() == Some("directory")))
    }

    /// Deletes `path`; folders with content only with `recursive`.
    pub async fn delete(&self, path: &TreePath, recursive: bool) -> Result<(), OpError> {
        if self.raw.is_none() {
            // Plain RFSAPI: files and empty folders only.
            let url = format!("{}{}", self.config.server, path.to_url_path());
            return self.send("DELETE", &url).await;
        }
        let mut query = vec![("ref", reference(path))];
        if recursive {
            query.push(("recursive", "true".to_owned()));
        }
        let url = self.raw_url("data", &query)?;
        self.send("DELETE", &url).await
    }

    /// The URL of one ZIP of `paths` (files and folders), when the server makes them.
    pub fn zip_url(&self, paths: &[TreePath]) -> Option<String> {
        if !self.zip {
            return None;
        }
        let query: Vec<(&str, String)> =
            paths.iter().map(|path| ("ref", reference(path))).collect();
        self.raw_url("zip", &query).ok()
    }

    fn raw_url(&self, operation: &str, query: &[(&str, String)]) -> Result<String, OpError> {
        let raw = self.raw.as_deref().ok_or(OpError::Unsupported)?;
        let params = UrlSearchParams::new().map_err(|_| OpError::Unsupported)?;
        for (name, value) in query {
            params.append(name, value);
        }
        let query: String = params.to_string().into();
        Ok(format!("{raw}/{operation}?{query}"))
    }

    async fn send(&self, method: &str, url: &str) -> Result<(), OpError> {
        let response = crate::api::send(&self.config, method, url, Default::default())
            .await
            .map_err(OpError::Failed)?;
        if response.ok() {
            return Ok(());
        }
        let status = response.status();
        let body = match response.text() {
            Ok(promise) => JsFuture::from(promise)
                .await
                .ok()
                .and_then(|text| text.as_string())
                .unwrap_or_default(),
            Err(_) => String::new(),
        };
        let (code, message) = match serde_json::from_str::<ErrorBody>(&body) {
            Ok(body) => (body.error.code, body.error.message),
            Err(_) => (String::new(), response.status_text()),
        };
        // 409 covers several conflicts; the error code says which.
        Err(match (status, code.as_str()) {
            (412, _) | (409, "exists") => OpError::Exists,
            (409, "not_empty") => OpError::NotEmpty,
            // Any other conflict is the server's reason, not "changed meanwhile".
            (409, _) if !code.is_empty() && !message.trim().is_empty() => OpError::Refused(message),
            (401, _) => OpError::Failed(ApiError::Unauthorized { signed_in: true }),
            (403, _) => OpError::Failed(ApiError::Forbidden { message }),
            _ => OpError::Failed(ApiError::Http { status, message }),
        })
    }
}

/// The name a copy gets in the folder of its original: `report.pdf` → `report (copy).pdf`,
/// then `report (copy 2).pdf`, … (the first one `taken` does not refuse). Folders keep their
/// whole name as the stem; copying a copy counts on instead of stacking `(copy) (copy)`.
pub fn copy_name(name: &str, folder: bool, taken: impl Fn(&str) -> bool) -> String {
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 && !folder => name.split_at(dot),
        _ => (name, ""),
    };
    let stem = strip_copy_suffix(stem);
    (1u64..)
        .map(|n| match n {
            1 => format!("{stem} (copy){extension}"),
            n => format!("{stem} (copy {n}){extension}"),
        })
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| format!("{stem} (copy){extension}"))
}

/// `a (copy)` and `a (copy 3)` → `a`; anything else unchanged.
fn strip_copy_suffix(stem: &str) -> &str {
    let Some(open) = stem.rfind(" (copy") else {
        return stem;
    };
    let inside = &stem[open + " (copy".len()..];
    let counted = inside
        .strip_prefix(' ')
        .and_then(|rest| rest.strip_suffix(')'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if (inside == ")" || counted) && open > 0 {
        &stem[..open]
    } else {
        stem
    }
}

/// `why` as a sentence: a capital first letter and a full stop.
fn sentence(why: &str) -> String {
    let why = why.trim().trim_end_matches('.');
    let mut chars = why.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", uppercase(first), chars.as_str()),
        None => String::new(),
    }
}

/// `c` in capitals. In the browser by JS's `toUpperCase` (the same Unicode mapping):
/// `char::to_uppercase` would bring Unicode's case table into the wasm (~2 KB brotli,
/// docs/design/bundle-size.md).
fn uppercase(c: char) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::JsString::from(c).to_upper_case().into()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        c.to_uppercase().collect()
    }
}

/// `path:/a/b` as the raw API's `ref=` and `to=` take it.
fn reference(path: &TreePath) -> String {
    format!("path:{path}")
}

#[cfg(test)]
mod tests {
    use super::{copy_name, sentence, OpError};

    #[test]
    fn refusals_read_as_sentences() {
        assert_eq!(
            OpError::Refused("a storage's top folder cannot be moved".into()).to_string(),
            "A storage's top folder cannot be moved."
        );
        assert_eq!(sentence(" Ends well. "), "Ends well.");
        assert_eq!(sentence("é"), "É.");
    }

    #[test]
    fn copies_count_up_before_the_extension() {
        let taken = ["a.txt", "a (copy).txt", "a (copy 2).txt"];
        let is_taken = |name: &str| taken.contains(&name);
        assert_eq!(copy_name("b.txt", false, is_taken), "b (copy).txt");
        assert_eq!(copy_name("a.txt", false, is_taken), "a (copy 3).txt");
        assert_eq!(copy_name("a (copy).txt", false, is_taken), "a (copy 3).txt");
        assert_eq!(
            copy_name("a (copy 2).txt", false, is_taken),
            "a (copy 3).txt"
        );
    }

    #[test]
    fn folders_dot_files_and_odd_names_keep_their_whole_stem() {
        let free = |_: &str| false;
        assert_eq!(copy_name("v1.2", true, free), "v1.2 (copy)");
        assert_eq!(copy_name(".bashrc", false, free), ".bashrc (copy)");
        assert_eq!(copy_name("README", false, free), "README (copy)");
        assert_eq!(copy_name("x.tar.gz", false, free), "x.tar (copy).gz");
        assert_eq!(copy_name(" (copy)", false, free), " (copy) (copy)");
        assert_eq!(
            copy_name("a (copyright)", false, free),
            "a (copyright) (copy)"
        );
        assert_eq!(copy_name("😀.bin", false, free), "😀 (copy).bin");
    }
}
