//! A dropped folder uploaded by the upload worker (`worker_folder.js`): the page posts the
//! folder's File System Access handle and gets back counts, at most every 100 ms, instead
//! of one queue item per file. The worker walks the folder and sends its tiny files (up to
//! `engine::batch::UNREAD`) in batches; what it does not settle (bigger files, a conflict,
//! a refusal, a lost batch) it hands back, and the queue adds those as files of their own,
//! so conflicts, retries and errors stay per file.
//!
//! Why: walking 10,000 files and queueing each cost the page's main thread about half its
//! time during the upload (issue 9); the panel shows the folder as one line of counts.

use crate::upload::drop_zone::PickedFile;
use crate::upload::engine::batch::{BATCH_BYTES, BATCH_FILES, UNREAD};
use crate::upload::worker_io;
use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use skiff_protocol::TreePath;
use wasm_bindgen::{JsCast, JsValue};

/// Where a folder upload stands, as the user set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderState {
    Running,
    Paused,
    Cancelled,
}

/// What the worker last reported of a folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderCounts {
    /// Files found that the worker sends itself (handed-back ones taken off).
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Stored.
    pub done: u64,
    /// Bytes stored.
    pub done_bytes: u64,
    /// Still walking the folder (more files may come).
    pub walking: bool,
    /// Nothing more will happen: walked, and every batch answered (or cancelled).
    pub finished: bool,
}

impl FolderCounts {
    /// Files not stored yet.
    pub fn left(&self) -> u64 {
        self.files.saturating_sub(self.done)
    }
}

/// One dropped folder in the queue. `Copy`: signals and stored values only.
#[derive(Clone, Copy)]
pub struct FolderUpload {
    /// The worker's id for it (keys its row).
    pub id: u64,
    /// The folder's name, as the panel shows it.
    pub name: StoredValue<String>,
    /// The folder it was dropped into.
    pub dir: StoredValue<TreePath>,
    pub counts: RwSignal<FolderCounts>,
    pub state: RwSignal<FolderState>,
}

impl FolderUpload {
    /// Whether the worker may still send (or is asked to pause) files of it.
    pub fn is_active(&self) -> bool {
        !self.counts.with_untracked(|counts| counts.finished)
            && self.state.get_untracked() != FolderState::Cancelled
    }

    /// Asks the worker to start no more batches (those in flight finish).
    pub fn pause(&self) {
        if self.is_active() && self.state.get_untracked() == FolderState::Running {
            self.state.set(FolderState::Paused);
            post_op("folder-pause", self.id);
        }
    }

    /// Lets the worker go on.
    pub fn resume(&self) {
        if self.is_active() && self.state.get_untracked() == FolderState::Paused {
            self.state.set(FolderState::Running);
            post_op("folder-resume", self.id);
        }
    }

    /// Stops the walk and the batches for good (what was stored stays).
    pub fn cancel(&self) {
        if self.is_active() {
            self.state.set(FolderState::Cancelled);
            post_op("folder-cancel", self.id);
        }
    }
}

fn post_op(op: &str, id: u64) {
    let message = Object::new();
    let _ = Reflect::set(&message, &"op".into(), &op.into());
    let _ = Reflect::set(&message, &"id".into(), &(id as f64).into());
    worker_io::post_raw(&message);
}

/// Hands `handle` (a dropped folder's `FileSystemDirectoryHandle`) to the worker, to be
/// uploaded into `dir` through `batch_url`; `None` if the worker is not there.
pub fn start(
    id: u64,
    handle: &JsValue,
    dir: &TreePath,
    batch_url: &str,
    server: &str,
    create_only: bool,
    parallel: usize,
) -> Option<FolderUpload> {
    if !worker_io::available() {
        return None;
    }
    let message = Object::new();
    let set = |key: &str, value: &JsValue| {
        let _ = Reflect::set(&message, &key.into(), value);
    };
    set("op", &"folder".into());
    set("id", &(id as f64).into());
    set("handle", handle);
    set("base", &dir.to_url_path().into());
    set("url", &worker_io::absolute(batch_url).into());
    let headers = Array::new();
    headers.push(&Array::of2(
        &"Content-Type".into(),
        &skiff_protocol::BATCH_CONTENT_TYPE.into(),
    ));
    if let Some(authorization) = crate::auth::authorization(server) {
        headers.push(&Array::of2(&"Authorization".into(), &authorization.into()));
    }
    set("headers", &headers);
    set("createOnly", &create_only.into());
    set("tinyMax", &(UNREAD as f64).into());
    set("batchFiles", &(BATCH_FILES as f64).into());
    set("batchBytes", &(BATCH_BYTES as f64).into());
    set("parallel", &(parallel as f64).into());
    let name = Reflect::get(handle, &"name".into())
        .ok()
        .and_then(|name| name.as_string())
        .unwrap_or_default();
    let folder = FolderUpload {
        id,
        name: StoredValue::new(name),
        dir: StoredValue::new(dir.clone()),
        counts: RwSignal::new(FolderCounts {
            walking: true,
            ..FolderCounts::default()
        }),
        state: RwSignal::new(FolderState::Running),
    };
    worker_io::post_raw(&message).then_some(folder)
}

/// A message from the worker about a folder.
pub enum FolderMessage {
    /// New counts for folder `id`.
    Progress(u64, FolderCounts),
    /// Files of folder `id` for the page to upload one by one.
    Back(u64, Vec<PickedFile>),
}

/// Reads a `folder-*` message; `None` if it is not one.
pub fn read_message(data: &JsValue) -> Option<FolderMessage> {
    let field = |name: &str| Reflect::get(data, &name.into()).unwrap_or(JsValue::UNDEFINED);
    let number = |name: &str| field(name).as_f64().unwrap_or(0.0).max(0.0) as u64;
    let id = field("id").as_f64()? as u64;
    match field("op").as_string()?.as_str() {
        "folder-progress" => {
            let back = number("back");
            Some(FolderMessage::Progress(
                id,
                FolderCounts {
                    files: number("found").saturating_sub(back),
                    bytes: number("foundBytes"),
                    done: number("done"),
                    done_bytes: number("doneBytes"),
                    walking: field("walking").is_truthy(),
                    finished: field("finished").is_truthy(),
                },
            ))
        }
        "folder-back" => {
            let files: Array = field("files").dyn_into().ok()?;
            Some(FolderMessage::Back(
                id,
                crate::upload::folder_walk::picked_from_pairs(&files),
            ))
        }
        _ => None,
    }
}
