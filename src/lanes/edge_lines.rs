//! Lanes whose edges are dark lines running down the image and whose middles are pale but
//! for their bands (strips of membrane laid side by side, lanes with edge shadows). The
//! column profile then shows the lines, not the lanes, and an evenly spaced grid fitted to it
//! counts lines. The lines come in pairs, the spaces between them alternating between a
//! lane (its bands span it from line to line) and a gap (no band): the lanes are the spaces
//! that hold bands.

use ndarray::Array2;

use super::ends::{
    runs_down_the_image, StripBand, StripMeans, LINE_WIDTH_SHARE, MIN_END_LANE_BAND_SDS,
};
use super::{grid_at, LaneGrid, LANE_SDS};
use crate::stats;

/// The lanes between the edge lines of the image whose column profile `grid` was fitted to, or
/// `None` where the image shows no such pattern: at least [`MIN_LINES`] narrow lines running
/// down the image, spaced alternately (each of the two kinds of space even), where the spaces
/// of one kind hold bands and those of the other do not, and no such space shows more than
/// one peak in the column profile (a strip of several lanes edged by lines keeps its lanes).
/// A line beyond the pattern at either end (a frame, a gel's edge) is left out; a lane the
/// image's edge cuts (its outer line lost) is kept where its strip holds a band.
pub fn between_edge_lines(corrected: &Array2<f32>, grid: &LaneGrid) -> Option<LaneGrid> {
    let peaks = profile_peaks(&grid.profile, grid.noise);
    let lines = lines_among(corrected, &peaks);
    let n = lines.len();
    if n < MIN_LINES {
        return None;
    }
    // Each lane space holds one lane: no two peaks of the profile, other than lines, lie in it.
    let one_lane_each = |between: &LaneGrid| {
        between.lanes.iter().all(|lane| {
            let inside = |&&(l, r): &&(f64, f64)| {
                (0.5 * (l + r) - lane.x_center).abs() < lane.width / 2.0 && !lines.contains(&(l, r))
            };
            peaks.iter().filter(inside).count() <= 1
        })
    };
    let strips = StripMeans::new(corrected);
    // The whole run of lines, then without a line at either end or both.
    for run in [0..n, 1..n, 0..n - 1, 1..n - 1] {
        if run.len() < MIN_LINES {
            continue;
        }
        let between = lanes_between(corrected, &strips, grid, &lines[run]).filter(one_lane_each);
        if between.is_some() {
            return between;
        }
    }
    None
}

