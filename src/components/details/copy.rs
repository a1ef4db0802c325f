//! "Copy link": puts a URL on the clipboard and says so (or says why not), so a link to
//! raw bytes is shared rather than opened in the app's tab.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Writes `text` to the clipboard (`navigator.clipboard.writeText`, looked up at run time
/// so no web-sys feature is needed); `Err` with a sentence for the user.
pub async fn copy_text(text: &str) -> Result<(), String> {
    let refused = || "The browser did not allow copying. Select the link and copy it by hand.";
    let navigator: JsValue = web_sys::window().ok_or_else(refused)?.navigator().into();
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())
        .ok()
        .filter(|value| !value.is_undefined())
        .ok_or_else(refused)?;
    let write = js_sys::Reflect::get(&clipboard, &"writeText".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(refused)?;
    let promise = write
        .call1(&clipboard, &JsValue::from_str(text))
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
        .ok_or_else(refused)?;
    JsFuture::from(promise)
        .await
        .map(drop)
        .map_err(|_| refused().to_owned())
}

/// `url` resolved against the page's address.
fn absolute(url: &str) -> String {
    web_sys::window()
        .and_then(|window| window.location().href().ok())
        .and_then(|base| web_sys::Url::new_with_base(url, &base).ok())
        .map_or_else(|| url.to_owned(), |resolved| resolved.href())
}

/// A button that copies `url`, then shows "Link copied" (or why it could not) beside it.
#[component]
pub fn CopyLink(
    /// What to copy.
    url: String,
    /// The button's words.
    #[prop(into)]
    label: String,
    /// The button's class.
    class: &'static str,
    /// Identifies the button for tests.
    #[prop(into)]
    marker: String,
) -> impl IntoView {
    let said = RwSignal::new(None::<String>);
    // Same-origin apps hold paths (`/pic.png`): a link to share must be absolute.
    let url = StoredValue::new(absolute(&url));
    let copy = move |_| {
        let url = url.get_value();
        leptos::task::spawn_local(async move {
            let message = match copy_text(&url).await {
                Ok(()) => "Link copied".to_owned(),
                Err(why) => why,
            };
            let _ = said.try_set(Some(message));
        });
    };
    view! {
        <button type="button" class=class data-copy=marker title=url.get_value() on:click=copy>{label}</button>
        <span role="status" data-copy-status="">{move || said.get()}</span>
    }
}
