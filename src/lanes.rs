//! Lane finding: the column profile of the background-corrected image is matched against an
//! evenly spaced grid of lanes (pitch-constrained fit), then each lane centre is refined locally.

use ndarray::Array2;
use serde::Serialize;

use crate::band_row::BandRow;
use crate::stats;

/// One lane: a strip of the image along its centre line, upright or leaning.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Lane {
    /// 1-based position, left to right.
    pub index: usize,
    /// Centre at `reference_row`.
    pub x_center: f64,
    pub width: f64,
    /// The centre was measured on the lane's own edges (else it is the grid position, or one
    /// carried over from another image of the membrane by [`register`]).
    pub anchored: bool,
    /// How far the centre moves right per row down the image (0: upright).
    pub slope: f64,
    /// The row at which the centre is `x_center`.
    pub reference_row: f64,
}

impl Lane {
    /// An upright lane.
    pub fn upright(index: usize, x_center: f64, width: f64, anchored: bool) -> Lane {
        Lane {
            index,
            x_center,
            width,
            anchored,
            slope: 0.0,
            reference_row: 0.0,
        }
    }

    /// The lane's centre at row `y`.
    pub fn x_at(&self, y: f64) -> f64 {
        self.x_center + self.slope * (y - self.reference_row)
    }

    /// Column range `[start, end)` of the lane at row `y`, clipped to the image.
    pub fn columns_at(&self, y: f64, image_width: usize) -> (usize, usize) {
        let centre = self.x_at(y);
        let start = (centre - self.width / 2.0).round().max(0.0) as usize;
        let end = ((centre + self.width / 2.0).round().max(0.0) as usize).min(image_width);
        (start.min(end.saturating_sub(1)), end)
    }
}

/// Lanes of one image with a measure of how clearly the grid stands out of the noise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LaneGrid {
    pub lanes: Vec<Lane>,
    pub pitch: f64,
    /// Median lane contrast over the profile noise: below ~5 the lanes are guesses.
    pub confidence: f64,
    /// Each lane's own contrast (lane core minus neighbouring gaps), in signal units.
    pub lane_contrast: Vec<f64>,
    /// Noise standard deviation of the column profile, in signal units.
    pub noise: f64,
    /// The column profile the grid was fitted to (mean corrected signal per column).
    pub profile: Vec<f32>,
    /// Contrast of a would-be lane one pitch beyond each end of the grid (left, right), where
    /// that lies inside the image: a strong one means the grid left a lane out.
    pub beyond: [Option<f64>; 2],
    /// The lanes were placed on a row of bands ([`fit_band_row`]): the
    /// image shows them in two dimensions, whatever the column profile's contrasts say.
    pub on_band_row: bool,
    /// Lanes were added beyond the column profile's grid where a run of bands at its pitch
    /// shows them ([`extend_over_bands`]).
    pub beyond_profile: bool,
}

/// A grid is clear when its median lane stands this many noise SDs out of its gaps.
const CLEAR_GRID_SDS: f64 = 5.0;

impl LaneGrid {
    /// True when a lane-like strip stands just outside the grid, as strong as half the
    /// median lane: the grid holds fewer lanes than the image shows.
    pub fn misses_a_lane(&self) -> bool {
        let median = stats::median(&self.lane_contrast);
        self.beyond
            .iter()
            .flatten()
            .any(|&c| c > 0.5 * median && c > 5.0 * self.noise)
    }

    /// True when the median lane stands [`CLEAR_GRID_SDS`] noise SDs out of its gaps: the
    /// column profile shows this grid.
    pub fn is_clear(&self) -> bool {
        self.confidence >= CLEAR_GRID_SDS
    }

    /// The grid without the lanes whose centre lies outside every column range of `membrane`
    /// (a lane fitted on a figure label or the frame beside the blot), renumbered; with the
    /// 1-based numbers of the lanes left out.
    pub fn on_membrane(self, membrane: &[(usize, usize)]) -> (LaneGrid, Vec<usize>) {
        let inside = |lane: &Lane| {
            membrane
                .iter()
                .any(|&(first, last)| (first as f64..=last as f64).contains(&lane.x_center))
        };
        let keep: Vec<bool> = self.lanes.iter().map(inside).collect();
        self.keeping(&keep)
    }

    /// The grid with only the lanes flagged in `keep` (one flag per lane), renumbered; with the
    /// 1-based numbers of the lanes left out. Every lane stays where none would.
    fn keeping(mut self, keep: &[bool]) -> (LaneGrid, Vec<usize>) {
        let dropped: Vec<usize> = self
            .lanes
            .iter()
            .zip(keep)
            .filter(|(_, &kept)| !kept)
            .map(|(l, _)| l.index)
            .collect();
        if dropped.is_empty() || dropped.len() == self.lanes.len() {
            return (self, Vec::new());
        }
        let mut kept = keep.iter();
        self.lanes
            .retain(|_| *kept.next().expect("one flag per lane"));
        for (i, lane) in self.lanes.iter_mut().enumerate() {
            lane.index = i + 1;
        }
        let mut kept = keep.iter();
        self.lane_contrast
            .retain(|_| *kept.next().expect("one flag per lane"));
        // A side whose end lane was left out ends at the frame: nothing lies beyond it.
        if !keep[0] {
            self.beyond[0] = None;
        }
        if !keep[keep.len() - 1] {
            self.beyond[1] = None;
        }
        self.confidence = stats::median(&self.lane_contrast) / self.noise;
        (self, dropped)
    }

    /// True when some lane stands out of its gaps by under a fifth of the median lane.
    pub fn has_faint_lanes(&self) -> bool {
        let median = stats::median(&self.lane_contrast);
        self.lane_contrast.iter().any(|&c| c < 0.2 * median)
    }

    /// True when some centre is a grid position, not measured on the lane's own edges.
    pub fn has_centres_from_grid(&self) -> bool {
        self.lanes.iter().any(|l| !l.anchored)
    }

    /// True when the grid is clear and every lane stands out of its gaps (no lane fitted
    /// onto empty membrane).
    pub fn every_lane_visible(&self) -> bool {
        let median = stats::median(&self.lane_contrast);
        let weakest = self
            .lane_contrast
            .iter()
            .cloned()
            .fold(f64::INFINITY, f64::min);
        self.confidence > 5.0 && weakest > 0.2 * median
    }
}

/// The grid without an end lane that is a line running down the image (a gel's edge, a
/// figure's frame) rather than a lane; with the centres of the lanes left out. Such a
/// line holds signal in most rows, where bands and the gaps between them alternate down a
/// lane: its peak in the column profile is under [`LINE_WIDTH_SHARE`] of the lanes' width, and
/// holds at least [`LINE_LEVEL`] of its mean signal in three rows of four.
pub fn without_frame_lines(corrected: &Array2<f32>, grid: LaneGrid) -> (LaneGrid, Vec<f64>) {
    let n = grid.lanes.len();
    if n < 2 {
        return (grid, Vec::new());
    }
    let profile = stats::gaussian_smooth(&grid.profile, 1.0);
    let is_line = |lane: &Lane| {
        half_maximum_edges(&profile, lane.x_center, grid.pitch, 5.0 * grid.noise).is_some_and(
            |(left, right)| {
                right - left < LINE_WIDTH_SHARE * lane.width
                    && runs_down_the_image(corrected, (left, right))
            },
        )
    };
    let keep: Vec<bool> = (0..n)
        .map(|i| !((i == 0 || i == n - 1) && is_line(&grid.lanes[i])))
        .collect();
    let lines: Vec<f64> = grid
        .lanes
        .iter()
        .zip(&keep)
        .filter(|(_, &kept)| !kept)
        .map(|(lane, _)| lane.x_center)
        .collect();
    let (grid, _) = grid.keeping(&keep);
    (grid, lines)
}

/// A frame line holds at least this share of its mean signal in three rows of four (a lane
/// holds signal in its band rows only).
const LINE_LEVEL: f32 = 0.4;
/// A frame line's peak in the column profile is narrower than this share of the lanes.
const LINE_WIDTH_SHARE: f64 = 0.5;

