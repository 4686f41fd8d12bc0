//! Lanes a person states in the manifest (`images[].lanes_px`): used as given, never fitted.

use ndarray::Array2;

use super::{column_profile, lane_contrast, Lane, LaneGrid, Windows};
use crate::stats;

/// Lane geometry as a person states it: one centre per lane at the image's middle row, left
/// to right, each lane's width, and how far the lanes lean.
#[derive(Debug, Clone, PartialEq)]
pub struct StatedLanes {
    /// Centres at the image's middle row, in the image's own pixels, increasing.
    pub x: Vec<f64>,
    /// Widths, one per lane.
    pub widths: Vec<f64>,
    /// Degrees the lanes lean from upright, positive where a lane runs to the right going
    /// down the image.
    pub lean_deg: f64,
}

/// The grid of `stated` lanes in an image `corrected` (minus its background): the lanes as
/// given, marked stated; the contrasts and noise of the column profile are measured only to
/// report them.
pub fn stated_grid(corrected: &Array2<f32>, stated: &StatedLanes) -> LaneGrid {
    let profile = column_profile(corrected);
    let gaps: Vec<f64> = stated.x.windows(2).map(|w| w[1] - w[0]).collect();
    let pitch = if gaps.is_empty() {
        stated.widths[0]
    } else {
        stats::median(&gaps)
    };
    let smooth = stats::gaussian_smooth(&profile, 1.0);
    let windows = Windows::new(&smooth);
    let noise = (stats::noise_sigma(&profile) as f64).max(1e-6);
    let lane_contrast: Vec<f64> = stated
        .x
        .iter()
        .map(|&c| lane_contrast(&windows, c, pitch))
        .collect();
    let slope = stated.lean_deg.to_radians().tan();
    let middle = corrected.nrows() as f64 / 2.0;
    let lanes = stated
        .x
        .iter()
        .zip(&stated.widths)
        .enumerate()
        .map(|(i, (&x_center, &width))| Lane {
            index: i + 1,
            x_center,
            width,
            anchored: true,
            slope,
            reference_row: middle,
        })
        .collect();
    LaneGrid {
        lanes,
        pitch,
        confidence: stats::median(&lane_contrast) / noise,
        lane_contrast,
        noise,
        profile,
        beyond: [None, None],
        on_band_row: false,
        beyond_profile: false,
        between_edge_lines: false,
        bands_left_out: Vec::new(),
        stated: true,
        count_ambiguous: false,
        shown_by_bands: false,
    }
}
