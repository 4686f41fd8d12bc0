//! Background estimation: [`estimate`] for the analysis pipeline, whatever the method, and
//! [`subtract_like_imagej`] for `blotquant background`, which reproduces ImageJ's
//! Process › Subtract Background on 8- and 16-bit images.

pub mod kernels;
pub mod paraboloid;
pub mod profile;
pub mod rolling_ball;

use ndarray::Array2;
use rayon::prelude::*;

use crate::io::rows::RowSource;

use crate::params::{BackgroundMethod, BackgroundParams};
use profile::BorderStatistic;

/// The options of ImageJ's Subtract Background dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageJOptions {
    /// Ball (or paraboloid) radius in pixels, as typed in ImageJ's dialog; for the ball it also
    /// sets how far the image is shrunk first.
    pub radius: f64,
    /// Dark bands on a light background: the background is rolled from below as −value and
    /// `max_value` is added back after subtracting.
    pub light_background: bool,
    /// Slide a paraboloid instead of rolling a ball; it needs the whole image and is never shrunk.
    pub sliding_paraboloid: bool,
    /// Skip the 3×3 mean ImageJ applies to the copy the background is computed on (the output
    /// pixels are never smoothed).
    pub disable_smoothing: bool,
    /// Return the background itself, rounded and clipped like a result, instead of the
    /// subtracted image.
    pub create_background: bool,
}

/// Subtract Background as ImageJ 1.53t does it on an 8- or 16-bit image (`max_value` 255 or
/// 65535): the background is computed on a float copy (negated for a light background), then
/// `value − background` (+ `max_value` for a light background) is rounded and clipped to the
/// image's range; with `create_background`, the background itself is returned, rounded and
/// clipped the same way.
pub fn subtract_like_imagej(
    image: &Array2<f32>,
    max_value: f32,
    options: &ImageJOptions,
) -> Array2<f32> {
    let image = image.as_standard_layout().into_owned();
    let mut out = vec![0.0f32; image.len()];
    subtract_like_imagej_into(&image, max_value, options, &mut out, f32::trunc);
    Array2::from_shape_vec(image.dim(), out).expect("buffer matches shape")
}

/// [`subtract_like_imagej`] row by row into `out` (row-major, the image's size); `convert`
/// truncates each clipped value to the integer type (ImageJ truncates after adding 0.5); no
/// full-size float copy of the image is made.
pub fn subtract_like_imagej_into<T: Send>(
    image: &dyn RowSource,
    max_value: f32,
    options: &ImageJOptions,
    out: &mut [T],
    convert: impl Fn(f32) -> T + Sync,
) {
    let rolled = imagej_background(image, options);
    let read = |y: usize, _: &[T], values: &mut [f32]| image.read_row(y, values);
    let write = |values: &[f32], row: &mut [T]| {
        for (o, &v) in row.iter_mut().zip(values) {
            *o = convert(v);
        }
    };
    finish_rows(&rolled, image.width(), max_value, options, out, read, write);
}

/// [`subtract_like_imagej`] on a 16- or 8-bit image, overwriting its pixels: each row is read
/// before it is replaced, and the background needs only its shrunk copy, so no second
/// full-size buffer is allocated. The `background` command uses it for images it cannot
/// stream with [`subtract_like_imagej_streamed`] (compressed TIFF, PNG, JPEG).
pub fn subtract_like_imagej_in_place(
    image: &mut crate::io::RawGray,
    max_value: f32,
    options: &ImageJOptions,
) {
    let rolled = imagej_background(&*image, options);
    let width = image.width;
    finish_rows(
        &rolled,
        width,
        max_value,
        options,
        &mut image.pixels,
        |_, row, values| crate::io::rows::widen(row, values),
        kernels::truncate,
    );
}

/// ImageJ's background surface of `image` (rolled from below as −value for a light
/// background), in the form that yields it row by row.
fn imagej_background(
    image: &dyn RowSource,
    options: &ImageJOptions,
) -> rolling_ball::RolledBackground {
    let oriented = Oriented {
        image,
        negate: options.light_background,
    };
    let smoothing = !options.disable_smoothing;
    if options.sliding_paraboloid {
        // The paraboloid needs the whole image at once (no shrinking).
        let mut full = Array2::zeros((image.height(), image.width()));
        for (y, mut row) in full.rows_mut().into_iter().enumerate() {
            oriented.read_row(y, row.as_slice_mut().expect("standard layout"));
        }
        rolling_ball::RolledBackground::full(paraboloid::background(
            &full,
            options.radius,
            smoothing,
        ))
    } else {
        rolling_ball::roll(&oriented, options.radius, smoothing)
    }
}

/// Rows per parallel task in [`finish_rows`] and [`subtract_like_imagej_streamed`]: each task
/// reuses its row buffers and enlarged small rows across them.
const CHUNK_ROWS: usize = 16;

