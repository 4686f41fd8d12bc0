//! Quantities: band volumes, normalization to the loading control, fold change against the
//! control lanes of the same blot, QC flags, and replicate statistics pooled across blots.

use std::collections::BTreeMap;

use ndarray::{s, Array2};
use serde::{Deserialize, Serialize};

pub mod flags;
pub mod linearity;
pub mod replicates;

pub use flags::{Flag, Flags};
pub use replicates::ReplicateUnit;

use replicates::{FoldChanges, Technical};

use crate::params::QuantParams;
use crate::stats;

/// A row of `fold_change.csv`: one quantified lane × target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldChangeRow {
    /// The experiment's identity, unique within the run: the manifest's `name`, or (always in
    /// `batch`) the folder's path relative to the batch root.
    pub experiment: String,
    /// The target quantified.
    pub target: String,
    /// 1-based, left to right along the manifest's `lanes` (ladder lanes included).
    pub lane: usize,
    /// The lane's condition from the manifest.
    pub condition: String,
    /// The manifest's `sample` of the lane (lanes sharing one are technical replicates); empty
    /// where it names none.
    pub sample: String,
    /// Adjusted volume of the target band in this lane, measured at the target's row with its
    /// box whether or not a peak was picked there (`below-lod` where none was); negative ones
    /// are flagged `below-background`; empty (`not-detected`) where the lane could not be
    /// measured at all, never 0.
    pub signal: Option<f64>,
    /// The normalizer's name (loading control or `total protein`); empty when none applies.
    pub normalizer: String,
    /// The normalizer's adjusted volume in this lane; empty when it is missing or not positive.
    pub normalizer_signal: Option<f64>,
    /// `signal / normalizer_signal` (the signal itself without a normalizer); empty without a
    /// usable normalizer signal.
    pub normalized: Option<f64>,
    /// `normalized` over the mean `normalized` of this experiment's control lanes.
    pub fold_change: Option<f64>,
    /// log2 of `fold_change`; empty where the fold change is not positive.
    pub log2_fold_change: Option<f64>,
    /// `;`-separated flags, e.g. `not-detected`, `normalizer-outlier`,
    /// `outside-linear-range`.
    pub flags: Flags,
}

/// A row of `summary.csv`: one target × condition, pooled over the run's experiments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// The target.
    pub target: String,
    /// The condition, pooled over every experiment of the run.
    pub condition: String,
    /// Biological replicates in the row: lanes, after averaging technical replicates that share
    /// a `sample`.
    pub n: usize,
    /// Arithmetic mean of the replicates' fold changes.
    pub mean_fold_change: Option<f64>,
    /// `2^mean_log2_fold_change`: the geometric mean fold change.
    pub geomean_fold_change: Option<f64>,
    /// Sample standard deviation of the fold changes (n − 1).
    pub sd: Option<f64>,
    /// Standard error of the mean: `sd / √n`.
    pub sem: Option<f64>,
    /// Coefficient of variation in percent: `100 · sd / mean_fold_change`.
    pub cv_pct: Option<f64>,
    /// Mean of the replicates' log2 fold changes.
    pub mean_log2_fold_change: Option<f64>,
    /// Lower bound of the 95 % confidence interval of the mean log2 fold change, on the log2
    /// scale (column `ci95_low`).
    #[serde(rename = "ci95_low")]
    pub ci95_low_log2: Option<f64>,
    /// Upper bound of that interval, on the log2 scale (column `ci95_high`).
    #[serde(rename = "ci95_high")]
    pub ci95_high_log2: Option<f64>,
    /// Two-sided p-value of the test named in `test`; empty for the control row and below two
    /// replicates.
    pub p_value: Option<f64>,
    /// `welch-t-log2` (against the control lanes, when they are at least two with non-zero
    /// spread) or `one-sample-t-log2` (mean log2 fold change against 0); empty where `p_value` is.
    pub test: String,
    /// `;`-separated: why lanes were left out of the row (e.g. `saturated`), and `n-below-2`.
    pub flags: Flags,
    /// Benjamini–Hochberg adjusted p-value across the conditions of the target.
    pub p_value_bh: Option<f64>,
    /// Lower bound of the 95 % confidence interval on the fold scale (`2^ci95_low`): the
    /// interval of the geometric mean fold change.
    #[serde(default)]
    pub ci95_low_fold: Option<f64>,
    /// Upper bound of that interval on the fold scale (`2^ci95_high`).
    #[serde(default)]
    pub ci95_high_fold: Option<f64>,
}

