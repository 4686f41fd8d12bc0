//! Band volumes: each assigned band's box and background, and whole-lane volumes for total
//! protein normalization.

use ndarray::Array2;

use super::assign::{Assignment, Targets};
use super::calibration::Calibration;
use super::specks::Specks;
use super::{LaneProfile, MeasuredBand, Peak};
use crate::background::{self, BandBox, Neighbour};
use crate::catalog::LADDER;
use crate::io::Blot;
use crate::lanes::{self, LaneGrid};
use crate::params::Params;
use crate::quant::Flag;

/// Two background estimates of a band that differ by more than this share of its adjusted
/// volume flag it `background-uncertain`: a quarter, the error a value is called wrong at.
pub const BACKGROUND_DISAGREEMENT: f64 = 0.25;

/// True where two background sums of a band differ by more than
/// [`BACKGROUND_DISAGREEMENT`] of its adjusted `volume`: the value depends on which is right.
fn backgrounds_disagree(used: f64, other: f64, volume: &quant::Volume) -> bool {
    (other - used).abs() > BACKGROUND_DISAGREEMENT * volume.adjusted().abs()
}
/// Specks replaced in a band's box that held more than this share of its adjusted volume flag
/// it `speck`: a twentieth, above the tool's median error on the stress blots (2 %) and well
/// below the error a value is called wrong at.
pub const SPECK_SHARE: f64 = 0.05;
use crate::{bands, quant, stats};

/// An image's layers that band volumes are measured on: the image (bands bright), its
/// background surface, its lanes and each lane's row profile.
#[derive(Debug, Clone, Copy)]
pub struct ImageLayers<'a> {
    /// The image, bands bright.
    pub blot: &'a Blot,
    /// The background surface under it (rolling ball).
    pub surface: &'a Array2<f32>,
    /// The image's lanes.
    pub grid: &'a LaneGrid,
    /// Each lane's row profile, left to right.
    pub profiles: &'a [LaneProfile],
    /// The specks replaced in [`ImageLayers::blot`] before the lanes were profiled.
    pub specks: &'a Specks,
}

