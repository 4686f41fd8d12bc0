//! A membrane or gel imaged a little turned: its lanes all lean one way, and on a tall image
//! the column profile taken straight down smears each lane over its neighbours, so neither the
//! count nor the places can be read from it. The lean is measured first ([`measure`]) from
//! the image itself and the image is sheared upright ([`sheared_upright`]: rows moved by whole
//! pixels, values unchanged, so volumes are too) before its strips are lined up and its lanes
//! found; [`super::lean`] then follows what lean is left, lane by lane.

use ndarray::{Array2, ArrayView2};

use crate::stats;

/// The image is cut into this many bands of rows, each with its own column profile; the
/// lean is where their lane structures line up best.
const SLABS: usize = 8;
/// Leans are looked for up to this angle either way: a membrane laid by hand is turned by a
/// few degrees at most (a blot scanned sideways is turned 90° by [`super::orientation`]).
const MAX_DEGREES: f64 = 4.0;
/// A lean counts only where it moves a lane at least this many pixels over the image's
/// height, the whole-pixel shear's own resolution (the same as [`super::lean`]'s).
const MIN_SHIFT_PX: f64 = 2.0;
/// The slabs' profiles must line up better leaning than upright by this many standard errors
/// of their mean correlation (its noise, from the pairs of slabs and the columns that are
/// independent after smoothing).
const MIN_GAIN_SES: f64 = 5.0;
/// Shears are first tried this many apart (whole pixels at the image's top and bottom
/// edges): neighbouring slabs then move at most 4/[`SLABS`] px apart from one try to the next.
const COARSE_STEP: usize = 4;
/// The column profiles are smoothed by this many pixels (SD) before their slopes are taken,
/// and the slopes of neighbouring columns are then correlated over about 2√π times as many:
/// the noise's own correlation length, which sets the standard error above.
const SMOOTHING_PX: f64 = 1.5;

/// How far the lanes of `image` (bands bright, inside its frame) move right per row down it,
/// where they lean clearly (every lane one way, as on a membrane imaged turned); `None` where
/// they stand upright or the lean is not clear. No background need be taken out first: a
/// slow trend across the image lines up alike at every shear.
pub fn measure(image: ArrayView2<f32>) -> Option<f64> {
    let slope = clear_lean(image).filter(|l| !l.at_range_end)?.slope;
    // Lanes that fan out of a gel lean one way on one side and the other way on the other: no
    // one shear stands them upright, and [`super::lean`] follows each. A turned membrane's
    // lanes lean the same way on both sides (where a side shows its lean at all).
    let half = image.ncols() / 2;
    let alike =
        |side: ndarray::ArrayView2<f32>| clear_lean(side).is_none_or(|l| l.slope * slope > 0.0);
    (alike(image.slice(ndarray::s![.., ..half])) && alike(image.slice(ndarray::s![.., half..])))
        .then_some(slope)
}

/// The lean under which an image's slabs line up best.
struct Lean {
    /// Px right per row down the image.
    slope: f64,
    /// The best lies at the end of the range tried: no peak, but a sign that the lanes lean
    /// that way at least as much.
    at_range_end: bool,
}

