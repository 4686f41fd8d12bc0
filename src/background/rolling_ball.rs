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

/// The background surface under `image` (same shape) for a ball of `radius` pixels, with bands
/// brighter than the background. `smoothing` is ImageJ's pre-smoothing (on unless "disable").
pub fn background(image: &Array2<f32>, radius: f64, smoothing: bool) -> Array2<f32> {
    let mut work = image.as_standard_layout().into_owned();
    if smoothing {
        mean3x3_in_place(&mut work);
    }
    let (factor, trim) = shrink_and_trim(radius);
    let ball = Ball::new(radius / factor as f64, trim);
    if factor == 1 {
        return roll_ball(&work, &ball);
    }
    let small = shrink_by_min(&work, factor);
    let rolled = roll_ball(&small, &ball);
    enlarge(&rolled, factor, image.dim())
}

/// ImageJ's 3×3 mean: a 3-tap mean along each row, then along each column of the result,
/// each pass in place with the edge pixel repeated beyond the border.
pub fn mean3x3_in_place(image: &mut Array2<f32>) {
    for mut row in image.rows_mut() {
        mean3_line(row.iter_mut());
    }
    for mut column in image.columns_mut() {
        mean3_line(column.iter_mut());
    }
}

fn mean3_line<'a>(line: impl Iterator<Item = &'a mut f32>) {
    let mut values: Vec<&mut f32> = line.collect();
    let n = values.len();
    if n == 0 {
        return;
    }
    // v1, v2, v3: the original values at i - 1, i, i + 1 (read before they are overwritten).
    let mut v3 = *values[0];
    let mut v2 = v3;
    for i in 0..n {
        let v1 = v2;
        v2 = v3;
        if i + 1 < n {
            v3 = *values[i + 1];
        }
        *values[i] = (v1 + v2 + v3) * 0.333_333_33_f32;
    }
}

/// Each pixel of the small image is the minimum of its `factor`×`factor` block (partial
/// blocks at the right and bottom edges).
fn shrink_by_min(image: &Array2<f32>, factor: usize) -> Array2<f32> {
    let (h, w) = image.dim();
    let (sh, sw) = (h.div_ceil(factor), w.div_ceil(factor));
    Array2::from_shape_fn((sh, sw), |(sy, sx)| {
        let mut min = f32::MAX;
        for y in sy * factor..((sy + 1) * factor).min(h) {
            for x in sx * factor..((sx + 1) * factor).min(w) {
                min = min.min(image[[y, x]]);
            }
        }
        min
    })
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
/// outside the image) the ball rises until it touches the data; each pixel ends at the highest
/// ball surface over it.
fn roll_ball(image: &Array2<f32>, ball: &Ball) -> Array2<f32> {
    let (h, w) = image.dim();
    let half = ball.half as i64;
    let side = ball.side();
    let pixels = image.as_slice().expect("standard layout");
    let (eh, ew) = (h + 2 * ball.half, w + 2 * ball.half);
    // Height of the ball centred at (cy - half, cx - half), for every centre.
    let mut heights = vec![f32::MAX; eh * ew];
    heights
        .par_chunks_mut(ew)
        .enumerate()
        .for_each(|(cy, row)| {
            let y = cy as i64 - half;
            for (cx, height) in row.iter_mut().enumerate() {
                let x = cx as i64 - half;
                let mut z = f32::MAX;
                for by in 0..side {
                    let yy = y + by as i64 - half;
                    if yy < 0 || yy >= h as i64 {
                        continue;
                    }
                    let line = &pixels[yy as usize * w..(yy as usize + 1) * w];
                    let zline = &ball.z[by * side..(by + 1) * side];
                    let x0 = (x - half).max(0);
                    let x1 = (x + half).min(w as i64 - 1);
                    for xx in x0..=x1 {
                        let reduced = line[xx as usize] - zline[(xx - x + half) as usize];
                        if z > reduced {
                            z = reduced;
                        }
                    }
                }
                *height = z;
            }
        });
    let mut out = vec![-f32::MAX; h * w];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        for by in 0..side {
            // Centres whose patch row `by` lies on image row y.
            let cy = y as i64 + half - (by as i64 - half);
            if cy < 0 || cy >= eh as i64 {
                continue;
            }
            let centres = &heights[cy as usize * ew..(cy as usize + 1) * ew];
            let zline = &ball.z[by * side..(by + 1) * side];
            for (bx, &zb) in zline.iter().enumerate() {
                // Pixel x is covered by the centre at extended column x + half - (bx - half).
                let shift = 2 * half - bx as i64;
                for (x, value) in row.iter_mut().enumerate() {
                    let cx = x as i64 + shift;
                    let added = centres[cx as usize] + zb;
                    if added > *value {
                        *value = added;
                    }
                }
            }
        }
    });
    Array2::from_shape_vec((h, w), out).expect("buffer matches shape")
}

/// ImageJ's interpolation indices and weights along one axis: pixel `i` lies between small
/// pixels `index` and `index + 1`, with weight `weight` on the first; beyond the outermost
/// small-pixel centres the weights extrapolate linearly.
fn interpolation(length: usize, small_length: usize, factor: usize) -> Vec<(usize, f32)> {
    (0..length)
        .map(|i| {
            // Integer division truncating toward zero, as Java does for negative values.
            let mut index = (i as i64 - (factor / 2) as i64) / factor as i64;
            if index >= small_length as i64 - 1 {
                index = small_length as i64 - 2;
            }
            let index = index.max(0) as usize;
            let distance = (i as f32 + 0.5) / factor as f32 - (index as f32 + 0.5);
            (index, 1.0 - distance)
        })
        .collect()
}

/// Bilinear enlargement of the rolled small image to `dim`, ImageJ's way: interpolate along x
/// within each needed small row, then along y between the two rows.
fn enlarge(small: &Array2<f32>, factor: usize, dim: (usize, usize)) -> Array2<f32> {
    let (sh, sw) = small.dim();
    let (h, w) = dim;
    if sh < 2 || sw < 2 {
        // Too small to interpolate: hold the value of the nearest small pixel.
        return Array2::from_shape_fn(dim, |(y, x)| {
            small[[(y / factor).min(sh - 1), (x / factor).min(sw - 1)]]
        });
    }
    let xs = interpolation(w, sw, factor);
    let ys = interpolation(h, sh, factor);
    let line = |sy: usize| -> Vec<f32> {
        xs.iter()
            .map(|&(i, wt)| small[[sy, i]] * wt + small[[sy, i + 1]] * (1.0 - wt))
            .collect()
    };
    let lines: Vec<Vec<f32>> = (0..sh).map(line).collect();
    let mut out = Vec::with_capacity(h * w);
    for &(j, wt) in &ys {
        let (upper, lower) = (&lines[j], &lines[j + 1]);
        out.extend(
            upper
                .iter()
                .zip(lower)
                .map(|(a, b)| a * wt + b * (1.0 - wt)),
        );
    }
    Array2::from_shape_vec((h, w), out).expect("buffer matches shape")
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
