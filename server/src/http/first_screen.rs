//! A folder's first screen in the page itself. A browser navigating to a folder
//! of a server without tokens gets the app's shell with the folder's first rows
//! already in it (names, sizes, links), painted as soon as the page arrives, before
//! the app (~390 KiB) has: on a phone's slow link the folder shows at once, as a
//! page made by the server does (dufs, miniserve). The app, once started, lets
//! clicks through it and takes its place when it has the folder itself
//! (`src/first_screen.rs`); without JavaScript its links still browse.
//!
//! Only folders whose listing is held whole for its ETag (≤ 256 KiB, about 1,500
//! entries): a bigger one streams its first rows to the app anyway. A server with
//! tokens never puts a listing into its public shell.

use skiff_protocol::{display_cmp, human_size, FilesetData, TreePath};

use crate::http::tree::listing::Listed;
use crate::listing::Folder;
use crate::tree::Mounted;

/// The element's id, which the app looks for.
pub const ID: &str = "skiff-first-screen";

/// Rows put into the page: more than the tallest screen shows.
const ROWS: usize = 60;

/// What a first screen shows: a folder's path in the tree and its entries.
pub struct FirstScreen {
    dir: TreePath,
    listing: FilesetData,
}

/// The first screen of folder `key` of `mounted` (`mounts`: the mounted storages,
/// for the tree's root), if its listing is small enough to be held whole.
pub async fn of_folder(
    mounted: &Mounted,
    key: &TreePath,
    mounts: Option<Vec<skiff_protocol::RawFileData>>,
) -> Option<FirstScreen> {
    let mounts = mounts.filter(|_| key.is_root());
    let folder = Folder::open(
        mounted.store.clone(),
        mounted.ids.clone(),
        mounted.tree_key(key),
        key,
        false,
        mounts.is_some(),
        mounts.unwrap_or_default(),
    )
    .await
    .ok()?;
    let Listed::Whole { chunks, .. } = Listed::read(folder.stream()).await.ok()? else {
        return None;
    };
    let json: Vec<u8> = chunks.concat();
    let listing: FilesetData = serde_json::from_slice(&json).ok()?;
    let dir = TreePath::from_segments(
        std::iter::once(mounted.mount.as_str())
            .filter(|mount| !mount.is_empty())
            .chain(key.segments().iter().map(String::as_str)),
    )
    .ok()?;
    Some(FirstScreen { dir, listing })
}

impl FirstScreen {
    /// The shell `shell` with this screen at the start of its body; `None` if the
    /// shell has no `<body>`.
    pub fn put_into(&self, shell: &[u8]) -> Option<Vec<u8>> {
        let body = find(shell, b"<body")?;
        let open_end = body + find(&shell[body..], b">")? + 1;
        let mut page = Vec::with_capacity(shell.len() + 8 * 1024);
        page.extend_from_slice(&shell[..open_end]);
        page.extend_from_slice(self.html().as_bytes());
        page.extend_from_slice(&shell[open_end..]);
        Some(page)
    }

    fn html(&self) -> String {
        let mut entries: Vec<_> = self.listing.files.iter().collect();
        entries.sort_by(|a, b| display_cmp(a, b));
        let title = self.dir.to_string();
        let mut html = format!(
            "<div id=\"{ID}\"><style>{STYLE}</style><header>{}</header><table>\
             <caption>Contents of {}</caption><thead><tr><th scope=\"col\">Name</th>\
             <th scope=\"col\">Size</th></tr></thead><tbody>",
            escape(&title),
            escape(&title)
        );
        for entry in entries.iter().take(ROWS) {
            let Ok(path) = self.dir.child(&entry.name) else {
                continue; // a name no link can carry is left to the app
            };
            let (href, shown, size) = if entry.is_dir() {
                (
                    path.to_dir_url_path(),
                    format!("{}/", entry.name),
                    String::new(),
                )
            } else {
                (
                    path.to_url_path(),
                    entry.name.clone(),
                    human_size(entry.size),
                )
            };
            html.push_str(&format!(
                "<tr data-name=\"{}\"><td><a href=\"{}\">{}</a></td><td>{}</td></tr>",
                escape(&entry.name),
                escape(&href),
                escape(&shown),
                size
            ));
        }
        html.push_str("</tbody></table><p role=\"status\">");
        let total = self.listing.files.len();
        if total == 0 {
            html.push_str("This folder is empty. ");
        } else if total > ROWS {
            html.push_str(&format!("The first {ROWS} of {total} items. "));
        }
        html.push_str("Skiff is loading…</p></div>");
        html
    }
}

/// Plain CSS (the app's own is hashed per build): the screen covers the page until
/// the app takes its place; system colours follow the light or dark scheme.
const STYLE: &str = "#skiff-first-screen{position:fixed;inset:0;z-index:10;overflow:hidden;\
background:Canvas;color:CanvasText;font:14px/1.4 system-ui,sans-serif}\
#skiff-first-screen header{padding:12px 16px;font-weight:600;border-bottom:1px solid #8886}\
#skiff-first-screen caption{position:absolute;clip:rect(0 0 0 0);width:1px;height:1px;overflow:hidden}\
#skiff-first-screen table{width:100%;border-collapse:collapse;table-layout:fixed}\
#skiff-first-screen th,#skiff-first-screen td{height:32px;padding:0 16px;text-align:left;\
white-space:nowrap;overflow:hidden;text-overflow:ellipsis;border-bottom:1px solid #8883}\
#skiff-first-screen th+th,#skiff-first-screen td+td{width:7em;text-align:right}\
#skiff-first-screen a{color:inherit}\
#skiff-first-screen p{padding:8px 16px;margin:0}";

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

/// Text and attribute values as HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_protocol::RawFileData;

    #[test]
    fn rows_in_display_order_escaped_and_linked() {
        let screen = FirstScreen {
            dir: TreePath::parse_url_path("/a%20b/").expect("path"),
            listing: FilesetData {
                writes_supported: false,
                is_root: false,
                is_file: false,
                files: vec![
                    RawFileData::named("z<script>.txt", true, 1536),
                    RawFileData::named("docs", false, 0),
                    RawFileData::named("\"q\" & 'a'#?", true, 5),
                ],
            },
        };
        let page = screen
            .put_into(b"<html><head></head><BODY class=x><noscript>n</noscript></body></html>")
            .expect("a body");
        let page = String::from_utf8(page).expect("utf-8");
        assert!(
            page.starts_with("<html><head></head><BODY class=x><div id=\"skiff-first-screen\">")
        );
        assert!(page.ends_with("Skiff is loading…</p></div><noscript>n</noscript></body></html>"));
        let docs = page.find("data-name=\"docs\"").expect("docs");
        let quoted = page
            .find("data-name=\"&quot;q&quot; &amp; &#39;a&#39;#?\"")
            .expect("the quoted name, escaped");
        let script = page.find("z&lt;script&gt;.txt").expect("escaped");
        assert!(
            docs < quoted && quoted < script,
            "folders first, then by name"
        );
        assert!(page.contains("href=\"/a%20b/docs/\">docs/</a>"));
        assert!(page.contains("href=\"/a%20b/%22q%22%20%26%20%27a%27%23%3F\""));
        assert!(page.contains("<td>1.5 KiB</td>"));
        assert!(!page.contains("<script>"));
        assert_eq!(screen.put_into(b"<html>no body</html>"), None);
    }
}
