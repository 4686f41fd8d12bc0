//! Shared helpers for the integration tests: scoring results against `truth.json`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use blotquant::results::Results;
use blotquant::synth::Truth;
use serde_json::Value;

pub mod transforms;

pub fn read_truth(dir: &Path) -> Truth {
    let text = std::fs::read_to_string(dir.join("truth.json")).expect("truth.json");
    serde_json::from_str(&text).expect("truth.json parses")
}

/// Relative error of every lane × target fold change of `experiment`, keyed by target.
pub fn lane_errors(
    results: &Results,
    experiment: &str,
    truth: &Truth,
) -> BTreeMap<String, Vec<f64>> {
    let mut errors: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for t in &truth.fold_change {
        let row = results
            .fold_change
            .iter()
            .find(|r| r.experiment == experiment && r.target == t.target && r.lane == t.lane)
            .unwrap_or_else(|| {
                panic!(
                    "{experiment}: no fold change for {} lane {}",
                    t.target, t.lane
                )
            });
        let measured = row.fold_change.unwrap_or(f64::NAN);
        errors
            .entry(t.target.clone())
            .or_default()
            .push((measured / t.fold_change - 1.0).abs());
    }
    errors
}

/// Asserts every lane × target fold change is within `bound` (relative) of truth and prints
/// the median and worst error per target.
pub fn assert_lanes_within(results: &Results, experiment: &str, truth: &Truth, bound: f64) {
    for (target, errs) in lane_errors(results, experiment, truth) {
        let worst = errs.iter().cloned().fold(0.0, f64::max);
        let mut sorted = errs.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "{experiment} {target}: median {:.2} %, worst {:.2} % over {} lanes",
            100.0 * sorted[sorted.len() / 2],
            100.0 * worst,
            errs.len()
        );
        assert!(
            worst <= bound,
            "{experiment} {target}: worst lane error {:.1} % exceeds {:.0} %",
            100.0 * worst,
            100.0 * bound
        );
    }
}

/// Asserts the pooled summary (arithmetic mean fold change per target × condition) is within
/// `bound` of the mean of the true lane fold changes over the same lanes.
pub fn assert_summary_within(results: &Results, truths: &[&Truth], bound: f64) {
    let mut truth_pool: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for truth in truths {
        for t in &truth.fold_change {
            truth_pool
                .entry((t.target.clone(), t.condition.clone()))
                .or_default()
                .push(t.fold_change);
        }
    }
    assert!(!truth_pool.is_empty());
    for ((target, condition), values) in truth_pool {
        let true_mean = values.iter().sum::<f64>() / values.len() as f64;
        let row = results
            .summary
            .iter()
            .find(|r| r.target == target && r.condition == condition)
            .unwrap_or_else(|| panic!("no summary row for {target} / {condition}"));
        assert_eq!(row.n, values.len(), "{target} / {condition}: n");
        let measured = row.mean_fold_change.expect("mean fold change");
        let err = (measured / true_mean - 1.0).abs();
        println!(
            "summary {target} / {condition}: {measured:.3} vs true {true_mean:.3} ({:.2} %)",
            100.0 * err
        );
        assert!(
            err <= bound,
            "{target} / {condition}: pooled error {:.1} %",
            100.0 * err
        );
    }
}

/// Rewrites an experiment's manifest through `edit`.
pub fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let path = dir.join("experiment.json");
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut manifest);
    write_manifest(dir, &manifest);
}

/// Writes `manifest` as the experiment.json of `dir`.
pub fn write_manifest(dir: &Path, manifest: &Value) {
    std::fs::write(
        dir.join("experiment.json"),
        serde_json::to_string_pretty(manifest).unwrap(),
    )
    .unwrap();
}

/// The experiment in `source` mirrored left to right into `dest`: every image flipped (as
/// 16-bit grey, in its own format), the manifest's lanes listed in reverse. Returns the lane
/// count, so that lane `n` of the source is lane `count + 1 - n` of the mirror.
pub fn mirrored_experiment(source: &Path, dest: &Path) -> usize {
    std::fs::create_dir_all(dest).unwrap();
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(source.join("experiment.json")).unwrap())
            .unwrap();
    for image in manifest["images"].as_array().unwrap() {
        let file = image["file"].as_str().unwrap();
        let picture = image::open(source.join(file)).unwrap().into_luma16();
        image::imageops::flip_horizontal(&picture)
            .save(dest.join(file))
            .unwrap();
    }
    let lanes = manifest["lanes"].as_array_mut().unwrap();
    lanes.reverse();
    let count = lanes.len();
    write_manifest(dest, &manifest);
    count
}

/// Says that a test was skipped and why, on the process's own stderr: the test harness
/// captures `println!` and `eprintln!`, so a skip said that way is hidden from the person
/// running the tests.
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// The real images beside the repository (`../shared/realdata`), or `None`, saying so, where
/// they are absent.
pub fn realdata() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    if dir.is_dir() {
        Some(dir)
    } else {
        skipped(&format!("{} is absent", dir.display()));
        None
    }
}

/// The real image `name` in `../shared/realdata`, or `None` (with a note) where it is absent.
pub fn realdata_file(name: &str) -> Option<std::path::PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/realdata")
        .join(name);
    if path.is_file() {
        Some(path)
    } else {
        skipped(&format!("{} is absent", path.display()));
        None
    }
}

/// Two copies of the same synthetic experiment (`standard` preset, `seed`), in `dir/first` and
/// `dir/second`: one to keep as written, one to store another way.
pub fn twin_experiments(dir: &Path, seed: u64) -> (std::path::PathBuf, std::path::PathBuf) {
    let (first, second) = (dir.join("first"), dir.join("second"));
    let recipe = blotquant::synth::preset("standard").unwrap();
    blotquant::synth::write_experiment(&first, seed, &recipe, "s").unwrap();
    blotquant::synth::write_experiment(&second, seed, &recipe, "s").unwrap();
    (first, second)
}

/// The two runs give the same fold change in every lane of every target (to 1e-9 relative).
pub fn assert_same_fold_changes(a: &Results, b: &Results) {
    assert_eq!(a.fold_change.len(), b.fold_change.len());
    for (x, y) in a.fold_change.iter().zip(&b.fold_change) {
        assert_eq!((&x.target, x.lane), (&y.target, y.lane));
        match (x.fold_change, y.fold_change) {
            (Some(p), Some(q)) => assert!(
                (p - q).abs() <= 1e-9 * p.abs(),
                "{} lane {}: {p} vs {q}",
                x.target,
                x.lane
            ),
            (p, q) => assert_eq!(p, q, "{} lane {}", x.target, x.lane),
        }
    }
}

/// The `q` quantile (0..=1) by nearest rank of unsorted values; NaN for none.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}
