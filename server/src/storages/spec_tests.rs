//! Unit tests of `spec.rs`: URLs, names, mounts and redaction.

use super::*;

fn local(url: &str) -> Result<BackendSpec, String> {
    BackendSpec::parse(
        BackendInput {
            url: url.to_owned(),
            ..BackendInput::default()
        },
        None,
    )
}

fn s3(url: &str, endpoint: Option<&str>) -> Result<BackendSpec, String> {
    BackendSpec::parse(
        BackendInput {
            kind: StorageKind::S3,
            url: url.to_owned(),
            endpoint: endpoint.map(str::to_owned),
            ..BackendInput::default()
        },
        None,
    )
}

#[test]
fn local_urls_are_absolute_file_urls() {
    assert_eq!(
        local("/srv/my files").expect("ok").url,
        "file:///srv/my%20files"
    );
    assert_eq!(local("file:///srv/x").expect("ok").url, "file:///srv/x");
    let spec = local("file:///srv/my%20files").expect("ok");
    assert_eq!(
        spec.location(),
        Ok(Location::Local(PathBuf::from("/srv/my files")))
    );
    for bad in [
        "relative",
        "",
        "/a/../b",
        "http://x/y",
        "file://elsewhere/x",
    ] {
        assert!(local(bad).is_err(), "{bad}");
    }
    let based = BackendSpec::parse(
        BackendInput {
            url: "data".into(),
            ..BackendInput::default()
        },
        Some(Path::new("/etc/skiff")),
    );
    assert_eq!(based.expect("ok").url, "file:///etc/skiff/data");
}

#[test]
fn s3_urls_name_a_bucket_and_a_prefix() {
    let spec = s3("s3://photos/2024/", Some("http://127.0.0.1:8333/")).expect("ok");
    assert_eq!(spec.url, "s3://photos/2024");
    assert_eq!(spec.endpoint.as_deref(), Some("http://127.0.0.1:8333"));
    assert_eq!(spec.region.as_deref(), Some(DEFAULT_REGION));
    assert_eq!(
        spec.location(),
        Ok(Location::S3 {
            bucket: "photos".into(),
            prefix: "2024".into()
        })
    );
    for bad in ["photos", "s3://", "s3://Bad_Bucket", "s3://ok-bucket//x"] {
        assert!(s3(bad, None).is_err(), "{bad}");
    }
    assert!(s3("s3://photos", Some("ftp://x")).is_err());
    assert!(s3("s3://photos", Some("http://key:secret@x")).is_err());
}

#[test]
fn mounts_are_single_safe_names() {
    for good in ["photos", "Team Photos", "ünï"] {
        assert!(check_mount(good).is_ok(), "{good}");
    }
    for bad in ["", ".", "..", ".skiff", "a/b", "a\\b", "a\nb"] {
        assert!(check_mount(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn debug_output_hides_credentials() {
    let spec = BackendSpec::parse(
        BackendInput {
            kind: StorageKind::S3,
            url: "s3://bucket".into(),
            access_key_id: Some("AKID-VISIBLE?".into()),
            secret_access_key: Some("s3cr3t".into()),
            ..BackendInput::default()
        },
        None,
    )
    .expect("ok");
    let printed = format!("{spec:?} {:?}", spec.credentials());
    assert!(
        !printed.contains("AKID") && !printed.contains("s3cr3t"),
        "{printed}"
    );
}
