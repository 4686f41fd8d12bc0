//! Lane-profile backgrounds: the background under a band is judged from the lane's own row
//! profile or from the pixels around the band's box, instead of from a 2-D surface.
//!
//! - Rubber band: the lower convex hull of the lane profile (the profile's "rubber band"
//!   stretched from below), as in Bio-Rad Image Lab's and ImageJ-based lane tools.
//! - Valley to valley: a straight line under the band from the profile just above its box to
//!   just below it (LI-COR Image Studio's "Lane" background with the valley-to-valley option).
//! - Border median or mean: the median (or mean) of the pixels in a border of a few pixels
//!   around the band's box (LI-COR Image Studio's "Median" and "Average" backgrounds,
//!   top/bottom or all sides).

use ndarray::Array2;

use super::{BandBox, Neighbour};

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

/// The lower convex hull of `points` (sorted by x, as many as there are), read at `x` along
/// its segments (beyond the outermost points, the nearest one's level); `None` without points.
/// The rubber band of [`lower_hull`] for points that are not evenly spaced.
pub fn lower_envelope_at(points: &[(f64, f64)], x: f64) -> Option<f64> {
    let mut hull: Vec<(f64, f64)> = Vec::new();
    for &p in points {
        while let [.., a, b] = hull[..] {
            // Drop b if it lies on or above the segment from a to p.
            if (b.0 - a.0) * (p.1 - a.1) - (p.0 - a.0) * (b.1 - a.1) <= 0.0 {
                hull.pop();
            } else {
                break;
            }
        }
        hull.push(p);
    }
    let (first, last) = (*hull.first()?, *hull.last()?);
    if x <= first.0 {
        return Some(first.1);
    }
    if x >= last.0 {
        return Some(last.1);
    }
    hull.windows(2).find(|pair| x <= pair[1].0).map(|pair| {
        let ((xa, ya), (xb, yb)) = (pair[0], pair[1]);
        ya + (x - xa) / (xb - xa) * (yb - ya)
    })
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

/// How a border's pixels make its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BorderStatistic {
    /// The median: deaf to a narrow line running down the box (added back from
    /// [`line_excess`]) and to what specks the speck step left.
    Median,
    /// The mean: an unbiased level under noise, and one that moves by fractions of a grey level
    /// on 8-bit images where a median moves in whole codes. It takes in the lines running down
    /// through the box as the box does, in the rows above and below it.
    Mean,
}

