//! The blot inside its frame: uniform margins around the membrane (a figure's white margin,
//! padding, a black surround, a frame line) hold no lanes, and lanes are found inside them.
//!
//! A margin row or column is one that is flat: nearly all its pixels equal its median to
//! within the image's quantization step. Membranes and gels always carry some noise or
//! texture, so no row or column crossing one is flat; margins are peeled from each side,
//! rows and columns in turn, until every side's outermost line carries something. A flat line
//! whose level the content itself reaches stays, though: it may be membrane clipped to white
//! or black by a display export, where an empty end lane can lie. What is peeled is a frame
//! at a level the blot never shows (a black surround around a dark-on-light blot, a white
//! margin around a light-on-dark one, padding), and frame lines inside it.

use ndarray::{s, Array2, ArrayView1};

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
    /// True when the box is the whole `height`×`width` image.
    pub fn is_whole(&self, height: usize, width: usize) -> bool {
        *self
            == ContentBox {
                top: 0,
                bottom: height,
                left: 0,
                right: width,
            }
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
pub fn content_box(signal: &Array2<f32>, quantum: f32) -> Option<ContentBox> {
    let (height, width) = signal.dim();
    let mut b = ContentBox {
        top: 0,
        bottom: height,
        left: 0,
        right: width,
    };
    let flat = |line: ArrayView1<f32>| is_flat(line, quantum);
    loop {
        let before = b;
        while b.height() > 1 && flat(signal.slice(s![b.top, b.left..b.right])) {
            b.top += 1;
        }
        while b.height() > 1 && flat(signal.slice(s![b.bottom - 1, b.left..b.right])) {
            b.bottom -= 1;
        }
        while b.width() > 1 && flat(signal.slice(s![b.top..b.bottom, b.left])) {
            b.left += 1;
        }
        while b.width() > 1 && flat(signal.slice(s![b.top..b.bottom, b.right - 1])) {
            b.right -= 1;
        }
        if b == before {
            break;
        }
    }
    // Nothing but margin: there is no content to frame.
    if b.width() <= 1 || b.height() <= 1 {
        return None;
    }
    // Nothing peeled (most images): no margin to weigh against the content's levels.
    if b.is_whole(height, width) {
        return Some(b);
    }
    Some(within_levels_of_content(signal, b, quantum))
}

/// `flat_box` widened again over the flat lines whose level the content itself reaches: a flat
/// line at the content's own levels may be membrane (a background clipped to white, an empty
/// lane) rather than frame, and a lane may lie on it. A frame is peeled only beyond the
/// outermost such line.
fn within_levels_of_content(
    signal: &Array2<f32>,
    flat_box: ContentBox,
    quantum: f32,
) -> ContentBox {
    let b = flat_box;
    let inside = signal.slice(s![b.top..b.bottom, b.left..b.right]);
    let mut values = stats::sample_evenly(inside.iter(), 250_000);
    let rank = |f: f64| ((values.len() - 1) as f64 * f).round() as usize;
    let ranks = [rank(0.001), rank(0.999)];
    let [low, high] = stats::order_statistics_f32(&mut values, &ranks)[..] else {
        unreachable!("two ranks give two values")
    };
    let reached = |line: ArrayView1<f32>| {
        let level = line_median(line);
        level >= low - quantum && level <= high + quantum
    };
    let mut wide = b;
    if let Some(top) = (0..b.top).find(|&y| reached(signal.slice(s![y, b.left..b.right]))) {
        wide.top = top;
    }
    if let Some(bottom) = (b.bottom..signal.nrows())
        .rev()
        .find(|&y| reached(signal.slice(s![y, b.left..b.right])))
    {
        wide.bottom = bottom + 1;
    }
    if let Some(left) = (0..b.left).find(|&x| reached(signal.slice(s![b.top..b.bottom, x]))) {
        wide.left = left;
    }
    if let Some(right) = (b.right..signal.ncols())
        .rev()
        .find(|&x| reached(signal.slice(s![b.top..b.bottom, x])))
    {
        wide.right = right + 1;
    }
    wide
}

/// True when all but [`OFF_LEVEL_SHARE`] of `line`'s pixels lie within `quantum` of its median.
fn is_flat(line: ArrayView1<f32>, quantum: f32) -> bool {
    let median = line_median(line);
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

    #[test]
    fn margins_beyond_the_content_levels_are_peeled_to_the_membrane() {
        let inner = membrane(50, 40);
        assert!(content_box(&inner, 1.0).unwrap().is_whole(50, 40));
        for fill in [0.0, 255.0] {
            let b = content_box(&framed(&inner, 9, fill), 1.0).unwrap();
            assert_eq!(
                (b.top, b.bottom, b.left, b.right),
                (9, 59, 9, 49),
                "fill {fill}"
            );
        }
    }

    /// A flat margin at the membrane's own background level may be membrane (clipped, or an
    /// empty lane's columns): it stays.
    #[test]
    fn a_margin_at_the_membranes_level_is_kept() {
        let b = content_box(&framed(&membrane(50, 40), 9, 103.0), 1.0).unwrap();
        assert!(b.is_whole(68, 58), "{b:?}");
    }

    #[test]
    fn a_frame_line_inside_a_white_margin_is_peeled_too() {
        let inner = framed(&membrane(50, 40), 2, 0.0);
        let b = content_box(&framed(&inner, 6, 255.0), 1.0).unwrap();
        assert_eq!((b.top, b.left, b.width(), b.height()), (8, 8, 40, 50));
    }

    #[test]
    fn a_blank_image_or_an_empty_frame_has_no_content() {
        let flat = Array2::from_elem((30, 20), 7.0f32);
        assert_eq!(content_box(&flat, 1.0), None);
        let empty_field = Array2::from_elem((40, 50), 180.0f32);
        let framed_field = framed(&framed(&empty_field, 2, 255.0), 20, 0.0);
        assert_eq!(content_box(&framed_field, 1.0), None);
    }
}
