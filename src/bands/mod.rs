//! Band finding within a lane: peaks of the lane's row profile that rise clearly above the
//! profile's noise, each with a box that ends at a valley or where the peak has faded.

pub mod assign;
pub mod calibration;
pub mod measure;
pub mod smile;
pub mod specks;

use ndarray::Array2;
use serde::Serialize;

use crate::lanes::{Lane, LaneGrid};
use crate::params::BandParams;
use crate::quant::Flag;
use crate::stats;

/// The row profile of one lane: mean background-corrected signal across the lane's core.
#[derive(Debug, Clone)]
pub struct LaneProfile {
    /// 1-based index of the lane the profile was taken from ([`Lane::index`]).
    pub lane: usize,
    /// Smoothed profile, one value per image row.
    pub values: Vec<f32>,
    /// Noise standard deviation of the unsmoothed profile.
    pub noise_sigma: f32,
}

/// A band found on a lane profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Peak {
    /// 1-based index of the lane the band lies in.
    pub lane: usize,
    /// Sub-pixel row of the maximum.
    pub y: f64,
    /// Height of the smoothed profile at the peak, above the corrected baseline.
    pub height: f32,
    /// How far the peak rises above the higher of the valleys that part it from higher ground
    /// (topographic prominence, profile units); 0 for a whole-lane box.
    pub prominence: f32,
    /// First and last row of the band's box (inclusive).
    pub top: usize,
    /// Last row of the band's box (inclusive).
    pub bottom: usize,
}

/// A band of an image after assignment and measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredBand {
    /// Where the band lies in its lane: row, height and box.
    pub peak: Peak,
    /// Target name, `ladder`, or `None` when unassigned.
    pub target: Option<String>,
    /// Apparent MW (kDa) read off the MW calibration at the band's row; `None` without a
    /// calibration or for a whole-lane target.
    pub apparent_mw_kda: Option<f64>,
    /// Signal, background and saturated pixels summed over the band's box (`bands.csv`
    /// `volume`, `background`, `saturated_px`).
    pub volume: crate::quant::Volume,
    /// Peak height over the lane profile's noise SD (noise SDs); a whole-lane target's is its mean
    /// height over the noise. Under `quant.low_snr` the band is flagged `low-snr`.
    pub snr: f64,
    /// What measurement found: `saturated`, `edge` (the box touches the top or bottom of the
    /// image), `hole`.
    pub flags: Vec<Flag>,
    /// The box's columns: the first and one past the last (a whole-lane box follows the lane's
    /// lean: these are its columns at its middle row).
    pub columns: (usize, usize),
}

/// Row profile of a lane over the central `core_fraction` of its width, unsmoothed.
pub fn raw_lane_profile(corrected: &Array2<f32>, lane: &Lane, params: &BandParams) -> Vec<f32> {
    let core = Lane {
        width: (lane.width * params.profile_core_fraction).max(1.0),
        ..*lane
    };
    corrected
        .rows()
        .into_iter()
        .enumerate()
        .map(|(y, row)| {
            let (start, end) = core.columns_at(y as f64, corrected.ncols());
            let part = row.slice(ndarray::s![start..end]);
            part.sum() / part.len().max(1) as f32
        })
        .collect()
}

/// The lane profile of lane `lane` (its index) from its unsmoothed profile `raw`, smoothed
/// with a Gaussian of `sigma` rows.
pub fn lane_profile(lane: usize, raw: &[f32], sigma: f64, params: &BandParams) -> LaneProfile {
    let mut profile = smoothed(lane, raw, sigma);
    if let Some(correlated) = correlated_noise(raw, &profile, sigma, params) {
        profile.noise_sigma = profile.noise_sigma.max(correlated);
    }
    profile
}

/// The profile `raw` of lane `lane` smoothed by `sigma` rows, with the noise SD of its
/// neighbouring rows (never under one code's rounding error).
fn smoothed(lane: usize, raw: &[f32], sigma: f64) -> LaneProfile {
    LaneProfile {
        lane,
        values: stats::gaussian_smooth(raw, sigma),
        noise_sigma: stats::noise_sigma(raw).max(QUANTISATION_SD),
    }
}

