//! Membranes or strips in one frame: bands of membrane rows separated by empty rows (the
//! frame around the membrane), as when two membranes are imaged together or a membrane cut
//! into strips by molecular weight is laid out with gaps. Lanes are found on one lane grid
//! per image, so a strip placed with a sideways offset is first moved by whole pixels (values
//! unchanged, so volumes are too) to line its lanes up with the tallest strip.

use ndarray::{s, Array2};
use rayon::prelude::*;

use crate::stats;

/// One strip of membrane: its rows and how far it was moved to the left (negative: right).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Membrane {
    /// First and last row of the strip (inclusive).
    pub rows: (usize, usize),
    /// First and last column (inclusive) of the frame it was moved within: the whole width,
    /// or the frame around the membranes (a surround beside them stays where it is).
    pub columns: (usize, usize),
    /// Whole pixels the strip was moved to the left (negative: right); 0 where it stayed.
    pub moved_px: i64,
}

/// Empty rows hold less than this share of the way from the frame's level to the membrane's.
const EMPTY_LEVEL: f32 = 0.3;
/// The empty frame lies below this share of the membrane's level (under the membrane by more
/// than this share of it).
const FRAME_CONTRAST: f32 = 0.5;
/// A gap must be this many rows high to separate strips.
const MIN_GAP_ROWS: usize = 3;
/// A membrane's edge takes its level down to the frame's within this share of the image's
/// extent (a few pixels on any real image); uneven light takes the whole image.
const EDGE_SPAN: f64 = 0.02;
/// A strip must be at least this share of the image height (shorter ones are labels, edges).
const MIN_STRIP_FRACTION: f64 = 0.08;
/// The offset search reaches this share of the image width either way.
const MAX_SHIFT_FRACTION: f64 = 0.125;
/// Below this normalized cross-correlation the strips' lanes are not recognisably the same.
/// Strips that hold different targets share only some lanes' bands (a ladder, the strong
/// lanes): on the synthetic two-membrane blots the right offset scores 0.31–0.57.
const MIN_CORRELATION: f64 = 0.25;
/// Strips offset by less than this share of the lane pitch are left where they are.
const MIN_MOVE_PITCHES: f64 = 0.1;

/// Finds the strips of membrane in `signal` (bands bright, membrane above the empty frame)
/// and moves each sideways to line up with the tallest one. Returns the strips (none when
/// the image holds one membrane; all with `moved_px` 0 when some offset is unclear, and
/// nothing is moved then).
pub fn align(signal: &mut Array2<f32>) -> Vec<Membrane> {
    let strips = find(signal);
    if strips.len() < 2 {
        return Vec::new();
    }
    let reference = *strips
        .iter()
        .max_by_key(|&&(top, bottom)| bottom - top)
        .expect("two strips or more");
    let StripColumns {
        structure: reference_profile,
        extent: reference_extent,
    } = strip_columns(signal, reference);
    let max_shift = (MAX_SHIFT_FRACTION * signal.ncols() as f64) as i64;
    // Lane structure repeats every pitch, so it tells a strip's offset only within a pitch:
    // the membranes' own extents give the whole pitches, the lanes the rest.
    let pitch = pitch_of(&reference_profile);
    let offsets: Vec<Option<i64>> = strips
        .iter()
        .map(|&rows| {
            if rows == reference {
                return Some(0);
            }
            let StripColumns {
                structure: profile,
                extent,
            } = strip_columns(signal, rows);
            let width = |(first, last): (usize, usize)| (last - first) as f64;
            // Membranes of one size (a membrane imaged twice, two cut alike) are as far apart
            // as their edges, to within half the widths' difference; where that stays inside
            // the quarter pitch, the lanes' half-pitch search settles the rest. Strips cut to
            // other widths say nothing by their edges.
            let same_size =
                |pitch: usize| (width(extent) - width(reference_extent)).abs() < pitch as f64 / 2.0;
            let offset = match pitch.filter(|&p| same_size(p)) {
                Some(pitch) => {
                    let centre = |(first, last): (usize, usize)| (first + last) as f64 / 2.0;
                    let coarse = (centre(extent) - centre(reference_extent)).round() as i64;
                    let half = (pitch / 2) as i64;
                    best_offset(&reference_profile, &profile, coarse - half..=coarse + half)?
                }
                // Without the edges, the lanes repeat every pitch and a shift of whole
                // pitches matches about as well as none: strips whose lanes already match
                // where they are stay there.
                None if best_offset(&reference_profile, &profile, 0..=0).is_some() => 0,
                None => best_offset(&reference_profile, &profile, -max_shift..=max_shift)?,
            };
            // Strips a small part of a pitch apart are aligned already: their lanes meet.
            let aligned =
                pitch.is_some_and(|p| (offset.abs() as f64) < MIN_MOVE_PITCHES * p as f64);
            Some(if aligned { 0 } else { offset })
        })
        .collect();
    let unclear = offsets.iter().any(Option::is_none);
    let strips: Vec<Membrane> = strips
        .into_iter()
        .zip(offsets)
        .map(|(rows, offset)| Membrane {
            rows,
            columns: (0, signal.ncols() - 1),
            moved_px: if unclear { 0 } else { offset.unwrap_or(0) },
        })
        .collect();
    apply(signal, &strips);
    strips
}

