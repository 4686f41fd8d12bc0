//! The lanes of one image: the grid the column profile suggests, checked against the bands
//! and frame lines the image shows, the manifest's count, and a marker image's lanes carried
//! over from its blots.

use ndarray::Array2;

use super::{read_image, ImageAnalysis, Located};
use crate::error::{Error, Result};
use crate::experiment::{ImagePlan, LaneSpec, Plan};
use crate::lanes::{self, LaneGrid};
use crate::params::LaneParams;
use crate::{background, band_row, stats, strips};

/// An estimated grid without the lanes off the `membrane`'s columns, with a note where some
/// are left out.
pub(super) fn on_membrane(
    grid: LaneGrid,
    membrane: &[(usize, usize)],
    warnings: &mut Vec<String>,
) -> LaneGrid {
    let (grid, dropped) = grid.on_membrane(membrane);
    if !dropped.is_empty() {
        warnings.push(format!(
            "lane(s) {dropped:?} of the estimated grid lie off the membrane (a label or the frame beside the blot) and are left out"
        ));
    }
    grid
}

/// The warning that lanes lean, where they do: one angle for a turned membrane, the end lanes'
/// angles where lanes fan out.
pub(super) fn lean_note(grid: &LaneGrid, height: usize) -> Option<String> {
    let (first, last) = (grid.lanes.first()?, grid.lanes.last()?);
    if grid.lanes.iter().all(|l| l.slope == 0.0) {
        return None;
    }
    let degrees = |lane: &lanes::Lane| lane.slope.atan().to_degrees();
    let sideways = |lane: &lanes::Lane| lane.slope * height as f64;
    let how = if first.slope == last.slope {
        format!(
            "lanes lean by {:.1}° (a lane moves {:.0} px sideways from top to bottom)",
            degrees(first),
            sideways(first)
        )
    } else {
        format!(
            "lanes fan out, leaning by {:.1}° at lane {} to {:.1}° at lane {} (moving {:.0} to {:.0} px sideways from top to bottom)",
            degrees(first),
            first.index,
            degrees(last),
            last.index,
            sideways(first),
            sideways(last)
        )
    };
    Some(format!(
        "{how}: lanes and band boxes follow the lean; x positions are at the middle row"
    ))
}

/// Lanes checked against a row of evenly spaced bands in the image: where the bands are wider
/// than the grid's pitch, the grid has split lanes that are darker at their edges (crescent
/// bands, edge shadows) into narrower "lanes" (a band lies in one lane). The lanes are then
/// placed on the row, their count with them (a manifest's count only where the row's lanes
/// agree with it), with a note saying so; `None` where the grid stands.
pub(super) fn lanes_on_band_row(
    corrected: &Array2<f32>,
    grid: &LaneGrid,
    row: &band_row::BandRow,
    count_is_estimated: bool,
) -> Option<(LaneGrid, String)> {
    if row.band_width <= BAND_WIDER_THAN_PITCH * grid.pitch || row.is_drawn_lines(corrected) {
        return None;
    }
    let on_bands = lanes::fit_band_row(corrected, row)
        .filter(|g| count_is_estimated || g.lanes.len() == grid.lanes.len())?;
    let note = format!(
        "lanes placed on a row of {} evenly spaced bands {:.0} px wide, {} lanes in all: the column profile alone suggested {} lanes {:.0} px apart, which would split each band; check them on the overlay",
        row.centres.len(),
        row.band_width,
        on_bands.lanes.len(),
        grid.lanes.len(),
        grid.pitch
    );
    Some((on_bands, note))
}

/// Lanes checked against dark lines running down the image in pairs, the lanes' edges (strips
/// of membrane side by side, lanes with edge shadows): where the column profile shows only
/// the lines, a grid fitted to it counts them. The lanes between the pairs that hold bands
/// are then used, their count with them (a manifest's count only where they number it),
/// with a note saying so; `None` where the grid stands.
pub(super) fn lanes_between_edge_lines(
    corrected: &Array2<f32>,
    grid: &LaneGrid,
    count_is_estimated: bool,
) -> Option<(LaneGrid, String)> {
    let between = lanes::between_edge_lines(corrected, grid)
        .filter(|g| count_is_estimated || g.lanes.len() == grid.lanes.len())?;
    let placed = format!(
        "lanes placed between pairs of dark lines running down the image (the lanes' edges), {} lanes {:.0} px apart",
        between.lanes.len(),
        between.pitch
    );
    let note = if count_is_estimated {
        format!(
            "{placed}: the column profile alone suggested {} lanes {:.0} px apart, on the lines; check them on the overlay",
            grid.lanes.len(),
            grid.pitch
        )
    } else {
        format!("{placed}, as many as the manifest lists; check them on the overlay")
    };
    Some((between, note))
}

