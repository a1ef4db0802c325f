//! The ZIP format (APPNOTE 6.3.x) as a streaming writer needs it: entries are
//! *stored* (no compression: user files are mostly compressed already, and the
//! CPU goes to the network), each file's CRC-32 and sizes come after its bytes in
//! a data descriptor (bit 3), names are UTF-8 (bit 11), and ZIP64 records are
//! written only where a size, an offset or the entry count needs them, so small
//! archives open in every tool.
//!
//! Pure functions of their inputs: [`Archive`] keeps the offsets and the central
//! directory (one small record per entry, the only memory that grows, with the
//! entry count, never with the bytes).

use std::time::SystemTime;

/// Bit 3: CRC-32 and sizes in a data descriptor after the bytes; bit 11: UTF-8 names.
const FLAGS_DESCRIBED: u16 = 0x0008 | 0x0800;
/// Bit 11 alone: a folder has no bytes and so no descriptor.
const FLAGS_FOLDER: u16 = 0x0800;
/// Version 2.0: stored entries and folders.
const VERSION_PLAIN: u16 = 20;
/// Version 4.5: ZIP64.
const VERSION_ZIP64: u16 = 45;
/// "Made by" UNIX (3), so the external attributes carry permission bits.
const MADE_BY: u16 = (3 << 8) | VERSION_ZIP64;
/// The largest value a 32-bit field holds; the value itself means "see ZIP64".
const MAX32: u64 = 0xFFFF_FFFF;
/// Likewise for the 16-bit entry counts.
const MAX16: u64 = 0xFFFF;

/// What the central directory says of one entry.
struct Central {
    name: Vec<u8>,
    folder: bool,
    dos: (u16, u16),
    crc: u32,
    size: u64,
    offset: u64,
    zip64: bool,
}

/// A file entry's header has gone out; its bytes and descriptor come next.
pub struct Open {
    name: Vec<u8>,
    dos: (u16, u16),
    offset: u64,
    zip64: bool,
}

/// An archive being written: where the next byte goes, and what the central
/// directory will list.
#[derive(Default)]
pub struct Archive {
    written: u64,
    central: Vec<Central>,
}

impl Archive {
    /// Bytes written so far.
    #[cfg(test)]
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The local header of folder `name` (ending in `/`).
    pub fn folder(&mut self, name: &str, modified: SystemTime) -> Vec<u8> {
        let dos = dos_time(modified);
        let name = name.as_bytes().to_vec();
        let header = local_header(&name, FLAGS_FOLDER, VERSION_PLAIN, dos, false);
        self.central.push(Central {
            name,
            folder: true,
            dos,
            crc: 0,
            size: 0,
            offset: self.written,
            zip64: false,
        });
        self.advance(header)
    }

    /// The local header of file `name`, which will hold about `size` bytes (a
    /// file of 4 GiB or more gets ZIP64 sizes in its descriptor).
    pub fn start_file(&mut self, name: &str, size: u64, modified: SystemTime) -> (Open, Vec<u8>) {
        let dos = dos_time(modified);
        let name = name.as_bytes().to_vec();
        let zip64 = size >= MAX32;
        let version = if zip64 { VERSION_ZIP64 } else { VERSION_PLAIN };
        let header = local_header(&name, FLAGS_DESCRIBED, version, dos, zip64);
        let open = Open {
            name,
            dos,
            offset: self.written,
            zip64,
        };
        (open, self.advance(header))
    }

    /// Counts `n` bytes of the open file's contents as written.
    pub fn wrote(&mut self, n: usize) {
        self.written += n as u64;
    }

    /// The data descriptor that ends file `open`, of `size` bytes with `crc`.
    pub fn end_file(&mut self, open: Open, crc: u32, size: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        put32(&mut out, 0x0807_4b50);
        put32(&mut out, crc);
        if open.zip64 {
            put64(&mut out, size);
            put64(&mut out, size);
        } else {
            // A file that grew past 4 GiB while read was cut at its stat size by
            // the caller, so this fits.
            put32(&mut out, size.min(MAX32) as u32);
            put32(&mut out, size.min(MAX32) as u32);
        }
        self.central.push(Central {
            name: open.name,
            folder: false,
            dos: open.dos,
            crc,
            size,
            offset: open.offset,
            zip64: open.zip64,
        });
        self.advance(out)
    }

    /// The central directory and the end records: the archive's last bytes.
    pub fn finish(&mut self) -> Vec<u8> {
        let start = self.written;
        let mut out = Vec::new();
        for entry in &self.central {
            central_record(&mut out, entry);
        }
        let size = out.len() as u64;
        let count = self.central.len() as u64;
        if count >= MAX16 || size >= MAX32 || start >= MAX32 {
            let record_at = start + size;
            // ZIP64 end of central directory record, then its locator.
            put32(&mut out, 0x0606_4b50);
            put64(&mut out, 44);
            put16(&mut out, MADE_BY);
            put16(&mut out, VERSION_ZIP64);
            put32(&mut out, 0);
            put32(&mut out, 0);
            put64(&mut out, count);
            put64(&mut out, count);
            put64(&mut out, size);
            put64(&mut out, start);
            put32(&mut out, 0x0706_4b50);
            put32(&mut out, 0);
            put64(&mut out, record_at);
            put32(&mut out, 1);
        }
        put32(&mut out, 0x0605_4b50);
        put16(&mut out, 0);
        put16(&mut out, 0);
        put16(&mut out, count.min(MAX16) as u16);
        put16(&mut out, count.min(MAX16) as u16);
        put32(&mut out, size.min(MAX32) as u32);
        put32(&mut out, start.min(MAX32) as u32);
        put16(&mut out, 0);
        self.advance(out)
    }

