//! The blot inside its frame: uniform margins around the membrane (a figure's white margin,
//! padding, a black surround, a frame line) hold no lanes, and lanes are found inside them.
//!
//! A margin row or column is one that is flat: nearly all its pixels equal its median to
//! within the image's quantization step. Membranes and gels always carry some noise or
//! texture, so no row or column crossing one is flat; margins are peeled from each side,
//! rows and columns in turn, until every side's outermost line carries something. A flat line
//! at the level the membrane's background is clipped to stays, though (the far end of the
//! background from the bands, where no more than a tail of the content lies beyond it): it
//! may be membrane clipped to white or black by a display export, where an empty end lane
//! can lie. What is peeled is a frame at any other level: one the blot's background never
//! shows (a black surround around a dark-on-light blot, a white margin around a grey gel or
//! a light-on-dark blot, a tray clipped to the level of saturated bands), padding at the
//! background's middle level, where a membrane would show its noise, and frame lines inside
//! it.
//!
//! A surround an imager saw (the tray around a membrane, an empty field around a small blot)
//! is not flat but noise around a smooth level. With [`EmptyMargins::Peel`], lines that hold
//! no structure beyond their noise and no step from the lines further out are peeled too,
//! down to the bands, the lanes or the membrane's edge; the image's polarity and the way its
//! lanes run are judged there, where a surround as large as the blot would outweigh the bands.
//! With [`EmptyMargins::Keep`] only the part of such a surround at a level the content never
//! shows goes (a tray darker than anything on the blot): lanes are found inside it.

use std::cell::Cell;

use ndarray::{s, ArrayView1, ArrayView2};
use rayon::prelude::*;

use crate::stats;

/// Share of a line's pixels that may differ from its median by more than the quantization
/// step and leave it flat: room for a speck of dust or a JPEG ringing pixel.
const OFF_LEVEL_SHARE: f64 = 0.01;

/// Rows `[top, bottom)` and columns `[left, right)` of an image that hold its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentBox {
    /// First row of the content.
    pub top: usize,
    /// One past its last row.
    pub bottom: usize,
    /// First column of the content.
    pub left: usize,
    /// One past its last column.
    pub right: usize,
}

impl ContentBox {
    /// The whole `height`×`width` image.
    pub fn whole(height: usize, width: usize) -> ContentBox {
        ContentBox {
            top: 0,
            bottom: height,
            left: 0,
            right: width,
        }
    }

    /// The part of this box inside `other`; `None` where they do not overlap.
    pub fn within(&self, other: &ContentBox) -> Option<ContentBox> {
        let both = ContentBox {
            top: self.top.max(other.top),
            bottom: self.bottom.min(other.bottom),
            left: self.left.max(other.left),
            right: self.right.min(other.right),
        };
        (both.top < both.bottom && both.left < both.right).then_some(both)
    }

    /// True when the box is the whole `height`×`width` image.
    pub fn is_whole(&self, height: usize, width: usize) -> bool {
        *self == ContentBox::whole(height, width)
    }

    /// Columns in the box.
    pub fn width(&self) -> usize {
        self.right - self.left
    }

    /// Rows in the box.
    pub fn height(&self) -> usize {
        self.bottom - self.top
    }
}

/// The box inside the flat margins of `signal`; `quantum` is the step between the values the
/// file can hold (1 for integer images, 0 for floating point, where only an exact constant
/// is flat). `None` where the image is flat lines throughout (blank, or frames around an
/// empty field): no membrane or gel, whose noise no line escapes, is in it.
pub fn content_box(
    signal: &ArrayView2<f32>,
    quantum: f32,
    empty: EmptyMargins,
) -> Option<ContentBox> {
    let peeled = without_empty_margins(signal, inside_flat_margins(signal, quantum)?, quantum);
    match empty {
        EmptyMargins::Keep => content_box_keeping(signal, quantum, peeled),
        EmptyMargins::Peel => Some(peeled),
    }
}

/// [`content_box`] with [`EmptyMargins::Keep`], given the box with empty margins peeled
/// (`peeled`, as [`EmptyMargins::Peel`] found it): the work of peeling is not done twice.
pub fn content_box_keeping(
    signal: &ArrayView2<f32>,
    quantum: f32,
    peeled: ContentBox,
) -> Option<ContentBox> {
    let b = inside_flat_margins(signal, quantum)?;
    let inner = ContentBox {
        top: peeled.top.max(b.top),
        bottom: peeled.bottom.min(b.bottom),
        left: peeled.left.max(b.left),
        right: peeled.right.min(b.right),
    };
    if inner.top >= inner.bottom || inner.left >= inner.right {
        return Some(b);
    }
    Some(without_surround_beyond_content(signal, b, inner, quantum))
}

/// The box inside the flat margins of `signal` at levels the content's background never
/// reaches ([`within_levels_of_content`]); `None` where nothing but flat lines is left.
fn inside_flat_margins(signal: &ArrayView2<f32>, quantum: f32) -> Option<ContentBox> {
    let (height, width) = signal.dim();
    let b = peel(ContentBox::whole(height, width), |side, b| {
        margin_run(side, b, |b| is_flat(side.line(signal, b), quantum))
    });
    // Nothing but margin: there is no content to frame.
    if b.width() <= 1 || b.height() <= 1 {
        return None;
    }
    // Nothing peeled (most images): no margin to weigh against the content's levels.
    Some(if b.is_whole(height, width) {
        b
    } else {
        within_levels_of_content(signal, b, quantum)
    })
}