/// True when the columns `left`–`right` hold [`LINE_LEVEL`] of their mean signal in three
/// rows of four.
fn runs_down_the_image(corrected: &Array2<f32>, (left, right): (f64, f64)) -> bool {
    let start = left.round().max(0.0) as usize;
    let end = (right.round().max(0.0) as usize + 1).min(corrected.ncols());
    if end <= start {
        return false;
    }
    let mut rows: Vec<f32> = corrected
        .rows()
        .into_iter()
        .map(|row| row.slice(ndarray::s![start..end]).mean().unwrap_or(0.0))
        .collect();
    if rows.is_empty() {
        return false;
    }
    let mean = rows.iter().map(|v| v.max(0.0)).sum::<f32>() / rows.len() as f32;
    let lowest_quarter = rows.len() / 4;
    let quarter = stats::order_statistics_f32(&mut rows, &[lowest_quarter])[0];
    mean > 0.0 && quarter >= LINE_LEVEL * mean
}

/// Mean of each column of `corrected` (negative noise clipped to zero).
pub fn column_profile(corrected: &Array2<f32>) -> Vec<f32> {
    leaning_column_profile(corrected, 0.0, 0.0)
}

/// Prefix sums for O(1) window means.
struct Windows {
    prefix: Vec<f64>,
}

impl Windows {
    fn new(profile: &[f32]) -> Windows {
        let mut prefix = Vec::with_capacity(profile.len() + 1);
        prefix.push(0.0);
        for &v in profile {
            prefix.push(prefix.last().unwrap() + v as f64);
        }
        Windows { prefix }
    }
    fn len(&self) -> usize {
        self.prefix.len() - 1
    }
    /// Mean over `[centre - half, centre + half]`, clipped to the profile; None if empty.
    fn mean(&self, centre: f64, half: f64) -> Option<f64> {
        let last = self.len() as i64 - 1;
        // Rounding half away from zero, as f64::round, but without the library call (this is
        // the innermost operation of the grid search); values below zero clip to 0 anyway.
        let round = |x: f64| if x >= 0.0 { (x + 0.5) as i64 } else { 0 };
        let a = round(centre - half);
        let b = round(centre + half).min(last);
        if b < a {
            return None;
        }
        let (a, b) = (a as usize, b as usize);
        Some((self.prefix[b + 1] - self.prefix[a]) / (b + 1 - a) as f64)
    }
}

/// Contrast of the lane centred at `c`: mean over the lane core minus the brighter of the gaps
/// half a pitch to either side (gaps outside the image are skipped). A lane must stand out of
/// both its neighbouring gaps, so a grid at half the true pitch (a "lane" boundary inside a
/// real lane) scores near zero.
fn lane_contrast(w: &Windows, c: f64, pitch: f64) -> f64 {
    let core = w.mean(c, pitch / 5.0).unwrap_or(0.0);
    let gap = [c - pitch / 2.0, c + pitch / 2.0]
        .iter()
        .filter(|&&g| g >= 0.0 && g <= (w.len() - 1) as f64)
        .filter_map(|&g| w.mean(g, pitch / 10.0))
        .fold(None, |acc: Option<f64>, g| {
            Some(acc.map_or(g, |a| a.max(g)))
        })
        .unwrap_or(0.0);
    core - gap
}

/// How finely [`best_grid`] searches: pitch steps across the allowed range and offsets per
/// pitch in its coarse pass.
#[derive(Clone, Copy)]
struct Search {
    pitch_steps: f64,
    offsets_per_pitch: usize,
    /// Pitch steps and offset step (px) of the fine pass around the coarse optimum.
    fine_steps: f64,
    fine_offset_px: f64,
}

/// The search that places the final grid.
const FINE: Search = Search {
    pitch_steps: 60.0,
    offsets_per_pitch: 12,
    fine_steps: 16.0,
    fine_offset_px: 0.25,
};

/// The cheaper search that compares lane counts (each count is fitted, so this is repeated
/// up to `max_lanes` times). On the synthetic and real test images it picks the counts
/// [`FINE`] picks (one real image that both get wrong differs) at a fraction of the cost.
const QUICK: Search = Search {
    pitch_steps: 24.0,
    offsets_per_pitch: 6,
    fine_steps: 8.0,
    fine_offset_px: 1.0,
};

/// Best evenly spaced grid of `count` lanes: (first centre, pitch). A coarse search over
/// pitch and offset, then a fine one around the coarse optimum.
fn best_grid(w: &Windows, count: usize, min_pitch: f64, precision: Search) -> Option<(f64, f64)> {
    let width = w.len() as f64;
    let max_pitch = width / count as f64;
    let min_pitch = min_pitch.max(0.35 * max_pitch);
    if max_pitch < min_pitch {
        return None;
    }
    let score = |first: f64, pitch: f64| -> f64 {
        (0..count)
            .map(|i| lane_contrast(w, first + i as f64 * pitch, pitch))
            .sum()
    };
    let coarse_step = ((max_pitch - min_pitch) / precision.pitch_steps).max(0.25);
    let (first, pitch, _) = coarse_search(
        w,
        count,
        (min_pitch, max_pitch, coarse_step),
        precision.offsets_per_pitch,
    )?;
    let fine = (
        (pitch - coarse_step).max(min_pitch),
        (pitch + coarse_step).min(max_pitch),
        (coarse_step / (precision.fine_steps / 2.0)).max(0.05),
    );
    let reach = pitch / 12.0 + count as f64 * coarse_step;
    // The fine pass: pitches around the coarse optimum, offsets within `reach` of its first
    // lane, a fixed step apart.
    let mut best: Option<(f64, f64, f64)> = None;
    let (low, high, step) = fine;
    let mut fine_pitch = low;
    while fine_pitch <= high + 1e-9 {
        let span = (count - 1) as f64 * fine_pitch;
        let mut offset = (first - reach).max(fine_pitch * 0.3);
        let last = (first + reach).min(width - fine_pitch * 0.3 - span);
        while offset <= last {
            let s = score(offset, fine_pitch);
            if best.is_none_or(|(_, _, b)| s > b) {
                best = Some((offset, fine_pitch, s));
            }
            offset += precision.fine_offset_px;
        }
        fine_pitch += step;
    }
    Some(best.map_or((first, pitch), |(first, pitch, _)| (first, pitch)))
}

/// The coarse pass of [`best_grid`]: every pitch of `pitches` (low, high, step), offsets a
/// `per_pitch`-th of the pitch apart. Lanes of all offsets then sit on one lattice of that
/// step, so each lattice point's contrast is computed once and each grid only adds up its
/// lanes' values (a grid of n lanes would otherwise cost n window means per offset).
fn coarse_search(
    w: &Windows,
    count: usize,
    (low, high, step): (f64, f64, f64),
    per_pitch: usize,
) -> Option<(f64, f64, f64)> {
    let width = w.len() as f64;
    let mut best: Option<(f64, f64, f64)> = None;
    let mut pitch = low;
    while pitch <= high + 1e-9 {
        let offset = pitch / per_pitch as f64;
        let (first, last) = (
            pitch * 0.3,
            width - pitch * 0.3 - (count - 1) as f64 * pitch,
        );
        if first <= last {
            let offsets = ((last - first) / offset + 1e-9).floor() as usize + 1;
            let lattice: Vec<f64> = (0..offsets + per_pitch * (count - 1))
                .map(|m| lane_contrast(w, first + m as f64 * offset, pitch))
                .collect();
            for j in 0..offsets {
                let total: f64 = (0..count).map(|i| lattice[j + per_pitch * i]).sum();
                if best.is_none_or(|(_, _, b)| total > b) {
                    best = Some((first + j as f64 * offset, pitch, total));
                }
            }
        }
        pitch += step;
    }
    best
}

