//! Target assignment: each lane's band for each target, by molecular weight where a ladder
//! calibrates the image, else by the manifest's rows.

use super::calibration::{self, Calibration};
use super::smile;
use super::Peak;
use crate::catalog::{TargetPlan, LADDER};
use crate::lanes::LaneGrid;
use crate::stats;

/// What assignment knows of one image besides its bands: which lanes hold a ladder and the
/// ladder's kDa, the image's targets, and how far a band's MW may lie from a target's.
#[derive(Debug, Clone, Copy)]
pub struct Targets<'a> {
    /// Per lane, left to right: true for a ladder lane (never quantified). Lanes beyond the
    /// list (an estimated count) are sample lanes.
    pub ladder_lanes: &'a [bool],
    /// The ladder's band sizes in kDa, top to bottom, where a ladder is named.
    pub ladder_kda: Option<&'a [f64]>,
    /// The targets whose bands the image holds.
    pub targets: &'a [TargetPlan],
    /// Relative MW tolerance of a target's band (`quant.mw_tolerance`).
    pub mw_tolerance: f64,
}

impl Targets<'_> {
    /// True where lane `lane` (0-based) is a ladder lane.
    pub(super) fn is_ladder(&self, lane: usize) -> bool {
        self.ladder_lanes.get(lane).copied().unwrap_or(false)
    }

    /// The `rows` the manifest states for target `name` on this image, if any.
    pub(super) fn stated_rows(&self, name: Option<&str>) -> Option<(usize, usize)> {
        self.targets
            .iter()
            .find(|t| Some(t.target.name.as_str()) == name)
            .and_then(|t| t.rows)
    }

    /// The first ladder lane (0-based), if any.
    fn ladder_lane(&self) -> Option<usize> {
        self.ladder_lanes.iter().position(|&ladder| ladder)
    }
}

/// The image's MW calibration from its ladder lane's bands, or the warning why there is none
/// (no warning where no ladder is named or no lane holds one).
pub fn calibrate(targets: &Targets, peaks: &[Vec<Peak>]) -> Result<Calibration, Option<String>> {
    let (Some(ladder_kda), Some(ladder_lane)) = (targets.ladder_kda, targets.ladder_lane()) else {
        return Err(None);
    };
    calibration::calibrate(&peaks[ladder_lane], ladder_kda).ok_or_else(|| {
        Some(format!(
            "the ladder lane (lane {}) shows fewer than 3 marker bands: no MW calibration",
            ladder_lane + 1
        ))
    })
}

/// The bands of an image with their targets, and where each target's band should be in the
/// lanes where none rose above the limit of detection.
#[derive(Debug, Clone, Default)]
pub struct Assignment {
    /// Every band found, with its target (`ladder` in ladder lanes, `None` when unassigned).
    pub bands: Vec<(Peak, Option<String>)>,
    /// A target's row in a sample lane where no band of it was found: a zero-height peak at
    /// the target's row curve, to be measured with the target's box all the same (a value
    /// below the limit of detection is a measurement, not a zero).
    pub at_row: Vec<(Peak, String)>,
    /// Each lane's row shift relative to the ladder lane (smile, tilt; zero without a ladder).
    pub row_offsets: Vec<f64>,
}

