//! A row of bands: evenly spaced bands of one width side by side (a loading control, a strong
//! target), found as connected blobs of the background-corrected image. Its spacing is the lane
//! pitch seen in two dimensions. The column profile alone can mistake a lane that is darker at
//! its edges (a crescent band, edge shadows) for two or three narrower lanes; a band that
//! spans such "lanes" shows they are one.

use image::{ImageBuffer, Luma};
use imageproc::region_labelling::{connected_components, Connectivity};
use ndarray::{Array2, ArrayView2};

use crate::stats;

/// A row of evenly spaced bands of similar width.
#[derive(Debug, Clone, PartialEq)]
pub struct RowOfBands {
    /// Band centres (x), left to right.
    pub centres: Vec<f64>,
    /// Each band's middle row.
    pub rows: Vec<usize>,
    /// Median distance between neighbouring centres.
    pub pitch: f64,
    /// Median band width.
    pub band_width: f64,
}

impl RowOfBands {
    /// The evenly spaced lattice through the band centres (least squares; a missing band
    /// leaves a step out): (position of the first band's step, pitch).
    pub fn lattice(&self) -> Option<(f64, f64)> {
        let first = *self.centres.first()?;
        let points: Vec<(f64, f64)> = self
            .centres
            .iter()
            .map(|&c| (((c - first) / self.pitch).round(), c))
            .collect();
        let (pitch, origin, _) = stats::line_fit(&points);
        (pitch > 0.0).then_some((origin, pitch))
    }

    /// True when the row's "bands" are drawn lines rather than bands (a figure's label
    /// underlines, one per group of lanes; a frame's edge): at half their height they are
    /// under [`MIN_BAND_THICKNESS_PX`] high, measured on the image's own pixels (median over
    /// the row), where a band is blurred over several rows.
    pub fn is_drawn_lines(&self, corrected: &Array2<f32>) -> bool {
        let thickness: Vec<f64> = self
            .centres
            .iter()
            .zip(&self.rows)
            .map(|(&centre, &row)| band_thickness(corrected, centre, self.band_width / 2.0, row))
            .collect();
        stats::median(&thickness) < MIN_BAND_THICKNESS_PX
    }
}

/// A band is at least this many rows high at half its height.
pub const MIN_BAND_THICKNESS_PX: f64 = 2.0;
/// Rows either side of a band's row that its thickness is measured over (its peak within a
/// few rows of it, its base the median of them).
const THICKNESS_WINDOW_ROWS: usize = 30;

/// Rows at or above half height of the band at `row`: the mean of the columns `centre` ±
/// `width / 2` per row, its peak within 5 rows of `row`, its base the median row of the
/// window.
fn band_thickness(corrected: &Array2<f32>, centre: f64, width: f64, row: usize) -> f64 {
    let (height, image_width) = corrected.dim();
    let start = ((centre - width / 2.0).round().max(0.0) as usize).min(image_width - 1);
    let end = ((centre + width / 2.0).round() as usize).clamp(start + 1, image_width);
    let top = row.saturating_sub(THICKNESS_WINDOW_ROWS);
    let bottom = (row + THICKNESS_WINDOW_ROWS + 1).min(height);
    let profile: Vec<f64> = (top..bottom)
        .map(|y| {
            let sum: f32 = corrected.slice(ndarray::s![y, start..end]).sum();
            f64::from(sum) / (end - start) as f64
        })
        .collect();
    let near = row.saturating_sub(5).max(top) - top..(row + 6).min(bottom) - top;
    let Some(peak) = near.max_by(|&a, &b| profile[a].total_cmp(&profile[b])) else {
        return 0.0;
    };
    let half = 0.5 * (profile[peak] + stats::median(&profile));
    let above = |i: &usize| profile[*i] >= half;
    let first = (0..=peak).rev().take_while(above).last().unwrap_or(peak);
    let last = (peak..profile.len())
        .take_while(above)
        .last()
        .unwrap_or(peak);
    (last - first + 1) as f64
}

/// Blobs are cut at these shares of the image's bright end (99.5th percentile after
/// smoothing): low cuts join a faint band's pieces, high ones part bands that touch.
const CUTS: [f32; 5] = [0.15, 0.2, 0.3, 0.5, 0.7];
/// A band is at least this much wider than high (a lane-long streak is not a band).
const MIN_ASPECT: f64 = 1.5;
const MIN_BAND_WIDTH: usize = 6;
/// Bands of one row are within this share of their median width.
const WIDTH_TOLERANCE: f64 = 0.3;
/// Evenly spaced: the spacings' coefficient of variation is at most this.
const MAX_SPACING_CV: f64 = 0.15;
const MIN_BANDS: usize = 3;
/// Neighbouring bands are a given pitch apart when their spacing is within this share of it.
const PITCH_TOLERANCE: f64 = 0.15;
/// Images above this many pixels are binned for the search.
const MAX_SEARCH_PIXELS: usize = 1 << 16;

