//! Dust, hot pixels and other specks inside the lanes: points far brighter (or darker) than
//! every pixel on a ring a few pixels around them, and than the pixels that far along their
//! row and column, whose edges along the row are sharp steps. A band, curved or thin, runs
//! through the ring, and where a knot of one is smaller than the ring it still rises along its
//! row by small steps. Bands a few pixels across (a figure panel shrunk for print) pass those
//! tests too, but they stand in a row across the lanes, and dust does not.
//!
//! A speck's pixels are replaced by the line along their row between the nearest pixels
//! outside it before bands are profiled and measured (and lanes found again where specks held a
//! share of a lane's signal that could have moved it); what they held is kept per pixel, so a
//! band whose box lost more than a small share of its volume to them is flagged, and the
//! overlay can show the image as stored.
//!
//! On a band's steep flank the noise measured at that level includes the band's own curvature,
//! so a speck there must stand out further before it is taken out.
//!
//! Before any of that, while lanes are not yet known, single pixels that stand out of all
//! eight of their neighbours (hot and dead pixels, speckle) are replaced anywhere inside the
//! frame ([`replace_isolated`]).

use ndarray::Array2;
use rayon::prelude::*;

use crate::lanes::Lane;
use crate::stats;

/// How far a speck must stand out, in noise SDs at its level (measured on the image itself):
/// read noise reaches this once in about a billion pixels.
const SPECK_SIGMAS: f32 = 6.0;
/// How far away the pixels a point is compared with lie, in pixels: a hot pixel, a cosmic
/// ray's hit or a grain of dust spans one to three of the detector's pixels, whatever the
/// blot's scale, and a band spans more than twice this in at least one direction. (Tied to the
/// lane width instead, the ring took in a gel's narrow ladder bands and a scan's 10-px blobs.)
const REACH_PX: usize = 3;
/// Pixels the noise is measured on, at most.
const NOISE_SAMPLES: usize = 20_000;
/// Other lanes that stand out on the same row that make a row of bands.
const BAND_ROW_OTHER_LANES: usize = 2;
/// Noise levels measured: the noise SD is taken in this many bins of local level (shot noise
/// grows with the signal).
const NOISE_BINS: usize = 8;

/// The specks replaced in one image.
#[derive(Debug, Clone, Default)]
pub struct Specks {
    /// `(row, column, signal removed)`: each replaced pixel with what it held above (positive)
    /// or below (negative) its replacement.
    pub pixels: Vec<(usize, usize, f32)>,
}

impl Specks {
    /// Signal removed from the box `rows` × `columns` (inclusive rows, half-open columns).
    pub fn removed_in(&self, (top, bottom): (usize, usize), (start, end): (usize, usize)) -> f64 {
        self.pixels
            .iter()
            .filter(|(y, x, _)| (top..=bottom).contains(y) && (start..end).contains(x))
            .map(|&(_, _, v)| f64::from(v))
            .sum()
    }

    /// The largest share of one lane's signal above `background` (the lane's pixels summed,
    /// specks left out) that its specks held.
    pub fn largest_share_of_a_lane(
        &self,
        signal: &Array2<f32>,
        background: &Array2<f32>,
        lanes: &[Lane],
    ) -> f64 {
        if self.pixels.is_empty() {
            return 0.0;
        }
        let width = signal.ncols();
        lanes
            .iter()
            .map(|lane| {
                let in_lane = |y: usize, x: usize| {
                    let (start, end) = lane.columns_at(y as f64, width);
                    (start..end).contains(&x)
                };
                let held: f64 = self
                    .pixels
                    .iter()
                    .filter(|&&(y, x, _)| in_lane(y, x))
                    .map(|&(_, _, v)| f64::from(v.abs()))
                    .sum();
                if held == 0.0 {
                    return 0.0;
                }
                let total: f64 = (0..signal.nrows())
                    .map(|y| {
                        let (start, end) = lane.columns_at(y as f64, width);
                        (start..end)
                            .map(|x| f64::from((signal[[y, x]] - background[[y, x]]).max(0.0)))
                            .sum::<f64>()
                    })
                    .sum();
                held / total.max(f64::MIN_POSITIVE)
            })
            .fold(0.0, f64::max)
    }

