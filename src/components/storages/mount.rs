//! Storages where the files are: a top-level folder that is a mounted storage shows a
//! storage icon and the storage's label (in the tree and the listing), and the details
//! pane says which storage an entry lives on.

use super::state::{kind_words, Storages};
use crate::components::icons::{EntryIcon, IconKind};
use leptos::prelude::*;
use skiff_protocol::{StorageKind, TreePath};

/// A storage's icon: a drive for a local folder, a cloud for an S3 bucket. Decorative.
#[component]
pub fn StorageIcon(
    /// Which kind of storage.
    kind: StorageKind,
) -> impl IntoView {
    let path = match kind {
        StorageKind::Local => "M4 5h16a1 1 0 0 1 1 1v5H3V6a1 1 0 0 1 1-1zm-1 8h18v5a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1zm13 2v2h2v-2z",
        StorageKind::S3 => "M7 19a5 5 0 0 1-.6-9.96A6 6 0 0 1 18 9.1 4.5 4.5 0 0 1 17.5 19z",
    };
    view! {
        <svg class="icon icon--storage" viewBox="0 0 24 24" width="18" height="18"
            aria-hidden="true" focusable="false" data-storage-icon=kind_words(kind)>
            <path d=path fill="currentColor" fill-rule="evenodd"></path>
        </svg>
    }
}

/// A folder's icon and name; a mounted storage's icon and label when `path` is the
/// top-level folder a storage appears as (the tree).
#[component]
pub fn FolderName(
    /// The folder.
    path: TreePath,
    /// What it is called (its name, or the server's for the root).
    name: String,
    /// The class of the name's text.
    class: &'static str,
) -> impl IntoView {
    let storages = expect_context::<Storages>();
    let top_level = (path.segments().len() == 1).then(|| name.clone());
    move || match top_level.as_deref().and_then(|name| storages.mounted(name)) {
        Some(storage) => view! {
            <StorageIcon kind=storage.kind/>
            <span class=class data-storage-label=storage.name.clone()>{storage.label.clone()}</span>
        }
        .into_any(),
        None => view! {
            <EntryIcon kind=IconKind::Folder/>
            <span class=class>{name.clone()}</span>
        }
        .into_any(),
    }
}

/// The icon of a listing row: a storage's when the row is a folder of the root that a
/// storage is mounted at, else the entry's own.
#[component]
pub fn RowIcon(
    /// Whether the row is a folder in the root folder.
    top_folder: bool,
    /// The row's name.
    name: String,
    /// The entry's own icon.
    kind: IconKind,
) -> impl IntoView {
    let storages = expect_context::<Storages>();
    move || match top_folder.then(|| storages.mounted(&name)).flatten() {
        Some(storage) => view! { <StorageIcon kind=storage.kind/> }.into_any(),
        None => view! { <EntryIcon kind=kind/> }.into_any(),
    }
}

/// The text of a listing row's name: a mounted storage's label (its folder name beside
/// it when they differ), else the name.
#[component]
pub fn RowName(
    /// Whether the row is a folder in the root folder.
    top_folder: bool,
    /// The row's name.
    name: String,
) -> impl IntoView {
    let storages = expect_context::<Storages>();
    move || match top_folder.then(|| storages.mounted(&name)).flatten() {
        Some(storage) if storage.label != name => view! {
            <span data-storage-label=storage.name.clone()>{storage.label.clone()}</span>
            <span class="visually-hidden">{format!(" (folder {name})")}</span>
        }
        .into_any(),
        _ => name.clone().into_any(),
    }
}

/// The "Storage" line of the details: the kind and label of the storage `path` lives on,
/// once the storages are known (nothing on a server without them).
#[component]
pub fn StorageFact(
    /// The entry (or folder) described.
    path: TreePath,
) -> impl IntoView {
    let storages = expect_context::<Storages>();
    move || {
        storages.storage_of(&path).map(|storage| {
            view! {
                <dt>"Storage"</dt>
                <dd data-field="storage" data-on-storage=storage.name.clone()>
                    {format!("{} ({})", storage.label, kind_words(storage.kind))}
                </dd>
            }
        })
    }
}
