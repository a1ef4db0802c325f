//! Tree names as S3 object key segments, readable in the bucket.
//!
//! A name is stored as itself (spaces, `#`, `%`, `?`, unicode all fine), so
//! what users see through any S3 client is what they named. The one exception
//! is what `object_store` cannot carry in a key: ASCII control characters
//! (a newline in a name), stored as `%0A`-style escapes (uppercase hex). To keep
//! the mapping one-to-one, a `%` that would otherwise read as the start of such
//! an escape is itself written `%25`: precisely a `%` followed by any number of
//! `25`s and then a control escape's two hex digits. So `50% off` stays `50% off`,
//! `a\nb` is `a%0Ab`, and a name literally `a%0Ab` is `a%250Ab`; any key found in
//! a bucket reads back as a name that maps to that same key.

/// The key segment of tree name `name`.
pub fn encode(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for (position, character) in name.char_indices() {
        if character.is_ascii_control() {
            key.push_str(&format!("%{:02X}", character as u32));
        } else if character == '%' && starts_escape(&name[position + 1..]) {
            key.push_str("%25");
        } else {
            key.push(character);
        }
    }
    key
}

/// The tree name of key segment `key` (the inverse of [`encode`]).
pub fn decode(key: &str) -> String {
    let mut name = String::with_capacity(key.len());
    let mut rest = key;
    while let Some(character) = rest.chars().next() {
        if character == '%' {
            if let Some(control) = control_escape(&rest[1..]) {
                name.push(control);
                rest = &rest[3..];
                continue;
            }
            if rest[1..].starts_with("25") && starts_escape(&rest[3..]) {
                name.push('%');
                rest = &rest[3..];
                continue;
            }
        }
        name.push(character);
        rest = &rest[character.len_utf8()..];
    }
    name
}

/// Whether `text` (what follows a `%`) is `25`* then a control escape's digits.
fn starts_escape(mut text: &str) -> bool {
    loop {
        if control_escape(text).is_some() {
            return true;
        }
        match text.strip_prefix("25") {
            Some(rest) => text = rest,
            None => return false,
        }
    }
}

/// The control character whose two uppercase hex digits open `text`.
fn control_escape(text: &str) -> Option<char> {
    let digits = text.get(..2)?;
    if !digits
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    {
        return None;
    }
    let value = u8::from_str_radix(digits, 16).ok()?;
    let character = char::from(value);
    character.is_ascii_control().then_some(character)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_stay_as_they_are() {
        for name in [
            "a b", "50% off", "#1?", "é😀", "%", "%2", "%25", "%41", "a%0a",
        ] {
            assert_eq!(encode(name), name);
            assert_eq!(decode(name), name);
        }
    }

    #[test]
    fn control_characters_are_escaped_and_escapes_are_kept_apart() {
        assert_eq!(encode("a\nb"), "a%0Ab");
        assert_eq!(encode("a%0Ab"), "a%250Ab");
        assert_eq!(encode("a%250Ab"), "a%25250Ab");
        assert_eq!(decode("a%0Ab"), "a\nb");
        assert_eq!(decode("a%250Ab"), "a%0Ab");
    }

    #[test]
    fn the_mapping_is_one_to_one_both_ways() {
        let pieces = [
            "%", "25", "0A", "7F", "1f", "\n", "\u{7f}", "a", "2", "%0", "é",
        ];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            texts = texts
                .iter()
                .flat_map(|text| pieces.iter().map(move |piece| format!("{text}{piece}")))
                .collect();
            for text in &texts {
                assert_eq!(decode(&encode(text)), *text, "name {text:?}");
                if !text.chars().any(|c| c.is_ascii_control()) {
                    assert_eq!(encode(&decode(text)), *text, "key {text:?}");
                }
            }
        }
    }
}
