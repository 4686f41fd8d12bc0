//! Quantification rules: replicate statistics against SciPy, pooled accuracy against truth,
//! saturation, loading-control checks and normalizer choices.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use blotquant::params::QuantParams;
use blotquant::quant::{Flag, ReplicateUnit};
use blotquant::results::{FoldChangeRow, SummaryRow};
use blotquant::{batch, quant, synth, Params};
use serde_json::{json, Value};

/// The fold-change rows of a SciPy fixture's `lanes` (each lane's `sample` where it has one).
fn fixture_rows(fixture: &Value) -> Vec<FoldChangeRow> {
    fixture["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let fc = l["fold_change"].as_f64().unwrap();
            FoldChangeRow {
                experiment: l["experiment"].as_str().unwrap().into(),
                target: l["target"].as_str().unwrap().into(),
                lane: l["lane"].as_u64().unwrap() as usize,
                condition: l["condition"].as_str().unwrap().into(),
                sample: l["sample"].as_str().unwrap_or_default().into(),
                signal: Some(1.0),
                normalizer: String::new(),
                normalizer_signal: None,
                normalized: None,
                fold_change: Some(fc),
                log2_fold_change: Some(fc.log2()),
                flags: Default::default(),
            }
        })
        .collect()
}

/// blotquant's summary of a SciPy fixture's lanes, every experiment counting replicates as
/// `unit`.
fn summary_of(fixture: &Value, unit: ReplicateUnit) -> Vec<SummaryRow> {
    let rows = fixture_rows(fixture);
    let design = quant::Design {
        control: fixture["control"].as_str().unwrap().to_string(),
        replicate: unit,
    };
    let designs: BTreeMap<String, quant::Design> = rows
        .iter()
        .map(|r| (r.experiment.clone(), design.clone()))
        .collect();
    quant::summarize(&rows, &designs, &QuantParams::default())
}

/// Every statistic of every row equal to SciPy's within 1e-9.
fn assert_equal_to_scipy(summary: &[SummaryRow], expected: &Value, unit: &str) {
    let expected = expected.as_array().unwrap();
    assert_eq!(summary.len(), expected.len(), "{unit}");
    for (ours, theirs) in summary.iter().zip(expected) {
        let what = format!("{unit}: {} / {}", ours.target, ours.condition);
        assert_eq!(ours.target, theirs["target"].as_str().unwrap());
        assert_eq!(ours.condition, theirs["condition"].as_str().unwrap());
        assert_eq!(ours.n as u64, theirs["n"].as_u64().unwrap(), "{what}");
        assert_eq!(ours.test, theirs["test"].as_str().unwrap(), "{what}");
        let pairs = [
            ("mean_fold_change", ours.mean_fold_change),
            ("geomean_fold_change", ours.geomean_fold_change),
            ("sd", ours.sd),
            ("sem", ours.sem),
            ("cv_pct", ours.cv_pct),
            ("mean_log2_fold_change", ours.mean_log2_fold_change),
            ("ci95_low", ours.ci95_low_log2),
            ("ci95_high", ours.ci95_high_log2),
            ("p_value", ours.p_value),
            ("p_value_bh", ours.p_value_bh),
            ("ci95_low_fold", ours.ci95_low_fold),
            ("ci95_high_fold", ours.ci95_high_fold),
        ];
        for (name, value) in pairs {
            // summary_scipy.json predates the fold-scale CI columns.
            if theirs.get(name).is_none() {
                continue;
            }
            match (value, theirs[name].as_f64()) {
                (Some(a), Some(b)) => {
                    assert!((a - b).abs() <= 1e-9, "{what} {name}: {a} vs SciPy {b}")
                }
                (None, None) => {}
                (a, b) => panic!("{what} {name}: {a:?} vs SciPy {b:?}"),
            }
        }
    }
}

/// `tests/fixtures/summary_scipy.json` comes from `scripts/summary-reference.py` (SciPy
/// 1.17.1, NumPy 2.4.6) run on the per-lane fold changes of a three-blot synth study. The test
/// feeds the same lane values to blotquant's summary and compares every statistic.
#[test]
fn summary_statistics_equal_scipy_to_1e9() {
    let fixture: Value = serde_json::from_str(include_str!("fixtures/summary_scipy.json")).unwrap();
    let summary = summary_of(&fixture, ReplicateUnit::Lane);
    assert_equal_to_scipy(&summary, &fixture["summary"], "lane");
}

