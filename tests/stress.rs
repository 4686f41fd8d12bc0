//! Stress suite: 40 experiments from an independent generator (`tests/stress/mod.rs`, its
//! module doc lists the physics and the truth), analyzed in-process and scored against their
//! truth. Run with `cargo test --release --test stress -- --nocapture` (add `--include-ignored`
//! for the accuracy targets); both tests print the figures. With `BLOTQUANT_STRESS_KEEP=DIR`
//! the experiments are kept in `DIR/seed-N` with their truth (`stress-truth.json`), to be looked
//! at with `blotquant analyze DIR/seed-N`.

mod common;
// The generator lives beside this file; a path is needed since this file has its name.
#[path = "stress/mod.rs"]
mod stress;

use common::quantile;
use statrs::distribution::{ContinuousCDF, Normal};

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;
use std::time::Instant;

use blotquant::quant::{Flag, FoldChangeRow};
use blotquant::results::{Results, Verdict};
use rayon::prelude::*;
use stress::{Truth, CONTROL, LOADING_CONTROL};

const FIRST_SEED: u64 = 1;
const LAST_SEED: u64 = 40;
/// A band whose true peak stands this many noise SDs above its background must be measured.
const MUST_MEASURE_SNR: f64 = 10.0;
/// Accuracy targets on the relative error of fold changes.
const MEDIAN_TARGET: f64 = 0.03;
const P90_TARGET: f64 = 0.10;
/// An error this large without any flag on the row is a silent wrong number worth listing.
const SILENT_ERROR: f64 = 0.25;

/// One experiment: its truth and what the analysis gave (an error or panic as text).
struct Outcome {
    truth: Truth,
    results: Result<Results, String>,
    seconds: f64,
}

/// One scored lane × target.
struct Cell {
    seed: u64,
    target: String,
    lane: usize,
    condition: String,
    true_fold_change: f64,
    measured: Option<f64>,
    flags: String,
    peak_snr: f64,
    faint_lane: bool,
}

impl Cell {
    fn relative_error(&self) -> Option<f64> {
        self.measured
            .map(|m| (m - self.true_fold_change).abs() / self.true_fold_change)
    }

    fn describe(&self) -> String {
        format!(
            "seed {} {} lane {} ({}): true {:.3}, measured {}, peak {:.1} SD{}, flags [{}]",
            self.seed,
            self.target,
            self.lane,
            self.condition,
            self.true_fold_change,
            self.measured.map_or("none".into(), |m| format!("{m:.3}")),
            self.peak_snr,
            if self.faint_lane { ", faint lane" } else { "" },
            self.flags
        )
    }
}

/// A measured signal over its band's true volume.
struct SignalRatio {
    seed: u64,
    target: String,
    condition: String,
    ratio: f64,
}

/// Everything the two tests assert on.
#[derive(Default)]
struct Evaluation {
    outcomes: Vec<Outcome>,
    cells: Vec<Cell>,
    /// Experiments that returned an error or panicked, or reported errors.
    failures: Vec<String>,
    /// Sample lane × target rows absent from `fold_change` altogether.
    missing_rows: Vec<String>,
    /// No fold change where the true band's peak stands ≥ 10 noise SDs.
    lost: Vec<String>,
    /// Signal or fold change ≤ 0 on a row that carries no flag.
    unflagged_nonpositive: Vec<String>,
    /// Measured signal over true volume per (seed, target, lane): constant within a target of
    /// an experiment where the measurement is proportional to the truth.
    signal_ratios: Vec<SignalRatio>,
    /// Fold changes whose control mean is not the mean of the measured control lanes.
    control_mean_violations: Vec<String>,
    wall_seconds: f64,
}

fn evaluation() -> &'static Evaluation {
    static EVALUATION: OnceLock<Evaluation> = OnceLock::new();
    EVALUATION.get_or_init(|| {
        let evaluation = evaluate();
        print_figures(&evaluation);
        evaluation
    })
}

/// Set to a folder to keep the generated experiments there (`<folder>/seed-N`) for a look
/// with the command line; otherwise they live in temporary folders.
const KEEP_VAR: &str = "BLOTQUANT_STRESS_KEEP";

/// Set to parameter overrides (JSON, e.g. `{"background": {"method": "rubber-band"}}`) to
/// run the suite with them.
const PARAMS_VAR: &str = "BLOTQUANT_STRESS_PARAMS";

fn run_one(seed: u64) -> Outcome {
    run_generated(&format!("seed-{seed}"), |dir| stress::generate(seed, dir))
}