/// The note that membranes were lined up, where any was moved: each one's rows and how far
/// it moved.
pub fn lined_up_note(strips: &[Membrane]) -> Option<String> {
    if strips.iter().all(|s| s.moved_px == 0) {
        return None;
    }
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
    Some(format!(
        "{} membranes or strips in the frame, lined up so their lanes meet ({}); band x positions and the overlay refer to the lined-up image",
        strips.len(),
        moves.join(", ")
    ))
}

/// Moves the strips of `signal` as [`align`] moved another image's strips (an image of the
/// same membrane in the same frame, such as its marker image).
pub fn apply(signal: &mut Array2<f32>, strips: &[Membrane]) {
    for strip in strips {
        shift_rows(signal, strip.rows, strip.columns, strip.moved_px);
    }
}

/// The image with every row outside the strips (the empty frame between and around them)
/// replaced by the nearest strip row, for estimating the membrane's background: a rolling
/// ball would otherwise sink into the empty rows, and the membrane's edges beside them would
/// stand out as bands. `None` without strips.
pub fn with_gaps_filled(signal: &Array2<f32>, strips: &[Membrane]) -> Option<Array2<f32>> {
    if strips.is_empty() {
        return None;
    }
    let mut filled = signal.clone();
    for y in 0..signal.nrows() {
        let nearest = strips
            .iter()
            .flat_map(|s| [s.rows.0, s.rows.1])
            .min_by_key(|&edge| edge.abs_diff(y))
            .expect("strips are not empty");
        let inside = strips.iter().any(|s| (s.rows.0..=s.rows.1).contains(&y));
        if !inside {
            let source = signal.row(nearest).to_owned();
            filled.row_mut(y).assign(&source);
        }
    }
    Some(filled)
}

/// Samples taken along a row or column for its level: a median of this many evenly spaced
/// pixels is not moved by the bands (a minority of any row or column) and costs little. They
/// lie alike from either end ([`stats::mirror_symmetric_indices`]), so that a mirrored image
/// gives its rows the same levels.
const LEVEL_SAMPLES: usize = 128;

/// A membrane ends at an edge: its level falls to the frame's over a few pixels. Uneven light
/// (a gradient, a vignette) also leaves the rows or columns at one side far below the
/// membrane's median, but falls over the whole image. A stretch only counts as empty where at
/// one of its ends the level falls by half the `contrast` between membrane and frame within
/// [`EDGE_SPAN`] of the image's extent.
fn keep_gaps_behind_an_edge(empty: &mut [bool], levels: &[f32], contrast: f32) {
    let n = levels.len();
    let span = ((EDGE_SPAN * n as f64).ceil() as usize).max(MIN_GAP_ROWS);
    let range = |side: &[f32]| {
        side.iter().fold((f32::MAX, f32::MIN), |(low, high), &v| {
            (low.min(v), high.max(v))
        })
    };
    // The fall across the line between `boundary − 1` and `boundary`, either way.
    let falls_at = |boundary: usize| {
        let (low_before, high_before) = range(&levels[boundary.saturating_sub(span)..boundary]);
        let (low_after, high_after) = range(&levels[boundary..(boundary + span).min(n)]);
        (high_before - low_after).max(high_after - low_before) >= 0.5 * contrast
    };
    let mut start = 0;
    while start < n {
        if !empty[start] {
            start += 1;
            continue;
        }
        let end = (start..n).find(|&i| !empty[i]).unwrap_or(n);
        let at_an_edge = (start > 0 && falls_at(start)) || (end < n && falls_at(end));
        if !at_an_edge {
            empty[start..end].iter_mut().for_each(|e| *e = false);
        }
        start = end;
    }
}

/// Where a figure panel's membranes lie on its paper: the rows and the span of columns they
/// cover ([`on_paper`]).
#[derive(Debug, Clone, PartialEq)]
pub struct OnPaper {
    /// Row ranges (inclusive) of membrane.
    pub rows: Vec<(usize, usize)>,
    /// The first and last column of membrane.
    pub columns: (usize, usize),
}

/// A figure's paper holds at least this share of its pixels (a panel's white space and
/// labels; the panels of published figures hold 35-53 %).
const PAPER_SHARE: f64 = 1.0 / 3.0;
/// Paper lies within this many code steps of the image's low end (a lossy copy moves a
/// clipped level by a code or two beside text and lines).
const PAPER_CODES: f32 = 2.0;
/// A row is membrane where at least this share of the membrane's extent across rows (the
/// [`MEMBRANE_EXTENT_QUANTILE`] of all rows' counts) is off the paper.
const MEMBRANE_LINE_SHARE: f64 = 0.5;
/// A column is membrane where at least this share of the membrane's rows is off the paper in
/// it.
const MEMBRANE_COLUMN_COVER: f64 = 0.75;
/// The membrane's extent across rows: this quantile of the lines' counts of pixels off the
/// paper (a few lines of the widest membrane, not a label's one long line).
const MEMBRANE_EXTENT_QUANTILE: f64 = 0.9;

