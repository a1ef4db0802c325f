//! Small pieces the storage targets (target.rs) build on: tree names as S3 keys
//! under the mapping documented in docs/protocol-notes.md ("Storage backends":
//! a name is its own key, ASCII control characters escaped `%0A`, and a `%` that
//! would read as such an escape written `%25`), and a walk of a local folder.

/// A name as its key segment: itself, but ASCII control characters escaped as
/// `%XX` (uppercase), and a `%` that would read as such an escape written `%25`.
pub fn key_segment(name: &str) -> String {
    let mut key = String::new();
    for (at, character) in name.char_indices() {
        if character.is_ascii_control() {
            key.push_str(&format!("%{:02X}", u32::from(character)));
        } else if character == '%' && opens_escape(&name[at + 1..]) {
            key.push_str("%25");
        } else {
            key.push(character);
        }
    }
    key
}

/// Whether `text` (after a `%`) is `25`* then two uppercase hex digits of a control character.
fn opens_escape(mut text: &str) -> bool {
    loop {
        let control = text.get(..2).is_some_and(|digits| {
            digits
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
                && u8::from_str_radix(digits, 16).is_ok_and(|value| value.is_ascii_control())
        });
        if control {
            return true;
        }
        match text.strip_prefix("25") {
            Some(rest) => text = rest,
            None => return false,
        }
    }
}

/// Everything under `dir` but the top `.skiff`, folders as `name/`.
pub fn walk(dir: &std::path::Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read").flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        if name == "/.skiff" {
            continue;
        }
        if entry.path().is_dir() {
            out.push((format!("{name}/"), Vec::new()));
            walk(&entry.path(), &name, out);
        } else {
            out.push((name, std::fs::read(entry.path()).expect("read")));
        }
    }
}