/// Writes an experiment with `generate`, kept as `<folder>/<kept_as>` when asked, and
/// analyzes it.
fn run_generated(kept_as: &str, generate: impl FnOnce(&std::path::Path) -> Truth) -> Outcome {
    let temporary = tempfile::tempdir().expect("temporary folder");
    let dir = match std::env::var_os(KEEP_VAR) {
        Some(root) => {
            let dir = std::path::Path::new(&root).join(kept_as);
            std::fs::create_dir_all(&dir).expect("folder for the kept experiment");
            dir
        }
        None => temporary.path().to_path_buf(),
    };
    let truth = generate(&dir);
    if std::env::var_os(KEEP_VAR).is_some() {
        write_truth(&truth, &dir.join("stress-truth.json"));
    }
    let start = Instant::now();
    // Parameter overrides (JSON, as `--params` takes them) to compare methods on the suite.
    let params = match std::env::var(PARAMS_VAR) {
        Ok(json) => blotquant::Params::default()
            .with_overrides(&serde_json::from_str(&json).expect("parameter overrides are JSON"))
            .expect("valid parameter overrides"),
        Err(_) => blotquant::Params::default(),
    };
    let results = match catch_unwind(AssertUnwindSafe(|| blotquant::analyze(&dir, &params))) {
        Ok(Ok(run)) => Ok(run.results),
        Ok(Err(e)) => Err(format!("error: {e}")),
        Err(panic) => Err(format!(
            "panic: {}",
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    };
    Outcome {
        truth,
        results,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The truth of a kept experiment, beside its images, for a look by hand.
fn write_truth(truth: &Truth, path: &std::path::Path) {
    let cells: Vec<serde_json::Value> = truth
        .cells
        .iter()
        .map(|c| {
            serde_json::json!({
                "target": c.target,
                "lane": c.lane,
                "condition": c.condition,
                "volume": c.volume,
                "peak": c.peak,
                "noise_sd": c.noise_sd,
                "fold_change": c.fold_change,
                "faint_lane": c.faint_lane,
                "near_zero": c.near_zero,
            })
        })
        .collect();
    let json = serde_json::json!({
        "seed": truth.seed,
        "layout": truth.layout.name(),
        "features": truth.features,
        "faint_lanes": truth.faint_lanes,
        "read_noise_sd": truth.read_noise_sd,
        "cells": cells,
    });
    std::fs::write(
        path,
        serde_json::to_string_pretty(&json).expect("truth serializes"),
    )
    .expect("truth written beside the kept experiment");
}

fn evaluate() -> Evaluation {
    let start = Instant::now();
    let outcomes: Vec<Outcome> = (FIRST_SEED..=LAST_SEED)
        .into_par_iter()
        .map(run_one)
        .collect();
    let mut evaluation = Evaluation::default();
    for outcome in &outcomes {
        score(outcome, &mut evaluation);
    }
    evaluation.outcomes = outcomes;
    evaluation.wall_seconds = start.elapsed().as_secs_f64();
    evaluation
}

fn score(outcome: &Outcome, e: &mut Evaluation) {
    let truth = &outcome.truth;
    let results = match &outcome.results {
        Ok(results) => results,
        Err(message) => {
            e.failures.push(format!("seed {}: {message}", truth.seed));
            return;
        }
    };
    for failure in &results.errors {
        e.failures.push(format!(
            "seed {}: reported error {}",
            truth.seed, failure.error
        ));
    }
    let rows: Vec<&FoldChangeRow> = results
        .fold_change
        .iter()
        .filter(|r| r.experiment == truth.name)
        .collect();

    for cell in &truth.cells {
        let row = rows
            .iter()
            .find(|r| r.target == cell.target && r.lane == cell.lane);
        // The loading control is the normalizer, not a row of its own.
        if row.is_none() && cell.target != LOADING_CONTROL {
            e.missing_rows.push(format!(
                "seed {} {} lane {}: no fold_change row",
                truth.seed, cell.target, cell.lane
            ));
        }
        if let Some(signal) = row.and_then(|r| r.signal) {
            e.signal_ratios.push(SignalRatio {
                seed: truth.seed,
                target: cell.target.clone(),
                condition: cell.condition.clone(),
                ratio: signal / cell.volume,
            });
        }
        let Some(true_fold_change) = cell.fold_change else {
            continue; // the loading control itself
        };
        let scored = Cell {
            seed: truth.seed,
            target: cell.target.clone(),
            lane: cell.lane,
            condition: cell.condition.clone(),
            true_fold_change,
            measured: row.and_then(|r| r.fold_change),
            flags: row.map(|r| r.flags.to_string()).unwrap_or_default(),
            peak_snr: cell.peak_snr(),
            faint_lane: cell.faint_lane,
        };
        if scored.measured.is_none() && scored.peak_snr >= MUST_MEASURE_SNR {
            e.lost.push(scored.describe());
        }
        e.cells.push(scored);
    }

    for row in &rows {
        let flagged = !row.flags.0.is_empty();
        let nonpositive_signal = row.signal.is_some_and(|v| v <= 0.0);
        let nonpositive_fold = row.fold_change.is_some_and(|v| v <= 0.0);
        let negative_unmarked =
            row.signal.is_some_and(|v| v < 0.0) && !row.flags.contains(Flag::BelowBackground);
        if ((nonpositive_signal || nonpositive_fold) && !flagged) || negative_unmarked {
            e.unflagged_nonpositive.push(format!(
                "seed {} {} lane {}: signal {:?}, fold change {:?}, flags [{}]",
                truth.seed, row.target, row.lane, row.signal, row.fold_change, row.flags
            ));
        }
    }

    let targets: BTreeSet<&str> = rows.iter().map(|r| r.target.as_str()).collect();
    for target in targets {
        let of_target: Vec<&&FoldChangeRow> = rows.iter().filter(|r| r.target == target).collect();
        check_control_mean(truth.seed, target, &of_target, e);
    }
}

/// The control mean behind every fold change must be the mean of the control lanes' measured
/// `normalized` values: no missing lane counted as 0, no lane counted that has no value. A
/// control lane with a hole in its band is left out while a whole one remains (the documented
/// rule), so both candidate means are accepted only in that way.
fn check_control_mean(seed: u64, target: &str, rows: &[&&FoldChangeRow], e: &mut Evaluation) {
    let has_hole =
        |r: &FoldChangeRow| r.flags.contains(Flag::Hole) || r.flags.contains(Flag::NormalizerHole);
    let controls: Vec<&FoldChangeRow> = rows
        .iter()
        .map(|r| **r)
        .filter(|r| r.condition == CONTROL)
        .collect();
    for r in &controls {
        if r.signal.is_none() && r.normalized.is_some() {
            e.control_mean_violations.push(format!(
                "seed {seed} {target} lane {}: control lane without a signal has a normalized value {:?}",
                r.lane, r.normalized
            ));
        }
    }
    let measured: Vec<&FoldChangeRow> = controls
        .iter()
        .copied()
        .filter(|r| r.signal.is_some() && r.normalized.is_some())
        .collect();
    let whole: Vec<&FoldChangeRow> = measured.iter().copied().filter(|r| !has_hole(r)).collect();
    let used = if whole.is_empty() { &measured } else { &whole };
    let expected = (!used.is_empty())
        .then(|| used.iter().filter_map(|r| r.normalized).sum::<f64>() / used.len() as f64);
    for r in rows {
        let Some(fold_change) = r.fold_change else {
            continue;
        };
        let Some(normalized) = r.normalized else {
            e.control_mean_violations.push(format!(
                "seed {seed} {target} lane {}: fold change {fold_change} without a normalized value",
                r.lane
            ));
            continue;
        };
        let Some(expected) = expected else {
            e.control_mean_violations.push(format!(
                "seed {seed} {target} lane {}: fold change {fold_change} with no measured control lane",
                r.lane
            ));
            continue;
        };
        let implied = normalized / fold_change;
        if ((implied - expected) / expected).abs() > 1e-9 {
            let lanes: Vec<String> = controls
                .iter()
                .map(|c| format!("lane {} {:?} [{}]", c.lane, c.normalized, c.flags))
                .collect();
            e.control_mean_violations.push(format!(
                "seed {seed} {target} lane {}: control mean {implied} where the measured control lanes give {expected} ({})",
                r.lane,
                lanes.join(", ")
            ));
        }
    }
}

fn errors_of<'a>(cells: impl Iterator<Item = &'a Cell>) -> Vec<f64> {
    cells.filter_map(Cell::relative_error).collect()
}

fn pct(value: f64) -> String {
    format!("{:.1}%", 100.0 * value)
}

/// The largest distance, in lane pitches, between a lane's stated centre in `lanes.csv` and its
/// true centre, over every image of the experiment (a lane missing from the table counts as 1).
fn lane_placement_error(outcome: &Outcome) -> f64 {
    let Ok(results) = &outcome.results else {
        return f64::NAN;
    };
    let truth = &outcome.truth;
    let mut worst: f64 = 0.0;
    for (file, centres) in &truth.lane_centres {
        for (i, centre) in centres.iter().enumerate() {
            let found = results
                .lanes
                .iter()
                .find(|l| l.image == *file && l.lane == i + 1);
            let error = found.map_or(1.0, |l| (l.x_center_px - centre).abs() / truth.pitch);
            worst = worst.max(error);
        }
    }
    worst
}

fn verdict_of(outcome: &Outcome) -> &'static str {
    match &outcome.results {
        Ok(results) => results
            .experiments
            .first()
            .map_or("none", |x| x.quality.verdict.as_str()),
        Err(_) => "failed",
    }
}

fn print_figures(e: &Evaluation) {
    println!(
        "\n=== stress suite: seeds {FIRST_SEED}..={LAST_SEED}, {:.1} s wall ===",
        e.wall_seconds
    );
    println!("per experiment (relative error of fold change):");
    println!(
        "seed layout       verdict     secs  measured  median    p90     max  lost  noise  lanes  faint  features"
    );
    for outcome in &e.outcomes {
        let truth = &outcome.truth;
        let cells: Vec<&Cell> = e.cells.iter().filter(|c| c.seed == truth.seed).collect();
        let errors = errors_of(cells.iter().copied());
        let lost = cells
            .iter()
            .filter(|c| c.measured.is_none() && c.peak_snr >= MUST_MEASURE_SNR)
            .count();
        println!(
            "{:>4} {:<12} {:<10} {:>5.2} {:>4}/{:<4} {:>7} {:>7} {:>7} {:>5} {:>6.0} {:>6.2}  {:<5}  {}",
            truth.seed,
            truth.layout.name(),
            verdict_of(outcome),
            outcome.seconds,
            errors.len(),
            cells.len(),
            pct(quantile(&errors, 0.5)),
            pct(quantile(&errors, 0.9)),
            pct(quantile(&errors, 1.0)),
            lost,
            truth.read_noise_sd,
            lane_placement_error(outcome),
            format!("{:?}", truth.faint_lanes),
            truth.features[1..].join(",")
        );
    }

    let targets: BTreeSet<&str> = e.cells.iter().map(|c| c.target.as_str()).collect();
    println!("\naccuracy per target:");
    println!("target            measured  median    p90     max  lost(>=10SD)  unmeasured(<10SD)");
    let line = |name: &str, cells: Vec<&Cell>| {
        let errors = errors_of(cells.iter().copied());
        let lost = cells
            .iter()
            .filter(|c| c.measured.is_none() && c.peak_snr >= MUST_MEASURE_SNR)
            .count();
        let unmeasured = cells
            .iter()
            .filter(|c| c.measured.is_none() && c.peak_snr < MUST_MEASURE_SNR)
            .count();
        println!(
            "{:<17} {:>4}/{:<4} {:>7} {:>7} {:>7} {:>6} {:>12}",
            name,
            errors.len(),
            cells.len(),
            pct(quantile(&errors, 0.5)),
            pct(quantile(&errors, 0.9)),
            pct(quantile(&errors, 1.0)),
            lost,
            unmeasured
        );
    };
    for target in &targets {
        line(
            target,
            e.cells.iter().filter(|c| c.target == *target).collect(),
        );
    }
    line("overall", e.cells.iter().collect());
    line(
        "  control lanes",
        e.cells.iter().filter(|c| c.condition == CONTROL).collect(),
    );
    line(
        "  faint lanes",
        e.cells.iter().filter(|c| c.faint_lane).collect(),
    );
    line(
        "  peak >= 10 SD",
        e.cells
            .iter()
            .filter(|c| c.peak_snr >= MUST_MEASURE_SNR)
            .collect(),
    );

    println!(
        "\nsignal proportionality: |signal / true volume ÷ its median over the target's lanes − 1|"
    );
    println!("target            lanes  median    p90");
    let signal_targets: BTreeSet<&str> =
        e.signal_ratios.iter().map(|r| r.target.as_str()).collect();
    let ratios_of = |seed: u64, target: &str, condition: Option<&str>| -> Vec<f64> {
        e.signal_ratios
            .iter()
            .filter(|r| r.seed == seed && r.target == target)
            .filter(|r| condition.is_none_or(|c| r.condition == c))
            .map(|r| r.ratio)
            .collect()
    };
    for target in &signal_targets {
        let mut deviations = Vec::new();
        for outcome in &e.outcomes {
            let ratios = ratios_of(outcome.truth.seed, target, None);
            let median = quantile(&ratios, 0.5);
            deviations.extend(ratios.iter().map(|r| (r / median - 1.0).abs()));
        }
        println!(
            "{:<17} {:>5} {:>7} {:>7}",
            target,
            deviations.len(),
            pct(quantile(&deviations, 0.5)),
            pct(quantile(&deviations, 0.9))
        );
    }

    // A measurement that is not proportional to the truth gives the weaker control bands another
    // share of their volume than the strong LPS bands; every fold change carries the difference.
    println!(
        "\nweak-band bias: (signal/volume of untreated lanes) / (signal/volume of LPS lanes) − 1, \
         median [p10, p90] over experiments"
    );
    println!("target            all                       faint control + non-specific   others");
    for target in signal_targets.iter().filter(|t| **t != LOADING_CONTROL) {
        let mut all = Vec::new();
        let mut hard = Vec::new();
        let mut others = Vec::new();
        for outcome in &e.outcomes {
            let seed = outcome.truth.seed;
            let control = ratios_of(seed, target, Some(CONTROL));
            let lps = ratios_of(seed, target, Some("LPS"));
            if control.is_empty() || lps.is_empty() {
                continue;
            }
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            let bias = mean(&control) / mean(&lps) - 1.0;
            all.push(bias);
            if outcome.truth.has("faint-control") && outcome.truth.has("non-specific") {
                hard.push(bias);
            } else {
                others.push(bias);
            }
        }
        let spread = |v: &[f64]| {
            format!(
                "{:>6} [{:>6}, {:>6}] n={:<3}",
                pct(quantile(v, 0.5)),
                pct(quantile(v, 0.1)),
                pct(quantile(v, 0.9)),
                v.len()
            )
        };
        println!(
            "{:<17} {}  {}  {}",
            target,
            spread(&all),
            spread(&hard),
            spread(&others)
        );
    }

    println!("\nmedian and p90 error by feature (experiments with / without it):");
    println!("feature          n_with  median    p90 | n_without  median    p90");
    let mut features: Vec<&str> = Vec::new();
    for outcome in &e.outcomes {
        for f in &outcome.truth.features {
            if !features.contains(f) {
                features.push(f);
            }
        }
    }
    features.sort();
    for feature in features {
        let with: BTreeSet<u64> = e
            .outcomes
            .iter()
            .filter(|o| o.truth.has(feature))
            .map(|o| o.truth.seed)
            .collect();
        let errors_with = errors_of(e.cells.iter().filter(|c| with.contains(&c.seed)));
        let errors_without = errors_of(e.cells.iter().filter(|c| !with.contains(&c.seed)));
        println!(
            "{:<16} {:>6} {:>7} {:>7} | {:>9} {:>7} {:>7}",
            feature,
            with.len(),
            pct(quantile(&errors_with, 0.5)),
            pct(quantile(&errors_with, 0.9)),
            e.outcomes.len() - with.len(),
            pct(quantile(&errors_without, 0.5)),
            pct(quantile(&errors_without, 0.9)),
        );
    }

    let misplaced: Vec<String> = e
        .outcomes
        .iter()
        .filter(|o| lane_placement_error(o) > 0.25)
        .map(|o| format!("{} ({})", o.truth.seed, o.truth.layout.name()))
        .collect();
    let well_placed: BTreeSet<u64> = e
        .outcomes
        .iter()
        .filter(|o| lane_placement_error(o) <= 0.25)
        .map(|o| o.truth.seed)
        .collect();
    let errors_placed = errors_of(e.cells.iter().filter(|c| well_placed.contains(&c.seed)));
    println!(
        "\nexperiments with a lane placed > 1/4 pitch off its true centre: {} [{}]",
        misplaced.len(),
        misplaced.join(", ")
    );
    println!(
        "error over the other {} experiments: median {}, p90 {}",
        well_placed.len(),
        pct(quantile(&errors_placed, 0.5)),
        pct(quantile(&errors_placed, 0.9))
    );

    let verdicts = ["ok", "check", "unreliable", "failed"];
    let counts: Vec<String> = verdicts
        .iter()
        .map(|v| {
            let n = e.outcomes.iter().filter(|o| verdict_of(o) == *v).count();
            format!("{v} {n}")
        })
        .collect();
    println!("\nquality verdicts: {}", counts.join(", "));

    let (silent, silent_in_ok) = silent_errors(e);
    // What flags cost: rows flagged although their value is good.
    let flagged: Vec<&Cell> = e.cells.iter().filter(|c| !c.flags.is_empty()).collect();
    let flagged_good = flagged
        .iter()
        .filter(|c| c.relative_error().is_some_and(|x| x <= 0.10))
        .count();
    let flagged_wrong = flagged
        .iter()
        .filter(|c| c.relative_error().is_some_and(|x| x > SILENT_ERROR))
        .count();
    println!(
        "rows with a flag: {} of {} ({} within 10 % of truth, {} off by more than {})",
        flagged.len(),
        e.cells.len(),
        flagged_good,
        flagged_wrong,
        pct(SILENT_ERROR)
    );
    println!(
        "errors > {} on rows without a flag: {} ({} in experiments judged ok)",
        pct(SILENT_ERROR),
        silent.len(),
        silent_in_ok.len()
    );
    for c in silent.iter().take(15) {
        println!("  {}", c.describe());
    }

    let section = |title: &str, lines: &[String]| {
        println!("{title}: {}", lines.len());
        for l in lines.iter().take(25) {
            println!("  {l}");
        }
        if lines.len() > 25 {
            println!("  … and {} more", lines.len() - 25);
        }
    };
    section("analysis errors or panics", &e.failures);
    section("missing fold_change rows", &e.missing_rows);
    section(
        "lost values (no fold change, true peak >= 10 noise SDs)",
        &e.lost,
    );
    section(
        "non-positive signal or fold change without a flag",
        &e.unflagged_nonpositive,
    );
    section("control-mean violations", &e.control_mean_violations);
    println!("(loading control {LOADING_CONTROL}; fold change error = |measured − true| / true)\n");
}

/// Rows off by more than [`SILENT_ERROR`] that carry no flag, and those of them in
/// experiments whose quality verdict is `ok`.
fn silent_errors(e: &Evaluation) -> (Vec<&Cell>, Vec<&Cell>) {
    let silent: Vec<&Cell> = e
        .cells
        .iter()
        .filter(|c| c.relative_error().is_some_and(|x| x > SILENT_ERROR) && c.flags.is_empty())
        .collect();
    let judged_ok = |seed: u64| {
        e.outcomes
            .iter()
            .find(|o| o.truth.seed == seed)
            .is_some_and(|o| {
                o.results.as_ref().is_ok_and(|r| {
                    r.experiments
                        .first()
                        .is_some_and(|x| x.quality.verdict == Verdict::Ok)
                })
            })
    };
    let in_ok = silent
        .iter()
        .copied()
        .filter(|c| judged_ok(c.seed))
        .collect();
    (silent, in_ok)
}

/// No silent wrong number: every valid experiment is analyzed without error or panic, every
/// sample lane × target has its row, no non-positive value goes unflagged, every control
/// mean is made of measured values only, and no value is off by more than [`SILENT_ERROR`]
/// without a flag (two were, in one crops experiment whose loading-control strip has its
/// gaps filled by the bands' flanks, before a strip's background was checked against the
/// lower envelope of its gaps).
#[test]
fn stress_no_silent_wrong_number() {
    let e = evaluation();
    assert!(
        e.failures.is_empty(),
        "analysis failed on valid manifests: {:#?}",
        e.failures
    );
    assert!(
        e.missing_rows.is_empty(),
        "fold_change rows missing: {:#?}",
        e.missing_rows
    );
    assert!(
        e.unflagged_nonpositive.is_empty(),
        "non-positive values without a flag: {:#?}",
        e.unflagged_nonpositive
    );
    assert!(
        e.control_mean_violations.is_empty(),
        "control means not made of measured values: {:#?}",
        e.control_mean_violations
    );
    // No value is off by more than a quarter without a flag.
    let (silent, _) = silent_errors(e);
    let listed: Vec<String> = silent.iter().map(|c| c.describe()).collect();
    assert!(
        listed.is_empty(),
        "errors over {} without a flag: {listed:#?}",
        pct(SILENT_ERROR)
    );
}

/// A ladder that shows only on the white-light marker image leaves the ECL images' ladder
/// lane empty, so lanes counted from what an ECL image shows can come out a whole lane off
/// (the stated count adding a lane on the empty membrane at the wrong end): every lane of
/// every image of the marker layouts lies within half a pitch of its true centre.
#[test]
fn marker_layout_lanes_are_not_a_lane_off() {
    let e = evaluation();
    let off: Vec<String> = e
        .outcomes
        .iter()
        .filter(|o| o.truth.layout.name() == "marker")
        .map(|o| (o.truth.seed, lane_placement_error(o)))
        .filter(|&(_, error)| error.is_nan() || error >= 0.5)
        .map(|(seed, error)| format!("seed {seed}: a lane {error:.2} pitch off"))
        .collect();
    assert!(off.is_empty(), "{off:#?}");
}

/// Lanes lean only where the blot does: in an experiment drawn without tilt, no image's lanes
/// are said to lean (an empty lane's leftover background, a blotch or a vignette's edge,
/// must not tilt the lanes).
#[test]
fn lanes_lean_only_on_tilted_blots() {
    let e = evaluation();
    let leaning: Vec<String> = e
        .outcomes
        .iter()
        .filter(|o| !o.truth.has("tilt"))
        .filter_map(|o| {
            let results = o.results.as_ref().ok()?;
            let said: Vec<&String> = results
                .warnings
                .iter()
                .filter(|w| {
                    ["lanes lean by", "lanes fan out", "lanes all lean by"]
                        .iter()
                        .any(|said| w.contains(said))
                })
                .collect();
            (!said.is_empty()).then(|| format!("seed {}: {said:?}", o.truth.seed))
        })
        .collect();
    assert!(leaning.is_empty(), "{leaning:#?}");
}

/// The accuracy the suite aims at: median relative error ≤ 3 %, p90 ≤ 10 %, and every band
/// that stands ≥ 10 noise SDs measured.
#[test]
fn stress_accuracy_targets() {
    let e = evaluation();
    let errors = errors_of(e.cells.iter());
    let (median, p90) = (quantile(&errors, 0.5), quantile(&errors, 0.9));
    println!(
        "overall: median {}, p90 {}, lost {}",
        pct(median),
        pct(p90),
        e.lost.len()
    );
    assert!(
        median <= MEDIAN_TARGET,
        "median error {} above {}",
        pct(median),
        pct(MEDIAN_TARGET)
    );
    assert!(
        p90 <= P90_TARGET,
        "p90 error {} above {}",
        pct(p90),
        pct(P90_TARGET)
    );
    assert!(
        e.lost.is_empty(),
        "{} values lost with a true peak >= {MUST_MEASURE_SNR} noise SDs",
        e.lost.len()
    );
}

/// Experiment `seed` imaged at a coarser scale: every image binned `factor`×`factor` (block
/// means, written back at its bit depth and polarity) and a target's stated `rows` scaled
/// alike; the truth's fold changes are the same.
fn run_binned(seed: u64, factor: usize) -> Outcome {
    run_generated(&format!("seed-{seed}-bin{factor}"), |dir| {
        let full = tempfile::tempdir().expect("temporary folder");
        let truth = stress::generate(seed, full.path());
        for entry in std::fs::read_dir(full.path()).expect("the experiment's folder") {
            let path = entry.expect("a file of the experiment").path();
            let out = dir.join(path.file_name().expect("a file name"));
            match path.extension().and_then(|e| e.to_str()) {
                Some("tif" | "png") => {
                    let picture = common::transforms::read_picture(&path);
                    let binned = common::transforms::Picture {
                        display: common::transforms::binned(&picture.display, factor),
                        ..picture
                    };
                    common::transforms::write_picture(&binned, &out);
                }
                Some("json") => {
                    let text = std::fs::read_to_string(&path).expect("the manifest");
                    let mut manifest: serde_json::Value =
                        serde_json::from_str(&text).expect("the manifest is JSON");
                    scale_stated_rows(&mut manifest, factor);
                    std::fs::write(&out, manifest.to_string()).expect("the binned manifest");
                }
                _ => {
                    std::fs::copy(&path, &out).expect("a file copied");
                }
            }
        }
        truth
    })
}

/// Divides every `images[].targets.<name>.rows` of `manifest` by `factor` (whole rows).
fn scale_stated_rows(manifest: &mut serde_json::Value, factor: usize) {
    let images = manifest["images"].as_array_mut().into_iter().flatten();
    for target in images.filter_map(|image| image["targets"].as_object_mut()) {
        for rows in target.values_mut().filter_map(|t| t["rows"].as_array_mut()) {
            for row in rows.iter_mut() {
                let scaled = row.as_u64().expect("a row number") / factor as u64;
                *row = serde_json::json!(scaled);
            }
        }
    }
}

/// The 40 experiments binned 2×2 (the same blots imaged at half the resolution) must meet
/// the same accuracy targets as at full resolution: a method whose steps are stated in the
/// image's own units (band height, lane pitch, noise) does not care.
#[test]
#[ignore = "not met: binned 2x2, median 2.1 %, p90 13.3 % (at full resolution 1.4 %, \
            7.7 %); 2.5 %, 16.3 % before the ball's radius followed the bands' height, 3.2 %, \
            20.2 % before the profiles' smoothing did. The default background's 5-px border \
            is still fixed in pixels (3 px: 2.0 %, 12.8 %); shrunk with the bands' height it \
            moved the FXN panel's control pair from 0.96 / 1.04 to 1.38 / 0.62 (printed \
            0.95 / 1.05). BLOTQUANT_STRESS_PARAMS runs it with other parameters"]
fn stress_accuracy_holds_binned_2x2() {
    let outcomes: Vec<Outcome> = (FIRST_SEED..=LAST_SEED)
        .into_par_iter()
        .map(|seed| run_binned(seed, 2))
        .collect();
    let mut e = Evaluation::default();
    for outcome in &outcomes {
        score(outcome, &mut e);
    }
    assert!(e.failures.is_empty(), "{:#?}", e.failures);
    let errors = errors_of(e.cells.iter());
    let (median, p90) = (quantile(&errors, 0.5), quantile(&errors, 0.9));
    println!(
        "binned 2x2: {} values, median {}, p90 {}",
        errors.len(),
        pct(median),
        pct(p90)
    );
    assert!(median <= MEDIAN_TARGET, "median error {}", pct(median));
    assert!(p90 <= P90_TARGET, "p90 error {}", pct(p90));
}

/// Near-zero lanes on tight crops: the true fold change of a near-zero lane.
const NEAR_ZERO_FRACTION: f64 = 0.005;
/// What a near-zero lane's fold change must stay below (2 % of the control).
const NEAR_ZERO_CEILING: f64 = 0.02;
const NEAR_ZERO_SEEDS: std::ops::RangeInclusive<u64> = 101..=108;
const NEAR_ZERO_STRIPS: [usize; 3] = [12, 16, 20];

/// One lane × target of the near-zero experiments: what it should be and what was reported.
struct NearZeroCell {
    strip: usize,
    seed: u64,
    target: String,
    lane: usize,
    near_zero: bool,
    true_fold_change: f64,
    /// `None`: no `fold_change` row at all; `Some(None)`: a row without a fold change.
    reported: Option<Option<f64>>,
    flags: String,
    /// The reported fold change's SD from the image's noise alone ([`noise_sd_of_fold_change`]);
    /// `None` where it cannot be told (no box, a whole-strip box, no fold change).
    noise_sd: Option<f64>,
}

/// The SD that the image's pixel noise alone (`pixel_noise_sd`, the truth's at the band)
/// gives a fold change measured as `row` reports it with the box of `band`, on an image
/// `height` rows tall: the box's own pixels, and its border-mean background (the default:
/// means of up to `border` rows above and below the box, joined by a line to the box's middle
/// row) carried across the box's pixels; over the lane's normalizer signal and the control
/// lanes' mean normalized value. What no method measuring that box can get under.
fn noise_sd_of_fold_change(
    row: &blotquant::results::FoldChangeRow,
    band: &blotquant::results::BandRow,
    height: usize,
    border: usize,
    pixel_noise_sd: f64,
) -> Option<f64> {
    let (top, bottom) = (band.top_px, band.bottom_px);
    let columns = (band.right_px + 1 - band.left_px) as f64;
    let above = border.min(top);
    let below = border.min(height.saturating_sub(bottom + 1));
    if above + below == 0 {
        return None;
    }
    let pixels = (bottom + 1 - top) as f64 * columns;
    // Each side's mean and the weight the box's middle row gives it.
    let background_variance = if above > 0 && below > 0 {
        let row_above = top as f64 - (above as f64 + 1.0) / 2.0;
        let row_below = bottom as f64 + (below as f64 + 1.0) / 2.0;
        let middle = (top + bottom) as f64 / 2.0;
        let w = (middle - row_above) / (row_below - row_above);
        (1.0 - w).powi(2) / (above as f64 * columns) + w.powi(2) / (below as f64 * columns)
    } else {
        1.0 / ((above + below) as f64 * columns)
    };
    let volume_sd = pixel_noise_sd * (pixels + pixels * pixels * background_variance).sqrt();
    let control_mean = row.normalized? / row.fold_change?;
    Some(volume_sd / row.normalizer_signal? / control_mean)
}

/// Seeds of the experiments drawn with a white-light marker image ([`marker_lane_errors`]).
const MARKER_SEEDS: std::ops::RangeInclusive<u64> = 201..=216;

/// One lane of one image of a marker experiment, placed against its truth.
struct MarkerLane {
    what: String,
    /// A ladder lane of an ECL image or a sample lane of the marker image: placed from the
    /// other image kind, so off by as much as the marker image is shifted against the ECL
    /// images (which nothing in a marker image showing only its ladder can measure).
    across: bool,
    /// Distance from the true centre (px), less the marker image's shift where `across`.
    beyond: f64,
    pitch: f64,
}

/// Every lane of the experiments whose ladder shows only on a white-light marker image
/// (empty ladder lanes on the ECL images, which are shifted a few px against each other and
/// against the marker), seeds [`MARKER_SEEDS`]. The marker image's shift against the ECL
/// images: the median over the sample lanes of its true centre less the ECL images' median
/// true centre.
fn marker_lane_errors() -> Vec<MarkerLane> {
    let outcomes: Vec<Outcome> = MARKER_SEEDS
        .into_par_iter()
        .map(|seed| {
            let options = stress::Options {
                layout: Some(stress::Layout::MarkerImage),
                ..stress::Options::default()
            };
            let generate = |dir: &std::path::Path| stress::generate_with(seed, dir, &options);
            run_generated(&format!("marker-seed-{seed}"), generate)
        })
        .collect();
    let mut lanes = Vec::new();
    for outcome in &outcomes {
        let truth = &outcome.truth;
        let results = outcome.results.as_ref().unwrap_or_else(|message| {
            panic!("seed {}: {message}", truth.seed);
        });
        let is_marker = |file: &str| file.starts_with("marker.");
        let ladder = |lane: usize| {
            results
                .lanes
                .iter()
                .any(|l| l.lane == lane && l.condition == "ladder")
        };
        let ecl: Vec<&Vec<f64>> = truth
            .lane_centres
            .iter()
            .filter(|(file, _)| !is_marker(file))
            .map(|(_, centres)| centres)
            .collect();
        let marker_shift = truth
            .lane_centres
            .iter()
            .find(|(file, _)| is_marker(file))
            .map(|(_, centres)| {
                let offsets: Vec<f64> = (0..centres.len())
                    .filter(|&i| !ladder(i + 1))
                    .map(|i| {
                        let own: Vec<f64> = ecl.iter().map(|c| c[i]).collect();
                        centres[i] - blotquant::stats::median(&own)
                    })
                    .collect();
                blotquant::stats::median(&offsets).abs()
            })
            .unwrap_or(0.0);
        for (file, centres) in &truth.lane_centres {
            for (i, centre) in centres.iter().enumerate() {
                let lane = i + 1;
                let across = is_marker(file) != ladder(lane);
                let found = results
                    .lanes
                    .iter()
                    .find(|l| l.image == *file && l.lane == lane)
                    .map(|l| l.x_center_px);
                let error = found.map_or(f64::INFINITY, |x| (x - centre).abs());
                lanes.push(MarkerLane {
                    what: format!(
                        "seed {} {file} lane {lane}: true {centre:.1}, found {found:?} (pitch {:.1}, marker shifted {marker_shift:.1} px)",
                        truth.seed, truth.pitch
                    ),
                    across,
                    beyond: error - if across { marker_shift } else { 0.0 },
                    pitch: truth.pitch,
                });
            }
        }
    }
    lanes
}

/// Where the ECL images do not show their ladder lanes, those lanes come from the marker
/// image's ladder, and the marker image's sample lanes from the ECL images: each within 5 %
/// of the pitch of its true centre, beyond the marker image's own shift. (A whole grid moved
/// onto the marker's ladder took the ECL images' guessed ladder lane's error into every lane
/// of the marker image: up to 0.21 pitch off on these seeds.)
#[test]
fn lanes_placed_across_marker_and_ecl_images_lie_within_five_percent_of_the_pitch() {
    let lanes = marker_lane_errors();
    let off: Vec<&str> = lanes
        .iter()
        .filter(|l| l.across && l.beyond > 0.05 * l.pitch)
        .map(|l| l.what.as_str())
        .collect();
    assert!(off.is_empty(), "{off:#?}");
}

/// Every lane of every image of the marker experiments within 5 % of the pitch (beyond the
/// marker image's own shift where placed across).
#[test]
fn every_lane_of_marker_experiments_lies_within_five_percent_of_the_pitch() {
    let lanes = marker_lane_errors();
    let worst = lanes.iter().map(|l| l.beyond / l.pitch).fold(0.0, f64::max);
    println!("marker experiments, seeds {MARKER_SEEDS:?}: worst lane {worst:.3} pitch off");
    let off: Vec<&str> = lanes
        .iter()
        .filter(|l| l.beyond > 0.05 * l.pitch)
        .map(|l| l.what.as_str())
        .collect();
    assert!(
        off.is_empty(),
        "{} of {} lanes: {off:#?}",
        off.len(),
        lanes.len()
    );
}

/// The near-zero experiments' lanes where strips are tall enough to place them (16 and 20
/// px): an end lane whose band is near zero leaves an evenly spaced grid free to put its
/// spare lane at the other end, one image a lane off the others, every lane then read from
/// its neighbour. No lane lies half a pitch or more off its true centre, and every
/// experiment is analyzed.
#[test]
fn near_zero_end_lanes_leave_no_image_a_lane_off() {
    let off: Vec<String> = crop_experiments(&[16, 20], NEAR_ZERO_SEEDS, Some(NEAR_ZERO_FRACTION))
        .into_iter()
        .filter_map(|(strip, seed, outcome)| {
            let error = lane_placement_error(&outcome);
            (error.is_nan() || error >= 0.5).then(|| {
                format!(
                    "strip {strip} seed {seed}: a lane {error:.2} pitch off ({:?})",
                    outcome.results.as_ref().err()
                )
            })
        })
        .collect();
    assert!(off.is_empty(), "{off:#?}");
}

/// Experiments of the crops layout with strips of each of `strips` rows, for every seed of
/// `seeds` (near-zero lanes at `near_zero` where given), analyzed: (strip, seed, outcome).
fn crop_experiments(
    strips: &[usize],
    seeds: std::ops::RangeInclusive<u64>,
    near_zero: Option<f64>,
) -> Vec<(usize, u64, Outcome)> {
    let runs: Vec<(usize, u64)> = strips
        .iter()
        .flat_map(|&strip| seeds.clone().map(move |seed| (strip, seed)))
        .collect();
    runs.into_par_iter()
        .map(|(strip, seed)| {
            let options = stress::Options {
                layout: Some(stress::Layout::Crops),
                strip: Some(strip),
                near_zero,
            };
            let kept_as = match near_zero {
                Some(_) => format!("near-zero-strip-{strip}-seed-{seed}"),
                None => format!("strip-{strip}-seed-{seed}"),
            };
            let generate = |dir: &std::path::Path| stress::generate_with(seed, dir, &options);
            (strip, seed, run_generated(&kept_as, generate))
        })
        .collect()
}

/// Every lane × target of the near-zero experiments on every strip height, and the runs that
/// failed outright.
fn near_zero_cells() -> (Vec<String>, Vec<NearZeroCell>) {
    let outcomes = crop_experiments(&NEAR_ZERO_STRIPS, NEAR_ZERO_SEEDS, Some(NEAR_ZERO_FRACTION));

    let mut failures: Vec<String> = Vec::new();
    let mut cells: Vec<NearZeroCell> = Vec::new();
    for (strip, _, outcome) in &outcomes {
        let truth = &outcome.truth;
        let results = match &outcome.results {
            Ok(results) => results,
            Err(message) => {
                failures.push(format!("strip {strip} seed {}: {message}", truth.seed));
                continue;
            }
        };
        for cell in &truth.cells {
            let Some(true_fold_change) = cell.fold_change else {
                continue; // the loading control itself
            };
            let row = results.fold_change.iter().find(|r| {
                r.experiment == truth.name && r.target == cell.target && r.lane == cell.lane
            });
            let band = results
                .bands
                .iter()
                .find(|b| b.target == cell.target && b.lane == cell.lane);
            let noise_sd = row.zip(band).and_then(|(row, band)| {
                if band.flags.to_string().contains("whole-strip") {
                    return None;
                }
                let height = results
                    .detection
                    .iter()
                    .find(|d| d.image == band.image)?
                    .height_px;
                let border = blotquant::Params::default().background.border_px;
                noise_sd_of_fold_change(row, band, height, border, cell.noise_sd)
            });
            cells.push(NearZeroCell {
                strip: *strip,
                seed: truth.seed,
                target: cell.target.clone(),
                lane: cell.lane,
                near_zero: cell.near_zero,
                true_fold_change,
                reported: row.map(|r| r.fold_change),
                flags: row.map(|r| r.flags.to_string()).unwrap_or_default(),
                noise_sd,
            });
        }
    }
    (failures, cells)
}

/// What a near-zero lane on a tight crop reports at 2 % of the control or more (above the
/// ceiling the experiment allows it) says it is in doubt: below the limit of detection, below
/// the background, or (a strip's lane whose signal stands highest on the strip's top or
/// bottom row: another band's tail running in, 0.21 and 0.34 of the control on 12-px strips
/// where the truth is 0.005) at the edge. None is passed on as a plain number.
#[test]
fn near_zero_lanes_reported_at_two_percent_or_more_say_they_are_in_doubt() {
    let (failures, cells) = near_zero_cells();
    assert!(failures.is_empty(), "{failures:#?}");
    let doubt = ["below-lod", "below-background", "edge"];
    let plain: Vec<String> = cells
        .iter()
        .filter(|c| c.near_zero)
        .filter(|c| c.reported.flatten().is_some_and(|v| v >= NEAR_ZERO_CEILING))
        .filter(|c| !c.flags.split(';').any(|f| doubt.contains(&f)))
        .map(|c| {
            format!(
                "strip {} seed {} {} lane {}: {:?} [{}]",
                c.strip, c.seed, c.target, c.lane, c.reported, c.flags
            )
        })
        .collect();
    assert!(plain.is_empty(), "{plain:#?}");
}

/// Lanes whose target band is at 0.5 % of the control lanes' level (loading control as usual)
/// on tight crops (strips 12, 16 and 20 rows tall) must come out below 2 % of the control: the
/// reported fold change (for a row flagged `below-lod` or `below-background`, the value it
/// keeps) below 0.02, never exactly 0, and never missing without a flag.
#[test]
#[ignore = "not met: 16 of 105 near-zero lanes at 0.02 or above (16 before the strip's \
            background came from the lower half of the gaps: the 12-px lanes then passed by \
            coming out at a median -0.11 to -0.18 of the control, now -0.003 to -0.023): at \
            16-20 px the median is 0.003-0.008 but some below-lod lanes keep 0.02-0.09: the \
            image's noise alone gives those lanes' fold change an SD of median 0.010 (printed), \
            so that of the 70 lanes measured with a border an unbiased measurement would put \
            8.7 at 0.02 or above (11 are): 0.02 on every lane is beyond a box's sum; at 12 px \
            every lane is measured over the whole strip (max 0.19, flagged edge and \
            background-uncertain: another band's tail runs into the lane)"]
