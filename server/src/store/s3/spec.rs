//! [`S3Spec`]: everything needed to reach one S3-compatible bucket (and a prefix
//! inside it), from an `s3://bucket[/prefix]` URL and the settings beside it.
//! The secret never leaves it by `Debug` (nor by anything else but `connect`).

use std::fmt;

/// Where an S3 storage lives and how to sign in.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Spec {
    /// The bucket's name.
    pub bucket: String,
    /// A key prefix the storage lives under: `""` (the whole bucket) or `a/b`.
    pub prefix: String,
    /// The endpoint of a non-AWS server (`http://127.0.0.1:8333`); `None` for AWS.
    pub endpoint: Option<String>,
    /// The region requests are signed for (`us-east-1` unless told).
    pub region: String,
    /// The access key; `None` takes the usual `AWS_*` environment.
    pub access_key_id: Option<String>,
    /// The secret key (write-only: never printed, never returned).
    pub secret_access_key: Option<String>,
    /// Whether a plain `http://` endpoint is allowed.
    pub allow_http: bool,
}

/// The region when nothing says otherwise (what AWS SDKs assume).
pub const DEFAULT_REGION: &str = "us-east-1";

/// An `s3://` URL that names no usable bucket or prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadS3Url(pub String);

impl fmt::Debug for S3Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Spec")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

impl S3Spec {
    /// The bucket and prefix of `s3://bucket[/prefix]`, with the default region,
    /// AWS as the endpoint and no credentials (set the other fields after).
    pub fn from_url(url: &str) -> Result<S3Spec, BadS3Url> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| BadS3Url(format!("{url:?} is not an s3://bucket[/prefix] URL")))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = !bucket.is_empty()
            && bucket.len() <= 63
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(BadS3Url(format!(
                "{bucket:?} is not a bucket name (1 to 63 of a-z, 0-9, '-' and '.')"
            )));
        }
        let prefix_ok = prefix.is_empty()
            || prefix.split('/').all(|segment| {
                !segment.is_empty()
                    && segment != "."
                    && segment != ".."
                    && !segment.chars().any(|c| c.is_control())
            });
        if !prefix_ok {
            return Err(BadS3Url(format!("{prefix:?} is not a usable key prefix")));
        }
        Ok(S3Spec {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            endpoint: None,
            region: DEFAULT_REGION.to_owned(),
            access_key_id: None,
            secret_access_key: None,
            allow_http: false,
        })
    }

    /// [`S3Spec::from_url`] with the endpoint, credentials and region of the
    /// standard variables (PROTOCOL.md §7): `AWS_ENDPOINT_URL`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, and
    /// `AWS_ALLOW_HTTP=true` for a plain-HTTP endpoint.
    pub fn from_env(url: &str) -> Result<S3Spec, BadS3Url> {
        let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let mut spec = S3Spec::from_url(url)?;
        spec.endpoint = variable("AWS_ENDPOINT_URL");
        spec.access_key_id = variable("AWS_ACCESS_KEY_ID");
        spec.secret_access_key = variable("AWS_SECRET_ACCESS_KEY");
        if let Some(region) = variable("AWS_REGION") {
            spec.region = region;
        }
        spec.allow_http = variable("AWS_ALLOW_HTTP").is_some_and(|value| value == "true");
        Ok(spec)
    }

    /// `s3://bucket[/prefix]`.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    /// The endpoint as an admin would name it in an error.
    pub fn endpoint_label(&self) -> String {
        match &self.endpoint {
            Some(endpoint) => endpoint.trim_end_matches('/').to_owned(),
            None => format!("https://s3.{}.amazonaws.com", self.region),
        }
    }

    /// The URL of the bucket itself, path-style on a custom endpoint (as
    /// `object_store` addresses it), virtual-hosted on AWS.
    pub fn bucket_url(&self) -> String {
        match &self.endpoint {
            Some(endpoint) => format!("{}/{}", endpoint.trim_end_matches('/'), self.bucket),
            None => format!("https://{}.s3.{}.amazonaws.com", self.bucket, self.region),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_bucket_and_prefix() {
        let spec = S3Spec::from_url("s3://photos/a/b/").expect("valid");
        assert_eq!(
            (spec.bucket.as_str(), spec.prefix.as_str()),
            ("photos", "a/b")
        );
        assert_eq!(spec.url(), "s3://photos/a/b");
        assert_eq!(S3Spec::from_url("s3://photos").expect("valid").prefix, "");
        for bad in [
            "http://x",
            "s3://",
            "s3://Bad_Name",
            "s3://b/a//c",
            "s3://b/../c",
        ] {
            assert!(S3Spec::from_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let mut spec = S3Spec::from_url("s3://b").expect("valid");
        spec.secret_access_key = Some("hunter2-secret".to_owned());
        let printed = format!("{spec:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("<redacted>"));
    }
}