/// Gives every band of one target the same box extent above and below its peak (the median
/// over lanes), so faint and strong lanes are measured alike; then measures all bands.
pub fn measure_bands(
    params: &Params,
    targets: &Targets,
    layers: &ImageLayers,
    lane_sums: &[Vec<f64>],
    line_excess: &[f64],
    assignment: Assignment,
    calibration: Option<&Calibration>,
) -> Vec<MeasuredBand> {
    let Assignment {
        bands: mut found,
        at_row,
        row_offsets,
    } = assignment;
    let ImageLayers {
        blot,
        surface,
        grid,
        profiles,
        specks,
    } = *layers;
    let height = blot.height();
    let names: Vec<String> = found
        .iter()
        .filter_map(|(_, t)| t.clone())
        .filter(|t| t != LADDER)
        .collect();
    for target in names {
        let of_target = |t: &Option<String>| t.as_deref() == Some(target.as_str());
        let above: Vec<f64> = found
            .iter()
            .filter(|(_, t)| of_target(t))
            .map(|(p, _)| p.y - p.top as f64)
            .collect();
        let below: Vec<f64> = found
            .iter()
            .filter(|(_, t)| of_target(t))
            .map(|(p, _)| p.bottom as f64 - p.y)
            .collect();
        let (up, down) = (stats::median(&above), stats::median(&below));
        for (peak, _) in found.iter_mut().filter(|(_, t)| of_target(t)) {
            set_box(peak, up, down, height);
        }
    }
    // Lanes where the target's band did not rise above the limit of detection are measured
    // at its row with its box all the same, after the bands that were found.
    let found_count = found.len();
    found.extend(at_row_boxes(&found, at_row, profiles, height));
    bound_to_rows(&mut found, targets);
    separate_neighbours(&mut found, profiles);
    let peaks: Vec<Peak> = found.iter().map(|(p, _)| *p).collect();
    let mut measured: Vec<MeasuredBand> = found
        .into_iter()
        .enumerate()
        .map(|(i, (peak, target))| {
            let columns = grid.lanes[peak.lane - 1].columns_at(peak.y, blot.width());
            let band = BandBox {
                rows: (peak.top, peak.bottom),
                columns,
            };
            let neighbours = |tail_share: f32| {
                let mut others = neighbours_of(&peak, &peaks, &profiles[peak.lane - 1], tail_share);
                others.extend(beyond_stated_rows(
                    &peak,
                    targets,
                    target.as_deref(),
                    height,
                ));
                others
            };
            let others = neighbours(PARTED_VALLEY_SHARE);
            let background_of = |others: &[Neighbour]| {
                background::band_background(
                    &params.background,
                    &blot.signal,
                    surface,
                    line_excess,
                    &lane_sums[peak.lane - 1],
                    band,
                    others,
                )
            };
            let background_sum = background_of(&others);
            let volume = quant::measure(
                &blot.signal,
                blot.saturation_level,
                band.rows,
                columns,
                background_sum,
            );
            let snr = f64::from(peak.height / profiles[peak.lane - 1].noise_sigma);
            let mut flags = Vec::new();
            let cross_check = background::cross_check_background(
                &params.background,
                &blot.signal,
                line_excess,
                &lane_sums[peak.lane - 1],
                band,
                &others,
            );
            // A neighbour parted from the band only where the profile between them falls on
            // its tail: whether the border there takes out what the tail leaves under the box
            // is a reading the image cannot confirm; the other reading (that side left out)
            // is a second estimate.
            let tails_only = neighbours(0.0);
            let without_tail_sides = (tails_only != others).then(|| background_of(&tails_only));
            if cross_check
                .into_iter()
                .chain(without_tail_sides)
                .any(|other| backgrounds_disagree(background_sum, other, &volume))
            {
                flags.push(Flag::BackgroundUncertain);
            }
            if i >= found_count {
                flags.push(Flag::BelowLod);
            }
            flags.extend(speck_flag(specks, band.rows, columns, &volume));
            if volume.saturated_px > 0 {
                flags.push(Flag::Saturated);
            }
            if peak.top == 0 || peak.bottom + 1 >= height {
                flags.push(Flag::Edge);
            }
            MeasuredBand {
                columns,
                peak,
                target,
                apparent_mw_kda: calibration.map(|c| c.kda_at(peak.y - row_offsets[peak.lane - 1])),
                volume,
                snr,
                flags,
            }
        })
        .collect();
    flag_holes(&mut measured, blot, surface, grid, params);
    measured
}

/// The boxes of a target's row in lanes where no band of it was found: the box every band of
/// the target was given (the same extent above and below the row), the height the lane's
/// profile has at the row. A target none of whose bands was found has no box to lend.
fn at_row_boxes(
    found: &[(Peak, Option<String>)],
    at_row: Vec<(Peak, String)>,
    profiles: &[LaneProfile],
    height: usize,
) -> Vec<(Peak, Option<String>)> {
    at_row
        .into_iter()
        .filter_map(|(mut peak, target)| {
            let (model, _) = found
                .iter()
                .find(|(_, t)| t.as_deref() == Some(target.as_str()))?;
            let (up, down) = (model.y - model.top as f64, model.bottom as f64 - model.y);
            set_box(&mut peak, up, down, height);
            let profile = profiles.iter().find(|p| p.lane == peak.lane)?;
            peak.height = profile.values[peak.y.round() as usize];
            Some((peak, Some(target)))
        })
        .collect()
}

/// Gives `peak` a box reaching `up` rows above and `down` rows below its row, inside an image
/// of `height` rows.
fn set_box(peak: &mut Peak, up: f64, down: f64, height: usize) {
    peak.top = (peak.y - up).round().max(0.0) as usize;
    peak.bottom = ((peak.y + down).round() as usize).min(height - 1);
}

