//! Rolling-ball background after Sternberg (1983) as ImageJ 1.x runs it: the image is shrunk by
//! block minima, a ball is rolled under the shrunk image (a grey-scale opening with a spherical
//! structuring element), and the result is enlarged back by bilinear interpolation.

use ndarray::Array2;
use rayon::prelude::*;

/// ImageJ's choice of shrink factor: small balls roll on the full image, large ones on a
/// shrunk copy, which is much faster and barely changes the result.
pub fn shrink_factor(radius: f64) -> usize {
    if radius <= 10.0 {
        1
    } else if radius <= 30.0 {
        2
    } else if radius <= 100.0 {
        4
    } else {
        8
    }
}

/// The background surface under `image` (same shape), for a ball of `radius` pixels.
/// `smoothing` applies ImageJ's 3×3 mean first, so single noisy minima do not pull the ball down.
pub fn background(image: &Array2<f32>, radius: f64, smoothing: bool) -> Array2<f32> {
    let smoothed = if smoothing {
        mean3x3(image)
    } else {
        image.clone()
    };
    let factor = shrink_factor(radius);
    let small = shrink_by_min(&smoothed, factor);
    let ball = Ball::new(radius / factor as f64);
    let rolled = open_with_ball(&small, &ball);
    enlarge_bilinear(&rolled, factor, image.dim())
}

/// 3×3 mean with edge pixels replicated.
pub fn mean3x3(image: &Array2<f32>) -> Array2<f32> {
    let (h, w) = image.dim();
    Array2::from_shape_fn((h, w), |(y, x)| {
        let mut sum = 0.0;
        for dy in -1i64..=1 {
            for dx in -1i64..=1 {
                let yy = (y as i64 + dy).clamp(0, h as i64 - 1) as usize;
                let xx = (x as i64 + dx).clamp(0, w as i64 - 1) as usize;
                sum += image[[yy, xx]];
            }
        }
        sum / 9.0
    })
}

fn shrink_by_min(image: &Array2<f32>, factor: usize) -> Array2<f32> {
    if factor == 1 {
        return image.clone();
    }
    let (h, w) = image.dim();
    let (sh, sw) = (h.div_ceil(factor), w.div_ceil(factor));
    Array2::from_shape_fn((sh, sw), |(sy, sx)| {
        let mut min = f32::INFINITY;
        for y in sy * factor..((sy + 1) * factor).min(h) {
            for x in sx * factor..((sx + 1) * factor).min(w) {
                min = min.min(image[[y, x]]);
            }
        }
        min
    })
}

/// The ball as a list of offsets with the height of the sphere's cap above its rim.
struct Ball {
    offsets: Vec<(i64, i64, f32)>,
}

impl Ball {
    fn new(radius: f64) -> Ball {
        let r = radius.max(1.0);
        let reach = r.floor() as i64;
        let mut offsets = Vec::new();
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let d2 = (dx * dx + dy * dy) as f64;
                if d2 <= r * r {
                    offsets.push((dy, dx, (r * r - d2).sqrt() as f32));
                }
            }
        }
        Ball { offsets }
    }
}

/// Grey-scale opening: erosion then dilation with the ball, ignoring offsets outside the image.
fn open_with_ball(image: &Array2<f32>, ball: &Ball) -> Array2<f32> {
    let eroded = apply_ball(image, ball, |acc, v, z| acc.min(v - z), f32::INFINITY);
    apply_ball(&eroded, ball, |acc, v, z| acc.max(v + z), f32::NEG_INFINITY)
}

/// Applies `combine(acc, pixel, ball height)` over every ball offset. The loops run over whole
/// row segments for each offset, so the inner loop is contiguous and free of bounds branches.
fn apply_ball(
    image: &Array2<f32>,
    ball: &Ball,
    combine: impl Fn(f32, f32, f32) -> f32 + Sync,
    init: f32,
) -> Array2<f32> {
    let (h, w) = image.dim();
    let source = image.as_standard_layout();
    let pixels = source.as_slice().expect("standard layout is contiguous");
    let mut out = vec![init; h * w];
    out.par_chunks_mut(w).enumerate().for_each(|(y, acc)| {
        for &(dy, dx, z) in &ball.offsets {
            let yy = y as i64 + dy;
            if yy < 0 || yy >= h as i64 {
                continue;
            }
            let row = &pixels[yy as usize * w..(yy as usize + 1) * w];
            // Output columns x whose neighbour x + dx lies inside the row.
            let x_start = (-dx).max(0) as usize;
            let x_end = (w as i64 - dx.max(0)).max(0) as usize;
            if x_start >= x_end {
                continue;
            }
            let shifted = &row[(x_start as i64 + dx) as usize..(x_end as i64 + dx) as usize];
            for (a, &v) in acc[x_start..x_end].iter_mut().zip(shifted) {
                *a = combine(*a, v, z);
            }
        }
    });
    Array2::from_shape_vec((h, w), out).expect("buffer matches shape")
}

/// Bilinear enlargement; shrunk pixel `j` stands for the centre of its block, and values beyond
/// the outermost centres are held constant.
fn enlarge_bilinear(small: &Array2<f32>, factor: usize, dim: (usize, usize)) -> Array2<f32> {
    if factor == 1 {
        return small.clone();
    }
    let (sh, sw) = small.dim();
    let f = factor as f64;
    let coord = |i: usize, n: usize| -> (usize, usize, f32) {
        let pos = ((i as f64 + 0.5) / f - 0.5).clamp(0.0, (n - 1) as f64);
        let i0 = pos.floor() as usize;
        let i1 = (i0 + 1).min(n - 1);
        (i0, i1, (pos - i0 as f64) as f32)
    };
    Array2::from_shape_fn(dim, |(y, x)| {
        let (y0, y1, fy) = coord(y, sh);
        let (x0, x1, fx) = coord(x, sw);
        let top = small[[y0, x0]] * (1.0 - fx) + small[[y0, x1]] * fx;
        let bottom = small[[y1, x0]] * (1.0 - fx) + small[[y1, x1]] * fx;
        top * (1.0 - fy) + bottom * fy
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_image_is_its_own_background() {
        let image = Array2::from_elem((40, 60), 123.0f32);
        let bg = background(&image, 20.0, true);
        assert!(bg.iter().all(|&v| (v - 123.0).abs() < 1e-3));
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
        // Under the peak, the background follows the ramp, not the peak.
        assert!((bg[[40, 40]] - 140.0).abs() < 5.0, "{}", bg[[40, 40]]);
        // Away from the peak it equals the ramp closely.
        assert!((bg[[10, 10]] - 110.0).abs() < 3.0, "{}", bg[[10, 10]]);
    }
}