/// `tests/fixtures/replicates_scipy.json` comes from `scripts/replicate-reference.py` (SciPy
/// 1.17.1, NumPy 2.4.6): the same lanes with samples named (shared on two blots, one named and
/// one unnamed lane per condition on the third), summarized with each replicate unit by SciPy
/// from replicates the script forms itself. n differs between the units (6, 4 and 3 per
/// condition), so a unit applied wrongly cannot pass.
#[test]
fn replicate_units_equal_scipy_to_1e9() {
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/replicates_scipy.json")).unwrap();
    for (unit, name) in [
        (ReplicateUnit::Lane, "lane"),
        (ReplicateUnit::Sample, "sample"),
        (ReplicateUnit::Blot, "blot"),
    ] {
        let summary = summary_of(&fixture, unit);
        assert_equal_to_scipy(&summary, &fixture["units"][name], name);
    }
}

#[test]
fn three_blot_study_summary_is_within_5_percent_of_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let preset = synth::preset("standard").unwrap();
    let truths: Vec<_> = [41, 42, 43]
        .iter()
        .map(|&seed| {
            synth::write_experiment(
                &tmp.path().join(format!("blot{seed}")),
                seed,
                &preset,
                &format!("blot{seed}"),
            )
            .unwrap()
        })
        .collect();
    let run = batch::analyze_many(tmp.path(), &batch::discover(tmp.path()), &Params::default());
    let refs: Vec<_> = truths.iter().collect();
    common::assert_summary_within(&run.results, &refs, 0.05);
    assert!(run
        .results
        .methods
        .contains("rolling-ball background of radius 50 px"));
}

/// Pixel values of a 16-bit TIFF, read with the tiff crate directly.
fn read_tiff(path: &Path) -> (usize, Vec<u16>) {
    let mut decoder = tiff::decoder::Decoder::new(std::fs::File::open(path).unwrap()).unwrap();
    let (w, _) = decoder.dimensions().unwrap();
    match decoder.read_image().unwrap() {
        tiff::decoder::DecodingResult::U16(v) => (w as usize, v),
        _ => panic!("16-bit expected"),
    }
}

#[test]
fn every_saturated_band_is_flagged_left_out_of_the_summary_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("sat");
    let truth =
        synth::write_experiment(&exp, 5, &synth::preset("saturated").unwrap(), "sat").unwrap();
    let out = tmp.path().join("out");
    let assert = Command::cargo_bin("blotquant")
        .unwrap()
        .arg("analyze")
        .arg(&exp)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("saturated") && stderr.contains("left out of summary.csv"),
        "{stderr}"
    );

    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let bands = results["bands"].as_array().unwrap();
    for image in &truth.images {
        let (width, pixels) = read_tiff(&exp.join(&image.file));
        let mut in_boxes = 0;
        for band in bands.iter().filter(|b| b["image"] == json!(image.file)) {
            let lane = results["lanes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["image"] == band["image"] && l["lane"] == band["lane"])
                .unwrap();
            let (x, w) = (
                lane["x_center_px"].as_f64().unwrap(),
                lane["width_px"].as_f64().unwrap(),
            );
            let (start, end) = (
                (x - w / 2.0).round() as usize,
                ((x + w / 2.0).round() as usize).min(width),
            );
            let (top, bottom) = (
                band["top_px"].as_u64().unwrap() as usize,
                band["bottom_px"].as_u64().unwrap() as usize,
            );
            let saturated = (top..=bottom)
                .flat_map(|y| (start..end).map(move |x| (y, x)))
                .filter(|&(y, x)| pixels[y * width + x] == u16::MAX)
                .count();
            assert_eq!(
                band["saturated_px"].as_u64().unwrap() as usize,
                saturated,
                "{}",
                image.file
            );
            let flagged = band["flags"]
                .as_str()
                .unwrap()
                .split(';')
                .any(|f| f == "saturated");
            assert_eq!(
                flagged,
                saturated > 0,
                "{} lane {}",
                image.file,
                band["lane"]
            );
            in_boxes += saturated;
        }
        assert_eq!(
            in_boxes, image.saturated_px,
            "{}: every saturated pixel lies in a band box",
            image.file
        );
    }
    assert!(truth.images.iter().map(|i| i.saturated_px).sum::<usize>() > 0);
    for row in results["summary"].as_array().unwrap() {
        let lanes_used = results["fold_change"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["target"] == row["target"] && r["condition"] == row["condition"])
            .filter(|r| !r["flags"].as_str().unwrap().contains("saturated"))
            .count();
        assert_eq!(row["n"].as_u64().unwrap() as usize, lanes_used);
    }
}

