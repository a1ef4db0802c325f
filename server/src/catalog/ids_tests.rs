//! Unit tests of the redb ids (`ids.rs`).

use super::*;

fn ids() -> Ids {
    let db = Database::builder()
        .create_with_backend(redb::backends::InMemoryBackend::new())
        .expect("in-memory db");
    create_tables(&db).expect("tables");
    Ids::new(Arc::new(db))
}

fn put_records(ids: &Ids, keys: &[&str]) {
    let txn = ids.database().begin_write().expect("txn");
    {
        let mut files = txn.open_table(FILES).expect("files");
        for key in keys {
            files.insert(*key, key.as_bytes()).expect("insert");
        }
    }
    txn.commit().expect("commit");
}

fn record_keys(ids: &Ids) -> Vec<String> {
    let txn = ids.database().begin_read().expect("txn");
    let files = txn.open_table(FILES).expect("files");
    let rows = files.iter().expect("iter");
    rows.map(|row| row.expect("row").0.value().to_owned())
        .collect()
}

#[test]
fn digest_records_follow_subtree_moves_and_die_with_deletes() {
    let ids = ids();
    put_records(&ids, &["a", "a/b", "a/b/c", "ab", "a0"]);
    ids.move_tree("a", "z").expect("move");
    assert_eq!(record_keys(&ids), ["a0", "ab", "z", "z/b", "z/b/c"]);
    ids.forget_tree("z/b").expect("forget");
    assert_eq!(record_keys(&ids), ["a0", "ab", "z"]);
    ids.forget_tree("").expect("forget all");
    assert!(record_keys(&ids).is_empty());
}

#[test]
fn ids_are_stable_and_follow_moves_of_whole_subtrees() {
    let ids = ids();
    let keys: Vec<String> = ["a", "a/b", "a/b/c", "ab", "a0"].map(String::from).to_vec();
    let first = ids.ids_for(&keys).expect("ids");
    assert_eq!(ids.ids_for(&keys).expect("again"), first);
    ids.move_tree("a", "z/y").expect("move");
    assert_eq!(ids.id_for("z/y").expect("id"), first[0]);
    assert_eq!(ids.id_for("z/y/b/c").expect("id"), first[2]);
    assert_eq!(ids.id_for("ab").expect("id"), first[3], "a sibling stays");
    assert_eq!(ids.id_for("a0").expect("id"), first[4], "a sibling stays");
    assert_eq!(
        ids.path_of(&first[1]).expect("path").as_deref(),
        Some("z/y/b")
    );
    assert_ne!(ids.id_for("a").expect("new id"), first[0]);
    ids.forget_tree("z").expect("forget");
    assert_eq!(ids.path_of(&first[2]).expect("path"), None);
}

#[test]
fn a_written_file_keeps_its_id_only_when_it_replaced_one() {
    let ids = ids();
    let first = ids.id_for("f").expect("id");
    let child = ids.id_for("f/stale").expect("id");
    let write = |replaced| {
        let txn = ids.database().begin_write().expect("txn");
        let known = written_in(&txn, "f", replaced).expect("written");
        txn.commit().expect("commit");
        known
    };
    assert_eq!(write(true).id, first, "a replaced file keeps its id");
    let fresh = write(false);
    assert_ne!(fresh.id, first, "a new file starts afresh");
    assert_eq!(ids.id_for("f").expect("id"), fresh.id);
    assert_eq!(ids.path_of(&first).expect("path"), None);
    assert_eq!(ids.path_of(&child).expect("path"), None);
    assert_eq!(ids.path_of(&fresh.id).expect("path").as_deref(), Some("f"));
}
