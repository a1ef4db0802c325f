//! Storages (PROTOCOL.md §5) in the app: the admin's Storages view (list, add, relabel,
//! remove) and the storage a folder or file lives on, in the tree, listing and details.
//!
//! - `state`: what is known (discovery's `storages` and `roles`, the list), as context
//! - `address`: `?view=storages` in the address bar
//! - `view`: the view and the header's button; `list`, `card`, `form`, `fields` its parts
//! - `mount`: icons and labels of mounted storages for the file manager's panes

mod address;
mod card;
mod fields;
mod form;
mod list;
mod mount;
mod state;
mod view;

pub use mount::{FolderName, RowIcon, RowName, StorageFact, StorageIcon};
pub use state::{kind_words, mount_name, storage_of, Storages};
pub use view::{StoragesButton, StoragesView};

stylance::import_crate_style!(style, "src/components/storages/storages.module.css");
