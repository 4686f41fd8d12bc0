//! The grid's ends and what the image shows beyond them: end lanes that are lines running
//! down the image (a gel's edge, a frame), lanes placed on a row of bands, and lanes added
//! where bands (a run of them at the grid's pitch, a row of bands that touch) show more lanes
//! than the column profile.

use ndarray::Array2;

use super::band_rows::{MergedRow, RowOfBands};
use super::{column_profile, fit_profile, grid_at, half_maximum_edges, Lane, LaneGrid, LANE_SDS};
use crate::stats;

/// The grid without an end lane that is a line running down the image (a gel's edge, a
/// figure's frame) rather than a lane; with the centres of the lanes left out. Such a
/// line holds signal in most rows, where bands and the gaps between them alternate down a
/// lane: it holds at least [`LINE_LEVEL`] of its mean signal in three rows of four, and in the
/// image's rows it is under [`LINE_WIDTH_SHARE`] of the lanes' width ([`is_frame_line`]).
pub fn without_frame_lines(corrected: &Array2<f32>, grid: LaneGrid) -> (LaneGrid, Vec<f64>) {
    let n = grid.lanes.len();
    if n < 2 {
        return (grid, Vec::new());
    }
    let keep: Vec<bool> = (0..n)
        .map(|i| !((i == 0 || i == n - 1) && is_frame_line(corrected, &grid, &grid.lanes[i])))
        .collect();
    let lines: Vec<f64> = grid
        .lanes
        .iter()
        .zip(&keep)
        .filter(|(_, &kept)| !kept)
        .map(|(lane, _)| lane.x_center)
        .collect();
    let (grid, _) = grid.keeping(&keep);
    (grid, lines)
}

/// True where `lane` of `grid` is a line running down the image rather than a lane (see
/// [`without_frame_lines`]): a peak in the column profile that holds signal down the image
/// and is narrow in the image's rows. Its width is read on blocks of rows, not on the column
/// profile: two lines a few px apart in different rows (stacked gels, each with its edge)
/// make one wide peak in the profile, each as narrow as a line in its rows.
pub(super) fn is_frame_line(corrected: &Array2<f32>, grid: &LaneGrid, lane: &Lane) -> bool {
    let profile = stats::gaussian_smooth(&grid.profile, 1.0);
    half_maximum_edges(&profile, lane.x_center, grid.pitch, LANE_SDS * grid.noise).is_some_and(
        |span| {
            runs_down_the_image(corrected, span)
                && median_width_in_row_blocks(corrected, grid, lane.x_center)
                    .is_some_and(|width| width < LINE_WIDTH_SHARE * lane.width)
        },
    )
}

/// The median width at half height of the peak at `x` in the column profiles of blocks of
/// half a pitch of rows, over the blocks where it stands out of the block's noise (a band
/// wider than the reach of the search is skipped with them); `None` where it stands out in
/// no block.
fn median_width_in_row_blocks(corrected: &Array2<f32>, grid: &LaneGrid, x: f64) -> Option<f64> {
    let (height, width) = corrected.dim();
    if !(grid.pitch.is_finite() && grid.pitch > 0.0 && x.is_finite()) {
        return None;
    }
    let block = ((grid.pitch / 2.0).round() as usize).clamp(1, height.max(1));
    // Columns up to a pitch either side: the half-height edges are sought within half a pitch.
    let from = (x - grid.pitch).floor().max(0.0) as usize;
    let to = ((x + grid.pitch).ceil().max(0.0) as usize + 1).min(width);
    if to <= from {
        return None;
    }
    let widths: Vec<f64> = corrected
        .axis_chunks_iter(ndarray::Axis(0), block)
        .filter_map(|rows| {
            // A block's profile is the mean of fewer rows than the whole column profile (the
            // last block may be shorter still).
            let noise = grid.noise * (height as f64 / rows.nrows() as f64).sqrt();
            let means: Vec<f32> = (from..to)
                .map(|c| rows.column(c).mean().unwrap_or(0.0))
                .collect();
            let means = stats::gaussian_smooth(&means, 1.0);
            half_maximum_edges(&means, x - from as f64, grid.pitch, LANE_SDS * noise)
                .map(|(left, right)| right - left)
        })
        .collect();
    (!widths.is_empty()).then(|| stats::median(&widths))
}

/// A frame line holds at least this share of its mean signal in three rows of four (a lane
/// holds signal in its band rows only).
const LINE_LEVEL: f32 = 0.4;
/// A line is narrower than this share of the lanes' width (a frame line at the grid's end,
/// in blocks of rows: [`is_frame_line`]) or its peak in the column profile than this share of
/// the space to the next peak (an edge line, [`super::edge_lines`]).
pub(super) const LINE_WIDTH_SHARE: f64 = 0.5;

/// True when the columns `left`–`right` hold [`LINE_LEVEL`] of their mean signal in three
/// rows of four.
pub(super) fn runs_down_the_image(corrected: &Array2<f32>, (left, right): (f64, f64)) -> bool {
    let start = left.round().max(0.0) as usize;
    let end = (right.round().max(0.0) as usize + 1).min(corrected.ncols());
    if end <= start {
        return false;
    }
    let mut rows: Vec<f32> = corrected
        .rows()
        .into_iter()
        .map(|row| row.slice(ndarray::s![start..end]).mean().unwrap_or(0.0))
        .collect();
    if rows.is_empty() {
        return false;
    }
    let mean = rows.iter().map(|v| v.max(0.0)).sum::<f32>() / rows.len() as f32;
    let lowest_quarter = rows.len() / 4;
    let quarter = stats::order_statistics_f32(&mut rows, &[lowest_quarter])[0];
    mean > 0.0 && quarter >= LINE_LEVEL * mean
}

/// Lanes on a row of bands: one lane on each band of the row (an evenly spaced lattice fitted
/// to their centres, so a missing band leaves an empty lane), and further lanes beyond either
/// end wherever the image shows a lane there: a strip as wide as the bands, ¾ to 1¼ pitches
/// from the end lane and clear of its band, that holds a band of its own (a faint end lane
/// need not sit on the lattice, and its band need not lie in the row).
pub fn fit_band_row(corrected: &Array2<f32>, row: &RowOfBands) -> Option<LaneGrid> {
    let (origin, pitch) = row.lattice()?;
    let last_step = ((row.centres[row.centres.len() - 1] - origin) / pitch).round() as usize;
    let mut centres: Vec<f64> = (0..=last_step).map(|k| origin + k as f64 * pitch).collect();
    let strips = StripMeans::new(corrected);
    let width = row.band_width.min(super::MAX_LANE_WIDTH_PITCHES * pitch);
    let row_band = strips.median_band_height(&row.centres, width);
    add_end_lanes(
        corrected,
        &strips,
        &mut centres,
        (pitch, width),
        row_band,
        &[EndSide::any_row(-1.0), EndSide::any_row(1.0)],
    );
    Some(place_on_row(corrected, row, &centres, pitch, width))
}

