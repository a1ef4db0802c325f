//! The folder's first screen that skiff-server may put into the page
//! (`server/src/http/first_screen.rs`: its first rows, painted before the app has
//! loaded). Once the app runs, clicks go through the screen to the app beneath it
//! and assistive technology skips it; once the app shows the folder itself, or says
//! why it cannot, the screen is removed, in the same task, so no frame shows both.

/// The element's id, as skiff-server writes it.
const ID: &str = "skiff-first-screen";

fn element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(ID)
}

/// The app has started: the first screen stays in sight but no longer in the way.
pub fn app_started() {
    if let Some(screen) = element() {
        let _ = screen.set_attribute("aria-hidden", "true");
        let _ = screen.set_attribute("inert", "");
        let _ = screen.set_attribute("style", "pointer-events:none");
    }
}

/// The app shows the folder (or what went wrong): the first screen goes.
pub fn app_ready() {
    if let Some(screen) = element() {
        screen.remove();
    }
}
