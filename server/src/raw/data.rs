//! Raw `data` (PROTOCOL.md §4, §2.2) in any storage, exactly as the tree serves
//! and writes bytes there: `GET`/`HEAD` names the file, which `crate::http::raw`
//! serves with the tree's byte serving (validators, ranges, `_format`,
//! `Repr-Digest`, §6 headers); `PUT` is the tree's streamed, checked write
//! through the store (`crate::tree::write`: `Content-Digest` 460,
//! `If-None-Match: *` and `If-Match` 412, `--max-size` 413, nothing changed on
//! a refusal; the SHA-256 and id recorded in a shared commit), answered with
//! the stat object and the SHA-256 of what was stored. `DELETE` is in
//! `within.rs`.
//!
//! In the default storage a `PUT` whose `Content-Length` cannot fit on the
//! server's disk is 507 before any byte is read, as every write there.

use super::place::Place;
use super::within::stat;
use super::{Answer, LazyWrite, Stored};
use crate::error::AppError;
use crate::services::Services;
use crate::tree::write::WholeWrite;
use crate::tree::write::{check_put, put as put_whole, Put};

/// `GET {raw}/data?ref=` of a file in `place`; a folder is 409 `is_a_folder`.
pub async fn data(services: &Services, place: &Place) -> Result<Answer, AppError> {
    let mounted = place.mounted(services)?;
    let entry = mounted.store.stat(&place.key).await?;
    if entry.is_dir {
        return Err(AppError::Conflict {
            code: "is_a_folder",
            message: "a folder has no bytes; list it instead".to_owned(),
        });
    }
    Ok(Answer::Bytes(mounted, entry))
}

/// `PUT {raw}/data?ref=` of a file in `place` (the server and the storage are
/// writable: checked by the caller).
pub async fn put(services: &Services, place: &Place, write: LazyWrite) -> Result<Answer, AppError> {
    let uploads = services.writer()?;
    let max_size = uploads.max_size();
    let WholeWrite {
        if_match,
        if_none_match,
        promised,
        announced,
        body,
    } = write()?;
    check_put(&place.key, announced, max_size)?;
    if place.is_default() {
        uploads.ensure_room_for(announced).await?;
    }
    let mounted = place.mounted(services)?;
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
