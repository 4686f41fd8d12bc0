//! One experiment from manifest to tables: each stage is a function of the previous stage's
//! output, and the stages read top to bottom in [`analyze_image`] and [`analyze_experiment`].

use ndarray::Array2;
use rayon::prelude::*;

use crate::background;
use crate::bands::calibration::Calibration;
use crate::bands::specks::Specks;
use crate::bands::{self, MeasuredBand};
use crate::error::{Error, Result};
use crate::io::frame::EmptyMargins;
use crate::io::{self, Blot};
use crate::lanes::membranes::{self, Membrane};
use crate::lanes::{self, LaneGrid};
use crate::manifest::{ImagePlan, LaneSpec, Plan};
use crate::params::Params;
use crate::results::{ExperimentResult, LaneTrace, Overlay};

mod marker;
mod tables;

/// What one image yields.
#[derive(Debug, Clone)]
pub struct ImageAnalysis {
    /// The image file, as the manifest names it.
    pub file: String,
    /// The image's lanes, after registration with the other images of its membrane.
    pub grid: LaneGrid,
    /// The MW scale: the marker image's of the same frame, else the image's own ladder lane's;
    /// `None` without either.
    pub calibration: Option<Calibration>,
    /// Every band found, assigned or not, measured; whole-lane targets' boxes included.
    pub bands: Vec<MeasuredBand>,
    /// Problems with this image, each prefixed with its file name.
    pub warnings: Vec<String>,
    /// The overlay the caller's [`DrawOverlay`] drew (empty with [`no_overlay`]).
    pub overlay: Overlay,
    /// Each lane's mean signal and background per row, for the report's profiles.
    pub traces: Vec<LaneTrace>,
    /// The image's size in pixels: (width, height).
    pub size: (usize, usize),
    /// How the image was acquired, where its file says.
    pub acquisition: Option<io::Acquisition>,
    /// The stored image's polarity, and who decided it.
    pub polarity: (io::Polarity, io::PolaritySource),
    /// Where the file keeps other values than the imager's counts.
    pub storage: Option<io::Storage>,
    /// The image's lanes all leaned this many px right per row down it, and it was analyzed
    /// sheared upright ([`lanes::skew`]).
    pub sheared: Option<f64>,
}

/// Draws an image's overlay from the image, its lanes and its measured bands: the report's
/// renderer where pictures are wanted, [`no_overlay`] where they are not (counting lanes for
/// `init`, a linearity fit). Passed in, so the analysis never depends on how results are shown.
pub type DrawOverlay = dyn Fn(&Blot, &LaneGrid, &[MeasuredBand]) -> Overlay + Sync;

/// Draws nothing: an empty overlay.
pub fn no_overlay(_: &Blot, _: &LaneGrid, _: &[MeasuredBand]) -> Overlay {
    Overlay::default()
}

/// Reads an image file.
fn read_image(image: &ImagePlan, params: &Params) -> Result<Blot> {
    io::load_page(&image.path, image.page, image.polarity, &params.load)
}

/// An image read, background-corrected and with its lanes found: the first stage, after
/// which the lanes of the images of one membrane are registered.
pub struct Located {
    blot: Blot,
    background: Array2<f32>,
    grid: LaneGrid,
    /// The specks replaced in [`Located::blot`] (its signal is read without them).
    specks: Specks,
    /// The membranes or strips found in the frame, as lined up.
    strips: Vec<Membrane>,
    /// The image was turned 90° clockwise because its lanes ran across it.
    turned: bool,
    /// The image was sheared upright ([`lanes::skew`]) because its lanes all leaned this many
    /// px right per row down it.
    sheared: Option<f64>,
}

impl Located {
    /// Lanes moved a whole number of pitches (onto the other images' lanes, onto a marker's
    /// ladder) sit where the lattice put their neighbours: each is centred again on its own
    /// signal, as where it was found.
    fn centre_moved_lanes(&mut self) {
        let corrected = &self.blot.signal - &self.background;
        self.grid = lanes::centre_on_signal(&corrected, self.grid.clone());
    }
}

