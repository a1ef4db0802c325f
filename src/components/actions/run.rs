//! Running operations on many entries: one request per entry, progress as it goes, a
//! "Stop" between entries, and the undo steps for what was done. A failure does not stop
//! the rest; the toast names what failed and offers to undo what succeeded.

use super::{Actions, Undo};
use crate::ops::{OpError, Operations};
use crate::state::Browser;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::TreePath;

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
        spawn_local(async move {
            let mut undo = Vec::new();
            let mut failures = Vec::new();
            let mut finished = 0;
            for name in &names {
                if self.stop.get_value() {
                    break;
                }
                match one(&ops, bulk, &from, name, target.as_ref()).await {
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
            let into = target.map(|t| format!(" to {t}")).unwrap_or_default();
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
