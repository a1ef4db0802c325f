//! Virtualised scrolling for long lists: only the rows inside the viewport (plus a
//! little overscan) exist in the DOM, so a 100,000-entry folder scrolls like a 40-row one.

use leptos::html::Div;
use leptos::prelude::*;
use std::ops::Range;

/// Rows rendered above and below the viewport, so fast scrolling shows no gaps.
const OVERSCAN: usize = 8;

/// Scroll position and viewport height of one scrolling container.
#[derive(Clone, Copy)]
pub struct VirtualWindow {
    /// The scrolling element.
    pub container: NodeRef<Div>,
    /// Height of one row in CSS pixels (fixed, so positions are arithmetic).
    pub row_height: f64,
    scroll_top: RwSignal<f64>,
    viewport: RwSignal<f64>,
}

impl VirtualWindow {
    /// Tracks the container's scroll and size; call `on_scroll` from its scroll event.
    pub fn new(row_height: f64) -> Self {
        let window = Self {
            container: NodeRef::new(),
            row_height,
            scroll_top: RwSignal::new(0.0),
            // Until measured, assume a tall viewport rather than rendering nothing.
            viewport: RwSignal::new(1200.0),
        };
        window.container.on_load(move |_| window.measure());
        let handle = window_event_listener(leptos::ev::resize, move |_| window.measure());
        on_cleanup(move || handle.remove());
        window
    }

    /// Re-reads scroll position and viewport height from the DOM.
    pub fn measure(self) {
        if let Some(element) = self.container.get_untracked() {
            self.scroll_top.set(f64::from(element.scroll_top()));
            let height = f64::from(element.client_height());
            if height > 0.0 {
                self.viewport.set(height);
            }
        }
    }

    /// The rows to render for `count` rows in total.
    pub fn visible(self, count: usize) -> Range<usize> {
        let top = self.scroll_top.get();
        let height = self.viewport.get();
        let first = (top / self.row_height).floor() as usize;
        let last = ((top + height) / self.row_height).ceil() as usize;
        first.saturating_sub(OVERSCAN).min(count)..(last + OVERSCAN).min(count)
    }

    /// Total scroll height for `count` rows.
    pub fn total_height(self, count: usize) -> String {
        format!("{}px", count as f64 * self.row_height)
    }

    /// CSS `transform` placing row `index`.
    pub fn offset(self, index: usize) -> String {
        format!("translateY({}px)", index as f64 * self.row_height)
    }

    /// Scrolls just enough to show row `index` entirely.
    pub fn scroll_into_view(self, index: usize) {
        let Some(element) = self.container.get_untracked() else {
            return;
        };
        let top = index as f64 * self.row_height;
        let bottom = top + self.row_height;
        let view_top = f64::from(element.scroll_top());
        let view_height = f64::from(element.client_height());
        if top < view_top {
            element.set_scroll_top(top as i32);
        } else if bottom > view_top + view_height {
            element.set_scroll_top((bottom - view_height).ceil() as i32);
        }
        self.measure();
    }

    /// Rows that fit in the viewport (for Page Up/Down).
    pub fn page_rows(self) -> usize {
        ((self.viewport.get_untracked() / self.row_height).floor() as usize).max(1)
    }
}
