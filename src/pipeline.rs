//! One experiment from manifest to tables: each stage is a function of the previous stage's
//! output, and the stages read top to bottom in [`analyze_image`] and [`analyze_experiment`].

use std::path::Path;

use base64::Engine as _;
use ndarray::Array2;
use rayon::prelude::*;

use crate::background::BandBox;
use crate::bands::{self, Peak};
use crate::calibration::{self, Calibration};
use crate::error::{Error, Result};
use crate::experiment::{ImagePlan, LaneSpec, Plan, TargetPlan};
use crate::io::{self, Blot};
use crate::lanes::{self, LaneGrid};
use crate::params::{LaneParams, Params};
use crate::quant::{self, LaneSignal};
use crate::report::overlay;
use crate::results::{
    BandRow, DetectionRow, ExperimentResult, FoldChangeRow, ImageTraces, LaneRow, LaneTrace,
};
use crate::{background, band_row, rows, stats, strips};

/// A band of an image after assignment and measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasuredBand {
    pub peak: Peak,
    /// Target name, `ladder`, or `None` when unassigned.
    pub target: Option<String>,
    pub apparent_mw_kda: Option<f64>,
    pub volume: quant::Volume,
    pub snr: f64,
    pub flags: Vec<&'static str>,
}

/// What one image yields.
#[derive(Debug, Clone)]
pub struct ImageAnalysis {
    pub file: String,
    pub grid: LaneGrid,
    pub calibration: Option<Calibration>,
    pub bands: Vec<MeasuredBand>,
    pub warnings: Vec<String>,
    pub overlay: overlay::Rendered,
    pub traces: Vec<LaneTrace>,
}

/// Reads an image file.
fn read_image(image: &ImagePlan, params: &Params) -> Result<Blot> {
    let bytes = std::fs::read(&image.path).map_err(|source| Error::Read {
        path: image.path.clone(),
        source,
    })?;
    io::load_bytes(&image.path, &bytes, image.polarity, &params.load)
}

/// An image read, background-corrected and with its lanes found: the first stage, after
/// which the lanes of the images of one membrane are registered.
pub struct Located {
    blot: Blot,
    background: Array2<f32>,
    grid: LaneGrid,
    /// The membranes or strips found in the frame, as lined up.
    strips: Vec<strips::Strip>,
}

/// Reads an image, estimates its background and finds its lanes.
pub fn locate(plan: &Plan, image: &ImagePlan) -> Result<Located> {
    let params = &plan.params;
    let mut blot = read_image(image, params)?;
    let strips = strips::align(&mut blot.signal);
    if strips.iter().any(|s| s.moved_px != 0) {
        let moves: Vec<String> = strips
            .iter()
            .map(|s| match s.moved_px {
                0 => format!("rows {}–{} as they are", s.rows.0, s.rows.1),
                m => format!(
                    "rows {}–{} moved {} px {}",
                    s.rows.0,
                    s.rows.1,
                    m.abs(),
                    if m > 0 { "left" } else { "right" }
                ),
            })
            .collect();
        blot.warnings.push(format!(
            "{} membranes or strips in the frame, lined up so their lanes meet ({}); band x positions and the overlay refer to the lined-up image",
            strips.len(),
            moves.join(", ")
        ));
    }
    let gaps_filled = strips::with_gaps_filled(&blot.signal, &strips);
    let background = background::estimate(
        gaps_filled.as_ref().unwrap_or(&blot.signal),
        &params.background,
    );
    let membrane = strips::membrane_columns(&blot.signal);
    let corrected = &blot.signal - &background;
    // The image's bands (for rows of bands) need only the corrected image: they are searched
    // while the lanes are counted.
    let (grid, bands) = rayon::join(
        || find_lanes(plan, image, &corrected, &membrane),
        || band_row::Bands::search(&corrected),
    );
    let mut grid = grid?;
    if let Some((on_bands, note)) = bands
        .as_ref()
        .and_then(band_row::Bands::evenly_spaced_row)
        .and_then(|row| lanes_on_band_row(&corrected, &grid, &row, plan.lanes.is_empty()))
    {
        grid = on_bands;
        blot.warnings.push(note);
    }
    grid = lanes_as_the_image_shows(
        plan,
        &corrected,
        grid,
        bands.as_ref(),
        &membrane,
        &mut blot.warnings,
    );
    grid = lanes::lean(&corrected, grid);
    grid = lanes::centre_on_signal(&corrected, grid);
    if let Some(note) = lean_note(&grid, blot.height()) {
        blot.warnings.push(note);
    }
    if plan.lanes.is_empty() {
        grid = on_membrane(grid, &membrane, &mut blot.warnings);
    }
    Ok(Located {
        blot,
        background,
        grid,
        strips,
    })
}