/// The membranes of a figure panel (`signal` bands bright, `quantum` its code step): where a
/// share of its pixels ([`PAPER_SHARE`]) lie at its low end (the paper the figure is printed
/// on, clipped to one level by the export), the membrane is what lies off the paper in long
/// runs: rows whose count of pixels off the paper reaches half the membrane's width, then
/// the columns off the paper in most of those rows. Labels, kDa numbers and a group's
/// underline hold few pixels off the paper in any line, however much of the panel's area
/// they take. `None` where the image has no paper, or no membrane stands on
/// it; in a membrane whose own background is clipped to the paper's level only the bands
/// stand off it, and then nothing is said either (see [`OnPaper::is_membrane`]).
pub fn on_paper(signal: &Array2<f32>, quantum: f32) -> Option<OnPaper> {
    let (height, width) = signal.dim();
    if height == 0 || width == 0 {
        return None;
    }
    let low = signal.iter().copied().fold(f32::INFINITY, f32::min);
    let paper = |v: f32| v <= low + PAPER_CODES * quantum;
    let paper_pixels = signal.iter().filter(|&&v| paper(v)).count();
    if (paper_pixels as f64) < PAPER_SHARE * (height * width) as f64 {
        return None;
    }
    let off_paper = signal.mapv(|v| u32::from(!paper(v)));
    let rows = rows_on_membrane(&off_paper.sum_axis(ndarray::Axis(1)).to_vec());
    let rows = runs_of(&rows, MIN_GAP_ROWS, min_strip(height));
    if rows.is_empty() {
        return None;
    }
    let mut per_column = vec![0u32; width];
    for &(top, bottom) in &rows {
        let block = off_paper
            .slice(s![top..=bottom, ..])
            .sum_axis(ndarray::Axis(0));
        per_column.iter_mut().zip(&block).for_each(|(c, b)| *c += b);
    }
    // A membrane covers its rows without a break; a label beside it leaves paper between
    // its strokes.
    let row_count: usize = rows.iter().map(|&(top, bottom)| bottom + 1 - top).sum();
    let columns: Vec<bool> = per_column
        .iter()
        .map(|&c| f64::from(c) >= MEMBRANE_COLUMN_COVER * row_count as f64)
        .collect();
    let runs = runs_of(
        &columns,
        min_strip(width).max(MIN_GAP_ROWS),
        min_strip(width),
    );
    let (first, last) = (runs.first()?.0, runs.last()?.1);
    let area = OnPaper {
        rows,
        columns: (first, last),
    };
    area.is_membrane(&off_paper).then_some(area)
}

/// Tiles per side of the grid whose lowest pixels trace the paper's level.
const PAPER_TILES: usize = 16;
/// Rows and columns of a tile read for its lowest pixel, at most.
const TILE_SAMPLES: usize = 64;

/// The paper's level across a panel: its lowest value, where the export clipped it to one
/// level, and under uneven light (a gradient, a vignette: the paper's level then rises
/// smoothly from where it is clipped) a quadratic surface in x and y above it.
struct PaperLevel {
    low: f32,
    shading: Option<QuadraticSurface>,
}

impl PaperLevel {
    /// The surface is fitted to the lower envelope of the image: each tile's lowest pixel is
    /// a point of it. Tiles inside a membrane lie above the paper, so the fit is repeated on
    /// the points at or below the last fit (within [`PAPER_CODES`]) until they no longer
    /// change; a tile at the clipped level says only that the surface lies at or below the
    /// clip there, so it holds the fit at the clip where the fit would rise above it. The
    /// surface is the paper's only where it rises from the clipped level (its lowest point
    /// kept within two [`PAPER_CODES`] of it): a membrane's own background lies well above
    /// the paper, and a surface fitted to it alone would cover paper.
    fn of(signal: &Array2<f32>, quantum: f32) -> PaperLevel {
        let low = signal.iter().copied().fold(f32::INFINITY, f32::min);
        let tolerance = PAPER_CODES * quantum;
        let flat = PaperLevel { low, shading: None };
        let lowest = tile_minima(signal);
        let lowest_count = lowest.len();
        let (clipped, above): (Vec<_>, Vec<_>) = lowest
            .into_iter()
            .partition(|&(_, _, v)| v <= f64::from(low + tolerance));
        let tolerance_f64 = f64::from(tolerance);
        let clip = f64::from(low);
        // Where the image is clipped the surface may lie anywhere at or below the clip: those
        // points hold the fit at the clip only where it would rise above it.
        let mut kept = above.clone();
        let mut held: Vec<(usize, usize, f64)> =
            clipped.iter().map(|&(y, x, _)| (y, x, clip)).collect();
        let mut surface = None;
        for _ in 0..lowest_count {
            let points: Vec<_> = kept.iter().chain(&held).copied().collect();
            let Some(fitted) = QuadraticSurface::fit(&points) else {
                return flat;
            };
            let next_kept: Vec<_> = above
                .iter()
                .copied()
                .filter(|&(y, x, v)| v <= fitted.at(y, x) + tolerance_f64)
                .collect();
            let next_held: Vec<_> = clipped
                .iter()
                .filter(|&&(y, x, _)| fitted.at(y, x) > clip + tolerance_f64)
                .map(|&(y, x, _)| (y, x, clip))
                .collect();
            surface = Some(fitted);
            if next_kept == kept && next_held == held {
                break;
            }
            (kept, held) = (next_kept, next_held);
        }
        let Some(surface) = surface.filter(|_| kept.len() >= QuadraticSurface::TERMS) else {
            return flat;
        };
        let rises_from_the_clip =
            kept.iter().map(|p| p.2).fold(f64::INFINITY, f64::min) <= clip + 2.0 * tolerance_f64;
        if rises_from_the_clip {
            PaperLevel {
                shading: Some(surface),
                ..flat
            }
        } else {
            flat
        }
    }
}

