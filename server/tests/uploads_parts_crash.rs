//! Parts sessions (PROTOCOL.md §2.1) survive `kill -9` of the real server: parts
//! recorded before the crash are still there after the restart, and a complete
//! cut short by the crash is either still to do or done — repeating it answers
//! the file object and the bytes stored are exact. Each case runs in the default
//! storage (`local::`) and into an S3 storage mounted at `/s3` (`s3::`; a local folder mounted at `/lm` too, `local_mount::`).

mod common;

use std::time::Duration;

use common::target::{on_each_storage, Kind, Target};
use common::uploads::{complete, create_parts_in, part_of, pattern, put_part, sha256_hex, status};
use common::{client, TestServer};
use skiff_protocol::{FileObject, UploadSession, COMPLETE_SEGMENT, UPLOADS_PATH};

on_each_storage!(
    parts_survive_kill_9_between_parts,
    a_complete_cut_by_kill_9_can_be_repeated,
    the_background_sha256_resumes_after_kill_9,
);

const MIB: usize = 1 << 20;

async fn parts_survive_kill_9_between_parts(kind: Kind) {
    let target = Target::new(kind).await;
    let part = target.min_part();
    let mut server = target.serve_writable(&[]);
    let data = pattern(3 * part + 7, 21);
    let session = create_parts_in(
        &server,
        target.bucket(),
        "a.bin",
        data.len() as u64,
        part as u64,
    )
    .await;
    for n in [1, 3] {
        let response = put_part(
            &server,
            &session.url,
            n,
            part_of(&data, part, n as usize),
            &[],
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    server.kill();
    let server = target.serve_writable(&[]);
    let now: UploadSession = status(&server, &session.url).await.json().await.unwrap();
    assert_eq!(
        (now.parts, now.offset),
        (Some(vec![[1, 1], [3, 3]]), part as u64)
    );
    for n in [2, 4] {
        let response = put_part(
            &server,
            &session.url,
            n,
            part_of(&data, part, n as usize),
            &[],
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(complete(&server, &session.url, "{}").await.status(), 200);
    assert_eq!(target.read(&["a.bin"]).await.expect("stored"), data);
}

/// Sends complete and kills the server `delay` later (before, during or after
/// the completion, whichever the timing hits), then restarts it.
async fn complete_then_kill(
    mut server: TestServer,
    target: &Target,
    url: &str,
    delay: u64,
) -> TestServer {
    let request = client()
        .post(server.url(&format!("{url}/{COMPLETE_SEGMENT}")))
        .body("{}")
        .send();
    let killer = async {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill();
    };
    let _ = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(async { drop(request.await) }, killer)
    })
    .await;
    target.serve_writable(&[])
}

async fn a_complete_cut_by_kill_9_can_be_repeated(kind: Kind) {
    let target = Target::new(kind).await;
    let part = target.min_part();
    let mut server = target.serve_writable(&[]);
    for (round, delay) in [0, 1, 3, 8, 30].into_iter().enumerate() {
        let key = format!("f{round}.bin");
        let data = pattern(4 * part, 30 + round as u64);
        let session = create_parts_in(
            &server,
            target.bucket(),
            &key,
            data.len() as u64,
            part as u64,
        )
        .await;
        for n in 1..=4 {
            let response = put_part(
                &server,
                &session.url,
                n,
                part_of(&data, part, n as usize),
                &[],
            )
            .await;
            assert_eq!(response.status(), 200);
        }
        server = complete_then_kill(server, &target, &session.url, delay).await;
        let response = complete(&server, &session.url, "{}").await;
        assert_eq!(
            response.status(),
            200,
            "round {round}: complete after the restart"
        );
        let file: FileObject = response.json().await.unwrap();
        assert_eq!((file.key, file.bytes), (key.clone(), data.len() as u64));
        assert_eq!(
            target.read(&[&key]).await.expect("stored"),
            data,
            "round {round}"
        );
        let partial = target.fixture().path(&[".skiff", "partial", &session.id]);
        assert!(
            !partial.exists(),
            "round {round}: no partial file left behind"
        );
    }
}

async fn the_background_sha256_resumes_after_kill_9(kind: Kind) {
    let target = Target::new(kind).await;
    let mut server = target.serve_writable(&[]);
    // Big enough that hashing it takes longer than the kill that follows.
    let data = pattern(48 * MIB, 40);
    let session = create_parts_in(
        &server,
        target.bucket(),
        "big.bin",
        data.len() as u64,
        16 * MIB as u64,
    )
    .await;
    for n in 1..=3 {
        let part = part_of(&data, 16 * MIB, n);
        assert_eq!(
            put_part(&server, &session.url, n as u64, part, &[])
                .await
                .status(),
            200
        );
    }
    let response = complete(&server, &session.url, "{}").await;
    assert_eq!(response.status(), 200);
    server.kill();
    let server = target.serve_writable(&[]);
    let url = server.url(&format!("{UPLOADS_PATH}/{}/big.bin", target.bucket()));
    let started = std::time::Instant::now();
    loop {
        let file: FileObject = client()
            .get(&url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(sha256) = file.sha256 {
            assert_eq!(sha256, sha256_hex(&data));
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "never hashed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
