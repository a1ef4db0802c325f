//! Dragging, the way a hand does: real files and folders from "the desktop"
//! (`Input.dispatchDragEvent`), and rows of the page with the mouse
//! (`Input.dispatchMouseEvent`, so the page's own drag events run).

use std::path::Path;

use super::Browser;

impl Browser {
    /// Drags the real files or folders at `paths` from "the desktop" and drops them at the
    /// centre of the element matching `css`, the way a person's drag arrives.
    pub async fn drop_paths(&self, css: &str, paths: &[&Path]) {
        let rect = self
            .client
            .execute(
                "const r = document.querySelector(arguments[0]).getBoundingClientRect();
                 return [r.x + r.width / 2, r.y + r.height / 2];",
                vec![serde_json::json!(css)],
            )
            .await
            .unwrap_or_else(|error| panic!("locate {css}: {error}"));
        let (x, y) = (
            rect[0].as_f64().unwrap_or(0.0),
            rect[1].as_f64().unwrap_or(0.0),
        );
        let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        for kind in ["dragEnter", "dragOver", "drop"] {
            self.cdp(
                "Input.dispatchDragEvent",
                serde_json::json!({
                    "type": kind, "x": x, "y": y,
                    "data": { "items": [], "files": files, "dragOperationsMask": 1 },
                }),
            )
            .await;
        }
    }

    /// Drags the element matching `from` and drops it on the element matching `to` with the
    /// mouse, the way a person does: the page's own dragstart handler fills the DataTransfer,
    /// dragover/drop reach the target.
    ///
    /// Real mouse input through CDP `Input.dispatchMouseEvent`: Chromium starts a native
    /// drag once the pressed mouse moves, turns later moves into dragenter/dragleave/dragover
    /// and the release into drop (only if the target's dragover called `preventDefault`) and
    /// dragend. Entering the target fires only dragenter, so the mouse moves once more on it
    /// for a dragover before releasing. Both elements are scrolled into view, and their
    /// centres must not be covered by other elements.
    pub async fn drag(&self, from: &str, to: &str) {
        self.element(from).await;
        self.element(to).await;
        let centres = self
            .client
            .execute(
                "const elements = [arguments[0], arguments[1]].map(css => document.querySelector(css));
                 elements.forEach(e => e.scrollIntoView({block: 'nearest', inline: 'nearest'}));
                 return elements.map(e => {
                     const r = e.getBoundingClientRect();
                     const [x, y] = [r.x + r.width / 2, r.y + r.height / 2];
                     return e.contains(document.elementFromPoint(x, y)) ? [x, y] : null;
                 });",
                vec![serde_json::json!(from), serde_json::json!(to)],
            )
            .await
            .unwrap_or_else(|error| panic!("locate {from} and {to}: {error}"));
        let centre = |index: usize, css: &str| {
            let xy = centres[index].as_array().unwrap_or_else(|| {
                panic!("the centre of {css} is hidden or covered: cannot drag there")
            });
            (xy[0].as_f64().unwrap_or(0.0), xy[1].as_f64().unwrap_or(0.0))
        };
        let ((x0, y0), (x1, y1)) = (centre(0, from), centre(1, to));
        let mouse = |kind: &str, x: f64, y: f64, buttons: u8| {
            serde_json::json!({
                "type": kind, "x": x, "y": y, "button": "left", "buttons": buttons, "clickCount": 1,
            })
        };
        self.cdp("Input.dispatchMouseEvent", mouse("mouseMoved", x0, y0, 0))
            .await;
        self.cdp("Input.dispatchMouseEvent", mouse("mousePressed", x0, y0, 1))
            .await;
        // Several steps, as a hand moves; the last one repeated on the target for a dragover.
        const STEPS: u32 = 8;
        for step in (1..=STEPS).chain([STEPS]) {
            let f = f64::from(step) / f64::from(STEPS);
            let (x, y) = (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f);
            self.cdp("Input.dispatchMouseEvent", mouse("mouseMoved", x, y, 1))
                .await;
        }
        self.cdp(
            "Input.dispatchMouseEvent",
            mouse("mouseReleased", x1, y1, 0),
        )
        .await;
    }
}