fn loading_control_warning(preset: &str, seed: u64) -> bool {
    let tmp = tempfile::tempdir().unwrap();
    synth::write_experiment(tmp.path(), seed, &synth::preset(preset).unwrap(), "lc").unwrap();
    let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
    run.results
        .warnings
        .iter()
        .any(|w| w.contains("differs between conditions"))
}

/// A fixed seed each: the ANOVA is a test at 5 %, so on other seeds it can miss a varying
/// loading control or fire on a constant one at about those rates.
#[test]
fn a_loading_control_that_varies_with_treatment_is_reported() {
    assert!(loading_control_warning("actin-varies", 1));
    assert!(!loading_control_warning("standard", 6));
}

/// The loading-control ANOVA names both causes where loads are not stated, and accounts for
/// them where they are. Seed 1 of `standard` (the sample's rep1) drew lane loads that differ
/// between conditions (LPS lanes 0.80 and 0.88 of the mean, LPS + AMI 10 µM 1.25 and 1.21:
/// ANOVA on the true loads p = 0.005) while β-actin per µg is constant: the warning fires and
/// says unequal loading is one explanation; with each lane's true load stated as `load_ug` it
/// is silent. On `actin-varies`, where the treatment changes β-actin, stating the loads
/// leaves the warning standing.
#[test]
fn the_loading_control_warning_accounts_for_stated_loads() {
    let warning = |preset: &str, seed: u64, state_loads: bool| {
        let tmp = tempfile::tempdir().unwrap();
        synth::write_experiment(tmp.path(), seed, &synth::preset(preset).unwrap(), "lc").unwrap();
        if state_loads {
            let truth: Value = serde_json::from_str(
                &std::fs::read_to_string(tmp.path().join("truth.json")).unwrap(),
            )
            .unwrap();
            common::edit_manifest(tmp.path(), |m| {
                for lane in truth["lanes"].as_array().unwrap() {
                    let Some(condition) = lane["condition"].as_str() else {
                        continue;
                    };
                    let index = lane["lane"].as_u64().unwrap() as usize - 1;
                    let load_ug = 20.0 * lane["load"].as_f64().unwrap();
                    m["lanes"][index] = json!({"condition": condition, "load_ug": load_ug});
                }
            });
        }
        let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
        run.results
            .warnings
            .into_iter()
            .find(|w| w.contains("differs between conditions"))
    };
    let unstated = warning("standard", 1, false).expect("loads differ by condition on seed 1");
    assert!(unstated.contains("loaded more than others"), "{unstated}");
    assert_eq!(warning("standard", 1, true), None);
    let per_ug = warning("actin-varies", 1, true).expect("β-actin varies with treatment");
    assert!(per_ug.contains("per µg"), "{per_ug}");
}

#[test]
fn total_protein_normalization_uses_the_whole_lane_of_the_stain_image() {
    let tmp = tempfile::tempdir().unwrap();
    let truth =
        synth::write_experiment(tmp.path(), 14, &synth::preset("standard").unwrap(), "tp").unwrap();
    // The β-actin image stands in for a stain: its only lane signal is the actin band, which
    // scales with the lane's load, as a total-protein stain does.
    common::edit_manifest(tmp.path(), |m| {
        m["loading_control"] = json!("total protein");
        m["images"][3]["targets"] = json!(["total protein"]);
    });
    let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
    assert!(run
        .results
        .fold_change
        .iter()
        .all(|r| r.normalizer == "total protein"));
    common::assert_lanes_within(&run.results, "tp", &truth, 0.10);
}