/// The grid extended over runs of bands at its pitch (`runs`, from
/// [`super::band_rows::Bands::rows_at_pitch`]) that reach beyond its ends: lanes the column
/// profile does not show (a gel's first group of lanes, faint but for their bands). One lane per
/// step of the grid's lattice out to the farthest such band, then further lanes beyond either
/// end wherever a strip holds a band (as at the ends of a row of bands); at an end the runs do
/// not reach (where the profile may have left out a faint end lane too), a band in a row the
/// end lane holds a band in. `None` where no band of a run lies beyond the grid on its
/// lattice.
pub fn extend_over_bands(
    corrected: &Array2<f32>,
    grid: &LaneGrid,
    runs: &[RowOfBands],
) -> Option<LaneGrid> {
    if grid.lanes.len() < 2 {
        return None;
    }
    // Only an evenly spaced grid has a lattice to extend (not one grid per blot side by side).
    let (pitch, origin) = lattice(grid)?;
    let last = (grid.lanes.len() - 1) as f64;
    // Lattice steps of the runs' bands that lie beyond the grid, on its lattice; and the runs
    // they belong to.
    let beyond_steps = |run: &RowOfBands| -> Vec<f64> {
        run.centres
            .iter()
            .map(|&c| (c - origin) / pitch)
            .filter(|&step| (step - step.round()).abs() <= 0.25)
            .map(f64::round)
            .filter(|&step| step < 0.0 || step > last)
            .collect()
    };
    let (reaching, beyond): (Vec<&RowOfBands>, Vec<Vec<f64>>) = runs
        .iter()
        .map(|run| (run, beyond_steps(run)))
        .filter(|(_, steps)| !steps.is_empty())
        .unzip();
    let beyond: Vec<f64> = beyond.concat();
    if beyond.is_empty() {
        return None;
    }
    let from = beyond.iter().copied().fold(0.0, f64::min);
    let to = beyond.iter().copied().fold(last, f64::max);
    // The grid's lanes stay where they are; lattice positions are added beyond them.
    let at = |k: i64| origin + k as f64 * pitch;
    let mut centres: Vec<f64> = (from as i64..0).map(at).collect();
    centres.extend(grid.lanes.iter().map(|l| l.x_center));
    centres.extend((last as i64 + 1..=to as i64).map(at));
    let strips = StripMeans::new(corrected);
    let widths: Vec<f64> = reaching.iter().map(|run| run.band_width).collect();
    let width = stats::median(&widths).min(super::MAX_LANE_WIDTH_PITCHES * pitch);
    let bands: Vec<f64> = reaching
        .iter()
        .flat_map(|run| run.centres.iter().copied())
        .collect();
    let run_band = strips.median_band_height(&bands, width);
    add_end_lanes(
        corrected,
        &strips,
        &mut centres,
        (pitch, width),
        run_band,
        &[
            EndSide {
                side: -1.0,
                on_end_lanes_row: from == 0.0,
            },
            EndSide {
                side: 1.0,
                on_end_lanes_row: to == last,
            },
        ],
    );
    Some(extended_grid(grid, &centres, pitch))
}

/// A grid's lanes lie on its lattice (a straight line through their centres) within this
/// share of the pitch.
const MAX_LATTICE_RESIDUAL: f64 = 0.25;

/// The lattice `grid`'s lanes lie on (pitch, and the first lane's place on it; px), where
/// they are evenly spaced (each within [`MAX_LATTICE_RESIDUAL`] of the pitch of a straight
/// line through their centres, no lane left out between them); `None` otherwise.
pub(super) fn lattice(grid: &LaneGrid) -> Option<(f64, f64)> {
    if grid.lanes.len() < 2 {
        return None;
    }
    let points: Vec<(f64, f64)> = grid
        .lanes
        .iter()
        .enumerate()
        .map(|(i, lane)| (i as f64, lane.x_center))
        .collect();
    let (pitch, origin, worst) = stats::line_fit(&points);
    (pitch.is_finite() && pitch > 0.0 && worst <= MAX_LATTICE_RESIDUAL * pitch)
        .then_some((pitch, origin))
}

