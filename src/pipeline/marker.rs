//! A marker image (a white-light image of the prestained ladder, taken in the same frame as
//! the ECL images): its lanes are carried over from the blots of its size, not counted, and
//! its ladder in turn moves a blot's lanes that were counted a whole lane off
//! ([`ladder_found`], [`move_to_ladder`]).

use super::{analyze_located, read_image, DrawOverlay, ImageAnalysis, Located};
use crate::catalog;
use crate::error::Result;
use crate::lanes::{self, membranes, LaneGrid};
use crate::manifest::{ImagePlan, LaneSpec, Plan};
use crate::stats;

/// The first stage for a marker image (a white-light image of the prestained ladder, taken in
/// the same frame as the ECL images): its lanes are not counted but carried over from the
/// blots of the same size (each lane at the median of their registered centres, median
/// width), and its strips move as theirs did. `None`, with a warning, where it cannot be
/// placed (no ladder lane to read, no blot of its size).
pub(super) fn locate_marker(
    plan: &Plan,
    marker: &ImagePlan,
    located: &[Located],
    warnings: &mut Vec<String>,
) -> Result<Option<Located>> {
    if plan.ladder.is_none() || !plan.lanes.iter().any(LaneSpec::is_ladder) {
        warnings.push(format!(
            "{}: a marker image needs `ladder` and a ladder lane in `lanes`; it is not used",
            marker.file
        ));
        return Ok(None);
    }
    let mut blot = read_image(marker, &plan.params)?;
    // A marker image is captured in its blots' frame: turned where they were.
    let turned = located
        .iter()
        .any(|l| l.turned && (l.blot.height(), l.blot.width()) == (blot.width(), blot.height()));
    if turned {
        super::turn(&mut blot);
    }
    let frame = (blot.width(), blot.height());
    let same_frame: Vec<&Located> = located
        .iter()
        .filter(|l| (l.blot.width(), l.blot.height()) == frame)
        .collect();
    let Some(first) = same_frame.first() else {
        warnings.push(format!(
            "{}: no ECL image has the marker image's size ({} × {} px), so its lanes are unknown; it is not used (capture the marker in the same frame as the blots)",
            marker.file, frame.0, frame.1
        ));
        return Ok(None);
    };
    // ... and sheared where they were.
    if let Some(slope) = first.sheared {
        super::shear_upright(&mut blot, slope);
    }
    let mut grid = first.grid.clone();
    let every_lane = vec![true; grid.lanes.len()];
    carry_lanes(&mut grid, &same_frame, &every_lane);
    let strips = first.strips.clone();
    membranes::apply(&mut blot.signal, &strips);
    let specks = super::remove_specks(&mut blot, &grid);
    let background = super::surface_under(&blot.signal, &strips, &plan.params);
    Ok(Some(Located {
        blot,
        background,
        grid,
        specks,
        strips,
        turned,
        sheared: first.sheared,
    }))
}

/// The lanes of `grid` flagged in `which` carried over from the blots of its frame: each at
/// the median of their centres, median width; measured on none of them.
fn carry_lanes(grid: &mut LaneGrid, same_frame: &[&Located], which: &[bool]) {
    for ((i, lane), _) in grid
        .lanes
        .iter_mut()
        .enumerate()
        .zip(which)
        .filter(|(_, &carried)| carried)
    {
        let carried: Vec<&lanes::Lane> = same_frame
            .iter()
            .filter_map(|l| l.grid.lanes.get(i))
            .collect();
        let median = |value: fn(&lanes::Lane) -> f64| {
            stats::median(&carried.iter().map(|l| value(l)).collect::<Vec<_>>())
        };
        lane.x_center = median(|l| l.x_center);
        lane.width = median(|l| l.width);
        lane.anchored = false;
    }
}

/// The marker images of a plan, analyzed like the blots (they hold no targets, so only their
/// ladder lane counts), each with its frame (width, height): its calibration serves the blots
/// of that frame. Markers that cannot be placed are left out with a warning.
pub(super) fn analyze_markers(
    plan: &Plan,
    blots: &mut [Located],
    draw: &DrawOverlay,
    warnings: &mut Vec<String>,
) -> Result<Vec<((usize, usize), ImageAnalysis)>> {
    let mut marker_images = Vec::new();
    for marker in plan.images.iter().filter(|i| i.is_marker) {
        if let Some(mut located) = locate_marker(plan, marker, blots, warnings)? {
            if let Some(px) = ladder_found(plan, &located) {
                warnings.extend(move_to_ladder(plan, marker, &mut located, blots, px));
            }
            let frame = (located.blot.width(), located.blot.height());
            let mut analysis = analyze_located(plan, marker, located, None, draw)?;
            // Only its ladder is read; whatever else the white light shows is not a band.
            analysis
                .bands
                .retain(|b| b.target.as_deref() == Some(catalog::LADDER));
            if analysis.calibration.is_none() {
                warnings.push(format!(
                    "{}: the marker image's ladder lane gives no MW scale (fewer than 3 marker bands, or none that match the ladder in order); each image's own ladder lane is used",
                    marker.file
                ));
            }
            marker_images.push((frame, analysis));
        }
    }
    Ok(marker_images)
}