/// Boxes of a target with `rows` in the manifest stay within those rows.
fn bound_to_rows(found: &mut [(Peak, Option<String>)], targets: &Targets) {
    for (peak, target) in found.iter_mut() {
        if let Some((top, bottom)) = targets.stated_rows(target.as_deref()) {
            peak.top = peak.top.clamp(top, bottom.max(top));
            peak.bottom = peak.bottom.clamp(peak.top, bottom.max(peak.top));
        }
    }
}

/// The rows beyond a target's stated `rows` where the band's box reaches them, as a
/// neighbour whose rows its background leaves out: the person who stated the rows says the
/// target's strip ends there, and a box that fills its strip up to that row has beyond it
/// another strip of a stacked panel, its frame or the space between strips. Where the box
/// stops short, the rows next to it are still the strip's own.
fn beyond_stated_rows(
    peak: &Peak,
    targets: &Targets,
    target: Option<&str>,
    height: usize,
) -> Vec<Neighbour> {
    let Some((top, bottom)) = targets.stated_rows(target) else {
        return Vec::new();
    };
    let mut beyond = Vec::new();
    if top > 0 && peak.top <= top {
        beyond.push((0, top - 1));
    }
    if bottom + 1 < height && peak.bottom >= bottom {
        beyond.push((bottom + 1, height - 1));
    }
    beyond
        .into_iter()
        .map(|rows| Neighbour { rows, parted: true })
        .collect()
}

/// Flags `hole` on the bands of a target that miss part of their signal where the
/// target's other bands have it (see [`bands::holes`]).
fn flag_holes(
    measured: &mut [MeasuredBand],
    blot: &Blot,
    surface: &Array2<f32>,
    grid: &LaneGrid,
    params: &Params,
) {
    let targets: std::collections::BTreeSet<String> = measured
        .iter()
        .filter_map(|b| b.target.clone())
        .filter(|t| t != LADDER)
        .collect();
    for target in targets {
        let members: Vec<usize> = (0..measured.len())
            .filter(|&i| measured[i].target.as_deref() == Some(target.as_str()))
            .collect();
        // One width for all, so the sections line up column for column (blots side by side
        // have lanes of their own widths).
        let width = members
            .iter()
            .map(|&i| grid.lanes[measured[i].peak.lane - 1].width)
            .fold(f64::INFINITY, f64::min);
        let sections: Vec<Vec<f32>> = members
            .iter()
            .map(|&i| {
                let peak = &measured[i].peak;
                let lane = &lanes::Lane {
                    width,
                    ..grid.lanes[peak.lane - 1]
                };
                let rows = (peak.top, peak.bottom);
                bands::cross_section(&blot.signal, surface, lane, rows, &params.bands)
            })
            .collect();
        for (&i, hole) in members.iter().zip(bands::holes(&sections)) {
            // A band too faint to be measured to its low-snr limit cannot show a hole: the
            // error of its background across the lane (a blotch, a gradient's curve) dips its
            // flank columns as deep, where the residual's noise does not see it. It is
            // flagged `low-snr` already.
            if hole && measured[i].snr >= params.quant.low_snr {
                measured[i].flags.push(Flag::Hole);
            }
        }
    }
}

/// A band's box never reaches past the lowest point of the lane profile between it and
/// another band of the lane (a doublet, a pro-form next to its cleaved form): rows beyond the
/// valley belong to the neighbour, and none is counted twice.
fn separate_neighbours(found: &mut [(Peak, Option<String>)], profiles: &[bands::LaneProfile]) {
    let peaks: Vec<Peak> = found.iter().map(|(p, _)| *p).collect();
    for (peak, _) in found.iter_mut() {
        let values = &profiles[peak.lane - 1].values;
        for other in peaks
            .iter()
            .filter(|o| o.lane == peak.lane && o.y != peak.y)
        {
            let Some(valley) = valley_between(values, peak.y, other.y) else {
                continue;
            };
            if other.y < peak.y && peak.top <= valley {
                peak.top = (valley + 1).min(peak.bottom);
            } else if other.y > peak.y && peak.bottom > valley {
                peak.bottom = valley.max(peak.top);
            }
        }
    }
}

