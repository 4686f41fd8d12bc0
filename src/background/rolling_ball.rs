//! Rolling-ball background after Sternberg (1983), computed the way ImageJ 1.x's
//! Process › Subtract Background does it, so that results agree with ImageJ pixel for pixel
//! (within one grey level from float rounding):
//!
//! 1. optional 3×3 mean pre-smoothing (separable, x pass then y pass, edges replicated);
//! 2. for radii above 10 px, shrinking by block minima (factor 2, 4 or 8 by radius);
//! 3. a ball of the (shrunk) radius, trimmed to a square patch, rolled under the image: every
//!    ball position, including positions up to the patch half-width outside the image, rises
//!    until it touches the data, and each pixel takes the highest ball surface above it (a
//!    grey-scale opening with a non-flat structuring element);
//! 4. bilinear enlargement back to full size, extrapolating linearly at the borders.
//!
//! All arithmetic is in `f32`, as in ImageJ. The ball's heights are in pixel units of the
//! shrunk image, so on 16-bit data the ball is nearly a flat disk.

use ndarray::Array2;
use rayon::prelude::*;

use super::kernels;
use crate::io::rows::RowSource;

/// ImageJ's shrink factor and ball trim (per cent of the radius) for a ball radius.
pub fn shrink_and_trim(radius: f64) -> (usize, f64) {
    if radius <= 10.0 {
        (1, 24.0)
    } else if radius <= 30.0 {
        (2, 24.0)
    } else if radius <= 100.0 {
        (4, 32.0)
    } else {
        (8, 40.0)
    }
}

impl<S: ndarray::Data<Elem = f32> + Sync> RowSource for ndarray::ArrayBase<S, ndarray::Ix2> {
    fn width(&self) -> usize {
        self.ncols()
    }
    fn height(&self) -> usize {
        self.nrows()
    }
    fn read_row(&self, y: usize, out: &mut [f32]) {
        let row = self.row(y);
        match row.as_slice() {
            Some(values) => out.copy_from_slice(values),
            None => out.iter_mut().zip(row).for_each(|(o, v)| *o = *v),
        }
    }
}

/// The rolled background in its small (shrunk) form, with what it takes to enlarge it.
pub struct RolledBackground {
    small: Array2<f32>,
    factor: usize,
    width: usize,
    height: usize,
    /// For each full-resolution column, the small column left of it and that column's weight.
    columns: Vec<(usize, f32)>,
}

/// The two small rows a run of background rows is interpolated between, already enlarged
/// along x. Rows asked for in order reuse them, so each small row is enlarged about once per
/// run instead of being kept enlarged for the whole image (a full-width copy of every small
/// row would be half the size of a 16-bit image).
pub struct EnlargedLines {
    index: Option<usize>,
    upper: Vec<f32>,
    lower: Vec<f32>,
}

impl EnlargedLines {
    /// No small row enlarged yet: the first [`RolledBackground::row`] call fills both.
    pub fn new() -> EnlargedLines {
        EnlargedLines {
            index: None,
            upper: Vec::new(),
            lower: Vec::new(),
        }
    }
}

impl Default for EnlargedLines {
    fn default() -> Self {
        EnlargedLines::new()
    }
}

impl RolledBackground {
    /// Writes background row `y` (full resolution) into `out`: ImageJ's bilinear enlargement,
    /// interpolating along x within the two small rows, then along y between them. `lines`
    /// carries the x-interpolated rows from one call to the next.
    pub fn row(&self, y: usize, out: &mut [f32], lines: &mut EnlargedLines) {
        if self.factor == 1 {
            out.copy_from_slice(self.small.row(y).as_slice().expect("standard layout"));
            return;
        }
        let (sh, sw) = self.small.dim();
        if sh < 2 || sw < 2 {
            // Too small to interpolate: hold the value of the nearest small pixel.
            let sy = (y / self.factor).min(sh - 1);
            for (x, o) in out.iter_mut().enumerate() {
                *o = self.small[[sy, (x / self.factor).min(sw - 1)]];
            }
            return;
        }
        let (j, wy) = interpolation_at(y, sh, self.factor);
        if lines.index != Some(j) {
            if lines.index.map(|i| i + 1) == Some(j) {
                std::mem::swap(&mut lines.upper, &mut lines.lower);
            } else {
                self.enlarge_along_x(j, &mut lines.upper);
            }
            self.enlarge_along_x(j + 1, &mut lines.lower);
            lines.index = Some(j);
        }
        for ((o, &a), &b) in out.iter_mut().zip(&lines.upper).zip(&lines.lower) {
            *o = a * wy + b * (1.0 - wy);
        }
    }

