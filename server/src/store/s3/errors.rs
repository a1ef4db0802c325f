//! What an S3 endpoint's failures mean, in words an admin can act on: refused
//! credentials, a bucket that does not exist, an endpoint that cannot be reached.
//! Never the credentials themselves (object_store's messages carry none).

use object_store::client::{HttpError, HttpErrorKind};

use super::spec::S3Spec;
use crate::store::StoreError;

/// An `object_store` error in the seam's words.
pub fn from_object_store(error: object_store::Error, spec: &S3Spec) -> StoreError {
    use object_store::Error;
    // object_store has already read these from the answer (a refused `If-None-Match: *`
    // is an `AlreadyExists` wrapping the endpoint's 412): keep its reading.
    match &error {
        Error::AlreadyExists { .. } => return StoreError::Exists,
        Error::Precondition { .. } => return StoreError::Precondition,
        _ => {}
    }
    let answered = answered(&error);
    if let Some((status, body)) = &answered {
        if let Some(mapped) = from_answer(*status, body, spec) {
            return mapped;
        }
    }
    match error {
        Error::NotFound { .. } => StoreError::NotFound,
        Error::AlreadyExists { .. } => StoreError::Exists,
        Error::Precondition { .. } => StoreError::Precondition,
        Error::PermissionDenied { .. } | Error::Unauthenticated { .. } => {
            StoreError::Denied(format!("{} refused the request", spec.endpoint_label()))
        }
        other => match unreachable(&other) {
            true => cannot_reach(spec),
            false => StoreError::Unavailable(match answered {
                Some((status, body)) => format!(
                    "{} answered {status} {}",
                    spec.endpoint_label(),
                    error_code(&body).unwrap_or_default()
                ),
                None => other.to_string(),
            }),
        },
    }
}

/// What an endpoint's HTTP error answer means, where it says more than its status.
pub fn from_answer(status: u16, body: &str, spec: &S3Spec) -> Option<StoreError> {
    let code = error_code(body);
    Some(match (status, code.as_deref()) {
        (_, Some("NoSuchBucket")) => StoreError::Unavailable(format!(
            "no bucket named {:?} at {}",
            spec.bucket,
            spec.endpoint_label()
        )),
        (_, Some(code @ ("InvalidAccessKeyId" | "SignatureDoesNotMatch"))) => {
            StoreError::Denied(format!("the access key or secret is wrong ({code})"))
        }
        (_, Some("QuotaExceeded" | "InsufficientStorage")) | (507, _) => StoreError::NoSpace,
        (_, Some(code @ "AccessDenied")) | (401 | 403, Some(code)) => StoreError::Denied(format!(
            "these credentials may not use bucket {:?} ({code})",
            spec.bucket
        )),
        (401 | 403, None) => {
            StoreError::Denied(format!("{} refused the credentials", spec.endpoint_label()))
        }
        (412, _) => StoreError::Precondition,
        _ => return None,
    })
}

/// `Unavailable("cannot reach …")`.
pub fn cannot_reach(spec: &S3Spec) -> StoreError {
    StoreError::Unavailable(format!("cannot reach {}", spec.endpoint_label()))
}

/// Whether a transport error, not an answer, ended the request.
pub fn unreachable(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(http) = current.downcast_ref::<HttpError>() {
            return matches!(
                http.kind(),
                HttpErrorKind::Connect | HttpErrorKind::Timeout | HttpErrorKind::Request
            );
        }
        source = current.source();
    }
    false
}

/// The HTTP status the endpoint answered `error` with, if it answered.
pub fn status(error: &object_store::Error) -> Option<u16> {
    answered(error).map(|(status, _)| status)
}

/// The HTTP status and body of the endpoint's answer behind `error`, if it
/// answered. `object_store` keeps its retry error private, so this reads its
/// message: `… Server returned non-2xx status code: 403 Forbidden: <body>`.
fn answered(error: &(dyn std::error::Error + 'static)) -> Option<(u16, String)> {
    const MARK: &str = "non-2xx status code: ";
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        let text = current.to_string();
        if let Some(at) = text.find(MARK) {
            let rest = &text[at + MARK.len()..];
            let status = rest.get(..3)?.parse().ok()?;
            return Some((status, rest.to_owned()));
        }
        source = current.source();
    }
    None
}

/// `<Code>…</Code>` of an S3 error body.
pub fn error_code(body: &str) -> Option<String> {
    let start = body.find("<Code>")? + "<Code>".len();
    let end = body[start..].find("</Code>")? + start;
    Some(body[start..end].trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> S3Spec {
        let mut spec = S3Spec::from_url("s3://photos").expect("valid");
        spec.endpoint = Some("http://127.0.0.1:9000/".to_owned());
        spec
    }

    fn body(code: &str) -> String {
        format!("<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>m</Message></Error>")
    }

    #[test]
    fn answers_become_words_an_admin_can_act_on() {
        let words = |status, code: &str| from_answer(status, &body(code), &spec());
        assert!(matches!(
            words(404, "NoSuchBucket"),
            Some(StoreError::Unavailable(text))
                if text == "no bucket named \"photos\" at http://127.0.0.1:9000"
        ));
        assert!(matches!(
            words(403, "InvalidAccessKeyId"),
            Some(StoreError::Denied(text)) if text.contains("access key or secret")
        ));
        assert!(matches!(
            words(403, "SignatureDoesNotMatch"),
            Some(StoreError::Denied(_))
        ));
        assert!(matches!(
            words(403, "AccessDenied"),
            Some(StoreError::Denied(_))
        ));
        assert!(matches!(
            from_answer(403, "", &spec()),
            Some(StoreError::Denied(_))
        ));
        assert!(matches!(
            words(403, "QuotaExceeded"),
            Some(StoreError::NoSpace)
        ));
        assert!(matches!(
            words(400, "QuotaExceeded"),
            Some(StoreError::NoSpace)
        ));
        assert!(matches!(words(507, "Whatever"), Some(StoreError::NoSpace)));
        assert!(
            words(404, "NoSuchKey").is_none(),
            "left to object_store's NotFound"
        );
    }

    #[test]
    fn the_error_code_is_read_from_the_body() {
        assert_eq!(error_code(&body("SlowDown")).as_deref(), Some("SlowDown"));
        assert_eq!(error_code("not xml"), None);
    }
}