/// For the left and right sides of `inner` (a box inside `outer`): whether the level steps
/// there from the margin beyond, by more than [`STRUCTURE_SDS`] of the margin's noise SDs
/// (and a `quantum`): the membrane's edge, beyond which no lane lies however narrow the
/// margin. Levels are medians over `reach` columns either side of the edge (a part of a lane
/// pitch), along the rows of `inner`: a line or a band at the edge of an empty stretch of
/// membrane is a minority of them and does not count, and a gradient changes little over so
/// few columns.
pub fn steps_beside(
    signal: &ArrayView2<f32>,
    inner: ContentBox,
    outer: ContentBox,
    reach: usize,
    quantum: f32,
) -> [bool; 2] {
    let rows = inner.top..inner.bottom;
    if rows.is_empty() {
        return [false; 2];
    }
    let level = |columns: std::ops::Range<usize>| {
        let mut values: Vec<f32> = signal
            .slice(s![rows.clone(), columns])
            .iter()
            .copied()
            .collect();
        stats::median_f32(&mut values)
    };
    let steps = |outside: std::ops::Range<usize>, inside: std::ops::Range<usize>, edge: usize| {
        if outside.is_empty() || inside.is_empty() {
            return false;
        }
        let margin: Vec<f32> = signal
            .slice(s![rows.clone(), edge])
            .iter()
            .copied()
            .collect();
        (level(outside) - level(inside)).abs() > structure_threshold(&margin, quantum)
    };
    let reach = reach.max(NOISE_LAG);
    [
        steps(
            inner.left.saturating_sub(reach).max(outer.left)..inner.left,
            inner.left..(inner.left + reach).min(inner.right),
            inner.left.saturating_sub(1),
        ),
        steps(
            inner.right..(inner.right + reach).min(outer.right),
            inner.right.saturating_sub(reach).max(inner.left)..inner.right,
            inner.right.min(outer.right.saturating_sub(1)),
        ),
    ]
}

/// `start` without a surround at a level the content never shows (a tray darker than anything
/// on the blot, a lid lighter than its background): the margins [`without_empty_margins`]
/// peels (to `inner`), less those lines whose median lies among the content's levels, or
/// beyond them by less than [`STRUCTURE_SDS`] of the line's own noise SDs (an empty stretch
/// of the membrane, where an empty end lane may lie; a margin a gradient or vignette takes a
/// little past the content's levels).
fn without_surround_beyond_content(
    signal: &ArrayView2<f32>,
    start: ContentBox,
    inner: ContentBox,
    quantum: f32,
) -> ContentBox {
    if inner == start {
        return start;
    }
    let [low, _, high] = content_levels(signal, inner);
    widened_over(signal, inner, start, |line| {
        let values: Vec<f32> = line.iter().copied().collect();
        let reach = structure_threshold(&values, quantum);
        let level = line_median(line);
        level >= low - reach && level <= high + reach
    })
}

/// The 0.1 %, 50 % and 99.9 % levels of `signal` inside `b`: the content's extremes, beyond
/// its rarest specks, and its background.
fn content_levels(signal: &ArrayView2<f32>, b: ContentBox) -> [f32; 3] {
    content_quantiles(signal, b, [0.001, 0.5, 0.999])
}

/// The levels of `signal` inside `b` at the given shares of its pixels (ascending).
fn content_quantiles<const N: usize>(
    signal: &ArrayView2<f32>,
    b: ContentBox,
    shares: [f64; N],
) -> [f32; N] {
    let inside = signal.slice(s![b.top..b.bottom, b.left..b.right]);
    let mut values = stats::sample_evenly_2d(inside, 250_000);
    let ranks = shares.map(|f| ((values.len() - 1) as f64 * f).round() as usize);
    let levels = stats::order_statistics_f32(&mut values, &ranks);
    std::array::from_fn(|i| levels[i])
}

/// `inner` widened on each side, within `outer`, over the lines (as long as `inner` is across)
/// that are `reached`, up to the first that is not: a frame line beyond a surround (a tray's
/// rim) may be at the level of the blot's background, but the surround between is not.
fn widened_over(
    signal: &ArrayView2<f32>,
    inner: ContentBox,
    outer: ContentBox,
    reached: impl Fn(ArrayView1<f32>) -> bool + Sync,
) -> ContentBox {
    let b = inner;
    let row = |y: usize| reached(signal.slice(s![y, b.left..b.right]));
    let column = |x: usize| reached(signal.slice(s![b.top..b.bottom, x]));
    let mut wide = b;
    wide.top -= leading_run(b.top.saturating_sub(outer.top), |i| row(b.top - 1 - i));
    wide.bottom += leading_run(outer.bottom.saturating_sub(b.bottom), |i| row(b.bottom + i));
    wide.left -= leading_run(b.left.saturating_sub(outer.left), |i| {
        column(b.left - 1 - i)
    });
    wide.right += leading_run(outer.right.saturating_sub(b.right), |i| column(b.right + i));
    wide
}

/// A line holds structure where more than [`OFF_LEVEL_SHARE`] of its pixels lie this many
/// noise SDs off its smooth trend: pure noise reaches 5 SDs once in ~2 million pixels.
const STRUCTURE_SDS: f32 = 5.0;

