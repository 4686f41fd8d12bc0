//! Sliding-paraboloid background, as ImageJ 1.53t's Subtract Background runs it with "sliding
//! paraboloid": no shrinking; optional pre-smoothing by a 3×3 maximum then a 3×3 mean (the
//! mean shift the maximum causes is taken off at the end); a correction of the four corners;
//! then a parabola of curvature `0.5/radius` (`1/radius` along diagonals) slid from below along
//! rows, columns, rows again, both diagonals and the first diagonal again. On each line the
//! parabola touches some points; between two touching points the background is the parabola
//! through both, elsewhere the data.

use ndarray::Array2;
use rayon::prelude::*;

/// The background under `image` (bands bright) for a paraboloid of `radius` pixels.
pub fn background(image: &Array2<f32>, radius: f64, smoothing: bool) -> Array2<f32> {
    let (h, w) = image.dim();
    let mut pixels: Vec<f32> = image.iter().copied().collect();
    let coeff = 0.5f32 / radius as f32;
    let coeff_diagonal = 1.0f32 / radius as f32;
    let mut shift = 0.0f32;
    if smoothing {
        shift = filter3x3(&mut pixels, w, h, Filter::Maximum) as f32;
        filter3x3(&mut pixels, w, h, Filter::Mean);
    }
    correct_corners(&mut pixels, w, h, coeff);
    let passes = [
        (Direction::Rows, coeff),
        (Direction::Columns, coeff),
        (Direction::Rows, coeff),
        (Direction::DownRight, coeff_diagonal),
        (Direction::DownLeft, coeff_diagonal),
        (Direction::DownRight, coeff_diagonal),
    ];
    for (direction, c) in passes {
        slide_all(&mut pixels, w, h, direction, c);
    }
    if smoothing {
        pixels.iter_mut().for_each(|v| *v -= shift);
    }
    Array2::from_shape_vec((h, w), pixels).expect("buffer matches shape")
}

#[derive(Clone, Copy, PartialEq)]
enum Filter {
    Maximum,
    Mean,
}

/// ImageJ's separable 3×3 filter, in place (rows, then columns; edge pixels repeated). For the
/// maximum, returns the mean increase it caused.
fn filter3x3(pixels: &mut [f32], w: usize, h: usize, filter: Filter) -> f64 {
    let mut shift = 0.0f64;
    for y in 0..h {
        shift += filter3(pixels, y * w, 1, w, filter);
    }
    for x in 0..w {
        shift += filter3(pixels, x, w, h, filter);
    }
    shift / (w * h) as f64
}

fn filter3(pixels: &mut [f32], start: usize, step: usize, length: usize, filter: Filter) -> f64 {
    let mut shift = 0.0f64;
    let mut v3 = pixels[start];
    let mut v2 = v3;
    for i in 0..length {
        let p = start + i * step;
        let v1 = v2;
        v2 = v3;
        if i + 1 < length {
            v3 = pixels[p + step];
        }
        pixels[p] = match filter {
            Filter::Maximum => {
                let max = v1.max(v2).max(v3);
                shift += (max - v2) as f64;
                max
            }
            Filter::Mean => (v1 + v2 + v3) * 0.333_333_33_f32,
        };
    }
    shift
}

#[derive(Clone, Copy)]
enum Direction {
    Rows,
    Columns,
    /// Top-left to bottom-right.
    DownRight,
    /// Top-right to bottom-left.
    DownLeft,
}

/// Every line of one direction, as (start index, step, length).
fn lines(w: usize, h: usize, direction: Direction) -> Vec<(usize, isize, usize)> {
    match direction {
        Direction::Rows => (0..h).map(|y| (y * w, 1, w)).collect(),
        Direction::Columns => (0..w).map(|x| (x, w as isize, h)).collect(),
        Direction::DownRight => {
            let from_top = (0..w).map(|x| (x, w as isize + 1, (w - x).min(h)));
            let from_left = (1..h).map(|y| (y * w, w as isize + 1, (h - y).min(w)));
            from_top.chain(from_left).collect()
        }
        Direction::DownLeft => {
            let from_top = (0..w).map(|x| (x, w as isize - 1, (x + 1).min(h)));
            let from_right = (1..h).map(|y| (y * w + w - 1, w as isize - 1, (h - y).min(w)));
            from_top.chain(from_right).collect()
        }
    }
}

/// Slides the parabola along every line of a direction. Lines of one direction are disjoint,
/// so they run in parallel with the same result.
fn slide_all(pixels: &mut [f32], w: usize, h: usize, direction: Direction, coeff: f32) {
    let all = lines(w, h, direction);
    let results: Vec<Vec<f32>> = all
        .par_iter()
        .map(|&(start, step, length)| {
            let mut line: Vec<f32> = (0..length)
                .map(|i| pixels[(start as isize + i as isize * step) as usize])
                .collect();
            slide_parabola(&mut line, coeff);
            line
        })
        .collect();
    for (&(start, step, _), line) in all.iter().zip(results) {
        for (i, v) in line.into_iter().enumerate() {
            pixels[(start as isize + i as isize * step) as usize] = v;
        }
    }
}