/// Lane width from the lanes' average cross-section: full width at half its height.
fn lane_width(profile: &[f32], centres: &[f64], pitch: f64) -> f64 {
    let half = (pitch / 2.0).floor() as i64;
    let mean_section: Vec<f64> = (-half..=half)
        .map(|d| {
            let vals: Vec<f64> = centres
                .iter()
                .filter_map(|&c| {
                    let x = c.round() as i64 + d;
                    (x >= 0 && (x as usize) < profile.len()).then(|| profile[x as usize] as f64)
                })
                .collect();
            stats::median(&vals)
        })
        .collect();
    let centre = half as usize;
    let floor = mean_section.iter().cloned().fold(f64::INFINITY, f64::min);
    let peak = mean_section[centre.saturating_sub(1)..=(centre + 1).min(mean_section.len() - 1)]
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    let threshold = floor + 0.5 * (peak - floor);
    let mut left = centre;
    while left > 0 && mean_section[left - 1] >= threshold {
        left -= 1;
    }
    let mut right = centre;
    while right + 1 < mean_section.len() && mean_section[right + 1] >= threshold {
        right += 1;
    }
    ((right - left + 1) as f64).clamp(2.0_f64.min(pitch), pitch)
}

/// The lane's edges around `centre`: where the profile crosses half way between its highest
/// point within a quarter pitch and the lower of the gaps half a pitch to either side, with
/// linear interpolation between columns. `None` unless the lane stands `min_height` out of
/// its gaps and both crossings lie within half a pitch.
fn half_maximum_edges(
    profile: &[f32],
    centre: f64,
    pitch: f64,
    min_height: f64,
) -> Option<(f64, f64)> {
    let n = profile.len() as i64;
    let at = |x: i64| f64::from(profile[x.clamp(0, n - 1) as usize]);
    let c = centre.round() as i64;
    let half = (pitch / 2.0).round() as i64;
    let quarter = (pitch / 4.0).round() as i64;
    let top = (c - quarter..=c + quarter).map(at).fold(f64::MIN, f64::max);
    let floor = at(c - half).min(at(c + half));
    if top - floor < min_height {
        return None;
    }
    let level = floor + 0.5 * (top - floor);
    let peak = (c - quarter..=c + quarter).max_by(|&a, &b| at(a).total_cmp(&at(b)))?;
    let mut left = peak;
    while left > c - half && at(left - 1) >= level {
        left -= 1;
    }
    let mut right = peak;
    while right < c + half && at(right + 1) >= level {
        right += 1;
    }
    if left <= c - half || right >= c + half || left <= 0 || right >= n - 1 {
        return None;
    }
    // Sub-pixel: where the line between the last column above and the first below crosses.
    let cross = |inside: i64, outside: i64| {
        let (a, b) = (at(inside), at(outside));
        inside as f64 + (outside - inside) as f64 * (a - level) / (a - b).max(1e-12)
    };
    Some((cross(left, left - 1), cross(right, right + 1)))
}

/// Moves each lane centre to the nearby position where the lane's box holds the most signal,
/// but only where the lane stands clearly out of the noise.
fn refine_centres(w: &Windows, centres: &[f64], pitch: f64, width: f64, noise: f64) -> Vec<f64> {
    centres
        .iter()
        .map(|&c| {
            let reach = pitch / 6.0;
            let mut best = (c, w.mean(c, width / 2.0).unwrap_or(0.0));
            let mut x = c - reach;
            while x <= c + reach {
                if let Some(m) = w.mean(x, width / 2.0) {
                    if m > best.1 {
                        best = (x, m);
                    }
                }
                x += 0.5;
            }
            let gain = best.1 - w.mean(c, width / 2.0).unwrap_or(0.0);
            if gain > 3.0 * noise {
                best.0
            } else {
                c
            }
        })
        .collect()
}

/// Fits `count` lanes to the image. `None` if the image is too narrow for that many lanes.
pub fn fit_lanes(corrected: &Array2<f32>, count: usize, min_pitch: f64) -> Option<LaneGrid> {
    fit_profile(&column_profile(corrected), count, min_pitch)
}

/// Fits `count` lanes to a column profile.
pub fn fit_profile(raw_profile: &[f32], count: usize, min_pitch: f64) -> Option<LaneGrid> {
    fit_profile_with(raw_profile, count, min_pitch, FINE)
}

fn fit_profile_with(
    raw_profile: &[f32],
    count: usize,
    min_pitch: f64,
    precision: Search,
) -> Option<LaneGrid> {
    if count == 0 {
        return None;
    }
    let profile = stats::gaussian_smooth(raw_profile, 1.0);
    let windows = Windows::new(&profile);
    let (first, pitch) = best_grid(&windows, count, min_pitch, precision)?;
    let grid: Vec<f64> = (0..count).map(|i| first + i as f64 * pitch).collect();
    Some(grid_at(raw_profile, &grid, pitch))
}

/// The lanes at the grid positions `grid` (a common `pitch` apart, or about), each centre then
/// measured on the lane's own edges where they stand out of the noise.
fn grid_at(raw_profile: &[f32], grid: &[f64], pitch: f64) -> LaneGrid {
    let profile = stats::gaussian_smooth(raw_profile, 1.0);
    let windows = Windows::new(&profile);
    let noise = (stats::noise_sigma(raw_profile) as f64).max(1e-6);
    let width = lane_width(&profile, grid, pitch);
    let centres = refine_centres(&windows, grid, pitch, width, noise);
    let contrasts: Vec<f64> = grid
        .iter()
        .map(|&c| lane_contrast(&windows, c, pitch))
        .collect();
    let edges: Vec<Option<(f64, f64)>> = centres
        .iter()
        .map(|&c| half_maximum_edges(&profile, c, pitch, 5.0 * noise))
        .collect();

    let confidence = stats::median(&contrasts) / noise;
    let (first, last) = (grid[0], grid[grid.len() - 1]);
    let beyond = [first - pitch, last + pitch].map(|c| {
        (c - pitch / 2.0 >= 0.0 && c + pitch / 2.0 <= (profile.len() - 1) as f64)
            .then(|| lane_contrast(&windows, c, pitch))
    });
    // Where a lane's edges stand out of the noise, its centre is the midpoint of its edges;
    // elsewhere the grid position.
    // One box width for all lanes (as equal lane boxes should be), wide enough for the widest
    // lane whose edges are clear: a wider lane would otherwise lose its flanks. A narrower lane
    // keeps the wider box (it holds some membrane, which the background takes out). The box
    // is at most 35 % wider than the typical lane, so a lane merging with a smear keeps a
    // sensible box; the typical lane is the common width, or the median of the clear lanes'
    // widths where that is more (the common width follows the strongest lanes: a gel's sharp
    // ladders beside wide single bands).
    let clear: Vec<f64> = edges
        .iter()
        .flatten()
        .map(|(left, right)| right - left)
        .collect();
    let widest = clear.iter().copied().fold(width, f64::max);
    let typical = if clear.is_empty() {
        width
    } else {
        width.max(stats::median(&clear))
    };
    let width = widest.min(1.35 * typical).min(0.95 * pitch).max(width);
    let lanes = centres
        .iter()
        .zip(&edges)
        .enumerate()
        .map(|(i, (&x_center, edges))| match *edges {
            Some((left, right)) if (0.5 * (left + right) - x_center).abs() <= pitch / 6.0 => {
                Lane::upright(i + 1, 0.5 * (left + right), width, true)
            }
            _ => Lane::upright(i + 1, x_center, width, false),
        })
        .collect();
    LaneGrid {
        lanes,
        pitch,
        confidence,
        lane_contrast: contrasts,
        noise,
        profile: raw_profile.to_vec(),
        beyond,
        on_band_row: false,
        beyond_profile: false,
    }
}

/// Lanes on a row of bands: one lane on each band of the row (an evenly spaced lattice fitted
/// to their centres, so a missing band leaves an empty lane), and further lanes beyond either
/// end wherever the image shows a lane there: a strip as wide as the bands, ¾ to 1¼ pitches
/// from the end lane and clear of its band, that holds a band of its own (a faint end lane
/// need not sit on the lattice, and its band need not lie in the row).
pub fn fit_band_row(corrected: &Array2<f32>, row: &BandRow) -> Option<LaneGrid> {
    let (origin, pitch) = row.lattice()?;
    let last_step = ((row.centres[row.centres.len() - 1] - origin) / pitch).round() as usize;
    let mut centres: Vec<f64> = (0..=last_step).map(|k| origin + k as f64 * pitch).collect();
    let strips = StripMeans::new(corrected);
    let width = row.band_width.min(0.95 * pitch);
    let row_band = strips.median_band_height(&row.centres, width);
    add_end_lanes(
        corrected,
        &strips,
        &mut centres,
        (pitch, width),
        row_band,
        &[-1.0, 1.0],
    );
    Some(place_on_row(corrected, row, &centres, pitch, width))
}