/// The grid extended over a row of merged bands (`merged_rows`, from
/// [`super::band_rows::Bands::merged_rows`]): an overloaded loading control whose bands touch
/// shows its lanes only as dips between them, which the whole image's column profile
/// dilutes where a target row holds bands in some lanes only. The row's own column profile
/// is fitted with more lanes than the grid, at about its pitch; where such a fit holds each of
/// the grid's lanes (within a third of a pitch; nearer its lane than the gap beside it) and
/// its outermost lane beyond the grid at each end stands out of its gaps, the fit's lanes
/// are the lanes (the most of them over all rows). Where the bands run together without a
/// dip, the row still shows its lanes by its length: the lanes are then continued about a
/// pitch apart over a row that holds the end lane, out to its end ([`continue_along_rows`]),
/// on the `membrane`'s columns, each where its band touches the last one's in `signal` (the
/// image as loaded: a background surface can turn a membrane's edge into a ridge that looks
/// like a row of bands, in `corrected`). `None` where no row shows more lanes.
pub fn extend_over_merged_row(
    (signal, corrected): (&Array2<f32>, &Array2<f32>),
    grid: &LaneGrid,
    merged_rows: &[MergedRow],
    membrane: &[(usize, usize)],
    max_lanes: usize,
    min_pitch: f64,
) -> Option<LaneGrid> {
    let shown = grid.lanes.len();
    if shown < 2 {
        return None;
    }
    let pitch = grid.pitch;
    let mut best: Option<Vec<f64>> = None;
    for row in merged_rows {
        let (top, bottom) = row.rows;
        let profile = &column_profile(&corrected.slice(ndarray::s![top..bottom, ..]).to_owned());
        // Lanes beyond the grid fit in the room either side of it, a pitch (less the
        // tolerance) apart: no more counts are worth fitting.
        let room =
            grid.lanes[0].x_center + (profile.len() - 1) as f64 - grid.lanes[shown - 1].x_center;
        let most =
            (shown + (room / ((1.0 - MERGED_PITCH_TOLERANCE) * pitch)) as usize).min(max_lanes);
        for count in shown + 1..=most {
            if best.as_ref().is_some_and(|b| b.len() >= count) {
                continue;
            }
            let Some(fit) = fit_profile(profile, count, min_pitch) else {
                continue;
            };
            if (fit.pitch / pitch - 1.0).abs() > MERGED_PITCH_TOLERANCE {
                continue;
            }
            let centres: Vec<f64> = fit.lanes.iter().map(|l| l.x_center).collect();
            // The fit's lane nearest the grid's first, and the grid's lanes on the fit's.
            let first = grid.lanes[0].x_center;
            let offset = (0..count)
                .min_by(|&a, &b| {
                    (centres[a] - first)
                        .abs()
                        .total_cmp(&(centres[b] - first).abs())
                })
                .expect("a fit of more lanes than the grid has lanes");
            let holds_the_grid = offset + shown <= count
                && grid
                    .lanes
                    .iter()
                    .zip(&centres[offset..])
                    .all(|(lane, &c)| (lane.x_center - c).abs() <= fit.pitch / 3.0);
            let stands_out = |i: usize| fit.lane_stands_out(i);
            let left_ok = offset == 0 || stands_out(0);
            let right_ok = offset + shown == count || stands_out(count - 1);
            if holds_the_grid && left_ok && right_ok {
                best = Some(centres);
            }
        }
    }
    let mut centres = best.unwrap_or_else(|| grid.lanes.iter().map(|l| l.x_center).collect());
    let pitch = (centres[centres.len() - 1] - centres[0]) / (centres.len() - 1) as f64;
    // Summed only where a lane is looked for beyond the grid (a pass over the whole image).
    let strips = std::cell::OnceCell::new();
    let width = grid.lanes[0].width;
    // A lane beyond `end` (a pitch on) shows on the row where it holds a band there, and the
    // bands of the two touch: the row stays at half their height or more between them.
    let touching_band = |row: &MergedRow, end: f64, next: f64| {
        let strips = strips.get_or_init(|| StripMeans::new(signal));
        let band = strips.band_within(next, width, row.rows);
        let last = strips.band_within(end, width, row.rows);
        let gap = strips.band_within((end + next) / 2.0, (pitch - width).max(2.0), row.rows);
        super::on_membrane_at(membrane, pitch, next)
            && band.stands_on_the_membrane()
            && last.stands_on_the_membrane()
            && gap.height >= TOUCHING * band.height.min(last.height)
    };
    continue_along_rows(
        &mut centres,
        (pitch, width),
        merged_rows,
        max_lanes,
        touching_band,
    );
    if centres.len() == shown {
        return None;
    }
    // The row adds lanes beyond the grid; the grid's own lanes stay where the whole image's
    // profile put them (one row's dips beside an overloaded band that spreads into its
    // neighbour are no better place for them).
    Some(extended_grid(grid, &centres, pitch))
}

/// The grid at `centres` (the grid's own lanes and lanes added beyond them), lanes added
/// beyond the profile's grid: the lanes added measured on the profile, the grid's own
/// lanes left where the profile's fit put them (the added lanes' spacing refits no lane the
/// grid already holds).
pub(super) fn extended_grid(grid: &LaneGrid, centres: &[f64], pitch: f64) -> LaneGrid {
    let mut extended = grid_at(&grid.profile, centres, pitch);
    for lane in &mut extended.lanes {
        if let Some(own) = grid
            .lanes
            .iter()
            .find(|own| (own.x_center - lane.x_center).abs() <= pitch / 3.0)
        {
            lane.x_center = own.x_center;
            lane.anchored = own.anchored;
        }
    }
    extended.beyond_profile = true;
    extended
}

/// Continues `centres` beyond each end over the longest of `rows` that holds the end lane's
/// centre. The row's end is its outermost band's outer edge: that band's lane is centred half
/// a lane `width` inside it, and the lanes between it and the end lane are evenly spaced, ¾
/// to 1¼ `pitch` apart (lanes loaded by hand are not on one lattice). A lane is added only
/// where it holds a band that touches the last one's (`touching_band(row, last, next)`: a
/// blob's low cut may join separate bands, or a row to a membrane's edge beside it); no more
/// than `max_lanes` in all.
fn continue_along_rows(
    centres: &mut Vec<f64>,
    (pitch, width): (f64, f64),
    rows: &[MergedRow],
    max_lanes: usize,
    touching_band: impl Fn(&MergedRow, f64, f64) -> bool,
) {
    for side in [-1.0, 1.0] {
        let end = if side < 0.0 {
            centres[0]
        } else {
            centres[centres.len() - 1]
        };
        let on = |row: &MergedRow| (row.columns.0 as f64..row.columns.1 as f64).contains(&end);
        let Some(row) = rows
            .iter()
            .filter(|row| on(row))
            .max_by_key(|row| row.columns.1 - row.columns.0)
        else {
            continue;
        };
        let outermost = if side < 0.0 {
            row.columns.0 as f64 + width / 2.0
        } else {
            row.columns.1 as f64 - width / 2.0
        };
        let steps = ((outermost - end) * side / pitch).round();
        let spacing = (outermost - end) / steps;
        if steps < 1.0 || !(0.75 * pitch..=1.25 * pitch).contains(&spacing.abs()) {
            continue;
        }
        let mut last = end;
        for k in 1..=steps as usize {
            let next = end + k as f64 * spacing;
            if centres.len() >= max_lanes || !touching_band(row, last, next) {
                break;
            }
            if side < 0.0 {
                centres.insert(0, next);
            } else {
                centres.push(next);
            }
            last = next;
        }
    }
}

/// Bands touch where the row between them stays at this share of the lower one's height
/// (their half-maximum widths meet).
const TOUCHING: f64 = 0.5;

/// A row of merged bands shows the grid's lanes at a pitch within this share of the grid's.
const MERGED_PITCH_TOLERANCE: f64 = 0.1;

/// An end of a row of lanes to add lanes beyond ([`add_end_lanes`]).
struct EndSide {
    /// −1 the left end, 1 the right.
    side: f64,
    /// A lane is added only where its band lies in a row in which the end lane holds a band
    /// too: it continues a row of bands, not a speck or a mark beside the lanes.
    on_end_lanes_row: bool,
}