/// Writes every output row: the background row, or `value − background` (+ `max_value` for a
/// light background) + 0.5, clipped and converted. `read(y, out_row, values)` fills `values`
/// with image row `y` (given the output row, which still holds the input when working in
/// place); `write(values, out_row)` stores the clipped values.
fn finish_rows<T: Send>(
    rolled: &rolling_ball::RolledBackground,
    width: usize,
    max_value: f32,
    options: &ImageJOptions,
    out: &mut [T],
    read: impl Fn(usize, &[T], &mut [f32]) + Sync,
    write: impl Fn(&[f32], &mut [T]) + Sync,
) {
    out.par_chunks_mut(CHUNK_ROWS * width)
        .enumerate()
        .for_each(|(chunk, rows)| {
            let mut scratch = RowScratch::new(width);
            for (i, row) in rows.chunks_mut(width).enumerate() {
                let y = chunk * CHUNK_ROWS + i;
                let values =
                    scratch.finish(rolled, y, max_value, options, |values| read(y, row, values));
                write(values, row);
            }
        });
}

/// [`subtract_like_imagej`] from rows read when needed to rows handed to `sink(first_row,
/// samples)` a few at a time (in no particular order, from any thread), so neither the image
/// nor the result is held whole. Stops at the first error `sink` returns.
pub fn subtract_like_imagej_streamed(
    image: &dyn RowSource,
    max_value: f32,
    options: &ImageJOptions,
    sink: impl Fn(usize, &[u16]) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    let rolled = imagej_background(image, options);
    let (width, height) = (image.width(), image.height());
    (0..height.div_ceil(CHUNK_ROWS))
        .into_par_iter()
        .try_for_each_init(
            || (RowScratch::new(width), vec![0u16; CHUNK_ROWS * width]),
            |(scratch, samples), chunk| {
                let first = chunk * CHUNK_ROWS;
                let rows = (height - first).min(CHUNK_ROWS);
                for (i, row) in samples[..rows * width].chunks_mut(width).enumerate() {
                    let y = first + i;
                    let values = scratch.finish(&rolled, y, max_value, options, |values| {
                        image.read_row(y, values)
                    });
                    kernels::truncate(values, row);
                }
                sink(first, &samples[..rows * width])
            },
        )
}

/// One task's buffers for finishing rows.
struct RowScratch {
    background: Vec<f32>,
    values: Vec<f32>,
    lines: rolling_ball::EnlargedLines,
}

impl RowScratch {
    fn new(width: usize) -> RowScratch {
        RowScratch {
            background: vec![0.0; width],
            values: vec![0.0; width],
            lines: rolling_ball::EnlargedLines::new(),
        }
    }

    /// Output row `y` before conversion: the background row (+ 0.5), or `value − background`
    /// (+ `max_value` for a light background) + 0.5, clipped to `0..=max_value`. `read` fills
    /// its argument with image row `y`.
    fn finish(
        &mut self,
        rolled: &rolling_ball::RolledBackground,
        y: usize,
        max_value: f32,
        options: &ImageJOptions,
        read: impl FnOnce(&mut [f32]),
    ) -> &[f32] {
        let light = options.light_background;
        rolled.row(y, &mut self.background, &mut self.lines);
        if light {
            kernels::negate(&mut self.background);
        }
        if options.create_background {
            kernels::offset_and_clip(&mut self.background, 0.5, max_value);
            return &self.background;
        }
        read(&mut self.values);
        let offset = if light { max_value + 0.5 } else { 0.5 };
        kernels::subtract_and_clip(&mut self.values, &self.background, offset, max_value);
        &self.values
    }
}

/// An image negated on the fly (a light background is rolled from below as −value).
struct Oriented<'a> {
    image: &'a dyn RowSource,
    negate: bool,
}

impl RowSource for Oriented<'_> {
    fn width(&self) -> usize {
        self.image.width()
    }
    fn height(&self) -> usize {
        self.image.height()
    }
    fn read_row(&self, y: usize, out: &mut [f32]) {
        self.image.read_row(y, out);
        if self.negate {
            kernels::negate(out);
        }
    }
}

/// The rolling-ball background surface under `signal` (same shape, same units), on which lanes
/// and bands are found whatever the quantification method.
pub fn estimate(signal: &Array2<f32>, params: &BackgroundParams) -> Array2<f32> {
    let mut bg = rolling_ball::background(signal, params.radius_px, params.smoothing);
    if params.noise_floor_correction {
        let offset = noise_floor_offset(signal, &bg);
        bg.mapv_inplace(|v| v + offset);
    }
    bg
}

/// Another band's box in the same lane, as a band's background sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    /// First and last row of its box, both inclusive.
    pub rows: (usize, usize),
    /// The lane profile comes down to the membrane between the two bands, so rows between
    /// them outside both boxes are membrane; otherwise they lie on the neighbour's flank (a
    /// doublet).
    pub parted: bool,
}

/// A band's box: rows `top..=bottom`, columns `start..end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandBox {
    /// First and last row of the box, both inclusive.
    pub rows: (usize, usize),
    /// First column of the box and one past its last.
    pub columns: (usize, usize),
}