/// The grid's ends checked against the image ([`lanes_beyond_the_profile`]): an estimated
/// grid always; a manifest's grid where it is in doubt (it leaves a lane-like strip outside
/// it, or its lanes hardly stand out of the column profile), and then the image's own lanes
/// (found as without a manifest, on the `membrane`'s columns) are used where bands (a run of
/// them, a row of merged ones) extended them beyond the column profile's grid and they number
/// the manifest's count. Lanes placed on a row of bands or between edge lines stand as they
/// are.
pub(super) fn lanes_as_the_image_shows(
    plan: &Plan,
    corrected: &Array2<f32>,
    grid: LaneGrid,
    bands: Option<&band_row::Bands>,
    membrane: &[(usize, usize)],
    warnings: &mut Vec<String>,
) -> LaneGrid {
    let p = &plan.params.lanes;
    if grid.placed_in_two_dimensions() {
        return grid;
    }
    if plan.lanes.is_empty() {
        return lanes_beyond_the_profile(corrected, grid, bands, p, warnings);
    }
    if grid.is_clear() && !grid.misses_a_lane() {
        return grid;
    }
    let mut notes = Vec::new();
    let own = lanes::estimate_lane_count(&grid.profile, p.max_lanes, p.min_pitch_px)
        .and_then(|n| lanes::fit_profile(&grid.profile, n, p.min_pitch_px))
        .map(|g| lanes_beyond_the_profile(corrected, g, bands, p, &mut notes))
        .map(|g| on_membrane(g, membrane, &mut notes))
        .filter(|g| g.beyond_profile && g.lanes.len() == plan.lanes.len());
    match own {
        Some(own) => {
            warnings.extend(notes);
            own
        }
        None => grid,
    }
}

/// An estimated grid checked at its ends against the image: extended over a run of bands at
/// its pitch, or a row of bands that touch, that reaches beyond it (lanes the column profile
/// does not show), and without end lanes that are narrow lines running down the image (a
/// gel's edge, a frame), each with a note.
pub(super) fn lanes_beyond_the_profile(
    corrected: &Array2<f32>,
    grid: LaneGrid,
    bands: Option<&band_row::Bands>,
    p: &LaneParams,
    warnings: &mut Vec<String>,
) -> LaneGrid {
    // Frame lines go first (an end lane on a gel's edge would end the grid there), and again
    // after the extension (which may reach a gel's other edge).
    let (grid, mut lines) = lanes::without_frame_lines(corrected, grid);
    let shown = grid.lanes.len();
    let pitch = grid.pitch;
    let extended = bands
        .and_then(|b| lanes::extend_over_bands(corrected, &grid, &b.rows_at_pitch(pitch)))
        .filter(|g| g.lanes.len() <= p.max_lanes)
        .map(|g| (g, format!("a row of bands {pitch:.0} px apart shows")))
        .or_else(|| {
            let rows = bands
                .map(|b| b.merged_rows(corrected, pitch))
                .unwrap_or_default();
            lanes::extend_over_merged_row(corrected, &grid, &rows, p.max_lanes, p.min_pitch_px).map(
                |g| {
                    (
                        g,
                        "the dips between a row of bands that touch show".to_string(),
                    )
                },
            )
        });
    let (extended, shown_by) = extended.unzip();
    let added = extended.as_ref().map_or(0, |g| g.lanes.len() - shown);
    let (grid, more_lines) = lanes::without_frame_lines(corrected, extended.unwrap_or(grid));
    lines.extend(more_lines);
    if !lines.is_empty() {
        let at: Vec<String> = lines.iter().map(|x| format!("{x:.0}")).collect();
        warnings.push(format!(
            "narrow line(s) running down the image at x ≈ {} px (a gel's edge, a frame) are no lanes and are left out",
            at.join(" and ")
        ));
    }
    // The lanes added, not the total: frame lines and lanes off the membrane may go after.
    if let Some(shown_by) = shown_by {
        warnings.push(format!(
            "{shown_by} {added} lane(s) beyond the {shown} the column profile suggested; check them on the overlay"
        ));
    }
    grid
}

/// A band wider than this many pitches of a grid straddles a lane boundary of it.
const BAND_WIDER_THAN_PITCH: f64 = 1.1;

