//! Coming back after an outage on its own: while the listing shows an error that time can
//! fix (the server unreachable, or a 5xx while it restarts), it is fetched again after a
//! growing pause, and at once when the browser says it is back online. The error stays up
//! meanwhile and goes when a listing arrives.

use crate::errors::ApiError;
use crate::state::Browser;
use leptos::prelude::*;
use std::time::Duration;

/// The pause before automatic retry number `attempt` (0-based): 1 s, 2 s, 4 s, 8 s, then
/// every 15 s. Short at first (a restart takes seconds), then gentle on a server that is
/// down for longer.
pub fn retry_delay(attempt: u32) -> Duration {
    Duration::from_secs(match attempt {
        0..=3 => 1 << attempt,
        _ => 15,
    })
}

/// Whether waiting may fix this error.
pub fn is_transient(error: &ApiError) -> bool {
    matches!(error, ApiError::Unreachable { .. })
        || matches!(error, ApiError::Http { status, .. } if matches!(status, 500 | 502 | 503 | 504))
}

/// Retries the current listing while a transient error shows (see the module docs).
pub fn retry_while_unreachable(browser: Browser) {
    // Each error shown gets a number: a timer only retries for the error it was set for.
    let epoch = StoredValue::new(0u64);
    let attempt = StoredValue::new(0u32);
    Effect::new(move |_| {
        epoch.update_value(|e| *e += 1);
        let transient = browser.error.with(|e| e.as_ref().is_some_and(is_transient));
        if !transient {
            if browser.error.with(Option::is_none) && !browser.loading.get_untracked() {
                attempt.set_value(0);
            }
            return;
        }
        let mine = epoch.get_value();
        let delay = retry_delay(attempt.get_value());
        attempt.update_value(|a| *a = a.saturating_add(1));
        set_timeout(
            move || {
                // `try_`: the app may be gone (unmounted) by the time the timer fires.
                let still = browser
                    .error
                    .try_with_untracked(|e| e.as_ref().is_some_and(is_transient));
                if epoch.try_get_value() == Some(mine) && still == Some(true) {
                    browser.retry_quietly();
                }
            },
            delay,
        );
    });
    let online = window_event_listener(leptos::ev::online, move |_| {
        attempt.set_value(0);
        if browser.error.with_untracked(Option::is_some) {
            browser.retry_quietly();
        }
    });
    on_cleanup(move || online.remove());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_grows_then_levels_off() {
        let secs: Vec<u64> = (0..7).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 15, 15, 15]);
        assert_eq!(retry_delay(u32::MAX).as_secs(), 15);
    }

    #[test]
    fn only_what_time_can_fix_is_retried() {
        let down = ApiError::Unreachable { server: "x".into() };
        let busy = ApiError::Http {
            status: 503,
            message: String::new(),
        };
        let missing = ApiError::Http {
            status: 404,
            message: String::new(),
        };
        assert!(is_transient(&down) && is_transient(&busy));
        assert!(!is_transient(&missing));
        assert!(!is_transient(&ApiError::Unauthorized { signed_in: false }));
    }
}