/// The height (rows) of an image's bands, from its lanes' unsmoothed profiles `raws`: the
/// median over lanes of each lane's most prominent peak among those [`CERTAIN_BAND_SIGMAS`]
/// noise SDs out, measured at half its prominence on the unsmoothed profile; `None` where no
/// lane holds such a peak. The peaks are chosen on the profile smoothed as `params` say, where
/// a band wins over a figure's drawn line or label stroke a row or two high, which smoothing
/// flattens.
pub fn band_height(raws: &[Vec<f32>], params: &BandParams) -> Option<f64> {
    let heights: Vec<f64> = raws
        .iter()
        .filter_map(|raw| {
            certain_peaks(raw, params)
                .max_by(|a, b| a.smoothed_prominence.total_cmp(&b.smoothed_prominence))
                .map(|peak| peak.width)
        })
        .collect();
    (!heights.is_empty()).then(|| stats::median(&heights))
}

/// A peak of an unsmoothed profile, as [`certain_peaks`] reads it.
struct CertainPeak {
    /// Its width (rows) at half its prominence on the unsmoothed profile.
    width: f64,
    /// Its prominence on the unsmoothed profile.
    prominence: f32,
    /// Its prominence on the profile smoothed as the bands' parameters say.
    smoothed_prominence: f32,
}

/// The peaks of `raw` [`CERTAIN_BAND_SIGMAS`] noise SDs prominent, found on the profile
/// smoothed as `params` say and read on `raw` at the highest row near each.
fn certain_peaks<'a>(
    raw: &'a [f32],
    params: &BandParams,
) -> impl Iterator<Item = CertainPeak> + 'a {
    let sigma = params.smoothing_sigma_px;
    let reach = (3.0 * sigma).ceil() as usize;
    find_peaks(&smoothed(0, raw, sigma), params, CERTAIN_BAND_SIGMAS)
        .into_iter()
        .map(move |peak| {
            let i = peak.y.round() as usize;
            let (from, to) = (i.saturating_sub(reach), (i + reach).min(raw.len() - 1));
            let top = argmax(raw, from, to);
            CertainPeak {
                width: half_prominence_width(raw, top, 0, raw.len() - 1),
                prominence: prominence(raw, top),
                smoothed_prominence: peak.prominence,
            }
        })
}

/// The height (rows) of an image's bands as imaged, from unsmoothed row profiles `raws` (of
/// lanes, or of slabs across the blot) of the image with no background taken off: of each
/// profile's peaks [`CERTAIN_BAND_SIGMAS`] noise SDs prominent (chosen on the profile smoothed
/// as `params` say), the most prominent one lower than `max_height`, its width at half its
/// prominence; the median over profiles. Prominence is measured from the valleys beside a
/// peak, so no background is needed (a ball too small for the bands would have eaten into
/// them, and [`band_height`] would read them lower); and a band is wider than it is high, so
/// a peak as high as its profile's columns are wide (a membrane's plateau between the gaps
/// around it) is none.
pub fn band_height_as_imaged(
    raws: &[Vec<f32>],
    max_height: f64,
    params: &BandParams,
) -> Option<f64> {
    let heights: Vec<f64> = raws
        .iter()
        .filter_map(|raw| {
            certain_peaks(raw, params)
                .filter(|peak| peak.width < max_height)
                .max_by(|a, b| a.prominence.total_cmp(&b.prominence))
                .map(|peak| peak.width)
        })
        .collect();
    (!heights.is_empty()).then(|| stats::median(&heights))
}

/// The noise SD is never taken below the rounding error of one pixel's whole-numbered code
/// (uniform over one code: 1/√12). A flat white 8-bit scan (film) has profiles of exact zeros
/// whose differences are 0, and sub-code ripples (JPEG ringing, film streaks a fraction of a
/// code high) then passed for bands at SNRs of a million.
const QUANTISATION_SD: f32 = 0.288_675_13;

/// Bands this many first-difference noise SDs high are certainly bands; their rows are left
/// out when the noise is measured between rows further apart.
const CERTAIN_BAND_SIGMAS: f64 = 20.0;
/// Background rows needed to measure the noise between rows a smoothing kernel apart. Short
/// profiles (a figure panel's lanes) hold too few rows beyond their bands' flanks.
pub const MIN_NOISE_ROWS: usize = 300;

