//! Leaning lanes: lanes whose signal runs down the image show their lean, and every lane of
//! the grid follows the lean their slopes describe.

use ndarray::Array2;
use rayon::prelude::*;

use super::{grid_at, Lane, LaneGrid};
use crate::stats;

/// The grid with its lanes leaning as the image shows them (a membrane imaged turned, lanes
/// fanning out of a gel). The lanes whose signal runs down several horizontal segments of the
/// image (a ladder, a lane of many bands) show their lean: the straight line through their
/// segments' centroids, where it stands 5 standard errors (of the centroids' scatter about
/// it) from upright. Their slopes are fitted as a straight line across the image (robust
/// to one lane measured wrongly): one slope for all lanes where one lane shows it, a
/// fan where lanes at different places lean differently. The column profile is then taken
/// along the lean, and the lanes are placed on that profile, as the grid was on the upright
/// one, each with its centre at the middle row. Leans that move every lane less than 2 px
/// over the image's height are none. Lanes placed on a row of bands or between edge lines are
/// left as they are (the image placed them), and so are the lanes of images under 300 rows
/// (figure panels).
pub fn lean(corrected: &Array2<f32>, grid: LaneGrid) -> LaneGrid {
    let height = corrected.nrows();
    if grid.placed_in_two_dimensions() || height < MIN_LEAN_IMAGE_ROWS {
        return grid;
    }
    let middle = 0.5 * (height - 1) as f64;
    let measured: Vec<LaneLean> = grid
        .lanes
        .par_iter()
        .map(|lane| lane_lean(corrected, lane, grid.pitch))
        .collect();
    // Only a lane that stands out of the column profile's noise shows its lean: in an empty
    // lane the "signal" followed down the image is what the background left (a blotch, a
    // vignette's edge), which leans any way.
    let stands_out = |i: usize| grid.lane_stands_out(i);
    let shown: Vec<(f64, f64)> = grid
        .lanes
        .iter()
        .zip(&measured)
        .enumerate()
        .filter(|&(i, _)| stands_out(i))
        .filter_map(|(_, (lane, m))| m.slope.map(|s| (lane.x_center, s)))
        .collect();
    let Some(lean) = Lean::through(&shown) else {
        return grid;
    };
    let slopes: Vec<f64> = grid
        .lanes
        .iter()
        .map(|l| lean.slope_at(l.x_center))
        .collect();
    if slopes
        .iter()
        .all(|s| s.abs() * (height as f64) < MIN_LEAN_PX)
    {
        return grid;
    }
    // Each lane's place at the middle row, from its place on the upright profile: that is its
    // centre at the rows where the image's signal lies.
    let rows: Vec<f64> = measured
        .iter()
        .filter_map(|m| m.centroid.map(|(_, y)| y))
        .collect();
    let signal_row = stats::median(&rows);
    let centres: Vec<f64> = grid
        .lanes
        .iter()
        .zip(&slopes)
        .map(|(lane, slope)| lane.x_center + slope * (middle - signal_row))
        .collect();
    let column_slopes: Vec<f64> = (0..corrected.ncols())
        .map(|x| lean.slope_at(x as f64))
        .collect();
    let profile = fanning_column_profile(corrected, &column_slopes, middle);
    let mut leaning = grid_at(&profile, &centres, grid.pitch);
    leaning.beyond_profile = grid.beyond_profile;
    // A side that ends at the frame (its end lane was a frame line, or off the membrane) has
    // nothing beyond it, leaning or not.
    for (leant, upright) in leaning.beyond.iter_mut().zip(grid.beyond) {
        if upright.is_none() {
            *leant = None;
        }
    }
    for lane in &mut leaning.lanes {
        lane.slope = lean.slope_at(lane.x_center);
        lane.reference_row = middle;
    }
    leaning
}

/// How lanes lean across the image: a lane centred at column `x` moves
/// `slope + spread · (x − centre)` px right per row (a turned membrane: `spread` 0; lanes
/// fanning out of a gel: slopes growing across it). Beyond the lanes that showed their lean
/// the slope stays at the nearest one's, rather than growing without bound.
#[derive(Debug, Clone, Copy)]
struct Lean {
    slope: f64,
    spread: f64,
    centre: f64,
    /// The range of slopes the measured lanes span.
    low: f64,
    high: f64,
}

