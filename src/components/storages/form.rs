//! "Add storage": a local folder or an S3 bucket. The server proves it can list and
//! write the backend before it says yes; its refusal (400, 409) is shown under the field
//! it names, or above the buttons when it names none. Credentials go to the server once
//! and are never shown again.

use super::fields::{field_of, Field};
use super::state::{mount_name, Storages};
use super::style;
use crate::state::Browser;
use leptos::prelude::*;
use leptos::task::spawn_local;
use skiff_protocol::{is_storage_name, StorageCreate, StorageKind, TreePath};
use std::collections::HashMap;

/// What has been typed, one signal per field.
#[derive(Clone, Copy)]
struct Draft {
    kind: RwSignal<StorageKind>,
    values: StoredValue<HashMap<Field, RwSignal<String>>>,
}

impl Draft {
    fn new() -> Self {
        let values = Field::ALL
            .into_iter()
            .map(|field| (field, RwSignal::new(String::new())))
            .collect();
        Self {
            kind: RwSignal::new(StorageKind::Local),
            values: StoredValue::new(values),
        }
    }

    fn signal(self, field: Field) -> RwSignal<String> {
        self.values
            .with_value(|values| values.get(&field).copied())
            .unwrap_or_else(|| RwSignal::new(String::new()))
    }

    /// The trimmed value, `None` when empty (or not a field of this kind of storage).
    fn value(self, field: Field) -> Option<String> {
        if field.s3_only() && self.kind.get_untracked() != StorageKind::S3 {
            return None;
        }
        let value = self.signal(field).get_untracked();
        let value = value.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    fn body(self) -> StorageCreate {
        StorageCreate {
            name: self.value(Field::Name).unwrap_or_default(),
            label: self.value(Field::Label),
            kind: self.kind.get_untracked(),
            url: self.value(Field::Url).unwrap_or_default(),
            endpoint: self.value(Field::Endpoint),
            region: self.value(Field::Region),
            mount: None,
            access_key_id: self.value(Field::AccessKey),
            // A secret is taken as typed: spaces may be part of it.
            secret_access_key: (self.kind.get_untracked() == StorageKind::S3)
                .then(|| self.signal(Field::Secret).get_untracked())
                .filter(|secret| !secret.is_empty()),
        }
    }

    fn clear(self) {
        for field in Field::ALL {
            self.signal(field).set(String::new());
        }
    }
}

/// The form's verdict on the last attempt.
#[derive(Clone, Default, PartialEq)]
struct Outcome {
    /// An error under one field.
    field: Option<(Field, String)>,
    /// An error above the buttons.
    general: Option<String>,
    /// What was added, said once it is done.
    added: Option<String>,
}

/// The "Add storage" form.
#[component]
pub fn AddStorageForm() -> impl IntoView {
    let storages = expect_context::<Storages>();
    let browser = expect_context::<Browser>();
    let draft = Draft::new();
    let outcome = RwSignal::new(Outcome::default());
    let busy = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let body = draft.body();
        if !is_storage_name(&body.name) {
            outcome.set(Outcome {
                field: Some((
                    Field::Name,
                    "Use 1 to 63 lowercase letters, digits or '-' (for example photos-2024)."
                        .to_owned(),
                )),
                ..Outcome::default()
            });
            focus(Field::Name);
            return;
        }
        let Some(api) = storages.api.get_untracked() else {
            return;
        };
        busy.set(true);
        outcome.set(Outcome::default());
        spawn_local(async move {
            let result = api.create(&body).await;
            busy.set(false);
            match result {
                Ok(storage) => {
                    let place = mount_name(&storage)
                        .map(|mount| format!("the folder /{mount}/"))
                        .unwrap_or_else(|| "the top folder".to_owned());
                    outcome.set(Outcome {
                        added: Some(format!(
                            "Added “{}”. Its files are in {place}.",
                            storage.label
                        )),
                        ..Outcome::default()
                    });
                    draft.clear();
                    storages.reload();
                    // The new folder shows at the top of the tree and listing.
                    browser.refresh_tree(&TreePath::root());
                    browser.retry();
                }
                Err(error) => {
                    let field = field_of(&error.code, &error.message)
                        .filter(|field| !field.s3_only() || body.kind == StorageKind::S3);
                    outcome.set(match field {
                        Some(field) => {
                            focus(field);
                            Outcome {
                                field: Some((field, error.message)),
                                ..Outcome::default()
                            }
                        }
                        None => Outcome {
                            general: Some(error.message),
                            ..Outcome::default()
                        },
                    });
                }
            }
        });
    };
    let is_s3 = move || draft.kind.get() == StorageKind::S3;
    let url_hint = move || {
        if is_s3() {
            "s3://bucket or s3://bucket/prefix"
        } else {
            "A folder on the server: file:///srv/photos"
        }
    };
    view! {
        <section class=style::add aria-labelledby="storages-add-title">
            <h3 id="storages-add-title" class=style::section_title>"Add storage"</h3>
            <form class=style::form on:submit=on_submit data-form="add-storage" novalidate>
                <fieldset class=style::kinds>
                    <legend>"Kind"</legend>
                    <KindChoice draft=draft kind=StorageKind::Local label="Local folder"/>
                    <KindChoice draft=draft kind=StorageKind::S3 label="S3 bucket"/>
                </fieldset>
                <TextField draft=draft outcome=outcome field=Field::Name label="Name"
                    hint="Lowercase letters, digits and '-'; the folder it appears as."/>
                <TextField draft=draft outcome=outcome field=Field::Label label="Label (optional)"
                    hint="A name for people, like Photo archive."/>
                <TextField draft=draft outcome=outcome field=Field::Url label="Location (URL)"
                    hint=url_hint/>
                <Show when=is_s3>
                    <TextField draft=draft outcome=outcome field=Field::Endpoint
                        label="Endpoint (optional)"
                        hint="For S3-compatible servers, like http://127.0.0.1:8333; empty for AWS."/>
                    <TextField draft=draft outcome=outcome field=Field::Region label="Region (optional)"
                        hint="us-east-1 when empty."/>
                    <TextField draft=draft outcome=outcome field=Field::AccessKey label="Access key id"
                        hint="From your S3 provider, with the secret below."/>
                    <TextField draft=draft outcome=outcome field=Field::Secret
                        label="Secret access key" hint="Sent once; Skiff never shows it again."/>
                </Show>
                {move || outcome.with(|o| o.general.clone()).map(|message| view! {
                    <p class=style::form_error role="alert" data-storage-error="form">{message}</p>
                })}
                <div class=style::buttons>
                    <button type="submit" class=style::primary disabled=move || busy.get()
                        data-action="add-storage">
                        {move || if busy.get() { "Checking the storage…" } else { "Add storage" }}
                    </button>
                </div>
                <p class=style::status role="status" data-storage-status="form">
                    {move || outcome.with(|o| o.added.clone())}
                </p>
            </form>
        </section>
    }
}