/// Slides a parabola `−coeff·x²` along `line` from below, in place. Returns the first and the
/// last touching points other than the two ends.
fn slide_parabola(line: &mut [f32], coeff: f32) -> (usize, usize) {
    let n = line.len();
    let original = line.to_vec();
    let (mut first_corner, mut last_corner) = (n.saturating_sub(1), 0);
    if n < 3 {
        return (first_corner, last_corner);
    }
    let mut i1 = 0;
    while i1 < n - 1 {
        let v1 = original[i1];
        let mut min_slope = f32::MAX;
        let mut i2 = i1 + 1;
        for (j, &v2) in original.iter().enumerate().skip(i1 + 1) {
            let d = (j - i1) as f32;
            let slope = (v2 - v1) / d + coeff * d;
            if slope < min_slope {
                min_slope = slope;
                i2 = j;
            }
        }
        if i1 == 0 {
            first_corner = i2;
        }
        if i2 == n - 1 {
            last_corner = i1;
        }
        for (j, value) in line.iter_mut().enumerate().take(i2).skip(i1 + 1) {
            let d = (j - i1) as f32;
            *value = v1 + d * (min_slope - d * coeff);
        }
        i1 = i2;
    }
    (first_corner, last_corner)
}

/// Estimates of a slid line's two end values, extrapolated from its first and last inner
/// touching points (touching points within a quarter of the line from an end are ignored, as a
/// corner particle is assumed smaller than that). The form was found by measuring ImageJ's
/// output on the fixtures: of the candidate extrapolations, this one reproduces it.
fn extrapolated_ends(line: &mut [f32], coeff: f32) -> (f32, f32) {
    let n = line.len();
    let (mut first, mut last) = slide_parabola(line, coeff);
    if 4 * first >= n {
        first = 0;
    }
    if 4 * (n - 1 - last) >= n {
        last = n - 1;
    }
    let (v1, v2) = (line[first], line[last]);
    let span = (last as f32 - first as f32).max(1.0);
    let slope = (v2 - v1) / span;
    let (f, l) = (first as f32, last as f32);
    // From the nearer touching point: the line through both, bent upward by the parabola's
    // curvature over the distance to the end.
    let at = |x: f32| {
        if x <= f {
            v1 + slope * (x - f) + coeff * (f - x) * (f - x)
        } else {
            v2 + slope * (x - l) + coeff * (x - l) * (x - l)
        }
    };
    (at(0.0), at((n - 1) as f32))
}

/// Lowers each corner to the mean of the values extrapolated along its two edges and its
/// diagonal, so that an object in a corner is not taken for background.
fn correct_corners(pixels: &mut [f32], w: usize, h: usize, coeff: f32) {
    if w < 3 || h < 3 {
        return;
    }
    let mut take = |start: usize, step: isize, length: usize, c: f32| -> (f32, f32) {
        let mut line: Vec<f32> = (0..length)
            .map(|i| pixels[(start as isize + i as isize * step) as usize])
            .collect();
        let ends = extrapolated_ends(&mut line, c);
        for (i, v) in line.into_iter().enumerate() {
            pixels[(start as isize + i as isize * step) as usize] = v;
        }
        ends
    };
    let mut corners = [0.0f32; 4]; // top-left, top-right, bottom-left, bottom-right
    let (a, b) = take(0, 1, w, coeff);
    corners[0] += a;
    corners[1] += b;
    let (a, b) = take((h - 1) * w, 1, w, coeff);
    corners[2] += a;
    corners[3] += b;
    let (a, b) = take(0, w as isize, h, coeff);
    corners[0] += a;
    corners[2] += b;
    let (a, b) = take(w - 1, w as isize, h, coeff);
    corners[1] += a;
    corners[3] += b;
    let diagonal = w.min(h);
    let c = 2.0 * coeff;
    corners[0] += take(0, w as isize + 1, diagonal, c).0;
    corners[1] += take(w - 1, w as isize - 1, diagonal, c).0;
    corners[2] += take((h - 1) * w, 1 - w as isize, diagonal, c).0;
    corners[3] += take(w * h - 1, -1 - w as isize, diagonal, c).0;
    let indices = [0, w - 1, (h - 1) * w, w * h - 1];
    for (k, &p) in indices.iter().enumerate() {
        let estimate = corners[k] / 3.0;
        if pixels[p] > estimate {
            pixels[p] = estimate;
        }
    }
}
