//! Whole-file uploads for servers without upload sessions (PROTOCOL.md §0): one `PUT`
//! per file, the browser streaming it from disk. No resume: an interruption starts over.

use crate::upload::engine::{error_message, settle_conflict, Stop};
use crate::upload::item::UploadItem;
use crate::upload::policy::ConflictChoice;
use crate::upload::xhr::{XhrFailure, XhrRequest};
use leptos::prelude::*;
use web_sys::File;

pub(super) async fn by_put(item: UploadItem, file: &File, server: &str) -> Result<(), Stop> {
    let mut copy = 0u32;
    loop {
        match put_once(item, file, server).await {
            Err(Stop::Conflict) => settle_conflict(item, &mut copy)?,
            other => return other,
        }
    }
}

async fn put_once(item: UploadItem, file: &File, server: &str) -> Result<(), Stop> {
    let url = format!("{server}{}", item.target.with_value(|t| t.to_url_path()));
    let mut request = XhrRequest::new("PUT", &url, server)
        .map_err(|_| Stop::Failed("the browser refused the request".into()))?;
    if item.on_conflict.get_value() != Some(ConflictChoice::Replace) {
        request = request.header("If-None-Match", "*");
    }
    item.in_flight.set_value(Some(request.abort_handle()));
    let answer = request
        .send_blob(file, move |loaded| {
            item.sent.set(loaded as u64);
            item.speed
                .update(|meter| meter.sample(js_sys::Date::now(), loaded as u64));
        })
        .await;
    item.in_flight.set_value(None);
    match answer {
        Ok(answer) if (200..300).contains(&answer.status) => Ok(()),
        Ok(answer) if answer.status == 412 => Err(Stop::Conflict),
        Ok(answer) => Err(Stop::Failed(error_message(
            Some(answer.status),
            &answer.body,
        ))),
        Err(XhrFailure::Aborted) => Err(Stop::ByUser),
        Err(XhrFailure::Network) => Err(Stop::Failed(
            "connection lost (this server cannot resume; retry)".into(),
        )),
    }
}
