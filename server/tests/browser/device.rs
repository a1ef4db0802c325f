//! Devices other than a desktop window: the viewport size, touch input and the colour
//! scheme (Chrome DevTools Protocol `Emulation.*`), taps and long presses
//! (`Input.dispatchTouchEvent`, so the page sees the pointer and touch events a finger
//! makes), right clicks, and the layout checks the responsive tests assert at every size.

use std::time::Duration;

use super::Browser;

/// A window size, and whether it is a phone (mobile viewport rules, touch-sized targets).
pub struct Size {
    /// CSS pixels wide.
    pub width: u32,
    /// CSS pixels tall.
    pub height: u32,
    /// Emulated as a mobile device.
    pub mobile: bool,
}

/// The sizes issue 10 names: phones (320×640, 390×844), a laptop at 200 % zoom (700×450),
/// a phone on its side (844×390) and a desktop (1400×900). Every responsive test uses them.
pub const SIZES: [Size; 5] = [
    Size {
        width: 320,
        height: 640,
        mobile: true,
    },
    Size {
        width: 390,
        height: 844,
        mobile: true,
    },
    Size {
        width: 700,
        height: 450,
        mobile: false,
    },
    Size {
        width: 844,
        height: 390,
        mobile: true,
    },
    Size {
        width: 1400,
        height: 900,
        mobile: false,
    },
];

/// An element drawn (partly) past the viewport's right edge.
#[derive(Debug, serde::Deserialize)]
pub struct Overflow {
    /// `tag.class` and the start of its text.
    pub element: String,
    /// Its visible right edge, in CSS pixels.
    pub right: f64,
}

/// Every visible element whose visible part ends past `width` (or starts before 0):
/// clipping by scrolling or `overflow: hidden` ancestors counts, so text cut with an
/// ellipsis inside its cell is fine, a button pushed off-screen is not.
const OVERFLOW_SCAN: &str = "
    const width = arguments[0];
    const found = [];
    for (const element of document.body.querySelectorAll('*')) {
        const rect = element.getBoundingClientRect();
        if (rect.width < 2 || rect.height < 2) continue;
        const style = getComputedStyle(element);
        if (style.visibility === 'hidden' || style.display === 'contents') continue;
        let left = rect.left, right = rect.right;
        for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
            const clip = getComputedStyle(up).overflowX;
            if (clip !== 'visible') {
                const box = up.getBoundingClientRect();
                left = Math.max(left, box.left);
                right = Math.min(right, box.right);
            }
        }
        if (right - left < 1) continue;
        if (right > width + 0.5 || left < -0.5) {
            const name = element.tagName.toLowerCase() + '.' + [...element.classList].join('.');
            found.push({ element: `${name} “${(element.innerText || '').slice(0, 40)}”`, right });
        }
    }
    return found;";

