//! The app's files compressed once at build time (PROTOCOL.md general rules,
//! "Compression"): `x.wasm.br` and `x.wasm.gz` beside each text-like file of a
//! `dist`, at the best levels (brotli 11, gzip 9), since their cost is paid once
//! and not per request. skiff-server sends the variant a browser accepts; a
//! static host may do the same (nginx's `gzip_static`, `brotli_static`).

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Extensions worth compressing; images and fonts are compressed already.
const COMPRESSIBLE: &[&str] = &[
    "html", "js", "mjs", "wasm", "css", "svg", "json", "txt", "map",
];
/// Below this a variant saves less than its own request headers.
const MIN_SIZE: usize = 256;
/// Brotli's window: 4 MiB, beyond any file the app has.
const BROTLI_WINDOW_BITS: i32 = 22;

/// Bytes before and after, for the build's summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Compressible files as built.
    pub raw: usize,
    /// Their brotli variants (the original where none was kept).
    pub brotli: usize,
    /// Their gzip variants (likewise).
    pub gzip: usize,
}

/// Writes `NAME.br` and `NAME.gz` beside every compressible file under `dist`,
/// keeping a variant only when it is smaller than its original.
pub fn compress_dist(dist: &Path) -> Result<Sizes> {
    let mut files = Vec::new();
    collect(dist, &mut files)?;
    let mut sizes = Sizes::default();
    for file in files.iter().filter(|file| is_compressible(file)) {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        sizes.raw += bytes.len();
        sizes.brotli += write_variant(file, "br", &bytes, brotli(&bytes)?)?;
        sizes.gzip += write_variant(file, "gz", &bytes, gzip(&bytes)?)?;
    }
    Ok(sizes)
}

fn is_compressible(file: &Path) -> bool {
    file.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| COMPRESSIBLE.contains(&ext))
}

/// Writes `file.suffix` if `compressed` pays (removing a stale one if not);
/// returns the bytes a browser will get.
fn write_variant(file: &Path, suffix: &str, plain: &[u8], compressed: Vec<u8>) -> Result<usize> {
    let mut name = file.as_os_str().to_owned();
    name.push(format!(".{suffix}"));
    let variant = PathBuf::from(name);
    if plain.len() < MIN_SIZE || compressed.len() >= plain.len() {
        match std::fs::remove_file(&variant) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error).with_context(|| format!("removing {}", variant.display()))
            }
            _ => return Ok(plain.len()),
        }
    }
    std::fs::write(&variant, &compressed)
        .with_context(|| format!("writing {}", variant.display()))?;
    Ok(compressed.len())
}

fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: BROTLI_WINDOW_BITS,
        size_hint: bytes.len(),
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).context("brotli")?;
    Ok(out)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// Every regular file under `dir` (an earlier run's variants too: their extension
/// is not compressible).
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn variants_decode_to_their_originals_and_only_pay_their_way() {
        let dist = tempfile::tempdir().expect("a temp dir");
        let js: Vec<u8> = (0..2000)
            .flat_map(|i| format!("export const a{i} = {i};\n").into_bytes())
            .collect();
        std::fs::create_dir(dist.path().join("snippets")).expect("mkdir");
        std::fs::write(dist.path().join("snippets/app-0123.js"), &js).expect("write js");
        std::fs::write(dist.path().join("tiny.css"), "a{}").expect("write css");
        std::fs::write(dist.path().join("logo.png"), vec![7u8; 4096]).expect("write png");

        let sizes = compress_dist(dist.path()).expect("compress");
        // Twice: a rebuilt dist's variants are not compressed again.
        assert_eq!(compress_dist(dist.path()).expect("compress again"), sizes);

        let mut from_brotli = Vec::new();
        brotli::Decompressor::new(
            &std::fs::read(dist.path().join("snippets/app-0123.js.br")).expect("the .br")[..],
            4096,
        )
        .read_to_end(&mut from_brotli)
        .expect("brotli decodes");
        assert_eq!(from_brotli, js);
        let mut from_gzip = Vec::new();
        flate2::read::GzDecoder::new(
            &std::fs::read(dist.path().join("snippets/app-0123.js.gz")).expect("the .gz")[..],
        )
        .read_to_end(&mut from_gzip)
        .expect("gzip decodes");
        assert_eq!(from_gzip, js);

        for absent in ["tiny.css.br", "tiny.css.gz", "logo.png.br", "logo.png.gz"] {
            assert!(!dist.path().join(absent).exists(), "{absent} was written");
        }
        assert_eq!(sizes.raw, js.len() + 3);
        assert!(
            sizes.brotli < sizes.gzip && sizes.gzip < js.len() / 4,
            "{sizes:?}"
        );
    }
}
