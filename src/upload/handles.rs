//! File System Access handles kept in IndexedDB (Chromium), so an upload interrupted by a
//! reload resumes without the user picking the file again.
//!
//! A dropped file's handle is taken during the drop and stored under the upload's
//! fingerprint (a dropped folder's under `persist::folder_key`); after a reload, a handle whose read permission is still granted gives the
//! file back at once, and one that needs asking is offered as a "Resume" button (asking
//! needs a click). Browsers without these APIs simply skip all of it.
//!
//! The handle APIs are not in stable web-sys, and IndexedDB through web-sys takes ten times
//! the code, so this is a small JS shim.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DataTransferItemList, File};

#[wasm_bindgen(inline_js = r#"
const DB = "skiff-uploads", STORE = "handles";
function open() {
  return new Promise((ok, fail) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => ok(request.result);
    request.onerror = () => fail(request.error);
  });
}
async function transact(mode, work) {
  const db = await open();
  return new Promise((ok, fail) => {
    const tx = db.transaction(STORE, mode);
    const request = work(tx.objectStore(STORE));
    tx.oncomplete = () => { db.close(); ok(request.result); };
    tx.onerror = tx.onabort = () => { db.close(); fail(tx.error); };
  });
}
export function handle_promises(items) {
  return [...items].filter(item => item.kind === "file").map(item =>
    item.getAsFileSystemHandle ? item.getAsFileSystemHandle().catch(() => null) : Promise.resolve(null));
}
export function save_handle(key, handle) {
  return transact("readwrite", store => store.put(handle, key)).catch(() => null);
}
export function forget_handle(key) {
  return transact("readwrite", store => store.delete(key)).catch(() => null);
}
export async function file_from_handle(key, ask) {
  const handle = await transact("readonly", store => store.get(key)).catch(() => null);
  if (!handle || handle.kind !== "file" || !handle.queryPermission) return null;
  let state = await handle.queryPermission({ mode: "read" });
  if (state !== "granted" && ask) state = await handle.requestPermission({ mode: "read" });
  return state === "granted" ? handle.getFile() : state;
}
export async function folder_from_handle(key, ask) {
  const handle = await transact("readonly", store => store.get(key)).catch(() => null);
  if (!handle || handle.kind !== "directory" || !handle.queryPermission) return null;
  let state = await handle.queryPermission({ mode: "read" });
  if (state !== "granted" && ask) state = await handle.requestPermission({ mode: "read" });
  return state === "granted" ? handle : state;
}
"#)]
extern "C" {
    fn handle_promises(items: &DataTransferItemList) -> Array;
    fn save_handle(key: &str, handle: &JsValue) -> Promise;
    fn forget_handle(key: &str) -> Promise;
    fn file_from_handle(key: &str, ask: bool) -> Promise;
    fn folder_from_handle(key: &str, ask: bool) -> Promise;
}

/// One promise per file item of a drop (same order as the items of kind `file`), each
/// resolving to its handle or `null`. Must be called during the drop event.
pub fn take_handles(items: &DataTransferItemList) -> Vec<Promise> {
    handle_promises(items)
        .iter()
        .map(|promise| promise.unchecked_into())
        .collect()
}

/// The handle a promise from [`take_handles`] resolves to, if any.
pub async fn resolve_handle(promise: Promise) -> Option<JsValue> {
    JsFuture::from(promise)
        .await
        .ok()
        .filter(|handle| handle.is_object())
}

/// Keeps `handle` for the upload `key` (best effort).
pub async fn save(key: &str, handle: &JsValue) {
    let _ = JsFuture::from(save_handle(key, handle)).await;
}

/// Drops the handle for `key`, if any (best effort).
pub async fn forget(key: &str) {
    let _ = JsFuture::from(forget_handle(key)).await;
}

/// What a stored handle gives back.
pub enum Restored {
    /// The file, readable now.
    File(File),
    /// A folder's `FileSystemDirectoryHandle`, readable now.
    Folder(JsValue),
    /// A handle exists but reading it needs the user's permission (ask from a click).
    NeedsPermission,
    /// Nothing usable.
    Nothing,
}

/// The file behind the handle stored for `key`; `ask` requests permission (only from a
/// user gesture, or the browser refuses).
pub async fn restore(key: &str, ask: bool) -> Restored {
    match JsFuture::from(file_from_handle(key, ask)).await {
        Ok(value) if value.is_instance_of::<File>() => Restored::File(value.unchecked_into()),
        Ok(value) if value.as_string().as_deref() == Some("prompt") => Restored::NeedsPermission,
        _ => Restored::Nothing,
    }
}

/// The folder handle stored for `key` ([`Restored::Folder`] once readable); `ask` as for
/// [`restore`].
pub async fn restore_folder(key: &str, ask: bool) -> Restored {
    match JsFuture::from(folder_from_handle(key, ask)).await {
        Ok(value) if value.as_string().as_deref() == Some("prompt") => Restored::NeedsPermission,
        Ok(value) if value.is_object() => Restored::Folder(value),
        _ => Restored::Nothing,
    }
}