impl EndSide {
    fn any_row(side: f64) -> EndSide {
        EndSide {
            side,
            on_end_lanes_row: false,
        }
    }
}

/// Adds lanes beyond the ends of `centres` (`sides`) wherever the image shows a lane there: a
/// strip as wide as the bands (`width`), ¾ to 1¼ pitches from the end lane and clear of its
/// band, that holds a band of its own, at least [`MIN_END_LANE_BAND_SDS`] noise SDs and
/// [`MIN_END_LANE_BAND_SHARE`] of `row_band` high (and, where the side asks for it, in a row
/// where the end lane's strip holds a band: within a quarter of the band's width of its row,
/// half a band's height where bands are about half as tall as wide).
fn add_end_lanes(
    corrected: &Array2<f32>,
    strips: &StripMeans,
    centres: &mut Vec<f64>,
    (pitch, width): (f64, f64),
    row_band: f64,
    sides: &[EndSide],
) {
    let limit = (corrected.ncols() - 1) as f64;
    // Half a band's height, taking a band about half as tall as it is wide.
    let half_band_rows = (width / 4.0).round().max(1.0) as usize;
    let end_lane_holds_a_band_at = |end: f64, row: usize| {
        let rows = (row.saturating_sub(half_band_rows), row + half_band_rows + 1);
        strips
            .band_within(end, width, rows)
            .stands_on_the_membrane()
    };
    for &EndSide {
        side,
        on_end_lanes_row,
    } in sides
    {
        loop {
            let end = if side < 0.0 {
                centres[0]
            } else {
                centres[centres.len() - 1]
            };
            // Around the next lattice position, clear of the end lane's band.
            let nearest = (0.75 * pitch).max(width + 2.0);
            let strongest = (0..)
                .map(|i| nearest + i as f64)
                .take_while(|&d| d <= 1.25 * pitch)
                .map(|d| end + side * d)
                .filter(|&c| c - width / 2.0 >= 0.0 && c + width / 2.0 <= limit)
                .map(|c| (c, strips.band(c, width)))
                .max_by(|a, b| a.1.height.total_cmp(&b.1.height));
            match strongest {
                Some((c, band))
                    if band.height > MIN_END_LANE_BAND_SDS * band.noise
                        && band.height > MIN_END_LANE_BAND_SHARE * row_band
                        && (!on_end_lanes_row || end_lane_holds_a_band_at(end, band.row)) =>
                {
                    // The band is measured from the end lane's band outwards, as far as a
                    // band as wide as the row's could reach from the strip: an end lane may
                    // lie further out than the lattice (a faint lane loaded apart). Where that
                    // finds no band inside the reach (as where it touches the end lane's band:
                    // the row stays high between them, or the end lane sits off its band's
                    // middle), it is measured from the gap between the two instead: the
                    // strip's band would otherwise be taken again, in halves, by this lane and
                    // the next.
                    let clear = end + side * (width / 2.0 + 2.0);
                    let farthest = end + side * (1.25 * pitch + width);
                    let c = band_centre_within(
                        corrected,
                        band.row,
                        (clear.min(farthest), clear.max(farthest)),
                    )
                    .or_else(|| band_centre_beyond_gap(corrected, band.row, (end, c), farthest))
                    .unwrap_or(c);
                    if side < 0.0 {
                        centres.insert(0, c);
                    } else {
                        centres.push(c);
                    }
                }
                _ => break,
            }
        }
    }
}

/// The lanes at `centres`: the grid's contrasts, noise and confidence are those of the column
/// profile at these positions; a lane with a band of the row is centred on that band (a lane
/// darker at its edges would pull a profile-refined centre towards one edge), and every lane
/// is `width` wide (the row's bands).
fn place_on_row(
    corrected: &Array2<f32>,
    row: &RowOfBands,
    centres: &[f64],
    pitch: f64,
    width: f64,
) -> LaneGrid {
    let mut grid = grid_at(&column_profile(corrected), centres, pitch);
    let reach = band_reach(width, pitch);
    for (lane, &position) in grid.lanes.iter_mut().zip(centres) {
        let band = row
            .centres
            .iter()
            .zip(&row.rows)
            .find(|(&b, _)| (b - position).abs() <= 0.25 * pitch);
        // The row was found on a binned image: the band's centre is measured again here.
        lane.x_center = band.map_or(position, |(&b, &y)| {
            band_centre(corrected, y, b, reach).unwrap_or(b)
        });
        lane.anchored = band.is_some();
        lane.width = width;
    }
    grid.on_band_row = true;
    grid
}

/// A strip holds a band when its strongest row stands this many noise SDs above its median
/// row (the strip's row profile, smoothed as band finding smooths it)…
pub(super) const MIN_END_LANE_BAND_SDS: f64 = 6.0;
/// … and at least this share of the row's bands as high.
const MIN_END_LANE_BAND_SHARE: f64 = 0.03;

/// Row means of any vertical strip of an image, from per-row prefix sums.
pub(super) struct StripMeans {
    prefix: Array2<f64>,
}

impl StripMeans {
    pub(super) fn new(image: &Array2<f32>) -> StripMeans {
        let (height, width) = image.dim();
        let mut prefix = Array2::zeros((height, width + 1));
        for (y, row) in image.rows().into_iter().enumerate() {
            for (x, &v) in row.iter().enumerate() {
                prefix[[y, x + 1]] = prefix[[y, x]] + f64::from(v);
            }
        }
        StripMeans { prefix }
    }

    /// The median height of the strongest bands of the strips `width` wide at `centres`: a
    /// band as tall as a small share of it is a band, however clean the image.
    fn median_band_height(&self, centres: &[f64], width: f64) -> f64 {
        stats::median(
            &centres
                .iter()
                .map(|&c| self.band(c, width).height)
                .collect::<Vec<f64>>(),
        )
    }