/// The fewest pixels a line needs before [`OFF_LEVEL_SHARE`] of them is a pixel at all:
/// shorter lines (a tight crop's columns) cannot tell structure from noise and stay.
fn min_line_len() -> usize {
    (1.0 / OFF_LEVEL_SHARE).ceil() as usize
}

/// Whether [`content_box`] also peels the margins that hold nothing but noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyMargins {
    /// They stay: an empty end lane may lie on one (lanes are found on the whole membrane).
    Keep,
    /// They go, down to the first structure (a band, a lane, a label, a membrane's edge):
    /// what the image's bands are judged on (their polarity, which way the lanes run), where
    /// a surround as large as the blot would outweigh them.
    Peel,
}

/// The four sides of a box, in the order they are peeled.
const SIDES: [Side; 4] = [Side::Top, Side::Bottom, Side::Left, Side::Right];

#[derive(Debug, Clone, Copy)]
enum Side {
    Top,
    Bottom,
    Left,
    Right,
}

impl Side {
    /// The box's outermost line on this side.
    fn line<'a>(self, signal: &ArrayView2<'a, f32>, b: &ContentBox) -> ArrayView1<'a, f32> {
        let signal = *signal;
        match self {
            Side::Top => signal.slice_move(s![b.top, b.left..b.right]),
            Side::Bottom => signal.slice_move(s![b.bottom - 1, b.left..b.right]),
            Side::Left => signal.slice_move(s![b.top..b.bottom, b.left]),
            Side::Right => signal.slice_move(s![b.top..b.bottom, b.right - 1]),
        }
    }

    /// How many lines of this side's kind lie across `b`.
    fn across(self, b: &ContentBox) -> usize {
        match self {
            Side::Top | Side::Bottom => b.height(),
            Side::Left | Side::Right => b.width(),
        }
    }

    /// `b` with this side's outermost line taken off.
    fn peeled(self, b: ContentBox) -> ContentBox {
        self.peeled_by(b, 1)
    }

    /// `b` with this side's `lines` outermost lines taken off.
    fn peeled_by(self, mut b: ContentBox, lines: usize) -> ContentBox {
        match self {
            Side::Top => b.top += lines,
            Side::Bottom => b.bottom -= lines,
            Side::Left => b.left += lines,
            Side::Right => b.right -= lines,
        }
        b
    }

    /// `b` with its lines on this side reaching as far along them as `limit` does.
    fn spanning(self, mut b: ContentBox, limit: &ContentBox) -> ContentBox {
        match self {
            Side::Top | Side::Bottom => (b.left, b.right) = (limit.left, limit.right),
            Side::Left | Side::Right => (b.top, b.bottom) = (limit.top, limit.bottom),
        }
        b
    }

    /// `limit` with this side where it is in `b`.
    fn bounded_by(self, mut limit: ContentBox, b: &ContentBox) -> ContentBox {
        match self {
            Side::Top => limit.top = b.top,
            Side::Bottom => limit.bottom = b.bottom,
            Side::Left => limit.left = b.left,
            Side::Right => limit.right = b.right,
        }
        limit
    }

    /// `b` with this side moved `lines` outwards, at most as far as it is in `limit`.
    fn outward(self, mut b: ContentBox, lines: usize, limit: &ContentBox) -> ContentBox {
        match self {
            Side::Top => b.top = b.top.saturating_sub(lines).max(limit.top),
            Side::Bottom => b.bottom = (b.bottom + lines).min(limit.bottom),
            Side::Left => b.left = b.left.saturating_sub(lines).max(limit.left),
            Side::Right => b.right = (b.right + lines).min(limit.right),
        }
        b
    }
}

/// `start` with lines peeled from each side in turn (rows and columns) while more than one
/// line is left across the box: as many at a time as `margin` says lie at the side's edge
/// (0: the outermost line is not margin), until no side has any left.
fn peel(start: ContentBox, margin: impl Fn(Side, &ContentBox) -> usize) -> ContentBox {
    let mut b = start;
    loop {
        let before = b;
        for side in SIDES {
            while side.across(&b) > 1 {
                let lines = margin(side, &b).min(side.across(&b) - 1);
                if lines == 0 {
                    break;
                }
                b = side.peeled_by(b, lines);
            }
        }
        if b == before {
            return b;
        }
    }
}

/// How many of the lines at `side` of `b`, from the outermost inwards, pass `test` before one
/// fails (at most all but one of those across the box). Lines are judged in parallel, in
/// batches that double from two: a long margin (a surround, an empty field around a small
/// blot) costs its lines' time over the cores, and a side with no margin one line more than
/// judged alone.
fn margin_run(side: Side, b: &ContentBox, test: impl Fn(&ContentBox) -> bool + Sync) -> usize {
    leading_run(side.across(b).saturating_sub(1), |i| {
        test(&side.peeled_by(*b, i))
    })
}

/// The number of indices from 0 up, below `count`, that pass `test` before the first that
/// fails (`count` where all pass); judged in parallel batches (see [`margin_run`]).
fn leading_run(count: usize, test: impl Fn(usize) -> bool + Sync) -> usize {
    let mut start = 0;
    let mut batch = 2;
    while start < count {
        let end = (start + batch).min(count);
        if let Some(first_failing) = (start..end).into_par_iter().find_first(|&i| !test(i)) {
            return first_failing;
        }
        start = end;
        batch *= 2;
    }
    count
}

