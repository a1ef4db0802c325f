//! A dropped folder uploaded by the upload worker (`worker_folder.js`): the page posts the
//! folder's File System Access handle and gets back counts, at most every 100 ms, instead
//! of one queue item per file. The worker walks the folder and sends its tiny files (up to
//! `engine::batch::UNREAD`) in batches; what it does not settle (bigger files, a conflict,
//! a refusal, a lost batch) it hands back, and the queue adds those as files of their own,
//! so conflicts, retries and errors stay per file.
//!
//! Why: walking 10,000 files and queueing each cost the page's main thread about half its
//! time during the upload (issue 9); the panel shows the folder as one line of counts.
//!
//! A reload stops the worker: each folder upload is remembered in `localStorage` (its
//! counts, `persist::SavedFolder`) and its handle in IndexedDB, so the reloaded page shows
//! it as interrupted. It goes on from its kept handle (Resume, or at once where the
//! browser still grants reading it), or when the folder is dropped again: either way the
//! worker walks it again and counts the files the server already holds with the same
//! bytes as stored, so only what is missing is sent.

use crate::upload::drop_zone::PickedFile;
use crate::upload::engine::batch::{BATCH_BYTES, BATCH_FILES, UNREAD};
use crate::upload::persist::{self, SavedFolder};
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
    /// Remembered from before a reload: no worker sends it until it is resumed.
    Interrupted,
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
    /// Where it is remembered across reloads (`persist::folder_key`).
    pub key: StoredValue<String>,
    /// Interrupted, with a kept handle the browser lets read only after asking (a click).
    pub needs_permission: RwSignal<bool>,
    /// The folder's name, as the panel shows it.
    pub name: StoredValue<String>,
    /// The folder it was dropped into.
    pub dir: StoredValue<TreePath>,
    pub counts: RwSignal<FolderCounts>,
    pub state: RwSignal<FolderState>,
}

impl FolderUpload {
    /// A folder remembered from before a reload, as `saved` left it.
    pub fn interrupted(id: u64, key: String, saved: &SavedFolder) -> Option<Self> {
        Some(Self {
            id,
            key: StoredValue::new(key),
            needs_permission: RwSignal::new(false),
            name: StoredValue::new(saved.name.clone()),
            dir: StoredValue::new(TreePath::parse_url_path(&saved.dir).ok()?),
            counts: RwSignal::new(FolderCounts {
                files: saved.files,
                bytes: saved.bytes,
                done: saved.done.min(saved.files),
                done_bytes: saved.done_bytes.min(saved.bytes),
                walking: saved.walking,
                finished: false,
            }),
            state: RwSignal::new(FolderState::Interrupted),
        })
    }

    /// Whether the worker may still send (or is asked to pause) files of it.
    pub fn is_active(&self) -> bool {
        !self.counts.with_untracked(|counts| counts.finished)
            && !matches!(
                self.state.get_untracked(),
                FolderState::Cancelled | FolderState::Interrupted
            )
    }

    /// Whether it is not over: sending, paused, or interrupted by a reload.
    pub fn is_unfinished(&self) -> bool {
        self.is_active() || self.state.get_untracked() == FolderState::Interrupted
    }

    /// What to remember of it across a reload (`server`: the app's server).
    pub fn saved(&self, server: &str) -> SavedFolder {
        let counts = self.counts.get_untracked();
        SavedFolder {
            server: server.to_owned(),
            dir: self.dir.with_value(TreePath::to_url_path),
            name: self.name.get_value(),
            files: counts.files,
            bytes: counts.bytes,
            done: counts.done,
            done_bytes: counts.done_bytes,
            walking: counts.walking,
        }
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

    /// Stops the walk and the batches for good (what was stored stays); an interrupted
    /// folder is forgotten.
    pub fn cancel(&self) {
        if self.state.get_untracked() == FolderState::Interrupted {
            self.state.set(FolderState::Cancelled);
            persist::forget_folder(&self.key.get_value());
        } else if self.is_active() {
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
#[allow(clippy::too_many_arguments)]
pub fn start(
    id: u64,
    key: String,
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
        key: StoredValue::new(key),
        needs_permission: RwSignal::new(false),
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