/// `signal` with the uneven light on a figure's paper taken out ([`PaperLevel`]): the
/// paper's level made flat again, at the level the export clipped it to, and the same shading
/// taken off the membranes on it. `None` where the paper is flat, or where no membrane then
/// stands on paper ([`on_paper`]: the image is no figure panel).
pub fn without_paper_shading(signal: &Array2<f32>, quantum: f32) -> Option<Array2<f32>> {
    let level = PaperLevel::of(signal, quantum);
    let surface = level.shading?;
    let low = f64::from(level.low);
    let clipped = level.low + PAPER_CODES * quantum;
    let unshaded = Array2::from_shape_fn(signal.dim(), |(y, x)| {
        let v = signal[[y, x]];
        if v <= clipped {
            v
        } else {
            v - (surface.at(y, x) - low) as f32
        }
    });
    on_paper(&unshaded, quantum).map(|_| unshaded)
}

/// Each tile's lowest pixel (row, column, value), on a grid of [`PAPER_TILES`] per side.
fn tile_minima(signal: &Array2<f32>) -> Vec<(usize, usize, f64)> {
    let (height, width) = signal.dim();
    let edges = |len: usize| -> Vec<usize> {
        let tiles = PAPER_TILES.min(len);
        (0..=tiles).map(|i| i * len / tiles).collect()
    };
    let (row_edges, column_edges) = (edges(height), edges(width));
    // A tile's lowest pixel is read off at most [`TILE_SAMPLES`] rows and columns of it (the
    // paper is a smooth surface over many pixels; a large image's tiles hold thousands).
    let step = |len: usize, tiles: usize| (len / tiles).div_ceil(TILE_SAMPLES).max(1);
    let (row_step, column_step) = (
        step(height, row_edges.len() - 1),
        step(width, column_edges.len() - 1),
    );
    // Row by row, each tile's stretch of the row at once (rows are contiguous in memory).
    let band_minima = |rows: &[usize]| -> Vec<(usize, usize, f64)> {
        let mut lowest = vec![(0, 0, f32::INFINITY); column_edges.len() - 1];
        for y in (rows[0]..rows[1]).step_by(row_step) {
            let row = signal.row(y);
            for (tile, columns) in lowest.iter_mut().zip(column_edges.windows(2)) {
                for x in (columns[0]..columns[1]).step_by(column_step) {
                    if row[x] < tile.2 {
                        *tile = (y, x, row[x]);
                    }
                }
            }
        }
        lowest
            .into_iter()
            .filter(|t| t.2.is_finite())
            .map(|(y, x, v)| (y, x, f64::from(v)))
            .collect()
    };
    row_edges
        .windows(2)
        .collect::<Vec<_>>()
        .into_par_iter()
        .flat_map_iter(band_minima)
        .collect()
}

/// `c0 + c1·x + c2·y + c3·x² + c4·x·y + c5·y²`, x and y in units of `scale` px.
#[derive(Debug, Clone, Copy)]
struct QuadraticSurface {
    coefficients: [f64; 6],
    scale: f64,
}

impl QuadraticSurface {
    const TERMS: usize = 6;

    fn terms(x: f64, y: f64) -> [f64; 6] {
        [1.0, x, y, x * x, x * y, y * y]
    }

    /// The least-squares fit to `points` (row, column, value); `None` with fewer points than
    /// terms.
    fn fit(points: &[(usize, usize, f64)]) -> Option<Self> {
        if points.len() < Self::TERMS {
            return None;
        }
        let scale = points
            .iter()
            .map(|&(y, x, _)| y.max(x) as f64)
            .fold(1.0, f64::max);
        let design = nalgebra::DMatrix::from_fn(points.len(), 6, |i, j| {
            let (y, x, _) = points[i];
            Self::terms(x as f64 / scale, y as f64 / scale)[j]
        });
        let values = nalgebra::DVector::from_iterator(points.len(), points.iter().map(|p| p.2));
        // Singular values this small a share of the largest leave their direction unfitted
        // (points along one line do not fix a surface's curvature across it).
        let solution = design.svd(true, true).solve(&values, 1e-9).ok()?;
        let surface = Self {
            coefficients: std::array::from_fn(|j| solution[j]),
            scale,
        };
        surface
            .coefficients
            .iter()
            .all(|c| c.is_finite())
            .then_some(surface)
    }

    fn at(&self, y: usize, x: usize) -> f64 {
        Self::terms(x as f64 / self.scale, y as f64 / self.scale)
            .iter()
            .zip(&self.coefficients)
            .map(|(t, c)| t * c)
            .sum()
    }
}