/// Reads an image, estimates its background and finds its lanes.
pub fn locate(plan: &Plan, image: &ImagePlan) -> Result<Located> {
    let params = &plan.params;
    let mut blot = read_image(image, params)?;
    // Lanes a person stated refer to the image as stored: it is not turned.
    let turned = image.lanes_px.is_none() && lanes_run_across(&blot);
    if turned {
        turn(&mut blot);
    }
    let sheared = match image.lanes_px {
        None => lanes_lean(&blot),
        Some(_) => None,
    };
    if let Some(slope) = sheared {
        shear_upright(&mut blot, slope);
    }
    // Hot and dead pixels lie anywhere, and before lanes are known they add columns and
    // blobs of their own: every step from here on sees the image without them.
    let isolated = replace_isolated_pixels(&mut blot);
    // The frame lanes are found in (once: lining up strips and replacing specks leave it).
    let frame = blot.content.and_then(|peeled| {
        io::frame::content_box_keeping(&blot.signal.view(), code_step(&blot), peeled)
    });
    // Strips are judged where the blot's structure is, empty margins peeled: an empty field's
    // rows at the background's level would join two membranes into one.
    let content = blot.content;
    let strips = line_up_strips(&mut blot, content);
    blot.warnings.extend(membranes::lined_up_note(&strips));
    // Bands higher than the ball was set for: it grows with them.
    let grown = grown_ball(plan, &blot);
    if let Some((grown_plan, height)) = &grown {
        blot.warnings.push(ball_grown_note(
            *height,
            plan.params.background.radius_px,
            grown_plan.params.background.radius_px,
        ));
    }
    let plan = grown.as_ref().map_or(plan, |(grown_plan, _)| grown_plan);
    let (mut background, mut grid, mut notes) = find_lanes(plan, image, &blot, &strips, frame)?;
    // Dust and hot pixels add to the bands they fall on, and where they hold a share of a
    // lane's signal that matters, pull its centre towards them: they are replaced, and then
    // the lanes are found again without them.
    let mut specks = remove_specks(&mut blot, &grid);
    let lane_share = specks.largest_share_of_a_lane(&blot.signal, &background, &grid.lanes);
    if lane_share > bands::measure::SPECK_SHARE {
        (background, grid, notes) = find_lanes(plan, image, &blot, &strips, frame)?;
    }
    specks.pixels.extend(isolated.pixels);
    blot.warnings.extend(notes);
    Ok(Located {
        blot,
        background,
        grid,
        specks,
        strips,
        turned,
        sheared,
    })
}

/// Replaces the isolated pixels inside the content of `blot` (its empty margins peeled:
/// their flat levels would change the noise the pixels are judged by, so a frame added
/// around a blot would change which pixels are replaced) and returns what they held
/// ([`bands::specks::replace_isolated`]).
fn replace_isolated_pixels(blot: &mut Blot) -> Specks {
    let Some(b) = blot.content else {
        return Specks::default();
    };
    let step = code_step(blot);
    let inside = blot
        .signal
        .slice_mut(ndarray::s![b.top..b.bottom, b.left..b.right]);
    let mut specks = bands::specks::replace_isolated(inside, step);
    for p in &mut specks.pixels {
        p.0 += b.top;
        p.1 += b.left;
    }
    specks
}

/// True where the lanes of `blot` run across it, judged inside its frame (a surround's edges
/// run both ways and say nothing of the lanes).
fn lanes_run_across(blot: &Blot) -> bool {
    inside_frame(blot).is_some_and(lanes::orientation::lanes_run_across)
}

/// How far the lanes of `blot` move right per row down it, where they all lean one way
/// ([`lanes::skew::measure`], judged inside its frame).
fn lanes_lean(blot: &Blot) -> Option<f64> {
    lanes::skew::measure(inside_frame(blot)?)
}

/// The signal of `blot` inside its frame (`None` where it has no content).
fn inside_frame(blot: &Blot) -> Option<ndarray::ArrayView2<'_, f32>> {
    let b = blot.content?;
    Some(
        blot.signal
            .slice(ndarray::s![b.top..b.bottom, b.left..b.right]),
    )
}