#[test]
fn a_per_target_normalizer_replaces_the_loading_control() {
    let tmp = tempfile::tempdir().unwrap();
    synth::write_experiment(tmp.path(), 15, &synth::preset("standard").unwrap(), "nz").unwrap();
    common::edit_manifest(tmp.path(), |m| {
        m["normalize"] = json!({"IL-1β p17": "pro-IL-1β"})
    });
    let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
    let band = |target: &str, lane: usize| {
        run.results
            .bands
            .iter()
            .find(|b| b.target == target && b.lane == lane)
            .unwrap()
            .adjusted_volume
    };
    for row in run
        .results
        .fold_change
        .iter()
        .filter(|r| r.target == "IL-1β p17")
    {
        assert_eq!(row.normalizer, "pro-IL-1β");
        assert_eq!(row.normalizer_signal, Some(band("pro-IL-1β", row.lane)));
        assert_eq!(
            row.normalized,
            Some(band("IL-1β p17", row.lane) / band("pro-IL-1β", row.lane))
        );
    }
    assert!(run
        .results
        .fold_change
        .iter()
        .any(|r| r.target == "NLRP3" && r.normalizer == "β-actin"));
    assert!(run
        .results
        .fold_change
        .iter()
        .any(|r| r.target == "pro-IL-1β" && r.normalizer == "β-actin"));
}

#[test]
fn signals_outside_a_given_linear_range_are_flagged() {
    let tmp = tempfile::tempdir().unwrap();
    synth::write_experiment(tmp.path(), 16, &synth::preset("standard").unwrap(), "lr").unwrap();
    let plain = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
    let nlrp3: Vec<f64> = plain
        .results
        .fold_change
        .iter()
        .filter(|r| r.target == "NLRP3")
        .filter_map(|r| r.signal)
        .collect();
    let high = blotquant::stats::median(&nlrp3);
    let params = Params::default()
        .with_overrides(&json!({"quant": {"linear_range": {"NLRP3": [0.0, high]}}}))
        .unwrap();
    let run = blotquant::analyze(tmp.path(), &params).unwrap();
    for row in run
        .results
        .fold_change
        .iter()
        .filter(|r| r.target == "NLRP3")
    {
        assert_eq!(
            row.flags.contains(Flag::OutsideLinearRange),
            row.signal.is_some_and(|s| s > high),
            "lane {}",
            row.lane
        );
    }
    assert!(run
        .results
        .fold_change
        .iter()
        .filter(|r| r.target != "NLRP3")
        .all(|r| !r.flags.contains(Flag::OutsideLinearRange)));
}

#[test]
fn technical_replicates_sharing_a_sample_count_once() {
    let tmp = tempfile::tempdir().unwrap();
    synth::write_experiment(tmp.path(), 17, &synth::preset("standard").unwrap(), "tr").unwrap();
    // Both untreated lanes are one sample loaded twice; the LPS lanes are two samples.
    common::edit_manifest(tmp.path(), |m| {
        m["lanes"][1] = json!({"condition": "untreated", "sample": "U-1"});
        m["lanes"][2] = json!({"condition": "untreated", "sample": "U-1"});
        m["lanes"][3] = json!({"condition": "LPS", "sample": "L-1"});
        m["lanes"][4] = json!({"condition": "LPS", "sample": "L-2"});
    });
    let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
    let row = |condition: &str| {
        run.results
            .summary
            .iter()
            .find(|r| r.target == "NLRP3" && r.condition == condition)
            .unwrap()
    };
    assert_eq!(row("untreated").n, 1);
    assert_eq!(row("LPS").n, 2);
    let lps: Vec<f64> = run
        .results
        .fold_change
        .iter()
        .filter(|r| r.target == "NLRP3" && r.condition == "LPS")
        .map(|r| r.fold_change.unwrap())
        .collect();
    assert!((row("LPS").mean_fold_change.unwrap() - (lps[0] + lps[1]) / 2.0).abs() < 1e-12);
    let samples: Vec<&str> = run
        .results
        .fold_change
        .iter()
        .filter(|r| r.target == "NLRP3")
        .map(|r| r.sample.as_str())
        .collect();
    assert_eq!(&samples[..4], &["U-1", "U-1", "L-1", "L-2"]);
}

