//! `rois/<image>.zip` and `rois/<image>.ijm`: an image's lanes and band boxes as an ImageJ ROI
//! set, and a macro that opens the image with it in Fiji/ImageJ, so that a person can check
//! and measure the same pixels there.
//!
//! Each ROI is encoded as ImageJ's `RoiEncoder` writes a rectangle (`ij/io/RoiEncoder.java`,
//! version 228): a 64-byte big-endian header (`Iout`, version, type 1 = rectangle, top, left,
//! bottom, right), then a 64-byte second header whose name offset and length point at the
//! ROI's name in UTF-16. A band's rectangle covers exactly the pixels its volume sums (rows
//! `top_px..=bottom_px`, columns `left_px..=right_px`); a lane's covers its width about its
//! centre at the image's middle row over the image's full height (a leaning lane is drawn
//! upright).

use std::io::Write;
use std::path::Path;

use crate::results::{BandRow, DetectionRow, LaneRow};

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

/// The ROIs of one image: its lanes, then its band boxes, named `lane 3 (LPS)` and
/// `lane 3 · caspase-1 p20`.
pub fn image_rois(
    detection: &DetectionRow,
    lanes: &[&LaneRow],
    bands: &[&BandRow],
) -> Vec<RectangleRoi> {
    let lane_rois = lanes.iter().map(|lane| {
        let left = (lane.x_center_px - lane.width_px / 2.0).round().max(0.0) as usize;
        let right = ((lane.x_center_px + lane.width_px / 2.0).round().max(0.0) as usize)
            .min(detection.width_px);
        RectangleRoi {
            name: if lane.condition.is_empty() {
                format!("lane {}", lane.lane)
            } else {
                format!("lane {} ({})", lane.lane, lane.condition)
            },
            top: 0,
            left,
            bottom: detection.height_px,
            right: right.max(left + 1),
        }
    });
    let band_rois = bands.iter().map(|band| RectangleRoi {
        name: if band.target.is_empty() {
            format!("lane {} · band at row {:.0}", band.lane, band.y_center_px)
        } else {
            format!("lane {} · {}", band.lane, band.target)
        },
        top: band.top_px,
        left: band.left_px,
        bottom: band.bottom_px + 1,
        right: band.right_px + 1,
    });
    lane_rois.chain(band_rois).collect()
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

/// A macro that opens `image` and its ROI set `rois` in Fiji/ImageJ (run it with Plugins ›
/// Macros › Run…, or `ImageJ -macro file.ijm`).
pub fn open_macro(image: &Path, rois: &Path) -> String {
    let quoted = |p: &Path| {
        p.display()
            .to_string()
            .replace('\\', "/")
            .replace('"', "\\\"")
    };
    format!(
        "// Opens the image with the lanes and band boxes blotquant measured.\n\
         // A band ROI covers exactly the pixels whose sum is its `volume` in bands.csv\n\
         // (on images with dark bands, volume = pixels × full scale − ImageJ's RawIntDen).\n\
         open(\"{}\");\n\
         roiManager(\"reset\");\n\
         roiManager(\"Open\", \"{}\");\n\
         roiManager(\"Show All with labels\");\n",
        quoted(image),
        quoted(rois)
    )
}