impl SummaryRow {
    /// The 95 % confidence interval on the fold scale (2 to the power of the log2 bounds): the
    /// interval of the geometric mean fold change.
    pub fn ci95_fold(&self) -> Option<(f64, f64)> {
        Some((self.ci95_low_fold?, self.ci95_high_fold?))
    }
}

/// Sums over a band's box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Volume {
    /// Sum of the pixel signal (bands bright) over the box, in code units.
    pub volume: f64,
    /// Sum of the background estimate over the same box, in code units.
    pub background: f64,
    /// Pixels of the box at or above the image's saturation level.
    pub saturated_px: usize,
}

impl Volume {
    /// `volume − background` (`adjusted_volume`): the band's own signal, negative where the
    /// background estimate exceeds it.
    pub fn adjusted(&self) -> f64 {
        self.volume - self.background
    }
}

/// Volume and saturated pixels over rows `top..=bottom`, columns `start..end`, with the
/// background already summed over the same box.
pub fn measure(
    signal: &Array2<f32>,
    saturation_level: f32,
    (top, bottom): (usize, usize),
    (start, end): (usize, usize),
    background: f64,
) -> Volume {
    let band = signal.slice(s![top..=bottom, start..end]);
    Volume {
        volume: band.iter().map(|&v| v as f64).sum(),
        background,
        saturated_px: band.iter().filter(|&&v| v >= saturation_level).count(),
    }
}

/// The measured signal of one lane × target, before normalization.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneSignal {
    /// 1-based lane number, as in the manifest.
    pub lane: usize,
    /// The lane's condition from the manifest.
    pub condition: String,
    /// Sample id shared by technical replicates; `None`: the lane is a replicate of its own.
    pub sample: Option<String>,
    /// Adjusted volume; `None` when no band was found.
    pub signal: Option<f64>,
    /// The band's box holds a saturated pixel; on a normalizer's lane this flags
    /// `normalizer-saturated` on the lanes it normalizes.
    pub saturated: bool,
    /// The band's flags (`not-detected` where no band was found), carried into its
    /// fold-change row.
    pub flags: Vec<Flag>,
}