/// Bounding box of one blob: columns `[x0, x1)`, rows `[y0, y1)`.
#[derive(Debug, Clone, Copy)]
struct Blob {
    x0: usize,
    x1: usize,
    y0: usize,
    y1: usize,
    /// The most rows the blob holds in any one column: a row of bands that tilts or smiles is
    /// no taller than its bands in every column, however tall its bounding box.
    tallest_column: usize,
}

impl Blob {
    fn width(&self) -> usize {
        self.x1 - self.x0
    }
    fn height(&self) -> usize {
        self.y1 - self.y0
    }
    fn centre_x(&self) -> f64 {
        0.5 * (self.x0 + self.x1) as f64
    }
    fn centre_y(&self) -> f64 {
        0.5 * (self.y0 + self.y1) as f64
    }

    /// True when the two blobs share a row of bands: either's centre row lies within the
    /// other's rows.
    fn same_row(&self, other: &Blob) -> bool {
        let within = |b: &Blob, y: f64| (b.y0 as f64..=b.y1 as f64).contains(&y);
        within(other, self.centre_y()) || within(self, other.centre_y())
    }
}

/// The row with the most evenly spaced bands of one width; `None` when no row holds three.
pub fn find(corrected: &Array2<f32>) -> Option<RowOfBands> {
    Bands::search(corrected)?.evenly_spaced_row()
}

/// Band-shaped blobs of the background-corrected image at each of [`CUTS`], in the searched
/// (binned) image's pixels: searched once, then asked for rows of bands.
pub struct Bands {
    per_cut: Vec<Vec<Blob>>,
    /// Binning of the searched image.
    bin: usize,
}

impl Bands {
    /// The band-shaped blobs of `corrected`; `None` where it is too small or holds no signal.
    pub fn search(corrected: &Array2<f32>) -> Option<Bands> {
        // Large images are searched binned (block means): bands stay several pixels wide, and
        // the search costs a fraction. The binning is by the size of the blot, not of the
        // image: an empty margin or a figure's white space around the blot would bin it
        // coarser, and a gap between bands that no longer holds a whole empty block runs them
        // together (the X-ray film framed by 15 % lost its row of bands). A first look, binned
        // by the whole image's size, finds the box its band-shaped blobs span.
        let first = Searched::binned(corrected.view(), search_bin(corrected.dim()), (0, 0))?;
        let bright = first.bright_end()?;
        let first_cuts: Vec<Vec<Blob>> = CUTS
            .iter()
            .map(|cut| first.band_shaped(cut * bright))
            .collect();
        let Some(searched) = Searched::bands_box(corrected, &first, &first_cuts) else {
            return Some(Bands {
                per_cut: first_cuts,
                bin: first.bin,
            });
        };
        let per_cut = CUTS
            .iter()
            .map(|cut| searched.band_shaped(cut * bright))
            .collect();
        Some(Bands {
            per_cut,
            bin: searched.bin,
        })
    }

    /// The bands whose middle (x, y; image px) `holds`: the others are no bands of a membrane
    /// (a figure's labels and underlines on its paper).
    pub fn within(mut self, holds: impl Fn(f64, f64) -> bool) -> Bands {
        let bin = self.bin as f64;
        for bands in &mut self.per_cut {
            bands.retain(|b| holds(b.centre_x() * bin, b.centre_y() * bin));
        }
        self
    }

    /// The bands that do not reach across all of `columns` (first and last, image px): on a
    /// figure's paper, a blob from one edge of the membrane to the other (to within a pixel
    /// of the search, where a line's edge may fall) is the strip of membrane itself standing
    /// off the paper, or the box drawn around it, no band.
    pub fn narrower_than(mut self, (first, last): (usize, usize)) -> Bands {
        let bin = self.bin;
        for bands in &mut self.per_cut {
            bands.retain(|b| b.x0 * bin > first + bin || (b.x1 + 1) * bin <= last);
        }
        self
    }

    /// At each cut, of the bands at least `min_width` wide (image px): how many a lane
    /// boundary at one of `boundaries` (image px) runs through the middle half of, and how
    /// many there are.
    pub fn split_by(&self, boundaries: &[f64], min_width: f64) -> Vec<(usize, usize)> {
        let bin = self.bin as f64;
        self.per_cut
            .iter()
            .map(|bands| {
                let wide: Vec<(f64, f64)> = bands
                    .iter()
                    .map(|b| (b.x0 as f64 * bin, b.x1 as f64 * bin))
                    .filter(|(x0, x1)| x1 - x0 >= min_width)
                    .collect();
                let split = wide
                    .iter()
                    .filter(|(x0, x1)| {
                        let quarter = (x1 - x0) / 4.0;
                        boundaries
                            .iter()
                            .any(|&b| x0 + quarter < b && b < x1 - quarter)
                    })
                    .count();
                (split, wide.len())
            })
            .collect()
    }

