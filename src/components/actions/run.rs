//! Running operations on many entries: one request per entry, progress as it goes, a
//! "Stop" between entries, and the undo steps for what was done. A failure does not stop
//! the rest; the toast names what failed and offers to undo what succeeded. Copies into
//! the folder they are in get a free name beside the original: `a (copy).txt`. Moves and
//! copies between storages are the same requests (the server streams the bytes across);
//! for them the progress counts bytes too, where the files' sizes are known.

use super::{Actions, Undo};
use crate::model::human_size;
use crate::ops::{copy_name, OpError, Operations};
use crate::state::Browser;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;
use std::collections::{HashMap, HashSet};

/// What a bulk operation does to each entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    /// Move into the target folder.
    Move,
    /// Copy into the target folder.
    Copy,
    /// Delete (folders with everything inside).
    Delete,
}

impl Bulk {
    fn verbs(self) -> (&'static str, &'static str) {
        match self {
            Bulk::Move => ("Moving", "Moved"),
            Bulk::Copy => ("Copying", "Copied"),
            Bulk::Delete => ("Deleting", "Deleted"),
        }
    }
}

/// An operation under way, for the progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// "Moving 3 items".
    pub label: String,
    /// Entries finished (done or failed).
    pub done: usize,
    /// Entries in all.
    pub total: usize,
    /// Bytes of the finished entries and of all of them, for moves and copies of files
    /// (whose sizes the listing gives; a folder's size is unknown, so then `None`). A
    /// move between storages carries every byte, so bytes say more than entries then.
    pub bytes: Option<(u64, u64)>,
}

impl Progress {
    /// `2 of 3` and, when the sizes are known, `· 18 MiB of 40 MiB`.
    pub fn counts(&self) -> String {
        let entries = format!("{} of {}", self.done, self.total);
        match self.bytes {
            Some((done, total)) => {
                format!("{entries} · {} of {}", human_size(done), human_size(total))
            }
            None => entries,
        }
    }
}

impl Actions {
    /// Moves, copies or deletes `names` of `from` (into `target` for moves and copies),
    /// showing progress, then a toast with Undo for what can be undone.
    pub fn run(
        self,
        browser: Browser,
        bulk: Bulk,
        from: TreePath,
        names: Vec<String>,
        target: Option<TreePath>,
    ) {
        let Some(ops) = self.ops.get_untracked() else {
            return;
        };
        if self.progress.with_untracked(Option::is_some) {
            self.show_error("Another operation is still running.".to_owned());
            return;
        }
        let (doing, done_verb) = bulk.verbs();
        let total = names.len();
        let beside = bulk == Bulk::Copy && target.as_ref() == Some(&from);
        // For copies beside their originals: the names taken, and which entries are
        // folders; for the progress of moves and copies, the files' sizes.
        let (mut taken, folders, sizes) = browser.listing.with_untracked(|listing| {
            let entries = listing.iter().flat_map(|l| l.entries.iter());
            let taken: HashSet<String> = entries.clone().map(|e| e.name.clone()).collect();
            let folders: HashSet<String> = entries
                .clone()
                .filter(|e| e.is_dir())
                .map(|e| e.name.clone())
                .collect();
            let sizes = (bulk != Bulk::Delete)
                .then(|| file_sizes(entries, &names))
                .flatten();
            (taken, folders, sizes)
        });
        self.stop.set_value(false);
        self.progress.set(Some(Progress {
            label: format!("{doing} {}", count_label(&names)),
            done: 0,
            total,
            bytes: sizes.as_ref().map(|sizes| (0, sizes.values().sum::<u64>())),
        }));
        spawn_local(async move {
            let mut undo = Vec::new();
            let mut failures = Vec::new();
            let mut finished = 0;
            let mut copied_as = None;
            for name in &names {
                if self.stop.get_value() {
                    break;
                }
                let result = if beside {
                    let folder = folders.contains(name);
                    copy_beside(&ops, &from, name, folder, &mut taken)
                        .await
                        .map(|(step, new_name)| {
                            copied_as = Some(new_name);
                            Some(step)
                        })
                } else {
                    one(&ops, bulk, &from, name, target.as_ref()).await
                };
                match result {
                    Ok(step) => undo.extend(step),
                    Err(why) => failures.push(format!("“{name}”: {why}")),
                }
                finished += 1;
                let size = sizes
                    .as_ref()
                    .and_then(|sizes| sizes.get(name))
                    .copied()
                    .unwrap_or(0);
                self.progress.update(|p| {
                    for p in p.iter_mut() {
                        p.done = finished;
                        if let Some((done, _)) = &mut p.bytes {
                            *done += size;
                        }
                    }
                });
            }
            self.progress.set(None);
            browser.marked.set(Default::default());
            browser.retry();
            if let Some(target) = &target {
                browser.refresh_tree(target);
            }
            let succeeded = finished - failures.len();
            let whole = if succeeded == total {
                format!("{done_verb} {}", count_label(&names))
            } else {
                format!("{done_verb} {succeeded} of {total} items")
            };
            let into = match (&copied_as, total, target) {
                (Some(new_name), 1, _) => format!(" as “{new_name}”"),
                (_, _, Some(_)) if beside => " beside the originals".to_owned(),
                (_, _, Some(t)) => format!(" to {t}"),
                (_, _, None) => String::new(),
            };
            let mut message = format!("{whole}{into}.");
            if finished < total {
                message.push_str(" Stopped.");
            }
            if let Some(first) = failures.first() {
                message.push_str(&format!(" {first}"));
                if failures.len() > 1 {
                    message.push_str(&format!(" (and {} more failed)", failures.len() - 1));
                }
            }
            self.show(message, undo, !failures.is_empty());
        });
    }
}