/// `start` without the margins that hold nothing but noise around a smooth level (a surround,
/// an empty field around a small blot): lines peeled from each side in turn while they hold
/// no structure ([`holds_structure`]) and no step from the lines further out, pixel by pixel
/// ([`off_the_margin`]: a membrane's edge, an edge shadow running down the image are steps).
/// Flat lines stay (see [`within_levels_of_content`]), unless they are a frame line inside a
/// surround with more of it inside ([`continues_surround`]); and so does everything where
/// nothing in the image stands out of its noise.
fn without_empty_margins(signal: &ArrayView2<f32>, start: ContentBox, quantum: f32) -> ContentBox {
    let noise = Noise {
        quantum,
        image_sd: image_noise_sd(signal, quantum),
    };
    // The lines of a surround: long enough to tell, holding no structure and no step from
    // the lines further out (within `bounds`).
    let empty = |side: Side, b: &ContentBox, bounds: &ContentBox| {
        // Each line is judged along the whole of the bounds: a margin's line runs on through
        // the margins peeled across it (a short strip's columns in a surround are long).
        let b = &side.spanning(*b, bounds);
        let line = side.line(signal, b);
        let outward = side.line(signal, &side.outward(*b, NOISE_LAG, bounds));
        line.len() >= min_line_len() && only_noise(line, outward, noise)
    };
    // Each side's last line of surround peeled, and the bounds that lines are judged within:
    // a frame line inside a surround (a tray's rim) leaves what lies beyond it out.
    let last_surround: [Cell<Option<ContentBox>>; 4] = Default::default();
    let bounds = Cell::new(start);
    let b = peel(start, |side, b| {
        let within = bounds.get();
        let empty_lines = margin_run(side, b, |b| empty(side, b, &within));
        if empty_lines > 0 {
            last_surround[side as usize].set(Some(side.peeled_by(*b, empty_lines - 1)));
        }
        let b = side.peeled_by(*b, empty_lines);
        if side.across(&b) <= 1 {
            return empty_lines;
        }
        // Where the peeling stops inside a surround: a frame line in it?
        let last = last_surround[side as usize].get();
        let Some((last, inside)) =
            last.and_then(|last| Some((last, past_frame_line(signal, side, b, quantum)?)))
        else {
            return empty_lines;
        };
        let frame_line = continues_surround(signal, side, inside, last, noise);
        if frame_line {
            bounds.set(side.bounded_by(bounds.get(), &side.peeled(b)));
        }
        empty_lines + usize::from(frame_line)
    });
    // Peeled to a line: nothing stands out of the noise (a blank field, bands too faint to
    // tell), and there is no content to frame.
    if b.width() <= 1 || b.height() <= 1 {
        return start;
    }
    b
}

/// Whether the line of `inside` on `side` is more of the surround whose line of `last` was
/// peeled further out, beyond a frame line: noise without structure, and no step from that
/// line. A flat stretch of the blot's own (its background clipped by a display export) has
/// the blot inside it. Judged along the middle half of the line: its ends may cross the other
/// sides' frame lines, not yet peeled.
fn continues_surround(
    signal: &ArrayView2<f32>,
    side: Side,
    inside: ContentBox,
    last: ContentBox,
    noise: Noise,
) -> bool {
    let line = side.line(signal, &inside);
    let outside = side.line(signal, &side.bounded_by(inside, &last));
    let n = line.len();
    let middle = s![n / 4..n - n / 4];
    n >= min_line_len() && only_noise(line.slice(middle), outside.slice(middle), noise)
}

/// What a line's pixels are judged against: the file's code step, and the noise SD of the
/// image as a whole ([`image_noise_sd`]).
#[derive(Clone, Copy)]
struct Noise {
    quantum: f32,
    image_sd: Option<f32>,
}

/// Lines sampled across the image (each way) for its noise SD.
const NOISE_LINES: usize = 16;

/// The image's noise SD: the median of the noise SDs ([`NOISE_LAG`]) of up to
/// [`NOISE_LINES`] rows and as many columns spread across it, at least one `quantum` (a
/// film scan clipped white shows no noise in most of its lines, and the field around it
/// would pass for structure against none). A line's own noise SD,
/// taken from differences [`NOISE_LAG`] pixels apart, is raised by whatever structure lies
/// that far apart along it: down a ladder lane of bands a few pixels high and close together
/// most such pairs straddle a band's edge, the bands pass for noise, and the lane for an
/// empty margin. Most lines of an image are not such a ladder, and the noise is the
/// detector's, the same in all of them; a line is judged against the lower of the two.
fn image_noise_sd(signal: &ArrayView2<f32>, quantum: f32) -> Option<f32> {
    let (height, width) = signal.dim();
    let rows = stats::mirror_symmetric_indices(height, NOISE_LINES)
        .into_iter()
        .map(|y| signal.row(y).to_vec());
    let columns = stats::mirror_symmetric_indices(width, NOISE_LINES)
        .into_iter()
        .map(|x| signal.column(x).to_vec());
    let mut sds: Vec<f32> = rows
        .chain(columns)
        .filter_map(|line| stats::noise_sigma_of_line(&line, NOISE_LAG))
        .collect();
    (!sds.is_empty()).then(|| stats::median_f32(&mut sds).max(quantum))
}

