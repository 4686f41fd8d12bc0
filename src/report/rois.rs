//! `rois/<image>.zip` and `rois/<image>.ijm`: an image's lanes and band boxes as an ImageJ ROI
//! set, and a macro that opens the image with it in Fiji/ImageJ, so that a person can check
//! and measure the same pixels there.
//!
//! The format is `io::roi_set`'s. A band's rectangle covers exactly the pixels its volume sums (rows
//! `top_px..=bottom_px`, columns `left_px..=right_px`); a lane's covers its width about its
//! centre at the image's middle row over the image's full height (a leaning lane is drawn
//! upright).

use std::path::Path;

use crate::io::roi_set::RectangleRoi;
use crate::results::{BandRow, DetectionRow, LaneRow};

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
