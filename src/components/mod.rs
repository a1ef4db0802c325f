//! The views. `app` lays them out; each other module is one pane or helper.

pub mod actions;
pub mod app;
pub mod details;
pub mod folder_picker;
pub mod header;
pub mod icons;
pub mod listing;
pub mod metadata;
pub mod panes;
pub mod preview;
pub mod sign_in;
pub mod storages;
pub mod tree;
pub mod uploads;
pub mod virtual_window;

use wasm_bindgen::JsValue;

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM` in the viewer's time zone.
pub fn format_local_time(ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}