/// Border background: the median (or mean, `statistic`) of the pixels in a border `width`
/// pixels wide above the box and of those below it, joined by a straight line across the
/// box's rows (a band often sits on a slope: a gradient, a neighbour's tail; one level of both
/// borders would put it wherever more border pixels happen to lie). With `all_sides`, one
/// level of the borders on all four sides. Added to it: the lines running down the image
/// through the box (`line_excess`, from [`line_excess`]) that the border misses: all of them
/// for a median (it stands for the membrane in most of the box's columns), for a mean the
/// share the borders beside the box stand for (the rows above and below hold them).
/// Border rows inside another band of the lane (`others`) are left out, since they measure
/// that band, not the membrane, and so is a whole side that reaches a neighbour the profile
/// does not come down from between the two (a doublet partner: its free rows lie on the
/// partner's flank). A side with no row left gives way to the other side's level, carried
/// along the `surface`'s slope where one is given; `None` when no border pixel is left.
#[allow(clippy::too_many_arguments)]
pub fn border_level(
    signal: &Array2<f32>,
    statistic: BorderStatistic,
    line_excess: &[f64],
    band: BandBox,
    width: usize,
    all_sides: bool,
    others: &[Neighbour],
    surface: Option<&Array2<f32>>,
) -> Option<f64> {
    let ((top, bottom), (start, end)) = (band.rows, band.columns);
    let (h, w) = signal.dim();
    let in_other_band = |y: usize| others.iter().any(|n| n.rows.0 <= y && y <= n.rows.1);
    let free_rows = |rows: std::ops::Range<usize>| -> Vec<usize> {
        let on_flank = others
            .iter()
            .any(|n| !n.parted && n.rows.0 < rows.end && rows.start <= n.rows.1);
        if on_flank {
            return Vec::new();
        }
        rows.filter(|&y| !in_other_band(y)).collect()
    };
    let rows_above = free_rows(top.saturating_sub(width)..top);
    let rows_below = free_rows((bottom + 1).min(h)..(bottom + 1 + width).min(h));
    let pixels_of = |rows: &[usize]| -> Vec<f32> {
        rows.iter()
            .flat_map(|&y| {
                signal
                    .slice(ndarray::s![y, start..end])
                    .into_iter()
                    .copied()
            })
            .collect()
    };
    let level_of = |pixels: &mut Vec<f32>| -> f64 {
        match statistic {
            BorderStatistic::Median => f64::from(crate::stats::median_f32(pixels)),
            BorderStatistic::Mean => {
                pixels.iter().map(|&v| f64::from(v)).sum::<f64>() / pixels.len() as f64
            }
        }
    };
    let rows = (bottom - top + 1) as f64;
    let columns = (end - start) as f64;
    // The share of the box's lines the border level missed.
    let mut lines_missed = 1.0;
    let membrane = if all_sides {
        let mut border = pixels_of(&rows_above);
        border.extend(pixels_of(&rows_below));
        let above_and_below = border.len();
        for y in top..=bottom {
            let left = start.saturating_sub(width)..start;
            let right = end.min(w)..(end + width).min(w);
            border.extend(left.chain(right).map(|x| signal[[y, x]]));
        }
        if border.is_empty() {
            return None;
        }
        if statistic == BorderStatistic::Mean {
            lines_missed = 1.0 - above_and_below as f64 / border.len() as f64;
        }
        level_of(&mut border) * rows * columns
    } else {
        // Each side: its median and the mean row it was taken at.
        let side = |used: &[usize]| -> Option<(f64, f64)> {
            if used.is_empty() {
                return None;
            }
            let level = level_of(&mut pixels_of(used));
            let row = used.iter().sum::<usize>() as f64 / used.len() as f64;
            Some((level, row))
        };
        let per_row = match (side(&rows_above), side(&rows_below)) {
            (Some((a, ya)), Some((b, yb))) => {
                let middle = (top + bottom) as f64 / 2.0;
                a + (middle - ya) / (yb - ya) * (b - a)
            }
            (Some((level, at)), None) | (None, Some((level, at))) => match surface {
                // The one side's level, carried across the box along the slope of the
                // rolling-ball surface (which follows a gradient, not a band's flank).
                Some(surface) => {
                    let mean_row = |y: usize| {
                        let row = surface.slice(ndarray::s![y, start..end]);
                        f64::from(row.sum()) / columns
                    };
                    let used = if at < top as f64 {
                        &rows_above
                    } else {
                        &rows_below
                    };
                    let at_side =
                        used.iter().map(|&y| mean_row(y)).sum::<f64>() / used.len() as f64;
                    let in_box = (top..=bottom).map(mean_row).sum::<f64>() / rows;
                    level + in_box - at_side
                }
                None => level,
            },
            (None, None) => return None,
        };
        if statistic == BorderStatistic::Mean {
            lines_missed = 0.0;
        }
        per_row * rows * columns
    };
    let lines: f64 = line_excess
        .get(start.min(line_excess.len())..end.min(line_excess.len()))
        .map_or(0.0, |columns| columns.iter().sum());
    Some(membrane + lines_missed * lines * rows)
}

/// Rows a column's floor ([`line_excess`]) is taken over, at most (evenly spaced).
const FLOOR_ROWS: usize = 1024;

