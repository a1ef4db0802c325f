//! Running operations on many entries: one request per entry, progress as it goes, a
//! "Stop" between entries, and the undo steps for what was done. A failure does not stop
//! the rest; the toast names what failed and offers to undo what succeeded. Copies into
//! the folder they are in get a free name beside the original: `a (copy).txt`.

use super::{Actions, Undo};
use crate::ops::{copy_name, OpError, Operations};
use crate::state::Browser;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;
use std::collections::HashSet;

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
        self.stop.set_value(false);
        self.progress.set(Some(Progress {
            label: format!("{doing} {}", count_label(&names)),
            done: 0,
            total,
        }));
        let beside = bulk == Bulk::Copy && target.as_ref() == Some(&from);
        // For copies beside their originals: the names taken, and which entries are folders.
        let (mut taken, folders) = browser.listing.with_untracked(|listing| {
            let entries = listing.iter().flat_map(|l| l.entries.iter());
            let taken: HashSet<String> = entries.clone().map(|e| e.name.clone()).collect();
            let folders: HashSet<String> = entries
                .filter(|e| e.is_dir())
                .map(|e| e.name.clone())
                .collect();
            (taken, folders)
        });
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
                self.progress
                    .update(|p| p.iter_mut().for_each(|p| p.done = finished));
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

/// `“a.txt”` for one entry, `3 items` for more.
pub fn count_label(names: &[String]) -> String {
    match names {
        [one] => format!("“{one}”"),
        many => format!("{} items", many.len()),
    }
}