    /// Small row `j` interpolated along x to full width (ImageJ's first enlargement step).
    fn enlarge_along_x(&self, j: usize, out: &mut Vec<f32>) {
        let row = self.small.row(j);
        out.clear();
        out.extend(
            self.columns
                .iter()
                .map(|&(i, wx)| row[i] * wx + row[i + 1] * (1.0 - wx)),
        );
    }

    /// A background already at full resolution.
    pub fn full(background: Array2<f32>) -> RolledBackground {
        let (height, width) = background.dim();
        RolledBackground {
            small: background,
            factor: 1,
            width,
            height,
            columns: Vec::new(),
        }
    }

    /// The whole background as an array.
    pub fn to_array(&self) -> Array2<f32> {
        const ROWS: usize = 16;
        let mut out = vec![0.0; self.height * self.width];
        out.par_chunks_mut(ROWS * self.width)
            .enumerate()
            .for_each(|(chunk, rows)| {
                let mut lines = EnlargedLines::new();
                for (i, row) in rows.chunks_mut(self.width).enumerate() {
                    self.row(chunk * ROWS + i, row, &mut lines);
                }
            });
        Array2::from_shape_vec((self.height, self.width), out).expect("buffer matches shape")
    }
}

/// The background surface under `image` (same shape) for a ball of `radius` pixels, with bands
/// brighter than the background. `smoothing` is ImageJ's pre-smoothing (on unless "disable").
pub fn background(image: &Array2<f32>, radius: f64, smoothing: bool) -> Array2<f32> {
    // Rows are read in memory order: a copy only where the image is not laid out by rows.
    let image = image.as_standard_layout();
    roll(&image, radius, smoothing).to_array()
}

/// Smooths (optionally), shrinks and rolls the ball; the result enlarges row by row.
pub fn roll(source: &dyn RowSource, radius: f64, smoothing: bool) -> RolledBackground {
    let (factor, trim) = shrink_and_trim(radius);
    let ball = Ball::new(radius / factor as f64, trim);
    let small = shrink_smoothed(source, factor, smoothing);
    let rolled = roll_ball(&small, &ball);
    let small_width = rolled.ncols();
    let columns = (0..source.width())
        .map(|x| interpolation_at(x, small_width, factor))
        .collect();
    RolledBackground {
        small: rolled,
        factor,
        width: source.width(),
        height: source.height(),
        columns,
    }
}

/// The (smoothed) image shrunk by block minima: each small pixel is the minimum of its
/// `factor`×`factor` block (partial blocks at the right and bottom edges). Factor 1 gives the
/// smoothed image itself. ImageJ's 3×3 mean is separable: a 3-tap mean along each row (edge
/// pixel repeated), then along each column of those results; the column pass is folded into
/// the block minimum so no smoothed row is stored.
fn shrink_smoothed(source: &dyn RowSource, factor: usize, smoothing: bool) -> Array2<f32> {
    let (w, h) = (source.width(), source.height());
    let (sh, sw) = (h.div_ceil(factor), w.div_ceil(factor));
    // Small rows in chunks, so the rows at a chunk's edges are smoothed once per chunk.
    const SMALL_ROWS: usize = 16;
    let mut small = vec![f32::MAX; sh * sw];
    small
        .par_chunks_mut(SMALL_ROWS * sw)
        .enumerate()
        .for_each(|(chunk, out)| {
            let first = chunk * SMALL_ROWS * factor;
            let last = (first + out.len() / sw * factor).min(h) - 1;
            let (lo, hi) = if smoothing {
                (first.saturating_sub(1), (last + 1).min(h - 1))
            } else {
                (first, last)
            };
            // Rows lo..=hi, smoothed along x when smoothing is on.
            let mut across = vec![0.0f32; (hi - lo + 1) * w];
            let mut raw = vec![0.0f32; w];
            for (row, y) in across.chunks_mut(w).zip(lo..=hi) {
                if smoothing {
                    source.read_row(y, &mut raw);
                    kernels::mean3_row(&raw, row);
                } else {
                    source.read_row(y, row);
                }
            }
            let line = |y: usize| &across[(y - lo) * w..(y - lo + 1) * w];
            let mut column_min = vec![f32::MAX; w];
            for (i, out_row) in out.chunks_mut(sw).enumerate() {
                let y0 = first + i * factor;
                column_min.fill(f32::MAX);
                for y in y0..(y0 + factor).min(h) {
                    if smoothing {
                        let (above, here, below) =
                            (line(y.saturating_sub(1)), line(y), line((y + 1).min(h - 1)));
                        kernels::lower_to_mean3(&mut column_min, above, here, below);
                    } else {
                        kernels::lower_to(&mut column_min, line(y), 0.0);
                    }
                }
                for (o, cells) in out_row.iter_mut().zip(column_min.chunks(factor)) {
                    *o = cells
                        .iter()
                        .fold(f32::MAX, |m, &v| if v < m { v } else { m });
                }
            }
        });
    Array2::from_shape_vec((sh, sw), small).expect("buffer matches shape")
}