impl Browser {
    /// Makes the page a `width`×`height` device (`mobile`: a phone's viewport rules, with
    /// `<meta name=viewport>` honoured), with touch input or not.
    pub async fn emulate_device(&self, width: u32, height: u32, mobile: bool, touch: bool) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile,
            }),
        )
        .await;
        self.cdp(
            "Emulation.setTouchEmulationEnabled",
            serde_json::json!({ "enabled": touch, "maxTouchPoints": if touch { 5 } else { 1 } }),
        )
        .await;
    }

    /// Sets `prefers-color-scheme` to dark or light.
    pub async fn set_dark(&self, dark: bool) {
        let value = if dark { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] }),
        )
        .await;
    }

    /// The centre of the first visible element matching `css`, scrolled into view, in
    /// viewport coordinates; waits for one to be visible.
    pub async fn centre_of(&self, css: &str) -> (f64, f64) {
        let script = format!(
            "[...document.querySelectorAll({css:?})].some(e => e.getClientRects().length \
             && getComputedStyle(e).visibility !== 'hidden')"
        );
        self.wait_until(&format!("a visible {css}"), &script).await;
        let at = self
            .client
            .execute(
                "const e = [...document.querySelectorAll(arguments[0])]
                    .find(e => e.getClientRects().length);
                 e.scrollIntoView({ block: 'nearest', inline: 'nearest' });
                 const r = e.getBoundingClientRect();
                 return [r.x + r.width / 2, r.y + r.height / 2];",
                vec![serde_json::json!(css)],
            )
            .await
            .unwrap_or_else(|error| panic!("locate {css}: {error}"));
        (
            at[0].as_f64().unwrap_or_default(),
            at[1].as_f64().unwrap_or_default(),
        )
    }

    /// Taps the first visible element matching `css` with one finger (touch start, touch
    /// end: Chromium turns that into pointer, touch, mouse and click events).
    pub async fn tap(&self, css: &str) {
        let (x, y) = self.centre_of(css).await;
        self.tap_at(x, y).await;
    }

    /// Taps the viewport point (`x`, `y`).
    pub async fn tap_at(&self, x: f64, y: f64) {
        self.cdp(
            "Input.dispatchTouchEvent",
            serde_json::json!({ "type": "touchStart", "touchPoints": [{ "x": x, "y": y }] }),
        )
        .await;
        self.cdp(
            "Input.dispatchTouchEvent",
            serde_json::json!({ "type": "touchEnd", "touchPoints": [] }),
        )
        .await;
    }

    /// Taps the same spot twice in quick succession, as a double tap does.
    pub async fn double_tap(&self, css: &str) {
        let (x, y) = self.centre_of(css).await;
        self.tap_at(x, y).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        self.tap_at(x, y).await;
    }

    /// Holds one finger still on the viewport point (`x`, `y`) for a second, then lifts
    /// it: a long press.
    pub async fn long_press_at(&self, x: f64, y: f64) {
        self.cdp(
            "Input.dispatchTouchEvent",
            serde_json::json!({ "type": "touchStart", "touchPoints": [{ "x": x, "y": y }] }),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        self.cdp(
            "Input.dispatchTouchEvent",
            serde_json::json!({ "type": "touchEnd", "touchPoints": [] }),
        )
        .await;
    }

    /// Clicks the right mouse button at the viewport point (`x`, `y`).
    pub async fn right_click_at(&self, x: f64, y: f64) {
        let steps = [
            ("mouseMoved", "none", 0),
            ("mousePressed", "right", 2),
            ("mouseReleased", "right", 0),
        ];
        for (kind, button, buttons) in steps {
            self.cdp(
                "Input.dispatchMouseEvent",
                serde_json::json!({
                    "type": kind, "x": x, "y": y, "button": button, "buttons": buttons,
                    "clickCount": 1,
                }),
            )
            .await;
        }
    }

    /// Whether the first element matching `css` is rendered (has a box) at all.
    pub async fn is_shown(&self, css: &str) -> bool {
        let shown = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]);
                 return !!e && e.getClientRects().length > 0
                    && getComputedStyle(e).visibility !== 'hidden';",
                vec![serde_json::json!(css)],
            )
            .await
            .unwrap_or_else(|error| panic!("look for {css}: {error}"));
        shown == serde_json::Value::Bool(true)
    }

    /// The elements drawn past the right edge of a `width` px viewport, plus the
    /// document's own scroll width when it is wider than that.
    pub async fn horizontal_overflow(&self, width: u32) -> Vec<String> {
        let found = self
            .client
            .execute(OVERFLOW_SCAN, vec![serde_json::json!(width)])
            .await
            .expect("scan the page for overflow");
        let found: Vec<Overflow> = serde_json::from_value(found).expect("a list of elements");
        let mut problems: Vec<String> = found
            .into_iter()
            .map(|o| format!("{} ends at {:.0} px", o.element, o.right))
            .collect();
        let scroll_width = self
            .client
            .execute(
                "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)",
                vec![],
            )
            .await
            .expect("read the scroll width");
        let scroll_width = scroll_width.as_f64().unwrap_or_default();
        if scroll_width > f64::from(width) {
            problems.push(format!(
                "the page is {scroll_width} px wide in a {width} px viewport"
            ));
        }
        problems
    }

    /// The height in CSS pixels of the first element matching `css` (0 when not shown).
    pub async fn height_of(&self, css: &str) -> f64 {
        self.client
            .execute(
                "const e = document.querySelector(arguments[0]);
                 return e ? e.getBoundingClientRect().height : 0;",
                vec![serde_json::json!(css)],
            )
            .await
            .unwrap_or_else(|error| panic!("measure {css}: {error}"))
            .as_f64()
            .unwrap_or_default()
    }

    /// Whether the centre of the first visible element matching `css` is drawn by it (or
    /// its content), not covered by something else.
    pub async fn is_uncovered(&self, css: &str) -> bool {
        let found = self
            .client
            .execute(
                "const e = [...document.querySelectorAll(arguments[0])]
                    .find(e => e.getClientRects().length);
                 if (!e) return false;
                 const r = e.getBoundingClientRect();
                 const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                 return !!top && (e === top || e.contains(top));",
                vec![serde_json::json!(css)],
            )
            .await
            .unwrap_or_else(|error| panic!("look at {css}: {error}"));
        found == serde_json::Value::Bool(true)
    }
}

/// For every element matching `css`, as the page is now (no scrolling: a question must be
/// seen when it is asked): whether it is shown, wholly inside the viewport, drawn on top at
/// its centre (not clipped away by a scrolled container) and at least `min_height` px
/// tall. One line per failure, naming the element by its text.
const PLACEMENT_SCAN: &str = "
    const [css, minHeight] = arguments;
    const elements = [...document.querySelectorAll(css)];
    if (!elements.length) return [`nothing matches ${css}`];
    const problems = [];
    for (const e of elements) {
        const name = `${e.tagName.toLowerCase()} “${(e.innerText || e.value || e.name || '').slice(0, 30)}”`;
        if (!e.getClientRects().length || getComputedStyle(e).visibility === 'hidden') {
            problems.push(`${name} is not shown`);
            continue;
        }
        const r = e.getBoundingClientRect();
        if (r.left < -0.5 || r.top < -0.5 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5) {
            problems.push(`${name} at (${r.left}, ${r.top})–(${r.right}, ${r.bottom}) is not inside the ${innerWidth}×${innerHeight} viewport`);
            continue;
        }
        const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        if (!top || !(top === e || e.contains(top))) {
            problems.push(`${name} is covered by ${top ? top.tagName.toLowerCase() + '.' + [...top.classList].join('.') : 'nothing'}`);
        }
        if (r.height < minHeight) problems.push(`${name} is ${r.height} px tall (under ${minHeight})`);
    }
    return problems;";

impl Browser {
    /// What keeps the elements matching `css` from being seen and used where they are:
    /// not shown, not wholly inside the viewport, covered or clipped, or under
    /// `min_height` px.
    pub async fn placement_problems(&self, css: &str, min_height: f64) -> Vec<String> {
        let found = self
            .client
            .execute(
                PLACEMENT_SCAN,
                vec![serde_json::json!(css), serde_json::json!(min_height)],
            )
            .await
            .unwrap_or_else(|error| panic!("place {css}: {error}"));
        serde_json::from_value(found).expect("a list of problems")
    }
}
