//! Gray images read a row at a time as `f32`, whatever holds them (a file read row by row,
//! stored samples, an array), so the background stages need no float copy of a whole image.

use multiversion::multiversion;

use super::RawGray;

/// A grey image read row by row as `f32`, so the full image never needs a float copy.
pub trait RowSource: Sync {
    /// Samples per row, in pixels: the length `read_row` fills.
    fn width(&self) -> usize;
    /// Number of rows, in pixels.
    fn height(&self) -> usize;
    /// Writes row `y` into `out` (length `width`).
    fn read_row(&self, y: usize, out: &mut [f32]);
}

impl RowSource for RawGray {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn read_row(&self, y: usize, out: &mut [f32]) {
        widen(&self.pixels[y * self.width..(y + 1) * self.width], out);
    }
}

/// 16-bit samples as `f32`.
#[multiversion(targets("x86_64+avx2", "x86_64+avx512f"))]
pub fn widen(samples: &[u16], values: &mut [f32]) {
    for (v, &s) in values.iter_mut().zip(samples) {
        *v = f32::from(s);
    }
}