/// Per column of `signal`, how far the lines running down the image (`lines`: each one's
/// columns (left, right) at half its height, as lane finding finds them) raise it above the
/// membrane beside them, per row; 0 away from the lines. A line's span reaches half its
/// width beyond its half-height columns (its flanks), and the membrane beside it is the mean
/// floor of the columns as wide as the line either side of that span. A column's floor is the
/// mean of its values from the 10th to the 50th percentile over the rows: bands fill a
/// minority of rows, and the lowest tenth (where the membrane is missing, a bubble) is left
/// out; a mean, as an 8-bit image's quantiles move in whole codes.
pub fn line_excess(signal: &Array2<f32>, lines: &[(f64, f64)]) -> Vec<f64> {
    let (height, width) = signal.dim();
    let mut excess = vec![0.0; width];
    if lines.is_empty() || width == 0 {
        return excess;
    }
    let step = height.div_ceil(FLOOR_ROWS).max(1);
    let sampled: Vec<usize> = (0..height).step_by(step).collect();
    let floor = |x: usize| -> f64 {
        let mut column: Vec<f32> = sampled.iter().map(|&y| signal[[y, x]]).collect();
        let (low, high) = (column.len() / 10, column.len() / 2);
        if high <= low {
            return column.first().map_or(0.0, |&v| f64::from(v));
        }
        column.select_nth_unstable_by(high, f32::total_cmp);
        let lower_half = &mut column[..high];
        lower_half.select_nth_unstable_by(low, f32::total_cmp);
        let kept = &lower_half[low..];
        kept.iter().map(|&v| f64::from(v)).sum::<f64>() / kept.len() as f64
    };
    let clamp = |x: f64| (x.round().max(0.0) as usize).min(width);
    for &(left, right) in lines {
        let line_width = right - left;
        let (from, to) = (
            clamp(left - line_width / 2.0),
            clamp(right + line_width / 2.0 + 1.0),
        );
        let beside_left = clamp(left - 1.5 * line_width)..from;
        let beside_right = to..clamp(right + 1.5 * line_width + 1.0);
        let beside: Vec<f64> = beside_left.chain(beside_right).map(floor).collect();
        if beside.is_empty() {
            continue;
        }
        let membrane = beside.iter().sum::<f64>() / beside.len() as f64;
        for (x, value) in excess.iter_mut().enumerate().take(to).skip(from) {
            *value = floor(x) - membrane;
        }
    }
    excess
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_of_uneven_points_passes_under_a_raised_one() {
        // Points on the line y = 100 + 2x, unevenly spaced, one raised by 50.
        let line = |x: f64| 100.0 + 2.0 * x;
        let points: Vec<(f64, f64)> = [0.0, 7.0, 31.0, 40.0, 77.0]
            .iter()
            .map(|&x| (x, line(x) + if x == 31.0 { 50.0 } else { 0.0 }))
            .collect();
        for x in [0.0, 12.5, 31.0, 55.0, 77.0] {
            let level = lower_envelope_at(&points, x).unwrap();
            assert!((level - line(x)).abs() < 1e-9, "{x}: {level}");
        }
        assert_eq!(lower_envelope_at(&points, -5.0), Some(line(0.0)));
        assert_eq!(lower_envelope_at(&points, 90.0), Some(line(77.0)));
        assert_eq!(lower_envelope_at(&[], 3.0), None);
    }

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

    /// The band's box in these tests: rows 15–24, columns 5–24.
    const BOX: BandBox = BandBox {
        rows: (15, 24),
        columns: (5, 25),
    };

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
        let border = border_level(
            &image,
            BorderStatistic::Median,
            &[],
            BOX,
            3,
            true,
            &[],
            None,
        )
        .unwrap();
        assert!((border - 10.0 * 20.0 * 7.0).abs() < 1e-9);
    }

    /// Membrane at 7, a line 2 px wide 50 higher down every row at columns 22–23, inside the
    /// box of a band (100 higher) at rows 15–24, columns 5–24; with the line's excess as lane
    /// finding finds it (its half-height columns) and the true background summed over the box.
    fn band_across_a_line() -> (Array2<f32>, Vec<f64>, f64) {
        let mut image = Array2::from_elem((40, 30), 7.0f32);
        image
            .slice_mut(ndarray::s![.., 22..24])
            .mapv_inplace(|v| v + 50.0);
        image
            .slice_mut(ndarray::s![15..25, 5..25])
            .mapv_inplace(|v| v + 100.0);
        let excess = line_excess(&image, &[(21.5, 23.5)]);
        (image, excess, 10.0 * (20.0 * 7.0 + 2.0 * 50.0))
    }

    #[test]
    fn a_line_running_down_the_box_is_background_to_the_border_median() {
        let (image, excess, truth) = band_across_a_line();
        for all_sides in [false, true] {
            let border = border_level(
                &image,
                BorderStatistic::Median,
                &excess,
                BOX,
                3,
                all_sides,
                &[],
                None,
            );
            assert!((border.unwrap() - truth).abs() < 1e-9, "{border:?}");
            // Without the line, only the median.
            let plain = border_level(
                &image,
                BorderStatistic::Median,
                &[],
                BOX,
                3,
                all_sides,
                &[],
                None,
            );
            assert!((plain.unwrap() - 10.0 * 20.0 * 7.0).abs() < 1e-9);
        }
    }

    #[test]
    fn a_line_running_down_the_box_is_background_to_the_border_mean() {
        // The mean of the rows above and below holds the line as the box does, and of all
        // four sides the line is the share the rows above and below stand for.
        let (image, excess, truth) = band_across_a_line();
        for all_sides in [false, true] {
            let mean = BorderStatistic::Mean;
            let border = border_level(&image, mean, &excess, BOX, 3, all_sides, &[], None);
            assert!((border.unwrap() - truth).abs() < 1e-6, "{border:?}");
        }
        // Above and below alone, the line needs no excess added.
        let plain = border_level(&image, BorderStatistic::Mean, &[], BOX, 3, false, &[], None);
        assert!((plain.unwrap() - truth).abs() < 1e-6, "{plain:?}");
    }

    /// A border level on 8-bit data: the median moves in whole codes, the mean does not.
    #[test]
    fn the_border_mean_follows_a_level_between_grey_codes() {
        // Membrane of codes 7 and 8 alternating with 60 % at 8 (a level of 7.6): the median
        // says 8, and the box of 200 pixels gets 80 codes too many.
        let image = Array2::from_shape_fn(
            (40, 30),
            |(y, x)| {
                if (x + 3 * y) % 5 < 3 {
                    8.0f32
                } else {
                    7.0
                }
            },
        );
        let truth: f64 = image
            .slice(ndarray::s![15..=24, 5..25])
            .iter()
            .map(|&v| f64::from(v))
            .sum();
        let mean = border_level(&image, BorderStatistic::Mean, &[], BOX, 3, false, &[], None);
        assert!(
            (mean.unwrap() - truth).abs() <= 0.01 * truth,
            "{mean:?} vs {truth}"
        );
        let median = border_level(
            &image,
            BorderStatistic::Median,
            &[],
            BOX,
            3,
            false,
            &[],
            None,
        );
        assert!(
            (median.unwrap() - truth).abs() > 0.04 * truth,
            "{median:?} vs {truth}"
        );
    }

    /// A membrane rising 5 per row, and a band 100 high at rows 15–24, columns 5–24.
    fn band_on_a_slope() -> Array2<f32> {
        let mut image = Array2::from_shape_fn((40, 30), |(y, _)| 100.0 + 5.0 * y as f32);
        image
            .slice_mut(ndarray::s![15..25, 5..25])
            .mapv_inplace(|v| v + 100.0);
        image
    }

    /// The membrane under the band's box of [`band_on_a_slope`].
    fn membrane_under_the_box() -> f64 {
        (15..25).map(|y| 20.0 * (100.0 + 5.0 * y as f64)).sum()
    }

    #[test]
    fn a_border_clipped_by_a_parted_neighbour_still_follows_the_slope() {
        // A parted neighbour's box over rows 25–26 leaves one border row below (27) and three
        // above: one median of all four rows would lie near the upper rows' level.
        let image = band_on_a_slope();
        let neighbour = Neighbour {
            rows: (25, 26),
            parted: true,
        };
        let border = border_level(
            &image,
            BorderStatistic::Median,
            &[],
            BOX,
            3,
            false,
            &[neighbour],
            None,
        )
        .unwrap();
        assert!((border - membrane_under_the_box()).abs() < 1e-6, "{border}");
    }

    #[test]
    fn a_side_on_a_doublet_partners_flank_gives_way_to_the_other_along_the_surface() {
        // The partner (not parted) covers rows 26–30: row 25, free, lies on its flank (here
        // 300 high), so the side below is not used. The side above sets the level and the
        // surface (here the membrane itself) the slope.
        let mut image = band_on_a_slope();
        image
            .slice_mut(ndarray::s![25..31, 5..25])
            .mapv_inplace(|v| v + 300.0);
        let partner = Neighbour {
            rows: (26, 30),
            parted: false,
        };
        let surface = Array2::from_shape_fn((40, 30), |(y, _)| 100.0 + 5.0 * y as f32);
        let median = BorderStatistic::Median;
        let level_with = |surface| {
            border_level(&image, median, &[], BOX, 3, false, &[partner], surface).unwrap()
        };
        let with_surface = level_with(Some(&surface));
        assert!(
            (with_surface - membrane_under_the_box()).abs() < 1e-6,
            "{with_surface}"
        );
        // Without a surface, the level of the side above (rows 12–14) across the box.
        let level = level_with(None);
        assert!(
            (level - 10.0 * 20.0 * (100.0 + 5.0 * 13.0)).abs() < 1e-6,
            "{level}"
        );
    }
}