/// Fold-change rows of one target in one experiment.
///
/// `normalizer` holds the loading control's signal per lane (same lanes, same order) with its
/// name; without it, signals are used as they are.
pub fn fold_changes(
    experiment: &str,
    target: &str,
    control: &str,
    signals: &[LaneSignal],
    normalizer: Option<(&str, &[LaneSignal])>,
    params: &QuantParams,
) -> Vec<FoldChangeRow> {
    let normalizer_median = normalizer.map(|(_, n)| {
        let values: Vec<f64> = n.iter().filter_map(|s| s.signal).collect();
        stats::median(&values)
    });
    let mut rows: Vec<FoldChangeRow> = signals
        .iter()
        .map(|s| {
            let mut flags: Vec<Flag> = s.flags.clone();
            let signal = s.signal;
            if signal.is_some_and(|v| v < 0.0) {
                flags.push(Flag::BelowBackground);
            }
            if let (Some(v), Some([low, high])) = (s.signal, params.linear_range.get(target)) {
                if v < *low || v > *high {
                    flags.push(Flag::OutsideLinearRange);
                }
            }
            let (normalizer_name, normalizer_signal) = match normalizer {
                None => (String::new(), None),
                Some((name, lanes)) => {
                    let n = lanes.iter().find(|n| n.lane == s.lane);
                    let value = normalizer_value(n, normalizer_median, params, &mut flags);
                    (name.to_string(), value)
                }
            };
            // A loading control below its limit of detection is noise: the lane keeps its
            // value in the table, but nothing is divided by it.
            let normalizer_detected = !flags.contains(&Flag::NormalizerNotDetected);
            let normalized = match normalizer {
                None => signal,
                Some(_) => signal
                    .zip(normalizer_signal.filter(|_| normalizer_detected))
                    .map(|(s, n)| s / n),
            };
            FoldChangeRow {
                experiment: experiment.to_string(),
                target: target.to_string(),
                lane: s.lane,
                condition: s.condition.clone(),
                sample: s.sample.clone().unwrap_or_default(),
                signal,
                normalizer: normalizer_name,
                normalizer_signal,
                normalized,
                fold_change: None,
                log2_fold_change: None,
                flags: Flags(flags),
            }
        })
        .collect();
    // A control lane with a hole in its band (or its normalizer's) would shift every fold
    // change of the target: it is left out of the control mean while a whole one remains.
    let controls: Vec<&FoldChangeRow> = rows.iter().filter(|r| r.condition == control).collect();
    let whole: Vec<&FoldChangeRow> = controls
        .iter()
        .copied()
        .filter(|r| !has_hole(&r.flags) && r.normalized.is_some())
        .collect();
    let used: Vec<&FoldChangeRow> = if whole.is_empty() { controls } else { whole }
        .into_iter()
        .filter(|r| r.normalized.is_some())
        .collect();
    let control_values: Vec<f64> = used.iter().filter_map(|r| r.normalized).collect();
    let control_mean = stats::mean(&control_values);
    // A control measured only below its limit of detection is noise: no blot's fold change
    // can stand on it.
    let below_lod = used.iter().all(|r| r.flags.contains(Flag::BelowLod));
    let no_mean =
        control_values.is_empty() || below_lod || control_mean.is_nan() || control_mean <= 0.0;
    // A control mean is in doubt where a control value in it is: its background (or its
    // loading control's) uncertain, or the value itself under the limit of quantification
    // (below detection, or detected but too faint to measure precisely: `low-snr`) or below
    // the background. (Where there is no usable mean at all, `control-not-detected` says so
    // instead.) The mean is every fold change's denominator, and it inherits 1/n of such a
    // value's error over n controls, half with two: one control lost to an 8-bit copy
    // halved the mean and doubled every fold change of the blot, and a faint control lane
    // measured 25 % off moved every fold change by a tenth or more.
    let imprecise = |r: &&FoldChangeRow| {
        [Flag::BelowLod, Flag::LowSnr, Flag::BelowBackground]
            .iter()
            .any(|&f| r.flags.contains(f))
    };
    // A saturated control band (or loading-control band) is a value clipped from above: the
    // mean it enters is too low, or too high, by what the clipping took.
    let clipped = |r: &&FoldChangeRow| {
        r.flags.contains(Flag::Saturated) || r.flags.contains(Flag::NormalizerSaturated)
    };
    let control_uncertain = !no_mean
        && used.iter().any(|r| {
            r.flags.contains(Flag::BackgroundUncertain)
                || r.flags.contains(Flag::NormalizerUncertain)
                || imprecise(r)
                || clipped(r)
        });
    for row in &mut rows {
        if control_uncertain {
            row.flags.insert(Flag::ControlUncertain);
        }
        if no_mean {
            row.flags.insert(Flag::ControlNotDetected);
            continue;
        }
        row.fold_change = row.normalized.map(|n| n / control_mean);
        row.log2_fold_change = row.fold_change.filter(|f| *f > 0.0).map(f64::log2);
    }
    rows
}

