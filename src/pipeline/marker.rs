//! A marker image (a white-light image of the prestained ladder, taken in the same frame as
//! the ECL images): its lanes are carried over from the blots of its size, not counted.

use super::{analyze_located, read_image, DrawOverlay, ImageAnalysis, Located};
use crate::background;
use crate::catalog;
use crate::error::Result;
use crate::lanes::{self, membranes};
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
    let mut grid = first.grid.clone();
    for (i, lane) in grid.lanes.iter_mut().enumerate() {
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
    let strips = first.strips.clone();
    membranes::apply(&mut blot.signal, &strips);
    let gaps_filled = membranes::with_gaps_filled(&blot.signal, &strips);
    let background = background::estimate(
        gaps_filled.as_ref().unwrap_or(&blot.signal),
        &plan.params.background,
    );
    Ok(Some(Located {
        blot,
        background,
        grid,
        strips,
        turned,
    }))
}

/// The marker images of a plan, analyzed like the blots (they hold no targets, so only their
/// ladder lane counts), each with its frame (width, height): its calibration serves the blots
/// of that frame. Markers that cannot be placed are left out with a warning.
pub(super) fn analyze_markers(
    plan: &Plan,
    located: &[Located],
    draw: &DrawOverlay,
    warnings: &mut Vec<String>,
) -> Result<Vec<((usize, usize), ImageAnalysis)>> {
    let mut marker_images = Vec::new();
    for marker in plan.images.iter().filter(|i| i.is_marker) {
        if let Some(located) = locate_marker(plan, marker, located, warnings)? {
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