    /// At each cut, of the bands no wider than `max_width` (image px): how many share their
    /// row with another of them between the same two `coarse` lane boundaries but between
    /// other `fine` ones (two bands side by side in one lane of the coarse reading, each in
    /// its own lane of the fine one), and how many there are. Boundaries ascend.
    pub fn side_by_side(
        &self,
        coarse: &[f64],
        fine: &[f64],
        max_width: f64,
    ) -> Vec<(usize, usize)> {
        let bin = self.bin as f64;
        let lane = |boundaries: &[f64], x: f64| boundaries.partition_point(|&b| b <= x);
        self.per_cut
            .iter()
            .map(|bands| {
                let narrow: Vec<&Blob> = bands
                    .iter()
                    .filter(|b| b.width() as f64 * bin <= max_width)
                    .collect();
                let beside = narrow
                    .iter()
                    .filter(|a| {
                        let x = a.centre_x() * bin;
                        narrow.iter().any(|b| {
                            let other_x = b.centre_x() * bin;
                            a.same_row(b)
                                && lane(coarse, x) == lane(coarse, other_x)
                                && lane(fine, x) != lane(fine, other_x)
                        })
                    })
                    .count();
                (beside, narrow.len())
            })
            .collect()
    }

    /// True where the bands show the lanes of `grid`, as a cue independent of its column
    /// profile: at the cut that shows the most bands no wider than its pitch between its outer
    /// lanes' edges, every one of them lies centred in a lane's box (at the band's row, where
    /// lanes lean), no two of one row in one lane, and they stand in at least half its lanes.
    /// A band lies in one lane and a lane holds one band per row: a grid a lane off puts
    /// some of them between its boxes, a grid too coarse two of a row in one box.
    pub fn show_lanes_of(&self, grid: &super::LaneGrid) -> bool {
        let (Some(first), Some(last)) = (grid.lanes.first(), grid.lanes.last()) else {
            return false;
        };
        let bin = self.bin as f64;
        let span = (first.x_center - first.width / 2.0)..=(last.x_center + last.width / 2.0);
        let narrow_in_span = |bands: &Vec<Blob>| -> Vec<Blob> {
            bands
                .iter()
                .filter(|b| b.width() as f64 * bin <= grid.pitch)
                .filter(|b| span.contains(&(b.centre_x() * bin)))
                .copied()
                .collect()
        };
        let Some(bands) = self
            .per_cut
            .iter()
            .map(narrow_in_span)
            .reduce(|most, next| if next.len() > most.len() { next } else { most })
        else {
            return false;
        };
        let lane_of = |b: &Blob| {
            let (x, y) = (b.centre_x() * bin, b.centre_y() * bin);
            grid.lanes
                .iter()
                .position(|lane| (x - lane.x_at(y)).abs() <= lane.width / 2.0)
        };
        let Some(lanes) = bands.iter().map(lane_of).collect::<Option<Vec<usize>>>() else {
            return false;
        };
        let two_in_a_row = (0..bands.len()).any(|i| {
            (i + 1..bands.len()).any(|j| lanes[i] == lanes[j] && bands[i].same_row(&bands[j]))
        });
        let mut holding = lanes;
        holding.sort_unstable();
        holding.dedup();
        !holding.is_empty() && !two_in_a_row && 2 * holding.len() >= grid.lanes.len()
    }