/// The grid extended over runs of bands at its pitch (`runs`, from
/// [`crate::band_row::Bands::rows_at_pitch`]) that reach beyond its ends: lanes the column
/// profile does not show (a gel's first group of lanes, faint but for their bands). One lane per
/// step of the grid's lattice out to the farthest such band, then further lanes beyond it
/// wherever a strip holds a band (as at the ends of a row of bands). `None` where no band of a
/// run lies beyond the grid on its lattice.
pub fn extend_over_bands(
    corrected: &Array2<f32>,
    grid: &LaneGrid,
    runs: &[BandRow],
) -> Option<LaneGrid> {
    if grid.lanes.len() < 2 {
        return None;
    }
    let points: Vec<(f64, f64)> = grid
        .lanes
        .iter()
        .enumerate()
        .map(|(i, lane)| (i as f64, lane.x_center))
        .collect();
    let (pitch, origin, worst) = stats::line_fit(&points);
    // Only an evenly spaced grid has a lattice to extend (not one grid per blot side by side).
    if pitch <= 0.0 || worst > MAX_LATTICE_RESIDUAL * pitch {
        return None;
    }
    let last = (grid.lanes.len() - 1) as f64;
    // Lattice steps of the runs' bands that lie beyond the grid, on its lattice; and the runs
    // they belong to.
    let beyond_steps = |run: &BandRow| -> Vec<f64> {
        run.centres
            .iter()
            .map(|&c| (c - origin) / pitch)
            .filter(|&step| (step - step.round()).abs() <= 0.25)
            .map(f64::round)
            .filter(|&step| step < 0.0 || step > last)
            .collect()
    };
    let (reaching, beyond): (Vec<&BandRow>, Vec<Vec<f64>>) = runs
        .iter()
        .map(|run| (run, beyond_steps(run)))
        .filter(|(_, steps)| !steps.is_empty())
        .unzip();
    let beyond: Vec<f64> = beyond.concat();
    if beyond.is_empty() {
        return None;
    }
    let from = beyond.iter().copied().fold(0.0, f64::min);
    let to = beyond.iter().copied().fold(last, f64::max);
    // The grid's lanes stay where they are; lattice positions are added beyond them.
    let at = |k: i64| origin + k as f64 * pitch;
    let mut centres: Vec<f64> = (from as i64..0).map(at).collect();
    centres.extend(grid.lanes.iter().map(|l| l.x_center));
    centres.extend((last as i64 + 1..=to as i64).map(at));
    let sides: Vec<f64> = [(from < 0.0, -1.0), (to > last, 1.0)]
        .into_iter()
        .filter_map(|(extended, side)| extended.then_some(side))
        .collect();
    let strips = StripMeans::new(corrected);
    let widths: Vec<f64> = reaching.iter().map(|run| run.band_width).collect();
    let width = stats::median(&widths).min(0.95 * pitch);
    let bands: Vec<f64> = reaching
        .iter()
        .flat_map(|run| run.centres.iter().copied())
        .collect();
    let run_band = strips.median_band_height(&bands, width);
    add_end_lanes(
        corrected,
        &strips,
        &mut centres,
        (pitch, width),
        run_band,
        &sides,
    );
    let mut extended = grid_at(&grid.profile, &centres, pitch);
    extended.beyond_profile = true;
    Some(extended)
}

/// A grid's lanes lie on its lattice (a straight line through their centres) within this
/// share of the pitch.
const MAX_LATTICE_RESIDUAL: f64 = 0.25;

/// The grid extended over a row of merged bands (`merged_rows`: each one's rows, from
/// [`crate::band_row::Bands::merged_rows`]): an overloaded loading control whose bands touch
/// shows its lanes only as dips between them, which the whole image's column profile
/// dilutes where a target row holds bands in some lanes only. The row's own column profile
/// is fitted with more lanes than the grid, at about its pitch; where such a fit holds each of
/// the grid's lanes (within a third of a pitch; nearer its lane than the gap beside it) and
/// its outermost lane beyond the grid at each end stands out of its gaps, the fit's lanes
/// are the lanes (the most of them over all rows). `None` where no row shows more lanes.
pub fn extend_over_merged_row(
    corrected: &Array2<f32>,
    grid: &LaneGrid,
    merged_rows: &[(usize, usize)],
    max_lanes: usize,
    min_pitch: f64,
) -> Option<LaneGrid> {
    let shown = grid.lanes.len();
    if shown < 2 {
        return None;
    }
    let pitch = grid.pitch;
    let mut best: Option<Vec<f64>> = None;
    for &(top, bottom) in merged_rows {
        let profile = &column_profile(&corrected.slice(ndarray::s![top..bottom, ..]).to_owned());
        let most = ((profile.len() as f64 / ((1.0 - MERGED_PITCH_TOLERANCE) * pitch)) as usize)
            .min(max_lanes);
        for count in shown + 1..=most {
            if best.as_ref().is_some_and(|b| b.len() >= count) {
                continue;
            }
            let Some(fit) = fit_profile(profile, count, min_pitch) else {
                continue;
            };
            if (fit.pitch / pitch - 1.0).abs() > MERGED_PITCH_TOLERANCE {
                continue;
            }
            let centres: Vec<f64> = fit.lanes.iter().map(|l| l.x_center).collect();
            // The fit's lane nearest the grid's first, and the grid's lanes on the fit's.
            let first = grid.lanes[0].x_center;
            let Some(offset) = (0..count).min_by(|&a, &b| {
                (centres[a] - first)
                    .abs()
                    .total_cmp(&(centres[b] - first).abs())
            }) else {
                continue;
            };
            let holds_the_grid = offset + shown <= count
                && grid
                    .lanes
                    .iter()
                    .zip(&centres[offset..])
                    .all(|(lane, &c)| (lane.x_center - c).abs() <= fit.pitch / 3.0);
            let stands_out = |i: usize| fit.lane_contrast[i] >= MIN_LANE_CONTRAST_SDS * fit.noise;
            let left_ok = offset == 0 || stands_out(0);
            let right_ok = offset + shown == count || stands_out(count - 1);
            if holds_the_grid && left_ok && right_ok {
                best = Some(centres);
            }
        }
    }
    let centres = best?;
    let pitch = (centres[centres.len() - 1] - centres[0]) / (centres.len() - 1) as f64;
    let mut extended = grid_at(&grid.profile, &centres, pitch);
    extended.beyond_profile = true;
    Some(extended)
}

/// A row of merged bands shows the grid's lanes at a pitch within this share of the grid's.
const MERGED_PITCH_TOLERANCE: f64 = 0.1;
/// A lane stands out of its gaps by this many noise SDs of the profile.
const MIN_LANE_CONTRAST_SDS: f64 = 5.0;

