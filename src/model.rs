//! Pure data logic of the browser: a fetched listing, its sort and filter order,
//! and the human formats of sizes. No browser APIs here, so it is unit-tested natively.

pub use skiff_protocol::{human_size, natural_cmp};
use skiff_protocol::{RawFileData, TreePath};
use std::cmp::Ordering;
use std::sync::Arc;

/// A directory listing as the app keeps it: the entries plus precomputed sort keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// The directory these entries belong to.
    pub path: TreePath,
    /// Whether the server says this is its root.
    pub is_root: bool,
    /// Whether this client may write here.
    pub writes_supported: bool,
    /// The entries in server order.
    pub entries: Vec<RawFileData>,
    /// Only the entries read so far: the rest of the folder is still coming.
    pub partial: bool,
    /// Lower-cased names, index-aligned with `entries` (sorting 100,000 names
    /// must not lower-case each one ~17 times).
    name_keys: Vec<String>,
    /// Modification times in milliseconds since the epoch (NaN when unparsable).
    modified_ms: Vec<f64>,
}

impl Listing {
    /// Builds a listing, dropping entries whose names are not safe path segments
    /// (a hostile or broken server must not make the app build paths like `a/../b`).
    pub fn new(
        path: TreePath,
        is_root: bool,
        writes_supported: bool,
        entries: Vec<RawFileData>,
    ) -> Self {
        let entries: Vec<RawFileData> = entries
            .into_iter()
            .filter(|entry| path.child(&entry.name).is_ok())
            .collect();
        let name_keys = entries
            .iter()
            .map(|entry| entry.name.to_lowercase())
            .collect();
        let modified_ms = entries
            .iter()
            .map(|entry| parse_rfc3339_ms(&entry.last_modified).unwrap_or(f64::NAN))
            .collect();
        Self {
            path,
            is_root,
            writes_supported,
            entries,
            partial: false,
            name_keys,
            modified_ms,
        }
    }

    /// The entries of a big folder read so far, shown while the rest still comes.
    pub fn partial(
        path: TreePath,
        is_root: bool,
        writes_supported: bool,
        entries: Vec<RawFileData>,
    ) -> Self {
        Self {
            partial: true,
            ..Self::new(path, is_root, writes_supported, entries)
        }
    }

    /// Names of the sub-directories, naturally sorted (what the tree shows).
    pub fn directory_names(&self) -> Vec<String> {
        let mut dirs: Vec<usize> = (0..self.entries.len())
            .filter(|&i| self.entries[i].is_dir())
            .collect();
        dirs.sort_by(|&a, &b| self.compare(a, b, SortKey::Name));
        dirs.into_iter()
            .map(|i| self.entries[i].name.clone())
            .collect()
    }

    /// Type-to-jump: the display position (in `order`) of the next entry whose name starts
    /// with `typed` (case-insensitive), searching from the selected position `from` and
    /// wrapping around. The same letter pressed again (`"a"`, `"aa"`) moves on to the next
    /// such entry; a longer word keeps the selected entry while it still matches.
    pub fn jump(&self, order: &[u32], from: Option<usize>, typed: &str) -> Option<usize> {
        let typed = typed.to_lowercase();
        let mut letters = typed.chars();
        let first = letters.next()?;
        let (prefix, skip_current) = if letters.all(|c| c == first) {
            (first.to_string(), true)
        } else {
            (typed.clone(), false)
        };
        let count = order.len();
        let start = match (from, skip_current) {
            (Some(from), true) => from + 1,
            (Some(from), false) => from,
            (None, _) => 0,
        };
        (0..count)
            .map(|step| (start + step) % count)
            .find(|&position| {
                self.name_keys
                    .get(order[position] as usize)
                    .is_some_and(|name| name.starts_with(&prefix))
            })
    }