impl OnPaper {
    /// True where the area is membrane with a background of its own and holds most of what
    /// lies off the paper: most of its pixels off the paper (where the membrane's background
    /// is clipped to the paper's level, its "rows" are rows of bands, and the bands outside
    /// them are no label), and most pixels off the paper inside it (labels are a minority;
    /// a blot whose background is clipped in places has bands all over).
    fn is_membrane(&self, off_paper: &Array2<u32>) -> bool {
        let (first, last) = self.columns;
        let (mut off, mut all) = (0u64, 0u64);
        for &(top, bottom) in &self.rows {
            let block = off_paper.slice(s![top..=bottom, first..=last]);
            off += block.iter().map(|&v| u64::from(v)).sum::<u64>();
            all += block.len() as u64;
        }
        let off_anywhere: u64 = off_paper.iter().map(|&v| u64::from(v)).sum();
        off as f64 >= MEMBRANE_LINE_SHARE * all as f64
            && off as f64 >= MEMBRANE_LINE_SHARE * off_anywhere as f64
    }

    /// True where the point (`x`, `y`; px) lies on the membrane.
    pub fn holds(&self, x: f64, y: f64) -> bool {
        self.spans(x) && self.rows.iter().any(|&rows| within(y, rows))
    }

    /// True where column `x` (px) lies within the membrane's columns.
    pub fn spans(&self, x: f64) -> bool {
        within(x, self.columns)
    }

    /// True where a lane `width` px wide centred at `x` lies within the membrane's columns:
    /// a lane on the line framing a strip (the membrane's edge) reaches off it.
    pub fn spans_lane(&self, x: f64, width: f64) -> bool {
        self.spans(x - width / 2.0) && self.spans(x + width / 2.0)
    }
}

/// True where `v` lies in the pixels `a..=b` (a pixel spans one unit from its index).
fn within(v: f64, (a, b): (usize, usize)) -> bool {
    v >= a as f64 && v <= b as f64 + 1.0
}

/// Which rows are membrane, by their counts of pixels off the paper: at least
/// [`MEMBRANE_LINE_SHARE`] of the membrane's extent ([`MEMBRANE_EXTENT_QUANTILE`]).
fn rows_on_membrane(counts: &[u32]) -> Vec<bool> {
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let at = (MEMBRANE_EXTENT_QUANTILE * (sorted.len() - 1) as f64).round() as usize;
    let extent = f64::from(sorted[at]);
    counts
        .iter()
        .map(|&c| extent > 0.0 && f64::from(c) >= MEMBRANE_LINE_SHARE * extent)
        .collect()
}

/// The shortest run of membrane lines that is a strip, of `n` lines.
fn min_strip(n: usize) -> usize {
    (MIN_STRIP_FRACTION * n as f64).ceil() as usize
}

/// Row ranges (inclusive) of membrane separated by gaps of empty rows.
fn find(signal: &Array2<f32>) -> Vec<(usize, usize)> {
    let columns = stats::mirror_symmetric_indices(signal.ncols(), LEVEL_SAMPLES);
    let levels: Vec<f32> = signal
        .rows()
        .into_iter()
        .map(|row| {
            let mut sample: Vec<f32> = columns.iter().map(|&x| row[x]).collect();
            stats::median_f32(&mut sample)
        })
        .collect();
    membrane_runs(&levels, MIN_GAP_ROWS)
}

/// Column ranges (inclusive) that hold membrane: all columns unless empty frame stands out
/// beside the membrane (margins, a figure's white space and labels). Two ranges or more are
/// blots side by side, each with its own lane grid.
pub fn membrane_columns(signal: &Array2<f32>) -> Vec<(usize, usize)> {
    // Whole sampled rows, read in memory order, then each column's median across them.
    let rows: Vec<_> = stats::mirror_symmetric_indices(signal.nrows(), LEVEL_SAMPLES)
        .into_iter()
        .map(|y| signal.row(y))
        .collect();
    let mut sample = vec![0.0f32; rows.len()];
    let levels: Vec<f32> = (0..signal.ncols())
        .map(|x| {
            for (s, row) in sample.iter_mut().zip(&rows) {
                *s = row[x];
            }
            stats::median_f32(&mut sample)
        })
        .collect();
    // Blots side by side lie apart by as much as a blot must be wide: a narrower gap is the
    // membrane between two lanes at the frame's level (clipped in a display export, or lit
    // less), and each lane alone is narrower than a blot.
    let min_gap = ((MIN_STRIP_FRACTION * levels.len() as f64).ceil() as usize).max(MIN_GAP_ROWS);
    membrane_runs(&levels, min_gap)
}

/// Runs of membrane among rows (or columns) of the given levels: where the level stands clear
/// of the empty frame's, in runs at least [`MIN_STRIP_FRACTION`] of the whole, split by at
/// least `min_gap` empty ones. The whole range when no empty frame stands out.
fn membrane_runs(levels: &[f32], min_gap: usize) -> Vec<(usize, usize)> {
    let n = levels.len();
    if n == 0 {
        return Vec::new();
    }
    let mut sorted = levels.to_vec();
    sorted.sort_by(f32::total_cmp);
    let (frame, membrane) = (sorted[0], sorted[n / 2]);
    // Empty frame sits far below the membrane (a camera's dark level, a scan's blank): a
    // background that merely slopes down toward an edge is not a gap.
    if membrane - frame < FRAME_CONTRAST * membrane {
        return vec![(0, n - 1)];
    }
    let threshold = frame + EMPTY_LEVEL * (membrane - frame);
    let mut empty: Vec<bool> = levels.iter().map(|&v| v < threshold).collect();
    keep_gaps_behind_an_edge(&mut empty, levels, membrane - frame);
    let is_membrane: Vec<bool> = empty.iter().map(|e| !e).collect();
    runs_of(&is_membrane, min_gap, min_strip(n))
}

