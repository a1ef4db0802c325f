//! Bearer tokens (PROTOCOL.md §6): parsing `--token NAME:TOKEN:ro|rw|admin` and
//! `--token-file`, and checking a presented secret against them. The middleware
//! that reads `Authorization` is `crate::http::auth`.
//!
//! An `admin` token can do everything an `rw` token can, plus the storage admin
//! calls (§5); those check [`Grant::is_admin`] themselves.
//!
//! Secrets are compared as SHA-256 digests with a constant-time equality, against
//! every configured token without an early exit, so neither the length nor the
//! first differing byte of a guess shows in the response time.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::config::ConfigError;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only: every write is 403.
    ReadOnly,
    /// Reads and (on a `--writable` server) writes.
    ReadWrite,
    /// Everything `ReadWrite` may, plus managing storages.
    Admin,
}

/// One configured token; only the digest of the secret is kept.
#[derive(Clone)]
pub struct Token {
    name: String,
    digest: [u8; 32],
    access: Access,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret, not even its digest.
        f.debug_struct("Token")
            .field("name", &self.name)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

/// Who is asking, attached to every request that passed the middleware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The token's name; `None` on a server without tokens.
    pub owner: Option<String>,
    /// What the request may do.
    pub access: Access,
}

impl Grant {
    /// Whether the credentials allow writes (the server may still be read-only).
    pub fn may_write(&self) -> bool {
        matches!(self.access, Access::ReadWrite | Access::Admin)
    }

    /// Whether the credentials may manage storages (the server may still refuse).
    pub fn is_admin(&self) -> bool {
        self.access == Access::Admin
    }

    /// The grant of every request on a server without tokens: anyone may do
    /// anything the server's flags allow (admin calls need `--writable`, as writes do).
    pub fn anyone() -> Self {
        Self {
            owner: None,
            access: Access::Admin,
        }
    }
}

impl Token {
    /// Parses `NAME:TOKEN:ro|rw|admin`. The secret may itself hold `:` (split at the
    /// first and the last one); name and secret must not be empty.
    pub fn parse(spec: &str) -> Result<Self, ConfigError> {
        let bad = || ConfigError::BadToken(redacted(spec));
        let (name, rest) = spec.split_once(':').ok_or_else(bad)?;
        let (secret, access) = rest.rsplit_once(':').ok_or_else(bad)?;
        let access = match access {
            "ro" => Access::ReadOnly,
            "rw" => Access::ReadWrite,
            "admin" => Access::Admin,
            _ => return Err(bad()),
        };
        if name.is_empty() || secret.is_empty() || secret.chars().any(char::is_whitespace) {
            return Err(bad());
        }
        Ok(Self {
            name: name.to_owned(),
            digest: Sha256::digest(secret.as_bytes()).into(),
            access,
        })
    }
}

/// Only the name, so a typo in a secret never reaches a log or a terminal.
fn redacted(spec: &str) -> String {
    let name = spec.split(':').next().unwrap_or_default();
    format!("{name}:…")
}

/// Every token from `--token` values and the lines of `--token-file` (blank lines
/// and `#` comments skipped).
pub fn load_tokens(specs: &[String], file: Option<&Path>) -> Result<Vec<Token>, ConfigError> {
    let mut tokens = specs
        .iter()
        .map(|spec| Token::parse(spec))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(file) = file {
        let text =
            std::fs::read_to_string(file).map_err(|source| ConfigError::TokenFileUnreadable {
                path: file.to_path_buf(),
                source,
            })?;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            tokens.push(Token::parse(line)?);
        }
    }
    Ok(tokens)
}

/// The grant of the presented secret, if it names a configured token.
/// The token named `name`, if it is (still) configured.
pub fn named<'a>(tokens: &'a [Token], name: &str) -> Option<&'a Token> {
    tokens.iter().find(|token| token.name == name)
}

pub fn authenticate(tokens: &[Token], presented: &str) -> Option<Grant> {
    let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    let mut found = None;
    // No early exit: the time taken does not depend on which token matched.
    for token in tokens {
        if constant_time_eq(&token.digest, &digest) {
            found = Some(Grant {
                owner: Some(token.name.clone()),
                access: token.access,
            });
        }
    }
    found
}

/// Equality whose time depends only on the (fixed) length.
pub(crate) fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_secrets_may_hold_colons() {
        let token = Token::parse("alice:s3:cr:et:rw").expect("valid");
        assert_eq!(
            (token.name.as_str(), token.access),
            ("alice", Access::ReadWrite)
        );
        let grant = authenticate(&[token], "s3:cr:et").expect("matches");
        assert_eq!(grant.owner.as_deref(), Some("alice"));
        for bad in [
            "alice",
            "alice:x",
            ":x:rw",
            "a::rw",
            "a:x:root",
            "a:x:Admin",
            "a:x y:ro",
        ] {
            assert!(Token::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn admin_tokens_may_write_and_administer() {
        let admin =
            authenticate(&[Token::parse("boss:s:admin").expect("valid")], "s").expect("matches");
        assert!(admin.may_write() && admin.is_admin());
        let writer = authenticate(&[Token::parse("w:s:rw").expect("valid")], "s").expect("matches");
        assert!(writer.may_write() && !writer.is_admin());
        let reader = authenticate(&[Token::parse("r:s:ro").expect("valid")], "s").expect("matches");
        assert!(!reader.may_write() && !reader.is_admin());
    }

    #[test]
    fn wrong_secrets_do_not_authenticate() {
        let tokens = [
            Token::parse("a:one:ro").expect("valid"),
            Token::parse("b:two:rw").expect("valid"),
        ];
        assert_eq!(
            authenticate(&tokens, "two").map(|grant| grant.access),
            Some(Access::ReadWrite)
        );
        assert!(authenticate(&tokens, "tw").is_none());
        assert!(authenticate(&tokens, "").is_none());
    }
}
