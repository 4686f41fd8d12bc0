//! Linear range of a dilution series: signal against protein load for lanes that carry
//! `load_ug`. Quantification assumes signal proportional to load; this finds where that holds.
//!
//! For each target: least-squares fits through the origin (proportional response) and with an
//! intercept, with their R². The linear range is the widest run of consecutive loads (at least
//! three) without saturated pixels in which every point lies within `tolerance` of the
//! proportional fit over that run. R² alone cannot find it: on a two-fold series an overloaded
//! top standard still leaves R² above 0.99.

use serde::Serialize;

use super::{Flag, FoldChangeRow};
use crate::stats;

/// One lane of the series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinearityPoint {
    /// The target's name.
    pub target: String,
    /// 1-based lane number.
    pub lane: usize,
    /// Protein load of the lane (µg), from the manifest's `load_ug`.
    pub load_ug: f64,
    /// The lane's `signal` (adjusted volume, code units) from its fold-change row.
    pub signal: f64,
    /// The band is flagged `saturated`: no linear run includes it.
    pub saturated: bool,
    /// Signal over the proportional fit of the linear range, minus 1.
    pub relative_residual: Option<f64>,
    /// The lane's load lies within the target's linear range.
    pub in_linear_range: bool,
}

/// The fits and the linear range of one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinearityFit {
    /// The target's name.
    pub target: String,
    /// Points in the series: lanes with a load whose band was detected (three or more).
    pub n: usize,
    /// Signal per µg of the least-squares fit through the origin (proportional response).
    pub slope_through_origin: f64,
    /// R² of the fit through the origin.
    pub r2_through_origin: f64,
    /// Signal per µg of the least-squares line with an intercept.
    pub slope: f64,
    /// Signal of that line at zero load (code units): far from 0, the response is not
    /// proportional.
    pub intercept: f64,
    /// R² of the line with an intercept.
    pub r2: f64,
    /// Lowest load of the linear range (µg); `None` when no run of three loads is proportional.
    pub linear_from_ug: Option<f64>,
    /// Highest load of the linear range (µg).
    pub linear_to_ug: Option<f64>,
    /// Signals at the ends of the linear range: bands outside it are `outside-linear-range`.
    pub signal_low: Option<f64>,
    /// Highest signal in the linear range.
    pub signal_high: Option<f64>,
}

/// Each target's signal range where it responds linearly, `[signal_low, signal_high]`, as
/// `quant.linear_range` takes it (targets without a linear range are left out).
pub fn signal_ranges(fits: &[LinearityFit]) -> serde_json::Map<String, serde_json::Value> {
    fits.iter()
        .filter_map(|f| {
            Some((
                f.target.clone(),
                serde_json::json!([f.signal_low?, f.signal_high?]),
            ))
        })
        .collect()
}

fn r2(points: &[(f64, f64)], predict: impl Fn(f64) -> f64) -> f64 {
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let ss_res: f64 = points.iter().map(|&(x, y)| (y - predict(x)).powi(2)).sum();
    let ss_tot: f64 = points.iter().map(|&(_, y)| (y - mean).powi(2)).sum();
    1.0 - ss_res / ss_tot
}

fn slope_through_origin(points: &[(f64, f64)]) -> f64 {
    points.iter().map(|(x, y)| x * y).sum::<f64>() / points.iter().map(|(x, _)| x * x).sum::<f64>()
}