/// The row of the lowest profile value between two rows of a lane (either order).
fn valley_between(values: &[f32], a: f64, b: f64) -> Option<usize> {
    let (upper, lower) = if a < b { (a, b) } else { (b, a) };
    let (from, to) = (
        upper.ceil() as usize,
        (lower.floor() as usize).min(values.len().saturating_sub(1)),
    );
    (from..=to).min_by(|&i, &j| values[i].total_cmp(&values[j]))
}

/// Two bands are parted where the lane profile between them comes down to the membrane:
/// within this many noise SDs of the background-corrected profile's zero (baseline
/// resolution). Rows there are membrane; between bands that stay apart by less, they hold
/// both bands' flanks.
const PARTED_VALLEY_SDS: f32 = 3.0;
/// ...or comes down below this share of the neighbour's peak: the rows there lie on its tail,
/// not its body. A strong band's tail stays many noise SDs up for rows, and what it adds to
/// the border it also adds under the box beside it, so the border takes it out (on the
/// independent stress blots, where a non-specific band's tail runs under each target, this
/// took the fold changes' p90 error from 9.8 % to 7.9 %). Between the two bands of a doublet
/// the profile stays higher (above 0.3 of the partner's peak on the `doublet` preset; a share
/// of 0.4 parts some of them, and their worst fold change is then 20 % off): the rows there
/// are the partner's body, and a border on them would take much of it out.
const PARTED_VALLEY_SHARE: f32 = 0.25;

/// The other bands of `peak`'s lane, each with whether the profile parts it from `peak`: it
/// comes down between them to within [`PARTED_VALLEY_SDS`] of the membrane, or below
/// `tail_share` of the neighbour's peak ([`PARTED_VALLEY_SHARE`]; 0: the first test only).
fn neighbours_of(
    peak: &Peak,
    peaks: &[Peak],
    profile: &LaneProfile,
    tail_share: f32,
) -> Vec<Neighbour> {
    let values = &profile.values;
    peaks
        .iter()
        .filter(|o| o.lane == peak.lane && (o.top, o.bottom) != (peak.top, peak.bottom))
        .map(|other| Neighbour {
            rows: (other.top, other.bottom),
            parted: valley_between(values, peak.y, other.y).is_none_or(|valley| {
                values[valley] <= PARTED_VALLEY_SDS * profile.noise_sigma
                    || values[valley] <= tail_share * other.height
            }),
        })
        .collect()
}

/// Whole-lane signal of total-protein targets: each sample lane's box over the target's `rows`
/// (default: the full height), on the same lane grid as the image's bands.
pub fn measure_whole_lanes(targets: &Targets, layers: &ImageLayers) -> Vec<MeasuredBand> {
    let ImageLayers {
        blot,
        surface: background,
        grid,
        profiles,
        ..
    } = *layers;
    let last_row = blot.height() - 1;
    let mut out = Vec::new();
    for target in targets.targets.iter().filter(|t| t.target.whole_lane) {
        let (top, bottom) = target
            .rows
            .map_or((0, last_row), |(t, b)| (t.min(last_row), b.min(last_row)));
        for (lane, profile) in grid.lanes.iter().zip(profiles) {
            if targets.is_ladder(lane.index - 1) {
                continue;
            }
            let volume = whole_lane_volume(blot, background, lane, (top, bottom));
            let rows = &profile.values[top..=bottom];
            let mean_height = rows.iter().sum::<f32>() / rows.len() as f32;
            out.push(MeasuredBand {
                columns: lane.columns_at((top + bottom) as f64 / 2.0, blot.width()),
                peak: Peak {
                    lane: lane.index,
                    y: (top + bottom) as f64 / 2.0,
                    height: mean_height,
                    prominence: 0.0,
                    top,
                    bottom,
                },
                target: Some(target.target.name.clone()),
                apparent_mw_kda: None,
                volume,
                snr: f64::from(mean_height / profile.noise_sigma),
                flags: if volume.saturated_px > 0 {
                    vec![Flag::Saturated]
                } else {
                    vec![]
                },
            });
        }
    }
    out
}

