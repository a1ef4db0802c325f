//! Walking a dropped folder through its File System Access handle (Chromium): the
//! directory handle's `values()` and each file handle's `getFile()`, promise-based calls
//! that cost the page's main thread far less per file than the older entries API
//! (`FileSystemDirectoryEntry.readEntries` and `FileSystemFileEntry.file()`), which
//! `drop_zone` falls back to where there is no handle.
//!
//! The walk is a small JS async generator: it yields the files found, a folder's files at
//! most [`FILES_AT_ONCE`] at a time, each as `[[segments…], File]`.

use crate::upload::drop_zone::PickedFile;
use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::File;

/// `getFile()` requests in flight at once while walking.
const FILES_AT_ONCE: u32 = 256;

#[wasm_bindgen(inline_js = r#"
export function is_directory_handle(handle) {
  return !!handle && handle.kind === "directory" && typeof handle.values === "function";
}
export async function* walk(root, at_once) {
  const stack = [[root, [root.name]]];
  while (stack.length > 0) {
    const [folder, prefix] = stack.pop();
    let waiting = [];
    const files = async () => {
      const found = await Promise.all(waiting.map(handle => handle.getFile().catch(() => null)));
      waiting = [];
      return found.filter(file => file !== null).map(file => [[...prefix, file.name], file]);
    };
    try {
      for await (const child of folder.values()) {
        if (child.kind === "file") {
          waiting.push(child);
          if (waiting.length >= at_once) yield await files();
        } else {
          stack.push([child, [...prefix, child.name]]);
        }
      }
    } catch (error) {
      // An unreadable folder is skipped, as the entries API walk does.
    }
    if (waiting.length > 0) yield await files();
  }
}
"#)]
extern "C" {
    fn is_directory_handle(handle: &JsValue) -> bool;
    fn walk(root: &JsValue, at_once: u32) -> JsValue;
}

/// Whether `handle` is a folder's handle this walk can read.
pub fn is_folder(handle: &JsValue) -> bool {
    is_directory_handle(handle)
}

/// A walk of the folder `handle`, handing out its files a batch at a time.
pub struct FolderWalk {
    walk: JsValue,
}

impl FolderWalk {
    /// Starts walking (nothing is read before the first [`FolderWalk::next`]).
    pub fn new(handle: &JsValue) -> Self {
        Self {
            walk: walk(handle, FILES_AT_ONCE),
        }
    }

    /// The next files found (paths from the dropped folder's name down), `None` at the end.
    pub async fn next(&self) -> Option<Vec<PickedFile>> {
        let next = Reflect::get(&self.walk, &"next".into()).ok()?;
        let promise: Promise = next
            .dyn_into::<js_sys::Function>()
            .ok()?
            .call0(&self.walk)
            .ok()?
            .dyn_into()
            .ok()?;
        let step = JsFuture::from(promise).await.ok()?;
        if Reflect::get(&step, &"done".into()).ok()?.is_truthy() {
            return None;
        }
        let found: Array = Reflect::get(&step, &"value".into()).ok()?.dyn_into().ok()?;
        Some(picked_from_pairs(&found))
    }
}

/// The files of `[relativePath, File]` pairs, as the walks (here and in the upload
/// worker) hand them over; a pair that is not one is skipped.
pub fn picked_from_pairs(pairs: &Array) -> Vec<PickedFile> {
    pairs
        .iter()
        .filter_map(|pair| {
            let pair: Array = pair.dyn_into().ok()?;
            let relative = pair
                .get(0)
                .dyn_into::<Array>()
                .ok()?
                .iter()
                .filter_map(|segment| segment.as_string())
                .collect();
            let file: File = pair.get(1).dyn_into().ok()?;
            Some(PickedFile {
                relative,
                file,
                handle: None,
            })
        })
        .collect()
}