/// Runs of membrane lines (first, last; inclusive) at least `min_len` long; a gap shorter
/// than `min_gap` does not split them.
fn runs_of(is_membrane: &[bool], min_gap: usize, min_len: usize) -> Vec<(usize, usize)> {
    let n = is_membrane.len();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < n {
        if !is_membrane[i] {
            i += 1;
            continue;
        }
        let (first, mut last) = (i, i);
        while i < n {
            if is_membrane[i] {
                last = i;
                i += 1;
            } else {
                let gap_end = (i..n).find(|&g| is_membrane[g]).unwrap_or(n);
                if gap_end - i >= min_gap || gap_end == n {
                    break;
                }
                i = gap_end;
            }
        }
        runs.push((first, last));
    }
    runs.retain(|&(first, last)| last + 1 - first >= min_len);
    runs
}

/// What a strip's columns say: the lanes' structure and where the membrane lies.
struct StripColumns {
    /// The strip's column profile with its slow trend taken out: what its lanes look like.
    /// Columns of empty frame beside the membrane, and a trend window's width inside them,
    /// count as flat: the membrane's own edge is no lane.
    structure: Vec<f64>,
    /// The first and last column of membrane.
    extent: (usize, usize),
}

/// The columns of the strip `top..=bottom`. Membrane is where the strip's mean over its rows
/// reaches half its median column or more: the frame beside a membrane lies far below it.
fn strip_columns(signal: &Array2<f32>, (top, bottom): (usize, usize)) -> StripColumns {
    let profile: Vec<f64> = signal
        .slice(s![top..=bottom, ..])
        .columns()
        .into_iter()
        .map(|c| c.iter().map(|&v| f64::from(v)).sum::<f64>() / c.len() as f64)
        .collect();
    let level = stats::median(&profile);
    let on_membrane: Vec<bool> = profile.iter().map(|&v| v >= 0.5 * level).collect();
    let half = (profile.len() / 20).max(2);
    let structure = (0..profile.len())
        .map(|x| {
            let range = x.saturating_sub(half)..(x + half + 1).min(profile.len());
            if on_membrane[range.clone()].iter().any(|&m| !m) {
                return 0.0;
            }
            let window = &profile[range];
            profile[x] - window.iter().sum::<f64>() / window.len() as f64
        })
        .collect();
    let first = on_membrane.iter().position(|&m| m).unwrap_or(0);
    let last = on_membrane
        .iter()
        .rposition(|&m| m)
        .unwrap_or(profile.len() - 1);
    StripColumns {
        structure,
        extent: (first, last.max(first)),
    }
}