    /// Puts the specks back into `signal`, as the file holds them (overlays show the image as
    /// it is).
    pub fn restore(&self, signal: &mut Array2<f32>) {
        for &(y, x, removed) in &self.pixels {
            signal[[y, x]] += removed;
        }
    }
}

/// Replaces the specks inside `lanes` in `signal`; pixels at or above `saturation_level` are
/// left as they are (they say the detector's ceiling was reached). `code_step` is the smallest
/// step the file can record (1 for whole-numbered codes, 0 for floats): the noise SD is never
/// taken below it.
pub fn remove(
    signal: &mut Array2<f32>,
    lanes: &[Lane],
    saturation_level: f32,
    code_step: f32,
) -> Specks {
    let (height, width) = signal.dim();
    if height <= REACH_PX || width <= 2 * REACH_PX {
        return Specks::default();
    }
    let image = &*signal;
    let noise = &NoiseByLevel::measure(&image.view(), lanes, code_step);
    // Each pixel that stands out as a speck would, with its lane's position.
    let candidates: Vec<(usize, usize, usize)> = (0..height)
        .into_par_iter()
        .flat_map_iter(|y| {
            lane_spans(lanes, y, width).flat_map(move |(lane, columns)| {
                columns
                    .filter(move |&x| {
                        image[[y, x]] < saturation_level && stands_out(image, y, x, noise)
                    })
                    .map(move |x| (y, x, lane))
            })
        })
        .collect();
    let mut found = off_band_rows(&candidates);
    let in_candidate = mask(&found, height, width);
    found.retain(|&(y, x)| sharp_edged(image, &in_candidate, y, x, noise));
    let in_speck = mask(&found, height, width);
    // Levels first, from pixels outside the specks, which the replacing leaves as they are.
    let levels: Vec<f32> = found
        .iter()
        .map(|&(y, x)| level_under(image, &in_speck, y, x))
        .collect();
    let mut specks = Specks::default();
    for ((y, x), level) in found.into_iter().zip(levels) {
        specks.pixels.push((y, x, signal[[y, x]] - level));
        signal[[y, x]] = level;
    }
    specks
}

/// Replaces each isolated pixel of `signal` (one standing [`SPECK_SIGMAS`] noise SDs beyond
/// all eight of its neighbours, the same way) by the median of its 3×3 neighbourhood, and
/// returns what they held, so a band's box can say how much of it they were and the overlay
/// can put them back. Hot pixels and speckle lie anywhere, outside the lanes (where [`remove`]
/// does not look) as well as in them, and before lanes are known they add columns and blobs of
/// their own. A band, a line or a label's stroke has neighbours at its level along it and
/// stays. The noise SD is the image's own at the pixel's level (at least one `code_step`).
/// The image's first and last rows and columns are left as they are (a pixel there has no
/// ring of eight).
pub fn replace_isolated(mut signal: ndarray::ArrayViewMut2<f32>, code_step: f32) -> Specks {
    let (height, width) = signal.dim();
    if height < 3 || width < 3 {
        return Specks::default();
    }
    let image = signal.view();
    // The noise at each level, measured over the whole image as one lane.
    let whole = Lane::upright(0, width as f64 / 2.0, width as f64, false);
    let noise = &NoiseByLevel::measure(&image, &[whole], code_step);
    // Each isolated pixel with the level it is given, found on the image as it is.
    let levels: Vec<(usize, usize, f32)> = (1..height - 1)
        .into_par_iter()
        .flat_map_iter(|y| {
            (1..width - 1)
                .filter_map(move |x| isolated_level(&image, y, x, noise).map(|l| (y, x, l)))
        })
        .collect();
    let mut specks = Specks::default();
    for (y, x, level) in levels {
        specks.pixels.push((y, x, signal[[y, x]] - level));
        signal[[y, x]] = level;
    }
    specks
}

