//! Files and whole folders dropped on the page, or picked with an `<input type=file>`.
//!
//! A dropped folder is walked through its File System Access handle where the browser
//! gives one (`folder_walk`: Chromium; far cheaper for the main thread), else with
//! `webkitGetAsEntry`: `readEntries` hands out a folder's children in batches (Chromium:
//! 100 at a time), so it is called until it returns none.
//! The files found are handed over in batches while the walk goes on (`first` is true for
//! the first batch of a drop), so a folder of 10,000 files starts uploading at once instead
//! of after the whole walk (seconds: every file is one request to the browser process).
//!
//! ## Usage
//! ```ignore
//! let zone = use_window_drop_zone(
//!     move |files: Vec<PickedFile>, first| queue.add_dropped(&dir, files, first),
//!     move |handle: &JsValue| queue.add_dropped_folder(&dir, handle),
//! );
//! view! { <Show when=move || zone.is_over.get()> <Overlay/> </Show> }
//! ```

use crate::upload::folder_walk::{self, FolderWalk};
use crate::upload::handles;
use js_sys::{Array, Promise};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DataTransfer, DragEvent, File, FileList, FileSystemDirectoryEntry, FileSystemEntry,
    FileSystemFileEntry,
};

/// A file to upload and where it goes, relative to the folder it was dropped on.
#[derive(Clone)]
pub struct PickedFile {
    /// Path segments below the drop target: `["photos", "2024", "a.jpg"]`.
    pub relative: Vec<String>,
    /// The browser's handle on the bytes (read lazily, chunk by chunk).
    pub file: File,
    /// Its File System Access handle (Chromium, dropped files only), kept so an upload
    /// interrupted by a reload resumes without picking the file again.
    pub handle: Option<JsValue>,
}

/// What [`use_window_drop_zone`] gives back.
#[derive(Clone, Copy)]
pub struct WindowDropZone {
    /// Whether files are being dragged over the window (show the overlay).
    pub is_over: Signal<bool>,
}

/// Makes the whole window a drop target; `on_drop` gets every file, folders walked, in
/// batches (`true` for a drop's first). A drop an inner target (a folder row) already
/// handled is left alone.
pub fn use_window_drop_zone(
    on_drop: impl Fn(Vec<PickedFile>, bool) + Clone + 'static,
    on_folder: impl Fn(&JsValue) -> bool + Clone + 'static,
) -> WindowDropZone {
    // Counts nested dragenter/dragleave pairs: leaving a child element is not leaving the window.
    let depth = RwSignal::new(0i32);
    let enter = window_event_listener(leptos::ev::dragenter, move |event| {
        if carries_files(&event) {
            depth.update(|d| *d += 1);
        }
    });
    let leave = window_event_listener(leptos::ev::dragleave, move |event| {
        if carries_files(&event) {
            depth.update(|d| *d = (*d - 1).max(0));
        }
    });
    let over = window_event_listener(leptos::ev::dragover, move |event| {
        if carries_files(&event) {
            // Without this the browser would open the file instead of dropping it here.
            event.prevent_default();
        }
    });
    let drop = window_event_listener(leptos::ev::drop, move |event| {
        depth.set(0);
        if !carries_files(&event) {
            return;
        }
        // A folder row that took the drop marked it handled (see `FolderDropTarget`).
        if event.default_prevented() {
            return;
        }
        event.prevent_default();
        take_dropped(&event, on_drop.clone(), on_folder.clone());
    });
    on_cleanup(move || {
        enter.remove();
        leave.remove();
        over.remove();
        drop.remove();
    });
    WindowDropZone {
        is_over: Signal::derive(move || depth.get() > 0),
    }
}

/// Whether a drag carries files (not text or a link being dragged around).
pub fn carries_files(event: &DragEvent) -> bool {
    carries(event, "Files")
}

/// Whether a drag carries data of `kind` (readable during dragover, unlike the data).
pub fn carries(event: &DragEvent, kind: &str) -> bool {
    event.data_transfer().is_some_and(|transfer| {
        let types = transfer.types();
        (0..types.length()).any(|i| types.get(i).as_string().as_deref() == Some(kind))
    })
}