/// A lane's normalizer signal (positive), raising the flags its loading-control band calls
/// for: saturated, not detected (none measured, or below the limit of detection), holed, or
/// an outlier against the blot's `median`.
fn normalizer_value(
    n: Option<&LaneSignal>,
    median: Option<f64>,
    params: &QuantParams,
    flags: &mut Vec<Flag>,
) -> Option<f64> {
    if let Some(n) = n {
        if n.saturated {
            flags.push(Flag::NormalizerSaturated);
        }
        if n.signal.is_none() || n.flags.contains(&Flag::BelowLod) {
            flags.push(Flag::NormalizerNotDetected);
        }
        if n.flags.contains(&Flag::Hole) {
            flags.push(Flag::NormalizerHole);
        }
        if n.flags.contains(&Flag::BackgroundUncertain) {
            flags.push(Flag::NormalizerUncertain);
        }
    }
    let value = n.and_then(|n| n.signal).filter(|v| *v > 0.0);
    if let (Some(v), Some(median)) = (value, median) {
        if (v / median - 1.0).abs() > params.normalizer_outlier_fraction {
            flags.push(Flag::NormalizerOutlier);
        }
    }
    value
}

/// True when the lane's band or its normalizer's band has a hole.
fn has_hole(flags: &Flags) -> bool {
    flags.contains(Flag::Hole) || flags.contains(Flag::NormalizerHole)
}

/// The usable fold changes of one target × condition and why some lanes were left out.
#[derive(Default)]
struct Group {
    fold_changes: FoldChanges,
    excluded: Vec<Flag>,
    is_control: bool,
}

/// Flags that keep a lane out of the summary statistics.
fn exclusion(flags: &Flags, params: &QuantParams) -> Option<Flag> {
    let unless_allowed = !params.allow_saturated;
    [
        (Flag::Saturated, unless_allowed),
        (Flag::NormalizerSaturated, unless_allowed),
        (Flag::NotDetected, true),
        (Flag::BelowBackground, true),
        (Flag::Hole, true),
        (Flag::NormalizerHole, true),
    ]
    .into_iter()
    .find(|&(flag, excludes)| excludes && flags.contains(flag))
    .map(|(flag, _)| flag)
}

/// What the summary needs to know of one experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// The control condition its fold changes are relative to.
    pub control: String,
    /// What one of its biological replicates is.
    pub replicate: ReplicateUnit,
}

/// Per target × condition statistics pooled over every experiment's rows. `designs` maps an
/// experiment to its control condition and replicate unit.
pub fn summarize(
    rows: &[FoldChangeRow],
    designs: &BTreeMap<String, Design>,
    params: &QuantParams,
) -> Vec<SummaryRow> {
    let unit_of = |experiment: &str| {
        designs
            .get(experiment)
            .map(|d| d.replicate)
            .unwrap_or_default()
    };
    // (target, condition) -> usable fold changes, and the reasons some lanes were left out.
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let key = (row.target.clone(), row.condition.clone());
        if !order.contains(&key) {
            order.push(key.clone());
        }
        let is_control = designs.get(&row.experiment).map(|d| &d.control) == Some(&row.condition);
        let entry = groups.entry(key).or_insert_with(|| Group {
            is_control,
            ..Group::default()
        });
        let usable = row.fold_change.filter(|f| *f > 0.0);
        match (exclusion(&row.flags, params), usable) {
            (Some(reason), _) => entry.excluded.push(reason),
            (None, None) => entry.excluded.push(Flag::NotQuantified),
            (None, Some(fc)) => {
                let technical = Technical::of(unit_of(&row.experiment), index, &row.sample);
                entry.fold_changes.push(&row.experiment, technical, fc);
            }
        }
    }
    // Per target, the control's log2 replicates. A blot's control replicate is 1 by
    // construction (its fold changes are relative to its own control lanes), so it tells
    // nothing of the control's spread: those are left out, and where no other is left the
    // test is one-sample.
    let mut control_logs: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for ((target, _), group) in groups.iter().filter(|(_, g)| g.is_control) {
        control_logs.entry(target.as_str()).or_default().extend(
            group
                .fold_changes
                .replicates(unit_of)
                .into_iter()
                .filter(|(unit, _)| *unit != ReplicateUnit::Blot)
                .map(|(_, fc)| fc.log2()),
        );
    }
    let mut summary: Vec<SummaryRow> = order
        .iter()
        .map(|key| {
            let group = &groups[key];
            let fold_changes: Vec<f64> = group
                .fold_changes
                .replicates(unit_of)
                .into_iter()
                .map(|(_, fc)| fc)
                .collect();
            let controls = control_logs
                .get(key.0.as_str())
                .map_or(&[][..], Vec::as_slice);
            summary_row(&key.0, &key.1, group, &fold_changes, controls)
        })
        .collect();
    adjust_p_values(&mut summary);
    summary
}