/// Copies `name` of `from` into `from` itself under the first free "(copy)" name (trying
/// the next one if another client took it meanwhile); the undo step and the new name.
async fn copy_beside(
    ops: &Operations,
    from: &TreePath,
    name: &str,
    folder: bool,
    taken: &mut HashSet<String>,
) -> Result<(Undo, String), String> {
    let invalid = || "not a valid name".to_owned();
    let source = from.child(name).map_err(|_| invalid())?;
    for _ in 0..5 {
        let new_name = copy_name(name, folder, |candidate| taken.contains(candidate));
        taken.insert(new_name.clone());
        let to = from.child(&new_name).map_err(|_| invalid())?;
        match ops.copy(&source, &to).await {
            Ok(()) => {
                let step = Undo::Remove {
                    path: to,
                    recursive: true,
                };
                return Ok((step, new_name));
            }
            Err(OpError::Exists) => continue,
            Err(error) => return Err(error.to_string()),
        }
    }
    Err(OpError::Exists.to_string())
}

/// Does `bulk` to one entry; the step that undoes it, if it can be undone.
async fn one(
    ops: &Operations,
    bulk: Bulk,
    from: &TreePath,
    name: &str,
    target: Option<&TreePath>,
) -> Result<Option<Undo>, String> {
    let source = from
        .child(name)
        .map_err(|_| "not a valid name".to_owned())?;
    let destination = match target {
        Some(target) if target.starts_with(&source) => {
            return Err("a folder cannot go inside itself.".to_owned())
        }
        Some(target) if *target == *from => return Err("it is already in that folder.".to_owned()),
        Some(target) => Some(
            target
                .child(name)
                .map_err(|_| "not a valid name".to_owned())?,
        ),
        None => None,
    };
    let result = match (bulk, destination) {
        (Bulk::Move, Some(to)) => ops
            .rename(&source, &to, false)
            .await
            .map(|()| Some(Undo::Move(to, source))),
        (Bulk::Copy, Some(to)) => ops.copy(&source, &to).await.map(|()| {
            Some(Undo::Remove {
                path: to,
                recursive: true,
            })
        }),
        (Bulk::Delete, _) => ops.delete(&source, true).await.map(|()| None),
        (_, None) => Err(OpError::Unsupported),
    };
    result.map_err(|error| error.to_string())
}

/// The size of each of `names` among `entries`, if every one is a file the listing
/// holds (one pass: Ctrl+A in a folder of 100,000 entries must not look up each name).
fn file_sizes<'a>(
    entries: impl Iterator<Item = &'a skiff_protocol::RawFileData>,
    names: &[String],
) -> Option<HashMap<String, u64>> {
    let wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
    let mut sizes = HashMap::with_capacity(wanted.len());
    for entry in entries.filter(|e| wanted.contains(e.name.as_str())) {
        if !entry.is_file {
            return None;
        }
        sizes.insert(entry.name.clone(), entry.size);
    }
    (sizes.len() == wanted.len()).then_some(sizes)
}

/// `“a.txt”` for one entry, `3 items` for more.
pub fn count_label(names: &[String]) -> String {
    match names {
        [one] => format!("“{one}”"),
        many => format!("{} items", many.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::{file_sizes, Progress};
    use skiff_protocol::RawFileData;

    #[test]
    fn progress_counts_bytes_when_the_sizes_are_known() {
        let mut progress = Progress {
            label: "Moving 3 items".to_owned(),
            done: 2,
            total: 3,
            bytes: Some((18 << 20, 40 << 20)),
        };
        assert_eq!(progress.counts(), "2 of 3 · 18 MiB of 40 MiB");
        progress.bytes = None;
        assert_eq!(progress.counts(), "2 of 3");
    }

    #[test]
    fn sizes_are_known_only_when_every_entry_is_a_listed_file() {
        let listing = [
            RawFileData::named("a", true, 5),
            RawFileData::named("b", true, 7),
            RawFileData::named("d", false, 0),
        ];
        let names = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let sizes = file_sizes(listing.iter(), &names(&["a", "b"])).expect("files");
        assert_eq!(sizes.values().sum::<u64>(), 12);
        assert_eq!(
            file_sizes(listing.iter(), &names(&["a", "d"])),
            None,
            "a folder"
        );
        assert_eq!(
            file_sizes(listing.iter(), &names(&["a", "gone"])),
            None,
            "not listed"
        );
    }
}