/// The membranes or strips of `blot`, found and lined up inside `frame` ([`membranes::align`]):
/// a surround's rows would join them into one, and its columns, moved with them, would stand
/// beside them.
fn line_up_strips(blot: &mut Blot, frame: Option<io::frame::ContentBox>) -> Vec<Membrane> {
    let Some(b) = frame.filter(|b| !b.is_whole(blot.height(), blot.width())) else {
        return membranes::align(&mut blot.signal);
    };
    let mut inside = blot
        .signal
        .slice(ndarray::s![b.top..b.bottom, b.left..b.right])
        .to_owned();
    let strips: Vec<Membrane> = membranes::align(&mut inside)
        .into_iter()
        .map(|strip| Membrane {
            rows: (strip.rows.0 + b.top, strip.rows.1 + b.top),
            columns: (strip.columns.0 + b.left, strip.columns.1 + b.left),
            ..strip
        })
        .collect();
    membranes::apply(&mut blot.signal, &strips);
    strips
}

/// Shears a blot whose lanes lean by `slope` upright, with a warning saying so.
fn shear_upright(blot: &mut Blot, slope: f64) {
    blot.signal = lanes::skew::sheared_upright(&blot.signal, slope);
    let quantum = code_step(blot);
    blot.content = io::frame::content_box(&blot.signal.view(), quantum, EmptyMargins::Peel);
    let shift = slope * blot.height().saturating_sub(1) as f64;
    blot.warnings.push(format!(
        "its lanes all lean by {:.1}° (the membrane was imaged turned; a lane moves {:.0} px sideways from top to bottom): it is analyzed with each row moved sideways by whole pixels to stand the lanes upright (values unchanged), the middle row in place; lane and band positions and the overlay refer to the sheared image",
        slope.atan().to_degrees(),
        shift
    ));
}

/// The background surface of `signal` (rows of `strips` in its own rows), estimated as if its
/// membranes ran on across the gaps between them.
fn surface_under(signal: &Array2<f32>, strips: &[Membrane], params: &Params) -> Array2<f32> {
    let gaps_filled = membranes::with_gaps_filled(signal, strips);
    background::estimate(gaps_filled.as_ref().unwrap_or(signal), &params.background)
}

/// `plan` with the ball's radius grown to the height of the bands of `blot`
/// ([`Params::with_ball_grown`]), and that height; `None` where the radius stays. The height
/// is read on the image as it is, before any background is taken off (a ball too small for the
/// bands would eat into them) and before lanes are known: on the row profiles of
/// [`HEIGHT_SLABS`] slabs side by side across the blot's frame. A slab that spans a lane and
/// a gap holds the lane's bands at their own height, lower in contrast only.
fn grown_ball(plan: &Plan, blot: &Blot) -> Option<(Plan, f64)> {
    let params = &plan.params;
    let inside = inside_frame(blot)?;
    let slab_width = inside.ncols() / HEIGHT_SLABS;
    if slab_width == 0 {
        return None;
    }
    let raws: Vec<Vec<f32>> = (0..HEIGHT_SLABS)
        .map(|k| {
            let slab = inside.slice(ndarray::s![.., k * slab_width..(k + 1) * slab_width]);
            slab.rows()
                .into_iter()
                .map(|row| row.sum() / slab_width as f32)
                .collect()
        })
        .collect();
    let height = bands::band_height_as_imaged(&raws, slab_width as f64, &params.bands)?;
    let grown = params.with_ball_grown(Some(height))?;
    Some((
        Plan {
            params: grown,
            ..plan.clone()
        },
        height,
    ))
}

/// Slabs the blot's frame is cut into, side by side, to read its bands' height before lanes
/// are known: a band higher than its slab is wide (a membrane's plateau) is none. Rows that run
/// at a slant (a blot turned a little, a smile) cross a slab by a sixteenth of their slant over
/// the frame, so thin lines stay thin: in 8 slabs, the pSMAD panel turned 2° read 20 px (its
/// bands) where it reads 5.5 upright (its drawn lines), and its lanes were lost to the ball
/// grown with them.
const HEIGHT_SLABS: usize = 16;

/// The warning of an image whose lanes and bands, `height` px high, were found on a background
/// whose ball's radius grew `from` px `to` px ([`Params::with_ball_grown`]).
fn ball_grown_note(height: f64, from: f64, to: f64) -> String {
    format!(
        "its bands are {height:.1} px high: lanes and bands are found on a background whose ball has its {from} px {} ({to:.0} px)",
        crate::params::BALL_GROWN
    )
}

