//! The lanes of one image, from one entry point ([`locate`]): the grid the column profile
//! suggests, checked against the bands and frame lines the image shows and the stated count,
//! then leaned and centred on the lanes' own signal; and the stated count checked against all
//! the images of an experiment ([`check_count`]).

use ndarray::Array2;

use super::band_rows::{Bands, RowOfBands};
use super::membranes;
use crate::lanes::{self, LaneCount, LaneGrid};
use crate::params::LaneParams;
use crate::stats;

/// What is known of an image's lanes before they are found.
#[derive(Debug, Clone, Copy)]
pub struct LaneRequest<'a> {
    /// The stated lane count (the manifest's `lanes`); `None` to estimate it from the image.
    pub count: Option<usize>,
    /// Lane-finding parameters.
    pub params: &'a LaneParams,
    /// The smallest step between two values the image's file can hold (0: floating point).
    pub code_step: f32,
}

/// An image's lanes and the notes that say how they were placed (for the user to check on the
/// overlay).
#[derive(Debug, Clone)]
pub struct FoundLanes {
    /// The lanes, left to right.
    pub grid: LaneGrid,
    /// How the lanes were placed where the column profile alone did not place them.
    pub notes: Vec<String>,
    /// Where the count was estimated and the profile reads it two ways, or it is one lane
    /// (the grid is marked `count_ambiguous`), the note that says so. Kept apart from
    /// `notes`: a stated count's check against the lanes the image shows counts them without
    /// the count, and passes on its notes but not this one.
    pub count_note: Option<String>,
}

/// Why an image's lanes could not be placed.
#[derive(Debug, Clone, PartialEq)]
pub enum LaneError {
    /// No lane stands out of the background (and no count was stated).
    NoLanes,
    /// The stated (or estimated) count of lanes does not fit across the image.
    DoNotFit {
        /// Lanes asked for.
        count: usize,
        /// Width of the image.
        width_px: usize,
        /// Narrowest lane pitch allowed.
        min_pitch_px: f64,
    },
}

/// The lanes of one image: `signal` as loaded (bands bright; its membranes already lined up),
/// `corrected` the same minus its background.
pub fn locate(
    signal: &Array2<f32>,
    corrected: &Array2<f32>,
    request: &LaneRequest,
) -> Result<FoundLanes, LaneError> {
    // Levels tell membrane from empty frame and paper once uneven light is taken off the paper.
    let unshaded = membranes::without_paper_shading(signal, request.code_step);
    let levels = unshaded.as_ref().unwrap_or(signal);
    let membrane = membranes::membrane_columns(levels);
    // A figure panel's membranes stand on its paper: its labels and drawn lines are no bands.
    let paper = membranes::on_paper(levels, request.code_step);
    let count_is_estimated = request.count.is_none();
    let mut notes = Vec::new();
    // The image's bands (for rows of bands) need only the corrected image: they are searched
    // while the lanes are counted.
    let (grid, bands) = rayon::join(
        || find_lanes(corrected, &membrane, request),
        || {
            Bands::search(corrected).map(|bands| match &paper {
                Some(paper) => bands
                    .within(|x, y| paper.holds(x, y))
                    .narrower_than(paper.columns),
                None => bands,
            })
        },
    );
    let (mut grid, estimate) = grid?;
    // Where the profile reads the count two ways, the reading placed (the bands may choose the
    // other), judged once the grid is final.
    let mut readings = estimate.and_then(TwoReadings::of);
    if let Some(two) = readings.as_mut() {
        if let Some(placed) = bands
            .as_ref()
            .and_then(|bands| two.bands_choose_the_other(&grid, bands, request.params.min_pitch_px))
        {
            grid = placed;
        }
    }
    let row_of_bands = bands.as_ref().and_then(Bands::evenly_spaced_row);
    if let Some((placed, note)) = row_of_bands
        .as_ref()
        .filter(|row| {
            !bands
                .as_ref()
                .is_some_and(|bands| runs_lanes_together(bands, row, grid.pitch))
        })
        .and_then(|row| lanes_on_band_row(corrected, &grid, row, count_is_estimated))
        .or_else(|| lanes_between_edge_lines(corrected, &grid, count_is_estimated))
    {
        grid = placed;
        notes.push(note);
    }
    grid = lanes_as_the_image_shows(
        request,
        (signal, corrected),
        grid,
        (bands.as_ref(), row_of_bands.as_ref()),
        &membrane,
        &mut notes,
    );
    // What the image shows at a counted grid's ends (a stated grid's ends are the manifest's).
    let ends = bands
        .as_ref()
        .filter(|_| count_is_estimated)
        .map(|bands| EndEvidence {
            corrected,
            bands,
            membrane: &membrane,
            paper: paper.as_ref(),
        });
    if let Some(ends) = &ends {
        grid = with_full_strips_beyond(grid, ends, request.params.max_lanes, &mut notes);
    }
    grid = lanes::lean(corrected, grid);
    grid = lanes::centre_on_signal(corrected, grid);
    if let Some(note) = lean_note(&grid, corrected.nrows()) {
        notes.push(note);
    }
    if count_is_estimated {
        grid = on_membrane(grid, &membrane, &mut notes);
        if let Some(ends) = &ends {
            grid = without_empty_ends(grid, ends, &mut notes);
        }
    }
    // A counted grid is checked as a stated one is: the bands it leaves out are lanes it
    // did not count.
    if let Some(note) = row_of_bands
        .as_ref()
        .and_then(|row| bands_left_out(&mut grid, row, corrected, &membrane, count_is_estimated))
    {
        notes.push(note);
    }
    if let Some(note) = bands
        .as_ref()
        .and_then(|bands| lanes_of_bands_left_out(&mut grid, bands, &membrane))
    {
        notes.push(note);
    }
    let count_note = readings
        .and_then(|two| two.mark(&mut grid))
        .or_else(|| one_lane_counted(&mut grid, count_is_estimated));
    grid.shown_by_bands = bands.as_ref().is_some_and(|b| b.show_lanes_of(&grid));
    Ok(FoundLanes {
        grid,
        notes,
        count_note,
    })
}

/// Where a grid's lanes leave bands of the image's evenly spaced `row` on the `membrane`
/// outside every lane (a band lies in one lane; a figure's label beside the membrane is no
/// band), the grid is marked and a note names the bands. A stated count and the image then
/// disagree (one lane too many splits the row's bands, one too few leaves an end band out),
/// and no grid of that count covers what the image shows; a counted grid (`count_estimated`)
/// has left out lanes the image shows.
fn bands_left_out(
    grid: &mut LaneGrid,
    row: &RowOfBands,
    corrected: &Array2<f32>,
    membrane: &[(usize, usize)],
    count_estimated: bool,
) -> Option<String> {
    let outside = bands_outside_every_lane(grid, row, corrected, membrane);
    if outside.is_empty() {
        return None;
    }
    let at: Vec<String> = outside.iter().map(|c| format!("{c:.0}")).collect();
    let (whose, what_to_do) = if count_estimated {
        (
            "the",
            "the image holds lanes the count left out; check the lanes on the overlay, or state `lanes` in a manifest",
        )
    } else {
        (
            "the manifest's",
            "the image shows lanes its count does not place; check `lanes` in the manifest against the overlay",
        )
    };
    let note = Some(format!(
        "{whose} {} lanes leave {} of the {} bands of an evenly spaced row (x {} px) outside every lane: {what_to_do}",
        grid.lanes.len(),
        outside.len(),
        row.centres.len(),
        at.join(", ")
    ));
    grid.bands_left_out = outside;
    note
}

/// The bands of an evenly spaced `row` on the `membrane` that lie outside every lane of
/// `grid` (a band lies in one lane; a figure's label beside the membrane is no band; a row of
/// drawn lines holds none).
fn bands_outside_every_lane(
    grid: &LaneGrid,
    row: &RowOfBands,
    corrected: &Array2<f32>,
    membrane: &[(usize, usize)],
) -> Vec<f64> {
    if row.is_drawn_lines(corrected) {
        return Vec::new();
    }
    row.centres
        .iter()
        .copied()
        .filter(|&c| {
            lanes::on_membrane_at(membrane, grid.pitch, c)
                && grid
                    .lanes
                    .iter()
                    .all(|lane| (lane.x_center - c).abs() > lane.width / 2.0)
        })
        .collect()
}

/// A lane holds at least this many bands before the grid is said to leave it out: a ladder
/// or a sample lane of a gel holds more, while dust, blotches and a figure's labels beside
/// the lanes make one to three band-shaped blobs in a column (the RhoA blot's blotches, the
/// TrkB panel's gap between its blots, turned, rotated or shaded, made three).
const MIN_BANDS_OF_A_LANE_LEFT_OUT: usize = 4;