/// True where `line` holds nothing but noise around a smooth level: not flat, no structure
/// ([`holds_structure`]) and no step from `outward`, a line further out ([`off_the_margin`]).
fn only_noise(line: ArrayView1<f32>, outward: ArrayView1<f32>, noise: Noise) -> bool {
    // Copied once: a column is strided in memory, and each test reads it again.
    let line = line.to_vec();
    !is_flat_values(&line, noise.quantum)
        && !holds_structure(&line, noise)
        && !off_the_margin(&line, &outward.to_vec(), noise)
}

/// Where the outermost line of `b` on `side` is flat (along `b`, long enough to tell): `b`
/// with that line and the flat ones next to it peeled; `None` where it is not flat.
fn past_frame_line(
    signal: &ArrayView2<f32>,
    side: Side,
    b: ContentBox,
    quantum: f32,
) -> Option<ContentBox> {
    let flat = |b: &ContentBox| {
        let line = side.line(signal, b);
        line.len() >= min_line_len() && is_flat(line, quantum)
    };
    if !flat(&b) {
        return None;
    }
    let mut inside = side.peeled(b);
    while side.across(&inside) > 1 && flat(&inside) {
        inside = side.peeled(inside);
    }
    Some(inside)
}

/// True where more than [`OFF_LEVEL_SHARE`] of `line`'s pixels differ from those of the line
/// [`NOISE_LAG`] lines further out (`outward`) by [`STRUCTURE_SDS`] noise SDs: a step (a
/// membrane's edge, blurred over a few pixels at most), where a surround's gradient or
/// vignette changes by a small part of its noise over so few lines.
fn off_the_margin(line: &[f32], outward: &[f32], noise: Noise) -> bool {
    let difference: Vec<f32> = line.iter().zip(outward).map(|(a, b)| a - b).collect();
    // The difference of two noisy lines: its noise is √2 that of one.
    let of_difference = Noise {
        image_sd: noise.image_sd.map(|sd| sd * std::f32::consts::SQRT_2),
        ..noise
    };
    let threshold = structure_threshold_within(&difference, of_difference);
    let off = |values: &[f32]| {
        let off = values.iter().filter(|d| d.abs() > threshold).count();
        off as f64 > OFF_LEVEL_SHARE * values.len() as f64
    };
    // A step runs along the line; specks (hot pixels, one or two pixels each, in either line)
    // do not, and where a line is long and speckled enough they alone pass the share: they
    // are taken out by the running median over 5 pixels first. (Only then: it costs more.)
    off(&difference) && off(&running_median(&difference, SPECK_REACH))
}

/// Lag of the differences that measure a line's noise: beyond the few pixels over which
/// resampling, JPEG blocks or a display filter correlate neighbouring pixels.
const NOISE_LAG: usize = 4;

/// How far a pixel of a line of `values` must lie off to count as structure: [`STRUCTURE_SDS`]
/// of the line's noise SDs (measured at [`NOISE_LAG`]), at least one `quantum`.
fn structure_threshold(values: &[f32], quantum: f32) -> f32 {
    let own_noise = Noise {
        quantum,
        image_sd: None,
    };
    structure_threshold_within(values, own_noise)
}

/// [`structure_threshold`] with the line's noise SD no higher than the image's.
fn structure_threshold_within(values: &[f32], noise: Noise) -> f32 {
    let own = stats::noise_sigma_of_line(values, NOISE_LAG).unwrap_or(0.0);
    let sigma = noise.image_sd.map_or(own, |image| own.min(image));
    (STRUCTURE_SDS * sigma).max(noise.quantum)
}

/// True where more than [`OFF_LEVEL_SHARE`] of `line`'s pixels lie [`STRUCTURE_SDS`] noise
/// SDs (at least one `quantum`) off the quadratic that fits it best: a band, a lane, a
/// membrane's edge or a label; a surround's gradient or vignette is smooth.
fn holds_structure(values: &[f32], noise: Noise) -> bool {
    let n = values.len();
    if n < 3 * NOISE_LAG {
        return true;
    }
    let threshold = structure_threshold_within(values, noise);
    let off_trend = |trend: Quadratic| {
        let off = values
            .iter()
            .enumerate()
            .filter(|&(i, v)| (v - trend.at(i)).abs() > threshold)
            .count();
        off as f64 > OFF_LEVEL_SHARE * n as f64
    };
    // Where the line stands off its least-squares quadratic, it is fitted again to its running
    // median over 5 pixels: a speck (a hot pixel, a grain of dust, one to two pixels)
    // thousands of noise SDs high pulls the quadratic off the level of a whole end of the
    // line; a smooth trend passes the median unchanged. (Only then: the median costs more.)
    off_trend(Quadratic::fit(values))
        && off_trend(Quadratic::fit(&running_median(values, SPECK_REACH)))
}

/// Pixels either side of each one in the running median the trend is fitted to: a speck of
/// up to this many pixels along the line is the minority of its window.
const SPECK_REACH: usize = 2;

/// The median of each value and the `reach` values either side of it (fewer at the ends).
fn running_median(values: &[f32], reach: usize) -> Vec<f32> {
    let mut window = Vec::with_capacity(2 * reach + 1);
    (0..values.len())
        .map(|i| {
            window.clear();
            window.extend_from_slice(
                &values[i.saturating_sub(reach)..(i + reach + 1).min(values.len())],
            );
            stats::median_f32(&mut window)
        })
        .collect()
}