/// Fits every target of `rows` (lanes with `load_ug` given in `loads`) and marks each lane.
pub fn analyze(
    rows: &[FoldChangeRow],
    loads: &[(usize, f64)],
    tolerance: f64,
) -> (Vec<LinearityFit>, Vec<LinearityPoint>) {
    let mut targets: Vec<&str> = rows.iter().map(|r| r.target.as_str()).collect();
    targets.dedup();
    let mut fits = Vec::new();
    let mut all_points = Vec::new();
    for target in targets {
        let mut points: Vec<LinearityPoint> = rows
            .iter()
            .filter(|r| r.target == target && !r.flags.contains(Flag::NotDetected))
            .filter_map(|r| {
                let load = loads.iter().find(|(lane, _)| *lane == r.lane)?.1;
                let signal = r.signal?;
                Some(LinearityPoint {
                    target: target.to_string(),
                    lane: r.lane,
                    load_ug: load,
                    signal,
                    saturated: r.flags.contains(Flag::Saturated),
                    relative_residual: None,
                    in_linear_range: false,
                })
            })
            .collect();
        points.sort_by(|a, b| a.load_ug.total_cmp(&b.load_ug));
        if points.len() < 3 {
            all_points.extend(points);
            continue;
        }
        let xy: Vec<(f64, f64)> = points.iter().map(|p| (p.load_ug, p.signal)).collect();
        let k0 = slope_through_origin(&xy);
        let (k, b, _) = stats::line_fit(&xy);
        let range = linear_run(&points, tolerance);
        let mut fit = LinearityFit {
            target: target.to_string(),
            n: points.len(),
            slope_through_origin: k0,
            r2_through_origin: r2(&xy, |x| k0 * x),
            slope: k,
            intercept: b,
            r2: r2(&xy, |x| k * x + b),
            linear_from_ug: None,
            linear_to_ug: None,
            signal_low: None,
            signal_high: None,
        };
        if let Some((start, end)) = range {
            let run: Vec<(f64, f64)> = xy[start..end].to_vec();
            let k_run = slope_through_origin(&run);
            for (i, p) in points.iter_mut().enumerate() {
                p.relative_residual = Some(p.signal / (k_run * p.load_ug) - 1.0);
                p.in_linear_range = (start..end).contains(&i);
            }
            fit.linear_from_ug = Some(points[start].load_ug);
            fit.linear_to_ug = Some(points[end - 1].load_ug);
            fit.signal_low = Some(
                points[start..end]
                    .iter()
                    .map(|p| p.signal)
                    .fold(f64::INFINITY, f64::min),
            );
            fit.signal_high = Some(
                points[start..end]
                    .iter()
                    .map(|p| p.signal)
                    .fold(f64::NEG_INFINITY, f64::max),
            );
        }
        fits.push(fit);
        all_points.extend(points);
    }
    (fits, all_points)
}

/// The widest run `[start, end)` of at least three consecutive unsaturated points that all lie
/// within `tolerance` of the run's proportional fit; ties go to the lower loads.
fn linear_run(points: &[LinearityPoint], tolerance: f64) -> Option<(usize, usize)> {
    let n = points.len();
    let mut best: Option<(usize, usize)> = None;
    for start in 0..n {
        for end in (start + 3)..=n {
            let run = &points[start..end];
            if run.iter().any(|p| p.saturated || p.signal <= 0.0) {
                break;
            }
            let xy: Vec<(f64, f64)> = run.iter().map(|p| (p.load_ug, p.signal)).collect();
            let k = slope_through_origin(&xy);
            let proportional = xy
                .iter()
                .all(|&(x, y)| (y / (k * x) - 1.0).abs() <= tolerance);
            if proportional && best.is_none_or(|(s, e)| end - start > e - s) {
                best = Some((start, end));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(lane: usize, signal: f64, flags: &str) -> FoldChangeRow {
        FoldChangeRow {
            experiment: "e".into(),
            target: "T".into(),
            lane,
            condition: "std".into(),
            sample: String::new(),
            signal: Some(signal),
            normalizer: String::new(),
            normalizer_signal: None,
            normalized: None,
            fold_change: None,
            log2_fold_change: None,
            flags: serde_json::from_value(serde_json::Value::from(flags)).expect("known flags"),
        }
    }

    #[test]
    fn a_saturating_top_of_the_series_is_outside_the_linear_range() {
        // Proportional up to 4 µg, then the response flattens and saturates.
        let loads: Vec<(usize, f64)> = (1..=6)
            .map(|i| (i, 0.25 * 2f64.powi(i as i32 - 1)))
            .collect();
        let rows = vec![
            row(1, 25.0, ""),
            row(2, 50.0, ""),
            row(3, 101.0, ""),
            row(4, 199.0, ""),
            row(5, 402.0, ""),
            row(6, 520.0, "saturated"),
        ];
        let (fits, points) = analyze(&rows, &loads, 0.2);
        assert_eq!(fits[0].linear_from_ug, Some(0.25));
        assert_eq!(fits[0].linear_to_ug, Some(4.0));
        assert!(!points[5].in_linear_range);
        // Within the range the proportional fit (slope 100) leaves residuals of about 1 %;
        // the flattened top standard sits 35 % below it.
        for p in &points[..5] {
            assert!(p.relative_residual.unwrap().abs() < 0.02, "{p:?}");
        }
        assert!(points[5].relative_residual.unwrap() < -0.3);
    }
}