/// Adds lanes beyond the ends of `centres` (`sides`: −1 the left end, 1 the right) wherever the
/// image shows a lane there: a strip as wide as the bands (`width`), ¾ to 1¼ pitches from the
/// end lane and clear of its band, that holds a band of its own, at least
/// [`MIN_END_LANE_BAND_SDS`] noise SDs and [`MIN_END_LANE_BAND_SHARE`] of `row_band` high.
fn add_end_lanes(
    corrected: &Array2<f32>,
    strips: &StripMeans,
    centres: &mut Vec<f64>,
    (pitch, width): (f64, f64),
    row_band: f64,
    sides: &[f64],
) {
    let limit = (corrected.ncols() - 1) as f64;
    for &side in sides {
        loop {
            let end = if side < 0.0 {
                centres[0]
            } else {
                centres[centres.len() - 1]
            };
            // Around the next lattice position, clear of the end lane's band.
            let nearest = (0.75 * pitch).max(width + 2.0);
            let strongest = (0..)
                .map(|i| nearest + i as f64)
                .take_while(|&d| d <= 1.25 * pitch)
                .map(|d| end + side * d)
                .filter(|&c| c - width / 2.0 >= 0.0 && c + width / 2.0 <= limit)
                .map(|c| (c, strips.band(c, width)))
                .max_by(|a, b| a.1.height.total_cmp(&b.1.height));
            match strongest {
                Some((c, band))
                    if band.height > MIN_END_LANE_BAND_SDS * band.noise
                        && band.height > MIN_END_LANE_BAND_SHARE * row_band =>
                {
                    // The band is measured from the end lane's band outwards, as far as a
                    // band as wide as the row's could reach from the strip: an end lane may
                    // lie further out than the lattice (a faint lane loaded apart).
                    let clear = end + side * (width / 2.0 + 2.0);
                    let farthest = end + side * (1.25 * pitch + width);
                    let c = band_centre_within(
                        corrected,
                        band.row,
                        (clear.min(farthest), clear.max(farthest)),
                    )
                    .unwrap_or(c);
                    if side < 0.0 {
                        centres.insert(0, c);
                    } else {
                        centres.push(c);
                    }
                }
                _ => break,
            }
        }
    }
}

/// The lanes at `centres`: the grid's contrasts, noise and confidence are those of the column
/// profile at these positions; a lane with a band of the row is centred on that band (a lane
/// darker at its edges would pull a profile-refined centre towards one edge), and every lane
/// is `width` wide (the row's bands).
fn place_on_row(
    corrected: &Array2<f32>,
    row: &BandRow,
    centres: &[f64],
    pitch: f64,
    width: f64,
) -> LaneGrid {
    let mut grid = grid_at(&column_profile(corrected), centres, pitch);
    let reach = band_reach(width, pitch);
    for (lane, &position) in grid.lanes.iter_mut().zip(centres) {
        let band = row
            .centres
            .iter()
            .zip(&row.rows)
            .find(|(&b, _)| (b - position).abs() <= 0.25 * pitch);
        // The row was found on a binned image: the band's centre is measured again here.
        lane.x_center = band.map_or(position, |(&b, &y)| {
            band_centre(corrected, y, b, reach).unwrap_or(b)
        });
        lane.anchored = band.is_some();
        lane.width = width;
    }
    grid.on_band_row = true;
    grid
}

/// A strip holds a band when its strongest row stands this many noise SDs above its median
/// row (the strip's row profile, smoothed as band finding smooths it)…
const MIN_END_LANE_BAND_SDS: f64 = 6.0;
/// … and at least this share of the row's bands as high.
const MIN_END_LANE_BAND_SHARE: f64 = 0.03;

/// Row means of any vertical strip of an image, from per-row prefix sums.
struct StripMeans {
    prefix: Array2<f64>,
}

impl StripMeans {
    fn new(image: &Array2<f32>) -> StripMeans {
        let (height, width) = image.dim();
        let mut prefix = Array2::zeros((height, width + 1));
        for (y, row) in image.rows().into_iter().enumerate() {
            for (x, &v) in row.iter().enumerate() {
                prefix[[y, x + 1]] = prefix[[y, x]] + f64::from(v);
            }
        }
        StripMeans { prefix }
    }

    /// The median height of the strongest bands of the strips `width` wide at `centres`: a
    /// band as tall as a small share of it is a band, however clean the image.
    fn median_band_height(&self, centres: &[f64], width: f64) -> f64 {
        stats::median(
            &centres
                .iter()
                .map(|&c| self.band(c, width).height)
                .collect::<Vec<f64>>(),
        )
    }

    /// The strongest band of the strip `width` wide centred at `centre`.
    fn band(&self, centre: f64, width: f64) -> StripBand {
        let columns = self.prefix.ncols() - 1;
        let start = ((centre - width / 2.0).round().max(0.0) as usize).min(columns - 1);
        let end = ((centre + width / 2.0).round() as usize).clamp(start + 1, columns);
        let rows: Vec<f32> = self
            .prefix
            .rows()
            .into_iter()
            .map(|r| ((r[end] - r[start]) / (end - start) as f64) as f32)
            .collect();
        let noise = f64::from(stats::noise_sigma(&rows));
        let smooth = stats::gaussian_smooth(&rows, 1.0);
        let mut sorted = smooth.clone();
        let median = f64::from(stats::median_f32(&mut sorted));
        let (row, top) = smooth
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        StripBand {
            height: f64::from(top) - median,
            noise,
            row,
        }
    }
}

/// The strongest band of a strip: how far its row stands above the strip's median row, the
/// noise SD of the strip's row profile, and its row.
struct StripBand {
    height: f64,
    noise: f64,
    row: usize,
}

/// How far either side of a lane's centre its band is looked for: the lane and a third of
/// the gaps beside it.
fn band_reach(width: f64, pitch: f64) -> f64 {
    width / 2.0 + (pitch - width) / 3.0
}

/// The centre of the band at `row` near `centre`: the midpoint of the outermost columns within
/// `reach` where the band (rows `row` ± 2) is at half its height over the lowest column there.
/// Outermost, so a band darker at its edges is measured across its whole width. `None` where
/// the band runs to either end of the reach.
fn band_centre(corrected: &Array2<f32>, row: usize, centre: f64, reach: f64) -> Option<f64> {
    band_centre_within(corrected, row, (centre - reach, centre + reach))
}

/// [`band_centre`] within the columns `from`–`to`.
fn band_centre_within(corrected: &Array2<f32>, row: usize, (from, to): (f64, f64)) -> Option<f64> {
    let (height, width) = corrected.dim();
    let start = from.round().max(0.0) as usize;
    let end = (to.round().max(0.0) as usize).min(width - 1);
    if end <= start {
        return None;
    }
    let rows = row.saturating_sub(2)..(row + 3).min(height);
    let n = rows.len() as f32;
    let section: Vec<f32> = (start..=end)
        .map(|x| rows.clone().map(|y| corrected[[y, x]]).sum::<f32>() / n)
        .collect();
    let section = stats::gaussian_smooth(&section, 1.0);
    let low = section.iter().copied().fold(f32::INFINITY, f32::min);
    let high = section.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let level = low + 0.5 * (high - low);
    let left = section.iter().position(|&v| v >= level)?;
    let right = section.iter().rposition(|&v| v >= level)?;
    (left > 0 && right + 1 < section.len()).then(|| start as f64 + 0.5 * (left + right) as f64)
}