/// Picks each target's band in each sample lane and returns every band found with its target
/// (`ladder` in ladder lanes, `None` when unassigned), the target's row in the lanes where no
/// band was found, and each lane's row shift relative to the ladder lane. Each lane's first pick (by MW, `rows`
/// or the dominant row) places the target's row curve across lanes (a robust parabola in the
/// lane position, so a smile or tilt is followed); each lane then takes its band nearest the
/// curve, from the clear bands or else from the faint ones found there. A stray pick far from
/// the curve is dropped. MW picks read each lane's rows after taking out its shift from the
/// ladder lane, measured on all its bands ([`lane_row_offsets`]).
pub fn assign_targets(
    targets: &Targets,
    peaks: &[Vec<Peak>],
    faint: &[Vec<Peak>],
    calibration: Option<&Calibration>,
    grid: &LaneGrid,
    height: usize,
) -> Assignment {
    let is_ladder = |lane: usize| targets.is_ladder(lane);
    let xs: Vec<f64> = grid.lanes.iter().map(|l| l.x_center).collect();
    let mut found: Vec<Vec<(Peak, Option<String>)>> = peaks
        .iter()
        .enumerate()
        .map(|(lane, lane_peaks)| {
            let label = is_ladder(lane).then(|| LADDER.to_string());
            lane_peaks.iter().map(|p| (*p, label.clone())).collect()
        })
        .collect();
    let sample_lanes: Vec<usize> = (0..peaks.len()).filter(|&l| !is_ladder(l)).collect();
    let reach = row_tolerance(height);
    let banded: Vec<&TargetPlan> = targets
        .targets
        .iter()
        .filter(|t| !t.target.whole_lane)
        .collect();
    let offsets = lane_row_offsets(targets, peaks, &sample_lanes, calibration, &xs, height);
    let mut at_row = Vec::new();
    for target in banded {
        let dominant_row = if target.rows.is_none() && calibration.is_none() {
            dominant_band_row(peaks, &sample_lanes, height)
        } else {
            None
        };
        let free = |found: &[Vec<(Peak, Option<String>)>], lane: usize| -> Vec<Peak> {
            found[lane]
                .iter()
                .filter(|(_, t)| t.is_none())
                .map(|(p, _)| *p)
                .collect()
        };
        let first_picks: Vec<(f64, f64)> = sample_lanes
            .iter()
            .filter_map(|&lane| {
                let pick = pick_band(
                    target,
                    &free(&found, lane),
                    calibration,
                    dominant_row,
                    targets.mw_tolerance,
                    height,
                    offsets[lane],
                )?;
                Some((xs[lane], pick.y))
            })
            .collect();
        let Some(curve) = smile::fit(&first_picks, reach) else {
            continue;
        };
        let nearest = |candidates: &[Peak], lane: usize| {
            let row = curve.at(xs[lane]);
            candidates
                .iter()
                .filter(|p| (p.y - row).abs() <= reach)
                .min_by(|a, b| (a.y - row).abs().total_cmp(&(b.y - row).abs()))
                .copied()
        };
        for &lane in &sample_lanes {
            let name = Some(target.target.name.clone());
            if let Some(pick) = nearest(&free(&found, lane), lane) {
                let slot = found[lane]
                    .iter_mut()
                    .find(|(p, _)| *p == pick)
                    .expect("picked from this lane");
                slot.1 = name;
            } else if let Some(pick) = nearest(&faint[lane], lane) {
                // A faint band that coincides with a clear band already taken is not a new band.
                let taken = found[lane].iter().any(|(p, _)| (p.y - pick.y).abs() < 1.0);
                if !taken {
                    found[lane].push((pick, name));
                }
            } else {
                let row = curve.at(xs[lane]).clamp(0.0, (height - 1) as f64);
                let at = row.round() as usize;
                let peak = Peak {
                    lane: grid.lanes[lane].index,
                    y: row,
                    height: 0.0,
                    prominence: 0.0,
                    top: at,
                    bottom: at,
                };
                at_row.push((peak, target.target.name.clone()));
            }
        }
    }
    Assignment {
        bands: found.into_iter().flatten().collect(),
        at_row,
        row_offsets: offsets,
    }
}