/// An estimated grid without the lanes off the `membrane`'s columns, with a note where some
/// are left out.
fn on_membrane(
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
fn lean_note(grid: &LaneGrid, height: usize) -> Option<String> {
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

/// Analyzes one image of a plan on its own: background, lanes, bands, calibration,
/// assignment, volumes.
pub fn analyze_image(plan: &Plan, image: &ImagePlan) -> Result<ImageAnalysis> {
    analyze_located(plan, image, locate(plan, image)?, None)
}

/// The second stage for one image: bands, calibration, assignment, volumes, overlay.
/// `marker` is the MW calibration of a marker image captured in this image's frame; without
/// one, the image's own ladder lane calibrates it.
pub fn analyze_located(
    plan: &Plan,
    image: &ImagePlan,
    located: Located,
    marker: Option<&Calibration>,
) -> Result<ImageAnalysis> {
    let params = &plan.params;
    let Located {
        blot,
        background,
        grid,
        ..
    } = located;
    // Computed again rather than kept from the first stage: a batch holds every image of an
    // experiment between the stages.
    let corrected = &blot.signal - &background;
    let profiles: Vec<_> = grid
        .lanes
        .par_iter()
        .map(|lane| bands::lane_profile(&corrected, lane, &params.bands))
        .collect();
    // Bands anywhere must stand `min_prominence_sigma` out of the noise; where a target's band
    // is expected, down to `targeted_prominence_sigma` (the limit of detection).
    let find = |sigmas: f64| -> Vec<Vec<Peak>> {
        profiles
            .iter()
            .zip(&grid.lanes)
            .map(|(profile, lane)| lane_bands(&corrected, profile, lane, &params.bands, sigmas))
            .collect()
    };
    let peaks = find(params.bands.min_prominence_sigma);
    let faint = find(params.bands.targeted_prominence_sigma);
    let mut warnings = blot.warnings.clone();
    let calibration = match marker {
        Some(marker) => Some(marker.clone()),
        None => calibrate(plan, &peaks, &mut warnings),
    };
    let (found, row_offsets) = assign_targets(
        plan,
        image,
        &peaks,
        &faint,
        calibration.as_ref(),
        &grid,
        blot.height(),
    );
    // Each lane's signal summed across its columns, per row (band volumes and the report's
    // profiles both read it).
    let lane_sums: Vec<Vec<f64>> = grid
        .lanes
        .par_iter()
        .map(|lane| {
            background::profile::lane_profile_sums(&blot.signal, |y| {
                lane.columns_at(y as f64, blot.width())
            })
        })
        .collect();
    let mut bands = measure_bands(
        params,
        &blot,
        &background,
        &grid,
        &profiles,
        &lane_sums,
        &row_offsets,
        found,
        calibration.as_ref(),
    );
    bands.extend(measure_whole_lanes(
        plan,
        image,
        &blot,
        &background,
        &grid,
        &profiles,
    ));
    let (overlay, traces) = rayon::join(
        || overlay::render(&blot, &grid, &bands),
        || lane_traces(&blot, &background, &grid, &lane_sums),
    );
    Ok(ImageAnalysis {
        file: image.file.clone(),
        grid,
        calibration,
        bands,
        warnings: warnings
            .into_iter()
            .map(|w| format!("{}: {w}", image.file))
            .collect(),
        overlay,
        traces,
    })
}

/// Most points a lane profile in the report has.
const TRACE_POINTS: usize = 400;

/// Each lane's mean signal per row (from its `lane_sums`) and the rolling-ball surface under
/// it, averaged over enough rows that at most [`TRACE_POINTS`] remain.
fn lane_traces(
    blot: &Blot,
    surface: &Array2<f32>,
    grid: &LaneGrid,
    lane_sums: &[Vec<f64>],
) -> Vec<LaneTrace> {
    let row_step = blot.height().div_ceil(TRACE_POINTS).max(1);
    let binned = |per_row: &[f64], width: usize| -> Vec<f32> {
        per_row
            .chunks(row_step)
            .map(|rows| (rows.iter().sum::<f64>() / (rows.len() * width.max(1)) as f64) as f32)
            .collect()
    };
    grid.lanes
        .iter()
        .zip(lane_sums)
        .map(|(lane, signal_sums)| {
            let columns = |y: usize| lane.columns_at(y as f64, blot.width());
            let (start, end) = columns(blot.height() / 2);
            let width = end - start;
            let surface_sums = background::profile::lane_profile_sums(surface, columns);
            LaneTrace {
                lane: lane.index,
                width_px: width,
                row_step,
                signal: binned(signal_sums, width),
                background: binned(&surface_sums, width),
            }
        })
        .collect()
}

/// Bands of one lane at a given prominence (in noise SDs). Peaks that span less than half the
/// lane are specks, not bands.
fn lane_bands(
    corrected: &Array2<f32>,
    profile: &bands::LaneProfile,
    lane: &lanes::Lane,
    params: &crate::params::BandParams,
    sigmas: f64,
) -> Vec<Peak> {
    bands::find_peaks(profile, params, sigmas)
        .into_iter()
        .filter(|p| bands::coverage(corrected, lane, p, params) >= 0.5)
        .collect()
}

/// Lanes checked against a row of evenly spaced bands in the image: where the bands are wider
/// than the grid's pitch, the grid has split lanes that are darker at their edges (crescent
/// bands, edge shadows) into narrower "lanes" (a band lies in one lane). The lanes are then
/// placed on the row, their count with them (a manifest's count only where the row's lanes
/// agree with it), with a note saying so; `None` where the grid stands.
fn lanes_on_band_row(
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

/// The grid's ends checked against the image ([`lanes_beyond_the_profile`]): an estimated
/// grid always; a manifest's grid where it is in doubt (it leaves a lane-like strip outside
/// it, or its lanes hardly stand out of the column profile), and then the image's own lanes
/// (found as without a manifest, on the `membrane`'s columns) are used where bands (a run of
/// them, a row of merged ones) extended them beyond the column profile's grid and they number
/// the manifest's count. Lanes placed on a row of bands stand as they are.
fn lanes_as_the_image_shows(
    plan: &Plan,
    corrected: &Array2<f32>,
    grid: LaneGrid,
    bands: Option<&band_row::Bands>,
    membrane: &[(usize, usize)],
    warnings: &mut Vec<String>,
) -> LaneGrid {
    let p = &plan.params.lanes;
    if grid.on_band_row {
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
fn lanes_beyond_the_profile(
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
fn find_lanes(
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
fn locate_marker(
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

fn calibrate(plan: &Plan, peaks: &[Vec<Peak>], warnings: &mut Vec<String>) -> Option<Calibration> {
    let ladder_kda = plan.ladder.as_ref()?;
    let ladder_lane = plan.lanes.iter().position(LaneSpec::is_ladder)?;
    let calibration = calibration::calibrate(&peaks[ladder_lane], ladder_kda);
    if calibration.is_none() {
        warnings.push(format!(
            "the ladder lane (lane {}) shows fewer than 3 marker bands: no MW calibration",
            ladder_lane + 1
        ));
    }
    calibration
}

/// Picks each target's band in each sample lane and returns every band found with its target
/// (`ladder` in ladder lanes, `None` when unassigned), and each lane's row shift relative to
/// the ladder lane (smile, tilt; zero without a ladder). Each lane's first pick (by MW, `rows`
/// or the dominant row) places the target's row curve across lanes (a robust parabola in the
/// lane position, so a smile or tilt is followed); each lane then takes its band nearest the
/// curve, from the clear bands or else from the faint ones found there. A stray pick far from
/// the curve is dropped. MW picks read each lane's rows after taking out its shift, which the
/// targets' first curves estimate.
fn assign_targets(
    plan: &Plan,
    image: &ImagePlan,
    peaks: &[Vec<Peak>],
    faint: &[Vec<Peak>],
    calibration: Option<&Calibration>,
    grid: &LaneGrid,
    height: usize,
) -> (Vec<(Peak, Option<String>)>, Vec<f64>) {
    let is_ladder = |lane: usize| plan.lanes.get(lane).is_some_and(LaneSpec::is_ladder);
    let xs: Vec<f64> = grid.lanes.iter().map(|l| l.x_center).collect();
    let mut found: Vec<Vec<(Peak, Option<String>)>> = peaks
        .iter()
        .enumerate()
        .map(|(lane, lane_peaks)| {
            let label = is_ladder(lane).then(|| "ladder".to_string());
            lane_peaks.iter().map(|p| (*p, label.clone())).collect()
        })
        .collect();
    let sample_lanes: Vec<usize> = (0..peaks.len()).filter(|&l| !is_ladder(l)).collect();
    let reach = row_tolerance(height);
    let banded: Vec<&TargetPlan> = image
        .targets
        .iter()
        .filter(|t| !t.target.whole_lane)
        .collect();
    let offsets = lane_row_offsets(
        plan,
        &banded,
        peaks,
        &sample_lanes,
        calibration,
        &xs,
        height,
    );
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
                    &plan.params,
                    height,
                    offsets[lane],
                )?;
                Some((xs[lane], pick.y))
            })
            .collect();
        let Some(curve) = rows::fit(&first_picks, reach) else {
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
            }
        }
    }
    (found.into_iter().flatten().collect(), offsets)
}

/// Each lane's row shift relative to the ladder lane: the median over targets of how far the
/// target's row curve (from MW picks on the unshifted rows) lies below its value at the ladder
/// lane. Zero everywhere without a ladder or without a target picked in three lanes.
fn lane_row_offsets(
    plan: &Plan,
    targets: &[&TargetPlan],
    peaks: &[Vec<Peak>],
    sample_lanes: &[usize],
    calibration: Option<&Calibration>,
    xs: &[f64],
    height: usize,
) -> Vec<f64> {
    let zeros = vec![0.0; xs.len()];
    let (Some(_), Some(ladder)) = (calibration, plan.lanes.iter().position(LaneSpec::is_ladder))
    else {
        return zeros;
    };
    let Some(&ladder_x) = xs.get(ladder) else {
        return zeros;
    };
    let reach = row_tolerance(height);
    let curves: Vec<rows::RowCurve> = targets
        .iter()
        .filter(|t| t.rows.is_none())
        .filter_map(|target| {
            let picks: Vec<(f64, f64)> = sample_lanes
                .iter()
                .filter_map(|&lane| {
                    let pick = pick_band(
                        target,
                        &peaks[lane],
                        calibration,
                        None,
                        &plan.params,
                        height,
                        0.0,
                    )?;
                    Some((xs[lane], pick.y))
                })
                .collect();
            if picks.len() >= 3 {
                rows::fit(&picks, reach)
            } else {
                None
            }
        })
        .collect();
    if curves.is_empty() {
        return zeros;
    }
    xs.iter()
        .map(|&x| {
            let shifts: Vec<f64> = curves.iter().map(|c| c.at(x) - c.at(ladder_x)).collect();
            stats::median(&shifts)
        })
        .collect()
}

/// A lane's band for `target`: the most prominent within the manifest's `rows`, else the one
/// nearest the target's MW (read at `row - offset`, the lane's shift from the ladder lane),
/// else the most prominent near the dominant row.
fn pick_band(
    target: &TargetPlan,
    peaks: &[Peak],
    calibration: Option<&Calibration>,
    dominant_row: Option<f64>,
    params: &Params,
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
        let pick = calibration::pick_by_mw(
            &shifted,
            cal,
            target.target.mw_kda,
            params.quant.mw_tolerance,
        )?;
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

/// Gives every band of one target the same box extent above and below its peak (the median
/// over lanes), so faint and strong lanes are measured alike; then measures all bands.
#[allow(clippy::too_many_arguments)]
fn measure_bands(
    params: &Params,
    blot: &Blot,
    surface: &Array2<f32>,
    grid: &LaneGrid,
    profiles: &[bands::LaneProfile],
    lane_sums: &[Vec<f64>],
    row_offsets: &[f64],
    mut found: Vec<(Peak, Option<String>)>,
    calibration: Option<&Calibration>,
) -> Vec<MeasuredBand> {
    let height = blot.height();
    let targets: Vec<String> = found
        .iter()
        .filter_map(|(_, t)| t.clone())
        .filter(|t| t != "ladder")
        .collect();
    for target in targets {
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
            peak.top = (peak.y - up).round().max(0.0) as usize;
            peak.bottom = ((peak.y + down).round() as usize).min(height - 1);
        }
    }
    separate_neighbours(&mut found, profiles);
    let boxes: Vec<(usize, usize, usize)> = found
        .iter()
        .map(|(p, _)| (p.lane, p.top, p.bottom))
        .collect();
    let mut measured: Vec<MeasuredBand> = found
        .into_iter()
        .map(|(peak, target)| {
            let columns = grid.lanes[peak.lane - 1].columns_at(peak.y, blot.width());
            let band = BandBox {
                rows: (peak.top, peak.bottom),
                columns,
            };
            let others: Vec<(usize, usize)> = boxes
                .iter()
                .filter(|&&(lane, top, bottom)| {
                    lane == peak.lane && (top, bottom) != (peak.top, peak.bottom)
                })
                .map(|&(_, top, bottom)| (top, bottom))
                .collect();
            let background_sum = background::band_background(
                &params.background,
                &blot.signal,
                surface,
                &lane_sums[peak.lane - 1],
                band,
                &others,
            );
            let volume = quant::measure(
                &blot.signal,
                blot.saturation_level,
                band.rows,
                columns,
                background_sum,
            );
            let snr = f64::from(peak.height / profiles[peak.lane - 1].noise_sigma);
            let mut flags = Vec::new();
            if volume.saturated_px > 0 {
                flags.push("saturated");
            }
            if peak.top == 0 || peak.bottom + 1 >= height {
                flags.push("edge");
            }
            MeasuredBand {
                peak,
                target,
                apparent_mw_kda: calibration.map(|c| c.kda_at(peak.y - row_offsets[peak.lane - 1])),
                volume,
                snr,
                flags,
            }
        })
        .collect();
    flag_holes(&mut measured, blot, surface, grid, &params.bands);
    measured
}

/// Flags `hole` on the bands of a target that miss part of their signal where the
/// target's other bands have it (see [`bands::holes`]).
fn flag_holes(
    measured: &mut [MeasuredBand],
    blot: &Blot,
    surface: &Array2<f32>,
    grid: &LaneGrid,
    params: &crate::params::BandParams,
) {
    let targets: std::collections::BTreeSet<String> = measured
        .iter()
        .filter_map(|b| b.target.clone())
        .filter(|t| t != "ladder")
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
                bands::cross_section(&blot.signal, surface, lane, (peak.top, peak.bottom), params)
            })
            .collect();
        for (&i, hole) in members.iter().zip(bands::holes(&sections)) {
            if hole {
                measured[i].flags.push("hole");
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
            let (upper, lower) = if other.y < peak.y {
                (other.y, peak.y)
            } else {
                (peak.y, other.y)
            };
            let (from, to) = (
                upper.ceil() as usize,
                (lower.floor() as usize).min(values.len() - 1),
            );
            let Some(valley) = (from..=to).min_by(|&a, &b| values[a].total_cmp(&values[b])) else {
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

/// Whole-lane signal of total-protein targets: each sample lane's box over the target's `rows`
/// (default: the full height), on the same lane grid as the image's bands.
fn measure_whole_lanes(
    plan: &Plan,
    image: &ImagePlan,
    blot: &Blot,
    background: &Array2<f32>,
    grid: &LaneGrid,
    profiles: &[bands::LaneProfile],
) -> Vec<MeasuredBand> {
    let last_row = blot.height() - 1;
    let mut out = Vec::new();
    for target in image.targets.iter().filter(|t| t.target.whole_lane) {
        let (top, bottom) = target
            .rows
            .map_or((0, last_row), |(t, b)| (t.min(last_row), b.min(last_row)));
        for (lane, profile) in grid.lanes.iter().zip(profiles) {
            if plan
                .lanes
                .get(lane.index - 1)
                .is_some_and(LaneSpec::is_ladder)
            {
                continue;
            }
            let volume = whole_lane_volume(blot, background, lane, (top, bottom));
            let rows = &profile.values[top..=bottom];
            let mean_height = rows.iter().sum::<f32>() / rows.len() as f32;
            out.push(MeasuredBand {
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
                    vec!["saturated"]
                } else {
                    vec![]
                },
            });
        }
    }
    out
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

/// Analyzes every image of a plan (in parallel), then derives the experiment's tables.
pub fn analyze_experiment(plan: &Plan) -> Result<ExperimentResult> {
    let quantified: Vec<&ImagePlan> = plan.images.iter().filter(|i| !i.is_marker).collect();
    let mut located: Vec<Located> = quantified
        .par_iter()
        .map(|image| locate(plan, image))
        .collect::<Result<_>>()?;
    let widths: Vec<usize> = located.iter().map(|l| l.blot.width()).collect();
    lanes::register(
        &mut located.iter_mut().map(|l| &mut l.grid).collect::<Vec<_>>(),
        &widths,
    );
    let mut warnings = plan.warnings.clone();
    // Marker images are analyzed like the blots (they hold no targets, so only their ladder
    // lane counts); each one's calibration serves the blots of its frame.
    let mut marker_images = Vec::new();
    for marker in plan.images.iter().filter(|i| i.is_marker) {
        if let Some(located) = locate_marker(plan, marker, &located, &mut warnings)? {
            let frame = (located.blot.width(), located.blot.height());
            let mut analysis = analyze_located(plan, marker, located, None)?;
            // Only its ladder is read; whatever else the white light shows is not a band.
            analysis
                .bands
                .retain(|b| b.target.as_deref() == Some("ladder"));
            if analysis.calibration.is_none() {
                warnings.push(format!(
                    "{}: the marker image's ladder lane gives no MW scale (fewer than 3 marker bands, or none that match the ladder in order); each image's own ladder lane is used",
                    marker.file
                ));
            }
            marker_images.push((frame, analysis));
        }
    }
    let calibrations: Vec<((usize, usize), &Calibration)> = marker_images
        .iter()
        .filter_map(|(frame, m)| m.calibration.as_ref().map(|c| (*frame, c)))
        .collect();
    let mut images: Vec<ImageAnalysis> = quantified
        .into_par_iter()
        .zip(located)
        .map(|(image, located)| {
            let frame = (located.blot.width(), located.blot.height());
            let marker = calibrations
                .iter()
                .find(|(f, _)| *f == frame)
                .map(|(_, c)| *c);
            analyze_located(plan, image, located, marker)
        })
        .collect::<Result<_>>()?;
    warnings.extend(check_lane_count(plan, &images)?);
    images.extend(marker_images.into_iter().map(|(_, m)| m));
    let mut result = ExperimentResult {
        name: plan.name.clone(),
        folder: plan.dir.display().to_string(),
        control: plan.control.clone(),
        warnings,
        ..Default::default()
    };
    let is_marker = |file: &str| plan.images.iter().any(|i| i.is_marker && i.file == file);
    for image in &images {
        result.lanes.extend(lane_rows(plan, image));
        // A marker's lanes are the blots' lanes, not detected on it.
        if !is_marker(&image.file) {
            result.detection.push(detection_row(plan, image));
        }
        result.bands.extend(band_rows(plan, image));
        result.warnings.extend(image.warnings.iter().cloned());
        let stem = Path::new(&image.file)
            .with_extension("")
            .to_string_lossy()
            .replace(['/', '\\'], "_");
        result.traces.push(ImageTraces {
            experiment: plan.name.clone(),
            image: image.file.clone(),
            overlay: format!("{stem}.png"),
            preview_jpeg_base64: base64::engine::general_purpose::STANDARD
                .encode(&image.overlay.jpeg),
            lanes: image.traces.clone(),
        });
        result.overlays.push((stem, image.overlay.png.clone()));
    }
    result.fold_change = fold_change_rows(plan, &images);
    result.warnings.extend(normalizer_warnings(plan, &images));
    Ok(result)
}

/// A manifest whose lane count the images contradict is an error: the lanes would be
/// misplaced. An image that shows a further lane beyond either end of its grid contradicts
/// it. Otherwise the count is accepted as it stands when some image's grid of that many lanes
/// stands clearly out of the background (faint lanes may sit in it) or some image's automatic
/// count is that count. Failing that, it is refused only where an image clearly shows another
/// count (its own grid at that count has every lane visible and none beyond); where the
/// images are unclear either way (a figure panel, lanes that merge), the stated count is used
/// with a warning, since the person who ran the gel knows how many lanes it has.
fn check_lane_count(plan: &Plan, images: &[ImageAnalysis]) -> Result<Option<String>> {
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
    // the automatic count of an image confirms, or its bands do (lanes placed on a row of
    // bands, or extended over a run of them).
    let shown_by_bands = images
        .iter()
        .any(|i| (i.grid.on_band_row || i.grid.beyond_profile) && i.grid.lanes.len() == stated);
    if missed.is_none() && (shown_by_bands || estimates.contains(&Some(stated))) {
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

fn lane_spec(plan: &Plan, lane: usize) -> Option<&LaneSpec> {
    plan.lanes.get(lane - 1)
}

fn detection_row(plan: &Plan, image: &ImageAnalysis) -> DetectionRow {
    let grid = &image.grid;
    let reasons: Vec<&str> = [
        (plan.lanes.is_empty(), "count-estimated"),
        (grid.confidence < 5.0, "low-contrast"),
        (grid.has_faint_lanes(), "faint-lanes"),
        (grid.misses_a_lane(), "lane-beyond-grid"),
        (grid.has_centres_from_grid(), "centres-from-grid"),
        (grid.on_band_row, "on-band-row"),
        (grid.beyond_profile, "beyond-profile"),
        (grid.lanes.iter().any(|l| l.slope != 0.0), "leaning"),
    ]
    .into_iter()
    .filter_map(|(applies, reason)| applies.then_some(reason))
    .collect();
    DetectionRow {
        experiment: plan.name.clone(),
        image: image.file.clone(),
        lanes: grid.lanes.len(),
        pitch_px: grid.pitch,
        confidence: grid.confidence,
        reasons: reasons.join(";"),
    }
}

fn lane_rows(plan: &Plan, image: &ImageAnalysis) -> Vec<LaneRow> {
    image
        .grid
        .lanes
        .iter()
        .map(|lane| {
            let spec = lane_spec(plan, lane.index);
            LaneRow {
                experiment: plan.name.clone(),
                image: image.file.clone(),
                lane: lane.index,
                condition: match spec {
                    Some(s) => s.condition.clone().unwrap_or_else(|| "ladder".into()),
                    None => String::new(),
                },
                sample: spec.and_then(|s| s.sample.clone()).unwrap_or_default(),
                x_center_px: lane.x_center,
                width_px: lane.width,
            }
        })
        .collect()
}

fn band_rows(plan: &Plan, image: &ImageAnalysis) -> Vec<BandRow> {
    image
        .bands
        .iter()
        .map(|b| BandRow {
            experiment: plan.name.clone(),
            image: image.file.clone(),
            lane: b.peak.lane,
            target: b.target.clone().unwrap_or_default(),
            y_center_px: b.peak.y,
            top_px: b.peak.top,
            bottom_px: b.peak.bottom,
            apparent_mw_kda: b.apparent_mw_kda,
            volume: b.volume.volume,
            background: b.volume.background,
            adjusted_volume: b.volume.adjusted(),
            saturated_px: b.volume.saturated_px,
            snr: b.snr,
            flags: band_flags(b, &plan.params).join(";"),
        })
        .collect()
}

fn band_flags(band: &MeasuredBand, params: &Params) -> Vec<&'static str> {
    let mut flags = band.flags.clone();
    if band.snr < params.quant.low_snr {
        flags.push("low-snr");
    }
    flags
}

/// Per-lane signals of a target, from the image that holds it.
fn target_signals(plan: &Plan, images: &[ImageAnalysis], target: &str) -> Vec<LaneSignal> {
    let Some(image) = images.iter().find(|i| {
        plan.images
            .iter()
            .any(|p| p.file == i.file && p.targets.iter().any(|t| t.target.name == target))
    }) else {
        return Vec::new();
    };
    plan.lanes
        .iter()
        .filter(|l| !l.is_ladder())
        .map(|spec| {
            let band = image
                .bands
                .iter()
                .find(|b| b.peak.lane == spec.index && b.target.as_deref() == Some(target));
            let mut flags = match band {
                Some(b) => band_flags(b, &plan.params),
                None => vec!["not-detected"],
            };
            flags.dedup();
            LaneSignal {
                lane: spec.index,
                condition: spec.condition.clone().unwrap_or_default(),
                sample: spec.sample.clone(),
                signal: band.map(|b| b.volume.adjusted()),
                saturated: band.is_some_and(|b| b.volume.saturated_px > 0),
                flags,
            }
        })
        .collect()
}

fn fold_change_rows(plan: &Plan, images: &[ImageAnalysis]) -> Vec<FoldChangeRow> {
    let Some(control) = &plan.control else {
        return Vec::new();
    };
    let loading_control = plan.loading_control.as_ref().map(|t| t.name.as_str());
    let mut rows = Vec::new();
    for image in &plan.images {
        for target in &image.targets {
            let name = &target.target.name;
            let normalizer = plan.normalizers.get(name).or(plan.loading_control.as_ref());
            // The loading control is not normalized to itself (unless it has its own normalizer).
            if Some(name.as_str()) == loading_control && !plan.normalizers.contains_key(name) {
                continue;
            }
            let signals = target_signals(plan, images, name);
            let normalizer_signals =
                normalizer.map(|n| (n.name.as_str(), target_signals(plan, images, &n.name)));
            let norm = normalizer_signals.as_ref().map(|(n, s)| (*n, s.as_slice()));
            rows.extend(quant::fold_changes(
                &plan.name,
                name,
                control,
                &signals,
                norm,
                &plan.params.quant,
            ));
        }
    }
    rows
}

/// Warnings about the normalizers of a plan: one whose signal differs between conditions
/// (one-way ANOVA, p < 0.05) may be changed by the treatment and is not a fair yardstick.
fn normalizer_warnings(plan: &Plan, images: &[ImageAnalysis]) -> Vec<String> {
    let mut names: Vec<&str> = plan
        .loading_control
        .iter()
        .chain(plan.normalizers.values())
        .map(|t| t.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let signals = target_signals(plan, images, name);
            quant::normalizer_anova(&signals).filter(|a| a.p_value < 0.05).map(|a| {
                format!(
                    "loading control {name} differs between conditions (one-way ANOVA F = {:.2}, p = {:.3}): the treatment may change it, so it may not be a valid normalizer",
                    a.f, a.p_value
                )
            })
        })
        .collect()
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
        let blot = Blot {
            path: "leaning.tif".into(),
            signal,
            saturation_level: 65535.0,
            bit_depth: 16,
            polarity: io::Polarity::LightBands,
            warnings: Vec::new(),
        };
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
}