/// The least-squares quadratic through values at positions 0, 1, … On positions set
/// symmetrically in [-1, 1], the polynomials 1, t and t² − mean(t²) are orthogonal, so each
/// coefficient is a projection of its own: no system to solve, and one pass over the values.
#[derive(Debug, Clone, Copy)]
struct Quadratic {
    /// Position `i` maps to `t = i · scale − 1`.
    scale: f64,
    mean_square: f64,
    coefficients: [f64; 3],
}

impl Quadratic {
    fn fit(values: &[f32]) -> Quadratic {
        let n = values.len();
        let scale = 2.0 / (n - 1).max(1) as f64;
        let t = |i: usize| i as f64 * scale - 1.0;
        let mean_square = (0..n).map(|i| t(i) * t(i)).sum::<f64>() / n.max(1) as f64;
        let mut norms = [0.0f64; 3];
        let mut projections = [0.0f64; 3];
        for (i, &v) in values.iter().enumerate() {
            let basis = [1.0, t(i), t(i) * t(i) - mean_square];
            for k in 0..3 {
                norms[k] += basis[k] * basis[k];
                projections[k] += basis[k] * f64::from(v);
            }
        }
        let coefficients = std::array::from_fn(|k| {
            if norms[k] > 0.0 {
                projections[k] / norms[k]
            } else {
                0.0
            }
        });
        Quadratic {
            scale,
            mean_square,
            coefficients,
        }
    }

    /// The quadratic's value at position `i`.
    fn at(&self, i: usize) -> f32 {
        let t = i as f64 * self.scale - 1.0;
        let [c0, c1, c2] = self.coefficients;
        (c0 + c1 * t + c2 * (t * t - self.mean_square)) as f32
    }
}

/// `flat_box` widened again over the flat lines at the level a display export clips the
/// content's background to: such a line may be membrane (a background clipped to white, an
/// empty lane on it) rather than frame, and a lane may lie on it.
fn within_levels_of_content(
    signal: &ArrayView2<f32>,
    flat_box: ContentBox,
    quantum: f32,
) -> ContentBox {
    let [low, below_most, background, above_most, high] = content_quantiles(
        signal,
        flat_box,
        [0.001, CLIPPED_TAIL, 0.5, 1.0 - CLIPPED_TAIL, 0.999],
    );
    // The bands lie in the longer tail away from the background (the bulk of the pixels). A
    // display export clips the background at the far end of the other side: a flat line
    // there, with no more than a tail of the content beyond it and none of the content's
    // extremes, may be more of the clipped membrane (a lossy copy moves the clipped level by
    // a few codes, so it is a tail, not one level). A flat line further in is no clipped
    // membrane, whose noise would show there: padding at the background's middle level, a
    // figure's white margin beside a grey gel, or a tray or surround clipped to the level of
    // saturated bands.
    let (from, to) = if background - low > high - background {
        (above_most, high)
    } else {
        (low, below_most)
    };
    let (height, width) = signal.dim();
    let whole = ContentBox::whole(height, width);
    widened_over(signal, flat_box, whole, |line| {
        let level = line_median(line);
        level >= from - quantum && level <= to + quantum
    })
}

/// The share of the content's pixels that may lie beyond a flat line's level on the
/// background's side, for the line to be taken for the content's clipped background: a
/// background of noise around its middle level has half of it there.
const CLIPPED_TAIL: f64 = 0.1;

/// True when all but [`OFF_LEVEL_SHARE`] of `line`'s pixels lie within `quantum` of its median.
fn is_flat(line: ArrayView1<f32>, quantum: f32) -> bool {
    is_flat_values(&line.to_vec(), quantum)
}

/// [`is_flat`] of a line's values.
fn is_flat_values(line: &[f32], quantum: f32) -> bool {
    // Neighbours both within a quantum of the median differ by two quanta at most, and a
    // pixel off the level spoils two pairs at most: more pairs apart than twice the share
    // allowed off settle it without the median (a noisy line, most of them).
    let apart = line
        .windows(2)
        .filter(|pair| (pair[1] - pair[0]).abs() > 2.0 * quantum)
        .count();
    if apart as f64 > 2.0 * OFF_LEVEL_SHARE * line.len() as f64 {
        return false;
    }
    let median = stats::median_f32(&mut line.to_vec());
    let off = line
        .iter()
        .filter(|&&v| (v - median).abs() > quantum)
        .count();
    (off as f64) <= OFF_LEVEL_SHARE * line.len() as f64
}