/// How far an image's rows lie below those of the image whose ladder gave `calibration` (a
/// marker image captured apart: the two can lie a few rows apart). At no shift, or where the
/// image's targets say nothing better, 0. A shift is taken only where it places more of the
/// image's targets, each in at least half its sample lanes within the MW tolerance, than no
/// shift does; among the shifts within the row tolerance that place as many, the one that
/// brings their bands nearest their MW (the median over lanes, summed over targets), then the
/// smallest. A target missed at every shift leaves the image as it was.
pub fn row_shift_against(
    targets: &Targets,
    peaks: &[Vec<Peak>],
    calibration: &Calibration,
    grid: &LaneGrid,
    height: usize,
) -> f64 {
    let sample_lanes: Vec<usize> = (0..peaks.len())
        .filter(|&l| !targets.is_ladder(l))
        .collect();
    let xs: Vec<f64> = grid.lanes.iter().map(|l| l.x_center).collect();
    // Each lane's bands read at their rows less the lane's shift from the ladder lane, as
    // targets are picked.
    let offsets = lane_row_offsets(
        targets,
        peaks,
        &sample_lanes,
        Some(calibration),
        &xs,
        height,
    );
    let peaks: Vec<Vec<Peak>> = peaks
        .iter()
        .zip(&offsets)
        .map(|(lane, offset)| {
            lane.iter()
                .map(|p| Peak {
                    y: p.y - offset,
                    ..*p
                })
                .collect()
        })
        .collect();
    let banded: Vec<&TargetPlan> = targets
        .targets
        .iter()
        .filter(|t| !t.target.whole_lane && t.rows.is_none())
        .collect();
    if sample_lanes.is_empty() || banded.is_empty() {
        return 0.0;
    }
    // (targets placed, their summed median MW distance) at a shift of `rows`.
    let score = |rows: i64| -> (usize, f64) {
        let moved = calibration.moved_down(rows as f64);
        let mut placed = 0;
        let mut distance = 0.0;
        for target in &banded {
            let distances: Vec<f64> = sample_lanes
                .iter()
                .filter_map(|&lane| {
                    let pick = calibration::pick_by_mw(
                        &peaks[lane],
                        &moved,
                        target.target.mw_kda,
                        targets.mw_tolerance,
                    )?;
                    let (low, high) = target.target.mw_kda;
                    let kda = moved.kda_at(pick.y);
                    // How far outside the target's window, on a log scale (0 inside it).
                    Some((low / kda).ln().max((kda / high).ln()).max(0.0))
                })
                .collect();
            if 2 * distances.len() >= sample_lanes.len() {
                placed += 1;
                distance += stats::median(&distances);
            }
        }
        (placed, distance)
    };
    let unshifted = score(0).0;
    let reach = row_tolerance(height).round() as i64;
    let best = (-reach..=reach)
        .map(|rows| (rows, score(rows)))
        .filter(|(_, (placed, _))| *placed > unshifted)
        .max_by(|(ra, (pa, da)), (rb, (pb, db))| {
            pa.cmp(pb)
                .then(db.total_cmp(da))
                .then(rb.abs().cmp(&ra.abs()))
        });
    best.map_or(0.0, |(rows, _)| rows as f64)
}

/// Each lane's row shift relative to the ladder lane (smile, tilt), measured on the bands
/// themselves: each sample lane's bands are registered on those of the sample lane before it
/// ([`row_shift`]), the shifts summed along the blot, and a smooth curve of the lane position
/// ([`smile::fit`]) fitted to them and read at the ladder lane. No target is needed: picking a
/// target's band by MW needs the shift first (a tilt moves a far lane's band beyond the MW
/// tolerance, or onto its neighbour's MW), and every band of a lane moves with it. Zero
/// everywhere without a ladder, or with fewer than three lanes registered.
fn lane_row_offsets(
    image: &Targets,
    peaks: &[Vec<Peak>],
    sample_lanes: &[usize],
    calibration: Option<&Calibration>,
    xs: &[f64],
    height: usize,
) -> Vec<f64> {
    let zeros = vec![0.0; xs.len()];
    let (Some(_), Some(ladder)) = (calibration, image.ladder_lane()) else {
        return zeros;
    };
    let Some(&ladder_x) = xs.get(ladder) else {
        return zeros;
    };
    let reach = row_tolerance(height);
    let mut banded = sample_lanes
        .iter()
        .copied()
        .filter(|&l| !peaks[l].is_empty());
    let Some(first) = banded.next() else {
        return zeros;
    };
    // Each lane's shift below the first sample lane with bands.
    let mut shifts = vec![(xs[first], 0.0)];
    let (mut reference, mut total) = (first, 0.0);
    for lane in banded {
        if let Some(shift) = row_shift(&peaks[reference], &peaks[lane], reach) {
            total += shift;
            shifts.push((xs[lane], total));
            reference = lane;
        }
    }
    if shifts.len() < 3 {
        return zeros;
    }
    let Some(curve) = smile::fit(&shifts, reach) else {
        return zeros;
    };
    xs.iter()
        .map(|&x| curve.at(x) - curve.at(ladder_x))
        .collect()
}