/// Where the `bands` of the image form a lane on the `membrane` that lies outside the grid
/// (its bands centred more than half a pitch from every lane), the grid is marked and a note
/// names it: a grid that leaves out a ladder or a lane of bands is not the image's layout,
/// whether counted (a grid over part of the blot) or stated (a count one short).
fn lanes_of_bands_left_out(
    grid: &mut LaneGrid,
    bands: &Bands,
    membrane: &[(usize, usize)],
) -> Option<String> {
    let pitch = grid.pitch;
    let outside = |x: f64| {
        lanes::on_membrane_at(membrane, pitch, x)
            && grid
                .lanes
                .iter()
                .all(|lane| (lane.x_center - x).abs() > pitch / 2.0)
    };
    let left_out = bands.lanes_of_bands_where(outside, pitch, MIN_BANDS_OF_A_LANE_LEFT_OUT);
    if left_out.is_empty() {
        return None;
    }
    let at: Vec<String> = left_out.iter().map(|x| format!("{x:.0}")).collect();
    grid.bands_left_out.extend(&left_out);
    Some(format!(
        "{} of {MIN_BANDS_OF_A_LANE_LEFT_OUT} bands or more (x {} px) lie outside the {} lanes: the image holds lanes the grid leaves out; check the lanes on the overlay",
        if left_out.len() == 1 { "a lane" } else { "lanes" },
        at.join(", "),
        grid.lanes.len()
    ))
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

/// Lanes checked against a row of evenly spaced bands in the image: where the bands are wider
/// than the grid's pitch, the grid has split lanes that are darker at their edges (crescent
/// bands, edge shadows) into narrower "lanes" (a band lies in one lane). The lanes are then
/// placed on the row, their count with them (a manifest's count only where the row's lanes
/// agree with it), with a note saying so; `None` where the grid stands.
fn lanes_on_band_row(
    corrected: &Array2<f32>,
    grid: &LaneGrid,
    row: &RowOfBands,
    count_is_estimated: bool,
) -> Option<(LaneGrid, String)> {
    // A band lies in one lane: the grid contradicts the row where it splits the row's bands,
    // or, at a stated count, leaves one of them outside every lane (a row's lanes are then
    // used only where they number the count; counted on the image, a row may hold bands of
    // a few lanes only, and the grid's own count is the better guess).
    let splits_bands = row.band_width > BAND_WIDER_THAN_PITCH * grid.pitch;
    let misses_a_band = !count_is_estimated
        && row.centres.iter().any(|&c| {
            grid.lanes
                .iter()
                .all(|lane| (lane.x_center - c).abs() > lane.width / 2.0)
        });
    if !(splits_bands || misses_a_band) || row.is_drawn_lines(corrected) {
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

/// True where two or more of `row`'s bands each lie over [`LANES_IN_ONE_BAND`] or more
/// lanes that other bands show: bands no wider than `pitch` that do not cross the row band's
/// middle row, grouped where they lie within half a pitch of each other
/// ([`Bands::lanes_shown_within`]). Those "bands" are then the bands of neighbouring lanes
/// run together (a gel's overloaded neighbours), not one lane's band, and the row places no
/// lanes. A band lies in one lane, and a band wider than the profile's pitch (edge shadows, a
/// crescent, a doublet's partner) shows as its two dark ends and at times its middle: three
/// such pieces under one band are no proof, the same under a second band are taken as one.
fn runs_lanes_together(bands: &Bands, row: &RowOfBands, pitch: f64) -> bool {
    let spanning = row.centres.iter().zip(&row.rows).filter(|&(&centre, &y)| {
        let (from, to) = (centre - row.band_width / 2.0, centre + row.band_width / 2.0);
        bands.lanes_shown_within(from, to, pitch, y) >= LANES_IN_ONE_BAND
    });
    spanning.count() >= 2
}

/// Bands in this many lanes under one band of a row show that it may span several lanes.
const LANES_IN_ONE_BAND: usize = 3;

/// Lanes checked against dark lines running down the image in pairs, the lanes' edges (strips
/// of membrane side by side, lanes with edge shadows): where the column profile shows only
/// the lines, a grid fitted to it counts them. The lanes between the pairs that hold bands
/// are then used, their count with them (a manifest's count only where they number it),
/// with a note saying so; `None` where the grid stands.
fn lanes_between_edge_lines(
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
/// grid always; for a manifest's grid that may sit a lane off (a faint end lane, a lane-like
/// strip beyond an end, lanes that hardly stand out of the column profile, a band of an
/// evenly spaced row outside every lane), the image's own
/// lanes (what [`locate`] finds without a count) are used where they number the manifest's
/// count. An even grid fitted at a stated count has as many places as the
/// count, and where the image shows one more lane-like strip than the count (an empty lane, a
/// margin at the lanes' level) it may leave either end out: on a gel of 16 lanes beside an
/// empty margin, the image turned or re-encoded put the stated 16 one lane early, on the
/// margin. Lanes the image itself gives at the stated count are the lanes its bands show.
/// Where they number it but for one or two, the stated lanes are placed on them
/// ([`stated_on_own_lanes`]) where that gives at least as many lanes holding a band as the
/// stated grid; failing that, the stated grid may move one lane ([`onto_the_lane_left_out`]).
/// Other grids are not counted again (it costs a count search per image). Lanes placed on a
/// row of bands or between edge lines stand as they are.
fn lanes_as_the_image_shows(
    request: &LaneRequest,
    (signal, corrected): (&Array2<f32>, &Array2<f32>),
    grid: LaneGrid,
    (bands, row_of_bands): (Option<&Bands>, Option<&RowOfBands>),
    membrane: &[(usize, usize)],
    warnings: &mut Vec<String>,
) -> LaneGrid {
    let p = request.params;
    if grid.placed_in_two_dimensions() {
        return grid;
    }
    let Some(stated) = request.count else {
        return lanes_beyond_the_profile((signal, corrected), grid, bands, membrane, p, warnings);
    };
    // A stated grid is in doubt where the column profile does not show its lanes clearly, or
    // it leaves a band of an evenly spaced row outside every lane (side-by-side blocks of a
    // figure's field share the count out by their widths, not by their lanes). Judged on the
    // grid as the profile placed it; the warning for bands left out, after lean and centring.
    // Counting the image again here costs a count search, only for grids in doubt.
    let leaves_a_band_out = row_of_bands
        .is_some_and(|row| !bands_outside_every_lane(&grid, row, corrected, membrane).is_empty());
    if grid.is_clear()
        && !grid.misses_a_lane()
        && !grid.has_a_faint_end_lane()
        && !leaves_a_band_out
    {
        return grid;
    }
    // The image's own lanes: what it shows counted without a manifest.
    let counted = locate(
        signal,
        corrected,
        &LaneRequest {
            count: None,
            ..*request
        },
    )
    .ok();
    let (own, notes) = match counted {
        Some(found) => {
            // The count is the manifest's: whether the image alone reads it two ways is moot.
            let mut own = found.grid;
            own.count_ambiguous = false;
            (Some(own), found.notes)
        }
        None => (None, Vec::new()),
    };
    if let Some(own) = own.as_ref().filter(|g| g.lanes.len() == stated) {
        warnings.extend(notes);
        return own.clone();
    }
    let Some(bands) = bands else {
        return grid;
    };
    if let Some((placed, note)) = own
        .as_ref()
        .and_then(|own| stated_on_own_lanes(own, stated, corrected, bands, membrane))
        .filter(|(placed, _)| {
            lanes_holding_bands(placed, corrected, bands)
                >= lanes_holding_bands(&grid, corrected, bands)
        })
    {
        warnings.extend(notes);
        warnings.push(note);
        return placed;
    }
    match onto_the_lane_left_out(&grid, corrected, bands, membrane) {
        Some((moved, note)) => {
            warnings.push(note);
            moved
        }
        None => grid,
    }
}

/// How many of `grid`'s lanes hold a band of `corrected` (see [`BandEvidence`]).
fn lanes_holding_bands(grid: &LaneGrid, corrected: &Array2<f32>, bands: &Bands) -> usize {
    let evidence = BandEvidence::new(bands, corrected, grid.pitch);
    grid.lanes
        .iter()
        .filter(|lane| evidence.bands_in(lane.x_center, lane.width) > 0)
        .count()
}

/// The most lanes the image's own count may differ from the stated count by for the stated
/// lanes to be placed on the image's own lanes: one or two lanes more (a frame line, an
/// unlisted ladder) or fewer (a faint end lane the count left out).
const MAX_OWN_COUNT_DIFFERENCE: usize = 2;

/// A stated count placed on the image's `own` lanes (found as without a manifest) where their
/// count differs by one or two and they lie on a lattice ([`super::ends::lattice`]): of
/// `own`'s runs of `stated` consecutive lanes, or of `own` extended along its lattice by the
/// missing lanes on either side (inside the image, on the `membrane`), the placement with the
/// most lanes holding a band (see [`BandEvidence`]), then the most bands, where no other has
/// as many. The lanes
/// are then the columns the bands form, at the manifest's count, where an even grid of that
/// count fitted to the column profile alone may run over a figure's frame or margins. With a
/// note; `None` where no placement is clear.
fn stated_on_own_lanes(
    own: &LaneGrid,
    stated: usize,
    corrected: &Array2<f32>,
    bands: &Bands,
    membrane: &[(usize, usize)],
) -> Option<(LaneGrid, String)> {
    let n = own.lanes.len();
    if n < 2 || n == stated || n.abs_diff(stated) > MAX_OWN_COUNT_DIFFERENCE || stated < 2 {
        return None;
    }
    let (pitch, origin) = super::ends::lattice(own)?;
    let evidence = BandEvidence::new(bands, corrected, pitch);
    let width = stats::median(&own.lanes.iter().map(|l| l.width).collect::<Vec<_>>());
    let image_width = corrected.ncols() as f64;
    // A placement: lattice steps, 0 the first of `own`'s lanes.
    let placements: Vec<std::ops::Range<i64>> = if n > stated {
        (0..=n - stated)
            .map(|first| first as i64..(first + stated) as i64)
            .collect()
    } else {
        let missing = (stated - n) as i64;
        (0..=missing)
            .map(|before| -before..n as i64 + missing - before)
            .collect()
    };
    // Own lanes stay where they are; lattice steps beyond them lie on the lattice.
    let at = |step: i64| {
        usize::try_from(step)
            .ok()
            .and_then(|i| own.lanes.get(i))
            .map_or(origin + step as f64 * pitch, |lane| lane.x_center)
    };
    let placeable = |steps: &std::ops::Range<i64>| {
        steps.clone().map(at).all(|x| {
            x - width / 2.0 >= 0.0
                && x + width / 2.0 <= image_width
                && lanes::on_membrane_at(membrane, pitch, x)
        })
    };
    // Lanes holding a band first; of placements tied on those, the one holding more bands (a
    // frame line cut into pieces may hold one blob, a lane of sample several).
    let holding = |steps: &std::ops::Range<i64>| {
        let bands: Vec<usize> = steps
            .clone()
            .map(|step| evidence.bands_in(at(step), width))
            .collect();
        let lanes_holding = bands.iter().filter(|&&b| b > 0).count();
        (lanes_holding, bands.iter().sum::<usize>())
    };
    let placements: Vec<_> = placements.into_iter().filter(|s| placeable(s)).collect();
    let scores: Vec<(usize, usize)> = placements.iter().map(holding).collect();
    let best = *scores.iter().max()?;
    if scores.iter().filter(|&&s| s == best).count() != 1 {
        return None;
    }
    let chosen = placements[scores.iter().position(|&s| s == best)?].clone();
    let named = |steps: Vec<i64>| -> String {
        let at: Vec<String> = steps.into_iter().map(|s| format!("{:.0}", at(s))).collect();
        at.join(" and ")
    };
    let (placed, how) = if n > stated {
        let keep: Vec<bool> = (0..n as i64).map(|i| chosen.contains(&i)).collect();
        let left_out = (0..n as i64).filter(|i| !chosen.contains(i)).collect();
        (
            own.clone().keeping(&keep).0,
            format!(
                "the lane(s) at x {} px, with fewer lanes holding a band (or, tied, fewer bands), are left out",
                named(left_out)
            ),
        )
    } else {
        let centres: Vec<f64> = chosen.clone().map(at).collect();
        let added = chosen.filter(|&s| s < 0 || s >= n as i64).collect();
        (
            super::ends::extended_grid(own, &centres, pitch),
            format!(
                "lane(s) at x {} px are added along them, where the most lanes then hold a band (then the most bands)",
                named(added)
            ),
        )
    };
    Some((
        placed,
        format!(
            "the manifest lists {stated} lanes; the image shows {n} lanes {pitch:.0} px apart, and the stated lanes are placed on them: {how}; check the overlay"
        ),
    ))
}

/// What the image's bands say of lanes `pitch` apart: how many bands a lane holds.
struct BandEvidence<'a> {
    bands: &'a Bands,
    merged: Vec<super::band_rows::MergedRow>,
    pitch: f64,
}

impl<'a> BandEvidence<'a> {
    fn new(bands: &'a Bands, corrected: &Array2<f32>, pitch: f64) -> BandEvidence<'a> {
        BandEvidence {
            bands,
            merged: bands.merged_rows(corrected, pitch),
            pitch,
        }
    }

    /// Bands a lane `width` wide at `x` holds: band-shaped blobs that centre in it, and a
    /// row of bands that touch running across its middle half (a row's blurred end may fall
    /// short of its edge).
    fn bands_in(&self, x: f64, width: f64) -> usize {
        let across = self
            .merged
            .iter()
            .any(|row| row.runs_across_middle(x, width));
        let (from, to) = (x - width / 2.0, x + width / 2.0);
        self.bands.count_within(from, to, self.pitch) + usize::from(across)
    }
}

/// True where `candidate`'s lanes hold as many bands of `corrected` as `current`'s (lanes
/// holding a band, see [`BandEvidence`]): of two grids of one count, the one whose lanes the
/// bands form holds more. The image's bands are searched once for both.
pub fn holds_as_many_bands(
    corrected: &Array2<f32>,
    candidate: &LaneGrid,
    current: &LaneGrid,
) -> bool {
    let Some(bands) = Bands::search(corrected) else {
        return true;
    };
    lanes_holding_bands(candidate, corrected, &bands)
        >= lanes_holding_bands(current, corrected, &bands)
}

/// Every lane's signal ([`lane_signal`]).
fn lane_signals(grid: &LaneGrid, corrected: &Array2<f32>) -> Vec<f64> {
    grid.lanes
        .iter()
        .map(|lane| lane_signal(grid, corrected, lane))
        .collect()
}

/// A lane's signal: the mean of the grid's column profile across the lane's columns (0 for a
/// lane wholly outside the image).
fn lane_signal(grid: &LaneGrid, corrected: &Array2<f32>, lane: &lanes::Lane) -> f64 {
    let (from, to) = lane.columns_at(corrected.nrows() as f64 / 2.0, grid.profile.len());
    let columns = &grid.profile[from..to];
    if columns.is_empty() {
        return 0.0;
    }
    columns.iter().map(|&v| f64::from(v)).sum::<f64>() / columns.len() as f64
}

/// The median of the lanes' signals, where it is above zero: shares of it say nothing
/// otherwise (a grid on the background's level).
fn median_lane_signal(signals: &[f64]) -> Option<f64> {
    let median = stats::median(signals);
    (median > 0.0).then_some(median)
}

/// What the image shows at a counted grid's ends: its corrected image, its bands, its
/// membrane's columns and (on a figure panel) its paper.
#[derive(Clone, Copy)]
struct EndEvidence<'a> {
    corrected: &'a Array2<f32>,
    bands: &'a Bands,
    membrane: &'a [(usize, usize)],
    paper: Option<&'a membranes::OnPaper>,
}

/// An estimated grid with a lane added one pitch beyond either end where a lane-wide strip
/// there lies in the image (and on a figure's membrane, the whole strip), holds a band (a blob centred in it,
/// up to [`BAND_WIDER_THAN_PITCH`] pitches wide: an overloaded band spreads over the gaps
/// beside it) and at least the median lane's signal, or where a row of touching bands that
/// runs across every lane of the grid runs on across the strip's middle. The column
/// profile's total contrast misses such a lane where its band spreads over both gaps beside
/// it (the 12-lane strip's first band, shaded), or where its only strong band is one of a
/// loading control's touching row (the pSMAD panel cropped to its lanes or turned 2°);
/// nothing else would leave a lane's worth of band out of every lane.
/// A strip that is a line running down the image (a gel's edge, left out of the grid as one)
/// is no lane. Only where the column profile placed the grid; with a note.
fn with_full_strips_beyond(
    grid: LaneGrid,
    evidence: &EndEvidence,
    max_lanes: usize,
    notes: &mut Vec<String>,
) -> LaneGrid {
    let n = grid.lanes.len();
    if grid.placed_in_two_dimensions() || n < 2 {
        return grid;
    }
    let EndEvidence {
        corrected,
        bands,
        membrane,
        paper,
    } = *evidence;
    let Some(median) = median_lane_signal(&lane_signals(&grid, corrected)) else {
        return grid;
    };
    let image_width = corrected.ncols() as f64;
    // A row of touching bands that runs across the middle of every lane of the grid and on
    // across a strip beyond: the strip's band touches the end lane's (an overloaded loading
    // control), where no band-shaped blob of its own is centred in it.
    // Searched only where a strip beyond holds no full band of its own.
    let merged = std::cell::OnceCell::new();
    let row_across = |x: f64, width: f64| {
        let merged = merged.get_or_init(|| bands.merged_rows(corrected, grid.pitch));
        merged.iter().any(|row| {
            row.runs_across_middle(x, width)
                && grid
                    .lanes
                    .iter()
                    .all(|lane| row.runs_across_middle(lane.x_center, lane.width))
        })
    };
    let full = |end: &lanes::Lane, step: f64| -> Option<f64> {
        let x = end.x_center + step;
        let (from, to) = (x - end.width / 2.0, x + end.width / 2.0);
        let inside = from >= 0.0 && to <= image_width;
        let on_membrane = lanes::on_membrane_at(membrane, grid.pitch, x)
            && paper.is_none_or(|p| p.spans_lane(x, end.width));
        let strip = end.moved(step);
        let full_with_a_band = || {
            lane_signal(&grid, corrected, &strip) >= median
                && bands.count_within(from, to, BAND_WIDER_THAN_PITCH * grid.pitch) > 0
        };
        (inside
            && on_membrane
            && (full_with_a_band() || row_across(x, end.width))
            && !super::ends::is_frame_line(corrected, &grid, &strip))
        .then_some(x)
    };
    let before = full(&grid.lanes[0], -grid.pitch);
    let after = full(&grid.lanes[n - 1], grid.pitch);
    let adding = usize::from(before.is_some()) + usize::from(after.is_some());
    if adding == 0 || n + adding > max_lanes {
        return grid;
    }
    let centres: Vec<f64> = before
        .into_iter()
        .chain(grid.lanes.iter().map(|l| l.x_center))
        .chain(after)
        .collect();
    let added: Vec<String> = before
        .into_iter()
        .chain(after)
        .map(|x| format!("{x:.0}"))
        .collect();
    notes.push(format!(
        "a strip one lane beyond the grid's end (x {} px) holds a band and as much signal as the lanes, or a row of touching bands across every lane runs on across it: a lane the column profile left out is added; check it on the overlay",
        added.join(" and ")
    ));
    super::ends::extended_grid(&grid, &centres, grid.pitch)
}

/// An estimated grid without its empty end lanes: from either end, lanes that hold no band
/// and either hold under [`lanes::FAINT_LANE_SHARE`] of the median lane's signal (the column
/// profile of the corrected image across the lane), reach off a figure's membrane columns,
/// on its `paper` (a label, the line framing the strips), or reach off the image (a crop's
/// edge through a gel's edge lines: the lane's width is not even in the image). Only where the column profile placed the grid
/// (lanes added beyond it where bands show them hold those bands). Nothing in the image says
/// such a lane is there (an empty margin beyond the last lane looks as much like a lane as
/// the grid's pitch makes it) and no manifest asks for it; an empty lane between two lanes
/// stays, as the grid's spacing places it. With a note naming them.
fn without_empty_ends(grid: LaneGrid, evidence: &EndEvidence, notes: &mut Vec<String>) -> LaneGrid {
    let n = grid.lanes.len();
    // Lanes placed on a row of bands (a faint end lane only where it holds a band of its own)
    // or between edge lines were each placed by what the image shows there.
    if grid.placed_in_two_dimensions() || n < 3 {
        return grid;
    }
    let EndEvidence {
        corrected,
        bands,
        paper,
        ..
    } = *evidence;
    let signals = lane_signals(&grid, corrected);
    let Some(median) = median_lane_signal(&signals) else {
        return grid;
    };
    let evidence = BandEvidence::new(bands, corrected, grid.pitch);
    let off_the_membrane =
        |lane: &lanes::Lane| paper.is_some_and(|p| !p.spans_lane(lane.x_center, lane.width));
    // A lane box the image's edge cuts: not even the lane's width lies in the image.
    let image_width = corrected.ncols() as f64;
    let cut_by_the_edge = |lane: &lanes::Lane| {
        let beyond =
            (lane.width / 2.0 - lane.x_center).max(lane.x_center + lane.width / 2.0 - image_width);
        beyond > MAX_LANE_OVERHANG_SHARE * lane.width
    };
    let empty = |i: usize| {
        let lane = &grid.lanes[i];
        (signals[i] < lanes::FAINT_LANE_SHARE * median
            || off_the_membrane(lane)
            || cut_by_the_edge(lane))
            && evidence.bands_in(lane.x_center, lane.width) == 0
    };
    let from_left = (0..n).take_while(|&i| empty(i)).count();
    let from_right = (0..n).rev().take_while(|&i| empty(i)).count();
    if from_left + from_right == 0 || from_left + from_right + 2 > n {
        return grid;
    }
    let keep: Vec<bool> = (0..n)
        .map(|i| i >= from_left && i < n - from_right)
        .collect();
    let at: Vec<String> = grid
        .lanes
        .iter()
        .zip(&keep)
        .filter(|(_, &kept)| !kept)
        .map(|(lane, _)| format!("{:.0}", lane.x_center))
        .collect();
    let (grid, _) = grid.keeping(&keep);
    notes.push(format!(
        "the estimated grid's end lane(s) at x {} px hold no band and hardly any signal, or reach off the figure's membrane or the image, and are left out; state `lanes` in a manifest if they are lanes",
        at.join(" and ")
    ));
    grid
}

/// The share of its width an end lane's box may reach beyond the image's edge and still lie
/// in the image: centring on the signal may move a real lane's box a little past a tight
/// crop's edge.
const MAX_LANE_OVERHANG_SHARE: f64 = 0.1;

/// A stated grid moved one pitch toward a lane it leaves out: where one end lane is faint and
/// holds no band while the place one pitch beyond the other end lies on the `membrane` and
/// holds bands, the grid sits a lane off (an empty strip at one end of the blot looks like a
/// lane in the column profile; the lanes are the columns the bands form). With the note that
/// says so; `None` where no end calls for it.
fn onto_the_lane_left_out(
    grid: &LaneGrid,
    corrected: &Array2<f32>,
    bands: &Bands,
    membrane: &[(usize, usize)],
) -> Option<(LaneGrid, String)> {
    let (first, last) = (grid.lanes.first()?, grid.lanes.last()?);
    let width = grid.profile.len() as f64;
    let median = stats::median(&grid.lane_contrast);
    let evidence = BandEvidence::new(bands, corrected, grid.pitch);
    let holds = |x: f64, lane: &lanes::Lane| evidence.bands_in(x, lane.width);
    let empty_end = |index: usize, lane: &lanes::Lane| {
        let faint = grid
            .lane_contrast
            .get(index)
            .is_some_and(|&c| c < lanes::FAINT_LANE_SHARE * median);
        faint && holds(lane.x_center, lane) == 0
    };
    let shown_beyond = |lane: &lanes::Lane, step: f64| {
        let x = lane.x_center + step;
        x - lane.width / 2.0 >= 0.0
            && x + lane.width / 2.0 <= width
            && lanes::on_membrane_at(membrane, grid.pitch, x)
            && holds(x, lane) > 0
    };
    let step = if empty_end(0, first) && shown_beyond(last, grid.pitch) {
        grid.pitch
    } else if empty_end(grid.lanes.len() - 1, last) && shown_beyond(first, -grid.pitch) {
        -grid.pitch
    } else {
        return None;
    };
    let (dropped, added) = if step > 0.0 {
        (first.x_center, last.x_center + step)
    } else {
        (last.x_center, first.x_center + step)
    };
    let mut moved = grid.clone();
    moved.move_sideways(step);
    Some((
        moved,
        format!(
            "the {} stated lanes were moved one lane {}: the lane at x {dropped:.0} px holds no band and hardly stands out, the strip at x {added:.0} px beyond the other end holds bands; check the overlay",
            grid.lanes.len(),
            if step > 0.0 { "right" } else { "left" }
        ),
    ))
}

/// An estimated grid checked at its ends against the image: extended over a run of bands at
/// its pitch, or a row of bands that touch, that reaches beyond it (lanes the column profile
/// does not show), and without end lanes that are narrow lines running down the image (a
/// gel's edge, a frame), each with a note.
fn lanes_beyond_the_profile(
    (signal, corrected): (&Array2<f32>, &Array2<f32>),
    grid: LaneGrid,
    bands: Option<&Bands>,
    membrane: &[(usize, usize)],
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
            lanes::extend_over_merged_row(
                (signal, corrected),
                &grid,
                &rows,
                membrane,
                p.max_lanes,
                p.min_pitch_px,
            )
            .map(|g| {
                (
                    g,
                    "a row of bands that touch (the dips between them, or its length where they run together) shows".to_string(),
                )
            })
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
/// count (when it gives one). With the grid, the count read off the whole image's column
/// profile where that grid is the one placed (no count stated, and no grid per blot).
fn find_lanes(
    corrected: &Array2<f32>,
    membrane: &[(usize, usize)],
    request: &LaneRequest,
) -> Result<(LaneGrid, Option<LaneCount>), LaneError> {
    let blocks = membrane;
    let p = request.params;
    if blocks.len() >= 2 {
        if let Some(grid) = lanes::fit_blocks(
            corrected,
            blocks,
            request.count,
            p.max_lanes,
            p.min_pitch_px,
        ) {
            return Ok((grid, None));
        }
    }
    let profile = lanes::column_profile(corrected);
    let (count, estimate) = match request.count {
        Some(count) => (count, None),
        None => {
            let estimate = lanes::estimate_lane_count(&profile, p.max_lanes, p.min_pitch_px)
                .ok_or(LaneError::NoLanes)?;
            (estimate.count, Some(estimate))
        }
    };
    let grid = lanes::fit_profile(&profile, count, p.min_pitch_px).ok_or(LaneError::DoNotFit {
        count,
        width_px: corrected.ncols(),
        min_pitch_px: p.min_pitch_px,
    })?;
    Ok((grid, estimate))
}

/// The two readings of an estimated count's column profile ([`LaneCount::rival`]): the count
/// placed and its pitch, the other, and how the bands chose between them where they did.
#[derive(Debug, Clone, Copy)]
struct TwoReadings {
    placed: (usize, f64),
    other: (usize, f64),
    /// The lesser reading's total lane contrast as a share of the greater's.
    share: f64,
    /// Where the bands chose the placed reading: what they showed.
    bands_chose: Option<BandsShowed>,
}

/// What the bands showed of the reading they turned down, at the cut that showed it most.
#[derive(Debug, Clone, Copy)]
enum BandsShowed {
    /// Its lane boundaries ran through this many bands, of this many.
    Split(usize, usize),
    /// Its lanes held this many bands side by side (of this many), each in its own lane of
    /// the reading chosen.
    SideBySide(usize, usize),
}

impl TwoReadings {
    /// The readings of `estimate`; `None` where it has no rival.
    fn of(estimate: LaneCount) -> Option<TwoReadings> {
        let rival = estimate.rival?;
        Some(TwoReadings {
            placed: (estimate.count, estimate.pitch),
            other: (rival.count, rival.pitch),
            share: rival.share,
            bands_chose: None,
        })
    }

    /// The bands decide where they clearly can: a band lies in one lane, and a lane holds
    /// one band per row. A reading has split its lanes (lanes darker at their edges read as
    /// two) where its lane boundaries run through the middle half of most bands at least as
    /// wide as the narrower reading's pitch; it has taken neighbours as one where most bands
    /// no wider than the finer pitch lie side by side in its lanes, each in a lane of its
    /// own in the finer reading. Either way over half of the bands, and at least
    /// [`MIN_SPLIT_BANDS`], at some cut of the band search, and only where the other
    /// reading's boundaries run through no band at any cut. The other reading's grid (fitted
    /// to the column profile `grid` was fitted to) is then returned, to be placed, and the
    /// readings swap; `None` where the bands do not decide.
    fn bands_choose_the_other(
        &mut self,
        grid: &LaneGrid,
        bands: &Bands,
        min_pitch: f64,
    ) -> Option<LaneGrid> {
        let other = lanes::fit_profile(&grid.profile, self.other.0, min_pitch)?;
        let boundaries = |grid: &LaneGrid| -> Vec<f64> {
            grid.lanes
                .windows(2)
                .map(|pair| 0.5 * (pair[0].x_center + pair[1].x_center))
                .collect()
        };
        let min_width = self.placed.1.min(self.other.1);
        let by_other = bands.split_by(&boundaries(&other), min_width);
        if by_other.iter().any(|&(split, _)| split > 0) {
            return None;
        }
        let (placed_edges, other_edges) = (boundaries(grid), boundaries(&other));
        let clear = |&(shown, of): &(usize, usize)| shown >= MIN_SPLIT_BANDS && 2 * shown > of;
        let showed = if other.pitch < grid.pitch {
            bands
                .side_by_side(&placed_edges, &other_edges, other.pitch)
                .into_iter()
                .filter(clear)
                .max()
                .map(|(beside, of)| BandsShowed::SideBySide(beside, of))
        } else {
            bands
                .split_by(&placed_edges, min_width)
                .into_iter()
                .filter(clear)
                .max()
                .map(|(split, of)| BandsShowed::Split(split, of))
        }?;
        *self = TwoReadings {
            placed: (other.lanes.len(), other.pitch),
            other: self.placed,
            share: self.share,
            bands_chose: Some(showed),
        };
        Some(other)
    }

    /// Marks `grid` `count-ambiguous` where it holds the placed reading's count and no row of
    /// bands or pair of edge lines placed it (those show its lanes in two dimensions), with
    /// the note that says so.
    fn mark(self, grid: &mut LaneGrid) -> Option<String> {
        if grid.lanes.len() != self.placed.0 || grid.placed_in_two_dimensions() {
            return None;
        }
        grid.count_ambiguous = true;
        let (count, pitch) = (grid.lanes.len(), grid.pitch);
        let (other, other_pitch) = self.other;
        let how = match self.bands_chose {
            Some(BandsShowed::Split(split, of)) => format!(
                "the column profile reads {other} lanes {other_pitch:.0} px apart about as well as the {count} lanes {pitch:.0} px apart placed; the bands chose these {count}: a band lies in one lane, and the lane boundaries of the {other} run through {split} of {of} bands, those of the {count} through none"
            ),
            Some(BandsShowed::SideBySide(beside, of)) => format!(
                "the column profile reads {other} lanes {other_pitch:.0} px apart about as well as the {count} lanes {pitch:.0} px apart placed; the bands chose these {count}: a lane holds one band per row, and {beside} of {of} bands lie side by side in a lane of the {other}, each in its own lane of the {count}; the lane boundaries of the {count} run through none"
            ),
            None => format!(
                "the column profile reads {other} lanes {other_pitch:.0} px apart almost as well ({:.0} % of the lane contrast) as the {count} lanes {pitch:.0} px apart placed: the count is uncertain (as where lanes darker at their edges read as two, or neighbours as one)",
                100.0 * self.share
            ),
        };
        Some(format!(
            "{how}; check the overlay and state `lanes` in the manifest"
        ))
    }
}

/// Marks `grid` `count-ambiguous` where the count was estimated and it holds one lane, with
/// the note that says so: a blot holds two lanes or more, so the image's lanes were read as
/// one (lanes that run together or are too faint for the column profile, or lanes that run
/// across the image, not down it). A single lane cut out of a blot is stated in a manifest.
fn one_lane_counted(grid: &mut LaneGrid, count_is_estimated: bool) -> Option<String> {
    if !count_is_estimated || grid.lanes.len() != 1 {
        return None;
    }
    grid.count_ambiguous = true;
    Some(
        "one lane found, where a blot holds two or more: its lanes may run together, be too faint to count, or run across the image rather than down it; check the overlay and state `lanes` in the manifest"
            .into(),
    )
}

/// The bands must show a reading's lanes split at least this many times at one cut: a row of
/// bands holds three ([`band_rows`]' rows need as many).
const MIN_SPLIT_BANDS: usize = 3;

/// Two neighbouring lanes closer than this share of the lanes' median spacing hold the same
/// band: the grid was given more lanes than the image has. Hand-loaded lanes vary less (the
/// standards gel's first standard sits 0.83 of the others' spacing from its ladder).
const CROWDED_SPACING: f64 = 2.0 / 3.0;

/// Where two neighbouring lanes of an image's grid crowd each other (see
/// [`CROWDED_SPACING`]), what the image shows.
fn crowded_lanes(file: &str, grid: &LaneGrid) -> Option<String> {
    let spacings: Vec<f64> = grid
        .lanes
        .windows(2)
        .map(|pair| pair[1].x_center - pair[0].x_center)
        .collect();
    let median = stats::median(&spacings);
    let (i, spacing) = spacings
        .iter()
        .enumerate()
        .find(|(_, &s)| s < CROWDED_SPACING * median)?;
    Some(format!(
        "in {file} lanes {} and {} lie {spacing:.0} px apart where the lanes are {median:.0} px apart: the image shows fewer lanes, or lanes loaded unevenly (a gap between some of them) that an evenly spaced grid cannot follow",
        grid.lanes[i].index,
        grid.lanes[i + 1].index
    ))
}

/// A manifest whose lane count the images contradict is an error: the lanes would be
/// misplaced. An image that shows a further lane beyond either end of its grid contradicts
/// it. Otherwise the count is accepted as it stands when some image's grid of that many lanes
/// stands clearly out of the background (faint lanes may sit in it) or some image's automatic
/// count is that count. Failing that, it is refused only where an image clearly shows another
/// count (its own grid at that count has every lane visible and none beyond); where the
/// images are unclear either way (a figure panel, lanes that merge), the stated count is used
/// with a warning, since the person who ran the gel knows how many lanes it has.
pub fn check_count(
    stated: usize,
    images: &[(&str, &LaneGrid)],
    params: &LaneParams,
) -> Result<Option<String>, String> {
    if images.is_empty() {
        return Ok(None);
    }
    if let Some(reason) = images
        .iter()
        .find_map(|(file, grid)| crowded_lanes(file, grid))
    {
        return Err(format!("lists {stated} lanes, but {reason}"));
    }
    let clear_grid = images.iter().any(|(_, grid)| grid.is_clear());
    let missed = images.iter().find(|(_, grid)| grid.misses_a_lane());
    if clear_grid && missed.is_none() {
        return Ok(None);
    }
    let p = params;
    let estimates: Vec<Option<usize>> = images
        .iter()
        .map(|(_, grid)| {
            lanes::estimate_lane_count(&grid.profile, p.max_lanes, p.min_pitch_px)
                .map(|estimate| estimate.count)
        })
        .collect();
    // Faint lanes (a grid not clearly above the noise) are no reason to refuse a count that
    // the automatic count of an image confirms, or what it shows in two dimensions does
    // (lanes placed on a row of bands or between edge lines, or extended over a run of bands).
    let shown_by_the_image = images.iter().any(|(_, grid)| {
        (grid.placed_in_two_dimensions() || grid.beyond_profile) && grid.lanes.len() == stated
    });
    if missed.is_none() && (shown_by_the_image || estimates.contains(&Some(stated))) {
        return Ok(None);
    }
    let described: Vec<String> = images
        .iter()
        .zip(&estimates)
        .map(|((file, _), estimate)| match estimate {
            Some(n) => format!("{file} shows about {n}"),
            None => format!("{file} shows no clear lanes"),
        })
        .collect();
    let reason = match missed {
        Some((file, _)) => {
            format!("lists {stated} lanes, but {file} shows another lane beyond them")
        }
        None => format!("lists {stated} lanes, but no image shows {stated} evenly spaced lanes"),
    };
    let clearly_another_count = images.iter().zip(&estimates).any(|((_, grid), estimate)| {
        estimate.is_some_and(|n| {
            n != stated
                && lanes::fit_profile(&grid.profile, n, p.min_pitch_px)
                    .is_some_and(|grid| grid.every_lane_visible() && !grid.misses_a_lane())
        })
    });
    if missed.is_none() && !clearly_another_count {
        return Ok(Some(format!(
            "`lanes` {reason} (automatic count, itself unclear: {}); the {stated} lanes are placed as an even grid: check them on the overlay",
            described.join(", ")
        )));
    }
    Err(format!(
        "{reason} (automatic count: {})",
        described.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::{band_rows, Lane};

    /// Eight bands 96 px wide, 103 px apart from x 150, in one row of a 300 × 1100 image.
    const BAND_CENTRES: [f64; 8] = [150.0, 253.0, 356.0, 459.0, 562.0, 665.0, 768.0, 871.0];

    fn one_row_of_bands() -> Array2<f32> {
        Array2::from_shape_fn((300, 1100), |(y, x)| {
            let on_band = BAND_CENTRES.iter().any(|&c| (x as f64 - c).abs() < 48.0);
            if (140..160).contains(&y) && on_band {
                100.0
            } else {
                0.0
            }
        })
    }

    /// Eight lanes 72 px wide, 90 px apart from x 40: a grid that leaves the last bands
    /// outside every lane.
    fn grid_beside_the_bands(image: &Array2<f32>) -> LaneGrid {
        let lanes = (0..8)
            .map(|i| Lane::upright(i + 1, 40.0 + 90.0 * i as f64, 72.0, false))
            .collect();
        lanes::grid_of(lanes, 90.0, image)
    }

    /// Three bands 133 px wide in rows 120-129, each over four lanes 36 px apart (first at x
    /// 30): the bands of lanes 1-4, 5-8 and 9-12 run together, or three wide lanes' bands.
    /// Under the first `groups_shown` of them, single bands 23 px wide in rows 40-47 show
    /// each of their four lanes.
    fn wide_bands(groups_shown: usize) -> (Array2<f32>, RowOfBands) {
        let lane = |x: usize| (x as f64 - 30.0) / 36.0;
        let image = Array2::from_shape_fn((200, 480), |(y, x)| {
            let in_lanes = (-0.34..11.34).contains(&lane(x));
            let shown = lane(x).round() >= 0.0 && (lane(x).round() as usize) < 4 * groups_shown;
            let single = (lane(x) - lane(x).round()).abs() * 36.0 < 12.0 && shown;
            let in_group = in_lanes && (lane(x).rem_euclid(4.0) < 3.34 || lane(x) < 0.0);
            match () {
                _ if (40..48).contains(&y) && single && in_lanes => 100.0,
                _ if (120..130).contains(&y) && in_group => 100.0,
                _ => 0.0,
            }
        });
        let row = RowOfBands {
            centres: vec![84.0, 228.0, 372.0],
            rows: vec![124, 124, 124],
            pitch: 144.0,
            band_width: 132.0,
        };
        (image, row)
    }

    /// Three rows of bands 40 px wide across a 300 px wide image, in three lanes 90 px apart
    /// (from x 60); or, `merged`, one band per row 260 px wide.
    fn three_lanes_of_bands(merged: bool) -> Array2<f32> {
        Array2::from_shape_fn((200, 300), |(y, x)| {
            let in_row = [40, 100, 160]
                .iter()
                .any(|&top| (top..top + 8).contains(&y));
            let x = x as f64;
            let on_band = if merged {
                (20.0..280.0).contains(&x)
            } else {
                [60.0, 150.0, 240.0].iter().any(|&c| (x - c).abs() < 20.0)
            };
            if in_row && on_band {
                100.0
            } else {
                0.0
            }
        })
    }

    #[test]
    fn bands_side_by_side_in_one_lane_choose_the_finer_reading() {
        let readings = || TwoReadings {
            placed: (1, 300.0),
            other: (3, 90.0),
            share: 0.95,
            bands_chose: None,
        };
        let one_lane = |image: &Array2<f32>| {
            lanes::grid_of(vec![Lane::upright(1, 150.0, 280.0, false)], 300.0, image)
        };
        let image = three_lanes_of_bands(false);
        let bands = Bands::search(&image).expect("bands");
        let mut two = readings();
        let placed = two
            .bands_choose_the_other(&one_lane(&image), &bands, 8.0)
            .expect("the bands choose three lanes");
        assert_eq!(placed.lanes.len(), 3);
        assert!(matches!(
            two.bands_chose,
            Some(BandsShowed::SideBySide(9, 9))
        ));
        // One band per row across the image lies in one lane: three lanes would split it.
        let merged = three_lanes_of_bands(true);
        let bands = Bands::search(&merged).expect("bands");
        let mut two = readings();
        assert!(two
            .bands_choose_the_other(&one_lane(&merged), &bands, 8.0)
            .is_none());
        assert!(two.bands_chose.is_none());
    }

    #[test]
    fn wide_bands_over_lanes_that_other_bands_show_are_lanes_run_together() {
        let runs_together = |groups_shown| {
            let (image, row) = wide_bands(groups_shown);
            let bands = Bands::search(&image).expect("bands");
            runs_lanes_together(&bands, &row, 36.0)
        };
        assert!(runs_together(3));
        assert!(runs_together(2));
        // Lanes shown under one wide band only are no proof (one band's pieces can show as
        // many); with none shown, each wide band is one lane's band.
        assert!(!runs_together(1));
        assert!(!runs_together(0));
    }

    #[test]
    fn a_stated_count_goes_onto_a_row_of_bands_its_grid_leaves_out() {
        let image = one_row_of_bands();
        let row = band_rows::find(&image).expect("a row of eight bands");
        let grid = grid_beside_the_bands(&image);
        let (placed, _) =
            lanes_on_band_row(&image, &grid, &row, false).expect("lanes placed on the row");
        assert_eq!(placed.lanes.len(), 8);
        for (lane, &band) in placed.lanes.iter().zip(&BAND_CENTRES) {
            assert!((lane.x_center - band).abs() <= 2.0, "{lane:?} for {band}");
        }
        // Counted on the image, a band-narrow row does not overrule the grid (it may hold
        // bands of a few lanes only).
        assert!(lanes_on_band_row(&image, &grid, &row, true).is_none());
    }

    /// Bands 24 px wide and 8 high at `centres`, in two rows, on a 200 × 700 image.
    fn bands_at(centres: &[f64]) -> Array2<f32> {
        Array2::from_shape_fn((200, 700), |(y, x)| {
            let in_row = (50..58).contains(&y) || (130..138).contains(&y);
            let on_band = centres.iter().any(|&c| (x as f64 - c).abs() < 12.0);
            if in_row && on_band {
                100.0
            } else {
                0.0
            }
        })
    }

    /// Sixteen lanes 36 px apart from x `first`, lane 1 faint (it stands out by a fiftieth of
    /// the others): as a stated count fits a gel whose empty strip beside its first lane looks
    /// like a lane.
    fn stated_grid_from(first: f64, image: &Array2<f32>) -> LaneGrid {
        let lanes = (0..16)
            .map(|i| Lane::upright(i + 1, first + 36.0 * i as f64, 30.0, false))
            .collect();
        let mut grid = lanes::grid_of(lanes, 36.0, image);
        grid.lane_contrast[0] = 0.02;
        grid
    }

    /// A stated grid whose first lane is faint and holds no band, while the place one pitch
    /// beyond its last lane holds bands, moves one lane right onto them (the ChemiDoc XRS gel:
    /// every value was read from the neighbouring lane); mirrored, it moves left. Where
    /// nothing lies beyond the last lane, or the faint first lane holds a band, it stays.
    #[test]
    fn a_stated_grid_a_lane_early_moves_onto_the_bands_it_leaves_out() {
        let true_centres: Vec<f64> = (0..16).map(|i| 120.0 + 36.0 * i as f64).collect();
        let membrane = [(0, 699)];
        let image = bands_at(&true_centres);
        let bands = Bands::search(&image).expect("bands");
        let early = stated_grid_from(84.0, &image);
        let (moved, note) =
            onto_the_lane_left_out(&early, &image, &bands, &membrane).expect("moved right");
        for (lane, &x) in moved.lanes.iter().zip(&true_centres) {
            assert!((lane.x_center - x).abs() < 1e-9, "{lane:?} for {x}");
        }
        assert!(note.contains("moved one lane right"), "{note}");

        // Mirrored: the grid one lane late, its last lane faint.
        let mirrored_centres: Vec<f64> = true_centres.iter().map(|x| 699.0 - x).collect();
        let mirrored = bands_at(&mirrored_centres);
        let bands = Bands::search(&mirrored).expect("bands");
        let mut late = stated_grid_from(699.0 - 84.0 - 15.0 * 36.0, &mirrored);
        late.lane_contrast.reverse();
        let (moved, _) =
            onto_the_lane_left_out(&late, &mirrored, &bands, &membrane).expect("moved left");
        let mut expected = mirrored_centres.clone();
        expected.sort_by(f64::total_cmp);
        for (lane, &x) in moved.lanes.iter().zip(&expected) {
            assert!((lane.x_center - x).abs() < 1e-9, "{lane:?} for {x}");
        }

        // Nothing beyond the last lane: the grid stays.
        let fifteen = bands_at(&true_centres[..15]);
        let bands = Bands::search(&fifteen).expect("bands");
        assert!(onto_the_lane_left_out(&early, &fifteen, &bands, &membrane).is_none());
        // The faint first lane holds a band: it is a lane, and the grid stays.
        let mut with_first: Vec<f64> = vec![84.0];
        with_first.extend(&true_centres);
        let image = bands_at(&with_first);
        let bands = Bands::search(&image).expect("bands");
        assert!(onto_the_lane_left_out(&early, &image, &bands, &membrane).is_none());
    }

    /// Bands on a 700-px-wide image that is membrane throughout.
    const WHOLE_WIDTH: [(usize, usize); 1] = [(0, 699)];

    /// What the grid's end checks read of `image`.
    fn ends<'a>(
        image: &'a Array2<f32>,
        bands: &'a Bands,
        paper: Option<&'a membranes::OnPaper>,
    ) -> EndEvidence<'a> {
        EndEvidence {
            corrected: image,
            bands,
            membrane: &WHOLE_WIDTH,
            paper,
        }
    }

    /// Seventeen lanes 36 px apart from x `first`, as the column profile fits a blot whose
    /// empty margin beyond an end lane looks like a lane.
    fn estimated_grid_from(first: f64, image: &Array2<f32>) -> LaneGrid {
        let lanes = (0..17)
            .map(|i| Lane::upright(i + 1, first + 36.0 * i as f64, 30.0, false))
            .collect();
        lanes::grid_of(lanes, 36.0, image)
    }

    /// An estimated grid that puts a lane on the empty margin beyond the blot's first lane
    /// (the ChemiDoc XRS gel mirrored: 18 lanes for 16, one on each margin) loses it; mirrored,
    /// it loses its last lane. An end lane whose band is wider than the pitch (a strong first
    /// band that spreads over the gaps beside it, as on the 12-lane strip) holds signal and
    /// stays, and so does an empty lane between two lanes. An end lane off a figure's membrane
    /// (on its paper), or one the image's edge cuts, that holds no band is no lane, whatever
    /// its signal.
    #[test]
    fn an_estimated_grids_empty_end_lane_is_left_out() {
        let true_centres: Vec<f64> = (0..16).map(|i| 120.0 + 36.0 * i as f64).collect();
        let image = bands_at(&true_centres);
        let bands = Bands::search(&image).expect("bands");
        let mut notes = Vec::new();
        let trimmed = without_empty_ends(
            estimated_grid_from(84.0, &image),
            &ends(&image, &bands, None),
            &mut notes,
        );
        let found: Vec<f64> = trimmed.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found, true_centres);
        assert!(notes[0].contains("x 84 px"), "{notes:?}");

        let mirrored_centres: Vec<f64> = true_centres.iter().rev().map(|x| 699.0 - x).collect();
        let mirrored = bands_at(&mirrored_centres);
        let bands = Bands::search(&mirrored).expect("bands");
        let first = 699.0 - 84.0 - 16.0 * 36.0;
        let trimmed = without_empty_ends(
            estimated_grid_from(first, &mirrored),
            &ends(&mirrored, &bands, None),
            &mut notes,
        );
        let found: Vec<f64> = trimmed.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found, mirrored_centres);

        // The first lane's band is 54 px wide (wider than the pitch, so no band of one lane)
        // and its lane holds signal: it stays. The empty sixth lane, between two lanes, stays.
        let mut centres = true_centres[..8].to_vec();
        centres.remove(4);
        let mut wide_first = bands_at(&centres);
        for y in (50..58).chain(130..138) {
            for x in 50..104 {
                wide_first[[y, x]] = 100.0;
            }
        }
        let bands = Bands::search(&wide_first).expect("bands");
        let mut grid = estimated_grid_from(84.0, &wide_first);
        grid.lanes.truncate(9);
        grid.lane_contrast.truncate(9);
        let kept = without_empty_ends(grid, &ends(&wide_first, &bands, None), &mut notes);
        assert_eq!(kept.lanes.len(), 9);

        // A figure's label or frame line beside the membrane (here a line down the image, no
        // band) holds signal: its lane is no lane where the paper shows it off the membrane.
        let mut labelled = bands_at(&true_centres);
        for y in 0..200 {
            for x in 80..88 {
                labelled[[y, x]] = 100.0;
            }
        }
        let bands = Bands::search(&labelled).expect("bands");
        let grid = || estimated_grid_from(84.0, &labelled);
        let kept = without_empty_ends(grid(), &ends(&labelled, &bands, None), &mut notes);
        assert_eq!(kept.lanes.len(), 17);
        let paper = membranes::OnPaper {
            rows: vec![(0, 199)],
            columns: (100, 699),
        };
        let trimmed =
            without_empty_ends(grid(), &ends(&labelled, &bands, Some(&paper)), &mut notes);
        let found: Vec<f64> = trimmed.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found, true_centres);
        // The line framing the strip is the membrane's edge on the paper: a lane centred on
        // it reaches off the membrane.
        let framed = membranes::OnPaper {
            rows: vec![(0, 199)],
            columns: (80, 699),
        };
        let trimmed =
            without_empty_ends(grid(), &ends(&labelled, &bands, Some(&framed)), &mut notes);
        let found: Vec<f64> = trimmed.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found, true_centres);

        // Cropped so that the image's edge cuts the line's lane (its box from x -5): a lane
        // box the image does not hold, with no band, is no lane, paper or not.
        let cropped = labelled.slice(ndarray::s![.., 74..]).to_owned();
        let bands = Bands::search(&cropped).expect("bands");
        let trimmed = without_empty_ends(
            estimated_grid_from(10.0, &cropped),
            &ends(&cropped, &bands, None),
            &mut notes,
        );
        let found: Vec<f64> = trimmed.lanes.iter().map(|l| l.x_center + 74.0).collect();
        assert_eq!(found, true_centres);
    }

    /// Fifteen lanes 36 px apart from x 156: a grid one lane short of sixteen from x 120.
    fn grid_one_lane_short(image: &Array2<f32>) -> LaneGrid {
        let lanes = (0..15)
            .map(|i| Lane::upright(i + 1, 156.0 + 36.0 * i as f64, 30.0, false))
            .collect();
        lanes::grid_of(lanes, 36.0, image)
    }

    /// A grid the column profile fitted one lane short (fifteen lanes 36 px apart from x 156)
    /// on sixteen bands from x 120, the first 38 px wide (an overloaded band over both gaps
    /// beside it): the strip a pitch before the grid holds a band and the lanes' signal, and
    /// gets its lane. Without that band (a line down the image there holds the signal but no band), or off a
    /// figure's membrane, nothing is added.
    #[test]
    fn a_strip_beyond_the_grid_holding_a_band_and_the_lanes_signal_is_a_lane() {
        let true_centres: Vec<f64> = (0..16).map(|i| 120.0 + 36.0 * i as f64).collect();
        let mut image = bands_at(&true_centres[1..]);
        for y in (50..58).chain(130..138) {
            for x in 101..139 {
                image[[y, x]] = 100.0;
            }
        }
        let bands = Bands::search(&image).expect("bands");
        let mut notes = Vec::new();
        let extended = with_full_strips_beyond(
            grid_one_lane_short(&image),
            &ends(&image, &bands, None),
            40,
            &mut notes,
        );
        let found: Vec<f64> = extended.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 16, "{found:?}");
        assert!((found[0] - 120.0).abs() <= 1.0, "{found:?}");
        assert_eq!(found[1..], true_centres[1..]);
        assert!(notes[0].contains("x 120"), "{notes:?}");

        let paper = membranes::OnPaper {
            rows: vec![(0, 199)],
            columns: (140, 699),
        };
        let kept = with_full_strips_beyond(
            grid_one_lane_short(&image),
            &ends(&image, &bands, Some(&paper)),
            40,
            &mut notes,
        );
        assert_eq!(kept.lanes.len(), 15);

        // A line down the image where the band was: signal, but no band.
        let mut without = bands_at(&true_centres[1..]);
        for y in 0..200 {
            for x in 105..135 {
                without[[y, x]] = 100.0;
            }
        }
        let bands = Bands::search(&without).expect("bands");
        let kept = with_full_strips_beyond(
            grid_one_lane_short(&without),
            &ends(&without, &bands, None),
            40,
            &mut notes,
        );
        assert_eq!(kept.lanes.len(), 15);

        // A narrow line down the image through the strip (a gel's edge), fainter than the band
        // on it: the strip is the line, and the band on a gel's edge no lane of its own.
        let mut edge = image.clone();
        for y in 0..200 {
            for x in 116..124 {
                edge[[y, x]] = edge[[y, x]].max(40.0);
            }
        }
        let bands = Bands::search(&edge).expect("bands");
        let kept = with_full_strips_beyond(
            grid_one_lane_short(&edge),
            &ends(&edge, &bands, None),
            40,
            &mut notes,
        );
        assert_eq!(kept.lanes.len(), 15);
    }

    /// Sixteen lanes 36 px apart from x 120, the grid fitted one short (from x 156): the
    /// first lane holds no band of the target row, but the loading control's bands touch in
    /// a row across every lane, the first included (no band-shaped blob of its own): the row
    /// running on a pitch beyond the grid shows the lane. A row that runs across a few of the
    /// grid's lanes only (a membrane's glow, a ladder's marks) adds none.
    #[test]
    fn a_row_of_touching_bands_across_every_lane_and_beyond_shows_a_lane() {
        let true_centres: Vec<f64> = (0..16).map(|i| 120.0 + 36.0 * i as f64).collect();
        let with_row = |columns: std::ops::Range<usize>| {
            let mut image = bands_at(&true_centres[1..]);
            for y in 130..138 {
                for x in columns.clone() {
                    image[[y, x]] = 100.0;
                }
            }
            image
        };
        let lanes_with = |image: &Array2<f32>| {
            let bands = Bands::search(image).expect("bands");
            let mut notes = Vec::new();
            with_full_strips_beyond(
                grid_one_lane_short(image),
                &ends(image, &bands, None),
                40,
                &mut notes,
            )
            .lanes
            .iter()
            .map(|l| l.x_center)
            .collect::<Vec<f64>>()
        };
        let found = lanes_with(&with_row(106..695));
        assert_eq!(found.len(), 16, "{found:?}");
        assert!((found[0] - 120.0).abs() <= 1.0, "{found:?}");
        assert_eq!(found[1..], true_centres[1..]);

        let found = lanes_with(&with_row(106..300));
        assert_eq!(found.len(), 15, "{found:?}");
    }

    #[test]
    fn a_stated_count_is_placed_on_the_lanes_the_image_shows() {
        // Twelve lanes of bands 36 px apart from x 120; the image's own lanes found as 13 (a
        // frame line one pitch before the first) or 11 (the first lane left out).
        let true_centres: Vec<f64> = (0..12).map(|i| 120.0 + 36.0 * i as f64).collect();
        let mut image = bands_at(&true_centres);
        for y in 0..200 {
            for x in 82..86 {
                image[[y, x]] = 60.0;
            }
        }
        let bands = Bands::search(&image).expect("bands");
        let own = |first: f64, n: usize| {
            let lanes = (0..n)
                .map(|i| Lane::upright(i + 1, first + 36.0 * i as f64, 30.0, false))
                .collect();
            lanes::grid_of(lanes, 36.0, &image)
        };
        let centres = |grid: &LaneGrid| grid.lanes.iter().map(|l| l.x_center).collect::<Vec<_>>();

        let membrane = [(0, 699)];
        let place = |own: &LaneGrid, stated: usize| {
            stated_on_own_lanes(own, stated, &image, &bands, &membrane)
        };

        let (placed, note) = place(&own(84.0, 13), 12).expect("placed");
        assert_eq!(centres(&placed), true_centres);
        assert!(note.contains("x 84"), "{note}");
        // Two too many: an empty strip and the line before the first lane.
        let (placed, note) = place(&own(48.0, 14), 12).expect("placed");
        assert_eq!(centres(&placed), true_centres);
        assert!(note.contains("x 48 and 84"), "{note}");

        let (placed, note) = place(&own(156.0, 11), 12).expect("placed");
        assert_eq!(centres(&placed), true_centres);
        assert!(note.contains("x 120"), "{note}");
        // Where the membrane begins after x 140, no lane is added before the first: the one
        // placement left adds it after the last.
        let (placed, _) = stated_on_own_lanes(&own(156.0, 11), 12, &image, &bands, &[(140, 699)])
            .expect("placed");
        assert_eq!(centres(&placed)[0], 156.0);

        // A speck on the frame line makes it hold a band too: of the placements whose lanes
        // all hold a band, the one holding more bands (two in each lane of sample, one on
        // the line).
        let mut specked = image.clone();
        for y in 90..98 {
            for x in 74..95 {
                specked[[y, x]] = 100.0;
            }
        }
        let specked_bands = Bands::search(&specked).expect("bands");
        let (placed, note) =
            stated_on_own_lanes(&own(84.0, 13), 12, &specked, &specked_bands, &membrane)
                .expect("placed");
        assert_eq!(centres(&placed), true_centres);
        assert!(note.contains("x 84"), "{note}");

        // Lanes the image shows where both ends hold as many bands: no clear placement.
        assert!(place(&own(84.0, 14), 13).is_none());
        // A count three off is no small disagreement.
        assert!(place(&own(120.0, 12), 9).is_none());
        // Lanes not evenly spaced (one left out between them) are no lattice to place on.
        let mut uneven = own(120.0, 11);
        for lane in &mut uneven.lanes[5..] {
            lane.x_center += 36.0;
        }
        assert!(place(&uneven, 12).is_none());
    }
}