    /// The strongest band of the strip `width` wide centred at `centre`: the row that stands
    /// highest above both the strip's median row and the lowest rows on either side of it. A
    /// band is a peak; a level that rises to the image's top or bottom edge and stays there
    /// (a surround above and below a blot, seen beside it) is a step, not a band.
    pub(super) fn band(&self, centre: f64, width: f64) -> StripBand {
        let (above_median, noise) = self.rows_above_median(centre, width);
        let lowest_before: Vec<f64> = above_median
            .iter()
            .scan(f64::INFINITY, |low, &v| {
                *low = low.min(v);
                Some(*low)
            })
            .collect();
        let mut lowest_after = above_median.clone();
        for i in (0..lowest_after.len().saturating_sub(1)).rev() {
            lowest_after[i] = lowest_after[i].min(lowest_after[i + 1]);
        }
        let (row, height) = above_median
            .iter()
            .enumerate()
            .map(|(i, &v)| (i, v.min(v - lowest_before[i].max(lowest_after[i]))))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0));
        StripBand { height, noise, row }
    }

    /// How far the strip's highest row among `[first, end)` stands above the lowest rows as
    /// many rows above and below them (the higher of the two sides), with the strip's noise
    /// SD and how far the two sides' lowest rows differ (a band stands on the membrane's level
    /// on both sides; a membrane's edge steps from the frame's level to it).
    fn band_within(&self, centre: f64, width: f64, (first, end): (usize, usize)) -> BandInRow {
        let (rows, noise) = self.rows_above_median(centre, width);
        let reach = end - first;
        let lowest = |from: usize, to: usize| {
            rows[from.min(rows.len())..to.min(rows.len())]
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
        };
        let (above, below) = (
            lowest(first.saturating_sub(reach), first),
            lowest(end, end + reach),
        );
        let beside = above.max(below);
        let peak = rows[first.min(rows.len())..end.min(rows.len())]
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        // At the image's top or bottom edge one side is missing: no height (a level rising to
        // the edge, a surround, cannot be told from a band cut there without both sides).
        let height = if beside.is_finite() {
            peak - beside
        } else {
            0.0
        };
        let step = if above.is_finite() && below.is_finite() {
            (above - below).abs()
        } else {
            0.0
        };
        BandInRow {
            height,
            noise,
            step,
        }
    }

    /// The row profile of the strip `width` wide centred at `centre`, smoothed as band finding
    /// smooths it, above its median row; and its noise SD (before smoothing).
    pub(super) fn rows_above_median(&self, centre: f64, width: f64) -> (Vec<f64>, f64) {
        let columns = self.prefix.ncols() - 1;
        let start = ((centre - width / 2.0).round().max(0.0) as usize).min(columns - 1);
        let end = ((centre + width / 2.0).round() as usize).clamp(start + 1, columns);
        let rows: Vec<f32> = self
            .prefix
            .rows()
            .into_iter()
            .map(|r| ((r[end] - r[start]) / (end - start) as f64) as f32)
            .collect();
        let noise = f64::from(stats::noise_sigma(&rows));
        let smooth = stats::gaussian_smooth(&rows, 1.0);
        let mut sorted = smooth.clone();
        let median = f64::from(stats::median_f32(&mut sorted));
        let above = smooth.iter().map(|&v| f64::from(v) - median).collect();
        (above, noise)
    }
}

/// The strongest band of a strip: how far its row stands above the strip's median row, the
/// noise SD of the strip's row profile, and its row.
pub(super) struct StripBand {
    pub(super) height: f64,
    pub(super) noise: f64,
    pub(super) row: usize,
}

/// A band within a row of a strip ([`StripMeans::band_within`]): its height above the higher
/// of its two sides, the strip's noise SD, and how far its two sides' levels differ.
struct BandInRow {
    height: f64,
    noise: f64,
    step: f64,
}

impl BandInRow {
    /// A band on the membrane's level: at least [`MIN_END_LANE_BAND_SDS`] noise SDs high, the
    /// levels either side within [`MAX_STEP_SHARE`] of its height.
    fn stands_on_the_membrane(&self) -> bool {
        self.height > MIN_END_LANE_BAND_SDS * self.noise
            && self.step <= MAX_STEP_SHARE * self.height
    }
}

/// A band's sides differ by at most this share of its height; a membrane's edge (its level
/// steps up from the frame's, with a glow at the edge) differs by about half of it or more.
const MAX_STEP_SHARE: f64 = 0.25;

/// How far either side of a lane's centre its band is looked for: the lane and a third of
/// the gaps beside it.
fn band_reach(width: f64, pitch: f64) -> f64 {
    width / 2.0 + (pitch - width) / 3.0
}

/// The centre of the band at `row` near `centre`: the midpoint of the outermost columns within
/// `reach` where the band (rows `row` ± 2) is at half its height over the lowest column there.
/// Outermost, so a band darker at its edges is measured across its whole width. `None` where
/// the band runs to either end of the reach.
fn band_centre(corrected: &Array2<f32>, row: usize, centre: f64, reach: f64) -> Option<f64> {
    band_centre_within(corrected, row, (centre - reach, centre + reach))
}

/// [`band_centre`] within the columns `from`–`to`.
fn band_centre_within(corrected: &Array2<f32>, row: usize, (from, to): (f64, f64)) -> Option<f64> {
    let width = corrected.ncols();
    let start = from.round().max(0.0) as usize;
    let end = (to.round().max(0.0) as usize).min(width - 1);
    if end <= start {
        return None;
    }
    let section = row_section(corrected, row, (start, end));
    let (left, right) = half_height_span(&section)?;
    (left > 0 && right + 1 < section.len()).then(|| start as f64 + 0.5 * (left + right) as f64)
}

/// The centre of the band at `row` that lies beyond the one at `end` (towards `farthest`),
/// measured from the gap between them: the lowest column of the row from `end` to `strip` (a
/// column of the band, ¾ pitch or more from `end`: past the gap wherever the end lane lies
/// within a quarter pitch of its band's middle). The band runs from where it first reaches
/// half its height beyond the gap (the gap itself, where the row stays higher there) to where
/// it falls to half its height, which must lie before `farthest`.
fn band_centre_beyond_gap(
    corrected: &Array2<f32>,
    row: usize,
    (end, strip): (f64, f64),
    farthest: f64,
) -> Option<f64> {
    let columns = |a: f64, b: f64| {
        let limit = (corrected.ncols() - 1) as f64;
        let (from, to) = (a.min(b).clamp(0.0, limit), a.max(b).clamp(0.0, limit));
        (from.round() as usize, to.round() as usize)
    };
    let (from, to) = columns(end, strip);
    let between = row_section(corrected, row, (from, to));
    let gap = from + (0..between.len()).min_by(|&a, &b| between[a].total_cmp(&between[b]))?;
    let (from, to) = columns(gap as f64, farthest);
    let section = row_section(corrected, row, (from, to));
    let (left, right) = half_height_span(&section)?;
    let far_edge_inside = if farthest > strip {
        right + 1 < section.len()
    } else {
        left > 0
    };
    far_edge_inside.then(|| from as f64 + 0.5 * (left + right) as f64)
}