impl Lean {
    /// The line of slope on lane centre through the lanes' `shown` (centre, slope) pairs,
    /// robust to a lane measured wrongly (Theil–Sen: the median of the pairwise spreads, and
    /// the median slope that leaves); `None` when no lane showed its lean.
    fn through(shown: &[(f64, f64)]) -> Option<Lean> {
        if shown.is_empty() {
            return None;
        }
        let centre = shown.iter().map(|p| p.0).sum::<f64>() / shown.len() as f64;
        let spreads: Vec<f64> = shown
            .iter()
            .enumerate()
            .flat_map(|(i, a)| shown[i + 1..].iter().map(move |b| (a, b)))
            .filter(|(a, b)| a.0 != b.0)
            .map(|(a, b)| (b.1 - a.1) / (b.0 - a.0))
            .collect();
        let spread = if spreads.is_empty() {
            0.0
        } else {
            stats::median(&spreads)
        };
        let at_centre: Vec<f64> = shown
            .iter()
            .map(|p| p.1 - spread * (p.0 - centre))
            .collect();
        let slope = stats::median(&at_centre);
        let at = |x: f64| slope + spread * (x - centre);
        let ends = shown.iter().map(|p| at(p.0));
        let (low, high) = ends.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), s| {
            (l.min(s), h.max(s))
        });
        Some(Lean {
            slope,
            spread,
            centre,
            low,
            high,
        })
    }

    fn slope_at(&self, x: f64) -> f64 {
        (self.slope + self.spread * (x - self.centre)).clamp(self.low, self.high)
    }
}

/// [`column_profile`] along lanes that move `slope` px right per row, by column at
/// `reference_row` (rows moved by whole pixels; columns beyond the image count as 0).
pub(super) fn leaning_column_profile(
    corrected: &Array2<f32>,
    slope: f64,
    reference_row: f64,
) -> Vec<f32> {
    let width = corrected.ncols();
    let mut sums = vec![0f32; width];
    // Row by row, so memory is read in order; each column still sums top to bottom.
    for (y, row) in corrected.rows().into_iter().enumerate() {
        let shift = (slope * (y as f64 - reference_row)).round() as i64;
        let reach = shift.unsigned_abs().min(width as u64) as usize;
        // Column x takes the row's pixel x + shift, where that lies inside the image.
        let (columns, pixels) = if shift >= 0 {
            (0..width - reach, reach..width)
        } else {
            (reach..width, 0..width - reach)
        };
        for (sum, v) in sums[columns].iter_mut().zip(row.slice(ndarray::s![pixels])) {
            *sum += v.max(0.0);
        }
    }
    let rows = corrected.nrows() as f32;
    sums.iter().map(|s| s / rows).collect()
}

/// [`column_profile`] along lanes whose slope differs by column: column `x` at
/// `reference_row` follows the line moving `slopes[x]` px right per row (pixels rounded to
/// whole ones; beyond the image counts as 0). The same as [`leaning_column_profile`] where
/// all slopes are equal.
fn fanning_column_profile(corrected: &Array2<f32>, slopes: &[f64], reference_row: f64) -> Vec<f32> {
    if slopes.windows(2).all(|p| p[0] == p[1]) {
        return leaning_column_profile(
            corrected,
            slopes.first().copied().unwrap_or(0.0),
            reference_row,
        );
    }
    let width = corrected.ncols();
    let mut sums = vec![0f32; width];
    for (y, row) in corrected.rows().into_iter().enumerate() {
        let dy = y as f64 - reference_row;
        for (x, (sum, slope)) in sums.iter_mut().zip(slopes).enumerate() {
            let source = (x as f64 + slope * dy).round();
            if source >= 0.0 && source < width as f64 {
                *sum += row[source as usize].max(0.0);
            }
        }
    }
    let rows = corrected.nrows() as f32;
    sums.iter().map(|s| s / rows).collect()
}

