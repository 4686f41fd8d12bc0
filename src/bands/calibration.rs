//! Molecular-weight calibration: ladder bands matched to the ladder's kDa list, log10(kDa)
//! interpolated piecewise-linearly along the migration distance, and target bands picked by MW.

use serde::Serialize;

use crate::bands::Peak;
use crate::stats;

/// Matched (row, kDa) pairs of the ladder, top to bottom (rows increasing, kDa decreasing).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Ladder bands as (sub-pixel row, kDa), rows increasing; three or more.
    pub points: Vec<(f64, f64)>,
    /// Largest deviation of a ladder band from a straight log-linear fit, in log10 units.
    pub max_residual_log10: f64,
}

impl Calibration {
    /// The same calibration for an image whose rows lie `rows` below this one's.
    pub fn moved_down(&self, rows: f64) -> Calibration {
        Calibration {
            points: self
                .points
                .iter()
                .map(|&(y, kda)| (y + rows, kda))
                .collect(),
            ..self.clone()
        }
    }

    /// Apparent MW (kDa) at a row: piecewise-linear in log10(kDa), the end segments extended.
    pub fn kda_at(&self, y: f64) -> f64 {
        let p = &self.points;
        let k = p
            .windows(2)
            .position(|w| y <= w[1].0)
            .unwrap_or(p.len() - 2);
        let ((y0, m0), (y1, m1)) = (p[k], p[k + 1]);
        let t = (y - y0) / (y1 - y0);
        10f64.powf(m0.log10() + t * (m1.log10() - m0.log10()))
    }

    /// Row at which a band of `kda` is expected (inverse of [`kda_at`](Self::kda_at)).
    pub fn y_at(&self, kda: f64) -> f64 {
        let p = &self.points;
        let k = p
            .windows(2)
            .position(|w| kda >= w[1].1)
            .unwrap_or(p.len() - 2);
        let ((y0, m0), (y1, m1)) = (p[k], p[k + 1]);
        let t = (kda.log10() - m0.log10()) / (m1.log10() - m0.log10());
        y0 + t * (y1 - y0)
    }
}

/// All ways to choose `k` of `n` items in order.
fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    fn rec(start: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            if n - i < k - cur.len() {
                break;
            }
            cur.push(i);
            rec(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    rec(0, n, k, &mut Vec::new(), &mut out);
    out
}

/// Matches the ladder lane's bands to the ladder's kDa list (top to bottom). When band and
/// kDa counts differ (a marker band faint or missing, or a speck), the pairing whose
/// log10(kDa) is most nearly linear in migration wins. `None` with fewer than 3 bands.
pub fn calibrate(ladder_bands: &[Peak], ladder_kda: &[f64]) -> Option<Calibration> {
    // Consider at most a few more bands than the ladder has: the most prominent ones.
    let mut bands: Vec<Peak> = ladder_bands.to_vec();
    bands.sort_by(|a, b| b.prominence.total_cmp(&a.prominence));
    bands.truncate(ladder_kda.len() + 3);
    bands.sort_by(|a, b| a.y.total_cmp(&b.y));
    let matched = bands.len().min(ladder_kda.len());
    if matched < 3 {
        return None;
    }
    let mut best: Option<(f64, Vec<(f64, f64)>)> = None;
    for band_pick in combinations(bands.len(), matched) {
        for kda_pick in combinations(ladder_kda.len(), matched) {
            let points: Vec<(f64, f64)> = band_pick
                .iter()
                .zip(&kda_pick)
                .map(|(&b, &m)| (bands[b].y, ladder_kda[m]))
                .collect();
            let logs: Vec<(f64, f64)> = points.iter().map(|&(y, m)| (y, m.log10())).collect();
            let (slope, _, worst) = stats::line_fit(&logs);
            // Prefer pairings that skip few ladder entries and few bands.
            let skipped = (ladder_kda.len() - matched + bands.len() - matched) as f64;
            let cost = worst + 0.01 * skipped;
            if slope < 0.0 && best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, points));
            }
        }
    }
    let (_, points) = best?;
    let logs: Vec<(f64, f64)> = points.iter().map(|&(y, m)| (y, m.log10())).collect();
    let (_, _, max_residual_log10) = stats::line_fit(&logs);
    Some(Calibration {
        points,
        max_residual_log10,
    })
}

/// The band among `peaks` whose apparent MW is closest (in log scale) to the window
/// `[low, high]` kDa, provided it lies within `tolerance` (relative) of it.
pub fn pick_by_mw<'a>(
    peaks: &'a [Peak],
    calibration: &Calibration,
    window_kda: (f64, f64),
    tolerance: f64,
) -> Option<&'a Peak> {
    let (low, high) = window_kda;
    let distance = |p: &Peak| {
        let m = calibration.kda_at(p.y);
        if m < low {
            (low / m).ln()
        } else if m > high {
            (m / high).ln()
        } else {
            0.0
        }
    };
    peaks
        .iter()
        .filter(|p| distance(p) <= (1.0 + tolerance).ln())
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peak(y: f64) -> Peak {
        Peak {
            lane: 1,
            y,
            height: 100.0,
            prominence: 100.0,
            top: 0,
            bottom: 0,
        }
    }

    /// Rows of a gel on which log10(kDa) falls linearly with migration.
    fn row(kda: f64) -> f64 {
        40.0 + 200.0 * (2.4 - kda.log10())
    }

    const LADDER: [f64; 9] = [180.0, 130.0, 100.0, 70.0, 55.0, 35.0, 25.0, 15.0, 10.0];

    #[test]
    fn full_ladder_gives_exact_mw() {
        let peaks: Vec<Peak> = LADDER.iter().map(|&m| peak(row(m))).collect();
        let cal = calibrate(&peaks, &LADDER).unwrap();
        for kda in [118.0, 45.0, 20.0, 17.0] {
            assert!((cal.kda_at(row(kda)) / kda - 1.0).abs() < 1e-9);
            assert!((cal.y_at(kda) - row(kda)).abs() < 1e-9);
        }
    }

    #[test]
    fn a_missing_marker_band_is_skipped_not_shifted() {
        let peaks: Vec<Peak> = LADDER
            .iter()
            .filter(|&&m| m != 55.0)
            .map(|&m| peak(row(m)))
            .collect();
        let cal = calibrate(&peaks, &LADDER).unwrap();
        assert!((cal.kda_at(row(35.0)) / 35.0 - 1.0).abs() < 1e-6);
        assert!((cal.kda_at(row(70.0)) / 70.0 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn cleaved_forms_are_picked_not_their_pro_forms() {
        let ladder: Vec<Peak> = LADDER.iter().map(|&m| peak(row(m))).collect();
        let cal = calibrate(&ladder, &LADDER).unwrap();
        let lane = [peak(row(45.0)), peak(row(20.0))];
        let p20 = pick_by_mw(&lane, &cal, (20.0, 20.0), 0.15).unwrap();
        assert!((p20.y - row(20.0)).abs() < 1e-9);
        let lane = [peak(row(31.0)), peak(row(17.0))];
        let p17 = pick_by_mw(&lane, &cal, (17.0, 17.0), 0.15).unwrap();
        assert!((p17.y - row(17.0)).abs() < 1e-9);
        assert!(pick_by_mw(&[peak(row(31.0))], &cal, (17.0, 17.0), 0.15).is_none());
    }
}