/// The profile's noise measured between rows a smoothing kernel apart, on the rows away from
/// certain bands; `None` where too few such rows remain. Peaks are judged on the smoothed
/// profile, so noise that survives smoothing (correlated over several rows: an oversampled
/// camera image, membrane texture) must count in full, and first differences see only part of
/// it: on the csitron actin image (1648 rows) they saw ~40 %, and texture passed for ~12 bands
/// per lane at 8–15 SDs.
fn correlated_noise(
    raw: &[f32],
    profile: &LaneProfile,
    sigma: f64,
    params: &BandParams,
) -> Option<f32> {
    if raw.len() < MIN_NOISE_ROWS {
        return None;
    }
    let mut background = vec![true; raw.len()];
    for peak in find_peaks(profile, params, CERTAIN_BAND_SIGMAS) {
        let (top, bottom) = (
            peak.top.saturating_sub(2),
            (peak.bottom + 2).min(raw.len() - 1),
        );
        background[top..=bottom].fill(false);
    }
    let lag = (3.0 * sigma).ceil().max(1.0) as usize;
    stats::noise_sigma_at_lag(raw, lag, &background, MIN_NOISE_ROWS)
}

/// All bands of a lane profile whose prominence reaches `sigmas` noise standard deviations,
/// top to bottom.
pub fn find_peaks(profile: &LaneProfile, params: &BandParams, sigmas: f64) -> Vec<Peak> {
    let v = &profile.values;
    let n = v.len();
    if n < 3 {
        return Vec::new();
    }
    let threshold = sigmas as f32 * profile.noise_sigma;
    let maxima: Vec<usize> = (1..n - 1)
        .filter(|&i| v[i] > v[i - 1] && v[i] >= v[i + 1] && v[i] > threshold)
        .collect();
    let mut peaks: Vec<usize> = maxima
        .iter()
        .copied()
        .filter(|&i| prominence(v, i) >= threshold)
        .collect();
    peaks.sort_unstable();
    peaks
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            // A box never crosses the lowest point between this band and its neighbours; the
            // valley row itself belongs to the lower band.
            let upper_limit = if k > 0 { argmin(v, peaks[k - 1], i) } else { 0 };
            let lower_limit = if k + 1 < peaks.len() {
                argmin(v, i, peaks[k + 1]).saturating_sub(1).max(i)
            } else {
                n - 1
            };
            // Nor does it reach further than the band's own shape: a profile that stays up
            // (a background gradient left under a faint band) would otherwise carry the box
            // to the image's edge. Half a box is at most [`BOX_HALF_WIDTHS`] of the band's
            // full width at half its prominence; a Gaussian band ends (at `edge_fraction`)
            // well inside that.
            let reach = (BOX_HALF_WIDTHS * half_prominence_width(v, i, upper_limit, lower_limit))
                .ceil() as usize;
            let (upper_limit, lower_limit) = (
                upper_limit.max(i.saturating_sub(reach)),
                lower_limit.min(i + reach),
            );
            let edge = params.edge_fraction as f32 * v[i];
            let mut top = i;
            while top > upper_limit && v[top - 1] > edge {
                top -= 1;
            }
            let mut bottom = i;
            while bottom < lower_limit && v[bottom + 1] > edge {
                bottom += 1;
            }
            Peak {
                lane: profile.lane,
                y: subpixel_peak(v, i),
                height: v[i],
                prominence: prominence(v, i),
                top,
                bottom,
            }
        })
        .collect()
}

/// Three neighbouring columns of a band with less than this share of the signal its shape
/// predicts are a hole (an air bubble, a fold, a scratch)...
pub const HOLE_SHARE: f32 = 0.6;
/// ...where they miss more than this many noise SDs of the columns' residual.
pub const HOLE_SDS: f32 = 6.0;

/// A peak that spans less of its lane's width than this is a speck, not a band.
const MIN_BAND_COVERAGE: f64 = 0.5;

/// The bands of every lane at a given prominence (in noise SDs): the peaks of each lane's row
/// profile that span at least half the lane (narrower ones are specks).
pub fn find_bands(
    corrected: &Array2<f32>,
    grid: &LaneGrid,
    profiles: &[LaneProfile],
    params: &BandParams,
    sigmas: f64,
) -> Vec<Vec<Peak>> {
    profiles
        .iter()
        .zip(&grid.lanes)
        .map(|(profile, lane)| {
            find_peaks(profile, params, sigmas)
                .into_iter()
                .filter(|p| coverage(corrected, lane, p, params) >= MIN_BAND_COVERAGE)
                .collect()
        })
        .collect()
}

