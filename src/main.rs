//! Mounts the Skiff app.
fn main() {
    console_error_panic_hook::set_once();
    skiff::first_screen::app_started();
    leptos::mount::mount_to_body(skiff::App);
}