/// The warning of an image whose bands, `height` px high, were found on a background whose
/// ball's radius shrank `from` px `to` px ([`Params::fitted_to_band_height`]).
fn ball_shrunk_note(height: f64, from: f64, to: f64) -> String {
    format!(
        "its bands are {height:.1} px high: they are found on a background whose ball has its {from} px {} ({to:.0} px); the lanes stay as found",
        crate::params::BALL_SHRUNK
    )
}

/// Replaces the specks inside the lanes of `grid` in `blot` ([`bands::specks`]).
fn remove_specks(blot: &mut Blot, grid: &LaneGrid) -> Specks {
    let (saturation_level, code_step) = (blot.saturation_level, code_step(blot));
    bands::specks::remove(&mut blot.signal, &grid.lanes, saturation_level, code_step)
}

/// The smallest step between two values the file can hold ([`io::code_step`]).
fn code_step(blot: &Blot) -> f32 {
    io::code_step(blot.bit_depth)
}

/// The background surface of `blot` and its lanes (as the manifest states them or as found),
/// with the notes the lane finding left.
fn find_lanes(
    plan: &Plan,
    image: &ImagePlan,
    blot: &Blot,
    strips: &[Membrane],
    frame: Option<io::frame::ContentBox>,
) -> Result<(Array2<f32>, LaneGrid, Vec<String>)> {
    let params = &plan.params;
    let background = surface_under(&blot.signal, strips, params);
    let corrected = &blot.signal - &background;
    let (grid, notes) = match &image.lanes_px {
        Some(stated) => {
            check_stated_lanes(plan, image, stated, blot.width())?;
            let note =
                "lanes from the manifest (lanes_px), used as stated: none were detected".into();
            (lanes::stated_grid(&corrected, stated), vec![note])
        }
        None => {
            let request = lanes::LaneRequest {
                count: (!plan.lanes.is_empty()).then_some(plan.lanes.len()),
                params: &params.lanes,
                code_step: code_step(blot),
            };
            let found = locate_inside_frame(blot, strips, frame, &corrected, &request, params)
                .map_err(|e| lane_error(plan, image, e))?;
            let notes = found.notes.into_iter().chain(found.count_note).collect();
            (found.grid, notes)
        }
    };
    Ok((background, grid, notes))
}

