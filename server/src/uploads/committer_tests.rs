//! The group committer: a refused unit does not sink its batch, and writers
//! waiting at once share commits.

use super::*;
use crate::uploads::store::Store;

fn memory_db() -> Arc<Database> {
    let db = Database::builder()
        .create_with_backend(redb::backends::InMemoryBackend::new())
        .expect("in-memory database");
    Arc::new(db)
}

fn file_write(key: &str) -> Write {
    Write::File {
        key: key.to_owned(),
        record: FileRecord {
            etag: "\"e\"".to_owned(),
            sha256: None,
            id: key.to_owned(),
            mime_type: "x/y".to_owned(),
            created_at: 0,
            content_hash: None,
            part_size: None,
        },
    }
}

#[test]
fn a_refused_unit_leaves_the_rest_of_its_batch_in_one_commit() {
    let db = memory_db();
    let store = Store::new(Arc::clone(&db)).expect("tables");
    let (sender, receiver) = mpsc::channel();
    let pending = |writes: Vec<Write>| {
        let sender = sender.clone();
        Pending {
            writes,
            after: None,
            reply: Box::new(move |outcome: Result<(), AppError>| {
                let _ = sender.send(outcome.is_ok());
            }),
        }
    };
    let refused = Write::Part {
        id: "nobody".to_owned(),
        n: 1,
        digest: [0; 32],
        tag: String::new(),
        touched_ms: 0,
    };
    let batch = vec![
        pending(vec![file_write("a")]),
        pending(vec![file_write("b"), refused]),
        pending(vec![file_write("c")]),
    ];
    assert_eq!(commit_batch(&db, batch), 1, "one commit for the batch");
    let answers: Vec<bool> = receiver.try_iter().collect();
    assert_eq!(answers, vec![true, false, true]);
    let known = |key| store.file(key).expect("read").is_some();
    assert_eq!((known("a"), known("b"), known("c")), (true, false, true));
}

#[test]
fn concurrent_writers_share_commits() {
    // On disk, so each commit really waits for its fsync while others queue.
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Database::create(dir.path().join("state.redb")).expect("database");
    let committer = Committer::start(with_tables(db)).expect("start");
    let committer = Arc::new(committer);
    let writers: Vec<_> = (0..64)
        .map(|i| {
            let committer = Arc::clone(&committer);
            std::thread::spawn(move || committer.commit_blocking(vec![file_write(&i.to_string())]))
        })
        .collect();
    for writer in writers {
        writer.join().expect("joined").expect("committed");
    }
    assert!(committer.commits() < 64, "{} commits", committer.commits());
}

fn with_tables(db: Database) -> Arc<Database> {
    let txn = db.begin_write().expect("txn");
    txn.open_table(SESSIONS).expect("sessions");
    txn.open_table(FILES).expect("files");
    txn.open_table(PARTS).expect("parts");
    txn.commit().expect("commit");
    Arc::new(db)
}