/// Fraction of the lane core's columns in which the band stands at least a third of its
/// height above the background (mean of the three rows around the peak). A band spans its
/// lane; a dust speck or a bubble edge covers a few columns only.
pub fn coverage(corrected: &Array2<f32>, lane: &Lane, peak: &Peak, params: &BandParams) -> f64 {
    let core = Lane {
        width: (lane.width * params.profile_core_fraction).max(1.0),
        ..*lane
    };
    let (start, end) = core.columns_at(peak.y, corrected.ncols());
    // Mean over 3 rows × 5 columns around each column, so pixel noise does not break a faint
    // band into pieces.
    let row = peak.y.round() as usize;
    let rows = row.saturating_sub(1)..(row + 2).min(corrected.nrows());
    let band = corrected.slice(ndarray::s![rows, ..]);
    let threshold = peak.height / 3.0;
    let width = corrected.ncols();
    let covered = (start..end)
        .filter(|&x| {
            let cols = x.saturating_sub(2)..(x + 3).min(width);
            let block = band.slice(ndarray::s![.., cols]);
            block.sum() / block.len() as f32 >= threshold
        })
        .count();
    covered as f64 / (end - start).max(1) as f64
}

/// A band's cross-section: over its rows, background taken out, the sum of each column of
/// the lane core. Lanes of the same width give sections that line up column for column.
pub fn cross_section(
    signal: &Array2<f32>,
    surface: &Array2<f32>,
    lane: &Lane,
    (top, bottom): (usize, usize),
    params: &BandParams,
) -> Vec<f32> {
    // A whole number of columns from the rounded left edge, so lanes of one width give
    // sections of one length (rounding both edges could differ by a column); only the image
    // edge shortens a section.
    let columns = (lane.width * params.profile_core_fraction).round().max(1.0);
    let left = (lane.x_at(0.5 * (top + bottom) as f64) - columns / 2.0).round();
    let start = left.max(0.0) as usize;
    let end = ((left + columns).max(0.0) as usize).min(signal.ncols());
    if start >= end {
        return Vec::new();
    }
    let rows = ndarray::s![top..=bottom, start..end];
    (&signal.slice(rows) - &surface.slice(rows))
        .sum_axis(ndarray::Axis(0))
        .to_vec()
}

/// Which bands of one target have part of the band missing: against the shape the target's
/// bands share across lanes (the median of their normalized cross-sections: flat, domed or
/// brighter at the edges, as the gel made them), a hole is three neighbouring columns holding
/// less than 60 % of what the band's intact columns predict, short by more than 6 noise SDs.
/// An air bubble, a fold or a scratch across the band leaves such a hole. The sections are
/// of lanes of one width; a shorter one (a lane cut by the image edge) is neither compared
/// nor part of the shape. Needs three full sections or more (else no shape to compare with:
/// nothing is flagged).
pub fn holes(sections: &[Vec<f32>]) -> Vec<bool> {
    let width = sections.iter().map(Vec::len).max().unwrap_or(0);
    let full = |s: &Vec<f32>| s.len() == width;
    if sections.iter().filter(|s| full(s)).count() < 3 || width < 5 {
        return vec![false; sections.len()];
    }
    let normalized: Vec<Vec<f32>> = sections
        .iter()
        .filter(|s| full(s))
        .map(|s| {
            let total: f32 = s.iter().sum();
            s.iter().map(|v| v / total.max(f32::MIN_POSITIVE)).collect()
        })
        .collect();
    let shape: Vec<f32> = (0..width)
        .map(|c| {
            let mut column: Vec<f32> = normalized.iter().map(|n| n[c]).collect();
            crate::stats::median_f32(&mut column)
        })
        .collect();
    if shape.iter().any(|&v| v <= 0.0) {
        return vec![false; sections.len()];
    }
    sections
        .iter()
        .map(|section| {
            if !full(section) {
                return false;
            }
            // The band's level where it is intact: a high quantile of column / shape.
            let mut ratios: Vec<f32> = section.iter().zip(&shape).map(|(v, s)| v / s).collect();
            let rank = (0.8 * (width - 1) as f64).round() as usize;
            let level = crate::stats::order_statistics_f32(&mut ratios, &[rank])[0];
            if level <= 0.0 {
                return false;
            }
            let residual: Vec<f32> = section
                .iter()
                .zip(&shape)
                .map(|(v, s)| v - level * s)
                .collect();
            let noise = crate::stats::noise_sigma(&residual);
            (0..width - 2).any(|c| {
                let found: f32 = section[c..c + 3].iter().sum();
                let expected: f32 = shape[c..c + 3].iter().sum::<f32>() * level;
                found < HOLE_SHARE * expected && expected - found > HOLE_SDS * noise * 3f32.sqrt()
            })
        })
        .collect()
}