/// The median of the 3×3 neighbourhood of the pixel at `(y, x)` (not on the image's edge)
/// where it stands [`SPECK_SIGMAS`] noise SDs beyond all eight of its neighbours, the same
/// way; `None` otherwise.
fn isolated_level(
    signal: &ndarray::ArrayView2<f32>,
    y: usize,
    x: usize,
    noise: &NoiseByLevel,
) -> Option<f32> {
    let value = signal[[y, x]];
    let (left, right) = (signal[[y, x - 1]], signal[[y, x + 1]]);
    // One test settles nearly every pixel before the noise at its level is read.
    let least = noise.least_threshold;
    if value - left.max(right) <= least && left.min(right) - value <= least {
        return None;
    }
    let threshold = SPECK_SIGMAS * noise.sd_at((left + right) / 2.0);
    let bright = value - left.max(right) > threshold;
    let dark = left.min(right) - value > threshold;
    if !bright && !dark {
        return None;
    }
    let mut around = [0.0f32; 9];
    for (i, slot) in around.iter_mut().enumerate() {
        *slot = signal[[y + i / 3 - 1, x + i % 3 - 1]];
    }
    let isolated = around
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 4)
        .all(|(_, &v)| {
            if bright {
                value - v > threshold
            } else {
                v - value > threshold
            }
        });
    isolated.then(|| {
        around.sort_by(f32::total_cmp);
        around[4]
    })
}

/// Each lane's position and the columns of row `y` inside it that have a pixel [`REACH_PX`]
/// away on both sides along the row.
fn lane_spans(
    lanes: &[Lane],
    y: usize,
    width: usize,
) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> + '_ {
    lanes.iter().enumerate().map(move |(position, lane)| {
        let (start, end) = lane.columns_at(y as f64, width);
        (position, start.max(REACH_PX)..end.min(width - REACH_PX))
    })
}

/// Whether the pixel at `(y, x)` stands out as a speck: [`SPECK_SIGMAS`] noise SDs beyond the
/// pixels [`REACH_PX`] away along its row and down its column, and beyond its whole ring.
fn stands_out(signal: &Array2<f32>, y: usize, x: usize, noise: &NoiseByLevel) -> bool {
    let value = signal[[y, x]];
    let (left, right) = (signal[[y, x - REACH_PX]], signal[[y, x + REACH_PX]]);
    // Nearly every pixel is within the least threshold of one of its row's two: one test
    // settles it before the noise at its level is looked up.
    let least = noise.least_threshold;
    if value - left.max(right) <= least && left.min(right) - value <= least {
        return false;
    }
    // At the image's top or bottom edge, the one side there is (a strip's edge rows hold
    // specks too).
    let up = y.checked_sub(REACH_PX).map(|r| signal[[r, x]]);
    let down = (y + REACH_PX < signal.nrows()).then(|| signal[[y + REACH_PX, x]]);
    let (up, down) = match (up, down) {
        (Some(u), Some(d)) => (u, d),
        (Some(v), None) | (None, Some(v)) => (v, v),
        (None, None) => return false,
    };
    let threshold = SPECK_SIGMAS * noise.sd_at((left + right) / 2.0);
    let bright = value - left.max(right) > threshold && value - up.max(down) > threshold;
    let dark = left.min(right) - value > threshold && up.min(down) - value > threshold;
    (bright || dark) && stands_out_of_ring(signal, y, x, REACH_PX, threshold, bright)
}

/// The candidates that are specks: not on a row (within a row) where candidates stand out in
/// two other lanes too. Dust falls anywhere; a row that stands out in three lanes at once is a
/// row of bands smaller than the ring (a figure panel shrunk for print draws bands a few
/// pixels across).
fn off_band_rows(candidates: &[(usize, usize, usize)]) -> Vec<(usize, usize)> {
    let mut rows_by_lane: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for &(y, _, lane) in candidates {
        rows_by_lane.entry(lane).or_default().push(y);
    }
    candidates
        .iter()
        .filter(|&&(y, _, lane)| {
            let rows = y.saturating_sub(1)..=y + 1;
            let lanes_on_row = rows_by_lane
                .iter()
                .filter(|(other, ys)| **other != lane && ys.iter().any(|r| rows.contains(r)))
                .count();
            lanes_on_row < BAND_ROW_OTHER_LANES
        })
        .map(|&(y, x, _)| (y, x))
        .collect()
}

/// The pixels of `found` marked in an image-sized mask (an empty one where there are none).
fn mask(found: &[(usize, usize)], height: usize, width: usize) -> Array2<bool> {
    if found.is_empty() {
        return Array2::from_elem((0, 0), false);
    }
    let mut marked = Array2::from_elem((height, width), false);
    for &(y, x) in found {
        marked[[y, x]] = true;
    }
    marked
}