    /// How many bands (blobs no wider than `max_width`) centre in columns `from..to` (image
    /// px), at the cut that shows the most there.
    pub fn count_within(&self, from: f64, to: f64, max_width: f64) -> usize {
        let bin = self.bin as f64;
        self.per_cut
            .iter()
            .map(|bands| {
                bands
                    .iter()
                    .filter(|b| b.width() as f64 * bin <= max_width)
                    .filter(|b| (from..to).contains(&(b.centre_x() * bin)))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    /// How many lanes the bands no wider than `pitch` that centre in columns `from..to` (image
    /// px), at any cut, stand in, leaving out the bands across row `except_row` (image px):
    /// their centres counted in groups, a group's centres within half a pitch of its first.
    pub fn lanes_shown_within(&self, from: f64, to: f64, pitch: f64, except_row: usize) -> usize {
        let bin = self.bin as f64;
        let mut centres: Vec<f64> = self
            .per_cut
            .iter()
            .flatten()
            .filter(|b| b.width() as f64 * bin <= pitch)
            .filter(|b| !(b.y0 * self.bin..b.y1 * self.bin).contains(&except_row))
            .map(|b| b.centre_x() * bin)
            .filter(|x| (from..to).contains(x))
            .collect();
        centres.sort_by(f64::total_cmp);
        let mut groups = 0;
        let mut first = f64::NEG_INFINITY;
        for x in centres {
            if x - first > pitch / 2.0 {
                groups += 1;
                first = x;
            }
        }
        groups
    }

    /// The lanes of bands that `outside` says lie outside a grid, each as its first band's
    /// centre (image px): at each cut, the bands no wider than `pitch` centred where
    /// `outside` holds, grouped into lanes (a group's centres within half a pitch of its
    /// first); the groups holding at least `min_bands` bands at the cut that shows the most.
    pub fn lanes_of_bands_where(
        &self,
        outside: impl Fn(f64) -> bool,
        pitch: f64,
        min_bands: usize,
    ) -> Vec<f64> {
        let bin = self.bin as f64;
        let groups_at = |bands: &Vec<Blob>| -> Vec<(f64, usize)> {
            let mut centres: Vec<f64> = bands
                .iter()
                .filter(|b| b.width() as f64 * bin <= pitch)
                .map(|b| b.centre_x() * bin)
                .filter(|&x| outside(x))
                .collect();
            centres.sort_by(f64::total_cmp);
            let mut groups: Vec<(f64, usize)> = Vec::new();
            for x in centres {
                match groups.last_mut() {
                    Some((first, count)) if x - *first <= pitch / 2.0 => *count += 1,
                    _ => groups.push((x, 1)),
                }
            }
            groups
        };
        let most = |groups: &Vec<(f64, usize)>| groups.iter().map(|g| g.1).max().unwrap_or(0);
        self.per_cut
            .iter()
            .map(groups_at)
            .max_by_key(most)
            .unwrap_or_default()
            .into_iter()
            .filter(|&(_, count)| count >= min_bands)
            .map(|(x, _)| x)
            .collect()
    }

    /// The row with the most evenly spaced bands of one width, over all cuts; `None` when no
    /// row holds three.
    pub fn evenly_spaced_row(&self) -> Option<RowOfBands> {
        let mut best: Option<RowOfBands> = None;
        for bands in &self.per_cut {
            for seed in bands {
                if let Some(found) = evenly_spaced(same_row(bands, seed), self.bin as f64) {
                    if best
                        .as_ref()
                        .is_none_or(|b| found.centres.len() > b.centres.len())
                    {
                        best = Some(found);
                    }
                }
            }
        }
        best
    }

    /// Every run of at least three bands, each no wider than `pitch`, side by side `pitch`
    /// apart (within [`PITCH_TOLERANCE`]; a speck between two of them does not break the run),
    /// at any cut: bands that show lanes of that pitch in two dimensions.
    pub fn rows_at_pitch(&self, pitch: f64) -> Vec<RowOfBands> {
        let bin = self.bin as f64;
        let mut runs = Vec::new();
        for bands in &self.per_cut {
            for seed in bands {
                let mut row: Vec<Blob> = same_row(bands, seed)
                    .into_iter()
                    .filter(|b| b.width() as f64 * bin <= pitch)
                    .collect();
                row.sort_by_key(|b| b.x0);
                // Each band's successor: the band a pitch to its right (the nearest to exactly
                // a pitch), over any speck between them.
                let off_pitch = |i: usize, j: usize| {
                    ((row[j].centre_x() - row[i].centre_x()) * bin - pitch).abs()
                };
                let successor: Vec<Option<usize>> = (0..row.len())
                    .map(|i| {
                        (i + 1..row.len())
                            .filter(|&j| off_pitch(i, j) <= PITCH_TOLERANCE * pitch)
                            .min_by(|&a, &b| off_pitch(i, a).total_cmp(&off_pitch(i, b)))
                    })
                    .collect();
                // Runs start at bands no other band leads to.
                let starts = (0..row.len()).filter(|i| !successor.contains(&Some(*i)));
                for start in starts {
                    let mut run = vec![row[start]];
                    let mut at = start;
                    while let Some(next) = successor[at] {
                        run.push(row[next]);
                        at = next;
                    }
                    if run.len() >= MIN_BANDS {
                        runs.push(as_row(&run, bin));
                    }
                }
            }
        }
        // Every seed of a row, at every cut that keeps it, finds the same run: once each.
        runs.sort_by(|a, b| a.centres.partial_cmp(&b.centres).expect("finite centres"));
        runs.dedup_by(|a, b| a.centres == b.centres);
        runs
    }

    /// Every row of merged bands at lanes `pitch` apart: a blob at least
    /// [`MIN_MERGED_LANES`] pitches wide and in no column more than a pitch high (an
    /// overloaded loading control whose bands touch, tilted or smiling as it may be, where a
    /// frame's outline is a whole side high), and no drawn line (at least
    /// [`MIN_BAND_THICKNESS_PX`] high at half height in `corrected`), at any cut, each once.
    /// Its lanes show only as dips between them, or not at all where the bands run together.
    pub fn merged_rows(&self, corrected: &Array2<f32>, pitch: f64) -> Vec<MergedRow> {
        let bin = self.bin as f64;
        let mut rows: Vec<MergedRow> = self
            .per_cut
            .iter()
            .flatten()
            .filter(|b| {
                b.width() as f64 * bin >= MIN_MERGED_LANES * pitch
                    && b.tallest_column as f64 * bin <= pitch
            })
            .filter(|b| {
                let row = (b.centre_y() * bin - 0.5).max(0.0).round() as usize;
                let thickness = band_thickness(corrected, b.centre_x() * bin - 0.5, pitch, row);
                thickness >= MIN_BAND_THICKNESS_PX
            })
            .map(|b| MergedRow {
                rows: (b.y0 * self.bin, b.y1 * self.bin),
                columns: (b.x0 * self.bin, b.x1 * self.bin),
            })
            .collect();
        rows.sort_unstable_by_key(|r| (r.rows, r.columns));
        rows.dedup();
        rows
    }
}

/// A row of bands that touch, as [`Bands::merged_rows`] finds it (its bounding box).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergedRow {
    /// Rows `[first, end)`.
    pub rows: (usize, usize),
    /// Columns `[first, end)`.
    pub columns: (usize, usize),
}

impl MergedRow {
    /// True where the row runs across the middle half of a lane `width` wide at `x` (a row's
    /// blurred end may fall short of the lane's edge).
    pub fn runs_across_middle(&self, x: f64, width: f64) -> bool {
        self.columns.0 as f64 <= x - width / 4.0 && x + width / 4.0 <= self.columns.1 as f64
    }
}

/// A row of merged bands spans at least this many lanes.
const MIN_MERGED_LANES: f64 = 3.0;

/// The bands of `bands` in `seed`'s row.
fn same_row(bands: &[Blob], seed: &Blob) -> Vec<Blob> {
    bands.iter().filter(|b| b.same_row(seed)).copied().collect()
}

/// The bands of `row` within the width tolerance, if they are at least three, do not
/// overlap and are evenly spaced.
fn evenly_spaced(mut row: Vec<Blob>, bin: f64) -> Option<RowOfBands> {
    if row.len() < MIN_BANDS {
        return None;
    }
    row.sort_by_key(|b| b.x0);
    let widths: Vec<f64> = row.iter().map(|b| b.width() as f64).collect();
    let median_width = stats::median(&widths);
    row.retain(|b| (b.width() as f64 - median_width).abs() <= WIDTH_TOLERANCE * median_width);
    if row.len() < MIN_BANDS || row.windows(2).any(|p| p[1].x0 < p[0].x1) {
        return None;
    }
    let found = as_row(&row, bin);
    let spacings: Vec<f64> = found.centres.windows(2).map(|p| p[1] - p[0]).collect();
    (stats::mean(&spacings) > 0.0 && stats::coefficient_of_variation(&spacings) <= MAX_SPACING_CV)
        .then_some(found)
}

/// The row of bands `row` (left to right, binned by `bin`) in the image's own pixels.
fn as_row(row: &[Blob], bin: f64) -> RowOfBands {
    // The blob covers columns x0·bin to x1·bin − 1.
    let centres: Vec<f64> = row.iter().map(|b| b.centre_x() * bin - 0.5).collect();
    let spacings: Vec<f64> = centres.windows(2).map(|p| p[1] - p[0]).collect();
    let widths: Vec<f64> = row.iter().map(|b| b.width() as f64 * bin).collect();
    RowOfBands {
        rows: row
            .iter()
            .map(|b| (b.centre_y() * bin - 0.5).max(0.0).round() as usize)
            .collect(),
        pitch: stats::median(&spacings),
        band_width: stats::median(&widths),
        centres,
    }
}

/// How much an image `(height, width)` px is binned for the search: to at most
/// [`MAX_SEARCH_PIXELS`].
fn search_bin((height, width): (usize, usize)) -> usize {
    ((height * width) as f64 / MAX_SEARCH_PIXELS as f64)
        .sqrt()
        .ceil()
        .max(1.0) as usize
}

/// The background-corrected image binned for the band search.
struct Searched {
    image: ImageBuffer<Luma<f32>, Vec<f32>>,
    bin: usize,
    /// Where the searched part starts in the whole image, in blocks (x, y).
    origin: (usize, usize),
}

impl Searched {
    /// `corrected` binned by `bin` (block means), not blurred: the search sees the same
    /// pixels whether an image was stored large (and is binned here) or stored already
    /// binned. A blur of 1.5 px on images stored small only filled the gaps between bands that
    /// the same image stored large kept (synthetic `crescent` binned 2x2 or 3x3 lost its
    /// lanes). `origin`: where `corrected` starts in the whole image, in blocks. `None` where
    /// that leaves under 3 × 3 pixels.
    fn binned(corrected: ArrayView2<f32>, bin: usize, origin: (usize, usize)) -> Option<Searched> {
        let (height, width) = (corrected.nrows() / bin, corrected.ncols() / bin);
        if height < 3 || width < 3 {
            return None;
        }
        let image =
            ImageBuffer::from_raw(width as u32, height as u32, block_means(corrected, bin))?;
        Some(Searched { image, bin, origin })
    }

    /// The box the blobs `found` on the `first` look span, a block of it wider on every
    /// side, binned by its own size; `None` where that is the first look's binning (its blobs
    /// stand) or nothing was found. The box is searched alone (the search's cost stays the
    /// blot's), cut at whole blocks of its binning so that its blobs keep their places in the
    /// whole image (they are cut at the whole image's bright end).
    fn bands_box(
        corrected: &Array2<f32>,
        first: &Searched,
        found: &[Vec<Blob>],
    ) -> Option<Searched> {
        let (x0, x1, y0, y1) = found
            .iter()
            .flatten()
            .map(|b| (b.x0, b.x1, b.y0, b.y1))
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1), a.2.min(b.2), a.3.max(b.3)))?;
        let (height, width) = corrected.dim();
        let b = first.bin;
        let (x0, y0) = ((x0 * b).saturating_sub(b), (y0 * b).saturating_sub(b));
        let (x1, y1) = (((x1 + 1) * b).min(width), ((y1 + 1) * b).min(height));
        let bin = search_bin((y1 - y0, x1 - x0));
        if bin == first.bin {
            return None;
        }
        let (x0, y0) = (x0 / bin * bin, y0 / bin * bin);
        let inside = corrected.slice(ndarray::s![y0..y1, x0..x1]);
        Searched::binned(inside, bin, (x0 / bin, y0 / bin))
    }

    /// The bright end of the image: its 99.5th percentile; `None` where that is not above 0.
    fn bright_end(&self) -> Option<f32> {
        let mut sample = stats::sample_evenly(self.image.as_raw().iter(), 1 << 18);
        let rank = ((sample.len() - 1) as f64 * 0.995).round() as usize;
        let bright = stats::order_statistics_f32(&mut sample, &[rank])[0];
        (bright > 0.0).then_some(bright)
    }

    /// The band-shaped blobs above `level` (a lane-long streak is not a band), placed in the
    /// whole image's blocks.
    fn band_shaped(&self, level: f32) -> Vec<Blob> {
        let (ox, oy) = self.origin;
        blobs(&self.image, level)
            .into_iter()
            .filter(|b| {
                b.width() >= MIN_BAND_WIDTH && b.width() as f64 >= MIN_ASPECT * b.height() as f64
            })
            .map(|b| Blob {
                x0: b.x0 + ox,
                x1: b.x1 + ox,
                y0: b.y0 + oy,
                y1: b.y1 + oy,
                ..b
            })
            .collect()
    }
}