/// The ball: a square patch of side `2·half + 1` holding the sphere's height above its
/// equator (0 where the patch corner lies outside the sphere).
struct Ball {
    half: usize,
    z: Vec<f32>,
}

impl Ball {
    fn new(radius: f64, trim_percent: f64) -> Ball {
        let r = radius.max(1.0);
        // ImageJ truncates the trim to whole pixels (integer division by 100).
        let trim = (trim_percent * r).floor() / 100.0;
        let trim = trim.floor();
        let half = (r - trim).round().max(0.0) as usize;
        let side = 2 * half + 1;
        let mut z = Vec::with_capacity(side * side);
        for y in 0..side {
            for x in 0..side {
                let (dx, dy) = (x as f64 - half as f64, y as f64 - half as f64);
                let squared = r * r - dx * dx - dy * dy;
                z.push(if squared > 0.0 {
                    squared.sqrt() as f32
                } else {
                    0.0
                });
            }
        }
        Ball { half, z }
    }

    fn side(&self) -> usize {
        2 * self.half + 1
    }
}

/// Rolls the ball under `image`: for every ball centre (including centres up to `half` pixels
/// outside the image) the ball rises until it touches the data (erosion); each pixel ends at
/// the highest ball surface over it (dilation). Min and max are exact, so the passes can be
/// split by ball row and reordered for speed and still give ImageJ's values.
fn roll_ball(image: &Array2<f32>, ball: &Ball) -> Array2<f32> {
    let (h, w) = image.dim();
    let half = ball.half;
    let pixels = image.as_slice().expect("standard layout");
    // Heights of the ball at every centre, (h + 2·half) × (w + 2·half): centre (cy, cx) sits at
    // image position (cy − half, cx − half) and sees image pixel (cy + by − 2·half, ...).
    let (eh, ew) = (h + 2 * half, w + 2 * half);
    let heights = ball_pass(
        Plane {
            values: pixels,
            height: h,
            width: w,
        },
        (eh, ew),
        2 * half,
        ball,
        Pass::Erode,
    );
    // With a symmetric ball, pixel (y, x) is under the centres (y + by, x + bx) of `heights`.
    let out = ball_pass(
        Plane {
            values: &heights,
            height: eh,
            width: ew,
        },
        (h, w),
        0,
        ball,
        Pass::Dilate,
    );
    Array2::from_shape_vec((h, w), out).expect("buffer matches shape")
}

/// A row-major grid of values.
#[derive(Clone, Copy)]
struct Plane<'a> {
    values: &'a [f32],
    height: usize,
    width: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Pass {
    /// min of (value − ball); out-of-range source pixels are skipped.
    Erode,
    /// max of (value + ball); every source index is in range.
    Dilate,
}

impl Pass {
    fn init(self) -> f32 {
        match self {
            Pass::Erode => f32::MAX,
            Pass::Dilate => -f32::MAX,
        }
    }
}

