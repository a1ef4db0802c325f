//! The raw API's refusals that once differed inside mounted storages (issue 11),
//! one focused case each, on every storage type (`local::`, `s3::`,
//! `local_mount::`): a storage's own `.skiff` folder is 404 to read and 403
//! `reserved` to write through every operation, at either end of a move or copy
//! (S3 mounts once let mkdir, move and copy in); and a method an operation does
//! not take is 405 (mounts once answered 409 `not_on_mounted_storage`).

mod common;

use common::target::{on_each_storage, Kind, Target};
use common::{client, error_body_problem, TestServer};
use reqwest::Method;
use skiff_protocol::{ErrorBody, RAW_PATH};

on_each_storage!(
    writes_into_the_reserved_folder_are_403,
    reads_of_the_reserved_folder_are_404,
    a_method_the_operation_lacks_is_405,
    a_method_the_operation_lacks_is_405_on_a_read_only_server,
);

/// What the reserved folder already holds in every storage: a file the server
/// did not put there (S3 consoles and `mkdir` by hand can), so refusals are
/// seen against something that exists as well as something that does not.
const TAKEN: &[u8] = b"not the client's";

async fn setup(kind: Kind) -> Target {
    let target = Target::new(kind).await;
    target.write(&["a.txt"], b"a").await;
    target.mkdir(&["folder"]).await;
    target.write(&[".skiff", "taken"], TAKEN).await;
    target
}

/// One raw call and what it must answer: the status and, for an error, its code.
struct Case {
    method: Method,
    operation: &'static str,
    query: String,
    status: u16,
    code: &'static str,
}

impl Case {
    fn new(method: Method, operation: &'static str, query: String) -> Self {
        Case {
            method,
            operation,
            query,
            status: 0,
            code: "",
        }
    }
}

