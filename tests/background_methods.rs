//! The background methods of `analyze` compared on synthetic blots with uneven background
//! (gradient and blotches), faint control bands, dust, smile and tilt (`hard` preset) and on
//! ordinary ones (`standard`): relative error of every lane × target fold change against
//! truth.json. The default method must be at least as accurate as every other one.

mod common;

use blotquant::params::BackgroundMethod;
use blotquant::{batch, synth, Params};

/// Median and 90th percentile of the relative fold-change errors over all experiments.
fn errors(
    root: &std::path::Path,
    truths: &[(String, synth::Truth)],
    params: &Params,
) -> (f64, f64, f64) {
    let run = batch::analyze_many(root, &batch::discover(root), params);
    let mut all: Vec<f64> = truths
        .iter()
        .flat_map(|(name, truth)| {
            common::lane_errors(&run.results, name, truth)
                .into_values()
                .flatten()
        })
        .collect();
    all.sort_by(f64::total_cmp);
    let at = |q: f64| all[((all.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9), all[all.len() - 1])
}

#[test]
fn the_default_background_method_is_the_most_accurate() {
    let tmp = tempfile::tempdir().unwrap();
    let mut truths = Vec::new();
    // Eight experiments of each preset: with four, the 90th percentile of ~160 errors moved by
    // more than the methods differ (border-median's p90 came out 0.06 points under
    // border-mean's on seeds 21-24 and 31-34, and 0.13 points over it on 25-28 and 35-38).
    let seeds = |first: u64| -> Vec<u64> { (first..first + 8).collect() };
    for (preset, seeds) in [("hard", seeds(21)), ("standard", seeds(31))] {
        for seed in seeds {
            let name = format!("{preset}{seed}");
            let truth = synth::write_experiment(
                &tmp.path().join(&name),
                seed,
                &synth::preset(preset).unwrap(),
                &name,
            )
            .unwrap();
            truths.push((name, truth));
        }
    }
    let default = Params::default();
    let methods = [
        BackgroundMethod::RollingBall,
        BackgroundMethod::RubberBand,
        BackgroundMethod::ValleyToValley,
        BackgroundMethod::BorderMedian,
        BackgroundMethod::BorderMean,
        BackgroundMethod::None,
    ];
    println!(
        "{:<18} {:>8} {:>8} {:>8}",
        "method", "median", "p90", "worst"
    );
    let mut table = Vec::new();
    for method in methods {
        let mut params = default.clone();
        params.background.method = method;
        let (median, p90, worst) = errors(tmp.path(), &truths, &params);
        println!(
            "{:<18} {:>7.2}% {:>7.2}% {:>7.2}%",
            format!("{method:?}"),
            100.0 * median,
            100.0 * p90,
            100.0 * worst
        );
        table.push((method, median, p90));
    }
    let (_, best_median, best_p90) = *table
        .iter()
        .find(|(m, _, _)| *m == default.background.method)
        .unwrap();
    for (method, median, p90) in &table {
        assert!(
            best_median <= *median && best_p90 <= *p90,
            "{method:?} beats the default ({median} / {p90} vs {best_median} / {best_p90})"
        );
    }
}