/// How far the bands of lane `b` lie below those of lane `a` (rows, within `reach`): the shift
/// that lines up the most of their bands, each pair weighed by the geometric mean of the two
/// bands' prominences and by how near the shifted rows meet (a Gaussian as wide as the bands'
/// median half height). `None` where no band of one lane comes within `reach` of one of the
/// other's.
fn row_shift(a: &[Peak], b: &[Peak], reach: f64) -> Option<f64> {
    let half_heights: Vec<f64> = a
        .iter()
        .chain(b)
        .map(|p| (p.bottom - p.top) as f64 / 4.0)
        .collect();
    let width = stats::median(&half_heights).max(1.0);
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .flat_map(|p| {
            b.iter()
                .map(move |q| (q.y - p.y, f64::from(p.prominence * q.prominence)))
        })
        .filter(|&(d, w)| d.abs() <= reach + 2.0 * width && w > 0.0)
        .map(|(d, w)| (d, w.sqrt()))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let score = |shift: f64| -> f64 {
        pairs
            .iter()
            .map(|&(d, w)| w * (-(d - shift).powi(2) / (2.0 * width * width)).exp())
            .sum()
    };
    // Quarter-row steps: finer than any band's height, coarser than nothing it decides.
    let steps = (reach * 4.0).ceil() as i64;
    (-steps..=steps)
        .map(|k| k as f64 / 4.0)
        .max_by(|&x, &y| score(x).total_cmp(&score(y)))
}

/// A lane's band for `target`: the most prominent within the manifest's `rows`, else the one
/// nearest the target's MW (read at `row - offset`, the lane's shift from the ladder lane),
/// else the most prominent near the dominant row.
fn pick_band(
    target: &TargetPlan,
    peaks: &[Peak],
    calibration: Option<&Calibration>,
    dominant_row: Option<f64>,
    mw_tolerance: f64,
    height: usize,
    offset: f64,
) -> Option<Peak> {
    let most_prominent = |candidates: &mut dyn Iterator<Item = &Peak>| {
        candidates
            .max_by(|a, b| a.prominence.total_cmp(&b.prominence))
            .copied()
    };
    if let Some((top, bottom)) = target.rows {
        return most_prominent(
            &mut peaks
                .iter()
                .filter(|p| p.y >= top as f64 && p.y <= bottom as f64),
        );
    }
    if let Some(cal) = calibration {
        let shifted: Vec<Peak> = peaks
            .iter()
            .map(|p| Peak {
                y: p.y - offset,
                ..*p
            })
            .collect();
        let pick = calibration::pick_by_mw(&shifted, cal, target.target.mw_kda, mw_tolerance)?;
        let index = shifted.iter().position(|p| p == pick)?;
        return Some(peaks[index]);
    }
    let row = dominant_row?;
    let reach = row_tolerance(height);
    most_prominent(&mut peaks.iter().filter(|p| (p.y - row).abs() <= reach))
}

/// How far a band may sit from its row in other lanes (smile, tilt) and still be the same band.
fn row_tolerance(height: usize) -> f64 {
    (0.03 * height as f64).max(4.0)
}