/// The background summed over a band's box by the configured method. `surface` is the
/// rolling-ball surface; `line_excess` the lines running down the image, per column
/// ([`profile::line_excess`], which a border median adds); `lane_profile` the lane's row
/// profile of column sums;
/// `others` the lane's other bands (a border median skips border rows inside them or on a
/// partner's flank, and falls back to the rolling-ball surface when nothing is left).
#[allow(clippy::too_many_arguments)]
pub fn band_background(
    params: &BackgroundParams,
    signal: &Array2<f32>,
    surface: &Array2<f32>,
    line_excess: &[f64],
    lane_profile: &[f64],
    band: BandBox,
    others: &[Neighbour],
) -> f64 {
    match params.method {
        BackgroundMethod::RollingBall => surface_sum(surface, band),
        BackgroundMethod::RubberBand => profile::rubber_band(lane_profile, band.rows),
        BackgroundMethod::ValleyToValley => profile::valley_to_valley(lane_profile, band.rows),
        BackgroundMethod::BorderMedian | BackgroundMethod::BorderMean => {
            let statistic = if params.method == BackgroundMethod::BorderMean {
                BorderStatistic::Mean
            } else {
                BorderStatistic::Median
            };
            border_level(
                params,
                statistic,
                signal,
                Some(surface),
                line_excess,
                band,
                others,
            )
            .unwrap_or_else(|| surface_sum(surface, band))
        }
        BackgroundMethod::None => 0.0,
    }
}

/// A second background estimate of a band, independent of the configured method, to check it
/// by: valley-to-valley under the lane profile (a straight line between the rows just outside
/// the box), or, where that is the configured method, the border median. Two estimates that
/// disagree by much of a band's signal say the band's value is not known to that precision
/// (a neighbour's tail on one side, a gradient across the box).
pub fn cross_check_background(
    params: &BackgroundParams,
    signal: &Array2<f32>,
    line_excess: &[f64],
    lane_profile: &[f64],
    band: BandBox,
    others: &[Neighbour],
) -> Option<f64> {
    match params.method {
        BackgroundMethod::None => None,
        BackgroundMethod::ValleyToValley => border_level(
            params,
            BorderStatistic::Median,
            signal,
            None,
            line_excess,
            band,
            others,
        ),
        _ => Some(profile::valley_to_valley(lane_profile, band.rows)),
    }
}

/// The border background of `band` (its `statistic` of the border pixels) with the configured
/// border; `None` where no border pixel is left.
fn border_level(
    params: &BackgroundParams,
    statistic: BorderStatistic,
    signal: &Array2<f32>,
    surface: Option<&Array2<f32>>,
    line_excess: &[f64],
    band: BandBox,
    others: &[Neighbour],
) -> Option<f64> {
    profile::border_level(
        signal,
        statistic,
        line_excess,
        band,
        params.border_px,
        params.border_all_sides,
        others,
        surface,
    )
}

/// The rolling-ball surface summed over a box.
pub fn surface_sum(surface: &Array2<f32>, band: BandBox) -> f64 {
    let ((top, bottom), (start, end)) = (band.rows, band.columns);
    surface
        .slice(ndarray::s![top..=bottom, start..end])
        .iter()
        .map(|&v| v as f64)
        .sum()
}

/// Residuals sampled by [`noise_floor_offset`]; images up to this size use every pixel.
const NOISE_FLOOR_SAMPLES: usize = 250_000;

/// The typical residual of background pixels above the rolled surface. Bands are a minority
/// of pixels and lie far above it, so a median with 3-sigma clipping ignores them.
/// Large images are sampled (every k-th pixel in raster order, at least
/// [`NOISE_FLOOR_SAMPLES`]): the median of a quarter million residuals is already known to a
/// small fraction of the noise SD, and the full set would cost more than the ball itself.
fn noise_floor_offset(signal: &Array2<f32>, background: &Array2<f32>) -> f32 {
    let stride = signal.len().div_ceil(NOISE_FLOOR_SAMPLES).max(1);
    let mut residual: Vec<f32> = match (signal.as_slice(), background.as_slice()) {
        // Both arrays are in standard layout (as made here): index straight into them.
        (Some(s), Some(b)) => (0..s.len()).step_by(stride).map(|i| s[i] - b[i]).collect(),
        _ => signal
            .iter()
            .zip(background.iter())
            .step_by(stride)
            .map(|(s, b)| s - b)
            .collect(),
    };
    for _ in 0..3 {
        let median = crate::stats::median_f32(&mut residual);
        let mut deviations: Vec<f32> = residual.iter().map(|r| (r - median).abs()).collect();
        let sigma = 1.4826 * crate::stats::median_f32(&mut deviations);
        let kept: Vec<f32> = residual
            .iter()
            .copied()
            .filter(|r| (r - median).abs() <= 3.0 * sigma)
            .collect();
        if kept.len() == residual.len() || kept.is_empty() {
            break;
        }
        residual = kept;
    }
    crate::stats::median_f32(&mut residual).max(0.0)
}
