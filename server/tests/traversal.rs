//! Path traversal (PROTOCOL.md, general rules, "Path safety"): a combinatorial
//! matrix of hostile request targets, sent byte for byte over raw TCP because
//! every URL library would normalise `..`, `.` and `%2e` away before sending.
//!
//! A form the protocol refuses lexically (`..`, `.`, empty segments, NUL,
//! backslash, encoded `/`, or bytes that do not decode to UTF-8) must get 400 or
//! 403. A form that decodes to a harmless literal name (`..;`, `...`, a double
//! encoding) may also get 404, and a browser navigation to such a missing name
//! may get the app shell. No answer may ever carry the secret next to the root.
//!
//! The matrix runs in the default storage (`local::`) and inside an S3 storage
//! mounted at `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`), whose secret is an object beside its prefix in the
//! bucket.

mod common;

use std::net::SocketAddr;

use common::target::{on_each_storage, Kind, Target};
use common::{error_body_problem, raw_request, Fixture, RawResponse, BROWSER_ACCEPT, RFSAPI};

on_each_storage!(hostile_paths_never_leave_the_root);

/// Contents of the file placed next to (outside) the served root.
const SECRET: &str = "SKIFF-TRAVERSAL-SECRET-d41d8cd98f00b204";
/// Contents of a file inside the tree, to prove the fixture itself is reachable.
const INSIDE: &str = "inside the root";

/// What the protocol allows as the answer to one form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Refused lexically: 400 or 403.
    Refused,
    /// Decodes to a literal (missing) name: 400, 403 or 404.
    RefusedOrMissing,
}

/// One way of writing "go up": the path is the prefix, `/`, then `depth` times
/// `step` + `join`, then the target's segments joined with `join`.
struct Form {
    name: &'static str,
    step: &'static str,
    join: &'static str,
    expect: Expect,
}

const fn form(name: &'static str, step: &'static str, join: &'static str, expect: Expect) -> Form {
    Form {
        name,
        step,
        join,
        expect,
    }
}

// One line per form reads as a table.
#[rustfmt::skip]
const FORMS: &[Form] = &[
    // Refused lexically.
    form("dot-dot", "..", "/", Expect::Refused),
    form("dot", ".", "/", Expect::Refused),
    form("dot then dot-dot", "./..", "/", Expect::Refused),
    form("dot-dot then dot", "../.", "/", Expect::Refused),
    form("encoded dot-dot", "%2e%2e", "/", Expect::Refused),
    form("encoded dot-dot upper", "%2E%2E", "/", Expect::Refused),
    form("dot, encoded dot", ".%2e", "/", Expect::Refused),
    form("encoded dot, dot", "%2e.", "/", Expect::Refused),
    form("mixed-case encoded dots", "%2E%2e", "/", Expect::Refused),
    form("encoded single dot", "%2e", "/", Expect::Refused),
    form("encoded slash", "..", "%2f", Expect::Refused),
    form("encoded slash upper", "..", "%2F", Expect::Refused),
    form("encoded dots and slash", "%2e%2e", "%2f", Expect::Refused),
    form("mixed dots, encoded slash", ".%2E", "%2F", Expect::Refused),
    form("encoded backslash", "..", "%5c", Expect::Refused),
    form("encoded backslash upper", "..", "%5C", Expect::Refused),
    form("raw backslash", "..", "\\", Expect::Refused),
    form("encoded dots, raw backslash", "%2e%2e", "\\", Expect::Refused),
    form("encoded dots and backslash", "%2e%2e", "%5c", Expect::Refused),
    form("backslash-prefixed dots", "\\..", "/", Expect::Refused),
    form("empty segments", "", "/", Expect::Refused),
    form("dot-dot with empty segments", "..", "//", Expect::Refused),
    form("encoded dot-dot with empty segments", "%2e%2e", "//", Expect::Refused),
    form("NUL after dot-dot", "..%00", "/", Expect::Refused),
    form("NUL segment", "%00", "/", Expect::Refused),
    form("NUL before dot-dot", "%00..", "/", Expect::Refused),
    form("dot-dot, encoded slash, NUL", "..%2f%00", "/", Expect::Refused),
    form("slash then encoded slash", "..", "/%2f", Expect::Refused),
    // Not UTF-8 once decoded (overlong forms, bad escapes): at worst a missing name.
    form("overlong dot", "%c0%ae%c0%ae", "/", Expect::RefusedOrMissing),
    form("overlong dot, literal dot", "%c0%ae.", "/", Expect::RefusedOrMissing),
    form("overlong dot 3-byte", "%e0%80%ae%e0%80%ae", "/", Expect::RefusedOrMissing),
    form("overlong slash", "..", "%c0%af", Expect::RefusedOrMissing),
    form("overlong backslash", "..", "%c1%9c", Expect::RefusedOrMissing),
    form("bare percent-u", "%u002e%u002e", "/", Expect::RefusedOrMissing),
    form("truncated escape", "%2", "/", Expect::RefusedOrMissing),
    // Harmless literal names.
    form("dot-dot-semicolon", "..;", "/", Expect::RefusedOrMissing),
    form("encoded dot-dot-semicolon", "%2e%2e%3b", "/", Expect::RefusedOrMissing),
    form("three dots", "...", "/", Expect::RefusedOrMissing),
    form("dot-dot-space", "..%20", "/", Expect::RefusedOrMissing),
    form("double-encoded dots", "%252e%252e", "/", Expect::RefusedOrMissing),
    form("double-encoded slash", "..", "%252f", Expect::RefusedOrMissing),
    form("dot-dot-plus", "..+", "/", Expect::RefusedOrMissing),
];