fn near_zero_lanes_on_tight_crops_stay_below_two_percent() {
    let (mut failures, cells) = near_zero_cells();

    let describe = |c: &NearZeroCell| {
        format!(
            "strip {} seed {} {} lane {}: true {:.4}, reported {}, flags [{}], noise SD {}",
            c.strip,
            c.seed,
            c.target,
            c.lane,
            c.true_fold_change,
            match c.reported {
                None => "no row".to_string(),
                Some(None) => "none".to_string(),
                Some(Some(v)) => format!("{v:.4}"),
            },
            c.flags,
            c.noise_sd.map_or("-".to_string(), |sd| format!("{sd:.4}"))
        )
    };
    let mut flagged_missing: Vec<String> = Vec::new();
    for c in cells.iter().filter(|c| c.near_zero) {
        match c.reported {
            None => failures.push(format!("{} (missing)", describe(c))),
            Some(None) if c.flags.is_empty() => {
                failures.push(format!("{} (missing without a flag)", describe(c)))
            }
            Some(None) => flagged_missing.push(describe(c)),
            Some(Some(0.0)) => failures.push(format!("{} (exactly 0)", describe(c))),
            Some(Some(v)) if v >= NEAR_ZERO_CEILING => {
                failures.push(format!("{} (not below {NEAR_ZERO_CEILING})", describe(c)))
            }
            Some(Some(_)) => {}
        }
    }

    println!(
        "\n=== near-zero lanes on tight crops: seeds {}..={}, true fold change {NEAR_ZERO_FRACTION} ===",
        NEAR_ZERO_SEEDS.start(),
        NEAR_ZERO_SEEDS.end()
    );
    println!(
        "strip target            near-zero  true med  measured med     max  >=2%  below-lod  below-bg  missing | ordinary  median err"
    );
    let targets: BTreeSet<&str> = cells.iter().map(|c| c.target.as_str()).collect();
    for strip in NEAR_ZERO_STRIPS {
        for target in &targets {
            let of: Vec<&NearZeroCell> = cells
                .iter()
                .filter(|c| c.strip == strip && c.target == *target)
                .collect();
            let near: Vec<&&NearZeroCell> = of.iter().filter(|c| c.near_zero).collect();
            let values: Vec<f64> = near.iter().filter_map(|c| c.reported.flatten()).collect();
            let truths: Vec<f64> = near.iter().map(|c| c.true_fold_change).collect();
            let over = values.iter().filter(|v| **v >= NEAR_ZERO_CEILING).count();
            let with_flag = |flag: &str| {
                near.iter()
                    .filter(|c| c.flags.split(';').any(|f| f == flag))
                    .count()
            };
            let missing = near
                .iter()
                .filter(|c| c.reported.flatten().is_none())
                .count();
            let ordinary: Vec<f64> = of
                .iter()
                .filter(|c| !c.near_zero)
                .filter_map(|c| {
                    c.reported
                        .flatten()
                        .map(|m| (m - c.true_fold_change).abs() / c.true_fold_change)
                })
                .collect();
            println!(
                "{:>5} {:<17} {:>9} {:>9.4} {:>13.4} {:>7.4} {:>5} {:>10} {:>9} {:>8} | {:>8} {:>11}",
                strip,
                target,
                near.len(),
                quantile(&truths, 0.5),
                quantile(&values, 0.5),
                quantile(&values, 1.0),
                over,
                with_flag("below-lod"),
                with_flag("below-background"),
                missing,
                ordinary.len(),
                pct(quantile(&ordinary, 0.5))
            );
        }
    }
    println!(
        "flagged near-zero lanes without a fold change: {}",
        flagged_missing.len()
    );
    for line in &flagged_missing {
        println!("  {line}");
    }
    // How far the near-zero lanes lie from their truth in SDs of the image's noise alone.
    let z: Vec<f64> = cells
        .iter()
        .filter(|c| c.near_zero)
        .filter_map(|c| Some((c.reported.flatten()? - c.true_fold_change) / c.noise_sd?))
        .map(f64::abs)
        .collect();
    let sds: Vec<f64> = cells
        .iter()
        .filter(|c| c.near_zero)
        .filter_map(|c| c.noise_sd)
        .collect();
    let within = |k: f64| z.iter().filter(|&&v| v <= k).count();
    println!(
        "near-zero lanes measured with a border (not whole-strip): {}; the image's noise alone gives their fold change an SD of median {:.4} (max {:.4}); off their truth by at most 1, 2, 3 of those SDs: {}, {}, {}",
        z.len(),
        quantile(&sds, 0.5),
        quantile(&sds, 1.0),
        within(1.0),
        within(2.0),
        within(3.0)
    );
    // What the noise alone gives: each of those lanes reaches the ceiling with the chance
    // that its noise SD lends an unbiased measurement of its true value.
    let expected: f64 = cells
        .iter()
        .filter(|c| c.near_zero)
        .filter_map(|c| {
            let noise = Normal::new(c.true_fold_change, c.noise_sd?).ok()?;
            Some(1.0 - noise.cdf(NEAR_ZERO_CEILING))
        })
        .sum();
    let observed = cells
        .iter()
        .filter(|c| c.near_zero && c.noise_sd.is_some())
        .filter(|c| c.reported.flatten().is_some_and(|v| v >= NEAR_ZERO_CEILING))
        .count();
    println!(
        "of those lanes, at {NEAR_ZERO_CEILING} or above: {observed}; expected of an unbiased measurement from their noise alone: {expected:.1}"
    );
    println!("near-zero failures: {}", failures.len());
    for line in &failures {
        println!("  {line}");
    }
    assert!(
        failures.is_empty(),
        "{} near-zero lanes not below {NEAR_ZERO_CEILING} (or zero, or missing without a flag)",
        failures.len()
    );
}