/// The lanes between `lines` (left to right), where their spaces alternate between lanes that
/// hold bands and gaps that do not (`strips`: the row means of `corrected`'s strips).
fn lanes_between(
    corrected: &Array2<f32>,
    strips: &StripMeans,
    grid: &LaneGrid,
    lines: &[(f64, f64)],
) -> Option<LaneGrid> {
    let centres: Vec<f64> = lines.iter().map(|(l, r)| 0.5 * (l + r)).collect();
    let spaces: Vec<f64> = centres.windows(2).map(|p| p[1] - p[0]).collect();
    let kind = |k: usize| -> Vec<usize> { (k..spaces.len()).step_by(2).collect() };
    let kinds = [kind(0), kind(1)];
    let evenly = |space: &[usize]| {
        let widths: Vec<f64> = space.iter().map(|&i| spaces[i]).collect();
        stats::coefficient_of_variation(&widths) <= MAX_SPACE_CV
    };
    if !kinds.iter().all(|k| evenly(k)) {
        return None;
    }
    // The kind of space whose median strongest band stands out more (in noise SDs of its row
    // profile; a space runs between its lines' inner edges) holds the lanes, if they have
    // bands and the other kind's spaces do not hold them.
    let space = |i: usize| {
        let (from, to) = (lines[i].1, lines[i + 1].0);
        (0.5 * (from + to), to - from)
    };
    let bands: Vec<StripBand> = (0..spaces.len())
        .map(|i| {
            let (centre, width) = space(i);
            strips.band(centre, width)
        })
        .collect();
    let median_sds = |kind: &[usize]| {
        let sds: Vec<f64> = kind
            .iter()
            .map(|&i| bands[i].height / bands[i].noise.max(1e-6))
            .collect();
        stats::median(&sds)
    };
    let [lanes, gaps] = if median_sds(&kinds[0]) >= median_sds(&kinds[1]) {
        [&kinds[0], &kinds[1]]
    } else {
        [&kinds[1], &kinds[0]]
    };
    if lanes.len() < 2 || median_sds(lanes) < MIN_END_LANE_BAND_SDS {
        return None;
    }
    let band_height = stats::median(&lanes.iter().map(|&i| bands[i].height).collect::<Vec<_>>());
    // A gap holds the lanes' band where it stands a share of its height at the band row of a
    // lane beside it: the band then runs on across the lines.
    let holds_the_band = |gap: usize| {
        let (centre, width) = space(gap);
        let (above_median, _) = strips.rows_above_median(centre, width);
        [gap.checked_sub(1), Some(gap + 1)]
            .into_iter()
            .flatten()
            .filter(|&lane| lane < spaces.len())
            .any(|lane| {
                let row = bands[lane].row;
                let rows = row.saturating_sub(BAND_ROW_REACH)
                    ..(row + BAND_ROW_REACH + 1).min(above_median.len());
                above_median[rows]
                    .iter()
                    .any(|&h| h >= MAX_GAP_BAND_SHARE * band_height)
            })
    };
    if gaps.iter().any(|&gap| holds_the_band(gap)) {
        return None;
    }
    // A lane runs from its left line's outer edge to its right line's: its bands reach the
    // lines, and often darken as they meet them. All lanes get the median such width (within
    // the pitch), as lane boxes are equal.
    let lane_centres: Vec<f64> = lanes
        .iter()
        .map(|&i| 0.5 * (lines[i].0 + lines[i + 1].1))
        .collect();
    let widths: Vec<f64> = lanes.iter().map(|&i| lines[i + 1].1 - lines[i].0).collect();
    let pitch = stats::median(
        &lane_centres
            .windows(2)
            .map(|p| p[1] - p[0])
            .collect::<Vec<_>>(),
    );
    let width = stats::median(&widths).min(super::MAX_LANE_WIDTH_PITCHES * pitch);
    // A lane the image's edge cuts has lost its outer line, and the run of lines ends in a
    // gap: the strip a pitch beyond the end lane, at least half of it inside the image, is a
    // lane where it holds a band as the lanes do.
    let image_width = corrected.ncols() as f64;
    let holds_a_lane_band = |centre: f64| {
        let (from, to) = (
            (centre - width / 2.0).max(0.0),
            (centre + width / 2.0).min(image_width),
        );
        let band = strips.band(0.5 * (from + to), to - from);
        to - from >= width / 2.0
            && band.height >= MIN_END_LANE_BAND_SDS * band.noise
            && band.height >= MAX_GAP_BAND_SHARE * band_height
    };
    let mut lane_centres = lane_centres;
    let (first, last) = (lane_centres[0], lane_centres[lane_centres.len() - 1]);
    if gaps.contains(&0) && holds_a_lane_band(first - pitch) {
        lane_centres.insert(0, first - pitch);
    }
    if gaps.contains(&(spaces.len() - 1)) && holds_a_lane_band(last + pitch) {
        lane_centres.push(last + pitch);
    }
    let mut between = grid_at(&grid.profile, &lane_centres, pitch);
    for (lane, &centre) in between.lanes.iter_mut().zip(&lane_centres) {
        lane.x_center = centre;
        lane.width = width;
        lane.anchored = true;
    }
    between.between_edge_lines = true;
    Some(between)
}