/// How the request asks for the answer.
#[derive(Clone, Copy, Debug)]
enum Flavour {
    /// `X-Raw-Filesystem-API: 1`.
    Rfsapi,
    /// No header at all: a download.
    Plain,
    /// `Accept: text/html`: a browser navigation.
    Browser,
}

impl Flavour {
    fn headers(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Self::Rfsapi => vec![(RFSAPI, "1")],
            Self::Plain => vec![],
            Self::Browser => vec![("Accept", BROWSER_ACCEPT)],
        }
    }
}

struct Case {
    target: Vec<u8>,
    flavour: Flavour,
    expect: Expect,
    label: String,
}

/// Builds every combination of prefix × form × target × flavour (× request form).
fn cases(target: &Target, addr: SocketAddr) -> Vec<Case> {
    let fixture = target.fixture();
    // (encoded prefix, how many folders deep it is in the storage)
    let prefixes: [(String, usize); 6] = [
        (target.base(), 0),
        (target.at("/sub"), 1),
        (target.at("/sub/inner"), 2),
        (target.at("/%C3%BCn%C3%AFc%C3%B8d%C3%A9"), 1),
        (target.at("/missing"), 1),
        // The app's asset route parses its rest like the tree does.
        ("/.skiff/app".to_owned(), 2),
    ];
    let outside_segments = fixture
        .outside()
        .components()
        .filter_map(|component| match component {
            std::path::Component::Normal(name) => name.to_str().map(common::enc),
            _ => None,
        })
        .collect::<Vec<_>>();
    let mut absolute_secret = outside_segments.clone();
    absolute_secret.push("secret.txt".to_owned());

    let mut cases = Vec::new();
    for (prefix, depth) in prefixes {
        // (target segments, how many steps up)
        let targets: Vec<(Vec<String>, usize)> = vec![
            (vec!["etc".into(), "passwd".into()], 12),
            // Exactly one folder above the storage's top: the secret's own folder
            // (for a mount, two: the server root's).
            (vec!["secret.txt".into()], depth + 1),
            (vec!["secret.txt".into()], depth + 2),
            (absolute_secret.clone(), 12),
        ];
        for form in FORMS {
            for (target, steps) in &targets {
                let mut path = format!("{prefix}/");
                for _ in 0..*steps {
                    path.push_str(form.step);
                    path.push_str(form.join);
                }
                path.push_str(&target.join(form.join));
                for flavour in [Flavour::Rfsapi, Flavour::Plain, Flavour::Browser] {
                    cases.push(Case {
                        label: format!("{} | {flavour:?} | {path}", form.name),
                        target: path.clone().into_bytes(),
                        flavour,
                        expect: form.expect,
                    });
                }
                // The absolute form (`GET http://host/...`) must meet the same checks.
                if depth == 0 {
                    cases.push(Case {
                        label: format!("{} | absolute-form | {path}", form.name),
                        target: format!("http://{addr}{path}").into_bytes(),
                        flavour: Flavour::Rfsapi,
                        expect: form.expect,
                    });
                }
            }
        }
    }
    cases
}