/// Seeds of [`strips_measured_whole_hold_their_fold_changes`], apart from the 40 above and the
/// near-zero ones.
const WHOLE_STRIP_SEEDS: std::ops::RangeInclusive<u64> = 201..=215;

/// Strips as tight as their band (12, 14 and 16 rows: the bands fill them, so lanes are
/// measured over the whole strip with the background from the gaps beside them) keep their
/// fold changes: median error at most 5 % over the lanes measured that way, the crop bound of
/// the tight-crop issue. These strips lie on the generator's gradients and vignettes, so a
/// background read on one side of an end lane only is off by the gradient across half a pitch.
#[test]
fn strips_measured_whole_hold_their_fold_changes() {
    let outcomes = crop_experiments(&[12, 14, 16], WHOLE_STRIP_SEEDS, None);
    println!("\n=== strips as tight as their band, seeds {WHOLE_STRIP_SEEDS:?} ===");
    for strip in [12, 14, 16] {
        let mut e = Evaluation::default();
        for (_, _, outcome) in outcomes.iter().filter(|(s, _, _)| *s == strip) {
            score(outcome, &mut e);
        }
        assert!(e.failures.is_empty(), "strip {strip}: {:#?}", e.failures);
        let whole = |c: &&Cell| c.flags.split(';').any(|f| f == "whole-strip");
        let errors = errors_of(e.cells.iter().filter(whole));
        let others = errors_of(e.cells.iter().filter(|c| !whole(c)));
        println!(
            "strip {strip}: measured whole {} values, median {} p90 {}; from band rows {} values, median {} p90 {}",
            errors.len(),
            pct(quantile(&errors, 0.5)),
            pct(quantile(&errors, 0.9)),
            others.len(),
            pct(quantile(&others, 0.5)),
            pct(quantile(&others, 0.9)),
        );
        if !errors.is_empty() {
            assert!(
                quantile(&errors, 0.5) <= 0.05,
                "strip {strip}: median error {} over lanes measured whole",
                pct(quantile(&errors, 0.5))
            );
        }
    }
}