/// Fills `p_value_bh`: Benjamini–Hochberg across the tested conditions of each target.
fn adjust_p_values(summary: &mut [SummaryRow]) {
    let mut targets: Vec<String> = summary.iter().map(|r| r.target.clone()).collect();
    targets.dedup();
    for target in targets {
        let tested: Vec<usize> = (0..summary.len())
            .filter(|&i| summary[i].target == target && summary[i].p_value.is_some())
            .collect();
        let p: Vec<f64> = tested.iter().filter_map(|&i| summary[i].p_value).collect();
        for (&i, adjusted) in tested.iter().zip(stats::benjamini_hochberg(&p)) {
            summary[i].p_value_bh = Some(adjusted);
        }
    }
}

/// One-way ANOVA of a normalizer's signal across conditions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anova {
    /// The F statistic: variance between conditions over variance within them.
    pub f: f64,
    /// Its p-value; under 0.05 a warning says the normalizer differs between conditions.
    pub p_value: f64,
}

/// Tests whether a loading control's signal differs between conditions.
pub fn normalizer_anova(signals: &[LaneSignal]) -> Option<Anova> {
    let mut groups: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for s in signals {
        if let Some(v) = s.signal {
            groups.entry(s.condition.as_str()).or_default().push(v);
        }
    }
    let groups: Vec<Vec<f64>> = groups.into_values().collect();
    stats::one_way_anova(&groups).map(|(f, p_value)| Anova { f, p_value })
}