/// The lean of the lanes of `image` where it stands out of the noise, however it varies
/// across the image.
fn clear_lean(image: ArrayView2<f32>) -> Option<Lean> {
    let (height, width) = image.dim();
    if height < SLABS * 2 || width < 8 {
        return None;
    }
    let slabs = Slabs::of(image);
    let middle = (height - 1) as f64 / 2.0;
    // Shears a whole pixel apart at the image's top and bottom edges: every distinct one.
    let step = 1.0 / height as f64;
    let steps = (MAX_DEGREES.to_radians().tan() / step) as i64;
    let upright = slabs.agreement(0.0, middle);
    let best_of = |candidates: &mut dyn Iterator<Item = i64>| {
        candidates
            .map(|i| (i, slabs.agreement(i as f64 * step, middle)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    };
    // Every few shears first (neighbouring slabs then move under a pixel apart, so no peak
    // falls between them), then every shear about the best of those.
    let (coarse, _) = best_of(&mut (-steps..=steps).step_by(COARSE_STEP))?;
    let near = (coarse - COARSE_STEP as i64).max(-steps)..=(coarse + COARSE_STEP as i64).min(steps);
    let (best_step, best) = best_of(&mut near.into_iter())?;
    let slope = best_step as f64 * step;
    let pairs = (SLABS * (SLABS - 1) / 2) as f64;
    let independent_columns = width as f64 / (2.0 * std::f64::consts::PI.sqrt() * SMOOTHING_PX);
    let standard_error = 1.0 / (pairs * independent_columns).sqrt();
    let clear = best - upright >= MIN_GAIN_SES * standard_error;
    (clear && slope.abs() * height as f64 >= MIN_SHIFT_PX).then_some(Lean {
        slope,
        // The best at the end of the range tried is no peak: what lines up there (a
        // membrane's curved edge, a vignette's rim) may be no lane at all.
        at_range_end: best_step.abs() == steps,
    })
}

/// The column slopes of each slab of rows and the slab's middle row.
struct Slabs {
    slopes: Vec<Vec<f64>>,
    middles: Vec<f64>,
}

impl Slabs {
    fn of(image: ArrayView2<f32>) -> Slabs {
        let (height, width) = image.dim();
        let (mut slopes, mut middles) = (Vec::new(), Vec::new());
        for slab in 0..SLABS {
            let (top, bottom) = (slab * height / SLABS, (slab + 1) * height / SLABS);
            let mut profile = vec![0.0f32; width];
            for row in image.slice(ndarray::s![top..bottom, ..]).rows() {
                // As a slice where the row is one (the loop then runs several columns at once).
                let add = |(p, &v): (&mut f32, &f32)| *p += v;
                match row.as_slice() {
                    Some(values) => profile.iter_mut().zip(values).for_each(add),
                    None => profile.iter_mut().zip(row).for_each(add),
                }
            }
            let smooth = stats::gaussian_smooth(&profile, SMOOTHING_PX);
            slopes.push(smooth.windows(2).map(|w| (w[1] - w[0]) as f64).collect());
            middles.push((top + bottom - 1) as f64 / 2.0);
        }
        Slabs { slopes, middles }
    }

    /// The mean correlation between the slabs' column slopes, each slab moved as lanes of
    /// `slope` would move it about the `middle` row (whole pixels).
    fn agreement(&self, slope: f64, middle: f64) -> f64 {
        let shifts: Vec<i64> = self
            .middles
            .iter()
            .map(|m| (slope * (m - middle)).round() as i64)
            .collect();
        let mut sum = 0.0;
        let mut pairs = 0;
        for j in 0..self.slopes.len() {
            for k in j + 1..self.slopes.len() {
                // Slab k read `shifts[k] - shifts[j]` columns further along than slab j.
                let relative = shifts[k] - shifts[j];
                sum += stats::correlation_at_shift(&self.slopes[j], &self.slopes[k], relative);
                pairs += 1;
            }
        }
        sum / pairs as f64
    }
}

/// `image` with each row moved sideways by whole pixels so that lanes leaning by `slope`
/// stand upright (rows keep their place at the middle row); columns moved in from beyond an
/// edge repeat the edge's value.
pub fn sheared_upright(image: &Array2<f32>, slope: f64) -> Array2<f32> {
    let (height, width) = image.dim();
    let middle = (height - 1) as f64 / 2.0;
    Array2::from_shape_fn((height, width), |(y, x)| {
        let from = x as i64 + (slope * (y as f64 - middle)).round() as i64;
        image[[y, from.clamp(0, width as i64 - 1) as usize]]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lanes of bands 40 px apart down a tall image, each leaning `slope` px per row.
    fn leaning_lanes(slope: f64) -> Array2<f32> {
        let (height, width) = (600, 400);
        let middle = (height - 1) as f64 / 2.0;
        Array2::from_shape_fn((height, width), |(y, x)| {
            let x = x as f64 - slope * (y as f64 - middle);
            let in_lane = x.rem_euclid(40.0) - 20.0;
            let band = ((y / 50) % 2 == 0) as u8 as f64;
            (band * (-(in_lane / 8.0).powi(2)).exp() * 100.0) as f32
        })
    }

    #[test]
    fn the_lean_of_a_turned_membrane_is_measured_both_ways() {
        for degrees in [-3.0f64, -2.0, 2.0, 3.0] {
            let slope = degrees.to_radians().tan();
            let measured = measure(leaning_lanes(slope).view()).expect("a clear lean");
            assert!(
                (measured - slope).abs() * 600.0 <= 2.0,
                "{degrees}°: measured {measured}, true {slope}"
            );
        }
    }

    #[test]
    fn lanes_fanning_out_both_ways_are_not_sheared() {
        // Lanes of the left half lean left by 1°, those of the right half right by 3°.
        let slope = |degrees: f64| degrees.to_radians().tan();
        let (left, right) = (leaning_lanes(slope(-1.0)), leaning_lanes(slope(3.0)));
        let fan = Array2::from_shape_fn((600, 400), |(y, x)| {
            if x < 200 {
                left[[y, x]]
            } else {
                right[[y, x]]
            }
        });
        assert_eq!(measure(fan.view()), None);
    }

    #[test]
    fn upright_lanes_and_noise_show_no_lean() {
        assert_eq!(measure(leaning_lanes(0.0).view()), None);
        let mut seed = 7u64;
        let noise = Array2::from_shape_fn((600, 400), |_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 40) as f32 / (1u64 << 24) as f32
        });
        assert_eq!(measure(noise.view()), None);
    }

    #[test]
    fn sheared_lanes_stand_upright() {
        let slope = 2f64.to_radians().tan();
        let upright = sheared_upright(&leaning_lanes(slope), slope);
        // The middle rows' profile peaks where the lanes' centres are on every slab.
        let column_peak = |rows: std::ops::Range<usize>| {
            (0..40)
                .max_by(|&a, &b| {
                    let sum = |x: usize| rows.clone().map(|y| upright[[y, x]]).sum::<f32>();
                    sum(a).total_cmp(&sum(b))
                })
                .unwrap()
        };
        assert!((column_peak(0..50) as i64 - 20).abs() <= 1);
        assert!((column_peak(500..550) as i64 - 20).abs() <= 1);
    }
}