/// Makes every call; panics listing each one that did not answer as expected
/// (a JSON error with the expected status and code).
async fn expect_all(server: &TestServer, cases: Vec<Case>) {
    let mut wrong = Vec::new();
    for case in cases {
        let url = server.url(&format!("{RAW_PATH}/{}?{}", case.operation, case.query));
        let mut request = client().request(case.method.clone(), url);
        if case.method == Method::PUT {
            request = request.body("x");
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.unwrap_or_default();
        let code = serde_json::from_slice::<ErrorBody>(&body)
            .map(|error| error.error.code)
            .unwrap_or_default();
        let problem = error_body_problem(content_type.as_deref(), &body);
        if status != case.status || code != case.code || problem.is_some() {
            wrong.push(format!(
                "{} {}?{}: {status} {} (want {} {})",
                case.method,
                case.operation,
                case.query,
                String::from_utf8_lossy(&body),
                case.status,
                case.code
            ));
        }
    }
    assert!(wrong.is_empty(), "wrong answers:\n{}", wrong.join("\n"));
}

/// `.skiff` is reserved in every storage (protocol notes, "Mounted storages in
/// the tree"): 403 `reserved` to write, whatever the operation, whichever end
/// of a move or copy names it, whatever the method; nothing changes.
async fn writes_into_the_reserved_folder_are_403(kind: Kind) {
    let target = setup(kind).await;
    let server = target.serve_with(&["--writable"]);
    let base = target.base();
    let reserved = |method: Method, operation, query: String| Case {
        status: 403,
        code: "reserved",
        ..Case::new(method, operation, query)
    };
    let from_a = |to: &str| format!("ref=path:{base}/a.txt&to=path:{base}/{to}");
    let out_of = |name: &str| format!("ref=path:{base}/.skiff/{name}&to=path:{base}/out");
    let cases = vec![
        reserved(Method::POST, "mkdir", format!("ref=path:{base}/.skiff/x")),
        reserved(Method::POST, "mkdir", format!("ref=path:{base}/.skiff")),
        reserved(Method::POST, "move", from_a(".skiff/x")),
        reserved(Method::POST, "copy", from_a(".skiff/y")),
        reserved(
            Method::POST,
            "move",
            format!("ref=path:{base}/folder&to=path:{base}/.skiff/z"),
        ),
        // Onto something that exists: not 412 (which would say it is there).
        reserved(Method::POST, "move", from_a(".skiff/taken")),
        reserved(Method::POST, "copy", from_a(".skiff/taken&overwrite=true")),
        reserved(Method::POST, "move", from_a(".skiff")),
        reserved(Method::POST, "move", out_of("taken")),
        reserved(Method::POST, "copy", out_of("taken")),
        reserved(
            Method::DELETE,
            "data",
            format!("ref=path:{base}/.skiff/taken"),
        ),
        reserved(
            Method::DELETE,
            "data",
            format!("ref=path:{base}/.skiff&recursive=true"),
        ),
        reserved(Method::PUT, "data", format!("ref=path:{base}/.skiff/x")),
        // `to=` is checked whatever the method, as in the default storage.
        reserved(Method::GET, "move", from_a(".skiff/x")),
    ];
    expect_all(&server, cases).await;
    for name in ["x", "y", "z", "out"] {
        assert!(
            !target.exists(&[".skiff", name]).await,
            ".skiff/{name} was made"
        );
    }
    assert!(!target.exists(&["out"]).await, "moved out of .skiff");
    assert_eq!(
        target.read(&[".skiff", "taken"]).await.as_deref(),
        Some(TAKEN)
    );
    assert_eq!(target.read(&["a.txt"]).await.as_deref(), Some(&b"a"[..]));
    assert!(target.is_dir(&["folder"]).await);
}

/// Reading the reserved folder is 404 in every storage, like a name that is not
/// there: `stat`, `list` and `data`, even for a file that does exist in it.
async fn reads_of_the_reserved_folder_are_404(kind: Kind) {
    let target = setup(kind).await;
    let server = target.serve();
    let base = target.base();
    let missing = |operation, path: &str| Case {
        status: 404,
        code: "not_found",
        ..Case::new(Method::GET, operation, format!("ref=path:{base}{path}"))
    };
    let cases = vec![
        missing("stat", "/.skiff"),
        missing("stat", "/.skiff/taken"),
        missing("list", "/.skiff"),
        missing("data", "/.skiff/taken"),
    ];
    expect_all(&server, cases).await;
}

/// The wrong method on each operation, answered the same in every storage.
fn wrong_methods(base: &str) -> Vec<Case> {
    let at = |path: &str| format!("ref=path:{base}{path}");
    let moved = format!("ref=path:{base}/a.txt&to=path:{base}/b.txt");
    let not_allowed = |method, operation, query| Case {
        status: 405,
        code: "method_not_allowed",
        ..Case::new(method, operation, query)
    };
    vec![
        not_allowed(Method::DELETE, "stat", at("/")),
        not_allowed(Method::DELETE, "stat", at("/a.txt")),
        not_allowed(Method::POST, "list", at("/folder")),
        not_allowed(Method::PATCH, "data", at("/a.txt")),
        not_allowed(Method::GET, "mkdir", at("/new")),
        not_allowed(Method::PUT, "move", moved.clone()),
        not_allowed(Method::GET, "copy", moved),
    ]
}

/// A method an operation does not have is 405 (with `Allow`), before the
/// storage is asked: nothing changes.
async fn a_method_the_operation_lacks_is_405(kind: Kind) {
    let target = setup(kind).await;
    let server = target.serve_with(&["--writable"]);
    expect_all(&server, wrong_methods(&target.base())).await;
    let response = client()
        .post(server.url(&format!("{RAW_PATH}/stat?ref=path:{}/", target.base())))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 405);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|value| value.to_str().ok()),
        Some("GET, HEAD")
    );
    assert_eq!(target.read(&["a.txt"]).await.as_deref(), Some(&b"a"[..]));
    assert!(target.is_dir(&["folder"]).await);
    assert!(!target.exists(&["new"]).await);
    assert!(!target.exists(&["b.txt"]).await);
}

/// On a read-only server too it is 405, not `read_only`: the method is wrong
/// whatever the server allows.
async fn a_method_the_operation_lacks_is_405_on_a_read_only_server(kind: Kind) {
    let target = setup(kind).await;
    let server = target.serve();
    expect_all(&server, wrong_methods(&target.base())).await;
    assert_eq!(target.read(&["a.txt"]).await.as_deref(), Some(&b"a"[..]));
}
