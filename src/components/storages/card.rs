//! One storage: what it is and where its files live, its label renamed in place, and
//! Remove behind a confirmation that says the files stay where they are (the server only
//! forgets the storage, PROTOCOL.md §5).

use super::mount::StorageIcon;
use super::state::{kind_words, mount_name, Storages};
use super::style;
use crate::state::Browser;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::{Storage, StoragePatch, TreePath};

/// What the card is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Showing the storage.
    Shown,
    /// Its label is being edited.
    Renaming,
    /// Asking whether to remove it.
    Confirming,
}

/// A storage's card.
#[component]
pub fn StorageCard(
    /// The storage shown.
    storage: Storage,
) -> impl IntoView {
    let storages = expect_context::<Storages>();
    let browser = expect_context::<Browser>();
    let mode = RwSignal::new(Mode::Shown);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let name = storage.name.clone();
    let label = storage.label.clone();
    let appears_as = mount_name(&storage)
        .map(|mount| format!("/{mount}/"))
        .unwrap_or_else(|| "The top folder".to_owned());
    let removable = mount_name(&storage).is_some();
    let label_input = NodeRef::<Input>::new();
    let keep_button = NodeRef::<leptos::html::Button>::new();
    let heading_id = format!("storage-{}-label", storage.name);
    let labelled_by = heading_id.clone();

    let save_label = {
        let (name, old) = (name.clone(), label.clone());
        move || {
            let Some(input) = label_input.get_untracked() else {
                return;
            };
            let new = input.value().trim().to_owned();
            if new.is_empty() || new == old {
                mode.set(Mode::Shown);
                return;
            }
            let Some(api) = storages.api.get_untracked() else {
                return;
            };
            let name = name.clone();
            busy.set(true);
            spawn_local(async move {
                let patch = StoragePatch {
                    label: Some(new),
                    ..StoragePatch::default()
                };
                let result = api.patch(&name, &patch).await;
                busy.set(false);
                match result {
                    Ok(_) => {
                        error.set(None);
                        mode.set(Mode::Shown);
                        storages.reload();
                    }
                    Err(refusal) => error.set(Some(refusal.message)),
                }
            });
        }
    };
    let remove = {
        let name = name.clone();
        let mount = mount_name(&storage).map(str::to_owned);
        move || {
            let mount = mount.clone();
            let Some(api) = storages.api.get_untracked() else {
                return;
            };
            let name = name.clone();
            busy.set(true);
            spawn_local(async move {
                let result = api.remove(&name).await;
                busy.set(false);
                match result {
                    Ok(()) => {
                        if let Some(mount) = &mount {
                            storages.leave_removed_mount(browser, mount);
                        }
                        storages.reload();
                        browser.refresh_tree(&TreePath::root());
                        browser.retry();
                    }
                    Err(refusal) => {
                        mode.set(Mode::Shown);
                        error.set(Some(refusal.message));
                    }
                }
            });
        }
    };
    // The keyboard follows the card: into the label field, onto "Keep it" (the safe
    // answer) when asked to confirm.
    Effect::new(move |_| match mode.get() {
        Mode::Renaming => {
            if let Some(input) = label_input.get() {
                let _ = input.focus();
                input.select();
            }
        }
        Mode::Confirming => {
            if let Some(button) = keep_button.get() {
                let _ = button.focus();
            }
        }
        Mode::Shown => {}
    });

    let kind = storage.kind;
    let url = storage.url.clone();
    let confirm_text = format!("The files stay in {url}; Skiff only forgets this storage.");
    let rename_form = {
        let (label, name, save) = (label.clone(), name.clone(), save_label.clone());
        move || {
            let save = save.clone();
            view! {
                <form class=style::rename data-form="rename-storage" on:submit=move |event| {
                    event.prevent_default();
                    save();
                }>
                    <label for=format!("storage-{name}-new-label")>"New label"</label>
                    <input id=format!("storage-{name}-new-label") class=style::input type="text"
                        name="label" value=label.clone() node_ref=label_input autocomplete="off"
                        on:keydown=move |event| if event.key() == "Escape" {
                            event.prevent_default();
                            mode.set(Mode::Shown);
                        }/>
                    <div class=style::buttons>
                        <button type="submit" class=style::primary disabled=move || busy.get()
                            data-action="save-label">"Save"</button>
                        <button type="button" class=style::secondary
                            on:click=move |_| mode.set(Mode::Shown)>"Cancel"</button>
                    </div>
                </form>
            }
        }
    };
    let confirmation = {
        let (label, remove) = (label.clone(), remove.clone());
        let confirm_text = confirm_text.clone();
        move || {
            let remove = remove.clone();
            view! {
                <div class=style::confirm role="group" aria-label=format!("Remove {label}?")
                    data-confirm="remove-storage">
                    <p class=style::confirm_text>
                        <strong>{format!("Remove “{label}”? ")}</strong>
                        {confirm_text.clone()}
                    </p>
                    <div class=style::buttons>
                        <button type="button" class=style::danger disabled=move || busy.get()
                            data-action="confirm-remove" on:click=move |_| remove()>
                            "Remove storage"
                        </button>
                        <button type="button" class=style::secondary data-action="cancel-remove"
                            node_ref=keep_button
                            on:click=move |_| mode.set(Mode::Shown)>"Keep it"</button>
                    </div>
                </div>
            }
        }
    };
    view! {
        <li class=style::card data-storage=name.clone() aria-labelledby=labelled_by>
            <div class=style::card_head>
                <StorageIcon kind=kind/>
                <h4 id=heading_id class=style::card_label data-field="label">{label.clone()}</h4>
                <span class=style::badge data-field="type">{kind_words(kind)}</span>
            </div>
            <dl class=style::facts>
                <dt>"Appears as"</dt>
                <dd data-field="mount">{appears_as}</dd>
                <dt>"Files in"</dt>
                <dd data-field="url"><code>{url.clone()}</code></dd>
                {storage.endpoint.clone().map(|endpoint| view! {
                    <dt>"Endpoint"</dt>
                    <dd data-field="endpoint"><code>{endpoint}</code></dd>
                })}
                {storage.region.clone().map(|region| view! {
                    <dt>"Region"</dt>
                    <dd data-field="region">{region}</dd>
                })}
                <dt>"Name"</dt>
                <dd data-field="name"><code>{name.clone()}</code></dd>
            </dl>
            {move || match mode.get() {
                Mode::Renaming => rename_form().into_any(),
                Mode::Confirming => confirmation().into_any(),
                Mode::Shown => view! {
                    <div class=style::buttons>
                        <button type="button" class=style::secondary data-action="rename-storage"
                            on:click=move |_| { error.set(None); mode.set(Mode::Renaming) }>
                            "Rename label"
                        </button>
                        {removable.then(|| view! {
                            <button type="button" class=style::secondary data-action="remove-storage"
                                on:click=move |_| { error.set(None); mode.set(Mode::Confirming) }>
                                "Remove"
                            </button>
                        })}
                    </div>
                }
                .into_any(),
            }}
            {move || error.get().map(|message| view! {
                <p class=style::form_error role="alert" data-storage-error="card">{message}</p>
            })}
        </li>
    }
}