/// The shift s among `shifts` at which `profile[x + s]` best matches `reference[x]`
/// (normalized cross-correlation over the overlap), if it matches clearly.
fn best_offset(
    reference: &[f64],
    profile: &[f64],
    shifts: std::ops::RangeInclusive<i64>,
) -> Option<i64> {
    let (shift, best) = shifts
        .map(|s| (s, stats::correlation_at_shift(reference, profile, s)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    (best >= MIN_CORRELATION).then_some(shift)
}

/// The lane pitch of a strip's lane structure: the lag of the autocorrelation's first peak
/// after it first falls below zero (the first lag at which lanes meet lanes again), if any.
fn pitch_of(structure: &[f64]) -> Option<usize> {
    let n = structure.len();
    let at = |lag: usize| -> f64 {
        (0..n - lag)
            .map(|x| structure[x] * structure[x + lag])
            .sum()
    };
    let zero_lag = at(0);
    if zero_lag <= 0.0 {
        return None;
    }
    let r: Vec<f64> = (0..n / 2).map(|lag| at(lag) / zero_lag).collect();
    let below = (1..r.len()).find(|&lag| r[lag] < 0.0)?;
    // The first peak after the fall: where it turns down again.
    (below + 1..r.len().saturating_sub(1))
        .find(|&lag| r[lag] > 0.0 && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1])
}

/// Moves rows `top..=bottom`, within columns `left..=right`, left by `shift` columns (right
/// when negative); columns moved in from beyond that range take the strip's lowest level (the
/// empty frame beside the membrane).
fn shift_rows(
    signal: &mut Array2<f32>,
    (top, bottom): (usize, usize),
    (left, right): (usize, usize),
    shift: i64,
) {
    if shift == 0 {
        return;
    }
    let mut strip = signal.slice_mut(s![top..=bottom, left..=right]);
    let width = strip.ncols() as i64;
    let fill = strip.iter().copied().fold(f32::INFINITY, f32::min);
    for mut row in strip.rows_mut() {
        let old = row.to_vec();
        for (x, v) in row.iter_mut().enumerate() {
            let from = x as i64 + shift;
            *v = if (0..width).contains(&from) {
                old[from as usize]
            } else {
                fill
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two membranes with three lanes each, the upper one 7 px right of the lower one,
    /// 4 empty rows between them.
    fn two_membranes() -> Array2<f32> {
        Array2::from_shape_fn((60, 120), |(y, x)| {
            if (26..30).contains(&y) {
                return 0.0;
            }
            let offset = if y < 26 { 7 } else { 0 };
            let lane = |c: usize| {
                let d = x as f64 - (c + offset) as f64;
                (-(d * d) / 50.0).exp()
            };
            let strength = if y < 26 {
                [1.0, 3.0, 2.0]
            } else {
                [2.0, 1.0, 3.0]
            };
            (100.0
                + 500.0
                    * (strength[0] * lane(30) + strength[1] * lane(60) + strength[2] * lane(90)))
                as f32
        })
    }

    /// A figure panel (bands bright, its paper at 0): two membranes at a level of their own
    /// in rows 90..130 and 134..170, columns 70..380 of 192 x 437, three bands in each
    /// membrane; labels above and beside them, a group's underlines, all on the paper, which
    /// holds more of the panel than the membranes do. `clipped`: the membranes' background
    /// is clipped to the paper's level as well (only the bands stand off it).
    fn figure_panel(clipped: bool) -> Array2<f32> {
        let mut state = 7u64;
        let mut noise = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((state >> 33) % 7) as f32
        };
        Array2::from_shape_fn((192, 437), |(y, x)| {
            let on_membrane =
                ((90..130).contains(&y) || (134..170).contains(&y)) && (70..380).contains(&x);
            let band = on_membrane
                && [110, 150].iter().any(|&row: &usize| y.abs_diff(row) < 5)
                && [100, 200, 300].iter().any(|&c: &usize| x.abs_diff(c) < 15);
            // Labels: short strokes in rows 20..60 and left of the membranes; underlines.
            let label = ((20..60).contains(&y) && x % 23 < 3 && (x / 23) % 2 == 0)
                || ((100..106).contains(&y) && (10..60).contains(&x) && x % 5 < 2);
            let underline = (70..72).contains(&y) && (80..370).contains(&x) && (x / 60) % 2 == 0;
            if band {
                200.0 + noise()
            } else if on_membrane && !clipped {
                40.0 + noise()
            } else if label || underline {
                230.0
            } else {
                0.0
            }
        })
    }

    /// The membranes of a panel whose paper takes most of its rows and columns are found by
    /// what lies off the paper in long runs: its labels and underlines are no membrane.
    #[test]
    fn a_figure_panels_membranes_stand_on_its_paper() {
        let area = on_paper(&figure_panel(false), 1.0).expect("membranes on paper");
        assert_eq!(area.rows, vec![(90, 129), (134, 169)]);
        assert_eq!(area.columns, (70, 379));
        assert!(area.holds(100.0, 110.0) && !area.holds(100.0, 71.0) && !area.holds(30.0, 103.0));
    }

    /// A panel lit unevenly (a gradient plus a vignette, clipped where the light was
    /// brightest, as a photographed or scanned printout is): its paper is no longer one
    /// level, and read as it is, the shaded paper stands off the clipped paper as membrane
    /// would. With the shading taken off the paper (and the membranes on it), the membranes
    /// stand where they stood unshaded; a panel whose paper is flat has none to take off.
    #[test]
    fn a_panels_membranes_stand_on_its_paper_under_uneven_light() {
        let flat = figure_panel(false);
        let (height, width) = flat.dim();
        let shaded = Array2::from_shape_fn((height, width), |(y, x)| {
            let (u, v) = (
                x as f32 / width as f32 - 0.5,
                y as f32 / height as f32 - 0.5,
            );
            let light = 60.0 * (u + 0.5) + 60.0 * (u * u + v * v) - 25.0;
            (flat[[y, x]] + light).max(0.0).round()
        });
        let unshaded_area = on_paper(&flat, 1.0);
        assert_ne!(on_paper(&shaded, 1.0), unshaded_area);
        let unshaded = without_paper_shading(&shaded, 1.0).expect("shading on the paper");
        assert_eq!(on_paper(&unshaded, 1.0), unshaded_area);
        assert_eq!(without_paper_shading(&flat, 1.0), None);
    }

    /// Where the membrane's own background is clipped to the paper, only bands stand off it:
    /// nothing is said of where the membrane lies. A blot with no paper says nothing either.
    #[test]
    fn bands_on_paper_and_blots_without_paper_say_nothing() {
        assert_eq!(on_paper(&figure_panel(true), 1.0), None);
        let membrane = two_membranes();
        assert_eq!(on_paper(&membrane, 1.0), None);
    }

    /// A strip moved within its frame's columns leaves the surround beside the frame as it was;
    /// the columns it leaves take the strip's lowest level.
    #[test]
    fn a_strip_moves_within_its_frame_only() {
        let mut signal = Array2::from_shape_fn((4, 10), |(_, x)| x as f32 + 10.0);
        let strip = Membrane {
            rows: (1, 2),
            columns: (2, 7),
            moved_px: 2,
        };
        apply(&mut signal, &[strip]);
        let row: Vec<f32> = signal.row(1).to_vec();
        assert_eq!(
            row,
            vec![10.0, 11.0, 14.0, 15.0, 16.0, 17.0, 12.0, 12.0, 18.0, 19.0]
        );
        assert_eq!(
            signal.row(0).to_vec(),
            (10..20).map(|v| v as f32).collect::<Vec<_>>()
        );
    }

    #[test]
    fn strips_are_found_and_lined_up_with_the_tallest() {
        let mut signal = two_membranes();
        let strips = align(&mut signal);
        assert_eq!(
            strips,
            vec![
                Membrane {
                    rows: (0, 25),
                    columns: (0, 119),
                    moved_px: 7
                },
                Membrane {
                    rows: (30, 59),
                    columns: (0, 119),
                    moved_px: 0
                },
            ]
        );
        // The upper lane peaks now sit over the lower ones.
        let peak = |y: usize| {
            (0..50)
                .max_by(|&a, &b| signal[[y, a]].total_cmp(&signal[[y, b]]))
                .unwrap()
        };
        assert_eq!(peak(10), peak(45));
    }

    /// Strips cut to other widths, their lanes a small part of a pitch apart (a figure's
    /// strips pasted as the gel ran): their lanes already meet, and none is moved.
    #[test]
    fn strips_a_pixel_apart_stay_where_they_are() {
        for offset in [1usize, 2] {
            let mut signal = Array2::from_shape_fn((60, 120), |(y, x)| {
                let upper = y < 26;
                if (26..30).contains(&y) || (upper && !(12..108).contains(&x)) {
                    return 0.0;
                }
                let shift = if upper { offset } else { 0 };
                let lane = |c: usize| {
                    let d = x as f64 - (c + shift) as f64;
                    (-(d * d) / 50.0).exp()
                };
                (100.0 + 500.0 * (lane(30) + 3.0 * lane(60) + 2.0 * lane(90))) as f32
            });
            let before = signal.clone();
            let strips = align(&mut signal);
            assert_eq!(strips.len(), 2, "offset {offset}");
            assert!(
                strips.iter().all(|s| s.moved_px == 0),
                "offset {offset}: {strips:?}"
            );
            assert_eq!(signal, before);
        }
    }

    /// Strips cut to other widths whose lanes meet, the lower strip's target strong in
    /// alternate lanes where the upper's is weak: shifted by a pitch its strong lanes would
    /// fall on the upper's strong ones and match better, but the lanes already match where
    /// they are, and neither strip moves.
    #[test]
    fn strips_whose_lanes_meet_stay_though_a_pitch_away_matches_better() {
        let pitch = 30.0;
        let mut signal = Array2::from_shape_fn((60, 300), |(y, x)| {
            let upper = y < 26;
            if (26..30).contains(&y) || (!upper && !(40..250).contains(&x)) {
                return 0.0;
            }
            let lanes: f64 = (0..9)
                .map(|i| {
                    let strong = (i % 2 == 0) == upper;
                    let d = x as f64 - (25.0 + pitch * i as f64);
                    let height = if strong { 3.0 } else { 1.0 };
                    height * (-(d * d) / 50.0).exp()
                })
                .sum();
            (1000.0 + 500.0 * lanes) as f32
        });
        let before = signal.clone();
        let strips = align(&mut signal);
        assert_eq!(strips.len(), 2);
        assert!(strips.iter().all(|s| s.moved_px == 0), "{strips:?}");
        assert_eq!(signal, before);
    }

    #[test]
    fn blots_side_by_side_are_told_apart() {
        // Membrane at 1000 in columns 5–44 and 70–114, empty frame (20) elsewhere.
        let signal = Array2::from_shape_fn((40, 120), |(_, x)| {
            if (5..45).contains(&x) || (70..115).contains(&x) {
                1000.0
            } else {
                20.0
            }
        });
        assert_eq!(membrane_columns(&signal), vec![(5, 44), (70, 114)]);
        let one = Array2::from_shape_fn((40, 120), |(_, x)| 1000.0 - x as f32);
        assert_eq!(membrane_columns(&one), vec![(0, 119)]);
    }

    /// In a display export (or under uneven light, clipped) the membrane between two lanes
    /// can sit at the frame's level: lanes 8 px wide, 3 px apart, are each narrower than a
    /// blot may be, but their gaps do not split the blot; the wide gap between two blots does.
    #[test]
    fn gaps_between_lanes_at_the_frame_level_do_not_split_a_blot() {
        let lanes = |x: usize, first: usize| x >= first && x < first + 55 && (x - first) % 11 < 8;
        let signal = Array2::from_shape_fn((40, 120), |(_, x)| {
            if lanes(x, 2) || lanes(x, 64) {
                1000.0
            } else {
                20.0
            }
        });
        assert_eq!(membrane_columns(&signal), vec![(2, 53), (64, 115)]);
    }

    /// Uneven light takes one side of a membrane far below its median, but with no edge:
    /// no column there is empty frame. A real frame beside it still is.
    #[test]
    fn a_gradient_is_no_frame() {
        let lit = |x: usize| 20.0 + 980.0 * x as f32 / 119.0;
        let shaded = Array2::from_shape_fn((40, 120), |(_, x)| lit(x));
        assert_eq!(membrane_columns(&shaded), vec![(0, 119)]);
        let framed = Array2::from_shape_fn((40, 120), |(_, x)| if x < 30 { 20.0 } else { lit(x) });
        assert_eq!(membrane_columns(&framed), vec![(30, 119)]);
    }

    #[test]
    fn one_membrane_is_left_alone() {
        let mut signal = Array2::from_shape_fn((60, 120), |(y, x)| (100 + x % 30 + y) as f32);
        let before = signal.clone();
        assert!(align(&mut signal).is_empty());
        assert_eq!(signal, before);
    }
}
