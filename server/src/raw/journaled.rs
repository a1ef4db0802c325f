//! The raw API's writes in the default storage of a writable `s3://` ROOT
//! (`crate::jobs`): a call touching a folder under an unfinished job is 409
//! `job_running` (its sentence says how far the job is); a move, or a recursive
//! delete, of a folder runs as a journaled job the request waits for; the same
//! call retried (while the job runs, or once it is done) answers as the first.
//! A `mkdir` there goes on to `new_folder.rs` (one winner between instances).

use std::sync::Arc;

use super::place::Place;
use super::within::{check_ends, claim, stat, Call};
use super::Answer;
use crate::blocking::blocking;
use crate::catalog::ids::Ids;
use crate::error::AppError;
use crate::jobs::{Earlier, Jobs, Kind};
use crate::store::Store;

/// What the call is, as far as jobs go (a [`Call`] may hold a body, which is not `Sync`).
#[derive(Clone, Copy)]
pub enum What {
    Move {
        overwrite: bool,
    },
    /// `DELETE data` with `recursive=true`.
    DeleteAll,
    Mkdir,
    Other,
}

impl What {
    pub fn of(call: &Call) -> What {
        match call {
            Call::Move { overwrite } => What::Move {
                overwrite: *overwrite,
            },
            Call::Delete { recursive: true } => What::DeleteAll,
            Call::Mkdir => What::Mkdir,
            _ => What::Other,
        }
    }
}

/// `Some(answer)` when the call was served here, `None` to serve it as usual.
pub async fn serve(
    jobs: &Jobs,
    ids: &Ids,
    store: &Arc<dyn Store>,
    from: &Place,
    target: Option<&Place>,
    call: What,
) -> Result<Option<Answer>, AppError> {
    let source = from.tree_key(&from.key);
    let to = target.map(|target| target.tree_key(&target.key));
    let kind = match call {
        What::Move { .. } if target.is_some() => Some(Kind::Move),
        What::DeleteAll => Some(Kind::Delete),
        _ => None,
    };
    if let Some(kind) = kind {
        if from.key.is_root() {
            return Err(from.top_refused());
        }
        let to = if kind == Kind::Move {
            to.as_deref()
        } else {
            None
        };
        if let Earlier::Finished = jobs.earlier(kind, &source, to).await? {
            return answer(ids, store, kind, target).await.map(Some);
        }
    }
    let mut touched = vec![source.as_str()];
    touched.extend(to.as_deref());
    jobs.refuse_busy(&touched).await?;
    if let What::Mkdir = call {
        return super::new_folder::make(jobs, ids, store, from)
            .await
            .map(Some);
    }
    let Some(kind) = kind else {
        return Ok(None);
    };
    if !store.stat(&from.key).await?.is_dir {
        return Ok(None);
    }
    if let (What::Move { overwrite }, Some(target)) = (call, target) {
        check_ends(from, target)?;
        claim(ids, store, from, target, overwrite).await?;
    }
    let to = if kind == Kind::Move {
        to.as_deref()
    } else {
        None
    };
    // The ids go first (on records a folder's move is one entry, whatever is
    // below it), so they are where the objects go however the job ends: finished
    // here, or taken over by another instance after this one died.
    let (catalog, from_key, to_key) = (ids.clone(), source.clone(), to.map(str::to_owned));
    blocking(move || match to_key {
        Some(to_key) => catalog.move_tree(&from_key, &to_key),
        None => catalog.forget_tree(&from_key),
    })
    .await?;
    jobs.run_folder_job(kind, &source, to).await?;
    answer(ids, store, kind, target).await.map(Some)
}

/// What a finished job answers: the moved folder's stat object, or 204 (its
/// ids were moved or forgotten when the job began).
async fn answer(
    ids: &Ids,
    store: &Arc<dyn Store>,
    kind: Kind,
    target: Option<&Place>,
) -> Result<Answer, AppError> {
    match (kind, target) {
        (Kind::Move, Some(target)) => {
            let entry = store.stat(&target.key).await?;
            Ok(Answer::Stat(stat(ids, target, &entry).await?))
        }
        _ => Ok(Answer::Deleted),
    }
}