/// Means of the `bin`×`bin` blocks of `image` (row-major; a partial block at the right or
/// bottom edge is left out), summed row by row so memory is read in order, each row a block
/// of `bin` pixels at a time (a division per pixel cost more than the sums).
pub(super) fn block_means(image: ArrayView2<f32>, bin: usize) -> Vec<f32> {
    let (height, width) = (image.nrows() / bin, image.ncols() / bin);
    let mut means = vec![0f32; height * width];
    for (y, row) in image.rows().into_iter().enumerate().take(height * bin) {
        let sums = &mut means[(y / bin) * width..(y / bin + 1) * width];
        match row.as_slice() {
            Some(pixels) => {
                for (sum, block) in sums.iter_mut().zip(pixels.chunks_exact(bin)) {
                    for &v in block {
                        *sum += v;
                    }
                }
            }
            None => {
                for (x, sum) in sums.iter_mut().enumerate() {
                    for &v in row.slice(ndarray::s![x * bin..(x + 1) * bin]) {
                        *sum += v;
                    }
                }
            }
        }
    }
    let area = (bin * bin) as f32;
    means.iter_mut().for_each(|m| *m /= area);
    means
}

/// Bounding boxes of the 8-connected blobs of pixels above `level`.
fn blobs(image: &ImageBuffer<Luma<f32>, Vec<f32>>, level: f32) -> Vec<Blob> {
    let above: Vec<u8> = image
        .as_raw()
        .iter()
        .map(|&v| u8::from(v > level))
        .collect();
    let mask = ImageBuffer::<Luma<u8>, Vec<u8>>::from_raw(image.width(), image.height(), above)
        .expect("one value per pixel");
    let labels = connected_components(&mask, Connectivity::Eight, Luma([0u8]));
    let mut boxes: Vec<Option<Blob>> = Vec::new();
    // Column by column, so that each blob's rows in one column are counted together.
    let mut in_column: Vec<usize> = Vec::new();
    let mut touched: Vec<usize> = Vec::new();
    for x in 0..labels.width() {
        for y in 0..labels.height() {
            let label = labels.get_pixel(x, y)[0] as usize;
            if label == 0 {
                continue;
            }
            if boxes.len() < label {
                boxes.resize(label, None);
                in_column.resize(label, 0);
            }
            let (x, y) = (x as usize, y as usize);
            let b = boxes[label - 1].get_or_insert(Blob {
                x0: x,
                x1: x + 1,
                y0: y,
                y1: y + 1,
                tallest_column: 0,
            });
            b.x0 = b.x0.min(x);
            b.x1 = b.x1.max(x + 1);
            b.y0 = b.y0.min(y);
            b.y1 = b.y1.max(y + 1);
            if in_column[label - 1] == 0 {
                touched.push(label - 1);
            }
            in_column[label - 1] += 1;
        }
        for i in touched.drain(..) {
            if let Some(b) = boxes[i].as_mut() {
                b.tallest_column = b.tallest_column.max(in_column[i]);
            }
            in_column[i] = 0;
        }
    }
    boxes.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Block means are each block's pixels summed row by row, left to right, over its area:
    /// the same to the last bit for an image whose rows lie in memory in order and for one
    /// whose rows do not (a transposed view), a partial block at the edges left out.
    #[test]
    fn block_means_sum_each_block_in_reading_order() {
        let image = Array2::from_shape_fn((23, 31), |(y, x)| {
            ((y * 37 + x * 11) % 17) as f32 * 0.37 + (x as f32).sqrt()
        });
        let bin = 3;
        let by_hand = |view: ArrayView2<f32>| -> Vec<f32> {
            let (height, width) = (view.nrows() / bin, view.ncols() / bin);
            let mut means = Vec::new();
            for by in 0..height {
                for bx in 0..width {
                    let mut sum = 0f32;
                    for y in by * bin..(by + 1) * bin {
                        for x in bx * bin..(bx + 1) * bin {
                            sum += view[[y, x]];
                        }
                    }
                    means.push(sum / (bin * bin) as f32);
                }
            }
            means
        };
        assert_eq!(block_means(image.view(), bin), by_hand(image.view()));
        let transposed = image.t();
        assert!(transposed.row(0).as_slice().is_none());
        assert_eq!(block_means(transposed, bin), by_hand(transposed));
    }

    /// Bands (value 100) `width` wide and 8 rows high, centred at `centres`, in a 60-row image.
    fn bands_at(width: usize, centres: &[f64], band_width: usize) -> Array2<f32> {
        let mut image = Array2::zeros((60, width));
        for &c in centres {
            let x0 = (c - band_width as f64 / 2.0).round() as usize;
            for y in 26..34 {
                for x in x0..x0 + band_width {
                    image[[y, x]] = 100.0;
                }
            }
        }
        image
    }

    /// Six lanes 40 px apart, one band 24 px wide in each: the grid on them is shown by the
    /// bands; one moved half a pitch puts bands between its boxes, one at twice the pitch two
    /// of a row in one box, and neither is.
    #[test]
    fn bands_show_the_lanes_they_lie_in_and_no_other_grid() {
        let centres = [40.0, 80.0, 120.0, 160.0, 200.0, 240.0];
        let image = bands_at(280, &centres, 24);
        let bands = Bands::search(&image).expect("bands");
        let grid_at = |xs: &[f64], pitch: f64, width: f64| {
            let lanes = xs
                .iter()
                .enumerate()
                .map(|(i, &x)| crate::lanes::Lane::upright(i + 1, x, width, true))
                .collect();
            crate::lanes::grid_of(lanes, pitch, &image)
        };
        assert!(bands.show_lanes_of(&grid_at(&centres, 40.0, 30.0)));
        let moved: Vec<f64> = centres.iter().map(|c| c + 20.0).collect();
        assert!(!bands.show_lanes_of(&grid_at(&moved, 40.0, 30.0)));
        assert!(!bands.show_lanes_of(&grid_at(&[60.0, 140.0, 220.0], 80.0, 76.0)));
    }

    #[test]
    fn an_empty_margin_around_the_blot_finds_the_same_row_of_bands() {
        // Seven bands 100 px wide and 40 high, 6 px apart, in an image large enough to be
        // binned for the search; then the same blot with 300 px of empty margin on every
        // side, which binned by the whole image's size (5 × 5 for 3 × 3) would run bands
        // together over gaps that no longer hold a whole empty block.
        let blot = Array2::from_shape_fn((400, 900), |(y, x)| {
            let in_band = x >= 50 && (x - 50) % 106 < 100 && (x - 50) / 106 < 7;
            if (180..220).contains(&y) && in_band {
                100.0
            } else {
                0.0
            }
        });
        let margin = 300;
        let mut framed = Array2::zeros((400 + 2 * margin, 900 + 2 * margin));
        framed
            .slice_mut(ndarray::s![margin..margin + 400, margin..margin + 900])
            .assign(&blot);
        let alone = find(&blot).expect("the blot's row of bands");
        let in_margin = find(&framed).expect("the framed blot's row of bands");
        assert_eq!(alone.centres.len(), 7);
        assert_eq!(in_margin.centres.len(), 7);
        for (a, f) in alone.centres.iter().zip(&in_margin.centres) {
            assert!((f - margin as f64 - a).abs() <= 1.0, "{a} vs {f}");
        }
    }

    #[test]
    fn finds_the_spacing_and_width_of_a_row_of_bands() {
        let centres = [40.0, 100.0, 160.0, 220.0, 280.0];
        let row = find(&bands_at(320, &centres, 44)).expect("a row of five bands");
        assert_eq!(row.centres.len(), 5);
        assert!((row.pitch - 60.0).abs() <= 1.0, "pitch {}", row.pitch);
        assert!(
            (row.band_width - 44.0).abs() <= 4.0,
            "width {}",
            row.band_width
        );
    }

    /// A strip of membrane on a figure's paper, columns 20-179, with a box drawn around it
    /// (lines 2 px wide) and four bands 23 px wide inside.
    fn framed_strip() -> Array2<f32> {
        Array2::from_shape_fn((80, 200), |(y, x)| {
            let (in_rows, in_columns) = ((20..60).contains(&y), (20..180).contains(&x));
            let inside = (22..58).contains(&y) && (22..178).contains(&x);
            let on_box = in_rows && in_columns && !inside;
            let on_band = (36..44).contains(&y)
                && [50.0, 90.0, 130.0, 160.0]
                    .iter()
                    .any(|&c| (x as f64 - c).abs() < 12.0);
            if on_box || on_band {
                100.0
            } else {
                0.0
            }
        })
    }

    #[test]
    fn a_box_around_the_strip_is_no_band_and_its_bands_are() {
        let bands = Bands::search(&framed_strip()).expect("bands");
        let widest = |bands: &Bands| {
            bands
                .per_cut
                .iter()
                .flatten()
                .map(|b| b.width() * bands.bin)
                .max()
        };
        assert_eq!(widest(&bands), Some(160));
        let inside = bands.narrower_than((20, 179));
        assert_eq!(widest(&inside), Some(23));
        assert!(inside.per_cut.iter().all(|cut| cut.len() == 4));
    }

    #[test]
    fn a_boundary_through_a_bands_middle_half_splits_it() {
        // Five bands 44 px wide, 60 px apart: boundaries between them split none; boundaries
        // through their centres (a grid at half the pitch) split all; one 8 px inside a band's
        // edge (in its outer quarter) splits none.
        let centres = [40.0, 100.0, 160.0, 220.0, 280.0];
        let bands = Bands::search(&bands_at(320, &centres, 44)).expect("bands");
        let between = [70.0, 130.0, 190.0, 250.0];
        let per_cut = bands.split_by(&between, 30.0);
        assert_eq!(per_cut.len(), CUTS.len());
        assert!(per_cut.iter().all(|&(split, of)| split == 0 && of == 5));
        assert!(bands.split_by(&centres, 30.0).iter().all(|&c| c == (5, 5)));
        assert!(bands.split_by(&[26.0], 30.0).iter().all(|&(s, _)| s == 0));
        // Bands narrower than the width asked for are not counted.
        assert!(bands.split_by(&centres, 50.0).iter().all(|&c| c == (0, 0)));
    }

    #[test]
    fn lines_one_row_high_are_drawn_lines_and_bands_are_not() {
        let centres = [40.0, 100.0, 160.0, 220.0, 280.0];
        let bands = bands_at(320, &centres, 44);
        let row = find(&bands).expect("a row of five bands");
        assert!(!row.is_drawn_lines(&bands));
        // The same bars one row high, as a figure's label underlines.
        let mut lines = Array2::zeros((60, 320));
        for &c in &centres {
            for x in (c as usize - 22)..(c as usize + 22) {
                lines[[30, x]] = 100.0;
            }
        }
        assert!(row.is_drawn_lines(&lines));
    }

    #[test]
    fn a_line_across_the_lanes_is_no_row_of_merged_bands() {
        // Bands 8 rows high touching across 200 columns (rows 20–27), and a line one row high
        // as long (row 45).
        let mut image = Array2::zeros((60, 240));
        image.slice_mut(ndarray::s![20..28, 20..220]).fill(100.0);
        image.slice_mut(ndarray::s![45..46, 20..220]).fill(100.0);
        let rows = Bands::search(&image).unwrap().merged_rows(&image, 40.0);
        assert!(!rows.is_empty());
        assert!(
            rows.iter().all(|r| r.rows.0 < 28 && r.rows.1 > 20),
            "{rows:?}"
        );
    }

    #[test]
    fn unevenly_spaced_or_too_few_bands_are_no_row() {
        assert!(find(&bands_at(320, &[40.0, 100.0, 250.0, 280.0], 20)).is_none());
        assert!(find(&bands_at(320, &[40.0, 100.0], 20)).is_none());
        assert!(find(&Array2::zeros((40, 40))).is_none());
    }

    #[test]
    fn runs_of_bands_at_a_given_pitch_are_found_and_wider_bands_are_not() {
        let centres = [40.0, 80.0, 120.0, 160.0];
        let bands = Bands::search(&bands_at(320, &centres, 24)).expect("bands");
        let runs = bands.rows_at_pitch(40.0);
        assert!(!runs.is_empty());
        for run in &runs {
            assert_eq!(run.centres.len(), 4, "{run:?}");
            for (found, c) in run.centres.iter().zip(centres) {
                assert!((found - c).abs() <= 1.0, "{run:?}");
            }
        }
        // Not at another pitch, nor where the bands are wider than the pitch.
        assert!(bands.rows_at_pitch(60.0).is_empty());
        assert!(bands.rows_at_pitch(20.0).is_empty());
    }

    #[test]
    fn a_speck_between_two_bands_does_not_break_their_run() {
        let centres = [40.0, 100.0, 160.0, 220.0];
        let mut image = bands_at(320, &centres, 24);
        // A speck 12 px wide and 3 rows high between the second and third bands.
        for y in 29..32 {
            for x in 124..136 {
                image[[y, x]] = 100.0;
            }
        }
        let runs = Bands::search(&image).expect("bands").rows_at_pitch(60.0);
        let full = runs.iter().find(|run| run.centres.len() == 4);
        assert!(full.is_some(), "{runs:?}");
    }
}