/// The image's lanes: one grid across the image, or one per blot where blots stand side by
/// side (two or more `membrane` column ranges) and their grids add up to the manifest's
/// count (when it gives one).
pub(super) fn find_lanes(
    plan: &Plan,
    image: &ImagePlan,
    corrected: &Array2<f32>,
    membrane: &[(usize, usize)],
) -> Result<LaneGrid> {
    let blocks = membrane;
    let p = &plan.params.lanes;
    let total = (!plan.lanes.is_empty()).then_some(plan.lanes.len());
    if blocks.len() >= 2 {
        if let Some(grid) = lanes::fit_blocks(corrected, blocks, total, p.max_lanes, p.min_pitch_px)
        {
            return Ok(grid);
        }
    }
    let profile = lanes::column_profile(corrected);
    let count = if plan.lanes.is_empty() {
        lanes::estimate_lane_count(&profile, p.max_lanes, p.min_pitch_px).ok_or_else(|| {
            Error::analysis(
                &image.path,
                "no lanes stand out of the background",
                "check that the image shows a blot; give the lane count with a manifest",
            )
        })?
    } else {
        plan.lanes.len()
    };
    lanes::fit_profile(&profile, count, p.min_pitch_px).ok_or_else(|| {
        Error::manifest(
            plan.manifest.clone().unwrap_or_else(|| image.path.clone()),
            "lanes",
            format!(
                "{} lanes cannot fit in {} ({} px wide, lanes need at least {} px each)",
                count,
                image.file,
                corrected.ncols(),
                p.min_pitch_px
            ),
            "check the number of entries in `lanes` against the image",
        )
    })
}

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
    strips::apply(&mut blot.signal, &strips);
    let gaps_filled = strips::with_gaps_filled(&blot.signal, &strips);
    let background = background::estimate(
        gaps_filled.as_ref().unwrap_or(&blot.signal),
        &plan.params.background,
    );
    Ok(Some(Located {
        blot,
        background,
        grid,
        strips,
    }))
}

/// A manifest whose lane count the images contradict is an error: the lanes would be
/// misplaced. An image that shows a further lane beyond either end of its grid contradicts
/// it. Otherwise the count is accepted as it stands when some image's grid of that many lanes
/// stands clearly out of the background (faint lanes may sit in it) or some image's automatic
/// count is that count. Failing that, it is refused only where an image clearly shows another
/// count (its own grid at that count has every lane visible and none beyond); where the
/// images are unclear either way (a figure panel, lanes that merge), the stated count is used
/// with a warning, since the person who ran the gel knows how many lanes it has.
pub(super) fn check_lane_count(plan: &Plan, images: &[ImageAnalysis]) -> Result<Option<String>> {
    if plan.manifest.is_none() || plan.lanes.is_empty() || images.is_empty() {
        return Ok(None);
    }
    let clear_grid = images.iter().any(|i| i.grid.is_clear());
    let missed = images.iter().find(|i| i.grid.misses_a_lane());
    if clear_grid && missed.is_none() {
        return Ok(None);
    }
    let p = &plan.params.lanes;
    let stated = plan.lanes.len();
    let estimates: Vec<Option<usize>> = images
        .iter()
        .map(|i| lanes::estimate_lane_count(&i.grid.profile, p.max_lanes, p.min_pitch_px))
        .collect();
    // Faint lanes (a grid not clearly above the noise) are no reason to refuse a count that
    // the automatic count of an image confirms, or what it shows in two dimensions does
    // (lanes placed on a row of bands or between edge lines, or extended over a run of bands).
    let shown_by_the_image = images.iter().any(|i| {
        (i.grid.placed_in_two_dimensions() || i.grid.beyond_profile) && i.grid.lanes.len() == stated
    });
    if missed.is_none() && (shown_by_the_image || estimates.contains(&Some(stated))) {
        return Ok(None);
    }
    let described: Vec<String> = images
        .iter()
        .zip(&estimates)
        .map(|(i, estimate)| match estimate {
            Some(n) => format!("{} shows about {n}", i.file),
            None => format!("{} shows no clear lanes", i.file),
        })
        .collect();
    let reason = match missed {
        Some(i) => format!(
            "lists {stated} lanes, but {} shows another lane beyond them",
            i.file
        ),
        None => format!("lists {stated} lanes, but no image shows {stated} evenly spaced lanes"),
    };
    let clearly_another_count = images.iter().zip(&estimates).any(|(i, estimate)| {
        estimate.is_some_and(|n| {
            n != stated
                && lanes::fit_profile(&i.grid.profile, n, p.min_pitch_px)
                    .is_some_and(|grid| grid.every_lane_visible() && !grid.misses_a_lane())
        })
    });
    if missed.is_none() && !clearly_another_count {
        return Ok(Some(format!(
            "`lanes` {reason} (automatic count, itself unclear: {}); the {stated} lanes are placed as an even grid: check them on the overlay",
            described.join(", ")
        )));
    }
    Err(Error::manifest(
        plan.manifest.clone().unwrap_or_default(),
        "lanes",
        format!("{reason} (automatic count: {})", described.join(", ")),
        "list one `lanes` entry per lane shown in the images, ladder lanes included",
    ))
}