/// Images under this many rows show no lean: in a figure panel (a few strips and labels in
/// a couple of hundred rows) a lane's centroids follow the labels and the strips' offsets,
/// and on the real panels they gave leans of either sign for upright lanes.
const MIN_LEAN_IMAGE_ROWS: usize = 300;
/// Leans that move a lane less than this over the image's height are no lean.
const MIN_LEAN_PX: f64 = 2.0;
/// A lane's segment centroids lie this close to its centre line, or within this share of how
/// far the line moves over them, whichever is more; or it shows no lean. A lane leaning
/// several degrees has centroids a few pixels off its line (bands curve, a window cuts them),
/// while a step between strips set side by side leaves residuals of a quarter of the step or
/// more.
const MAX_LEAN_RESIDUAL_PX: f64 = 1.5;
const MAX_LEAN_RESIDUAL_SHARE: f64 = 0.1;
/// Horizontal segments the image is split into to follow a lane down.
const LEAN_SEGMENTS: usize = 8;
/// A segment shows the lane when it holds this share of the lane's strongest segment.
const MIN_SEGMENT_SHARE: f64 = 0.2;
/// A lane shows its own lean in this many segments or more (a ladder, a lane of many bands);
/// two or three band rows could be a lean or bands that lie apart, or strips of a figure set
/// side by side with small offsets.
const MIN_LEAN_SEGMENTS: usize = 4;
/// Segments are at least this many rows high (a stretch of lane, not a band's fragment), so
/// images under 4 × this many rows show no lean.
const MIN_LEAN_SEGMENT_ROWS: usize = 24;

/// A segment shows its lane where its signal lies in the lane's core more than at the
/// window's edges (the gaps beside the lane) by at least this share of the core's height
/// above the window's floor. A band is high in the core and low in the gaps; a blotch or a
/// gradient, wider than a lane, is about as high at the edges as in the core, and would pull
/// the centroid whichever way it slopes.
const MIN_CORE_SHARE: f64 = 0.5;