/// Reads what was dropped: the entries must be taken during the event (the data transfer
/// is emptied afterwards), the folder walk then runs asynchronously and hands its files to
/// `on_drop` in batches as it finds them (`true` with the first batch, which may be empty).
///
/// A dropped folder with a File System Access handle is first offered to `on_folder`
/// (the upload worker walks and uploads it: `folder_upload`); when that declines, it is
/// walked here.
pub fn take_dropped(
    event: &DragEvent,
    on_drop: impl Fn(Vec<PickedFile>, bool) + 'static,
    on_folder: impl Fn(&JsValue) -> bool + 'static,
) {
    let Some(transfer) = event.data_transfer() else {
        return;
    };
    let entries = entries_of(&transfer);
    if entries.iter().all(Option::is_none) {
        // No entry API: fall back to the flat file list.
        on_drop(files_of_list(transfer.files()), true);
        return;
    }
    // Same order as `entries`: one per item of kind `file`.
    let handles = handles::take_handles(&transfer.items());
    // The drop starts now (the target folder is the one on screen now), whatever the
    // walks find later.
    on_drop(Vec::new(), true);
    leptos::task::spawn_local(async move {
        let mut batch = Batches {
            files: Vec::new(),
            on_drop: &on_drop,
        };
        let mut handles = handles.into_iter();
        for entry in entries {
            let handle = handles.next();
            let Some(entry) = entry else { continue };
            // A folder with a handle is walked through it (much cheaper per file).
            if let (true, Some(promise)) = (entry.is_directory(), &handle) {
                let folder = handles::resolve_handle(promise.clone()).await;
                if let Some(folder) = folder.filter(folder_walk::is_folder) {
                    if on_folder(&folder) {
                        continue;
                    }
                    let walk = FolderWalk::new(&folder);
                    while let Some(files) = walk.next().await {
                        batch.files.extend(files);
                        batch.flush();
                    }
                    continue;
                }
            }
            let first = batch.files.len();
            walk(entry, Vec::new(), &mut batch).await;
            // A dropped file (not a folder) keeps its handle.
            if let (Some(picked), Some(promise)) = (batch.files.get_mut(first), handle) {
                if picked.relative.len() == 1 {
                    picked.handle = handles::resolve_handle(promise).await;
                }
            }
        }
        batch.flush();
    });
}

/// Files found by a walk, handed to `on_drop` a batch at a time.
struct Batches<'a, F: Fn(Vec<PickedFile>, bool)> {
    files: Vec<PickedFile>,
    on_drop: &'a F,
}

impl<F: Fn(Vec<PickedFile>, bool)> Batches<'_, F> {
    /// Hands over what was found so far (the drop's first call was made at the drop).
    fn flush(&mut self) {
        if self.files.is_empty() {
            return;
        }
        (self.on_drop)(std::mem::take(&mut self.files), false);
    }
}

/// Files picked with an `<input type=file>` (with `webkitdirectory`, paths included).
pub fn files_of_list(list: Option<FileList>) -> Vec<PickedFile> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|file| {
            // `webkitRelativePath` is `folder/sub/name` for folder picks, empty otherwise.
            let relative_path =
                js_sys::Reflect::get(&file, &JsValue::from_str("webkitRelativePath"))
                    .ok()
                    .and_then(|value| value.as_string())
                    .filter(|path| !path.is_empty())
                    .unwrap_or_else(|| file.name());
            PickedFile {
                handle: None,
                relative: relative_path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                file,
            }
        })
        .collect()
}

/// The entry of every item of kind `file` (`None` where the browser gives none).
fn entries_of(transfer: &DataTransfer) -> Vec<Option<FileSystemEntry>> {
    let items = transfer.items();
    (0..items.length())
        .filter_map(|i| items.get(i))
        .filter(|item| item.kind() == "file")
        .map(|item| item.webkit_get_as_entry().ok().flatten())
        .collect()
}

/// Depth-first walk of one dropped entry, appending its files to `out` (which hands a
/// folder's files over every [`FILES_AT_ONCE`]; a lone file stays in `out.files`).
async fn walk<F: Fn(Vec<PickedFile>, bool)>(
    root: FileSystemEntry,
    prefix: Vec<String>,
    out: &mut Batches<'_, F>,
) {
    // An explicit stack instead of recursion: async recursion needs boxing, and folder
    // trees can be deep.
    let mut stack = vec![(root, prefix)];
    while let Some((entry, prefix)) = stack.pop() {
        let mut relative = prefix;
        relative.push(entry.name());
        if entry.is_file() {
            if let Some(file) = file_of(entry.unchecked_into()).await {
                out.files.push(PickedFile {
                    relative,
                    file,
                    handle: None,
                });
            }
        } else if entry.is_directory() {
            let directory: FileSystemDirectoryEntry = entry.unchecked_into();
            let (files, folders): (Vec<_>, Vec<_>) = read_all_entries(&directory)
                .await
                .into_iter()
                .partition(FileSystemEntry::is_file);
            // A folder's files are asked for together, not one round trip after another:
            // 10,000 files in one folder would otherwise queue for seconds.
            for batch in files.chunks(FILES_AT_ONCE) {
                let resolved = futures::future::join_all(
                    batch
                        .iter()
                        .map(|entry| file_of(entry.clone().unchecked_into())),
                )
                .await;
                for (entry, file) in batch.iter().zip(resolved) {
                    if let Some(file) = file {
                        let mut path = relative.clone();
                        path.push(entry.name());
                        out.files.push(PickedFile {
                            relative: path,
                            file,
                            handle: None,
                        });
                    }
                }
                out.flush();
            }
            for child in folders {
                stack.push((child, relative.clone()));
            }
        }
    }
}

