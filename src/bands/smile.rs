//! Band rows across lanes. A smiling or tilted blot puts one protein's band at a row that
//! changes smoothly from lane to lane; a robust low-order polynomial of the row against the
//! lane's x position follows it, so bands are matched across lanes by that curve rather than
//! by one row for all, and apparent MW is read after taking out the lane's shift relative to
//! the ladder lane.

/// A band row as a function of lane position: `y = c0 + c1·u + c2·u²` with `u` the lane's
/// x position scaled to about −1..1.
#[derive(Debug, Clone, PartialEq)]
pub struct RowCurve {
    coefficients: [f64; 3],
    centre: f64,
    scale: f64,
}

impl RowCurve {
    /// The row at lane position `x`.
    pub fn at(&self, x: f64) -> f64 {
        let u = (x - self.centre) / self.scale;
        let [c0, c1, c2] = self.coefficients;
        c0 + c1 * u + c2 * u * u
    }
}

/// Fits the rows `(x, y)` of one band across lanes: a parabola with five points or more
/// (smile), a line with three or four (tilt), their median with fewer. Points more than
/// `reach` off the first fit (a lane that picked another band) are dropped and the fit is
/// repeated. `None` without points.
pub fn fit(points: &[(f64, f64)], reach: f64) -> Option<RowCurve> {
    if points.is_empty() {
        return None;
    }
    let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
    let (lo, hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    let centre = 0.5 * (lo + hi);
    let scale = (0.5 * (hi - lo)).max(1.0);
    let mut kept: Vec<(f64, f64)> = points.to_vec();
    let mut curve = least_squares(&kept, centre, scale);
    for _ in 0..2 {
        let inliers: Vec<(f64, f64)> = points
            .iter()
            .copied()
            .filter(|&(x, y)| (y - curve.at(x)).abs() <= reach)
            .collect();
        if inliers.is_empty() || inliers.len() == kept.len() {
            break;
        }
        kept = inliers;
        curve = least_squares(&kept, centre, scale);
    }
    Some(curve)
}

/// Least-squares polynomial of the degree the point count allows (see [`fit`]).
fn least_squares(points: &[(f64, f64)], centre: f64, scale: f64) -> RowCurve {
    let degree = match points.len() {
        0..=2 => 0,
        3..=4 => 1,
        _ => 2,
    };
    let coefficients = if degree == 0 {
        let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
        [crate::stats::median(&ys), 0.0, 0.0]
    } else {
        // Normal equations in u = (x - centre) / scale: well conditioned for |u| <= 1.
        let n = degree + 1;
        let mut a = [[0.0f64; 4]; 3];
        for &(x, y) in points {
            let u = (x - centre) / scale;
            let powers = [1.0, u, u * u];
            for r in 0..n {
                for c in 0..n {
                    a[r][c] += powers[r] * powers[c];
                }
                a[r][3] += powers[r] * y;
            }
        }
        solve(&mut a, n).unwrap_or_else(|| {
            let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
            [crate::stats::median(&ys), 0.0, 0.0]
        })
    };
    RowCurve {
        coefficients,
        centre,
        scale,
    }
}

/// Gauss–Jordan elimination with partial pivoting on an `n × (n + 1)` augmented system.
fn solve(a: &mut [[f64; 4]; 3], n: usize) -> Option<[f64; 3]> {
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col];
        for (r, row) in a.iter_mut().enumerate().take(n) {
            if r != col {
                let factor = row[col] / pivot_row[col];
                for (v, p) in row.iter_mut().zip(pivot_row).skip(col) {
                    *v -= factor * p;
                }
            }
        }
    }
    let mut out = [0.0; 3];
    for (i, o) in out.iter_mut().enumerate().take(n) {
        *o = a[i][3] / a[i][i];
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_smile_is_followed_and_a_stray_pick_ignored() {
        let smile = |x: f64| 200.0 + 12.0 * (1.0 - ((x - 250.0) / 250.0).powi(2));
        let mut points: Vec<(f64, f64)> = (0..8)
            .map(|i| 50.0 + 60.0 * i as f64)
            .map(|x| (x, smile(x)))
            .collect();
        points[3].1 += 30.0; // this lane picked a neighbouring band
        let curve = fit(&points, 8.0).unwrap();
        for x in [50.0, 230.0, 470.0] {
            assert!((curve.at(x) - smile(x)).abs() < 1e-6, "x {x}");
        }
    }

    #[test]
    fn few_points_give_a_line_or_a_constant() {
        let line = fit(&[(0.0, 10.0), (10.0, 11.0), (20.0, 12.0)], 5.0).unwrap();
        assert!((line.at(30.0) - 13.0).abs() < 1e-9);
        let flat = fit(&[(0.0, 10.0), (10.0, 14.0)], 5.0).unwrap();
        assert_eq!(flat.at(100.0), 12.0);
    }
}