/// `out[r][c] = op over (by, bx) of src[r + by − shift][c + bx − shift] ∓ z[by][bx]`.
///
/// Split by ball row: ball rows `by` and `side − 1 − by` are equal, so each source row is
/// reduced once per distinct ball row along x (`half + 1` one-dimensional passes), and those
/// reduced rows are then folded into every output row they reach. Source rows are taken in
/// order, so the output rows being filled are a sliding window of `side` rows and everything
/// stays in cache. Output rows are processed in bands (in parallel), each reading the source
/// rows it needs.
fn ball_pass(
    src: Plane,
    (out_h, out_w): (usize, usize),
    shift: usize,
    ball: &Ball,
    pass: Pass,
) -> Vec<f32> {
    let side = ball.side();
    let half = ball.half;
    // Two bands per thread: each band re-reads `side − 1` source rows beyond its own, so few
    // large bands waste least, and an even count keeps the threads equally busy.
    let band_rows = out_h.div_ceil(2 * rayon::current_num_threads()).max(side);
    let mut out = vec![pass.init(); out_h * out_w];
    out.par_chunks_mut(band_rows * out_w)
        .enumerate()
        .for_each(|(band, chunk)| {
            let r0 = band * band_rows;
            let rows = chunk.len() / out_w;
            // Source rows r + by − shift for r in the band, by in 0..side, clipped to the source.
            let lo = (r0 as i64 - shift as i64).max(0) as usize;
            let hi = ((r0 + rows - 1 + side - 1) as i64 - shift as i64).min(src.height as i64 - 1);
            if hi < lo as i64 {
                return;
            }
            // reduced[k·out_w + c]: the current source row reduced along x with ball row `half ± k`.
            let mut reduced = vec![pass.init(); (half + 1) * out_w];
            for y in lo..=hi as usize {
                let line = &src.values[y * src.width..(y + 1) * src.width];
                reduced.fill(pass.init());
                for (k, acc) in reduced.chunks_mut(out_w).enumerate() {
                    let z = &ball.z[(half + k) * side..(half + k + 1) * side];
                    for (bx, &zb) in z.iter().enumerate() {
                        // Output column c reads source column c + bx − shift.
                        let start = shift.saturating_sub(bx);
                        let end = (src.width + shift).saturating_sub(bx).min(out_w);
                        if start >= end {
                            continue;
                        }
                        let from = start + bx - shift;
                        let source = &line[from..from + (end - start)];
                        match pass {
                            Pass::Erode => kernels::lower_to(&mut acc[start..end], source, -zb),
                            Pass::Dilate => kernels::raise_to(&mut acc[start..end], source, zb),
                        }
                    }
                }
                // Output row r reads this source row with ball row by = y + shift − r.
                for by in 0..side {
                    let Some(r) = (y + shift).checked_sub(by) else {
                        continue;
                    };
                    if r < r0 || r >= r0 + rows {
                        continue;
                    }
                    let row = &mut chunk[(r - r0) * out_w..(r - r0 + 1) * out_w];
                    let part = &reduced[by.abs_diff(half) * out_w..][..out_w];
                    match pass {
                        Pass::Erode => kernels::lower_to(row, part, 0.0),
                        Pass::Dilate => kernels::raise_to(row, part, 0.0),
                    }
                }
            }
        });
    out
}

/// ImageJ's interpolation index and weight along one axis: pixel `i` lies between small
/// pixels `index` and `index + 1`, with weight `weight` on the first; beyond the outermost
/// small-pixel centres the weights extrapolate linearly.
fn interpolation_at(i: usize, small_length: usize, factor: usize) -> (usize, f32) {
    // Integer division truncating toward zero, as Java does for negative values.
    let mut index = (i as i64 - (factor / 2) as i64) / factor as i64;
    if index >= small_length as i64 - 1 {
        index = small_length as i64 - 2;
    }
    let index = index.max(0) as usize;
    let distance = (i as f32 + 0.5) / factor as f32 - (index as f32 + 0.5);
    (index, 1.0 - distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_image_is_its_own_background() {
        let image = Array2::from_elem((40, 60), 123.0f32);
        for radius in [5.0, 20.0, 50.0] {
            let bg = background(&image, radius, true);
            assert!(
                bg.iter().all(|&v| (v - 123.0).abs() < 1e-3),
                "radius {radius}"
            );
        }
    }

    #[test]
    fn a_narrow_peak_is_removed_and_a_ramp_is_kept() {
        let mut image = Array2::from_shape_fn((80, 80), |(y, _)| 100.0 + y as f32);
        for y in 38..42 {
            for x in 30..50 {
                image[[y, x]] += 1000.0;
            }
        }
        let bg = background(&image, 15.0, false);
        assert!((bg[[40, 40]] - 140.0).abs() < 5.0, "{}", bg[[40, 40]]);
        assert!((bg[[10, 10]] - 110.0).abs() < 3.0, "{}", bg[[10, 10]]);
    }

    #[test]
    fn ball_patch_follows_imagej_trimming() {
        // r = 50 → shrink 4, radius 12.5, trim 4 px, half-width round(8.5) = 9.
        assert_eq!(Ball::new(12.5, 32.0).half, 9);
        // r = 10 → no shrink, trim (int)(240)/100 = 2, half-width 8.
        assert_eq!(Ball::new(10.0, 24.0).half, 8);
    }
}
