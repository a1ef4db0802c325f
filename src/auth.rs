//! The bearer token (PROTOCOL.md §6), kept in `sessionStorage`: it lasts while the tab
//! does, survives reloads, and never appears in a URL. Every request the app makes asks
//! [`authorization`] for its header.

/// Where the token is kept, per server (the app can browse several, one per tab).
fn key(server: &str) -> String {
    format!("skiff-token:{server}")
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The `Authorization` header value for `server`, if the user signed in.
pub fn authorization(server: &str) -> Option<String> {
    let token = storage()?.get_item(&key(server)).ok()??;
    (!token.is_empty()).then(|| format!("Bearer {token}"))
}

/// Remembers `token` for `server` (trimmed; an empty one signs out).
pub fn sign_in(server: &str, token: &str) {
    let token = token.trim();
    if let Some(storage) = storage() {
        let _ = if token.is_empty() {
            storage.remove_item(&key(server))
        } else {
            storage.set_item(&key(server), token)
        };
    }
}

/// Forgets the token for `server`.
pub fn sign_out(server: &str) {
    sign_in(server, "");
}