    fn advance(&mut self, bytes: Vec<u8>) -> Vec<u8> {
        self.written += bytes.len() as u64;
        bytes
    }
}

fn local_header(name: &[u8], flags: u16, version: u16, dos: (u16, u16), zip64: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(30 + name.len() + 20);
    put32(&mut out, 0x0403_4b50);
    put16(&mut out, version);
    put16(&mut out, flags);
    put16(&mut out, 0); // stored
    put16(&mut out, dos.1);
    put16(&mut out, dos.0);
    put32(&mut out, 0); // CRC-32: in the descriptor (or 0 for a folder)
    let sizes = if zip64 { MAX32 as u32 } else { 0 };
    put32(&mut out, sizes);
    put32(&mut out, sizes);
    put16(&mut out, name.len() as u16);
    put16(&mut out, if zip64 { 20 } else { 0 });
    out.extend_from_slice(name);
    if zip64 {
        // The sizes are in the descriptor; here they are 0, as APPNOTE 4.5.3 asks.
        put16(&mut out, 0x0001);
        put16(&mut out, 16);
        put64(&mut out, 0);
        put64(&mut out, 0);
    }
    out
}

fn central_record(out: &mut Vec<u8>, entry: &Central) {
    let big_size = entry.size >= MAX32;
    let big_offset = entry.offset >= MAX32;
    let mut extra = Vec::new();
    if big_size || big_offset {
        let mut fields = Vec::new();
        if big_size {
            put64(&mut fields, entry.size);
            put64(&mut fields, entry.size);
        }
        if big_offset {
            put64(&mut fields, entry.offset);
        }
        put16(&mut extra, 0x0001);
        put16(&mut extra, fields.len() as u16);
        extra.extend_from_slice(&fields);
    }
    let version = if entry.zip64 || !extra.is_empty() {
        VERSION_ZIP64
    } else {
        VERSION_PLAIN
    };
    let (flags, mode) = if entry.folder {
        (FLAGS_FOLDER, (0o040_755u32 << 16) | 0x10)
    } else {
        (FLAGS_DESCRIBED, 0o100_644u32 << 16)
    };
    put32(out, 0x0201_4b50);
    put16(out, MADE_BY);
    put16(out, version);
    put16(out, flags);
    put16(out, 0);
    put16(out, entry.dos.1);
    put16(out, entry.dos.0);
    put32(out, entry.crc);
    let size = if big_size { MAX32 } else { entry.size } as u32;
    put32(out, size);
    put32(out, size);
    put16(out, entry.name.len() as u16);
    put16(out, extra.len() as u16);
    put16(out, 0); // comment
    put16(out, 0); // disk
    put16(out, 0); // internal attributes
    put32(out, mode);
    put32(out, if big_offset { MAX32 } else { entry.offset } as u32);
    out.extend_from_slice(&entry.name);
    out.extend_from_slice(&extra);
}

/// MS-DOS date and time (UTC, 2-second steps, 1980–2107), as `(date, time)`.
fn dos_time(when: SystemTime) -> (u16, u16) {
    let seconds = when
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(seconds) else {
        return (0x21, 0); // 1980-01-01
    };
    let year = at.year().clamp(1980, 2107);
    if year != at.year() {
        return if at.year() < 1980 {
            (0x21, 0)
        } else {
            (0xFF9F, 0xBF7D)
        };
    }
    let date =
        (((year - 1980) as u16) << 9) | ((u8::from(at.month()) as u16) << 5) | at.day() as u16;
    let time = ((at.hour() as u16) << 11) | ((at.minute() as u16) << 5) | (at.second() as u16 / 2);
    (date, time)
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dos_time_of_a_known_moment() {
        // 2026-12-02 23:52:21 UTC.
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_255_541);
        let (date, time) = dos_time(when);
        assert_eq!(date >> 9, 46);
        assert_eq!((date >> 5) & 0xF, 12);
        assert_eq!(date & 0x1F, 2);
        assert_eq!(time >> 11, 23);
        assert_eq!((time >> 5) & 0x3F, 52);
        assert_eq!((time & 0x1F) * 2, 20);
        assert_eq!(dos_time(SystemTime::UNIX_EPOCH), (0x21, 0));
    }

    #[test]
    fn small_archives_have_no_zip64_records() {
        let mut archive = Archive::default();
        let mut bytes = archive.folder("a/", SystemTime::UNIX_EPOCH);
        let (open, header) = archive.start_file("a/b.txt", 2, SystemTime::UNIX_EPOCH);
        bytes.extend(header);
        bytes.extend(b"hi");
        archive.wrote(2);
        bytes.extend(archive.end_file(open, crc32fast::hash(b"hi"), 2));
        bytes.extend(archive.finish());
        assert_eq!(archive.written(), bytes.len() as u64);
        assert!(!bytes.windows(4).any(|w| w == [0x50, 0x4b, 0x06, 0x06]));
        assert_eq!(&bytes[bytes.len() - 22..bytes.len() - 18], b"PK\x05\x06");
    }
}