/// The strip check reads every gap, the margins beyond the end lanes included, alike from
/// either side: seed 1's crops experiment (a loading-control strip whose gaps the bands'
/// flanks fill), mirrored left to right with its lanes listed in reverse, doubts the same
/// lanes of its strips measured whole, and the check fires there.
#[test]
fn a_mirrored_strip_doubts_the_same_lanes() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let truth = stress::generate(1, &plain);
    let mirrored = tmp.path().join("mirrored");
    let count = common::mirrored_experiment(&plain, &mirrored);

    let doubted = |dir: &std::path::Path, lane_of: &dyn Fn(usize) -> usize| {
        let run = blotquant::analyze(dir, &blotquant::Params::default()).unwrap();
        run.results
            .bands
            .iter()
            .filter(|b| b.flags.contains(Flag::WholeStrip))
            .filter(|b| b.flags.contains(Flag::BackgroundUncertain))
            .map(|b| (b.target.clone(), lane_of(b.lane)))
            .collect::<BTreeSet<(String, usize)>>()
    };
    let as_is = doubted(&plain, &|lane| lane);
    let from_mirror = doubted(&mirrored, &|lane| count + 1 - lane);
    println!(
        "seed {} ({}): doubted {as_is:?}, mirrored {from_mirror:?}",
        truth.seed,
        truth.features.join(", ")
    );
    assert!(
        as_is.iter().any(|(target, _)| target == LOADING_CONTROL),
        "the loading control's strip has its gaps filled by flanks"
    );
    assert_eq!(as_is, from_mirror);
}