/// Whether the run of candidate pixels through `(y, x)` along its row ends in a step at both
/// ends, [`SPECK_SIGMAS`] noise SDs high, from its outermost pixel to the first pixel beside
/// it: a speck's edge is sharp, while a band, even a knot of one narrower than the ring,
/// rises along its row by small steps.
fn sharp_edged(
    signal: &Array2<f32>,
    in_candidate: &Array2<bool>,
    y: usize,
    x: usize,
    noise: &NoiseByLevel,
) -> bool {
    let width = signal.ncols();
    let (Some(left), Some(right)) = (
        (0..x).rev().find(|&c| !in_candidate[[y, c]]),
        (x + 1..width).find(|&c| !in_candidate[[y, c]]),
    ) else {
        return false;
    };
    let (outside_left, outside_right) = (signal[[y, left]], signal[[y, right]]);
    let (edge_left, edge_right) = (signal[[y, left + 1]], signal[[y, right - 1]]);
    let threshold = SPECK_SIGMAS * noise.sd_at((outside_left + outside_right) / 2.0);
    let (step_left, step_right) = (edge_left - outside_left, edge_right - outside_right);
    let bright = step_left > threshold && step_right > threshold;
    let dark = step_left < -threshold && step_right < -threshold;
    bright || dark
}

/// What a speck pixel at `(y, x)` covers: the line along its row between the nearest pixels on
/// either side outside the speck (a band is level along its row; the nearest pixels follow
/// its shape best).
fn level_under(signal: &Array2<f32>, in_speck: &Array2<bool>, y: usize, x: usize) -> f32 {
    let width = signal.ncols();
    let left = (0..x).rev().find(|&c| !in_speck[[y, c]]);
    let right = (x + 1..width).find(|&c| !in_speck[[y, c]]);
    match (left, right) {
        (Some(l), Some(r)) => {
            let share = (x - l) as f32 / (r - l) as f32;
            signal[[y, l]] + share * (signal[[y, r]] - signal[[y, l]])
        }
        (Some(c), None) | (None, Some(c)) => signal[[y, c]],
        (None, None) => signal[[y, x]],
    }
}

/// Whether the pixel at `(y, x)` is brighter (`bright`) or darker than every pixel on the
/// square ring `reach` away around it by more than `threshold`: a band through the pixel,
/// curved or leaning, crosses the ring and fails the test; a speck does not reach it. At the
/// image's edges the ring is the part inside.
fn stands_out_of_ring(
    signal: &Array2<f32>,
    y: usize,
    x: usize,
    reach: usize,
    threshold: f32,
    bright: bool,
) -> bool {
    let (height, width) = signal.dim();
    let rows = y.saturating_sub(reach)..=(y + reach).min(height - 1);
    let columns = x.saturating_sub(reach)..=(x + reach).min(width - 1);
    let value = signal[[y, x]];
    let on_ring = |r: usize, c: usize| r.abs_diff(y) == reach || c.abs_diff(x) == reach;
    rows.flat_map(|r| columns.clone().map(move |c| (r, c)))
        .filter(|&(r, c)| on_ring(r, c))
        .all(|(r, c)| {
            let other = signal[[r, c]];
            if bright {
                value - other > threshold
            } else {
                other - value > threshold
            }
        })
}

/// The image's noise SD as a function of the local level: the spread of each pixel about the
/// mean of the two pixels [`REACH_PX`] away along its row, in bins of that mean.
struct NoiseByLevel {
    /// Upper level of each bin (the last is infinite) and the noise SD in it.
    bins: Vec<(f32, f32)>,
    /// The noise variance as a line in the level, `(slope, intercept)`, fitted to the bins
    /// (shot noise's variance grows in proportion to the signal): it follows the noise up a
    /// bin that spans a wide range of levels, as the top bin spans the bands.
    variance_line: (f64, f64),
    /// [`SPECK_SIGMAS`] times the least noise SD of the bins.
    least_threshold: f32,
}