/// Whether a segment's column sums `across` (from column `start`) show a lane centred at
/// `centre` with a core `half_width` either side ([`MIN_CORE_SHARE`]); true where the window
/// has no edge beyond the core to compare with.
fn lane_like(across: &[f64], start: usize, centre: f64, half_width: f64) -> bool {
    let (mut core, mut edges) = (Vec::new(), Vec::new());
    for (k, &sum) in across.iter().enumerate() {
        let x = (start + k) as f64 + 0.5;
        if (x - centre).abs() <= half_width {
            core.push(sum);
        } else {
            edges.push(sum);
        }
    }
    if core.is_empty() || edges.is_empty() {
        return true;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let floor = across.iter().copied().fold(f64::INFINITY, f64::min);
    let (core, edges) = (mean(&core), mean(&edges));
    core - edges >= MIN_CORE_SHARE * (core - floor)
}

/// What one lane shows of its lean: its signal's centroid (x, row) and, where its signal spans
/// enough rows, the slope of its centre line.
struct LaneLean {
    centroid: Option<(f64, f64)>,
    slope: Option<f64>,
}

/// Centroids of the lane's signal (clipped at 0, above the window's lowest column) per
/// horizontal segment, within a window that follows the line found so far; the
/// slope is the weighted straight line through them (two passes: the window re-centred on
/// the first line), where segments with signal span a third of the image or more.
fn lane_lean(corrected: &Array2<f32>, lane: &Lane, pitch: f64) -> LaneLean {
    let (height, width) = corrected.dim();
    let segments = LEAN_SEGMENTS.min(height / MIN_LEAN_SEGMENT_ROWS).max(1);
    let mut line = (lane.x_center, 0.0, 0.5 * (height - 1) as f64); // (x at row, slope, row)
    let mut result = LaneLean {
        centroid: None,
        slope: None,
    };
    // The lane and a quarter of the gaps either side: clear of the neighbouring lanes.
    let half_window = lane.width / 2.0 + (pitch - lane.width).max(0.0) / 4.0;
    for pass in 0..2 {
        let points: Vec<(f64, f64, f64)> = (0..segments)
            .filter_map(|i| {
                let (top, bottom) = (i * height / segments, (i + 1) * height / segments);
                let middle = 0.5 * (top + bottom - 1) as f64;
                let centre = line.0 + line.1 * (middle - line.2);
                let start = (centre - half_window).round().max(0.0) as usize;
                let end = ((centre + half_window).round().max(0.0) as usize).min(width);
                if end <= start + 2 {
                    return None;
                }
                // Column sums give the centroid across, row sums the row within the segment.
                let mut across = vec![0f64; end - start];
                let mut down = vec![0f64; bottom - top];
                for (row_sum, row) in down
                    .iter_mut()
                    .zip(corrected.slice(ndarray::s![top..bottom, start..end]).rows())
                {
                    for (a, &v) in across.iter_mut().zip(row) {
                        let v = f64::from(v.max(0.0));
                        *a += v;
                        *row_sum += v;
                    }
                }
                let centroid = |sums: &[f64], first: usize| {
                    let floor = sums.iter().copied().fold(f64::INFINITY, f64::min);
                    let weight: f64 = sums.iter().map(|s| s - floor).sum();
                    let moment: f64 = sums
                        .iter()
                        .enumerate()
                        .map(|(k, s)| (first + k) as f64 * (s - floor))
                        .sum();
                    (weight, moment / weight.max(f64::MIN_POSITIVE))
                };
                // The first pass's window stands upright, so a leaning lane's signal may lie
                // off its core there: the lane's shape is asked of once the window follows it.
                if pass > 0 && !lane_like(&across, start, centre, lane.width / 2.0) {
                    return None;
                }
                let (weight, x) = centroid(&across, start);
                let (_, row) = centroid(&down, top);
                (weight > 0.0).then_some((row, x, weight))
            })
            .collect();
        let strongest = points.iter().map(|p| p.2).fold(0.0, f64::max);
        let shown: Vec<(f64, f64, f64)> = points
            .into_iter()
            .filter(|p| p.2 >= MIN_SEGMENT_SHARE * strongest)
            .collect();
        let total: f64 = shown.iter().map(|p| p.2).sum();
        if total <= 0.0 {
            return result;
        }
        let (x, y) = (
            shown.iter().map(|p| p.1 * p.2).sum::<f64>() / total,
            shown.iter().map(|p| p.0 * p.2).sum::<f64>() / total,
        );
        result.centroid = Some((x, y));
        let span = shown.last().map_or(0.0, |l| l.0) - shown.first().map_or(0.0, |f| f.0);
        if shown.len() < MIN_LEAN_SEGMENTS || span < height as f64 / 3.0 {
            result.slope = None;
            return result;
        }
        // Weighted least squares of x on row.
        let sxy: f64 = shown.iter().map(|p| p.2 * (p.0 - y) * (p.1 - x)).sum();
        let sxx: f64 = shown.iter().map(|p| p.2 * (p.0 - y).powi(2)).sum();
        let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        // A straight line through the centroids, or no lean: a step (two strips of a figure
        // set side by side with an offset) is not a lean.
        let allowed = MAX_LEAN_RESIDUAL_PX.max(MAX_LEAN_RESIDUAL_SHARE * slope.abs() * span);
        let residuals: Vec<f64> = shown
            .iter()
            .map(|p| p.1 - (x + slope * (p.0 - y)))
            .collect();
        let straight = residuals.iter().all(|r| r.abs() <= allowed);
        // And a slope the centroids' scatter about the line could not make: it stands
        // `LANE_SDS` standard errors from upright (a few centroids, each a pixel off, make
        // leans of a pixel or two over the image either way).
        let n = shown.len() as f64;
        let scatter = shown
            .iter()
            .zip(&residuals)
            .map(|(p, r)| p.2 * r * r)
            .sum::<f64>()
            / total
            * n
            / (n - 2.0);
        let standard_error = (scatter / (sxx / total * n)).sqrt();
        let clear = slope.abs() >= super::LANE_SDS * standard_error;
        result.slope =
            (straight && clear && slope.abs() * height as f64 >= MIN_LEAN_PX).then_some(slope);
        if result.slope.is_none() {
            // Upright: the second pass would only follow a lean.
            return result;
        }
        line = (x, slope, y);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::*;

    /// Lanes 20 px wide, 45 px apart from x 40 (centres at the middle row), lane i leaning
    /// `degrees[i]`, in 320 rows: a ladder (bands every 16 rows down all rows) where `ladder[i]`,
    /// else one band across the middle rows.
    fn leaning_lanes(degrees: &[f64], ladder: &[bool]) -> (Array2<f32>, Vec<f64>) {
        let centres: Vec<f64> = (0..degrees.len()).map(|i| 40.0 + 45.0 * i as f64).collect();
        let width = 45 * degrees.len() + 40;
        let image = Array2::from_shape_fn((320, width), |(y, x)| {
            let on_lane = centres.iter().zip(degrees).zip(ladder).any(|((c, d), &l)| {
                let shift = d.to_radians().tan() * (y as f64 - 159.5);
                let banded = if l {
                    y % 16 < 8
                } else {
                    (152..168).contains(&y)
                };
                banded && (x as f64 + 0.5 - (c + shift)).abs() <= 10.0
            });
            if on_lane {
                100.0
            } else {
                0.0
            }
        });
        (image, centres)
    }

    #[test]
    fn leaning_lanes_are_followed_and_upright_ones_left_alone() {
        let (image, centres) = leaning_lanes(&[2.0; 4], &[true; 4]);
        let grid = lean(&image, fit_lanes(&image, 4, 8.0).unwrap());
        for (lane, c) in grid.lanes.iter().zip(&centres) {
            assert!(
                (lane.slope.atan().to_degrees() - 2.0).abs() <= 0.2,
                "{lane:?}"
            );
            assert!((lane.x_center - c).abs() <= 1.0, "{lane:?}");
        }
        let (image, _) = leaning_lanes(&[0.0; 4], &[true; 4]);
        let grid = lean(&image, fit_lanes(&image, 4, 8.0).unwrap());
        assert!(grid.lanes.iter().all(|l| l.slope == 0.0));
    }

    #[test]
    fn ladders_a_pixel_off_here_and_there_stand_upright() {
        // Four upright ladders (bands every 16 rows) whose 40-row stretches lie a pixel or two
        // to either side: the best line through them moves 2.3 px over the image, with every
        // stretch within 1.5 px of it, but a scatter that size makes such a slope by chance.
        let offsets = [-1.0, 1.0, -1.0, 1.0, 0.0, 2.0, 0.0, 2.0];
        let centres = [40.0, 85.0, 130.0, 175.0];
        let image = Array2::from_shape_fn((320, 220), |(y, x)| {
            let shift = offsets[y / 40];
            let on = centres
                .iter()
                .any(|c| (x as f64 + 0.5 - (c + shift)).abs() <= 10.0);
            if on && y % 16 < 8 {
                100.0
            } else {
                0.0
            }
        });
        let grid = lean(&image, fit_lanes(&image, 4, 8.0).unwrap());
        assert!(
            grid.lanes.iter().all(|l| l.slope == 0.0),
            "{:?}",
            grid.lanes
        );
    }

    #[test]
    fn a_side_ending_at_the_frame_still_ends_there_once_lanes_lean() {
        let (lanes, _) = leaning_lanes(&[2.0; 4], &[true; 4]);
        // Empty membrane right of the lanes.
        let image = ndarray::concatenate(
            ndarray::Axis(1),
            &[lanes.view(), Array2::zeros((lanes.nrows(), 100)).view()],
        )
        .unwrap();
        let mut grid = fit_lanes(&image, 4, 8.0).unwrap();
        let leaning = lean(&image, grid.clone());
        assert!(leaning.lanes.iter().all(|l| l.slope != 0.0));
        assert!(leaning.beyond[1].is_some(), "membrane right of the lanes");
        // As where the lane beyond the right end was a frame line or off the membrane.
        grid.beyond[1] = None;
        assert!(lean(&image, grid).beyond[1].is_none());
    }

    #[test]
    fn one_lane_leaning_its_own_way_does_not_tilt_the_others() {
        // Four ladders lean 2°, the fifth −1° (a lane measured wrongly, or bent): the four keep
        // their 2°, where a least-squares fan would turn them from 2.6° to 0.8°.
        let degrees = [2.0, 2.0, 2.0, 2.0, -1.0];
        let (image, centres) = leaning_lanes(&degrees, &[true; 5]);
        let grid = lean(&image, fit_lanes(&image, 5, 8.0).unwrap());
        for (lane, c) in grid.lanes.iter().zip(&centres).take(4) {
            assert!(
                (lane.slope.atan().to_degrees() - 2.0).abs() <= 0.2,
                "{lane:?}"
            );
            assert!((lane.x_center - c).abs() <= 1.0, "{lane:?}");
        }
    }

    #[test]
    fn lanes_fanning_out_lean_as_the_ladders_either_side_show() {
        // Only the end lanes are ladders; the lanes between show one band each, and lean as a
        // fan through the ladders' slopes puts them.
        let degrees = [-2.0, -1.0, 0.0, 1.0, 2.0];
        let (image, centres) = leaning_lanes(&degrees, &[true, false, false, false, true]);
        let grid = lean(&image, fit_lanes(&image, 5, 8.0).unwrap());
        for ((lane, c), d) in grid.lanes.iter().zip(&centres).zip(degrees) {
            assert!(
                (lane.slope.atan().to_degrees() - d).abs() <= 0.2,
                "{lane:?}"
            );
            assert!((lane.x_center - c).abs() <= 1.0, "{lane:?}");
        }
    }
}