/// Something recognisable from the machine's `/etc/passwd`, if it is readable.
fn passwd_marker() -> String {
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|text| text.lines().next().map(str::to_owned))
        .filter(|line| !line.is_empty())
        .unwrap_or_else(|| "root:x:0:0".to_owned())
}

/// What is wrong with `response` for `case`, if anything.
fn judge(case: &Case, response: &RawResponse, passwd: &str) -> Option<String> {
    let body = response.text();
    if body.contains(SECRET) {
        return Some("the body holds the secret from outside the root".to_owned());
    }
    if body.contains(passwd) {
        return Some("the body holds /etc/passwd".to_owned());
    }
    let allowed: &[u16] = match case.expect {
        Expect::Refused => &[400, 403],
        Expect::RefusedOrMissing => &[400, 403, 404],
    };
    if allowed.contains(&response.status) {
        return error_body_problem(response.header("content-type"), &response.body)
            .map(|problem| format!("{}: {problem}; body {body:?}", response.status));
    }
    // A browser navigation to a literal name that does not exist opens the app there.
    let is_shell = response.status == 200
        && response
            .header("content-type")
            .is_some_and(|value| value.starts_with("text/html"));
    if is_shell
        && matches!(case.flavour, Flavour::Browser)
        && case.expect == Expect::RefusedOrMissing
    {
        return None;
    }
    Some(format!("status {} (allowed: {allowed:?})", response.status))
}

async fn hostile_paths_never_leave_the_root(kind: Kind) {
    let target = Target::new(kind).await;
    std::fs::write(target.fixture().outside().join("secret.txt"), SECRET)
        .expect("write the secret");
    target.write_beside("secret.txt", SECRET.as_bytes()).await;
    target
        .write(&["sub", "inner", "file.txt"], INSIDE.as_bytes())
        .await;
    target
        .write(&["ünïcødé", "file.txt"], INSIDE.as_bytes())
        .await;
    target
        .write(
            &["secret.txt"],
            b"the storage's own secret.txt is not the secret",
        )
        .await;
    let server = target.serve();

    // The fixture is reachable the ordinary way, so refusals below mean something.
    let sanity = server.raw_get(&target.at("/sub/inner/file.txt"), &[]);
    assert_eq!(sanity.status, 200, "{}", sanity.text());
    assert_eq!(sanity.text(), INSIDE);

    let passwd = passwd_marker();
    let cases = cases(&target, server.addr());
    assert!(cases.len() >= 200, "only {} traversal cases", cases.len());

    let mut failures = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for case in &cases {
        let response = raw_request(server.addr(), "GET", &case.target, &case.flavour.headers());
        *statuses.entry(response.status).or_default() += 1;
        if let Some(why) = judge(case, &response, &passwd) {
            failures.push(format!("{}: {why}", case.label.escape_debug()));
        }
    }
    println!("{} hostile paths, answered with {statuses:?}", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} hostile paths were mishandled:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// The request target's syntax is checked before any storage is chosen: one run.
#[test]
fn targets_that_are_not_absolute_paths_are_refused() {
    let fixture = Fixture::new();
    std::fs::write(fixture.outside().join("secret.txt"), SECRET).expect("write the secret");
    let server = fixture.serve();
    for target in [
        "../secret.txt",
        "secret.txt",
        "..%2fsecret.txt",
        "*",
        "%2e%2e/secret.txt",
    ] {
        for flavour in [Flavour::Rfsapi, Flavour::Plain] {
            let response = server.raw_get(target, &flavour.headers());
            assert!(
                matches!(response.status, 400 | 403),
                "GET {target} {flavour:?}: status {}",
                response.status
            );
            assert!(
                !response.text().contains(SECRET),
                "GET {target} leaked the secret"
            );
        }
    }
}