    /// Index of the entry with exactly this name.
    pub fn position_of(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|entry| entry.name == name)
    }

    /// Indices of the entries to show, in display order: folders first, then by `sort`,
    /// keeping only names containing `filter` (case-insensitive).
    pub fn view_order(&self, sort: Sort, filter: &str) -> Vec<u32> {
        let needle = filter.trim().to_lowercase();
        let mut order: Vec<u32> = (0..self.entries.len() as u32)
            .filter(|&i| needle.is_empty() || self.name_keys[i as usize].contains(&needle))
            .collect();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            let folders_first = self.entries[b].is_dir().cmp(&self.entries[a].is_dir());
            folders_first.then_with(|| {
                let by_key = self.compare(a, b, sort.key);
                let by_key = if sort.ascending {
                    by_key
                } else {
                    by_key.reverse()
                };
                // Ties fall back to the name, then the raw name, so the order is total.
                by_key
                    .then_with(|| natural_cmp(&self.name_keys[a], &self.name_keys[b]))
                    .then_with(|| self.entries[a].name.cmp(&self.entries[b].name))
            })
        });
        order
    }

    fn compare(&self, a: usize, b: usize, key: SortKey) -> Ordering {
        let (ea, eb) = (&self.entries[a], &self.entries[b]);
        match key {
            SortKey::Name => natural_cmp(&self.name_keys[a], &self.name_keys[b]),
            SortKey::Size => ea.size.cmp(&eb.size),
            SortKey::Modified => self.modified_ms[a].total_cmp(&self.modified_ms[b]),
            SortKey::Type => ea.mime_type.cmp(&eb.mime_type),
        }
    }

    /// Milliseconds since the epoch of entry `index`, if its timestamp parsed.
    pub fn modified_ms(&self, index: usize) -> Option<f64> {
        self.modified_ms
            .get(index)
            .copied()
            .filter(|ms| !ms.is_nan())
    }
}

/// Shared, cheaply clonable listing as signals carry it.
pub type SharedListing = Arc<Listing>;

/// A column the listing can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// Natural, case-insensitive name order.
    Name,
    /// Size in bytes.
    Size,
    /// Last modification time.
    Modified,
    /// MIME type.
    Type,
}

impl SortKey {
    /// Every column, in display order.
    pub const ALL: [SortKey; 4] = [
        SortKey::Name,
        SortKey::Size,
        SortKey::Modified,
        SortKey::Type,
    ];

    /// How the column is named in the URL (`?sort=size`).
    pub fn param(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Size => "size",
            SortKey::Modified => "modified",
            SortKey::Type => "type",
        }
    }

    /// The column a URL names, if it names one.
    pub fn from_param(param: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|key| key.param() == param)
    }

    /// Column heading.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "Name",
            SortKey::Size => "Size",
            SortKey::Modified => "Modified",
            SortKey::Type => "Type",
        }
    }
}

/// Sort column and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// The column.
    pub key: SortKey,
    /// Ascending (A→Z, small→big, old→new) when true.
    pub ascending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Self {
            key: SortKey::Name,
            ascending: true,
        }
    }
}

impl Sort {
    /// What clicking a column header does: same column flips, another starts ascending.
    pub fn toggled(self, key: SortKey) -> Self {
        if self.key == key {
            Self {
                key,
                ascending: !self.ascending,
            }
        } else {
            Self {
                key,
                ascending: true,
            }
        }
    }
}

/// `1234567` → `1,234,567` (exact byte counts in the details pane).
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Parses an RFC 3339 timestamp into milliseconds since the Unix epoch.
pub fn parse_rfc3339_ms(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let slice = b.get(range)?;
        slice
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| slice.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut fraction_ms = 0.0;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let digits = text.get(start..i).filter(|d| !d.is_empty())?;
        fraction_ms = fraction_ms_of(digits);
    }
    let offset_minutes = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let minutes = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *sign == b'+' {
                minutes
            } else {
                -minutes
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds as f64 * 1000.0 + fraction_ms)
}

/// The milliseconds in a fraction of a second written as its `digits` (`"695457919"` →
/// 695.457919), by integer arithmetic: `str::parse::<f64>` alone brings ~10 KB of tables into
/// the wasm (docs/design/bundle-size.md). Digits past the nanosecond do not matter here.
fn fraction_ms_of(digits: &str) -> f64 {
    let nanos = digits
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0u32, |nanos, digit| nanos * 10 + u32::from(digit - b'0'));
    f64::from(nanos) / 1e6
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests;