impl NoiseByLevel {
    fn measure(signal: &ndarray::ArrayView2<f32>, lanes: &[Lane], code_step: f32) -> NoiseByLevel {
        let (height, width) = signal.dim();
        // Every k-th row, enough for eight robust spreads at a fraction of a sort's cost.
        let lane_pixels: usize = lane_spans(lanes, height / 2, width)
            .map(|(_, columns)| columns.len())
            .sum::<usize>()
            * height;
        let row_step = lane_pixels.div_ceil(NOISE_SAMPLES).max(1);
        let mut samples: Vec<(f32, f32)> = (0..height)
            .step_by(row_step)
            .flat_map(|y| {
                lane_spans(lanes, y, width).flat_map(move |(_, c)| c.map(move |x| (y, x)))
            })
            .map(|(y, x)| {
                let level = (signal[[y, x - REACH_PX]] + signal[[y, x + REACH_PX]]) / 2.0;
                (level, signal[[y, x]] - level)
            })
            .collect();
        samples.sort_by(|a, b| a.0.total_cmp(&b.0));
        let per_bin = samples.len().div_ceil(NOISE_BINS).max(1);
        let mut variance_points: Vec<(f64, f64)> = Vec::new();
        let bins: Vec<(f32, f32)> = samples
            .chunks(per_bin)
            .enumerate()
            .map(|(i, chunk)| {
                let mut residuals: Vec<f32> = chunk.iter().map(|s| s.1).collect();
                let centre = stats::median_f32(&mut residuals);
                let mut deviations: Vec<f32> =
                    residuals.iter().map(|r| (r - centre).abs()).collect();
                // The median absolute deviation of a normal is 0.6745 SDs, and a residual (one
                // pixel less the mean of two) has √1.5 pixel SDs.
                let sd = stats::median_f32(&mut deviations) / 0.6745 / 1.5f32.sqrt();
                variance_points.push((f64::from(chunk[chunk.len() / 2].0), f64::from(sd).powi(2)));
                let upper = if (i + 1) * per_bin >= samples.len() {
                    f32::INFINITY
                } else {
                    chunk[chunk.len() - 1].0
                };
                // Where most pixels of a level repeat one code (a display export's flat white,
                // a JPEG's smoothed areas) the spread measured is zero, and a point a code or
                // two off would pass for a speck.
                (upper, sd.max(code_step))
            })
            .collect();
        let (slope, intercept, _) = stats::line_fit(&variance_points);
        let least = bins.iter().map(|b| b.1).fold(f32::INFINITY, f32::min);
        NoiseByLevel {
            bins,
            variance_line: (slope.max(0.0), intercept),
            least_threshold: SPECK_SIGMAS * least,
        }
    }