/// A marker image's ladder must lie at least this many times as strong where it is found as
/// a whole lane pitch either way of there.
const LADDER_DOMINANCE: f64 = 2.0;

/// How far (px, to the right) a marker image shows its ladder from where the lanes carried
/// over to it put the ladder lane(s): `None` where the ladder is not clearly seen.
///
/// The ECL images need not show the ladder lane at all (a prestained ladder shows only in
/// white light), so an ECL image's lanes, counted from what it shows, can sit one lane off:
/// the stated count then adds a lane on the empty membrane at the wrong end. The marker image
/// shows the ladder. Its lanes are tried moved by every whole pixel up to two pitches either
/// way (the carried lanes are the blots' median, which lies between them where blots
/// disagree); the ladder is where the ladder lanes' mean signal is highest, where that stands out
/// of the column profile's noise by [`lanes::LANE_SDS`] per ladder lane and is twice what it
/// is a pitch to either side (a ladder lane, not a stretch of stained membrane).
fn ladder_found(plan: &Plan, marker: &Located) -> Option<f64> {
    let grid = &marker.grid;
    if grid.stated || grid.lanes.len() != plan.lanes.len() {
        return None;
    }
    let ladders: Vec<&lanes::Lane> = ladder_lanes(plan, grid).collect();
    let corrected = &marker.blot.signal - &marker.background;
    let (height, width) = corrected.dim();
    // A lane's mean signal moved by `px`; `None` where it would leave the image.
    let mean_moved = |lane: &lanes::Lane, px: f64| -> Option<f64> {
        let moved = lane.moved(px);
        let middle = moved.x_at(height as f64 / 2.0);
        if middle - moved.width / 2.0 < 0.0 || middle + moved.width / 2.0 > width as f64 {
            return None;
        }
        let (mut sum, mut count) = (0.0, 0usize);
        for (y, row) in corrected.rows().into_iter().enumerate() {
            let (start, end) = moved.columns_at(y as f64, width);
            sum += f64::from(row.slice(ndarray::s![start..end]).sum());
            count += end - start;
        }
        Some(sum / count.max(1) as f64)
    };
    let score = |px: f64| -> Option<f64> { ladders.iter().map(|lane| mean_moved(lane, px)).sum() };
    let reach = (2.0 * grid.pitch).round() as i64;
    let (px, best) = (-reach..=reach)
        .map(|d| d as f64)
        .filter_map(|d| Some((d, score(d)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let column_profile: Vec<f32> = corrected
        .columns()
        .into_iter()
        .map(|c| c.mean().unwrap_or(0.0))
        .collect();
    let noise = f64::from(stats::noise_sigma(&column_profile));
    let clear = best > lanes::LANE_SDS * noise * ladders.len() as f64;
    let dominant = [px - grid.pitch, px + grid.pitch]
        .into_iter()
        .filter_map(score)
        .all(|beside| best > LADDER_DOMINANCE * beside.max(0.0));
    (clear && dominant).then_some(px)
}

/// The lanes of `grid` the plan lists as ladder lanes.
fn ladder_lanes<'a>(plan: &'a Plan, grid: &'a LaneGrid) -> impl Iterator<Item = &'a lanes::Lane> {
    plan.lanes
        .iter()
        .zip(&grid.lanes)
        .filter(|(spec, _)| spec.is_ladder())
        .map(|(_, lane)| lane)
}

/// The marker image's ladder lanes moved onto its ladder (`px` right of where they were
/// carried to), and each blot of its frame whose ladder lane lies a whole pitch or more off
/// the marker's ladder moved onto it, with a warning per image moved; a blot whose lanes would
/// leave the image is left as found, with a warning. The marker's other lanes are then
/// carried over again from the blots, now on one lattice (where blots were counted a lane
/// apart, their median lay between lanes), and each blot's ladder lanes are placed on the
/// marker's ([`place_ladder_lanes`]): an ECL image that does not show the ladder can only
/// guess its lane from the lattice (lanes loaded by hand are not evenly spaced).
fn move_to_ladder(
    plan: &Plan,
    marker: &ImagePlan,
    located: &mut Located,
    blots: &mut [Located],
    px: f64,
) -> Vec<String> {
    let is_ladder: Vec<bool> = plan.lanes.iter().map(LaneSpec::is_ladder).collect();
    for (lane, _) in located
        .grid
        .lanes
        .iter_mut()
        .zip(&is_ladder)
        .filter(|(_, &ladder)| ladder)
    {
        *lane = lane.moved(px);
    }
    let middle = located.blot.height() as f64 / 2.0;
    let ladder_x: Vec<f64> = ladder_lanes(plan, &located.grid)
        .map(|lane| lane.x_at(middle))
        .collect();
    let frame = (located.blot.width(), located.blot.height());
    let mut warnings = Vec::new();
    for blot in blots
        .iter_mut()
        .filter(|b| (b.blot.width(), b.blot.height()) == frame && !b.grid.stated)
    {
        let offsets: Vec<f64> = ladder_lanes(plan, &blot.grid)
            .zip(&ladder_x)
            .map(|(lane, x)| (x - lane.x_at(middle)) / blot.grid.pitch)
            .collect();
        let off = stats::median(&offsets).round() as i64;
        if off == 0 {
            continue;
        }
        let side = if off < 0 { "left" } else { "right" };
        let lanes_word = if off.abs() == 1 { "lane" } else { "lanes" };
        let fits = blot.grid.lanes.iter().all(|lane| {
            let x = lane.moved(off as f64 * blot.grid.pitch).x_at(middle);
            (0.0..blot.blot.width() as f64).contains(&x)
        });
        let file = blot.blot.path.file_name().map_or_else(
            || blot.blot.path.display().to_string(),
            |f| f.to_string_lossy().into_owned(),
        );
        if fits {
            let px = off as f64 * blot.grid.pitch;
            blot.grid.move_sideways(px);
            blot.centre_moved_lanes();
            warnings.push(format!(
                "{file}: its lanes are moved {} {lanes_word} {side}, onto the ladder the marker image {} shows (the ECL image does not show the ladder lane, so its lanes were counted one end off); check them on the overlay",
                off.abs(),
                marker.file
            ));
        } else {
            warnings.push(format!(
                "{file}: the marker image {} shows the ladder {} {lanes_word} {side} of this image's ladder lane, but moving its lanes there would take lanes off the image; they are left as found, check them on the overlay",
                marker.file,
                off.abs()
            ));
        }
    }
    let same_frame: Vec<&Located> = blots
        .iter()
        .filter(|b| (b.blot.width(), b.blot.height()) == frame)
        .collect();
    let others: Vec<bool> = is_ladder.iter().map(|ladder| !ladder).collect();
    carry_lanes(&mut located.grid, &same_frame, &others);
    place_ladder_lanes(plan, located, blots, middle);
    warnings
}

/// On each blot of the marker image's frame, the ladder lanes are placed where the marker
/// image shows the ladder, moved by the blot's own shift against the marker image: the median
/// offset of its other lanes from the marker's (which are the blots' median lanes). An ECL image rarely shows a prestained ladder: what edges its
/// ladder lane shows are a blotch's or a non-specific band's, and where it does show the
/// ladder, the marker image shows it in the same place. The blot's lanes are measured at row
/// `middle`.
fn place_ladder_lanes(plan: &Plan, marker: &Located, blots: &mut [Located], middle: f64) {
    let frame = (marker.blot.width(), marker.blot.height());
    let lanes_of_marker = &marker.grid.lanes;
    for blot in blots
        .iter_mut()
        .filter(|b| (b.blot.width(), b.blot.height()) == frame && !b.grid.stated)
    {
        if blot.grid.lanes.len() != lanes_of_marker.len() {
            continue;
        }
        let pairs = || {
            plan.lanes
                .iter()
                .zip(blot.grid.lanes.iter().zip(lanes_of_marker))
                .map(|(spec, pair)| (spec.is_ladder(), pair))
        };
        let offsets: Vec<f64> = pairs()
            .filter(|(ladder, _)| !ladder)
            .map(|(_, (own, theirs))| own.x_at(middle) - theirs.x_at(middle))
            .collect();
        if offsets.is_empty() {
            continue;
        }
        let shift = stats::median(&offsets);
        let targets: Vec<Option<f64>> = pairs()
            .map(|(ladder, (own, theirs))| {
                ladder.then(|| theirs.x_at(middle) + shift - own.x_at(middle))
            })
            .collect();
        for (lane, by) in blot.grid.lanes.iter_mut().zip(targets) {
            if let Some(by) = by {
                *lane = lane.moved(by);
            }
        }
    }
}