/// Half a band's box reaches at most this many of the band's full widths at half prominence
/// from its peak (a box of at most three widths).
pub const BOX_HALF_WIDTHS: f64 = 1.5;

/// The full width (rows) of the peak at `i` where it stands above half its prominence, within
/// `lower..=upper` rows (its valleys).
fn half_prominence_width(v: &[f32], i: usize, upper: usize, lower: usize) -> f64 {
    let half = v[i] - 0.5 * prominence(v, i);
    let mut top = i;
    while top > upper && v[top - 1] > half {
        top -= 1;
    }
    let mut bottom = i;
    while bottom < lower && v[bottom + 1] > half {
        bottom += 1;
    }
    (bottom - top + 1) as f64
}

fn argmax(v: &[f32], from: usize, to: usize) -> usize {
    (from..=to)
        .max_by(|&a, &b| v[a].total_cmp(&v[b]))
        .unwrap_or(from)
}

fn argmin(v: &[f32], from: usize, to: usize) -> usize {
    (from..=to)
        .min_by(|&a, &b| v[a].total_cmp(&v[b]))
        .unwrap_or(from)
}

/// Height of a peak above the higher of the two lowest points that separate it from
/// higher ground on either side (the topographic prominence).
fn prominence(v: &[f32], i: usize) -> f32 {
    let side_min = |range: &mut dyn Iterator<Item = usize>| {
        let mut low = v[i];
        for j in range {
            if v[j] > v[i] {
                break;
            }
            low = low.min(v[j]);
        }
        low
    };
    let left = side_min(&mut (0..i).rev());
    let right = side_min(&mut (i + 1..v.len()));
    v[i] - left.max(right)
}