/// Lanes between edge lines show as at least this many lines (two lanes and the gap between
/// them).
const MIN_LINES: usize = 4;
/// Spaces of one kind are even: their widths' coefficient of variation is at most this.
const MAX_SPACE_CV: f64 = 0.15;
/// A lane's space holds a band [`MIN_END_LANE_BAND_SDS`] noise SDs of its row profile high
/// (the median lane's; a lane may be empty), as an end lane's must, and no gap stands this share of the lanes' median band high at the band row of a lane
/// beside it, within [`BAND_ROW_REACH`] rows (the bands stop at the lines).
const MAX_GAP_BAND_SHARE: f64 = 0.5;
const BAND_ROW_REACH: usize = 2;

/// The narrow lines running down `corrected` that stand out of its column profile (`noise`:
/// the profile's noise SD), left to right, each as the columns (left, right) where it crosses
/// half its height: peaks of the profile standing 5 noise SDs out of it, narrower than [`LINE_WIDTH_SHARE`] of the space to
/// the next peak on either side (a lane's peak in the profile is about as wide as its pitch),
/// that hold signal in most rows.
pub fn lines_down_the_image(
    corrected: &Array2<f32>,
    column_profile: &[f32],
    noise: f64,
) -> Vec<(f64, f64)> {
    lines_among(corrected, &profile_peaks(column_profile, noise))
}

/// The `peaks` of the column profile ([`profile_peaks`]) that are lines running down
/// `corrected` ([`lines_down_the_image`]).
fn lines_among(corrected: &Array2<f32>, peaks: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let centre = |(left, right): (f64, f64)| 0.5 * (left + right);
    (0..peaks.len())
        .filter(|&i| {
            let space = [i.checked_sub(1), Some(i + 1)]
                .into_iter()
                .flatten()
                .filter_map(|j| peaks.get(j))
                .map(|&p| (centre(p) - centre(peaks[i])).abs())
                .fold(f64::INFINITY, f64::min);
            peaks[i].1 - peaks[i].0 < LINE_WIDTH_SHARE * space
        })
        .map(|i| peaks[i])
        .filter(|&line| runs_down_the_image(corrected, line))
        .collect()
}

/// The lines running down `corrected` ([`lines_down_the_image`]) that are background to the
/// bands of `grid`'s lanes: those narrower than [`LINE_WIDTH_SHARE`] of its lanes (a lane's
/// edge, a strip's). A "line" as wide as half a lane is a narrow lane of dense bands, its
/// signal no background.
pub fn background_lines(corrected: &Array2<f32>, grid: &LaneGrid) -> Vec<(f64, f64)> {
    let lane_width = stats::median(&grid.lanes.iter().map(|l| l.width).collect::<Vec<_>>());
    lines_down_the_image(corrected, &grid.profile, grid.noise)
        .into_iter()
        .filter(|(left, right)| right - left < LINE_WIDTH_SHARE * lane_width)
        .collect()
}

/// The peaks of the column profile (smoothed as lane finding smooths it) standing 5 noise SDs
/// out of it, left to right, each as the columns (left, right) where it crosses half its
/// height.
fn profile_peaks(column_profile: &[f32], noise: f64) -> Vec<(f64, f64)> {
    let profile = stats::gaussian_smooth(column_profile, 1.0);
    let noise = noise as f32;
    let mut peaks: Vec<(f64, f64)> = Vec::new();
    for top in 1..profile.len().saturating_sub(1) {
        if profile[top] < profile[top - 1] || profile[top] <= profile[top + 1] {
            continue;
        }
        if let Some((left, right)) =
            half_height_edges(&profile, top, 2.0 * noise, LANE_SDS as f32 * noise)
        {
            // Each peak once (a noisy top has several maxima).
            if peaks.last().is_none_or(|&(_, r)| left > r) {
                peaks.push((left, right));
            }
        }
    }
    peaks
}