/// Without a ladder or rows, a single-target image's band row is the one where the most
/// prominence gathers across lanes.
fn dominant_band_row(peaks: &[Vec<Peak>], lanes: &[usize], height: usize) -> Option<f64> {
    let all: Vec<&Peak> = lanes.iter().flat_map(|&l| &peaks[l]).collect();
    let reach = row_tolerance(height);
    all.iter()
        .map(|p| {
            let weight: f32 = all
                .iter()
                .filter(|q| (q.y - p.y).abs() <= reach)
                .map(|q| q.prominence)
                .sum();
            (p.y, weight)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(y, _)| y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(lane: usize, y: f64, prominence: f32) -> Peak {
        Peak {
            lane,
            y,
            height: prominence,
            prominence,
            top: (y - 8.0) as usize,
            bottom: (y + 8.0) as usize,
        }
    }

    /// A tilted blot: every band of a lane lies 4.3 rows below its neighbour's. Each lane
    /// holds a strong band, a doublet 10 rows apart whose amounts change from lane to lane (one
    /// lane lacks its upper band) and a faint band; the shift that lines up the bands is the
    /// tilt, although shifting by the doublet's spacing lines up one pair.
    #[test]
    fn the_row_shift_between_lanes_is_the_tilt_of_all_their_bands() {
        let tilt = 4.3;
        let lane = |i: usize| -> Vec<Peak> {
            let shift = tilt * i as f64;
            let mut bands = vec![
                band(i + 1, 100.0 + shift, 900.0),
                band(i + 1, 210.0 + shift, 100.0 + 150.0 * i as f32),
                band(i + 1, 300.0 + shift, 40.0),
            ];
            if i != 3 {
                bands.push(band(i + 1, 200.0 + shift, 800.0 - 90.0 * i as f32));
            }
            bands
        };
        for i in 0..7 {
            let shift = row_shift(&lane(i), &lane(i + 1), 12.6).unwrap();
            assert!((shift - tilt).abs() <= 0.25, "lanes {i}-{}: {shift}", i + 1);
        }
        // Nothing within reach: no shift.
        assert_eq!(row_shift(&lane(0), &[band(2, 160.0, 500.0)], 12.6), None);
    }

    /// An image 18 rows above the marker image whose ladder calibrates it: pro-IL-1β still
    /// reads within the MW tolerance, p17 does not (20.4 kDa for 17); the shift that places
    /// both is found. The same bands where the marker puts them need no shift.
    #[test]
    fn an_image_moved_against_its_marker_is_read_at_the_shift_that_places_its_targets() {
        let calibration = Calibration {
            points: vec![
                (50.0, 180.0),
                (100.0, 100.0),
                (150.0, 55.0),
                (200.0, 35.0),
                (250.0, 25.0),
                (300.0, 15.0),
                (350.0, 10.0),
            ],
            max_residual_log10: 0.0,
        };
        let plan = |name: &str| TargetPlan {
            target: crate::catalog::built_in_target(name).unwrap(),
            rows: None,
        };
        let plans = [plan("pro-IL-1β"), plan("IL-1β p17")];
        let targets = Targets {
            ladder_lanes: &[true, false, false, false, false],
            ladder_kda: None,
            targets: &plans,
            mw_tolerance: 0.15,
        };
        let profile: Vec<f32> = (0..250)
            .map(|x| (((x % 50) as f32 - 25.0).abs() < 12.0) as u8 as f32 * 100.0)
            .collect();
        let grid = crate::lanes::fit_profile(&profile, 5, 8.0).unwrap();
        let (pro_row, p17_row) = (calibration.y_at(31.0), calibration.y_at(17.0));
        let bands_at = |moved: f64| -> Vec<Vec<Peak>> {
            (0..5)
                .map(|lane| {
                    if lane == 0 {
                        return Vec::new();
                    }
                    vec![
                        band(lane + 1, pro_row + moved, 900.0),
                        band(lane + 1, p17_row + moved, 600.0),
                    ]
                })
                .collect()
        };
        let shift = row_shift_against(&targets, &bands_at(-18.0), &calibration, &grid, 700);
        assert!((shift + 18.0).abs() <= 1.0, "{shift}");
        assert_eq!(
            row_shift_against(&targets, &bands_at(0.0), &calibration, &grid, 700),
            0.0
        );
    }
}