    /// The noise SD at `level`: the larger of its bin's and the variance line's.
    fn sd_at(&self, level: f32) -> f32 {
        let bin = self
            .bins
            .iter()
            .find(|(upper, _)| level <= *upper)
            .map_or(f32::INFINITY, |&(_, sd)| sd);
        let (slope, intercept) = self.variance_line;
        let line = (slope * f64::from(level) + intercept).max(0.0).sqrt() as f32;
        bin.max(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    const NOISE_SD: f32 = 20.0;

    /// Four lanes 40 px wide on a 1000-level background with read noise, each with a band
    /// 4 px high (SD 2 rows) that frowns (its row bends 3 px across the lane) and, in the
    /// last lane, one thin band 2 px high: none of it is a speck.
    fn blot(seed: u64) -> (Array2<f32>, Vec<Lane>) {
        let (height, width) = (60, 200);
        let lanes: Vec<Lane> = (0..4)
            .map(|i| Lane::upright(i + 1, 40.0 + 40.0 * i as f64, 30.0, true))
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let noise = Normal::new(0.0, NOISE_SD).unwrap();
        let signal = Array2::from_shape_fn((height, width), |(y, x)| {
            let mut value = 1000.0 + noise.sample(&mut rng);
            for lane in &lanes {
                let across = (x as f64 - lane.x_center) / (lane.width / 2.0);
                if across.abs() <= 1.0 {
                    let row = 20.0 + 3.0 * across * across;
                    let sd = if lane.index == 4 { 1.0 } else { 2.0 };
                    value += 5000.0 * (-0.5 * ((y as f64 - row) / sd).powi(2)).exp() as f32;
                }
            }
            value
        });
        (signal, lanes)
    }

    #[test]
    fn bands_curved_or_thin_are_not_specks() {
        for seed in 0..5 {
            let (mut signal, lanes) = blot(seed);
            let specks = remove(&mut signal, &lanes, f32::INFINITY, 1.0);
            assert!(specks.pixels.is_empty(), "seed {seed}: {:?}", specks.pixels);
        }
    }

    #[test]
    fn bright_and_dark_specks_are_replaced_by_their_level() {
        let (clean, lanes) = blot(7);
        let mut signal = clean.clone();
        // A 3 × 3 speck on a band, one on the background, a dark one, one on the top row.
        let placed = [
            (20, 80, 4000.0, 1),
            (45, 120, 2000.0, 1),
            (40, 40, -600.0, 0),
            (0, 160, 1500.0, 0),
        ];
        for &(y, x, add, size) in &placed {
            let (y, x, size): (usize, usize, usize) = (y, x, size);
            for r in y.saturating_sub(size)..=y + size {
                for c in x - size..=x + size {
                    signal[[r, c]] += add;
                }
            }
        }
        let specks = remove(&mut signal, &lanes, f32::INFINITY, 1.0);
        let replaced = 9 + 9 + 1 + 1;
        assert_eq!(specks.pixels.len(), replaced, "{:?}", specks.pixels);
        // What is left of each speck is the image without it, within the noise.
        for &(y, x, _, _) in &placed {
            assert!((signal[[y, x]] - clean[[y, x]]).abs() < 5.0 * NOISE_SD);
        }
        let on_band = specks.removed_in((19, 21), (79, 82));
        assert!(
            (on_band - 9.0 * 4000.0).abs() < 9.0 * 5.0 * f64::from(NOISE_SD),
            "{on_band}"
        );
        specks.restore(&mut signal);
        assert!((signal[[20, 80]] - clean[[20, 80]] - 4000.0).abs() < 1e-3);
    }

    #[test]
    fn a_row_of_bands_smaller_than_the_ring_is_not_dust() {
        let (clean, lanes) = blot(5);
        let mut signal = clean.clone();
        for x in [40, 80, 120] {
            for r in 44..=46 {
                for c in x - 1..=x + 1 {
                    signal[[r, c]] += 2000.0;
                }
            }
        }
        let specks = remove(&mut signal, &lanes, f32::INFINITY, 1.0);
        assert!(specks.pixels.is_empty(), "{:?}", specks.pixels);
    }

    #[test]
    fn saturated_pixels_stay() {
        let (mut signal, lanes) = blot(3);
        signal[[45, 120]] = 60_000.0;
        let specks = remove(&mut signal, &lanes, 60_000.0, 1.0);
        assert!(specks.pixels.is_empty());
        assert_eq!(signal[[45, 120]], 60_000.0);
    }

    /// Hot and dead pixels, one in a thousand each, anywhere on the image (between lanes as
    /// well as in them), are all replaced; the bands, a thin one too, and a one-pixel line
    /// running down the image are left as they are.
    #[test]
    fn isolated_hot_and_dead_pixels_anywhere_are_replaced_and_nothing_else() {
        let (clean, _) = blot(11);
        let mut with_line = clean.clone();
        for y in 0..with_line.nrows() {
            with_line[[y, 100]] += 3000.0;
        }
        let mut signal = with_line.clone();
        let (height, width) = signal.dim();
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let mut placed = Vec::new();
        while placed.len() < 24 {
            let y = rand::Rng::random_range(&mut rng, 1..height - 1);
            let x = rand::Rng::random_range(&mut rng, 1..width - 1);
            let near =
                |&(py, px, _): &(usize, usize, f32)| py.abs_diff(y) <= 1 && px.abs_diff(x) <= 1;
            if x.abs_diff(100) <= 1 || placed.iter().any(near) {
                continue;
            }
            let value = if placed.len() % 2 == 0 { 65_535.0 } else { 0.0 };
            placed.push((y, x, value));
            signal[[y, x]] = value;
        }
        let specks = replace_isolated(signal.view_mut(), 1.0);
        assert_eq!(specks.pixels.len(), placed.len(), "{:?}", specks.pixels);
        let changed = signal
            .indexed_iter()
            .filter(|&((y, x), v)| (v - with_line[[y, x]]).abs() > 5.0 * NOISE_SD)
            .count();
        assert_eq!(
            changed, 0,
            "every pixel is back within the noise of the image without them"
        );
        specks.restore(&mut signal);
        for &(y, x, value) in &placed {
            assert!((signal[[y, x]] - value).abs() < 1e-2);
        }
    }
}