/// A strip cut around one band, as tight as the band (a figure panel's strip, a crop): the
/// image holds one target without `rows` or a ladder, and no lane shows a band row because
/// the band fills the strip from top to bottom. Each sample lane is then measured over the
/// whole strip; with no rows above or below the band, its background comes from the gaps
/// beside it: per row, the median of the pixels in the lower half of each gap's columns
/// (ranked by their mean over the strip), the two gaps' levels read along the straight line
/// between them at the lane's centre, times the lane's width. The margins beyond the end
/// lanes count as gaps (as wide as the gap next to them, inside the blot's content), so an
/// end lane on a strip whose background changes across it is read on both sides too: on
/// 45 strips 12-16 rows tall from the stress generator, one level from the pixels of both
/// sides pooled (the end lanes from their inner gap alone) gave lanes measured whole a
/// median error of 8.7 % at 12 rows, the line between the two sides 4.2 %
/// (`strips_measured_whole_hold_their_fold_changes`). A gap's other columns hold the flanks
/// that wide bands spread into it: with the whole gap, synthetic crops 12 rows tall had a
/// median error of 2.9 % (lower half 1.4 %). A strip is no taller than a lane pitch. A lane
/// whose adjusted volume is under [`LOD_SDS`] SDs of its noise is `below-lod`; one whose
/// background differs from the lower envelope of all the gaps' levels by more than
/// [`BACKGROUND_DISAGREEMENT`] of its adjusted volume is `background-uncertain` (the bands'
/// flanks fill its gaps). `None` where the image is not such a strip or some band of the
/// target was found.
pub fn measure_strip(
    targets: &Targets,
    layers: &ImageLayers,
    found: &[MeasuredBand],
) -> Option<Vec<MeasuredBand>> {
    let [target] = targets.targets else {
        return None;
    };
    let name = target.target.name.as_str();
    let ImageLayers {
        blot,
        surface,
        grid,
        profiles,
        specks,
    } = *layers;
    let is_strip = blot.height() as f64 <= grid.pitch
        && !target.target.whole_lane
        && target.rows.is_none()
        && targets.ladder_kda.is_none()
        && !found.iter().any(|b| b.target.as_deref() == Some(name));
    if !is_strip {
        return None;
    }
    let (height, width) = (blot.height(), blot.width());
    // The gaps between lanes, each running from one lane's edge to the next one's, and the
    // margins beyond the end lanes as gaps of the same width as the gap next to them (inside
    // the blot's content): an end lane then has a gap on either side too, so a background
    // that changes across the strip is read on both sides of it, not only inwards.
    let lanes = &grid.lanes;
    let middle = height as f64 / 2.0;
    let edges: Vec<(usize, usize)> = lanes
        .iter()
        .map(|lane| lane.edge_columns_at(middle, width))
        .collect();
    let (content_left, content_right) = blot.content.map_or((0, width), |c| (c.left, c.right));
    let mut spans: Vec<(usize, usize)> = edges.windows(2).map(|w| (w[0].1, w[1].0)).collect();
    let margin_width = |gap: Option<&(usize, usize)>| gap.map_or(0, |g| g.1.saturating_sub(g.0));
    let left_margin = edges.first().map(|&(start, _)| {
        let width = margin_width(spans.first());
        (
            start.saturating_sub(width).max(content_left).min(start),
            start,
        )
    });
    let right_margin = edges.last().map(|&(_, end)| {
        let width = margin_width(spans.last());
        (end, (end + width).min(content_right).max(end))
    });
    spans.insert(0, left_margin.unwrap_or((0, 0)));
    spans.push(right_margin.unwrap_or((width, width)));
    // Of each gap, the lower half of its columns (ranked by their mean over the strip).
    let column_means: Vec<f32> = blot
        .signal
        .columns()
        .into_iter()
        .map(|column| column.mean().unwrap_or(0.0))
        .collect();
    let gaps: Vec<Vec<usize>> = spans
        .iter()
        .map(|&(start, end)| {
            let mut columns: Vec<usize> = (start..end).collect();
            columns.sort_by(|&a, &b| column_means[a].total_cmp(&column_means[b]));
            columns.truncate(columns.len().div_ceil(2));
            columns
        })
        .collect();
    // The pixels' noise, from those gap columns down the strip (first differences along the
    // rows: the flanks' smooth change down a column drops out).
    let mut gap_noise: Vec<f32> = gaps
        .iter()
        .flatten()
        .map(|&x| stats::noise_sigma(&blot.signal.column(x).to_vec()))
        .collect();
    let pixel_noise = if gap_noise.is_empty() {
        f64::NAN
    } else {
        f64::from(stats::median_f32(&mut gap_noise))
    };
    // Each gap's level in every row: the median of its columns there (empty for a gap
    // without columns).
    let gap_levels: Vec<Vec<f64>> = gaps
        .iter()
        .map(|gap_columns| {
            if gap_columns.is_empty() {
                return Vec::new();
            }
            (0..height)
                .map(|y| {
                    let mut pixels: Vec<f32> =
                        gap_columns.iter().map(|&x| blot.signal[[y, x]]).collect();
                    f64::from(stats::median_f32(&mut pixels))
                })
                .collect()
        })
        .collect();
    let gap_centre = |gap_columns: &[usize]| -> f64 {
        gap_columns.iter().sum::<usize>() as f64 / gap_columns.len() as f64
    };
    // A lane's background in row `y`: the levels of the gaps on its two sides, read as a
    // straight line between their centres at the lane's centre (where one side has no gap,
    // the other side's level; `None` where neither has).
    let background_at = |position: usize, y: usize| -> Option<f64> {
        let (left, right) = (&gaps[position], &gaps[position + 1]);
        Some(match (left.is_empty(), right.is_empty()) {
            (true, true) => return None,
            (false, true) => gap_levels[position][y],
            (true, false) => gap_levels[position + 1][y],
            (false, false) => {
                let (x_left, x_right) = (gap_centre(left), gap_centre(right));
                let (start, end) = edges[position];
                let x = (start + end) as f64 / 2.0;
                let share_right = ((x - x_left) / (x_right - x_left)).clamp(0.0, 1.0);
                (1.0 - share_right) * gap_levels[position][y]
                    + share_right * gap_levels[position + 1][y]
            }
        })
    };
    // A second reading to check the first by: the lower envelope of the gaps' levels (each
    // over the whole strip) at the lane's centre. What a gap holds beyond the membrane (the
    // flanks of bands wider than the lanes, a neighbour's tail) only raises its level, so
    // gaps filled by flanks stand above the envelope through the clean ones, and the line
    // between a lane's own gaps reads more than the membrane.
    let gap_means: Vec<(f64, f64)> = gaps
        .iter()
        .zip(&gap_levels)
        .filter(|(columns, _)| !columns.is_empty())
        .map(|(columns, levels)| {
            let level = levels.iter().sum::<f64>() / height as f64;
            (gap_centre(columns), level)
        })
        .collect();
    let strip = lanes
        .iter()
        .zip(profiles)
        .enumerate()
        .filter(|(_, (lane, _))| !targets.is_ladder(lane.index - 1))
        .map(|(position, (lane, profile))| {
            // The lane's columns between its edges, as the gaps beside it begin and end
            // there: lanes and gaps share out every column of the strip, none counted twice.
            let columns = edges[position];
            let lane_width = (columns.1 - columns.0) as f64;
            // A lane with no gap beside it (the only lane, filling the image) has the
            // rolling-ball surface under it, and says its background is uncertain.
            let from_gaps: Option<f64> = (0..height).map(|y| background_at(position, y)).sum();
            let background_sum = match from_gaps {
                Some(sum) => sum * lane_width,
                None => background::surface_sum(
                    surface,
                    BandBox {
                        rows: (0, height - 1),
                        columns,
                    },
                ),
            };
            // The volume's noise: each box pixel's own, and the background's, medians of the
            // gap pixels beside the lane carried across the lane's width in every row.
            let gap_px = (gaps[position].len() + gaps[position + 1].len()).max(1) as f64;
            let volume_noise =
                pixel_noise * (height as f64 * lane_width * (1.0 + lane_width / gap_px)).sqrt();
            let volume = quant::measure(
                &blot.signal,
                blot.saturation_level,
                (0, height - 1),
                columns,
                background_sum,
            );
            // The two readings differ by more of the lane's signal than a value may be off.
            let centre = (columns.0 + columns.1) as f64 / 2.0;
            let envelope_sum = background::profile::lower_envelope_at(&gap_means, centre)
                .map(|level| level * height as f64 * lane_width);
            let readings_disagree = from_gaps.is_some()
                && envelope_sum
                    .is_some_and(|other| backgrounds_disagree(background_sum, other, &volume));
            let peak_row = (0..height)
                .max_by(|&a, &b| profile.values[a].total_cmp(&profile.values[b]))
                .unwrap_or(0);
            let peak_height = profile.values[peak_row];
            let detected = volume.adjusted() >= LOD_SDS * volume_noise;
            // A strip is cut around its band: a lane whose signal stands highest on the
            // strip's top or bottom row, above every row inside (a saturated lane's plateau
            // ties, and stays unflagged), shows a band cut off by the crop, or another band's
            // tail running into it, not a band of its own.
            let values = &profile.values;
            let inner_highest = values[1..height.saturating_sub(1).max(1)]
                .iter()
                .copied()
                .fold(f32::NEG_INFINITY, f32::max);
            let above_the_inside = |row: usize| values[row] > inner_highest;
            let peaks_at_the_edge =
                detected && height >= 3 && (above_the_inside(0) || above_the_inside(height - 1));
            MeasuredBand {
                columns,
                peak: Peak {
                    lane: lane.index,
                    y: peak_row as f64,
                    height: peak_height,
                    prominence: 0.0,
                    top: 0,
                    bottom: height - 1,
                },
                target: Some(name.to_string()),
                apparent_mw_kda: None,
                volume,
                snr: f64::from(peak_height / profile.noise_sigma),
                flags: std::iter::once(Flag::WholeStrip)
                    .chain(
                        (from_gaps.is_none() || readings_disagree)
                            .then_some(Flag::BackgroundUncertain),
                    )
                    .chain((!detected).then_some(Flag::BelowLod))
                    .chain(peaks_at_the_edge.then_some(Flag::Edge))
                    .chain((volume.saturated_px > 0).then_some(Flag::Saturated))
                    .chain(speck_flag(specks, (0, height - 1), columns, &volume))
                    .collect(),
            }
        })
        .collect();
    Some(strip)
}