/// One of the two kinds, as a radio button.
#[component]
fn KindChoice(
    /// The form's values.
    draft: Draft,
    /// The kind this button picks.
    kind: StorageKind,
    /// What it is called.
    label: &'static str,
) -> impl IntoView {
    let value = match kind {
        StorageKind::Local => "local",
        StorageKind::S3 => "s3",
    };
    view! {
        <label class=style::kind>
            <input type="radio" name="type" value=value
                prop:checked=move || draft.kind.get() == kind
                on:change=move |_| draft.kind.set(kind)/>
            <span>{label}</span>
        </label>
    }
}

/// A labelled text input with its hint and, after a refusal about it, the server's words.
#[component]
fn TextField(
    /// The form's values.
    draft: Draft,
    /// The last attempt's verdict.
    outcome: RwSignal<Outcome>,
    /// Which field.
    field: Field,
    /// Its label.
    label: &'static str,
    /// A line under it saying what goes in.
    #[prop(into)]
    hint: Signal<&'static str>,
) -> impl IntoView {
    let value = draft.signal(field);
    let error = move || {
        outcome.with(|o| {
            o.field
                .as_ref()
                .filter(|(at, _)| *at == field)
                .map(|(_, message)| message.clone())
        })
    };
    let hint_id = format!("storage-hint-{}", field.key());
    let described = {
        let hint_id = hint_id.clone();
        move || {
            let mut ids = vec![hint_id.clone()];
            if error().is_some() {
                ids.push(field.error_id());
            }
            ids.join(" ")
        }
    };
    let input_type = if field == Field::Secret {
        "password"
    } else {
        "text"
    };
    let required = matches!(field, Field::Name | Field::Url);
    view! {
        <div class=style::field data-field=field.key()>
            <label for=field.input_id()>{label}</label>
            <input id=field.input_id() name=field.key() type=input_type class=style::input
                required=required autocomplete="off" spellcheck="false"
                aria-invalid=move || error().is_some().then_some("true")
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |event| value.set(event_target_value(&event))/>
            <p id=hint_id class=style::hint>{move || hint.get()}</p>
            {move || error().map(|message| view! {
                <p id=field.error_id() class=style::field_error role="alert">{message}</p>
            })}
        </div>
    }
}

/// Puts the keyboard on `field` (after a refusal about it).
fn focus(field: Field) {
    let input = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id(&field.input_id()));
    if let Some(input) = input {
        use wasm_bindgen::JsCast;
        if let Ok(input) = input.dyn_into::<web_sys::HtmlElement>() {
            let _ = input.focus();
        }
    }
}
