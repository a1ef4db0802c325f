//! Raw `data` inside a mounted storage (PROTOCOL.md §4, §2.2, §5), exactly as
//! the tree serves and writes bytes there: `GET`/`HEAD` names the file, which
//! `crate::http::raw` serves with the tree's mounted byte serving (validators,
//! ranges, §6 headers); `PUT` is the tree's streamed, checked write
//! (`crate::tree::write`: `Content-Digest` 460, `If-None-Match: *` and `If-Match`
//! 412, `--max-size` 413, nothing changed on a refusal), answered with the stat
//! object and the SHA-256 of what was stored. `DELETE` is in `mounted.rs`.

use std::sync::Arc;

use super::mounted::{stat, Place};
use super::{Answer, LazyWrite, Stored};
use crate::catalog::ids::Ids;
use crate::error::AppError;
use crate::services::Services;
use crate::tree::write::{check_put, put as put_whole, Put};
use crate::tree::Mounted;
use crate::uploads::tree_write::WholeWrite;

/// `GET {raw}/data?ref=` of a file in `place`; a folder is 409 `is_a_folder`.
pub async fn data(ids: &Ids, place: &Place) -> Result<Answer, AppError> {
    let mounted = mounted(ids, place)?;
    let entry = mounted.store.stat(&place.key).await?;
    if entry.is_dir {
        return Err(AppError::Conflict {
            code: "is_a_folder",
            message: "a folder has no bytes; list it instead".to_owned(),
        });
    }
    Ok(Answer::MountedBytes(mounted, entry))
}

/// `PUT {raw}/data?ref=` of a file in `place` (the server and the storage are
/// writable: checked by the caller).
pub async fn put(services: &Services, place: &Place, write: LazyWrite) -> Result<Answer, AppError> {
    let max_size = services.writer()?.max_size();
    let WholeWrite {
        if_match,
        if_none_match,
        promised,
        announced,
        body,
    } = write()?;
    check_put(&place.key, announced, max_size)?;
    let mounted = mounted(services.ids(), place)?;
    let put = Put {
        create_only: if_none_match,
        if_match,
        promised,
        max_size,
        body,
    };
    let written = put_whole(&mounted, place.key.clone(), put).await?;
    let stat = stat(services.ids(), place, &written.entry).await?;
    Ok(Answer::Written(Stored {
        created: !written.replaced,
        sha256: written.sha256,
        stat,
    }))
}

/// The tree's view of the storage `place` is in.
fn mounted(ids: &Ids, place: &Place) -> Result<Mounted, AppError> {
    Ok(Mounted {
        store: Arc::clone(place.store()?),
        mount: place.mount.clone(),
        ids: ids.clone(),
    })
}