/// The lanes of `blot`, found inside its `frame` ([`io::frame::content_box`] keeping empty
/// margins; `None`: no content) with a background of their own, so that neither a margin's
/// level nor its edge looks like a lane; placed back on the whole image.
fn locate_inside_frame(
    blot: &Blot,
    strips: &[Membrane],
    frame: Option<io::frame::ContentBox>,
    corrected: &Array2<f32>,
    request: &lanes::LaneRequest,
    params: &Params,
) -> std::result::Result<lanes::FoundLanes, lanes::LaneError> {
    let Some(flat) = frame else {
        return Err(lanes::LaneError::NoLanes);
    };
    let found = locate_in_box(blot, strips, corrected, request, params, flat)?;
    if request.count.is_some() {
        return Ok(stated_lanes_on_the_blot(
            blot, strips, corrected, request, params, flat, found,
        ));
    }
    // Counted on the image, lanes lie between the outermost bands: a margin beside them that
    // holds nothing but noise (a surround, an empty field around a small blot) is left out,
    // and the lanes are found again without it, where it is wider than a lane pitch or lies
    // beyond the membrane's edge (its level steps there). Narrower ones at the membrane's own
    // level stay, where an end lane needs the gap beside it; margins above and below the
    // bands, which add no lane, are left out only when the lanes are found again.
    let Some(tight) = blot.content else {
        return Ok(found);
    };
    let within = |left: usize, right: usize| io::frame::ContentBox {
        top: tight.top.max(flat.top),
        bottom: tight.bottom.min(flat.bottom),
        left,
        right,
    };
    // The box was found as the image was read: strips lined up since may have moved it.
    let usable = |b: &io::frame::ContentBox| b.left < b.right && b.top < b.bottom;
    let margins = [
        tight.left.saturating_sub(flat.left),
        flat.right.saturating_sub(tight.right),
    ];
    // The pitch a margin is weighed against: the lanes' found on the whole box; where a
    // pattern in two dimensions placed them (a wide surround can lead the whole box's lanes to
    // a row of a few wide bands, merged across lanes), the finer one of the lanes found on the
    // blot alone. Only a margin between the narrowest pitch allowed and the one found makes
    // the difference.
    let undecided = found.grid.placed_in_two_dimensions()
        && margins
            .iter()
            .any(|&m| m as f64 > params.lanes.min_pitch_px && m as f64 <= found.grid.pitch);
    let blot_pitch = match tight.within(&flat) {
        Some(blot_only) if undecided => {
            locate_in_box(blot, strips, corrected, request, params, blot_only)
                .map(|f| f.grid.pitch)
                .unwrap_or(f64::INFINITY)
        }
        _ => f64::INFINITY,
    };
    let pitch = found.grid.pitch.min(blot_pitch);
    // The levels either side of the edge are judged over a quarter pitch.
    let reach = (pitch / 4.0) as usize;
    let steps = io::frame::steps_beside(&blot.signal.view(), tight, flat, reach, code_step(blot));
    let left_out = |side: usize| margins[side] as f64 > pitch || steps[side];
    let left = if left_out(0) { tight.left } else { flat.left };
    let right = if left_out(1) { tight.right } else { flat.right };
    if (left, right) == (flat.left, flat.right) {
        return Ok(found);
    }
    // Found again, the lanes are found without the noisy margins above and below as well: a
    // surround's rows would give the box's own background a step at the blot's edges.
    let without_wide_margins = within(left, right);
    if !usable(&without_wide_margins) {
        return Ok(found);
    }
    locate_in_box(
        blot,
        strips,
        corrected,
        request,
        params,
        without_wide_margins,
    )
}

/// A stated count's lanes, `found` across the whole `flat` box. A stated count may hold
/// empty end lanes on the membrane's empty margins, so they stand; but where the blot (its
/// content, noisy margins peeled) reaches more than half a pitch beyond the grid's outer lane
/// edges, the grid has left lanes out to put others on a margin (a noisy surround), and the
/// count is found again on the blot alone.
fn stated_lanes_on_the_blot(
    blot: &Blot,
    strips: &[Membrane],
    corrected: &Array2<f32>,
    request: &lanes::LaneRequest,
    params: &Params,
    flat: io::frame::ContentBox,
    found: lanes::FoundLanes,
) -> lanes::FoundLanes {
    let (Some(tight), Some(first), Some(last)) = (
        blot.content,
        found.grid.lanes.first(),
        found.grid.lanes.last(),
    ) else {
        return found;
    };
    let half_pitch = found.grid.pitch / 2.0;
    let leaves_out = (tight.left as f64) < first.x_center - first.width / 2.0 - half_pitch
        || (tight.right as f64) > last.x_center + last.width / 2.0 + half_pitch;
    let Some(blot_only) = tight.within(&flat).filter(|_| leaves_out) else {
        return found;
    };
    // Found again, the lanes are kept where they hold as many bands: where the blot alone
    // leaves out a faint lane at its edge (a ladder's faint markers on a clean film, taken
    // for an empty margin), the count's lanes move onto empty membrane.
    match locate_in_box(blot, strips, corrected, request, params, blot_only) {
        Ok(again) if lanes::holds_as_many_bands(corrected, &again.grid, &found.grid) => again,
        _ => found,
    }
}

