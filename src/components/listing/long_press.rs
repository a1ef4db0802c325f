//! A long press on a row opens its context menu, as a right click does: a finger held
//! still for half a second. Android's browsers fire `contextmenu` for that by themselves,
//! iOS Safari and desktop browsers on touch screens do not, so the row times the press
//! itself; the tap that a lifted finger would then make is swallowed.

use leptos::prelude::*;
use std::time::Duration;

/// How long a finger must stay down.
const HOLD: Duration = Duration::from_millis(500);

/// How far (CSS pixels) a finger may drift and still be pressing, not scrolling.
const SLOP: f64 = 10.0;

/// One row's long press in progress. `Copy`: stored values only.
#[derive(Clone, Copy)]
pub struct LongPress {
    /// The pending timer and where the finger went down.
    pending: StoredValue<Option<(TimeoutHandle, f64, f64)>, LocalStorage>,
    /// Whether the current touch already opened the menu (its tap is not a tap).
    fired: StoredValue<bool>,
}

impl LongPress {
    /// No press in progress.
    pub fn new() -> Self {
        let press = Self {
            pending: StoredValue::new_local(None),
            fired: StoredValue::new(false),
        };
        on_cleanup(move || press.cancel());
        press
    }

    /// A pointer went down: a finger (or pen) starts the wait; `open` gets the point.
    pub fn down(self, event: &web_sys::PointerEvent, open: impl Fn(f64, f64) + 'static) {
        self.cancel();
        self.fired.set_value(false);
        if event.pointer_type() == "mouse" || !event.is_primary() {
            return;
        }
        let (x, y) = (f64::from(event.client_x()), f64::from(event.client_y()));
        let handle = set_timeout_with_handle(
            move || {
                // `try_`: the row may be gone (scrolled away, folder changed) by then.
                if self
                    .pending
                    .try_update_value(Option::take)
                    .flatten()
                    .is_some()
                {
                    self.fired.set_value(true);
                    open(x, y);
                }
            },
            HOLD,
        );
        if let Ok(handle) = handle {
            self.pending.set_value(Some((handle, x, y)));
        }
    }

    /// The pointer moved: beyond [`SLOP`] it is a scroll or a drag, not a press.
    pub fn moved(self, event: &web_sys::PointerEvent) {
        let drifted = self.pending.with_value(|pending| {
            pending.as_ref().is_some_and(|(_, x, y)| {
                (f64::from(event.client_x()) - x).hypot(f64::from(event.client_y()) - y) > SLOP
            })
        });
        if drifted {
            self.cancel();
        }
    }

    /// The pointer went up or was taken over (by a scroll): no press.
    pub fn cancel(self) {
        if let Some(Some((handle, _, _))) = self.pending.try_update_value(Option::take) {
            handle.clear();
        }
    }

    /// Whether the current touch opened the menu.
    pub fn fired(self) -> bool {
        self.fired.get_value()
    }

    /// Whether the touch now ending opened the menu, so its tap must not act (and the
    /// next one may).
    pub fn take_fired(self) -> bool {
        let fired = self.fired.get_value();
        self.fired.set_value(false);
        fired
    }
}