/// The mean of rows `row` ± 2 over the columns `from`–`to` (`from` ≤ `to`, both within the
/// image), lightly smoothed.
fn row_section(corrected: &Array2<f32>, row: usize, (from, to): (usize, usize)) -> Vec<f32> {
    let rows = row.saturating_sub(2)..(row + 3).min(corrected.nrows());
    let n = rows.len() as f32;
    let section: Vec<f32> = (from..=to)
        .map(|x| rows.clone().map(|y| corrected[[y, x]]).sum::<f32>() / n)
        .collect();
    stats::gaussian_smooth(&section, 1.0)
}

/// The first and last index of `section` at half its height over its lowest value or more.
fn half_height_span(section: &[f32]) -> Option<(usize, usize)> {
    let low = section.iter().copied().fold(f32::INFINITY, f32::min);
    let high = section.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let level = low + 0.5 * (high - low);
    let left = section.iter().position(|&v| v >= level)?;
    let right = section.iter().rposition(|&v| v >= level)?;
    Some((left, right))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::*;

    /// A strip across a blot lying in a brighter surround: the surround's rows above and
    /// below the blot are a step up to the image's edges, not a band; a band on the blot is.
    #[test]
    fn a_surround_above_and_below_a_blot_is_no_band() {
        let with_band = |peak: f32| {
            Array2::from_shape_fn((100, 40), |(y, x)| {
                let surround = if !(20..80).contains(&y) { 10.0 } else { 0.0 };
                let band = if (50..55).contains(&y) { peak } else { 0.0 };
                surround + band + ((x * 7 + y * 13) % 5) as f32 * 0.02
            })
        };
        let height = |image: &Array2<f32>| StripMeans::new(image).band(20.0, 30.0).height;
        assert!(height(&with_band(0.0)) < 0.5, "{}", height(&with_band(0.0)));
        let band = height(&with_band(5.0));
        assert!((band - 5.0).abs() < 1.0, "{band}");
    }

    /// Five bands darker at their edges, 40 px wide, 50 px apart from x 130, rows 40–49, with
    /// their row; a sixth lane beyond them at `faint_at`, at a twentieth of their strength;
    /// empty membrane to the left.
    fn row_with_a_faint_end_lane(faint_at: f64) -> (Array2<f32>, RowOfBands) {
        let strong = [130.0, 180.0, 230.0, 280.0, 330.0];
        let mut corrected =
            Array2::from_shape_fn((90, 460), |(y, x)| ((x * 7 + y * 13) % 5) as f32 * 0.1);
        for (c, peak) in strong.iter().map(|&c| (c, 100.0)).chain([(faint_at, 5.0)]) {
            for x in (c as usize - 20)..(c as usize + 20) {
                let u = (x as f64 + 0.5 - c) / 20.0;
                for y in 40..50 {
                    corrected[[y, x]] += (peak * (1.0 + 2.0 * u * u)) as f32;
                }
            }
        }
        let row = RowOfBands {
            centres: strong.to_vec(),
            rows: vec![45; 5],
            pitch: 50.0,
            band_width: 40.0,
        };
        (corrected, row)
    }

    #[test]
    fn lanes_on_a_row_of_bands_take_in_a_faint_end_lane_and_no_empty_membrane() {
        let (corrected, row) = row_with_a_faint_end_lane(380.0);
        let grid = fit_band_row(&corrected, &row).unwrap();
        let found: Vec<f64> = grid.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 6, "{found:?}");
        for (f, c) in found.iter().zip(row.centres.iter().chain(&[380.0])) {
            assert!((f - c).abs() <= 1.0, "{found:?}");
        }
        assert!(grid.on_band_row);
        assert!(grid.lanes[..5].iter().all(|l| l.anchored));
        assert!(!grid.lanes[5].anchored);
    }

    #[test]
    fn a_faint_end_lane_loaded_apart_is_centred_on_its_band() {
        // 1.4 pitches beyond the last lane: its band reaches past the lattice position.
        let (corrected, row) = row_with_a_faint_end_lane(400.0);
        let grid = fit_band_row(&corrected, &row).unwrap();
        let found: Vec<f64> = grid.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 6, "{found:?}");
        assert!((found[5] - 400.0).abs() <= 1.0, "{found:?}");
    }

    /// A row of five bands 40 px wide, 36 px apart from x 100 (rows 40–49, each peaked in its
    /// middle), so that each touches the next; the fifth a quarter as high as the others. The
    /// lanes of the first four are given with the fourth 8 px off its band's middle, as where a
    /// grid's lattice is continued past the lanes it was fitted on and the lanes lean: the
    /// fifth band is one more lane, centred on it, and no half of it is another.
    #[test]
    fn an_end_lane_beside_a_touching_band_takes_that_band_once() {
        let bands = [100.0, 136.0, 172.0, 208.0, 244.0];
        let mut corrected =
            Array2::from_shape_fn((90, 340), |(y, x)| ((x * 7 + y * 13) % 5) as f32 * 0.1);
        for (k, &c) in bands.iter().enumerate() {
            let peak = if k == 4 { 25.0 } else { 100.0 };
            for x in (c as usize - 20)..(c as usize + 20) {
                let u = (x as f64 + 0.5 - c) / 20.0;
                let value = peak * (u * std::f64::consts::FRAC_PI_2).cos().powi(2);
                for y in 40..50 {
                    corrected[[y, x]] += value as f32;
                }
            }
        }
        let strips = StripMeans::new(&corrected);
        let mut lanes = vec![100.0, 136.0, 172.0, 200.0];
        let row_band = strips.median_band_height(&lanes, 30.0);
        add_end_lanes(
            &corrected,
            &strips,
            &mut lanes,
            (36.0, 30.0),
            row_band,
            &[EndSide::any_row(1.0)],
        );
        assert_eq!(lanes.len(), 5, "{lanes:?}");
        assert!((lanes[4] - 244.0).abs() <= 2.0, "{lanes:?}");
    }

    /// Nine lanes 40 px apart from x 40 in a 440 × 120 image: lanes 4–9 hold two strong bands
    /// each (the column profile shows them), lanes 1–3 only a faint band at rows 28–31 (as a
    /// gel's first group of lanes), lane 1 also a strong one at rows 80–87; each band is 24 px
    /// wide. With `edge`, a line 4 px wide runs down the image at x 400 (a gel's edge, where a
    /// tenth lane would be).
    fn first_lanes_faint(edge: bool) -> Array2<f32> {
        let mut image =
            Array2::from_shape_fn((120, 440), |(y, x)| ((x * 7 + y * 13) % 5) as f32 * 0.1);
        let mut band = |centre: usize, rows: std::ops::Range<usize>, value: f32| {
            for y in rows {
                for x in centre - 12..centre + 12 {
                    image[[y, x]] += value;
                }
            }
        };
        for k in 0..9 {
            let centre = 40 + 40 * k;
            if k < 3 {
                band(centre, 28..32, 20.0);
            } else {
                band(centre, 50..58, 100.0);
                band(centre, 90..98, 100.0);
            }
        }
        band(40, 80..88, 100.0);
        if edge {
            image
                .slice_mut(ndarray::s![.., 398..402])
                .map_inplace(|v| *v += 60.0);
        }
        image
    }

    #[test]
    fn lanes_beyond_the_profile_s_grid_are_added_where_a_row_of_bands_shows_them() {
        let image = first_lanes_faint(false);
        // A grid of the six lanes the profile shows clearly.
        let grid = fit_lanes(&image, 6, 8.0).unwrap();
        let found: Vec<f64> = grid.lanes.iter().map(|l| l.x_center).collect();
        assert!((found[0] - 160.0).abs() <= 1.5, "{found:?}");
        let runs = crate::lanes::band_rows::Bands::search(&image)
            .expect("bands")
            .rows_at_pitch(grid.pitch);
        let extended = extend_over_bands(&image, &grid, &runs).expect("lanes beyond the grid");
        assert!(extended.beyond_profile);
        let found: Vec<f64> = extended.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 9, "{found:?}");
        for (k, x) in found.iter().enumerate() {
            assert!((x - (40.0 + 40.0 * k as f64)).abs() <= 1.5, "{found:?}");
        }
        // The grid's own lanes stay where they were.
        for (lane, kept) in grid.lanes.iter().zip(&extended.lanes[3..]) {
            assert!((lane.x_center - kept.x_center).abs() <= 1e-9, "{found:?}");
        }
        // The run lies inside a grid of all nine lanes: nothing to add.
        let all = fit_lanes(&image, 9, 8.0).unwrap();
        assert!(extend_over_bands(&image, &all, &runs).is_none());
    }

    /// The grid extended to the left over the faint first lanes' run is also checked at its
    /// right end: a tenth lane at x 400 whose band is a tenth as high as the others', too faint
    /// for the profile and the run, is a lane where it lies in the row of the ninth lane's
    /// lower band (rows 90–97); the same band where the ninth lane holds none (rows 10–17: a
    /// mark beside the lanes) is none.
    #[test]
    fn a_grid_extended_at_one_end_takes_in_a_faint_lane_of_its_row_at_the_other() {
        let extended_with_band_at = |rows: std::ops::Range<usize>| {
            let mut image = first_lanes_faint(false);
            image
                .slice_mut(ndarray::s![rows, 388..412])
                .map_inplace(|v| *v += 10.0);
            let grid = fit_lanes(&image, 6, 8.0).unwrap();
            let faint_run = RowOfBands {
                centres: vec![40.0, 80.0, 120.0],
                rows: vec![30; 3],
                pitch: 40.0,
                band_width: 24.0,
            };
            let extended = extend_over_bands(&image, &grid, &[faint_run]).expect("lanes beyond");
            let found: Vec<f64> = extended.lanes.iter().map(|l| l.x_center).collect();
            assert!((found[0] - 40.0).abs() <= 1.5, "{found:?}");
            found
        };
        let found = extended_with_band_at(90..98);
        assert_eq!(found.len(), 10, "{found:?}");
        assert!((found[9] - 400.0).abs() <= 1.5, "{found:?}");
        let found = extended_with_band_at(10..18);
        assert_eq!(found.len(), 9, "{found:?}");
    }

    #[test]
    fn a_line_running_down_the_image_at_the_grid_s_end_is_no_lane() {
        let image = first_lanes_faint(true);
        let grid = fit_lanes(&image, 10, 8.0).unwrap();
        let last = grid.lanes[9].x_center;
        assert!(
            (last - 400.0).abs() <= 1.5,
            "the edge as a tenth lane: {last}"
        );
        let (kept, lines) = without_frame_lines(&image, grid);
        assert_eq!(kept.lanes.len(), 9);
        assert_eq!(lines, vec![last]);
    }

    #[test]
    fn two_stacked_gels_edges_side_by_side_are_a_frame_line() {
        // Each gel's edge is a line 7 px wide in its own rows, beside the other's: in the
        // column profile they make one peak 14 px wide, over half the lanes' 24. They meet
        // inside a block of rows (blocks of 20), which then shows both.
        let mut image = first_lanes_faint(false);
        image
            .slice_mut(ndarray::s![..50, 391..398])
            .map_inplace(|v| *v += 60.0);
        image
            .slice_mut(ndarray::s![50.., 398..405])
            .map_inplace(|v| *v += 60.0);
        let grid = fit_lanes(&image, 10, 8.0).unwrap();
        let last = grid.lanes[9].x_center;
        assert!(
            (391.0..405.0).contains(&last),
            "the edges as a tenth lane: {last}"
        );
        let (kept, lines) = without_frame_lines(&image, grid);
        assert_eq!(kept.lanes.len(), 9);
        assert_eq!(lines, vec![last]);
    }

    #[test]
    fn an_end_lane_of_bands_is_no_frame_line() {
        // The end lanes are lanes of bands: nothing is left out, though the first lane's faint
        // band is as thin as a line.
        let image = first_lanes_faint(false);
        let grid = fit_lanes(&image, 9, 8.0).unwrap();
        let (kept, lines) = without_frame_lines(&image, grid.clone());
        assert!(lines.is_empty(), "{lines:?}");
        assert_eq!(kept, grid);
    }

    /// Twelve lanes 24 px apart from x 30 (width 340, 100 rows): a target row (rows 20–29)
    /// with bands 18 px wide in lanes 5–12 only, and a loading-control row (rows 60–71) whose
    /// bands in `merged` lanes (1-based, inclusive) are 24 px wide and touch, dipping to three
    /// quarters between lanes.
    fn target_over_merged_control(merged: (usize, usize)) -> Array2<f32> {
        let centre = |lane: usize| 30.0 + 24.0 * (lane - 1) as f64;
        Array2::from_shape_fn((100, 340), |(y, x)| {
            let ripple = ((x * 7 + y * 13) % 5) as f32 * 0.2;
            let nearest = ((x as f64 - 30.0) / 24.0).round() as i64 + 1;
            if !(1..=12).contains(&nearest) {
                return ripple;
            }
            let lane = nearest as usize;
            let u = (x as f64 - centre(lane)) / 24.0;
            let target = (20..30).contains(&y) && lane >= 5 && u.abs() <= 9.0 / 24.0;
            let control =
                (60..72).contains(&y) && (merged.0..=merged.1).contains(&lane) && u.abs() <= 0.5;
            ripple
                + if target { 200.0 } else { 0.0 }
                + if control {
                    (100.0 * (1.0 - 0.25 * (2.0 * u).powi(4))) as f32
                } else {
                    0.0
                }
        })
    }

    /// The eight lanes the target row of `image` (twelve lanes 24 px apart from x 30) shows,
    /// the first at x 126, and the image's rows of merged bands (some).
    fn target_lanes_and_merged_rows(image: &Array2<f32>) -> (LaneGrid, Vec<MergedRow>) {
        let grid = fit_lanes(image, 8, 8.0).unwrap();
        assert!((grid.lanes[0].x_center - 126.0).abs() <= 1.5, "{grid:?}");
        let rows = crate::lanes::band_rows::Bands::search(image)
            .expect("bands")
            .merged_rows(image, grid.pitch);
        assert!(!rows.is_empty());
        (grid, rows)
    }

    #[test]
    fn lanes_a_row_of_merged_bands_shows_beyond_the_grid_are_added() {
        let image = target_over_merged_control((1, 12));
        let (grid, rows) = target_lanes_and_merged_rows(&image);
        let extended = extend_over_merged_row((&image, &image), &grid, &rows, &[(0, 339)], 20, 8.0)
            .expect("lanes beyond the grid");
        assert!(extended.beyond_profile);
        let found: Vec<f64> = extended.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 12, "{found:?}");
        for (k, x) in found.iter().enumerate() {
            assert!((x - (30.0 + 24.0 * k as f64)).abs() <= 1.5, "{found:?}");
        }
        // A control row merged over the target's lanes only shows nothing beyond them.
        let image = target_over_merged_control((5, 12));
        let rows = crate::lanes::band_rows::Bands::search(&image)
            .expect("bands")
            .merged_rows(&image, grid.pitch);
        assert!(!rows.is_empty());
        assert!(
            extend_over_merged_row((&image, &image), &grid, &rows, &[(0, 339)], 20, 8.0).is_none()
        );
    }

    /// The row adds lanes beyond the grid and leaves the grid's own lanes where the whole
    /// image's profile put them: one row's dips beside an overloaded band that spreads into
    /// its neighbour are no better place for them (the ChemiDoc XRS gel's faint lane 13 was
    /// drawn 8 px onto the saturated lane 12 beside it, 21 px from it at a pitch of 36).
    #[test]
    fn lanes_added_over_a_merged_row_leave_the_grids_own_lanes_in_place() {
        let image = target_over_merged_control((1, 12));
        let (mut grid, rows) = target_lanes_and_merged_rows(&image);
        for lane in &mut grid.lanes {
            lane.x_center += 2.0;
        }
        let extended = extend_over_merged_row((&image, &image), &grid, &rows, &[(0, 339)], 20, 8.0)
            .expect("lanes beyond the grid");
        let found: Vec<f64> = extended.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 12, "{found:?}");
        for (k, x) in found[..4].iter().enumerate() {
            assert!((x - (30.0 + 24.0 * k as f64)).abs() <= 1.5, "{found:?}");
        }
        for (x, own) in found[4..].iter().zip(&grid.lanes) {
            assert_eq!(*x, own.x_center, "{found:?}");
        }
    }

    /// Twelve lanes 24 px apart from x 30 (width 340, 100 rows): a target row (rows 20–29)
    /// with bands in lanes 5–12 only, and below it, from row 60, `control`'s level at row
    /// `y − 60` across lanes 1–12 (x 18–293), the same in every column: bands that run together
    /// without a dip between them.
    fn target_over_run_together_control(control: impl Fn(usize) -> f32) -> Array2<f32> {
        Array2::from_shape_fn((100, 340), |(y, x)| {
            let ripple = ((x * 7 + y * 13) % 5) as f32 * 0.2;
            let u = (x as f64 - 30.0) / 24.0;
            let lane = u.round();
            let target = (20..30).contains(&y)
                && (4.0..=11.0).contains(&lane)
                && (u - lane).abs() <= 9.0 / 24.0;
            let on_control = (-0.5..11.5).contains(&u) && y >= 60;
            ripple
                + if target { 200.0 } else { 0.0 }
                + if on_control { control(y - 60) } else { 0.0 }
        })
    }

    #[test]
    fn lanes_a_row_of_bands_that_run_together_shows_beyond_the_grid_are_added() {
        // A band 12 rows high (rows 60–71), as high in the gaps as in the lanes.
        let band = |dy: usize| if dy < 12 { 100.0 } else { 0.0 };
        let image = target_over_run_together_control(band);
        let (grid, rows) = target_lanes_and_merged_rows(&image);
        let membrane = [(0, 339)];
        let extended = extend_over_merged_row((&image, &image), &grid, &rows, &membrane, 20, 8.0)
            .expect("lanes beyond the grid");
        let found: Vec<f64> = extended.lanes.iter().map(|l| l.x_center).collect();
        assert_eq!(found.len(), 12, "{found:?}");
        for (k, x) in found.iter().enumerate() {
            assert!(
                (x - (30.0 + 24.0 * k as f64)).abs() <= 24.0 / 4.0,
                "{found:?}"
            );
        }

        // A membrane's edge at row 60 (the level steps up from the frame's, with a glow that
        // fades over 12 rows): in the image as loaded no band, whatever a background surface
        // makes of it.
        let edge = |dy: usize| 50.0 + 50.0 * (1.0 - dy as f32 / 12.0).max(0.0);
        let signal = target_over_run_together_control(edge);
        let ridge = target_over_run_together_control(band);
        let extended = extend_over_merged_row((&signal, &ridge), &grid, &rows, &membrane, 20, 8.0);
        assert!(extended.is_none(), "{extended:?}");
    }
}