/// The lanes of `blot` found inside `frame` with a background of their own (estimated, as
/// the whole image's is, across the gaps between the `strips`), placed on the whole image.
fn locate_in_box(
    blot: &Blot,
    strips: &[Membrane],
    corrected: &Array2<f32>,
    request: &lanes::LaneRequest,
    params: &Params,
    frame: io::frame::ContentBox,
) -> std::result::Result<lanes::FoundLanes, lanes::LaneError> {
    if frame.is_whole(blot.height(), blot.width()) {
        return lanes::locate(&blot.signal, corrected, request);
    }
    let inside = blot
        .signal
        .slice(ndarray::s![
            frame.top..frame.bottom,
            frame.left..frame.right
        ])
        .to_owned();
    let strips_inside: Vec<Membrane> = strips
        .iter()
        .filter(|s| s.rows.0 < frame.bottom && s.rows.1 >= frame.top)
        .map(|s| Membrane {
            rows: (
                s.rows.0.saturating_sub(frame.top),
                s.rows.1.min(frame.bottom - 1) - frame.top,
            ),
            ..*s
        })
        .collect();
    let inside_corrected = &inside - &surface_under(&inside, &strips_inside, params);
    let mut found = lanes::locate(&inside, &inside_corrected, request)?;
    found.grid = found.grid.placed_in(frame.left, frame.top, blot.width());
    Ok(found)
}

/// Stated lanes must lie in the image: every centre inside its columns.
fn check_stated_lanes(
    plan: &Plan,
    image: &ImagePlan,
    stated: &lanes::StatedLanes,
    width: usize,
) -> Result<()> {
    if let Some(x) = stated.x.iter().find(|&&x| x < 0.0 || x >= width as f64) {
        return Err(Error::manifest(
            plan.manifest.clone().unwrap_or_default(),
            format!(
                "images[{}].lanes_px.x",
                plan.images.iter().position(|i| i == image).unwrap_or(0)
            ),
            format!(
                "a lane centre at x = {x} lies outside the {width} columns of {}",
                image.file
            ),
            "give the centres in the image's own pixels (0 at its left edge)",
        ));
    }
    Ok(())
}

/// Turns a blot whose lanes run across it 90° clockwise, with a warning saying so.
fn turn(blot: &mut Blot) {
    blot.signal = lanes::orientation::turned_clockwise(&blot.signal);
    // The box inside the frame, found again on the turned image.
    blot.content = io::frame::content_box(&blot.signal.view(), code_step(blot), EmptyMargins::Peel);
    blot.warnings.push(format!(
        "its lanes run across the image (band edges change it over {}× more from column to column than from row to row): it is analyzed turned 90° clockwise, its left edge on top; lane and band positions and the overlay refer to the turned image",
        lanes::orientation::SIDEWAYS_RATIO
    ));
}

/// The error for an image whose lanes could not be placed, naming the image (no lanes) or the
/// manifest's `lanes` (a count that does not fit).
fn lane_error(plan: &Plan, image: &ImagePlan, error: lanes::LaneError) -> Error {
    match error {
        lanes::LaneError::NoLanes => Error::analysis(
            &image.path,
            "no lanes stand out of the background",
            "check that the image shows a blot; give the lane count with a manifest",
        ),
        lanes::LaneError::DoNotFit {
            count,
            width_px,
            min_pitch_px,
        } => Error::manifest(
            plan.manifest.clone().unwrap_or_else(|| image.path.clone()),
            "lanes",
            format!(
                "{count} lanes cannot fit in {} ({width_px} px wide, lanes need at least {min_pitch_px} px each)",
                image.file
            ),
            "check the number of entries in `lanes` against the image",
        ),
    }
}

/// The manifest's lane count checked against the images' lanes: a warning where the images
/// leave it in doubt, an error where they contradict it.
fn check_lane_count(plan: &Plan, images: &[ImageAnalysis]) -> Result<Option<String>> {
    if plan.manifest.is_none() || plan.lanes.is_empty() {
        return Ok(None);
    }
    // Lanes a person stated are not checked against what the image shows.
    let grids: Vec<(&str, &LaneGrid)> = images
        .iter()
        .filter(|i| !i.grid.stated)
        .map(|i| (i.file.as_str(), &i.grid))
        .collect();
    if grids.is_empty() {
        return Ok(None);
    }
    lanes::check_count(plan.lanes.len(), &grids, &plan.params.lanes).map_err(|reason| {
        Error::manifest(
            plan.manifest.clone().unwrap_or_default(),
            "lanes",
            reason,
            "list one `lanes` entry per lane shown in the images, ladder lanes included; where the count is right but the lanes are unevenly spaced, give their centres in `images[].lanes_px`",
        )
    })
}

