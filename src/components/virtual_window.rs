//! Virtualised scrolling for long lists: only the rows inside the viewport (plus a
//! little overscan) exist in the DOM, so a 100,000-entry folder scrolls like a 40-row one.

use leptos::html::Div;
use leptos::prelude::*;
use std::ops::Range;

/// Rows rendered above and below the viewport, so fast scrolling shows no gaps.
const OVERSCAN: usize = 8;

/// Scroll position and viewport height of one scrolling container.
///
/// The row height is the container's CSS `--row-height` when it sets one (so a stylesheet
/// can make rows taller for touch), else the height given to [`VirtualWindow::new`]; rows
/// are placed with `calc()` on that variable, so they follow a change of it at once.
#[derive(Clone, Copy)]
pub struct VirtualWindow {
    /// The scrolling element.
    pub container: NodeRef<Div>,
    /// The element the rows are placed in, when something (a sticky header) scrolls above
    /// it inside the container; unset when the rows start at the container's top.
    pub content: NodeRef<Div>,
    /// Row height when the stylesheet sets none.
    fallback_height: f64,
    row_height: RwSignal<f64>,
    /// Where `content` starts below the container's top, in CSS pixels.
    content_top: RwSignal<f64>,
    scroll_top: RwSignal<f64>,
    viewport: RwSignal<f64>,
}

impl VirtualWindow {
    /// Tracks the container's scroll and size; call `on_scroll` from its scroll event.
    pub fn new(row_height: f64) -> Self {
        let window = Self {
            container: NodeRef::new(),
            content: NodeRef::new(),
            fallback_height: row_height,
            row_height: RwSignal::new(row_height),
            content_top: RwSignal::new(0.0),
            scroll_top: RwSignal::new(0.0),
            // Until measured, assume a tall viewport rather than rendering nothing.
            viewport: RwSignal::new(1200.0),
        };
        window.container.on_load(move |_| window.measure());
        let handle = window_event_listener(leptos::ev::resize, move |_| window.measure());
        on_cleanup(move || handle.remove());
        window
    }

    /// Height of one row in CSS pixels (fixed per layout, so positions are arithmetic).
    pub fn row_height(self) -> f64 {
        self.row_height.get_untracked()
    }

    /// Re-reads scroll position, viewport height, row height and where the rows start
    /// from the DOM.
    pub fn measure(self) {
        let Some(element) = self.container.get_untracked() else {
            return;
        };
        let row_height = web_sys::window()
            .and_then(|window| window.get_computed_style(&element).ok().flatten())
            .and_then(|style| style.get_property_value("--row-height").ok())
            // JS's parseFloat ("32px" → 32): `str::parse::<f64>` would bring ~10 KB of tables.
            .map(|value| js_sys::Number::parse_float(value.trim()))
            .filter(|height| *height > 0.0)
            .unwrap_or(self.fallback_height);
        if self.row_height.get_untracked() != row_height {
            self.row_height.set(row_height);
        }
        let scroll_top = f64::from(element.scroll_top());
        if let Some(content) = self.content.get_untracked() {
            let top = content.get_bounding_client_rect().top()
                - element.get_bounding_client_rect().top()
                + scroll_top;
            if self.content_top.get_untracked() != top {
                self.content_top.set(top);
            }
        }
        self.scroll_top.set(scroll_top);
        let height = f64::from(element.client_height());
        if height > 0.0 {
            self.viewport.set(height);
        }
    }

    /// The rows to render for `count` rows in total.
    pub fn visible(self, count: usize) -> Range<usize> {
        // With a sticky header the rows below it start at `scroll_top` in the content's
        // own coordinates; the viewport overestimates their room by the header: harmless.
        let row_height = self.row_height.get();
        let top = self.scroll_top.get();
        let height = self.viewport.get();
        let first = (top / row_height).floor() as usize;
        let last = ((top + height) / row_height).ceil() as usize;
        first.saturating_sub(OVERSCAN).min(count)..(last + OVERSCAN).min(count)
    }

    /// Total scroll height for `count` rows (a CSS length).
    pub fn total_height(self, count: usize) -> String {
        format!(
            "calc({count} * var(--row-height, {}px))",
            self.fallback_height
        )
    }

    /// CSS `transform` placing row `index`.
    pub fn offset(self, index: usize) -> String {
        format!(
            "translateY(calc({index} * var(--row-height, {}px)))",
            self.fallback_height
        )
    }

    /// Scrolls just enough to show row `index` entirely (below a sticky header, if any).
    pub fn scroll_into_view(self, index: usize) {
        let Some(element) = self.container.get_untracked() else {
            return;
        };
        let row_height = self.row_height.get_untracked();
        let content_top = self.content_top.get_untracked();
        let top = index as f64 * row_height;
        let bottom = top + row_height;
        let view_top = f64::from(element.scroll_top());
        let view_height = f64::from(element.client_height()) - content_top;
        if top < view_top {
            element.set_scroll_top(top as i32);
        } else if bottom > view_top + view_height {
            element.set_scroll_top((bottom - view_height).ceil() as i32);
        }
        self.measure();
    }

    /// Rows that fit in the viewport (for Page Up/Down).
    pub fn page_rows(self) -> usize {
        let height = self.viewport.get_untracked() - self.content_top.get_untracked();
        ((height / self.row_height.get_untracked()).floor() as usize).max(1)
    }
}