fn subpixel_peak(v: &[f32], i: usize) -> f64 {
    if i == 0 || i + 1 >= v.len() {
        return i as f64;
    }
    let (a, b, c) = (v[i - 1] as f64, v[i] as f64, v[i + 1] as f64);
    let denom = a - 2.0 * b + c;
    if denom.abs() < 1e-12 {
        i as f64
    } else {
        i as f64 + (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(values: Vec<f32>) -> LaneProfile {
        LaneProfile {
            lane: 1,
            values,
            noise_sigma: 1.0,
        }
    }

    /// A lane profile of 120 rows: Gaussian bands of full width at half maximum `fwhm` at rows
    /// 30 and 80 (height 100), optionally lines one row high (height 200) at rows 55 and 105
    /// (a figure's frame lines: as many as the bands), and a
    /// deterministic ripple of about one unit as noise.
    fn raw_lane(fwhm: f64, line: bool) -> Vec<f32> {
        let sd = fwhm / 2.355;
        (0..120)
            .map(|y| {
                let band = |c: f64| 100.0 * (-((y as f64 - c) / sd).powi(2) / 2.0).exp();
                let drawn = if line && (y == 55 || y == 105) {
                    200.0
                } else {
                    0.0
                };
                (band(30.0) + band(80.0) + drawn) as f32 + ((y * 7) % 5) as f32 * 0.5
            })
            .collect()
    }

    #[test]
    fn the_band_height_is_each_lanes_clearest_bands_not_a_drawn_line() {
        let params = BandParams::default();
        let height = |fwhm, line| band_height(&vec![raw_lane(fwhm, line); 5], &params);
        // Widths are counted in whole rows above half the prominence.
        let tall = height(12.0, false).expect("bands");
        assert!((12.0..=13.0).contains(&tall), "{tall}");
        let low = height(4.0, false).expect("bands");
        assert!((4.0..=5.0).contains(&low), "{low}");
        // Drawn lines a row high, twice the bands' height, are no bands.
        assert_eq!(height(4.0, true), Some(low));
        assert_eq!(band_height(&[vec![0.0; 120]], &params), None);
    }

    /// Read as imaged, a band's height does not depend on a background: the same bands on a
    /// membrane's raised plateau (rows 10-110, as between the gaps around a strip) read as they
    /// do alone, the plateau (higher than the profile's columns are wide) is no band; on a
    /// gradient they read within a row of it; resampled 2.5x they read 2.5x as high.
    #[test]
    fn the_band_height_as_imaged_needs_no_background_and_follows_the_scale() {
        let params = BandParams::default();
        let alone =
            band_height_as_imaged(&vec![raw_lane(8.0, false); 5], 40.0, &params).expect("bands");
        assert!((8.0..=9.0).contains(&alone), "{alone}");
        // The band at row 80 made lower, so that the highest peak (the other band) spans the
        // plateau by its prominence, as the highest of a strip's bands does.
        let sd = 8.0 / 2.355;
        let on_plateau: Vec<f32> = raw_lane(8.0, false)
            .iter()
            .enumerate()
            .map(|(y, v)| {
                let lowered = 40.0 * (-((y as f64 - 80.0) / sd).powi(2) / 2.0).exp();
                v - lowered as f32 + if (10..110).contains(&y) { 300.0 } else { 0.0 }
            })
            .collect();
        let raised = band_height_as_imaged(&vec![on_plateau; 5], 40.0, &params);
        assert_eq!(raised, Some(alone));
        // A gradient of a fifth of the bands' height over the lane moves the half-prominence
        // edges by a row at most.
        let on_slope: Vec<f32> = raw_lane(8.0, false)
            .iter()
            .enumerate()
            .map(|(y, v)| v + 0.2 * y as f32)
            .collect();
        let sloped = band_height_as_imaged(&vec![on_slope; 5], 40.0, &params).expect("bands");
        assert!((sloped - alone).abs() <= 1.0, "{sloped} for {alone}");
        let lane = raw_lane(8.0, false);
        let larger: Vec<f32> = (0..300)
            .map(|y| {
                let at = (y as f64 + 0.5) / 2.5 - 0.5;
                let (i, f) = (at.floor().max(0.0) as usize, at - at.floor());
                let next = lane[(i + 1).min(lane.len() - 1)];
                (f64::from(lane[i]) * (1.0 - f) + f64::from(next) * f) as f32
            })
            .collect();
        let scaled = band_height_as_imaged(&vec![larger; 5], 100.0, &params).expect("bands");
        // Rows are counted whole: a width w reads about w + 1 rows.
        let expected = 2.5 * (alone - 1.0) + 1.0;
        assert!((scaled - expected).abs() <= 1.0, "{scaled} for {alone}");
    }

    #[test]
    fn two_separated_gaussians_give_two_bands_split_at_the_valley() {
        let g = |y: f32, c: f32, s: f32, a: f32| a * (-(y - c).powi(2) / (2.0 * s * s)).exp();
        let v: Vec<f32> = (0..120)
            .map(|y| g(y as f32, 40.0, 3.0, 100.0) + g(y as f32, 52.0, 3.0, 60.0))
            .collect();
        let peaks = find_peaks(&profile(v), &BandParams::default(), 6.0);
        assert_eq!(peaks.len(), 2);
        assert!((peaks[0].y - 40.0).abs() < 0.3 && (peaks[1].y - 52.0).abs() < 0.3);
        assert!(peaks[0].bottom < peaks[1].top, "boxes must not overlap");
        assert!(
            peaks[0].top <= 33,
            "box must reach the band's tail: {}",
            peaks[0].top
        );
    }

    #[test]
    fn noise_alone_gives_no_band() {
        let v: Vec<f32> = (0..200)
            .map(|i| ((i * 7919) % 13) as f32 / 13.0 - 0.5)
            .collect();
        assert!(find_peaks(&profile(v), &BandParams::default(), 6.0).is_empty());
    }
}
