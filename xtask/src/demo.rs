//! The demo folder `cargo xtask serve` shows when no folder is given: a bit of everything the
//! app must cope with (nesting, unicode names, many entries, an empty folder, binary files).

use anyhow::{Context, Result};
use flate2::write::ZlibEncoder;
use flate2::{Compression, Crc};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Creates what is missing of `target/skiff-demo` and returns its path; files that already
/// exist are left alone, so running it again is cheap and keeps any local changes.
pub fn ensure_demo_folder(target_dir: &Path) -> Result<PathBuf> {
    let root = target_dir.join("skiff-demo");
    let text_files: [(&str, &str); 9] = [
        (
            "README.md",
            "# Skiff demo\n\nA folder made by `cargo xtask serve` to try the app.\n",
        ),
        ("notes.txt", "Plain text.\nSecond line.\n"),
        (
            "data.json",
            "{\n  \"name\": \"skiff\",\n  \"entries\": [1, 2, 3]\n}\n",
        ),
        (
            "table.csv",
            "id,name,size\n1,alpha,10\n2,beta,20\n3,gamma,30\n",
        ),
        (
            "projects/skiff/src/main.rs",
            "fn main() {\n    println!(\"hello\");\n}\n",
        ),
        (
            "projects/skiff/docs/guide.md",
            "# Guide\n\nNested two levels down.\n",
        ),
        (
            "Ünïcödé/café crème.txt",
            "Accents in both the folder and the file name.\n",
        ),
        ("日本語/こんにちは.txt", "こんにちは世界\n"),
        ("emoji 😀/🎉 party.md", "# 🎉\n"),
    ];
    for (path, contents) in text_files {
        write_new(&root.join(path), contents.as_bytes())?;
    }
    write_new(&root.join("pixels.png"), &gradient_png(32, 32)?)?;
    write_new(&root.join("blob.bin"), &pseudo_random_bytes(300 * 1024))?;
    for index in 1..=150 {
        let name = format!("many/item-{index:03}.txt");
        write_new(&root.join(name), format!("item {index}\n").as_bytes())?;
    }
    let empty = root.join("empty folder");
    std::fs::create_dir_all(&empty).with_context(|| format!("creating {}", empty.display()))?;
    Ok(root)
}

fn write_new(path: &Path, contents: &[u8]) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

/// A small RGB PNG written by hand, so the demo needs no image crate.
fn gradient_png(width: u32, height: u32) -> Result<Vec<u8>> {
    let mut pixels = Vec::new();
    for y in 0..height {
        pixels.push(0); // filter type "none" for this scanline
        for x in 0..width {
            pixels.extend([(x * 255 / width) as u8, (y * 255 / height) as u8, 160]);
        }
    }
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&pixels)?;
    let compressed = encoder.finish()?;

    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]); // 8-bit depth, truecolour, deflate, no filter, no interlace

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", &header),
        (b"IDAT", &compressed),
        (b"IEND", &Vec::new()),
    ] {
        png.extend((data.len() as u32).to_be_bytes());
        png.extend(kind);
        png.extend(data);
        let mut crc = Crc::new();
        crc.update(kind);
        crc.update(data);
        png.extend(crc.sum().to_be_bytes());
    }
    Ok(png)
}

/// Deterministic noise (xorshift), so the file does not compress away.
fn pseudo_random_bytes(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}
