//! The Skiff app.
use leptos::prelude::*;

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    view! { <p>"Skiff"</p> }
}