/// The grid with its lanes leaning as the image shows them (a membrane imaged turned, lanes
/// fanning out of a gel). The lanes whose signal runs down several horizontal segments of the
/// image (a ladder, a lane of many bands) show their lean: the straight line through their
/// segments' centroids. Their slopes are fitted as a straight line across the image (robust
/// to one lane measured wrongly): one slope for all lanes where one lane shows it, a
/// fan where lanes at different places lean differently. The column profile is then taken
/// along the lean, and the lanes are placed on that profile, as the grid was on the upright
/// one, each with its centre at the middle row. Leans that move every lane less than 2 px
/// over the image's height are none. Lanes placed on a row of bands are left as they are
/// (their bands placed them), and so are the lanes of images under 300 rows (figure panels).
pub fn lean(corrected: &Array2<f32>, grid: LaneGrid) -> LaneGrid {
    let height = corrected.nrows();
    if grid.on_band_row || height < MIN_LEAN_IMAGE_ROWS {
        return grid;
    }
    let middle = 0.5 * (height - 1) as f64;
    let measured: Vec<LaneLean> = grid
        .lanes
        .iter()
        .map(|lane| lane_lean(corrected, lane, grid.pitch))
        .collect();
    let shown: Vec<(f64, f64)> = grid
        .lanes
        .iter()
        .zip(&measured)
        .filter_map(|(lane, m)| m.slope.map(|s| (lane.x_center, s)))
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

/// Lanes moved onto their own signal where the grid misplaced them. A lane's signal is its
/// cross-section taken along its centre line over the rows where it holds signal (each row
/// weighted by the square of the signal in the lane's core, so its bands count and empty
/// membrane does not). Its middle is the middle of the run around the cross-section's peak
/// (within a quarter pitch) at half the peak's height, where that run stands 5 noise SDs out,
/// ends inside the cross-section, and agrees with the run at a quarter of the height (a
/// symmetric band: the head of a comet-shaped smear is not its lane's middle). In the column
/// profile a lane of one band is that band diluted by every row without it, beside
/// neighbours of many bands (a ladder), and an evenly spaced grid puts it where a hand-loaded
/// lane need not be. A lane moves only where its middle lies more than 5 % of
/// the pitch away: closer, the grid's place is as good (lane centres on synthetic blots are
/// within 2 % of the pitch). Lanes placed on a row of bands are centred on their bands
/// already.
pub fn centre_on_signal(corrected: &Array2<f32>, mut grid: LaneGrid) -> LaneGrid {
    if grid.on_band_row {
        return grid;
    }
    use rayon::prelude::*;
    let pitch = grid.pitch;
    // Each lane reads every row of the image: lanes are measured side by side.
    grid.lanes.par_iter_mut().for_each(|lane| {
        // Twice: the second time the core, which weighs the rows, lies on the lane.
        let mut moved = *lane;
        for _ in 0..2 {
            if let Some(offset) = signal_middle(corrected, &moved, pitch) {
                moved.x_center += offset;
            }
        }
        let shift = moved.x_center - lane.x_center;
        if shift.abs() > MISPLACED_SHARE * pitch && shift.abs() <= pitch / 4.0 {
            lane.x_center = moved.x_center;
            lane.anchored = true;
        }
    });
    grid
}

/// A lane whose signal lies more than this share of the pitch from it was misplaced.
const MISPLACED_SHARE: f64 = 0.05;

/// The middle of a lane's signal (see [`centre_on_signal`]) as an offset from its centre
/// line; `None` where it is unclear or lopsided.
fn signal_middle(corrected: &Array2<f32>, lane: &Lane, pitch: f64) -> Option<f64> {
    let width = corrected.ncols();
    let reach = (0.75 * pitch).round() as i64;
    let core = Lane {
        width: (0.6 * lane.width).max(1.0),
        ..*lane
    };
    let mut section = vec![0f64; (2 * reach + 1) as usize];
    let mut total = 0.0;
    // The section is sampled at whole columns around the rounded centre line: how far that
    // lies left of the line, on average over the weighted rows.
    let mut rounding = 0.0;
    for (y, row) in corrected.rows().into_iter().enumerate() {
        let (start, end) = core.columns_at(y as f64, width);
        let mean = row.slice(ndarray::s![start..end]).sum() as f64 / (end - start).max(1) as f64;
        let weight = mean.max(0.0).powi(2);
        if weight == 0.0 {
            continue;
        }
        total += weight;
        let line = lane.x_at(y as f64);
        rounding += weight * (line - line.round());
        let centre = line.round() as i64;
        for (d, s) in (-reach..=reach).zip(section.iter_mut()) {
            let x = centre + d;
            if (0..width as i64).contains(&x) {
                *s += weight * f64::from(row[x as usize]);
            }
        }
    }
    if total <= 0.0 {
        return None;
    }
    let section: Vec<f32> = section.iter().map(|s| (s / total) as f32).collect();
    let noise = f64::from(stats::noise_sigma(&section)).max(1e-9);
    let quarter = (pitch / 4.0).floor() as i64;
    let peak = ((reach - quarter).max(0)..=(reach + quarter).min(2 * reach))
        .map(|i| i as usize)
        .max_by(|&a, &b| section[a].total_cmp(&section[b]))?;
    let low = section.iter().copied().fold(f32::INFINITY, f32::min);
    if f64::from(section[peak] - low) < 5.0 * noise {
        return None;
    }
    // The middle of the run around the peak above `share` of its height, between columns
    // (linear interpolation at the crossings); column i is offset i − reach from the rounded
    // centre line.
    let run_middle = |share: f32| -> Option<f64> {
        let level = low + share * (section[peak] - low);
        let left = (0..=peak)
            .rev()
            .take_while(|&i| section[i] >= level)
            .last()?;
        let right = (peak..section.len())
            .take_while(|&i| section[i] >= level)
            .last()?;
        if left == 0 || right == section.len() - 1 {
            return None;
        }
        let crossing = |below: usize, above: usize| {
            let (b, a) = (section[below], section[above]);
            below as f64 + (above as f64 - below as f64) * f64::from((level - b) / (a - b))
        };
        Some(0.5 * (crossing(left - 1, left) + crossing(right + 1, right)))
    };
    let half = run_middle(0.5)?;
    let foot = run_middle(0.25)?;
    let symmetric = (half - foot).abs() <= MISPLACED_SHARE * pitch;
    symmetric.then(|| half - reach as f64 - rounding / total)
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
fn leaning_column_profile(corrected: &Array2<f32>, slope: f64, reference_row: f64) -> Vec<f32> {
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
    for _pass in 0..2 {
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
                for (r, row) in corrected
                    .slice(ndarray::s![top..bottom, start..end])
                    .rows()
                    .into_iter()
                    .enumerate()
                {
                    for (a, &v) in across.iter_mut().zip(row) {
                        let v = f64::from(v.max(0.0));
                        *a += v;
                        down[r] += v;
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
        let straight = shown
            .iter()
            .all(|p| (p.1 - (x + slope * (p.0 - y))).abs() <= allowed);
        result.slope = (straight && slope.abs() * height as f64 >= MIN_LEAN_PX).then_some(slope);
        if result.slope.is_none() {
            // Upright: the second pass would only follow a lean.
            return result;
        }
        line = (x, slope, y);
    }
    result
}

/// Fits lanes to blots side by side (`blocks`: each one's column range): each block gets its
/// own evenly spaced grid, of the count estimated on its own columns, and the lanes are
/// numbered left to right across the blocks. With `total` (the manifest's lane count), `None`
/// unless the blocks' counts add up to it; `None` too where a block shows no lanes.
pub fn fit_blocks(
    corrected: &Array2<f32>,
    blocks: &[(usize, usize)],
    total: Option<usize>,
    max_lanes: usize,
    min_pitch: f64,
) -> Option<LaneGrid> {
    if blocks.is_empty() {
        return None;
    }
    let profile = column_profile(corrected);
    let grids: Vec<(usize, LaneGrid)> = blocks
        .iter()
        .map(|&(first, last)| {
            let part = &profile[first..=last];
            let count = estimate_lane_count(part, max_lanes, min_pitch)?;
            Some((first, fit_profile(part, count, min_pitch)?))
        })
        .collect::<Option<_>>()?;
    let count: usize = grids.iter().map(|(_, g)| g.lanes.len()).sum();
    if total.is_some_and(|t| t != count) {
        return None;
    }
    let lanes = grids
        .iter()
        .flat_map(|(first, g)| {
            g.lanes.iter().map(move |l| Lane {
                x_center: l.x_center + *first as f64,
                ..*l
            })
        })
        .enumerate()
        .map(|(i, l)| Lane { index: i + 1, ..l })
        .collect();
    let pitches: Vec<f64> = grids.iter().map(|(_, g)| g.pitch).collect();
    Some(LaneGrid {
        lanes,
        pitch: stats::median(&pitches),
        confidence: grids
            .iter()
            .map(|(_, g)| g.confidence)
            .fold(f64::INFINITY, f64::min),
        lane_contrast: grids
            .iter()
            .flat_map(|(_, g)| g.lane_contrast.iter().copied())
            .collect(),
        noise: grids.iter().map(|(_, g)| g.noise).fold(0.0, f64::max),
        profile,
        beyond: [grids[0].1.beyond[0], grids[grids.len() - 1].1.beyond[1]],
        on_band_row: false,
        beyond_profile: false,
    })
}

/// Registers the lane grids of the images of one membrane (same size, same lane count): a lane
/// whose centre its own image could not measure (a faint or empty lane in that image), or
/// measured where at least two other images disagree by more than 4 % of the pitch (2 px at
/// least), takes the centre the other images measured for it, moved by the shift between the
/// captures (the median offset of the lanes both measured). Images of other sizes or counts
/// are left alone.
pub fn register(grids: &mut [&mut LaneGrid], widths: &[usize]) {
    let n = grids.len();
    let same_membrane =
        |a: usize, b: usize| widths[a] == widths[b] && grids[a].lanes.len() == grids[b].lanes.len();
    // shift[a][b]: how far image a's lanes lie right of image b's.
    let mut shift = vec![vec![None; n]; n];
    for a in 0..n {
        for b in 0..n {
            if a == b || !same_membrane(a, b) {
                continue;
            }
            let offsets: Vec<f64> = grids[a]
                .lanes
                .iter()
                .zip(&grids[b].lanes)
                .filter(|(la, lb)| la.anchored && lb.anchored)
                .map(|(la, lb)| la.x_center - lb.x_center)
                .collect();
            if offsets.len() >= 2 {
                shift[a][b] = Some(stats::median(&offsets));
            }
        }
    }
    let measured: Vec<Vec<(f64, bool)>> = grids
        .iter()
        .map(|g| g.lanes.iter().map(|l| (l.x_center, l.anchored)).collect())
        .collect();
    for a in 0..n {
        let pitch = grids[a].pitch;
        for (i, lane) in grids[a].lanes.iter_mut().enumerate() {
            let carried: Vec<f64> = (0..n)
                .filter(|&b| b != a)
                .filter_map(|b| {
                    let (x, anchored) = *measured[b].get(i)?;
                    (anchored).then_some(x + shift[a][b]?)
                })
                .collect();
            if carried.is_empty() {
                continue;
            }
            let consensus = stats::median(&carried);
            // A measured centre that two or more other images contradict (a speck or a
            // blotch edge moved its half-maximum edges) gives way to theirs.
            let contradicted =
                carried.len() >= 2 && (lane.x_center - consensus).abs() > (0.04 * pitch).max(2.0);
            if !lane.anchored || contradicted {
                lane.x_center = consensus;
                lane.anchored = false;
            }
        }
    }
}

/// Estimates the lane count from a column profile: the count whose best grid has the largest
/// total lane contrast (each lane's core over the brighter of its neighbouring gaps). A real
/// lane adds its contrast, a faint or empty one adds about nothing, and a grid at the wrong
/// pitch puts "lanes" on gaps and "gaps" on lanes, which subtracts; so the total peaks at the
/// true count without asking every lane to be visible. `None` when no grid has a lane that
/// stands 5 noise SDs out of its gaps.
pub fn estimate_lane_count(raw_profile: &[f32], max_lanes: usize, min_pitch: f64) -> Option<usize> {
    use rayon::prelude::*;
    let width = raw_profile.len() as f64;
    // Counts are fitted in parallel, then compared in order (ties to the smaller count).
    let totals: Vec<Option<(usize, f64)>> = (1..=max_lanes)
        .into_par_iter()
        .filter(|&n| width / n as f64 >= min_pitch)
        .map(|n| {
            let grid = fit_profile_with(raw_profile, n, min_pitch, QUICK)?;
            let strongest = grid.lane_contrast.iter().cloned().fold(f64::MIN, f64::max);
            let total: f64 = grid.lane_contrast.iter().sum();
            (strongest > 5.0 * grid.noise).then_some((n, total))
        })
        .collect();
    totals
        .into_iter()
        .flatten()
        .fold(None, |best: Option<(usize, f64)>, (n, total)| match best {
            Some((_, b)) if b >= total => best,
            _ => Some((n, total)),
        })
        .map(|(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flat-topped lanes (value 100 over `width` columns) at the given centres, 30 rows high,
    /// with a little deterministic ripple as noise.
    fn lanes_at(width: usize, centres: &[f64], lane_width: f64) -> Array2<f32> {
        Array2::from_shape_fn((30, width), |(y, x)| {
            let inside = centres
                .iter()
                .any(|&c| (x as f64 - c).abs() <= lane_width / 2.0);
            let ripple = ((x * 7 + y * 13) % 5) as f32 * 0.4;
            if inside {
                100.0 + ripple
            } else {
                ripple
            }
        })
    }

    #[test]
    fn blots_side_by_side_get_a_grid_each() {
        let left = [30.0, 70.0, 110.0, 150.0];
        let right = [275.0, 325.0, 375.0];
        let centres: Vec<f64> = left.iter().chain(&right).copied().collect();
        let corrected = lanes_at(410, &centres, 24.0);
        let blocks = [(0, 200), (240, 409)];
        let grid = fit_blocks(&corrected, &blocks, None, 20, 8.0).unwrap();
        let found: Vec<f64> = grid.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 7, "{found:?}");
        for (f, c) in found.iter().zip(&centres) {
            assert!((f - c).abs() <= 1.5, "{found:?}");
        }
        let indices: Vec<usize> = grid.lanes.iter().map(|l| l.index).collect();
        assert_eq!(indices, (1..=7).collect::<Vec<_>>());
        // A manifest count the blocks do not add up to leaves the choice to the single grid.
        assert!(fit_blocks(&corrected, &blocks, Some(6), 20, 8.0).is_none());
    }

    /// Five bands darker at their edges, 40 px wide, 50 px apart from x 130, rows 40–49, with
    /// their row; a sixth lane beyond them at `faint_at`, at a twentieth of their strength;
    /// empty membrane to the left.
    fn row_with_a_faint_end_lane(faint_at: f64) -> (Array2<f32>, BandRow) {
        let strong = [130.0, 180.0, 230.0, 280.0, 330.0];
        let mut corrected =
            Array2::from_shape_fn((90, 460), |(y, x)| ((x * 7 + y * 13) % 5) as f32 * 0.1);
        for (c, peak) in strong.iter().map(|&c| (c, 100.0)).chain([(faint_at, 5.0)]) {
            for x in (c as usize - 20)..(c as usize + 20) {
                let u = (x as f64 + 0.5 - c) / 20.0;
                for y in 40..50 {
                    corrected[[y, x]] += (peak * (1.0 + 2.0 * u * u)) as f32;
                }
            }
        }
        let row = BandRow {
            centres: strong.to_vec(),
            rows: vec![45; 5],
            pitch: 50.0,
            band_width: 40.0,
        };
        (corrected, row)
    }

    #[test]
    fn lanes_on_a_row_of_bands_take_in_a_faint_end_lane_and_no_empty_membrane() {
        let (corrected, row) = row_with_a_faint_end_lane(380.0);
        let grid = fit_band_row(&corrected, &row).unwrap();
        let found: Vec<f64> = grid.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 6, "{found:?}");
        for (f, c) in found.iter().zip(row.centres.iter().chain(&[380.0])) {
            assert!((f - c).abs() <= 1.0, "{found:?}");
        }
        assert!(grid.on_band_row);
        assert!(grid.lanes[..5].iter().all(|l| l.anchored));
        assert!(!grid.lanes[5].anchored);
    }

    #[test]
    fn a_faint_end_lane_loaded_apart_is_centred_on_its_band() {
        // 1.4 pitches beyond the last lane: its band reaches past the lattice position.
        let (corrected, row) = row_with_a_faint_end_lane(400.0);
        let grid = fit_band_row(&corrected, &row).unwrap();
        let found: Vec<f64> = grid.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 6, "{found:?}");
        assert!((found[5] - 400.0).abs() <= 1.0, "{found:?}");
    }

    /// Four upright lanes 30 px wide on an even grid 60 px apart from x 50, in 200 rows: ladders
    /// (bands every 16 rows) in lanes 1, 3 and 4 at their grid positions, and in lane 2 one
    /// band across rows 90–99 whose columns hold `band(x)` (zero elsewhere).
    fn grid_with_one_band_lane(band: impl Fn(usize) -> f32) -> (Array2<f32>, LaneGrid) {
        let ladders = [50.0, 170.0, 230.0];
        let image = Array2::from_shape_fn((200, 280), |(y, x)| {
            let on_ladder = ladders
                .iter()
                .any(|&c| (x as f64 - c).abs() <= 15.0 && y % 16 < 8);
            if on_ladder {
                100.0
            } else if (90..100).contains(&y) {
                band(x)
            } else {
                0.0
            }
        });
        let lanes = [50.0, 110.0, 170.0, 230.0]
            .iter()
            .enumerate()
            .map(|(i, &c)| Lane::upright(i + 1, c, 30.0, false))
            .collect();
        let grid = LaneGrid {
            lanes,
            pitch: 60.0,
            confidence: 10.0,
            lane_contrast: vec![1.0; 4],
            noise: 0.1,
            profile: column_profile(&image),
            beyond: [None, None],
            on_band_row: false,
            beyond_profile: false,
        };
        (image, grid)
    }

    #[test]
    fn a_lane_off_the_even_grid_is_moved_onto_its_band() {
        // Lane 2 was loaded 12 px right of the even grid (a fifth of the pitch).
        let (image, grid) = grid_with_one_band_lane(|x| {
            let u = (x as f32 - 122.0) / 12.0;
            100.0 * (-0.5 * u * u).exp()
        });
        let centred = centre_on_signal(&image, grid);
        let found: Vec<f64> = centred.lanes.iter().map(|l| l.x_center).collect();
        assert!((found[1] - 122.0).abs() <= 0.5, "{found:?}");
        assert_eq!([found[0], found[2], found[3]], [50.0, 170.0, 230.0]);
    }

    #[test]
    fn a_comet_shaped_band_does_not_move_its_lane() {
        // A dark head at x 112–123 (its middle 7.5 px right of the lane's) and a tail at 40 %
        // of its strength to x 150: the head is not the lane's middle.
        let (image, grid) = grid_with_one_band_lane(|x| match x {
            112..=123 => 100.0,
            124..=150 => 40.0,
            _ => 0.0,
        });
        let centred = centre_on_signal(&image, grid);
        assert_eq!(centred.lanes[1].x_center, 110.0);
    }

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

    /// Nine lanes 40 px apart from x 40 in a 440 × 120 image: lanes 4–9 hold two strong bands
    /// each (the column profile shows them), lanes 1–3 only a faint band at rows 28–31 (as a
    /// gel's first group of lanes), lane 1 also a strong one at rows 80–87; each band is 24 px
    /// wide. With `edge`, a line 4 px wide runs down the image at x 400 (a gel's edge, where a
    /// tenth lane would be).
    fn first_lanes_faint(edge: bool) -> Array2<f32> {
        let mut image =
            Array2::from_shape_fn((120, 440), |(y, x)| ((x * 7 + y * 13) % 5) as f32 * 0.1);
        let mut band = |centre: usize, rows: std::ops::Range<usize>, value: f32| {
            for y in rows {
                for x in centre - 12..centre + 12 {
                    image[[y, x]] += value;
                }
            }
        };
        for k in 0..9 {
            let centre = 40 + 40 * k;
            if k < 3 {
                band(centre, 28..32, 20.0);
            } else {
                band(centre, 50..58, 100.0);
                band(centre, 90..98, 100.0);
            }
        }
        band(40, 80..88, 100.0);
        if edge {
            image
                .slice_mut(ndarray::s![.., 398..402])
                .map_inplace(|v| *v += 60.0);
        }
        image
    }

    #[test]
    fn lanes_beyond_the_profile_s_grid_are_added_where_a_row_of_bands_shows_them() {
        let image = first_lanes_faint(false);
        // A grid of the six lanes the profile shows clearly.
        let grid = fit_lanes(&image, 6, 8.0).unwrap();
        let found: Vec<f64> = grid.lanes.iter().map(|l| l.x_center).collect();
        assert!((found[0] - 160.0).abs() <= 1.5, "{found:?}");
        let runs = crate::band_row::Bands::search(&image)
            .expect("bands")
            .rows_at_pitch(grid.pitch);
        let extended = extend_over_bands(&image, &grid, &runs).expect("lanes beyond the grid");
        assert!(extended.beyond_profile);
        let found: Vec<f64> = extended.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 9, "{found:?}");
        for (k, x) in found.iter().enumerate() {
            assert!((x - (40.0 + 40.0 * k as f64)).abs() <= 1.5, "{found:?}");
        }
        // The grid's own lanes stay where they were.
        for (lane, kept) in grid.lanes.iter().zip(&extended.lanes[3..]) {
            assert!((lane.x_center - kept.x_center).abs() <= 1e-9, "{found:?}");
        }
        // The run lies inside a grid of all nine lanes: nothing to add.
        let all = fit_lanes(&image, 9, 8.0).unwrap();
        assert!(extend_over_bands(&image, &all, &runs).is_none());
    }

    #[test]
    fn a_line_running_down_the_image_at_the_grid_s_end_is_no_lane() {
        let image = first_lanes_faint(true);
        let grid = fit_lanes(&image, 10, 8.0).unwrap();
        let last = grid.lanes[9].x_center;
        assert!(
            (last - 400.0).abs() <= 1.5,
            "the edge as a tenth lane: {last}"
        );
        let (kept, lines) = without_frame_lines(&image, grid);
        assert_eq!(kept.lanes.len(), 9);
        assert_eq!(lines, vec![last]);
    }

    #[test]
    fn an_end_lane_of_bands_is_no_frame_line() {
        // The end lanes are lanes of bands: nothing is left out, though the first lane's faint
        // band is as thin as a line.
        let image = first_lanes_faint(false);
        let grid = fit_lanes(&image, 9, 8.0).unwrap();
        let (kept, lines) = without_frame_lines(&image, grid.clone());
        assert!(lines.is_empty(), "{lines:?}");
        assert_eq!(kept, grid);
    }

    /// Twelve lanes 24 px apart from x 30 (width 340, 100 rows): a target row (rows 20–29)
    /// with bands 18 px wide in lanes 5–12 only, and a loading-control row (rows 60–71) whose
    /// bands in `merged` lanes (1-based, inclusive) are 24 px wide and touch, dipping to three
    /// quarters between lanes.
    fn target_over_merged_control(merged: (usize, usize)) -> Array2<f32> {
        let centre = |lane: usize| 30.0 + 24.0 * (lane - 1) as f64;
        Array2::from_shape_fn((100, 340), |(y, x)| {
            let ripple = ((x * 7 + y * 13) % 5) as f32 * 0.2;
            let nearest = ((x as f64 - 30.0) / 24.0).round() as i64 + 1;
            if !(1..=12).contains(&nearest) {
                return ripple;
            }
            let lane = nearest as usize;
            let u = (x as f64 - centre(lane)) / 24.0;
            let target = (20..30).contains(&y) && lane >= 5 && u.abs() <= 9.0 / 24.0;
            let control =
                (60..72).contains(&y) && (merged.0..=merged.1).contains(&lane) && u.abs() <= 0.5;
            ripple
                + if target { 200.0 } else { 0.0 }
                + if control {
                    (100.0 * (1.0 - 0.25 * (2.0 * u).powi(4))) as f32
                } else {
                    0.0
                }
        })
    }

    #[test]
    fn lanes_a_row_of_merged_bands_shows_beyond_the_grid_are_added() {
        let image = target_over_merged_control((1, 12));
        // The eight lanes the target row shows.
        let grid = fit_lanes(&image, 8, 8.0).unwrap();
        assert!((grid.lanes[0].x_center - 126.0).abs() <= 1.5, "{grid:?}");
        let rows = crate::band_row::Bands::search(&image)
            .expect("bands")
            .merged_rows(&image, grid.pitch);
        assert!(!rows.is_empty());
        let extended =
            extend_over_merged_row(&image, &grid, &rows, 20, 8.0).expect("lanes beyond the grid");
        assert!(extended.beyond_profile);
        let found: Vec<f64> = extended.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 12, "{found:?}");
        for (k, x) in found.iter().enumerate() {
            assert!((x - (30.0 + 24.0 * k as f64)).abs() <= 1.5, "{found:?}");
        }
        // A control row merged over the target's lanes only shows nothing beyond them.
        let image = target_over_merged_control((5, 12));
        let rows = crate::band_row::Bands::search(&image)
            .expect("bands")
            .merged_rows(&image, grid.pitch);
        assert!(!rows.is_empty());
        assert!(extend_over_merged_row(&image, &grid, &rows, 20, 8.0).is_none());
    }
}
