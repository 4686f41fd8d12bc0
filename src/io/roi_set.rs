//! ImageJ ROI sets: the `.roi` format of ImageJ's `RoiEncoder`/`RoiDecoder`
//! (`ij/io/RoiEncoder.java`, version 228) inside a zip, as the ROI Manager saves and opens
//! them. Rectangles are written; any ROI is read as its bounding rectangle, with its name.
//!
//! A `.roi` is a 64-byte big-endian header (`Iout`, version, type, then top, left, bottom,
//! right as 16-bit integers, the header-2 offset at byte 60), the coordinates of a polygon,
//! then a 64-byte second header whose name offset and length (bytes 16 and 20) point at the
//! ROI's name in UTF-16.

use std::io::{Read, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// `RoiEncoder`'s version this writes.
const ROI_VERSION: u16 = 228;
/// `Roi.RECTANGLE` in ImageJ's type codes.
const RECTANGLE: u8 = 1;
/// Size of each of the two headers, in bytes.
const HEADER_SIZE: usize = 64;

/// One rectangle ROI: pixels `top..bottom` × `left..right` (exclusive ends), with a name.
#[derive(Debug, Clone, PartialEq)]
pub struct RectangleRoi {
    /// The name the ROI Manager lists.
    pub name: String,
    /// First row.
    pub top: usize,
    /// First column.
    pub left: usize,
    /// One past the last row.
    pub bottom: usize,
    /// One past the last column.
    pub right: usize,
}

/// The bytes of one `.roi` file, as `RoiEncoder` writes a named rectangle.
pub fn encode(roi: &RectangleRoi) -> Vec<u8> {
    let short = |v: usize| (v.min(i16::MAX as usize) as u16).to_be_bytes();
    let mut header = [0u8; HEADER_SIZE];
    header[0..4].copy_from_slice(b"Iout");
    header[4..6].copy_from_slice(&ROI_VERSION.to_be_bytes());
    header[6] = RECTANGLE;
    header[8..10].copy_from_slice(&short(roi.top));
    header[10..12].copy_from_slice(&short(roi.left));
    header[12..14].copy_from_slice(&short(roi.bottom));
    header[14..16].copy_from_slice(&short(roi.right));
    // A rectangle has no coordinates: the second header follows the first directly.
    let header2_offset = HEADER_SIZE as u32;
    header[60..64].copy_from_slice(&header2_offset.to_be_bytes());
    let name: Vec<u16> = roi.name.encode_utf16().collect();
    let mut header2 = [0u8; HEADER_SIZE];
    let name_offset = (2 * HEADER_SIZE) as u32;
    header2[16..20].copy_from_slice(&name_offset.to_be_bytes());
    header2[20..24].copy_from_slice(&(name.len() as u32).to_be_bytes());
    let mut bytes = Vec::with_capacity(2 * HEADER_SIZE + 2 * name.len());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&header2);
    for unit in name {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    bytes
}

/// An ImageJ ROI set: a zip of `.roi` files, in the order the ROI Manager lists them.
pub fn roi_set(rois: &[RectangleRoi]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (i, roi) in rois.iter().enumerate() {
        // Entry names must be unique; the ROI's own name is inside it.
        zip.start_file(format!("{:04}.roi", i + 1), options)
            .and_then(|()| Ok(zip.write_all(&encode(roi))?))
            .expect("writing to memory");
    }
    zip.finish().expect("writing to memory").into_inner()
}

/// The ROIs of the ROI set at `path`, in the zip's order; each as its bounding rectangle, named
/// by its own name (else by its entry's). A file that is no ROI set is an image error naming
/// it.
pub fn read_roi_set(path: &Path) -> Result<Vec<RectangleRoi>> {
    let bad = |reason: String| {
        Error::image(
            path,
            reason,
            "save the ROI set from ImageJ's or Fiji's ROI Manager (More › Save…) as a .zip",
        )
    };
    let file = std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| bad(format!("not a zip: {e}")))?;
    let mut rois = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| bad(format!("entry {}: {e}", i + 1)))?;
        let entry_name = entry.name().to_string();
        if !entry_name.to_lowercase().ends_with(".roi") {
            continue;
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("{entry_name}: {e}")))?;
        let fallback = entry_name.trim_end_matches(".roi").to_string();
        rois.push(
            decode(&bytes, fallback).map_err(|reason| bad(format!("{entry_name}: {reason}")))?,
        );
    }
    Ok(rois)
}

/// One `.roi` file's bounding rectangle and name (`fallback` where it stores none).
pub fn decode(bytes: &[u8], fallback: String) -> std::result::Result<RectangleRoi, String> {
    if bytes.len() < HEADER_SIZE || &bytes[0..4] != b"Iout" {
        return Err("not an ImageJ ROI (no `Iout` header)".into());
    }
    let short = |at: usize| i16::from_be_bytes([bytes[at], bytes[at + 1]]);
    let int = |at: usize| {
        u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
    };
    let (top, left, bottom, right) = (short(8), short(10), short(12), short(14));
    if bottom <= top || right <= left || top < 0 || left < 0 {
        return Err(format!(
            "an empty or negative rectangle (top {top}, left {left}, bottom {bottom}, right {right})"
        ));
    }
    let header2 = int(60);
    let name = (header2 > 0 && header2 + HEADER_SIZE <= bytes.len())
        .then(|| (int(header2 + 16), int(header2 + 20)))
        .filter(|&(offset, length)| length > 0 && offset + 2 * length <= bytes.len())
        .map(|(offset, length)| {
            let units: Vec<u16> = (0..length)
                .map(|k| u16::from_be_bytes([bytes[offset + 2 * k], bytes[offset + 2 * k + 1]]))
                .collect();
            String::from_utf16_lossy(&units)
        });
    Ok(RectangleRoi {
        name: name.unwrap_or(fallback),
        top: top as usize,
        left: left as usize,
        bottom: bottom as usize,
        right: right as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rectangle_reads_back_as_written_through_a_zip() {
        let rois = vec![
            RectangleRoi {
                name: "lane 3 · caspase-1 p20".into(),
                top: 12,
                left: 40,
                bottom: 31,
                right: 77,
            },
            RectangleRoi {
                name: "lane 4 (LPS + AMI 10 µM)".into(),
                top: 0,
                left: 80,
                bottom: 420,
                right: 118,
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("set.zip");
        std::fs::write(&path, roi_set(&rois)).unwrap();
        assert_eq!(read_roi_set(&path).unwrap(), rois);
        let not_a_zip = dir.path().join("x.zip");
        std::fs::write(&not_a_zip, b"hello").unwrap();
        assert!(read_roi_set(&not_a_zip)
            .unwrap_err()
            .to_string()
            .contains("x.zip"));
    }
}