/// `file()` requests of one folder in flight at once while walking a drop.
const FILES_AT_ONCE: usize = 512;

/// Every child of a folder: `readEntries` until it returns an empty batch.
async fn read_all_entries(directory: &FileSystemDirectoryEntry) -> Vec<FileSystemEntry> {
    let reader = directory.create_reader();
    let mut all = Vec::new();
    loop {
        let batch = callback_promise(|ok, err| {
            if reader
                .read_entries_with_callback_and_callback(ok, err)
                .is_err()
            {
                // Nothing will call back: settle the promise ourselves.
                let _ = err.call0(&JsValue::NULL);
            }
        })
        .await;
        let Some(batch) = batch.and_then(|value| value.dyn_into::<Array>().ok()) else {
            break;
        };
        if batch.length() == 0 {
            break;
        }
        // Unchecked: Chromium's entry objects do not pass an `instanceof FileSystemEntry`
        // check (their classes carry older names), though they are exactly that.
        all.extend(
            batch
                .iter()
                .filter(|value| value.is_object())
                .map(JsCast::unchecked_into::<FileSystemEntry>),
        );
    }
    all
}

async fn file_of(entry: FileSystemFileEntry) -> Option<File> {
    callback_promise(|ok, err| entry.file_with_callback_and_callback(ok, err))
        .await
        .and_then(|value| value.dyn_into().ok())
}

/// Turns a success/error callback pair into an awaited value (`None` on error).
async fn callback_promise(
    start: impl FnOnce(&js_sys::Function, &js_sys::Function),
) -> Option<JsValue> {
    let mut start = Some(start);
    let promise = Promise::new(&mut |resolve, reject| {
        if let Some(start) = start.take() {
            start(&resolve, &reject);
        }
    });
    JsFuture::from(promise).await.ok()
}

/// Makes an element (a folder row in the listing or the tree) a drop target for `dir`:
/// files dropped on it go into that folder instead of the one on screen.
#[derive(Clone, Copy)]
pub struct FolderDropTarget {
    /// Whether files or entries are dragged over this element (for a highlight).
    pub hover: RwSignal<bool>,
}

impl FolderDropTarget {
    /// A target with no drag over it yet.
    pub fn new() -> Self {
        Self {
            hover: RwSignal::new(false),
        }
    }

    /// For `dragover`: accept files, and entries dragged from the listing (moved here).
    pub fn over(self, event: &DragEvent) {
        let entries = crate::components::actions::drag::carries_entries(event);
        if carries_files(event) || entries {
            event.prevent_default();
            if let (true, Some(transfer)) = (entries, event.data_transfer()) {
                let copy = event.ctrl_key() || event.alt_key();
                transfer.set_drop_effect(if copy { "copy" } else { "move" });
            }
            self.hover.set(true);
        }
    }

    /// For `dragleave`.
    pub fn leave(self) {
        self.hover.set(false);
    }

    /// For `drop`: hands dropped folders to `on_folder` and the files to `on_drop` (in
    /// batches, see [`take_dropped`]), and marks the event handled, so the window-wide drop
    /// zone leaves it alone.
    pub fn drop(
        self,
        event: &DragEvent,
        on_drop: impl Fn(Vec<PickedFile>, bool) + 'static,
        on_folder: impl Fn(&JsValue) -> bool + 'static,
    ) {
        self.hover.set(false);
        if carries_files(event) && !event.default_prevented() {
            event.prevent_default();
            take_dropped(event, on_drop, on_folder);
        }
    }
}

impl Default for FolderDropTarget {
    fn default() -> Self {
        Self::new()
    }
}