/// A lane of a strip whose adjusted volume is under this many SDs of its noise is below the
/// limit of detection (the analytical convention: three SDs of the blank).
const LOD_SDS: f64 = 3.0;

/// `speck` where the specks replaced inside the box held more than [`SPECK_SHARE`] of the
/// band's adjusted volume.
fn speck_flag(
    specks: &Specks,
    rows: (usize, usize),
    columns: (usize, usize),
    volume: &quant::Volume,
) -> Option<Flag> {
    let removed = specks.removed_in(rows, columns);
    (removed.abs() > SPECK_SHARE * volume.adjusted().abs()).then_some(Flag::Speck)
}

/// A lane's volume over rows `top..=bottom`, following its centre line: runs of rows that
/// share one column range, each measured as a box (an upright lane is one box). A whole lane
/// has no border above or below it: its background is the rolling-ball surface, which the
/// gaps between lanes define.
fn whole_lane_volume(
    blot: &Blot,
    background: &Array2<f32>,
    lane: &lanes::Lane,
    (top, bottom): (usize, usize),
) -> quant::Volume {
    let columns = |y: usize| lane.columns_at(y as f64, blot.width());
    let mut total = quant::Volume {
        volume: 0.0,
        background: 0.0,
        saturated_px: 0,
    };
    let mut first = top;
    while first <= bottom {
        let run = columns(first);
        let last = (first..=bottom)
            .take_while(|&y| columns(y) == run)
            .last()
            .unwrap_or(first);
        let band = BandBox {
            rows: (first, last),
            columns: run,
        };
        let background_sum = background::surface_sum(background, band);
        let piece = quant::measure(
            &blot.signal,
            blot.saturation_level,
            band.rows,
            band.columns,
            background_sum,
        );
        total.volume += piece.volume;
        total.background += piece.background;
        total.saturated_px += piece.saturated_px;
        first = last + 1;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_lane_is_measured_along_its_lean() {
        // A lane 20 px wide leaning 3° down 400 rows, 100 above a zero background.
        let slope = 3f64.to_radians().tan();
        let signal = Array2::from_shape_fn((400, 200), |(y, x)| {
            let centre = 100.0 + slope * (y as f64 - 199.5);
            if (x as f64 + 0.5 - centre).abs() <= 10.0 {
                100.0
            } else {
                0.0
            }
        });
        let truth = signal.iter().map(|&v| f64::from(v)).sum::<f64>();
        let blot = Blot::of_signal("leaning.tif", signal);
        let background = Array2::zeros((400, 200));
        let lane = lanes::Lane {
            index: 1,
            x_center: 100.0,
            width: 24.0,
            anchored: true,
            slope,
            reference_row: 199.5,
        };
        let along = whole_lane_volume(&blot, &background, &lane, (0, 399));
        assert!(
            (along.adjusted() - truth).abs() <= 1e-6 * truth,
            "{along:?}"
        );
        // An upright box at the middle row loses the lane's ends.
        let upright = lanes::Lane { slope: 0.0, ..lane };
        let boxed = whole_lane_volume(&blot, &background, &upright, (0, 399));
        assert!(boxed.adjusted() < 0.9 * truth, "{boxed:?}");
    }

    #[test]
    fn neighbours_are_parted_only_where_the_profile_reaches_the_membrane_between_them() {
        // Gaussian bands (SD 3 rows) 100 high on a zero membrane, noise SD 1: one pair 12 rows
        // apart (the profile stays ~27 high between them, both bands' flanks), one pair 40 rows
        // apart. At row 250 a band whose tail runs down the lane (falling e-fold every 8
        // rows) reaches a band 30 rows below it: the profile between them stays ~8 noise SDs
        // up, but on the tail, under a quarter of either band's peak.
        let gaussian = |y: f64, at: f64| 100.0 * (-0.5 * ((y - at) / 3.0).powi(2)).exp();
        let tail = |y: f64, at: f64| {
            if y > at {
                100.0 * (-(y - at) / 8.0).exp()
            } else {
                0.0
            }
        };
        let centres = [50.0, 62.0, 150.0, 190.0, 250.0, 280.0];
        let values: Vec<f32> = (0..320)
            .map(|y| {
                let y = y as f64;
                let bands: f64 = centres.iter().map(|&c| gaussian(y, c)).sum();
                (bands + tail(y, 250.0)) as f32
            })
            .collect();
        let profile = LaneProfile {
            lane: 1,
            values: values.clone(),
            noise_sigma: 1.0,
        };
        let peaks: Vec<Peak> = centres
            .iter()
            .map(|&y| Peak {
                lane: 1,
                y,
                height: 100.0,
                prominence: 100.0,
                top: y as usize - 6,
                bottom: y as usize + 6,
            })
            .collect();
        let parted = |i: usize, j: usize| {
            neighbours_of(&peaks[i], &peaks, &profile, PARTED_VALLEY_SHARE)
                .iter()
                .find(|n| n.rows == (peaks[j].top, peaks[j].bottom))
                .expect("neighbour listed")
                .parted
        };
        assert!(!parted(0, 1) && !parted(1, 0), "a doublet");
        assert!(parted(2, 3) && parted(3, 2), "bands 40 rows apart");
        assert!(parted(1, 2), "bands 88 rows apart");
        let valley = values[265..280].iter().copied().fold(f32::MAX, f32::min);
        assert!(valley > 3.0, "the tail stays {valley} noise SDs up");
        assert!(parted(4, 5) && parted(5, 4), "a band on another's tail");
    }
}
