//! Native unit tests of sorting, filtering and formatting.

use super::*;

fn entry(name: &str, is_file: bool, size: u64, modified: &str, mime: &str) -> RawFileData {
    RawFileData {
        mime_type: mime.into(),
        last_modified: modified.into(),
        ..RawFileData::named(name, is_file, size)
    }
}

fn sample() -> Listing {
    Listing::new(
        TreePath::root(),
        true,
        false,
        vec![
            entry("file10.txt", true, 5, "2024-01-03T00:00:00Z", "text/plain"),
            entry("File2.txt", true, 50, "2024-01-01T00:00:00Z", "text/plain"),
            entry("zdir", false, 0, "2024-01-02T00:00:00Z", "text/directory"),
            entry("Adir", false, 0, "2024-01-05T00:00:00Z", "text/directory"),
            entry(
                "image.png",
                true,
                500,
                "2024-01-03T01:00:00+02:00",
                "image/png",
            ),
            entry("..", false, 0, "2024-01-04T00:00:00Z", "text/directory"),
            entry("a/b", true, 1, "2024-01-04T00:00:00Z", "text/plain"),
        ],
    )
}

fn names(listing: &Listing, order: &[u32]) -> Vec<String> {
    order
        .iter()
        .map(|&i| listing.entries[i as usize].name.clone())
        .collect()
}

#[test]
fn unsafe_names_from_the_server_are_dropped() {
    let listing = sample();
    assert_eq!(listing.entries.len(), 5);
    assert!(listing.position_of("..").is_none());
}

#[test]
fn folders_first_then_natural_name_order() {
    let listing = sample();
    let order = listing.view_order(Sort::default(), "");
    assert_eq!(
        names(&listing, &order),
        ["Adir", "zdir", "File2.txt", "file10.txt", "image.png"]
    );
    let desc = listing.view_order(
        Sort {
            key: SortKey::Name,
            ascending: false,
        },
        "",
    );
    assert_eq!(
        names(&listing, &desc),
        ["zdir", "Adir", "image.png", "file10.txt", "File2.txt"]
    );
}

#[test]
fn sorts_by_size_modified_and_type() {
    let listing = sample();
    let by_size = listing.view_order(
        Sort {
            key: SortKey::Size,
            ascending: false,
        },
        "",
    );
    assert_eq!(
        names(&listing, &by_size)[2..],
        ["image.png", "File2.txt", "file10.txt"]
    );
    let by_time = listing.view_order(
        Sort {
            key: SortKey::Modified,
            ascending: true,
        },
        "",
    );
    // image.png is 2024-01-02T23:00Z once its +02:00 offset is applied: before file10.txt
    // (2024-01-03T00:00Z), though its local time reads later.
    assert_eq!(
        names(&listing, &by_time),
        ["zdir", "Adir", "File2.txt", "image.png", "file10.txt"]
    );
    let by_type = listing.view_order(
        Sort {
            key: SortKey::Type,
            ascending: true,
        },
        "",
    );
    assert_eq!(names(&listing, &by_type)[2], "image.png");
}

#[test]
fn filter_is_case_insensitive_substring() {
    let listing = sample();
    let order = listing.view_order(Sort::default(), "  FILE ");
    assert_eq!(names(&listing, &order), ["File2.txt", "file10.txt"]);
    assert!(listing.view_order(Sort::default(), "nothing").is_empty());
}

#[test]
fn directory_names_for_the_tree() {
    assert_eq!(sample().directory_names(), ["Adir", "zdir"]);
}

#[test]
fn sort_toggle() {
    let sort = Sort::default().toggled(SortKey::Name);
    assert!(!sort.ascending);
    assert_eq!(
        sort.toggled(SortKey::Size),
        Sort {
            key: SortKey::Size,
            ascending: true
        }
    );
}

#[test]
fn natural_order_details() {
    assert_eq!(natural_cmp("a2", "a10"), Ordering::Less);
    assert_eq!(natural_cmp("a02", "a2"), Ordering::Greater);
    assert_eq!(natural_cmp("a", "a1"), Ordering::Less);
    assert_eq!(
        natural_cmp("x99999999999999999999999", "x100000000000000000000000"),
        Ordering::Less
    );
}

#[test]
fn human_sizes() {
    assert_eq!(human_size(0), "0 B");
    assert_eq!(human_size(1023), "1023 B");
    assert_eq!(human_size(1536), "1.5 KiB");
    assert_eq!(human_size(200 * 1024 * 1024), "200 MiB");
    assert_eq!(human_size(u64::MAX), "16 EiB");
    assert_eq!(group_thousands(1234567), "1,234,567");
    assert_eq!(group_thousands(999), "999");
}

#[test]
fn rfc3339_parsing() {
    assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0.0));
    assert_eq!(parse_rfc3339_ms("1970-01-01T01:00:00+01:00"), Some(0.0));
    let precise = parse_rfc3339_ms("2020-04-13T19:12:22.695457919Z").expect("parses");
    assert!((precise - 1_586_805_142_695.458).abs() < 0.01, "{precise}");
    assert_eq!(
        parse_rfc3339_ms("2000-02-29T00:00:00Z"),
        Some(951_782_400_000.0)
    );
    assert_eq!(parse_rfc3339_ms("not a date"), None);
    assert_eq!(parse_rfc3339_ms("2020-13-01T00:00:00Z"), None);
    assert_eq!(parse_rfc3339_ms("2020-01-01T00:00:00"), None);
}

fn names_listing(names: &[&str]) -> (Listing, Vec<u32>) {
    let entries = names
        .iter()
        .map(|name| entry(name, true, 1, "2020-01-01T00:00:00Z", "text/plain"))
        .collect();
    let listing = Listing::new(TreePath::root(), true, false, entries);
    let order = listing.view_order(Sort::default(), "");
    (listing, order)
}

#[test]
fn type_to_jump_finds_the_next_name_with_the_typed_start() {
    let (listing, order) = names_listing(&["apple", "Banana", "berry", "cherry", "blue"]);
    // Display order: apple, Banana, berry, blue, cherry.
    assert_eq!(listing.jump(&order, None, "b"), Some(1), "case-insensitive");
    assert_eq!(
        listing.jump(&order, Some(1), "b"),
        Some(2),
        "same letter moves on"
    );
    assert_eq!(listing.jump(&order, Some(3), "b"), Some(1), "wraps around");
    assert_eq!(
        listing.jump(&order, Some(1), "bb"),
        Some(2),
        "repeated letter cycles"
    );
    assert_eq!(
        listing.jump(&order, Some(1), "ba"),
        Some(1),
        "a word keeps a match"
    );
    assert_eq!(listing.jump(&order, Some(0), "bl"), Some(3));
    assert_eq!(listing.jump(&order, Some(0), "CH"), Some(4));
    assert_eq!(listing.jump(&order, Some(0), "z"), None);
    assert_eq!(listing.jump(&order, Some(0), ""), None);
    assert_eq!(listing.jump(&[], None, "a"), None);
}

#[test]
fn sort_keys_round_trip_through_url_names() {
    for key in SortKey::ALL {
        assert_eq!(SortKey::from_param(key.param()), Some(key));
    }
    assert_eq!(SortKey::from_param("Size"), None);
}