fn summary_row(
    target: &str,
    condition: &str,
    group: &Group,
    fcs: &[f64],
    control_logs: &[f64],
) -> SummaryRow {
    let logs: Vec<f64> = fcs.iter().map(|f| f.log2()).collect();
    let n = fcs.len();
    let finite = |v: f64| v.is_finite().then_some(v);
    let mean = (n > 0).then(|| stats::mean(fcs));
    let sd = finite(stats::sample_sd(fcs));
    let mean_log = (n > 0).then(|| stats::mean(&logs));
    let (ci_low, ci_high) = match (mean_log, finite(stats::sample_sd(&logs))) {
        (Some(m), Some(sd_log)) => {
            let half = stats::t_critical((n - 1) as f64, 0.95) * sd_log / (n as f64).sqrt();
            (finite(m - half), finite(m + half))
        }
        _ => (None, None),
    };
    let control_has_spread = control_logs.len() >= 2 && stats::sample_sd(control_logs) > 0.0;
    let (p_value, test) = if group.is_control || n < 2 {
        (None, String::new())
    } else if control_has_spread {
        (
            stats::welch_t_test(&logs, control_logs),
            "welch-t-log2".to_string(),
        )
    } else {
        (
            stats::one_sample_t_test(&logs, 0.0),
            "one-sample-t-log2".to_string(),
        )
    };
    // In the order of their words, each once (as they have always been written).
    let mut flags: Vec<Flag> = group.excluded.clone();
    flags.sort_unstable_by_key(|f| f.as_str());
    flags.dedup();
    if n < 2 {
        flags.push(Flag::NBelow2);
    }
    SummaryRow {
        target: target.to_string(),
        condition: condition.to_string(),
        n,
        mean_fold_change: mean,
        geomean_fold_change: mean_log.map(f64::exp2),
        sd,
        sem: sd.map(|s| s / (n as f64).sqrt()),
        cv_pct: match (sd, mean) {
            (Some(s), Some(m)) if m > 0.0 => Some(100.0 * s / m),
            _ => None,
        },
        mean_log2_fold_change: mean_log,
        ci95_low_log2: ci_low,
        ci95_high_log2: ci_high,
        test: if p_value.is_some() {
            test
        } else {
            String::new()
        },
        p_value,
        flags: Flags(flags),
        p_value_bh: None,
        ci95_low_fold: ci_low.map(f64::exp2),
        ci95_high_fold: ci_high.map(f64::exp2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lane(lane: usize, condition: &str, signal: f64) -> LaneSignal {
        LaneSignal {
            lane,
            condition: condition.into(),
            sample: None,
            signal: Some(signal),
            saturated: false,
            flags: vec![],
        }
    }

    /// Target `T` in two control lanes (10 and 30) and one LPS lane (80).
    fn two_controls_and_lps() -> [LaneSignal; 3] {
        [
            lane(2, "ctrl", 10.0),
            lane(3, "ctrl", 30.0),
            lane(4, "LPS", 80.0),
        ]
    }

    /// Fold-change rows of target `T` over the `ctrl` lanes, normalized to `actin`.
    fn normalized_to_actin(target: &[LaneSignal], actin: &[LaneSignal]) -> Vec<FoldChangeRow> {
        fold_changes(
            "e",
            "T",
            "ctrl",
            target,
            Some(("actin", actin)),
            &QuantParams::default(),
        )
    }

    #[test]
    fn fold_change_is_normalized_ratio_over_control_mean() {
        let target = two_controls_and_lps();
        let actin = [
            lane(2, "ctrl", 1.0),
            lane(3, "ctrl", 1.5),
            lane(4, "LPS", 2.0),
        ];
        let rows = normalized_to_actin(&target, &actin);
        // normalized: 10, 20, 40; control mean 15
        assert_eq!(rows[2].normalized, Some(40.0));
        assert!((rows[2].fold_change.unwrap() - 40.0 / 15.0).abs() < 1e-12);
        assert!((rows[0].fold_change.unwrap() - 10.0 / 15.0).abs() < 1e-12);
        // lane 2's actin (1.0) is 33 % below the median (1.5): an outlier.
        assert!(rows[0].flags.contains(Flag::NormalizerOutlier));
        assert!(!rows[1].flags.contains(Flag::NormalizerOutlier));
    }

    /// A lane whose loading control lies below its limit of detection (a lane on empty
    /// membrane, a failed load) keeps its values in the table but gets no normalized value or
    /// fold change: divided by noise, it came out 2000-fold; the other lanes are unchanged.
    #[test]
    fn a_normalizer_below_its_limit_of_detection_normalizes_nothing() {
        let target = two_controls_and_lps();
        let mut faint = lane(4, "LPS", 0.04);
        faint.flags.push(Flag::BelowLod);
        let actin = [lane(2, "ctrl", 1.0), lane(3, "ctrl", 1.5), faint];
        let rows = normalized_to_actin(&target, &actin);
        let lps = &rows[2];
        assert_eq!(lps.signal, Some(80.0));
        assert_eq!(lps.normalizer_signal, Some(0.04));
        assert_eq!((lps.normalized, lps.fold_change), (None, None));
        assert!(lps.flags.contains(Flag::NormalizerNotDetected));
        // The controls' mean (10 and 20) stands.
        assert!((rows[0].fold_change.unwrap() - 10.0 / 15.0).abs() < 1e-12);
    }

    /// A loading-control band whose background is uncertain passes its doubt on: the lane it
    /// normalizes says `normalizer-uncertain`, and where that lane is a control lane, every
    /// fold change of the target rests on it (`control-uncertain`). Values are unchanged.
    #[test]
    fn a_loading_control_of_uncertain_background_flags_what_rests_on_it() {
        let target = two_controls_and_lps();
        let mut uncertain = lane(3, "ctrl", 1.5);
        uncertain.flags.push(Flag::BackgroundUncertain);
        let actin = [lane(2, "ctrl", 1.0), uncertain, lane(4, "LPS", 2.0)];
        let rows = normalized_to_actin(&target, &actin);
        assert!(rows[1].flags.contains(Flag::NormalizerUncertain));
        assert!(!rows[0].flags.contains(Flag::NormalizerUncertain));
        assert!(rows
            .iter()
            .all(|r| r.flags.contains(Flag::ControlUncertain)));
        assert!((rows[2].fold_change.unwrap() - 40.0 / 15.0).abs() < 1e-12);

        // The same doubt on a treated lane's loading control stays with that lane.
        let mut uncertain = lane(4, "LPS", 2.0);
        uncertain.flags.push(Flag::BackgroundUncertain);
        let actin = [lane(2, "ctrl", 1.0), lane(3, "ctrl", 1.5), uncertain];
        let rows = normalized_to_actin(&target, &actin);
        assert!(rows[2].flags.contains(Flag::NormalizerUncertain));
        assert!(!rows
            .iter()
            .any(|r| r.flags.contains(Flag::ControlUncertain)));
    }

    /// A saturated control band, or a control lane's saturated loading-control band, is a
    /// clipped value: the control mean it enters is off by what the clipping took, and every
    /// fold change of the target says so (`control-uncertain`); values are unchanged. A
    /// saturated treated lane leaves the mean alone.
    #[test]
    fn a_saturated_control_puts_the_control_mean_in_doubt() {
        // As a measured band reports it: its box holds a saturated pixel, and it says so.
        let clip = |s: &mut LaneSignal| {
            s.saturated = true;
            s.flags.push(Flag::Saturated);
        };
        let mut clipped = lane(3, "ctrl", 20.0);
        clip(&mut clipped);
        let target = [lane(2, "ctrl", 10.0), clipped, lane(4, "LPS", 40.0)];
        let rows = fold_changes("e", "T", "ctrl", &target, None, &QuantParams::default());
        assert!(rows
            .iter()
            .all(|r| r.flags.contains(Flag::ControlUncertain)));
        assert!((rows[2].fold_change.unwrap() - 40.0 / 15.0).abs() < 1e-12);

        let target = two_controls_and_lps();
        let mut clipped = lane(3, "ctrl", 1.5);
        clip(&mut clipped);
        let actin = [lane(2, "ctrl", 1.0), clipped, lane(4, "LPS", 2.0)];
        let rows = normalized_to_actin(&target, &actin);
        assert!(rows[1].flags.contains(Flag::NormalizerSaturated));
        assert!(rows
            .iter()
            .all(|r| r.flags.contains(Flag::ControlUncertain)));

        let mut clipped = lane(4, "LPS", 40.0);
        clip(&mut clipped);
        let target = [lane(2, "ctrl", 10.0), lane(3, "ctrl", 20.0), clipped];
        let rows = fold_changes("e", "T", "ctrl", &target, None, &QuantParams::default());
        assert!(rows[2].flags.contains(Flag::Saturated));
        assert!(!rows
            .iter()
            .any(|r| r.flags.contains(Flag::ControlUncertain)));
    }

    /// A control lane measured below its limit of detection (or its limit of quantification)
    /// beside one whose band stands: the mean of the two rests on noise for one of them, and
    /// every fold change of the target says so (`control-uncertain`); values are unchanged.
    /// Where every control is below detection, no fold change is given
    /// (`control-not-detected`) and the doubt is that flag's.
    #[test]
    fn a_control_below_its_limit_of_detection_puts_the_control_mean_in_doubt() {
        let mut faint = lane(3, "ctrl", 0.5);
        faint.flags.push(Flag::BelowLod);
        let target = [lane(2, "ctrl", 10.0), faint.clone(), lane(4, "LPS", 40.0)];
        let rows = fold_changes("e", "T", "ctrl", &target, None, &QuantParams::default());
        assert!(rows
            .iter()
            .all(|r| r.flags.contains(Flag::ControlUncertain)));
        assert!((rows[2].fold_change.unwrap() - 40.0 / 5.25).abs() < 1e-12);

        // A control mean at or below 0 gives no fold change, for that reason alone.
        let target = [
            lane(2, "ctrl", 1.0),
            lane(3, "ctrl", -2.0),
            lane(4, "LPS", 40.0),
        ];
        let rows = fold_changes("e", "T", "ctrl", &target, None, &QuantParams::default());
        assert!(rows.iter().all(|r| r.fold_change.is_none()
            && r.flags.contains(Flag::ControlNotDetected)
            && !r.flags.contains(Flag::ControlUncertain)));

        // A control whose value lies below the background does the same.
        let target = [
            lane(2, "ctrl", 10.0),
            lane(3, "ctrl", -2.0),
            lane(4, "LPS", 40.0),
        ];
        let rows = fold_changes("e", "T", "ctrl", &target, None, &QuantParams::default());
        assert!(rows
            .iter()
            .all(|r| r.flags.contains(Flag::ControlUncertain)));

        // Both controls below detection: no fold change, for that reason.
        let mut other = lane(2, "ctrl", 0.4);
        other.flags.push(Flag::BelowLod);
        let target = [other, faint, lane(4, "LPS", 40.0)];
        let rows = fold_changes("e", "T", "ctrl", &target, None, &QuantParams::default());
        assert!(rows.iter().all(|r| r.fold_change.is_none()
            && r.flags.contains(Flag::ControlNotDetected)
            && !r.flags.contains(Flag::ControlUncertain)));

        // A control detected but under the limit of quantification does the same.
        let mut imprecise = lane(3, "ctrl", 0.5);
        imprecise.flags.push(Flag::LowSnr);
        let target = [lane(2, "ctrl", 10.0), imprecise, lane(4, "LPS", 40.0)];
        let rows = fold_changes("e", "T", "ctrl", &target, None, &QuantParams::default());
        assert!(rows
            .iter()
            .all(|r| r.flags.contains(Flag::ControlUncertain)));

        // Controls whose bands stand leave the mean unflagged.
        let target = [
            lane(2, "ctrl", 10.0),
            lane(3, "ctrl", 0.5),
            lane(4, "LPS", 40.0),
        ];
        let rows = fold_changes("e", "T", "ctrl", &target, None, &QuantParams::default());
        assert!(!rows
            .iter()
            .any(|r| r.flags.contains(Flag::ControlUncertain)));
    }

    #[test]
    fn summary_follows_the_contract_definitions() {
        let row = |exp: &str, cond: &str, fc: f64| FoldChangeRow {
            experiment: exp.into(),
            target: "T".into(),
            lane: 1,
            condition: cond.into(),
            sample: String::new(),
            signal: Some(1.0),
            normalizer: String::new(),
            normalizer_signal: None,
            normalized: None,
            fold_change: Some(fc),
            log2_fold_change: Some(fc.log2()),
            flags: Flags::default(),
        };
        let rows = vec![
            row("a", "ctrl", 0.9),
            row("a", "ctrl", 1.1),
            row("a", "LPS", 2.0),
            row("b", "LPS", 4.0),
            row("b", "LPS", 8.0),
        ];
        let design = Design {
            control: "ctrl".to_string(),
            replicate: ReplicateUnit::Lane,
        };
        let designs =
            BTreeMap::from([("a".to_string(), design.clone()), ("b".to_string(), design)]);
        let summary = summarize(&rows, &designs, &QuantParams::default());
        let lps = summary.iter().find(|r| r.condition == "LPS").unwrap();
        assert_eq!(lps.n, 3);
        assert!((lps.mean_fold_change.unwrap() - 14.0 / 3.0).abs() < 1e-12);
        assert!((lps.mean_log2_fold_change.unwrap() - 2.0).abs() < 1e-12);
        assert!((lps.geomean_fold_change.unwrap() - 4.0).abs() < 1e-12);
        // log2 values 1, 2, 3: sd 1, t(0.975, 2) = 4.302653 (scipy)
        assert!((lps.ci95_high_log2.unwrap() - (2.0 + 4.302653 / 3f64.sqrt())).abs() < 1e-5);
        assert_eq!(lps.test, "welch-t-log2");
        let ctrl = summary.iter().find(|r| r.condition == "ctrl").unwrap();
        assert_eq!(ctrl.test, "");
        assert_eq!(ctrl.p_value, None);
    }
}
