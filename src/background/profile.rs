//! Lane-profile backgrounds: the background under a band is judged from the lane's own row
//! profile or from the pixels around the band's box, instead of from a 2-D surface.
//!
//! - Rubber band: the lower convex hull of the lane profile (the profile's "rubber band"
//!   stretched from below), as in Bio-Rad Image Lab's and ImageJ-based lane tools.
//! - Valley to valley: a straight line under the band from the profile just above its box to
//!   just below it (LI-COR Image Studio's "Lane" background with the valley-to-valley option).
//! - Border median: the median of the pixels in a border of a few pixels around the band's box
//!   (LI-COR Image Studio's "Median" background, top/bottom or all sides).

use ndarray::Array2;

/// Sum over the lane's columns of the signal, one value per image row; `columns(y)` is the
/// lane's column range `[start, end)` at row y (a leaning lane moves across the rows).
pub fn lane_profile_sums(
    signal: &Array2<f32>,
    columns: impl Fn(usize) -> (usize, usize),
) -> Vec<f64> {
    signal
        .rows()
        .into_iter()
        .enumerate()
        .map(|(y, row)| {
            let (start, end) = columns(y);
            row.slice(ndarray::s![start..end])
                .iter()
                .map(|&v| v as f64)
                .sum()
        })
        .collect()
}

/// The lower convex hull of `profile`, evaluated at every index.
pub fn lower_hull(profile: &[f64]) -> Vec<f64> {
    let mut hull: Vec<usize> = Vec::new();
    for i in 0..profile.len() {
        while hull.len() >= 2 {
            let (a, b) = (hull[hull.len() - 2], hull[hull.len() - 1]);
            // Drop b if it lies on or above the segment from a to i.
            let cross = (b - a) as f64 * (profile[i] - profile[a])
                - (i - a) as f64 * (profile[b] - profile[a]);
            if cross <= 0.0 {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(i);
    }
    let mut out = vec![0.0; profile.len()];
    for pair in hull.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        for (i, o) in out.iter_mut().enumerate().take(b + 1).skip(a) {
            let t = (i - a) as f64 / (b - a) as f64;
            *o = profile[a] + t * (profile[b] - profile[a]);
        }
    }
    if hull.len() == 1 {
        out[0] = profile[0];
    }
    out
}

/// Rubber-band background of rows `top..=bottom`: the lane profile's lower hull summed there.
pub fn rubber_band(profile: &[f64], (top, bottom): (usize, usize)) -> f64 {
    lower_hull(profile)[top..=bottom].iter().sum()
}

/// Valley-to-valley background of rows `top..=bottom`: a line from the profile just above the
/// box to just below it, summed over the box. Each end is the mean of the three rows next to
/// the box (outside it), to damp noise without touching the band.
pub fn valley_to_valley(profile: &[f64], (top, bottom): (usize, usize)) -> f64 {
    let n = profile.len();
    let mean = |rows: std::ops::Range<usize>| {
        let rows = rows.start.min(n - 1)..rows.end.min(n).max(rows.start.min(n - 1) + 1);
        let centre = (rows.start + rows.end - 1) as f64 / 2.0;
        (
            profile[rows.clone()].iter().sum::<f64>() / rows.len() as f64,
            centre,
        )
    };
    let (a, ya) = if top > 0 {
        mean(top.saturating_sub(3)..top)
    } else {
        mean(0..1)
    };
    let (b, yb) = if bottom + 1 < n {
        mean(bottom + 1..bottom + 4)
    } else {
        mean(n - 1..n)
    };
    let span = (yb - ya).max(1.0);
    (top..=bottom)
        .map(|y| a + (y as f64 - ya) / span * (b - a))
        .sum()
}

/// Border-median background: the median of the pixels in a border `width` pixels wide above
/// and below the box (and left and right of it with `all_sides`), times the box's area.
/// Border rows inside another band of the lane (`others`, row ranges: a doublet's partner)
/// are left out, since they measure that band, not the membrane; `None` when no border
/// pixel is left.
pub fn border_median(
    signal: &Array2<f32>,
    (top, bottom): (usize, usize),
    (start, end): (usize, usize),
    width: usize,
    all_sides: bool,
    others: &[(usize, usize)],
) -> Option<f64> {
    let (h, w) = signal.dim();
    let mut border: Vec<f32> = Vec::new();
    let rows_above = top.saturating_sub(width)..top;
    let rows_below = (bottom + 1).min(h)..(bottom + 1 + width).min(h);
    let in_other_band = |y: usize| others.iter().any(|&(t, b)| t <= y && y <= b);
    for y in rows_above.chain(rows_below).filter(|&y| !in_other_band(y)) {
        border.extend(signal.slice(ndarray::s![y, start..end]).iter());
    }
    if all_sides {
        for y in top..=bottom {
            let left = start.saturating_sub(width)..start;
            let right = end.min(w)..(end + width).min(w);
            border.extend(left.chain(right).map(|x| signal[[y, x]]));
        }
    }
    if border.is_empty() {
        return None;
    }
    let area = ((bottom - top + 1) * (end - start)) as f64;
    Some(f64::from(crate::stats::median_f32(&mut border)) * area)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_follows_a_sloped_baseline_under_a_peak() {
        let profile: Vec<f64> = (0..50)
            .map(|i| 10.0 + 0.5 * i as f64 + if (20..30).contains(&i) { 100.0 } else { 0.0 })
            .collect();
        let hull = lower_hull(&profile);
        for (i, h) in hull.iter().enumerate() {
            assert!((h - (10.0 + 0.5 * i as f64)).abs() < 1e-9, "{i}: {h}");
        }
        assert!(
            (rubber_band(&profile, (20, 29))
                - (20..30).map(|i| 10.0 + 0.5 * i as f64).sum::<f64>())
            .abs()
                < 1e-9
        );
    }

    #[test]
    fn valley_line_and_border_median_recover_a_flat_background() {
        let mut image = Array2::from_elem((40, 30), 7.0f32);
        for y in 15..25 {
            for x in 5..25 {
                image[[y, x]] = 107.0;
            }
        }
        let profile = lane_profile_sums(&image, |_| (5, 25));
        assert!((valley_to_valley(&profile, (15, 24)) - 10.0 * 20.0 * 7.0).abs() < 1e-9);
        assert!(
            (border_median(&image, (15, 24), (5, 25), 3, true, &[]).unwrap() - 10.0 * 20.0 * 7.0)
                .abs()
                < 1e-9
        );
    }
}
