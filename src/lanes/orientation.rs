//! Which way the lanes run: a band is wider (across its lane) than it is tall (along it), so
//! where lanes run down the image the bands' edges run across it and the image changes more
//! from row to row than from column to column. A blot scanned sideways shows the opposite and
//! is turned before anything else is done to it.

use ndarray::{Array2, ArrayView2};

use crate::stats;

/// Lanes run across the image only where the image changes this many times more from column
/// to column than from row to row: a wrongly turned blot loses every value, an upright one
/// left sideways is found with the wrong lanes as before. The 20 real images of the test
/// suite read 0.96–6.4 (row-to-row over column-to-column) the right way up, and 17 of them
/// turned 90° are turned back.
pub const SIDEWAYS_RATIO: f64 = 1.5;

/// The analysis works on a copy whose longer side is at most this many pixels (block means):
/// the ratio is the same at every scale a band spans a few pixels at, and reading it costs
/// little on a large image.
const WORKING_SIDE: usize = 512;

/// How much more the image changes from row to row than from column to column, once every
/// row's and every column's own floor is taken out: a line or streak along nearly the whole
/// height or width of the image (a lane's edge shadow, a frame line) is no band edge, while
/// a row of bands leaves the gaps between its lanes.
pub fn down_over_across(signal: ArrayView2<f32>) -> f64 {
    let mut image = block_means(signal);
    let (height, width) = image.dim();
    if height < 8 || width < 8 {
        return 1.0;
    }
    // Both floors read from the image as it is, so that the measure treats rows and columns
    // alike: turned 90°, an image reads the inverse.
    let column_floors: Vec<f32> = image
        .columns()
        .into_iter()
        .map(|c| floor(&c.to_vec()))
        .collect();
    let row_floors: Vec<f32> = image
        .rows()
        .into_iter()
        .map(|r| floor(&r.to_vec()))
        .collect();
    for ((y, x), v) in image.indexed_iter_mut() {
        *v -= column_floors[x] + row_floors[y];
    }
    let smooth = box_smoothed(&image);
    let (mut down, mut across) = (0.0f64, 0.0f64);
    // Steps of 1, 2 and 4 pixels: thin bands and wide ones both count.
    for step in [1usize, 2, 4] {
        for y in step..height.saturating_sub(step) {
            for x in step..width.saturating_sub(step) {
                let dx = f64::from(smooth[[y, x + step]] - smooth[[y, x - step]]);
                let dy = f64::from(smooth[[y + step, x]] - smooth[[y - step, x]]);
                across += dx * dx;
                down += dy * dy;
            }
        }
    }
    if across > 0.0 {
        down / across
    } else {
        1.0
    }
}

/// The level a line holds along nine tenths of its length: what a streak the length of the
/// image adds to it, while bands (a minority of any line along them) and the gaps between
/// lanes (a tenth of a row or more) leave it alone.
fn floor(line: &[f32]) -> f32 {
    let mut values = line.to_vec();
    let rank = values.len() / 10;
    stats::order_statistics_f32(&mut values, &[rank])[0]
}

/// True where the lanes run across the image (see [`SIDEWAYS_RATIO`]).
pub fn lanes_run_across(signal: ArrayView2<f32>) -> bool {
    down_over_across(signal) * SIDEWAYS_RATIO < 1.0
}

/// The image turned 90° clockwise: its left edge becomes the top.
pub fn turned_clockwise(signal: &Array2<f32>) -> Array2<f32> {
    let (height, _) = signal.dim();
    let mut turned = signal.t().to_owned();
    // Transposing puts the left edge on top but mirrors the rows; reversing each row's
    // columns undoes the mirror.
    for mut row in turned.rows_mut() {
        let reversed: Vec<f32> = row.iter().rev().copied().collect();
        row.assign(&ndarray::ArrayView1::from(&reversed));
    }
    debug_assert_eq!(turned.ncols(), height);
    turned
}

/// `signal` in block means so that its longer side is at most [`WORKING_SIDE`].
fn block_means(signal: ArrayView2<f32>) -> Array2<f32> {
    let (height, width) = signal.dim();
    let factor = height.max(width).div_ceil(WORKING_SIDE).max(1);
    if factor == 1 {
        return signal.to_owned();
    }
    let (h, w) = (height / factor, width / factor);
    let means = super::band_rows::block_means(signal, factor);
    Array2::from_shape_vec((h, w), means).expect("one mean per block")
}

/// 3 × 3 box mean (edges left as they are): pixel noise is not structure.
fn box_smoothed(image: &Array2<f32>) -> Array2<f32> {
    let (height, width) = image.dim();
    let mut smooth = image.clone();
    for y in 1..height - 1 {
        let rows = [image.row(y - 1), image.row(y), image.row(y + 1)];
        for x in 1..width - 1 {
            let sum: f32 = rows.iter().map(|r| r[x - 1] + r[x] + r[x + 1]).sum();
            smooth[[y, x]] = sum / 9.0;
        }
    }
    smooth
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Six lanes of three bands each, lanes running down: bands 14 px wide, 4 px tall.
    fn upright() -> Array2<f32> {
        Array2::from_shape_fn((90, 120), |(y, x)| {
            let in_lane = (x % 20) >= 3 && (x % 20) < 17;
            let in_band = [20, 45, 70].iter().any(|&b| y >= b && y < b + 4);
            10.0 + if in_lane && in_band { 100.0 } else { 0.0 } + ((x * 7 + y * 13) % 5) as f32
        })
    }

    #[test]
    fn upright_lanes_stay_and_sideways_ones_are_turned() {
        let image = upright();
        assert!(!lanes_run_across(image.view()));
        let sideways = image.t().to_owned();
        assert!(lanes_run_across(sideways.view()));
        assert!(!lanes_run_across(turned_clockwise(&sideways).view()));
    }

    #[test]
    fn turning_clockwise_puts_the_left_edge_on_top() {
        let image = Array2::from_shape_fn((2, 3), |(y, x)| (10 * y + x) as f32);
        // 0 1 2      10  0
        // 10 11 12 -> 11  1
        //             12  2
        let turned = turned_clockwise(&image);
        assert_eq!(
            turned,
            ndarray::arr2(&[[10.0, 0.0], [11.0, 1.0], [12.0, 2.0]])
        );
    }
}