/// Analyzes one image of a plan on its own: background, lanes, bands, calibration,
/// assignment, volumes.
pub fn analyze_image(plan: &Plan, image: &ImagePlan, draw: &DrawOverlay) -> Result<ImageAnalysis> {
    analyze_located(plan, image, locate(plan, image)?, None, draw)
}

/// The second stage for one image: bands, calibration, assignment, volumes, overlay.
/// `marker` is the MW calibration of a marker image captured in this image's frame; without
/// one, the image's own ladder lane calibrates it.
pub fn analyze_located(
    plan: &Plan,
    image: &ImagePlan,
    located: Located,
    marker: Option<&Calibration>,
    draw: &DrawOverlay,
) -> Result<ImageAnalysis> {
    let params = &plan.params;
    let Located {
        mut blot,
        background,
        grid,
        specks,
        strips,
        sheared,
        ..
    } = located;
    // Computed again rather than kept from the first stage: a batch holds every image of an
    // experiment between the stages.
    let raw_profiles = |corrected: &Array2<f32>| -> Vec<Vec<f32>> {
        grid.lanes
            .par_iter()
            .map(|lane| bands::raw_lane_profile(corrected, lane, &params.bands))
            .collect()
    };
    let corrected = &blot.signal - &background;
    let raws = raw_profiles(&corrected);
    // Pixel sizes fitted to the image's bands: where the ball shrinks, the background is
    // estimated again with it (the lanes stay where they were found).
    let band_height = bands::band_height(&raws, &params.bands);
    let params = &params.fitted_to_band_height(band_height);
    let mut warnings = blot.warnings.clone();
    let (from, to) = (
        plan.params.background.radius_px,
        params.background.radius_px,
    );
    let (background, corrected, raws) = if to < from {
        warnings.push(ball_shrunk_note(band_height.unwrap_or_default(), from, to));
        let background = surface_under(&blot.signal, &strips, params);
        let corrected = &blot.signal - &background;
        let raws = raw_profiles(&corrected);
        (background, corrected, raws)
    } else {
        (background, corrected, raws)
    };
    let sigma = params.bands.smoothing_sigma_px;
    let profiles: Vec<_> = grid
        .lanes
        .par_iter()
        .zip(&raws)
        .map(|(lane, raw)| bands::lane_profile(lane.index, raw, sigma, &params.bands))
        .collect();
    let lane_sums = lane_sums(&blot, &grid);
    // Bands anywhere must stand `min_prominence_sigma` out of the noise; where a target's band
    // is expected, down to `targeted_prominence_sigma` (the limit of detection).
    let find = |sigmas| bands::find_bands(&corrected, &grid, &profiles, &params.bands, sigmas);
    let peaks = find(params.bands.min_prominence_sigma);
    let faint = find(params.bands.targeted_prominence_sigma);
    let ladder_lanes: Vec<bool> = plan.lanes.iter().map(LaneSpec::is_ladder).collect();
    let targets = bands::assign::Targets {
        ladder_lanes: &ladder_lanes,
        ladder_kda: plan.ladder.as_deref(),
        targets: &image.targets,
        mw_tolerance: params.quant.mw_tolerance,
    };
    let calibration = match marker {
        Some(marker) => {
            let rows =
                bands::assign::row_shift_against(&targets, &peaks, marker, &grid, blot.height());
            if rows != 0.0 {
                warnings.push(format!(
                    "its bands lie {rows:+.0} rows from where the marker image's MW scale puts its targets (the captures moved between them, or the marker's ladder was matched wrong), so they are read on that scale moved {rows:+.0} rows; check the apparent MW and the marker's ladder on the overlays"
                ));
            }
            Some(marker.moved_down(rows))
        }
        None => bands::assign::calibrate(&targets, &peaks)
            .map_err(|warning| warnings.extend(warning))
            .ok(),
    };
    let assignment = bands::assign::assign_targets(
        &targets,
        &peaks,
        &faint,
        calibration.as_ref(),
        &grid,
        blot.height(),
    );
    // Lines running down the image (lane edges, strips' edges) are background in a band's box.
    let lines = lanes::background_lines(&corrected, &grid);
    let line_excess = background::profile::line_excess(&blot.signal, &lines);
    let layers = bands::measure::ImageLayers {
        blot: &blot,
        surface: &background,
        grid: &grid,
        profiles: &profiles,
        specks: &specks,
    };
    let mut bands = bands::measure::measure_bands(
        params,
        &targets,
        &layers,
        &lane_sums,
        &line_excess,
        assignment,
        calibration.as_ref(),
    );
    bands.extend(bands::measure::measure_whole_lanes(&targets, &layers));
    if let Some(strip) = bands::measure::measure_strip(&targets, &layers, &bands) {
        warnings.push(format!(
            "no band row: the image is a strip as tall as its {} band, so each lane is measured over the whole strip, with the background from the gaps between lanes",
            image.targets[0].target.name
        ));
        bands.extend(strip);
    }
    // The overlay shows the image as the file holds it, specks and all.
    specks.restore(&mut blot.signal);
    let (overlay, traces) = rayon::join(
        || draw(&blot, &grid, &bands),
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
        size: (blot.width(), blot.height()),
        acquisition: blot.acquisition.clone(),
        polarity: (blot.polarity, blot.polarity_source),
        storage: blot.storage,
        sheared,
    })
}

