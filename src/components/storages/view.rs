//! The Storages view (admins only, `?view=storages`): the list and the "Add storage"
//! form in place of the file manager's panes, and the header's "Storages" button that
//! opens it. Anyone without the `admin` role never sees either.

use super::form::AddStorageForm;
use super::list::StorageList;
use super::state::Storages;
use super::style;
use crate::state::Browser;
use leptos::html::H2;
use leptos::prelude::*;

/// The Storages view.
#[component]
pub fn StoragesView() -> impl IntoView {
    let storages = expect_context::<Storages>();
    let browser = expect_context::<Browser>();
    let heading = NodeRef::<H2>::new();
    // Opened, the keyboard starts at the heading (the panes it replaced are gone).
    Effect::new(move |_| {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    view! {
        <main class=style::screen data-screen="storages" aria-labelledby="storages-title">
            <div class=style::bar>
                <button type="button" class=style::secondary data-action="close-storages"
                    on:click=move |_| storages.close_view(browser)>
                    <span aria-hidden="true">"← "</span>"Back to files"
                </button>
                <h2 id="storages-title" class=style::title tabindex="-1" node_ref=heading>
                    "Storages"
                </h2>
            </div>
            <div class=style::columns>
                <div class=style::column>
                    <p class=style::intro>
                        "Where this server keeps files. The main storage is the top folder; every other storage appears in it as a folder of its own."
                    </p>
                    <StorageList/>
                </div>
                <div class=style::column>
                    <AddStorageForm/>
                </div>
            </div>
        </main>
    }
}

/// "Storages" in the header, for admins only.
#[component]
pub fn StoragesButton() -> impl IntoView {
    let storages = expect_context::<Storages>();
    let browser = expect_context::<Browser>();
    view! {
        <Show when=move || storages.admin.get()>
            <button type="button" class=style::header_button data-action="open-storages"
                aria-pressed=move || storages.showing().to_string()
                on:click=move |_| {
                    if storages.showing_untracked() {
                        storages.close_view(browser);
                    } else {
                        storages.open_view(browser);
                    }
                }>
                "Storages"
            </button>
        </Show>
    }
}