fn line_median(line: ArrayView1<f32>) -> f32 {
    let mut values: Vec<f32> = line.iter().copied().collect();
    stats::median_f32(&mut values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    /// A noisy membrane with a band, inside margins of each kind.
    fn membrane(height: usize, width: usize) -> Array2<f32> {
        let mut state = 17u64;
        Array2::from_shape_fn((height, width), |(y, x)| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = ((state >> 33) % 7) as f32;
            let band = if (20..26).contains(&y) && (10..20).contains(&x) {
                80.0
            } else {
                0.0
            };
            100.0 + noise + band
        })
    }

    fn framed(inner: &Array2<f32>, margin: usize, fill: f32) -> Array2<f32> {
        let (h, w) = inner.dim();
        Array2::from_shape_fn((h + 2 * margin, w + 2 * margin), |(y, x)| {
            if y < margin || x < margin || y >= margin + h || x >= margin + w {
                fill
            } else {
                inner[[y - margin, x - margin]]
            }
        })
    }

    /// A line at one level with the most pixels off it that a flat line may hold, each alone
    /// (each spoils two pairs of neighbours), is flat; one pixel more and it is not.
    #[test]
    fn a_flat_line_holds_its_share_of_pixels_off_its_level() {
        let n = 1000;
        let allowed = (OFF_LEVEL_SHARE * n as f64) as usize;
        let line_with = |off: usize| -> Vec<f32> {
            (0..n)
                .map(|i| {
                    if i % 50 == 25 && i / 50 < off {
                        9.0
                    } else {
                        3.0
                    }
                })
                .collect()
        };
        assert!(is_flat_values(&line_with(allowed), 1.0));
        assert!(!is_flat_values(&line_with(allowed + 1), 1.0));
    }

    #[test]
    fn margins_beyond_the_content_levels_are_peeled_to_the_membrane() {
        let inner = membrane(50, 40);
        assert!(content_box(&inner.view(), 1.0, EmptyMargins::Keep)
            .unwrap()
            .is_whole(50, 40));
        for fill in [0.0, 255.0] {
            let b = content_box(&framed(&inner, 9, fill).view(), 1.0, EmptyMargins::Keep).unwrap();
            assert_eq!(
                (b.top, b.bottom, b.left, b.right),
                (9, 59, 9, 49),
                "fill {fill}"
            );
        }
    }

    /// A flat margin at the level the membrane's background is clipped to may be more of the
    /// clipped membrane (an empty lane's columns): it stays.
    #[test]
    fn a_margin_at_the_clipped_background_level_is_kept() {
        let clipped = membrane(50, 40).mapv(|v| v.max(103.0));
        let b = content_box(&framed(&clipped, 9, 103.0).view(), 1.0, EmptyMargins::Keep).unwrap();
        assert!(b.is_whole(68, 58), "{b:?}");
    }

    /// A flat margin at the background's middle level, where the membrane beside it is not
    /// clipped but noisy, can be no clipped membrane: padding, peeled.
    #[test]
    fn a_margin_at_the_unclipped_background_level_is_peeled() {
        let b = content_box(
            &framed(&membrane(50, 40), 9, 103.0).view(),
            1.0,
            EmptyMargins::Keep,
        )
        .unwrap();
        assert_eq!((b.top, b.bottom, b.left, b.right), (9, 59, 9, 49));
    }

    /// A flat margin at the level of the saturated bands is no clipped membrane background:
    /// a tray or surround clipped to the level the bands reach. It goes, both polarities.
    #[test]
    fn a_margin_at_the_bands_level_is_peeled() {
        let inner = membrane(50, 40);
        let band_level = inner.iter().copied().fold(f32::MIN, f32::max);
        let b = content_box(
            &framed(&inner, 9, band_level).view(),
            1.0,
            EmptyMargins::Keep,
        )
        .unwrap();
        assert_eq!((b.top, b.bottom, b.left, b.right), (9, 59, 9, 49));
        let inverted = inner.mapv(|v| 255.0 - v);
        let b = content_box(
            &framed(&inverted, 9, 255.0 - band_level).view(),
            1.0,
            EmptyMargins::Keep,
        )
        .unwrap();
        assert_eq!((b.top, b.bottom, b.left, b.right), (9, 59, 9, 49));
    }

    #[test]
    fn a_frame_line_inside_a_white_margin_is_peeled_too() {
        let inner = framed(&membrane(50, 40), 2, 0.0);
        let b = content_box(&framed(&inner, 6, 255.0).view(), 1.0, EmptyMargins::Keep).unwrap();
        assert_eq!((b.top, b.left, b.width(), b.height()), (8, 8, 40, 50));
    }

    /// A tray's rim beyond a black surround, at the level of the membrane's background (or of
    /// clipped white): the surround between is no membrane, so neither is the rim.
    #[test]
    fn a_rim_beyond_a_surround_is_peeled_with_it() {
        let blot = framed(&membrane(50, 40), 9, 0.0);
        let rimmed = framed(&blot, 2, 103.0);
        for empty in [EmptyMargins::Keep, EmptyMargins::Peel] {
            let b = content_box(&rimmed.view(), 1.0, empty).unwrap();
            assert_eq!(
                (b.top, b.left, b.width(), b.height()),
                (11, 11, 40, 50),
                "{empty:?}"
            );
        }
    }

    /// A margin at a level of its own beside the blot lies beyond the membrane's edge; an
    /// empty stretch of membrane beside a lane with a dark line at its edge does not.
    #[test]
    fn a_step_beside_the_box_is_told_from_a_line_at_a_lanes_edge() {
        let inner = ContentBox {
            top: 0,
            bottom: 50,
            left: 10,
            right: 50,
        };
        let outer = ContentBox::whole(50, 60);
        let noisy = membrane(50, 60);
        // A field 40 levels above the membrane's background on both sides.
        let field = Array2::from_shape_fn((50, 60), |(y, x)| {
            noisy[[y, x]] + if (10..50).contains(&x) { 0.0 } else { 40.0 }
        });
        assert_eq!(
            steps_beside(&field.view(), inner, outer, 8, 1.0),
            [true, true]
        );
        // The membrane runs on into the margins; a dark line two columns wide runs down each
        // side of the box, where the lanes' edges are.
        let lined = Array2::from_shape_fn((50, 60), |(y, x)| {
            noisy[[y, x]]
                + if [10, 11, 48, 49].contains(&x) {
                    40.0
                } else {
                    0.0
                }
        });
        assert_eq!(
            steps_beside(&lined.view(), inner, outer, 8, 1.0),
            [false, false]
        );
    }

    #[test]
    fn the_quadratic_fit_reproduces_a_quadratic() {
        let values: Vec<f32> = (0..101)
            .map(|i| 3.0 + 2.0 * i as f32 - 0.01 * (i * i) as f32)
            .collect();
        let fit = Quadratic::fit(&values);
        for (i, value) in values.iter().enumerate() {
            let fitted = fit.at(i);
            assert!((fitted - value).abs() < 1e-3, "{fitted} vs {value}");
        }
    }

    /// Hot pixels in a noisy margin (thousands of noise SDs high, one near its line's end)
    /// are no structure: the margin is peeled as it is without them.
    #[test]
    fn hot_pixels_in_a_noisy_margin_leave_it_a_margin() {
        let clean = membrane(200, 300);
        let mut speckled = clean.clone();
        speckled[[150, 200]] += 5000.0;
        speckled[[195, 240]] += 5000.0;
        let peeled = |image: &Array2<f32>| content_box(&image.view(), 1.0, EmptyMargins::Peel);
        let without = peeled(&clean).unwrap();
        assert!(without.right <= 30, "{without:?}");
        assert_eq!(peeled(&speckled), Some(without));
    }

    /// `inner` inside a noisy surround `margin` pixels wide at `level`, noise as the membrane's.
    fn surrounded(inner: &Array2<f32>, margin: usize, level: f32) -> Array2<f32> {
        let noisy = membrane(inner.nrows() + 2 * margin, inner.ncols() + 2 * margin);
        Array2::from_shape_fn(noisy.dim(), |(y, x)| {
            let inside = (margin..margin + inner.nrows()).contains(&y)
                && (margin..margin + inner.ncols()).contains(&x);
            if inside {
                inner[[y - margin, x - margin]]
            } else {
                // The membrane's noise (its 100 + 0..6) about `level`.
                level - 103.0 + noisy[[y, x]].min(106.0)
            }
        })
    }

    /// A 60×80 membrane with a band in each corner: the blot's content runs to its edges.
    fn banded_in_corners() -> Array2<f32> {
        let mut inner = membrane(60, 80);
        for (y, x) in [(2, 2), (2, 70), (50, 2), (50, 70)] {
            for dy in 0..6 {
                for dx in 0..8 {
                    inner[[y + dy, x + dx]] += 80.0;
                }
            }
        }
        inner
    }

    /// A tray beyond every level of the membrane (its bands included) holds no lane: gone from
    /// the box lanes are found in. A field at the membrane's background level may be empty
    /// membrane: it stays.
    #[test]
    fn a_noisy_surround_beyond_the_content_levels_is_peeled_for_lanes_too() {
        let inner = banded_in_corners();
        let keep = |image: &Array2<f32>| content_box(&image.view(), 1.0, EmptyMargins::Keep);
        let tray = surrounded(&inner, 20, 400.0);
        let b = keep(&tray).unwrap();
        assert_eq!(
            (b.top, b.bottom, b.left, b.right),
            (20, 80, 20, 100),
            "tray"
        );
        let field = surrounded(&inner, 20, 103.0);
        assert!(keep(&field).unwrap().is_whole(100, 120), "field");
    }

    /// A frame line inside a tray (a ring brighter than anything on the blot, 3 px wide, 6 px
    /// in from the image's edge) is no edge of the blot: it goes with the tray around it.
    #[test]
    fn a_frame_line_inside_a_surround_is_peeled_with_it() {
        let inner = banded_in_corners();
        let mut tray = surrounded(&inner, 40, 400.0);
        let (h, w) = tray.dim();
        for ((y, x), v) in tray.indexed_iter_mut() {
            let (dy, dx) = (y.min(h - 1 - y), x.min(w - 1 - x));
            let on = |d: usize| (6..9).contains(&d);
            if (on(dy) && dx >= 6) || (on(dx) && dy >= 6) {
                *v = 500.0;
            }
        }
        // Nothing but the tray and its ring: bad input, which must not panic.
        let mut empty_tray = surrounded(&Array2::from_elem((60, 80), 400.0), 40, 400.0);
        for ((y, x), v) in empty_tray.indexed_iter_mut() {
            if tray[[y, x]] == 500.0 {
                *v = 500.0;
            }
        }
        for empty in [EmptyMargins::Peel, EmptyMargins::Keep] {
            let _ = content_box(&empty_tray.view(), 1.0, empty);
        }
        for empty in [EmptyMargins::Peel, EmptyMargins::Keep] {
            let b = content_box(&tray.view(), 1.0, empty).unwrap();
            assert_eq!(
                (b.top, b.bottom, b.left, b.right),
                (40, 100, 40, 120),
                "{empty:?}"
            );
        }
    }

    #[test]
    fn a_blank_image_or_an_empty_frame_has_no_content() {
        let flat = Array2::from_elem((30, 20), 7.0f32);
        assert_eq!(content_box(&flat.view(), 1.0, EmptyMargins::Keep), None);
        let empty_field = Array2::from_elem((40, 50), 180.0f32);
        let framed_field = framed(&framed(&empty_field, 2, 255.0), 20, 0.0);
        assert_eq!(
            content_box(&framed_field.view(), 1.0, EmptyMargins::Keep),
            None
        );
    }
}