/// The columns (left, right) where the peak of `profile` at its local maximum `top` crosses
/// half its height, with linear interpolation: its height is over the higher of its feet,
/// where the profile stops falling (by more than `tolerance`, noise) on either side. `None`
/// under `min_height`.
fn half_height_edges(
    profile: &[f32],
    top: usize,
    tolerance: f32,
    min_height: f32,
) -> Option<(f64, f64)> {
    let foot = |steps: &mut dyn Iterator<Item = usize>| {
        let mut lowest = profile[top];
        for x in steps {
            if profile[x] > lowest + tolerance {
                break;
            }
            lowest = lowest.min(profile[x]);
        }
        lowest
    };
    let floor = foot(&mut (0..top).rev()).max(foot(&mut (top + 1..profile.len())));
    let height = profile[top] - floor;
    if height < min_height {
        return None;
    }
    let level = floor + 0.5 * height;
    let below = |x: &usize| profile[*x] < level;
    let left_out = (0..top).rev().find(below)?;
    let right_out = (top + 1..profile.len()).find(below)?;
    // Where the line between the last column above and the first below crosses the level.
    let cross = |inside: usize, outside: usize| {
        let (a, b) = (f64::from(profile[inside]), f64::from(profile[outside]));
        inside as f64
            + (outside as f64 - inside as f64) * (a - f64::from(level)) / (a - b).max(1e-12)
    };
    Some((
        cross(left_out + 1, left_out),
        cross(right_out - 1, right_out),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::{column_profile, estimate_lane_count, fit_profile};

    /// Three lanes in a 90 × 500 image, each bounded by two lines 8 px wide running down the
    /// image (value 60, from x 20, 140 | 190, 310 | 360, 480), with a band of value `band`
    /// between its lines at rows 38–45 (lane 2's at rows 41–48: bands need not share a row);
    /// with `across_gaps`, the bands run on across the gaps between the lanes.
    fn lanes_between_lines(band: f32, across_gaps: bool) -> Array2<f32> {
        lanes_between_lines_cut(band, across_gaps, 0)
    }

    /// [`lanes_between_lines`] with the frame moved `cut` px right: the image's left edge cuts
    /// into lane 1, and its left line is lost where `cut` is 28 or more.
    fn lanes_between_lines_cut(band: f32, across_gaps: bool, cut: usize) -> Array2<f32> {
        let mut image = membrane();
        let at = |x: usize| x.saturating_sub(cut);
        for left in [20, 140, 190, 310, 360, 480] {
            image
                .slice_mut(ndarray::s![.., at(left)..at(left + 8)])
                .mapv_inplace(|v| v + 60.0);
        }
        for (lane, (from, to)) in [(28, 140), (198, 310), (368, 480)].into_iter().enumerate() {
            let top = if lane == 1 { 41 } else { 38 };
            let (from, to) = if across_gaps { (28, 480) } else { (from, to) };
            image
                .slice_mut(ndarray::s![top..top + 8, at(from)..at(to)])
                .mapv_inplace(|v| v + band);
        }
        image
    }

    /// A 90 × 500 membrane with a faint fixed texture (0–0.4).
    fn membrane() -> Array2<f32> {
        Array2::from_shape_fn((90, 500), |(y, x)| ((x * 7 + y * 13) % 5) as f32 * 0.1)
    }

    /// The grid `detect` fits to `corrected`'s column profile, at its estimated count.
    fn estimated_grid(corrected: &Array2<f32>) -> LaneGrid {
        let profile = column_profile(corrected);
        let count = estimate_lane_count(&profile, 30, 8.0).unwrap().count;
        fit_profile(&profile, count, 8.0).unwrap()
    }

    #[test]
    fn lanes_lie_between_the_pairs_of_lines_whose_spaces_hold_bands() {
        let corrected = lanes_between_lines(10.0, false);
        let grid = estimated_grid(&corrected);
        let between = between_edge_lines(&corrected, &grid).expect("lanes between the lines");
        let centres: Vec<f64> = between.lanes.iter().map(|l| l.x_center).collect();
        // From a line's outer edge to the other's: 20–147, 190–317, 360–487.
        for (found, truth) in centres.iter().zip([83.5, 253.5, 423.5]) {
            assert!((found - truth).abs() <= 1.0, "{centres:?}");
        }
        assert_eq!(centres.len(), 3);
        assert!(between.lanes.iter().all(|l| (l.width - 128.0).abs() <= 2.0));
        assert!(between.between_edge_lines && between.placed_in_two_dimensions());
        assert!((between.pitch - 170.0).abs() <= 1.0, "{}", between.pitch);
    }

    #[test]
    fn a_lane_the_image_edge_cuts_is_kept() {
        // Lane 1's left line lies outside the frame; its band still reaches the edge. Mirrored,
        // the cut lane is the last.
        let cut = lanes_between_lines_cut(10.0, false, 30);
        let mirrored = cut.slice(ndarray::s![.., ..;-1]).to_owned();
        let truths = [[53.5, 223.5, 393.5], [105.5, 275.5, 445.5]];
        for (corrected, truth) in [cut, mirrored].iter().zip(truths) {
            let grid = estimated_grid(corrected);
            let lines = lines_down_the_image(corrected, &grid.profile, grid.noise);
            assert_eq!(lines.len(), 5, "{lines:?}");
            let between = between_edge_lines(corrected, &grid).expect("lanes between the lines");
            let centres: Vec<f64> = between.lanes.iter().map(|l| l.x_center).collect();
            assert_eq!(centres.len(), 3, "{centres:?}");
            for (found, truth) in centres.iter().zip(truth) {
                assert!((found - truth).abs() <= 1.0, "{centres:?}");
            }
        }
    }

    #[test]
    fn lines_without_bands_between_them_or_with_bands_across_the_gaps_place_no_lanes() {
        for corrected in [
            lanes_between_lines(0.0, false),
            lanes_between_lines(10.0, true),
        ] {
            let grid = estimated_grid(&corrected);
            assert_eq!(
                lines_down_the_image(&corrected, &grid.profile, grid.noise).len(),
                6
            );
            assert!(between_edge_lines(&corrected, &grid).is_none());
        }
    }

    #[test]
    fn strips_of_several_lanes_edged_by_lines_keep_their_lanes() {
        // Two strips of six lanes 30 px apart (three bands each, 20 px wide), each strip edged
        // by lines running down the image: the column profile shows the twelve lanes, and the
        // grid is not moved onto the strips.
        let mut corrected = membrane();
        for strip_left in [30, 260] {
            for line in [strip_left, strip_left + 186] {
                corrected
                    .slice_mut(ndarray::s![.., line..line + 4])
                    .mapv_inplace(|v| v + 60.0);
            }
            for k in 0..6 {
                let left = strip_left + 10 + 30 * k;
                for top in [15, 38, 60] {
                    corrected
                        .slice_mut(ndarray::s![top..top + 8, left..left + 20])
                        .mapv_inplace(|v| v + 60.0);
                }
            }
        }
        let grid = estimated_grid(&corrected);
        assert_eq!(
            lines_down_the_image(&corrected, &grid.profile, grid.noise).len(),
            4
        );
        assert!(between_edge_lines(&corrected, &grid).is_none());
    }

    #[test]
    fn evenly_spaced_lines_with_nothing_between_them_place_no_lanes() {
        // Twelve lanes 8 px wide, 40 px apart, each with bands 5 rows high a row apart (a
        // ladder's bands fill most rows): lines, but evenly spaced and nothing between them.
        let mut corrected = membrane();
        for k in 0..12 {
            let left = 20 + 40 * k;
            for y in (0..90).filter(|y| y % 6 != 5) {
                for x in left..left + 8 {
                    corrected[[y, x]] += 50.0;
                }
            }
        }
        let grid = estimated_grid(&corrected);
        assert_eq!(
            lines_down_the_image(&corrected, &grid.profile, grid.noise).len(),
            12
        );
        assert!(between_edge_lines(&corrected, &grid).is_none());
        // Nor are these "lines" background to the lanes' bands: they are the lanes.
        assert!(background_lines(&corrected, &grid).is_empty());
    }
}
