//! The server's storages, one card each (kind, label, where its files are, the folder it
//! appears as), with Rename and Remove for each (see `card`).

use super::card::StorageCard;
use super::state::Storages;
use super::style;
use leptos::prelude::*;

/// The list of storages.
#[component]
pub fn StorageList() -> impl IntoView {
    let storages = expect_context::<Storages>();
    let cards = move || {
        storages.list.with(|list| {
            let mut list = list.clone().unwrap_or_default();
            // The default storage (the top folder) first, then by label.
            list.sort_by_key(|storage| {
                (
                    super::state::mount_name(storage).is_some(),
                    storage.label.to_lowercase(),
                )
            });
            list
        })
    };
    view! {
        <section class=style::listed aria-labelledby="storages-list-title">
            <h3 id="storages-list-title" class=style::section_title>"Storages on this server"</h3>
            {move || storages.load_error.get().map(|message| view! {
                <p class=style::form_error role="alert">
                    {format!("The storages could not be listed: {message}")}
                </p>
            })}
            {move || storages.list.with(Option::is_none).then(|| view! {
                <p class=style::hint>"Loading…"</p>
            })}
            <ul class=style::cards>
                <For
                    each=cards
                    key=|storage| {
                        (storage.id.clone(), storage.name.clone(), storage.label.clone(), storage.url.clone())
                    }
                    children=move |storage| view! { <StorageCard storage=storage/> }
                />
            </ul>
        </section>
    }
}
