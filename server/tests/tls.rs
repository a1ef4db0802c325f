//! HTTPS with HTTP/2 (PROTOCOL.md §7, `--tls-cert/--tls-key`) against the real
//! binary, spoken to by curl (a client that does its own TLS and ALPN): HTTP/2 and
//! HTTP/1.1 both work, several requests share one HTTP/2 connection, a client that
//! is not TLS does not stop the server, and unusable certificates stop it at
//! startup with exit code 2 and the reason.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Fixture, TestServer};

/// A self-signed certificate for 127.0.0.1 and its key, made by openssl.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run openssl");
    assert!(status.success(), "openssl made no certificate");
    (cert, key)
}

/// curl's `-w` report and body for `urls` (one connection where it can).
fn curl(cert: &Path, args: &[&str], urls: &[String]) -> String {
    let output = Command::new("curl")
        .args(["-s", "--cacert"])
        .arg(cert)
        .args(args)
        .args(urls)
        .output()
        .expect("run curl");
    assert!(output.status.success(), "curl failed: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn https_speaks_http2_and_http1_and_shares_one_connection() {
    let fixture = Fixture::new();
    fixture.write(&["docs", "a.txt"], b"over TLS");
    let (cert, key) = self_signed(fixture.outside());
    let server = TestServer::start_with(
        fixture.root(),
        &[
            "--tls-cert",
            cert.to_str().expect("utf-8"),
            "--tls-key",
            key.to_str().expect("utf-8"),
        ],
    );
    let base = format!("https://127.0.0.1:{}", server.addr().port());
    let file = format!("{base}/docs/a.txt");

    let h2 = curl(
        &cert,
        &["--http2", "-w", "\n%{http_version} %{response_code}"],
        std::slice::from_ref(&file),
    );
    assert_eq!(h2, "over TLS\n2 200");
    let h1 = curl(
        &cert,
        &["--http1.1", "-w", "\n%{http_version} %{response_code}"],
        std::slice::from_ref(&file),
    );
    assert_eq!(h1, "over TLS\n1.1 200");

    // Three requests, one connection: curl reports how many it had to open.
    let listing = format!("{base}/docs/");
    let report = curl(
        &cert,
        &[
            "--http2",
            "-H",
            "X-Raw-Filesystem-API: 1",
            "-o",
            "/dev/null",
            "-o",
            "/dev/null",
            "-o",
            "/dev/null",
            "-w",
            "%{http_version}:%{num_connects} ",
        ],
        &[file.clone(), listing, format!("{base}/.well-known/skiff")],
    );
    assert_eq!(report.trim(), "2:1 2:0 2:0", "{report}");

    // A client that does not speak TLS gets nowhere, and the server goes on.
    let plain = Command::new("curl")
        .args([
            "-s",
            "-m",
            "5",
            &format!("http://127.0.0.1:{}/docs/a.txt", server.addr().port()),
        ])
        .output()
        .expect("run curl");
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("over TLS"));
    let again = curl(&cert, &["--http2", "-w", " %{http_version}"], &[file]);
    assert_eq!(again, "over TLS 2");
}

#[test]
fn unusable_certificates_stop_the_server_with_the_reason() {
    let fixture = Fixture::new();
    let (cert, key) = self_signed(fixture.outside());
    let garbage = fixture.outside().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").expect("write");
    let (other_cert, _other_key) = {
        let dir = fixture.outside().join("other");
        std::fs::create_dir(&dir).expect("mkdir");
        self_signed(&dir)
    };
    let run = |args: &[&Path], names: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_skiff-server"));
        command
            .arg("serve")
            .arg(fixture.root())
            .args(["--listen", "127.0.0.1:0"]);
        for (name, path) in names.iter().zip(args) {
            command.arg(name).arg(path);
        }
        command.output().expect("run skiff-server")
    };
    let cases: [(&[&Path], &[&str], &str); 4] = [
        (&[&cert], &["--tls-cert"], "--tls-key"),
        (
            &[&garbage, &key],
            &["--tls-cert", "--tls-key"],
            "garbage.pem",
        ),
        (
            &[&cert, &garbage],
            &["--tls-cert", "--tls-key"],
            "garbage.pem",
        ),
        (
            &[&other_cert, &key],
            &["--tls-cert", "--tls-key"],
            "do not go together",
        ),
    ];
    for (paths, names, says) in cases {
        let output = run(paths, names);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{names:?}: {stderr}");
        assert!(
            stderr.contains(says),
            "{names:?} should say {says:?}: {stderr}"
        );
        assert!(output.stdout.is_empty(), "it never listened");
    }
}