/// Seed 31's caspase-1 p20 has faint control bands under a non-specific band's tail. The
/// border takes the tail out on the side that reaches it; here the tail falls faster across
/// the box than the border's straight line assumes, the control bands come out low and every
/// other fold change of the blot over 25 % high. With that side left out the control bands
/// read over a quarter more: the two readings disagree, so the control bands are
/// `background-uncertain` and the blot's rows `control-uncertain`.
#[test]
fn a_control_band_under_a_neighbours_tail_read_two_ways_is_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    let truth = stress::generate(31, tmp.path());
    let run = blotquant::analyze(tmp.path(), &blotquant::Params::default()).unwrap();
    let target = "caspase-1 p20";
    let control_lanes: Vec<usize> = truth
        .cells
        .iter()
        .filter(|c| c.target == target && c.condition == CONTROL && c.peak_snr() >= 5.0)
        .map(|c| c.lane)
        .collect();
    assert!(!control_lanes.is_empty());
    for lane in &control_lanes {
        let band = run
            .results
            .bands
            .iter()
            .find(|b| b.lane == *lane && b.target == target)
            .expect("control band measured");
        assert!(
            band.flags.contains(Flag::BackgroundUncertain),
            "lane {lane}: {:?}",
            band.flags
        );
    }
    for row in run
        .results
        .fold_change
        .iter()
        .filter(|r| r.target == target)
    {
        let true_fold = truth
            .cells
            .iter()
            .find(|c| c.target == target && c.lane == row.lane)
            .and_then(|c| c.fold_change)
            .unwrap();
        let off = row.fold_change.map(|f| (f / true_fold - 1.0).abs());
        assert!(
            off.is_none_or(|off| off <= 0.25) || row.flags.contains(Flag::ControlUncertain),
            "lane {}: off {off:?} with flags {:?}",
            row.lane,
            row.flags
        );
    }
}