/// Each lane's signal summed across its columns, per row (band volumes and the report's
/// profiles both read it).
fn lane_sums(blot: &Blot, grid: &LaneGrid) -> Vec<Vec<f64>> {
    grid.lanes
        .par_iter()
        .map(|lane| {
            background::profile::lane_profile_sums(&blot.signal, |y| {
                lane.columns_at(y as f64, blot.width())
            })
        })
        .collect()
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

/// Analyzes every image of a plan (in parallel), then derives the experiment's tables.
pub fn analyze_experiment(plan: &Plan, draw: &DrawOverlay) -> Result<ExperimentResult> {
    let quantified: Vec<&ImagePlan> = plan.images.iter().filter(|i| !i.is_marker).collect();
    let mut located: Vec<Located> = quantified
        .par_iter()
        .map(|image| locate(plan, image))
        .collect::<Result<_>>()?;
    let mut warnings = plan.warnings.clone();
    let widths: Vec<usize> = located.iter().map(|l| l.blot.width()).collect();
    let found_pitch: Vec<f64> = located.iter().map(|l| l.grid.pitch).collect();
    let adopted = lanes::adopt_peer_layout(
        &mut located.iter_mut().map(|l| &mut l.grid).collect::<Vec<_>>(),
        &widths,
    );
    for i in adopted {
        located[i].centre_moved_lanes();
        warnings.push(format!(
            "{}: its lanes were found {:.0} px apart where the other images of its size have them {:.0} px apart, so it takes their lanes, moved by the shift between the captures; check them on the overlay",
            quantified[i].file, found_pitch[i], located[i].grid.pitch
        ));
    }
    let sizes: Vec<(usize, usize)> = located
        .iter()
        .map(|l| (l.blot.width(), l.blot.height()))
        .collect();
    let moved = lanes::lanes_a_pitch_off(
        &mut located.iter_mut().map(|l| &mut l.grid).collect::<Vec<_>>(),
        &sizes,
    );
    for (i, by) in moved {
        located[i].centre_moved_lanes();
        let lanes = if by.abs() == 1 { "lane" } else { "lanes" };
        let side = if by < 0 { "left" } else { "right" };
        warnings.push(format!(
            "{}: its lanes sat {} {lanes} {} of those of the other images of its size, so they are moved {} {lanes} {side} onto theirs (a lane empty at one end lets a grid put its spare lane at either end); check them on the overlay",
            quantified[i].file,
            by.abs(),
            if by < 0 { "right" } else { "left" },
            by.abs()
        ));
    }
    lanes::register(
        &mut located.iter_mut().map(|l| &mut l.grid).collect::<Vec<_>>(),
        &widths,
    );
    let marker_images = marker::analyze_markers(plan, &mut located, draw, &mut warnings)?;
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
            analyze_located(plan, image, located, marker, draw)
        })
        .collect::<Result<_>>()?;
    warnings.extend(check_lane_count(plan, &images)?);
    images.extend(marker_images.into_iter().map(|(_, m)| m));
    Ok(tables::experiment_result(plan, &images, warnings))
}