/// The manifest's `replicate` decides what n counts, end to end: with samples named the
/// default is `sample`; `"lane"` counts every lane, `"blot"` one per blot; results.json names
/// the unit, stdout says what n counts, and an unknown unit is refused naming the field.
#[test]
fn the_manifest_replicate_unit_decides_what_n_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exp");
    synth::write_experiment(&dir, 17, &synth::preset("standard").unwrap(), "ru").unwrap();
    common::edit_manifest(&dir, |m| {
        m["lanes"][1] = json!({"condition": "untreated", "sample": "U-1"});
        m["lanes"][2] = json!({"condition": "untreated", "sample": "U-1"});
    });
    let untreated_n = |unit: Option<&str>| {
        common::edit_manifest(&dir, |m| match unit {
            Some(u) => m["replicate"] = json!(u),
            None => {
                m.as_object_mut().unwrap().remove("replicate");
            }
        });
        let out = tmp
            .path()
            .join(format!("out-{}", unit.unwrap_or("default")));
        let assert = Command::cargo_bin("blotquant")
            .unwrap()
            .args([
                "analyze",
                dir.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .assert()
            .success();
        let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        let results: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap())
                .unwrap();
        let n = results["summary"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["target"] == "NLRP3" && r["condition"] == "untreated")
            .unwrap()["n"]
            .as_u64()
            .unwrap();
        let stated = results["experiments"][0]["replicate"]
            .as_str()
            .unwrap()
            .to_string();
        (n, stated, stdout)
    };
    let (n, stated, stdout) = untreated_n(None);
    assert_eq!((n, stated.as_str()), (1, "sample"));
    assert!(stdout.contains("n counts samples"), "{stdout}");
    let (n, stated, _) = untreated_n(Some("lane"));
    assert_eq!((n, stated.as_str()), (2, "lane"));
    let (n, stated, stdout) = untreated_n(Some("blot"));
    assert_eq!((n, stated.as_str()), (1, "blot"));
    assert!(stdout.contains("n counts blots"), "{stdout}");

    common::edit_manifest(&dir, |m| m["replicate"] = json!("animal"));
    let assert = Command::cargo_bin("blotquant")
        .unwrap()
        .args(["analyze", dir.to_str().unwrap(), "-o"])
        .arg(tmp.path().join("out-bad"))
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("replicate") && stderr.contains("blot"),
        "{stderr}"
    );
    assert!(!tmp.path().join("out-bad").exists());
}

/// A lane the manifest marks `"empty"` is drawn (it stays in lanes.csv as `empty`) but never
/// quantified: no fold-change row, no part of any summary; every other lane's fold change is
/// what it was.
#[test]
fn an_empty_lane_is_drawn_but_never_quantified() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exp");
    blotquant::synth::write_experiment(
        &dir,
        21,
        &blotquant::synth::preset("standard").unwrap(),
        "exp",
    )
    .unwrap();
    let before = blotquant::analyze(&dir, &blotquant::Params::default())
        .unwrap()
        .results;
    let manifest = dir.join("experiment.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let last = m["lanes"].as_array().unwrap().len();
    m["lanes"][last - 1] = serde_json::json!("Empty");
    std::fs::write(&manifest, serde_json::to_string(&m).unwrap()).unwrap();
    let after = blotquant::analyze(&dir, &blotquant::Params::default())
        .unwrap()
        .results;
    assert!(after.fold_change.iter().all(|r| r.lane != last));
    assert!(after
        .summary
        .iter()
        .all(|r| !r.condition.eq_ignore_ascii_case("empty")));
    let lane = after.lanes.iter().find(|l| l.lane == last).unwrap();
    assert_eq!(lane.condition, "Empty");
    for row in &after.fold_change {
        let old = before
            .fold_change
            .iter()
            .find(|r| r.target == row.target && r.lane == row.lane)
            .unwrap();
        assert_eq!(
            old.fold_change, row.fold_change,
            "{} lane {}",
            row.target, row.lane
        );
    }
    assert_eq!(after.fold_change.len() + 5, before.fold_change.len());
}
