//! Plain words for what the server says in codes: "PNG image" for `image/png`, "5 minutes
//! ago" for a timestamp, the exact local time for hover text. Pure except [`exact_time`].

/// A person's name for a content type, falling back to the extension ("ZST file") and then
/// to "File". `mime` may carry parameters (`text/plain; charset=utf-8`).
pub fn kind_of(mime: &str, name: &str) -> String {
    let essence = mime
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let known = match essence.as_str() {
        "image/png" => "PNG image",
        "image/jpeg" => "JPEG image",
        "image/gif" => "GIF image",
        "image/webp" => "WebP image",
        "image/svg+xml" => "SVG image",
        "image/avif" => "AVIF image",
        "image/bmp" => "BMP image",
        "image/x-icon" | "image/vnd.microsoft.icon" => "Icon",
        "image/tiff" => "TIFF image",
        "text/plain" => "Text file",
        "text/markdown" => "Markdown document",
        "text/html" => "Web page",
        "text/css" => "CSS stylesheet",
        "text/csv" => "CSV spreadsheet",
        "text/javascript" | "application/javascript" => "JavaScript file",
        "application/json" => "JSON file",
        "application/xml" | "text/xml" => "XML file",
        "application/pdf" => "PDF document",
        "application/zip" => "ZIP archive",
        "application/gzip" | "application/x-gzip" => "Gzip archive",
        "application/x-tar" => "Tar archive",
        "application/x-7z-compressed" => "7-Zip archive",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
            "Word document"
        }
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "Excel spreadsheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => {
            "PowerPoint presentation"
        }
        "application/vnd.oasis.opendocument.text" => "OpenDocument text",
        "audio/mpeg" => "MP3 audio",
        "audio/ogg" => "Ogg audio",
        "audio/wav" | "audio/x-wav" => "WAV audio",
        "audio/flac" => "FLAC audio",
        "video/mp4" => "MP4 video",
        "video/webm" => "WebM video",
        "video/quicktime" => "QuickTime video",
        "font/woff2" | "font/woff" => "Web font",
        "application/wasm" => "WebAssembly module",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_owned();
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && ext.len() <= 8 => {
            format!("{} file", ext.to_ascii_uppercase())
        }
        _ => "File".to_owned(),
    }
}

/// "just now", "5 minutes ago", "3 hours ago", "yesterday", "4 days ago", then months and
/// years; a time ahead of `now_ms` (a clock out of step) is "just now" up to a minute and
/// "in the future" beyond.
pub fn relative_time(then_ms: f64, now_ms: f64) -> String {
    let seconds = (now_ms - then_ms) / 1000.0;
    if seconds < -60.0 {
        return "in the future".to_owned();
    }
    if seconds < 45.0 {
        return "just now".to_owned();
    }
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    let minutes = (seconds / 60.0).round() as i64;
    if minutes < 60 {
        return plural(minutes.max(1), "minute");
    }
    let hours = (seconds / 3600.0).round() as i64;
    if hours < 24 {
        return plural(hours, "hour");
    }
    let days = (seconds / 86_400.0).floor() as i64;
    if days == 1 {
        return "yesterday".to_owned();
    }
    if days < 31 {
        return plural(days, "day");
    }
    let months = days / 30;
    if months < 12 {
        return plural(months, "month");
    }
    plural(days / 365, "year")
}

/// The exact local date and time of `ms` (milliseconds since the epoch), as the browser
/// writes it for the user's language.
pub fn exact_time(ms: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_plain_words() {
        assert_eq!(kind_of("image/png", "a.png"), "PNG image");
        assert_eq!(kind_of("text/plain; charset=utf-8", "a.txt"), "Text file");
        assert_eq!(kind_of("application/octet-stream", "x.zst"), "ZST file");
        assert_eq!(kind_of("application/octet-stream", "README"), "File");
        assert_eq!(kind_of("", ".hidden"), "File");
    }

    #[test]
    fn times_are_relative() {
        let now = 1_000_000_000_000.0;
        let minute = 60_000.0;
        assert_eq!(relative_time(now - 10_000.0, now), "just now");
        assert_eq!(relative_time(now - 5.0 * minute, now), "5 minutes ago");
        assert_eq!(relative_time(now - minute, now), "1 minute ago");
        assert_eq!(relative_time(now - 180.0 * minute, now), "3 hours ago");
        assert_eq!(relative_time(now - 30.0 * 60.0 * minute, now), "yesterday");
        assert_eq!(
            relative_time(now - 4.0 * 1440.0 * minute, now),
            "4 days ago"
        );
        assert_eq!(
            relative_time(now - 400.0 * 1440.0 * minute, now),
            "1 year ago"
        );
        assert_eq!(relative_time(now + 30.0 * minute, now), "in the future");
    }
}
