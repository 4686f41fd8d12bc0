//! Fold changes against the ground truth that `synth` wrote (`truth.json`): the bundled sample
//! study, and fresh experiments with other seeds so the pipeline is not tuned to the sample.

mod common;

use std::path::Path;

use blotquant::quant::Flag;
use blotquant::{batch, synth, Params};

const SAMPLE: &str = "samples/amitriptyline-lps";

#[test]
fn sample_study_matches_truth() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE);
    let dirs = batch::discover(&root);
    assert_eq!(dirs.len(), 3, "the sample study has three replicate blots");
    let run = batch::analyze_many(&root, &dirs, &Params::default());
    assert!(run.results.errors.is_empty(), "{:?}", run.results.errors);
    let truths: Vec<_> = dirs.iter().map(|d| common::read_truth(d)).collect();
    for (dir, truth) in dirs.iter().zip(&truths) {
        // In a batch an experiment is known by its folder below the root.
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        common::assert_lanes_within(&run.results, &name, truth, 0.10);
    }
    let refs: Vec<_> = truths.iter().collect();
    common::assert_summary_within(&run.results, &refs, 0.05);
}

#[test]
fn other_seeds_match_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let preset = synth::preset("standard").unwrap();
    let mut truths = Vec::new();
    for seed in [101, 202, 303, 404, 505, 606] {
        let dir = tmp.path().join(format!("seed{seed}"));
        truths.push(synth::write_experiment(&dir, seed, &preset, &format!("seed{seed}")).unwrap());
    }
    let dirs = batch::discover(tmp.path());
    let run = batch::analyze_many(tmp.path(), &dirs, &Params::default());
    assert!(run.results.errors.is_empty(), "{:?}", run.results.errors);
    for (seed, truth) in [101, 202, 303, 404, 505, 606].iter().zip(&truths) {
        common::assert_lanes_within(&run.results, &format!("seed{seed}"), truth, 0.10);
    }
    let refs: Vec<_> = truths.iter().collect();
    common::assert_summary_within(&run.results, &refs, 0.05);
}

#[test]
fn lanes_and_bands_are_where_truth_puts_them() {
    let tmp = tempfile::tempdir().unwrap();
    let truth =
        synth::write_experiment(tmp.path(), 77, &synth::preset("standard").unwrap(), "geom")
            .unwrap();
    let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
    for image in &truth.images {
        let lanes: Vec<_> = run
            .results
            .lanes
            .iter()
            .filter(|l| l.image == image.file)
            .collect();
        assert_eq!(lanes.len(), image.lanes.len(), "{}: lane count", image.file);
        for (found, t) in lanes.iter().zip(&image.lanes) {
            assert!(
                (found.x_center_px - t.x_center).abs() <= 2.0,
                "{} lane {}: centre {} vs true {}",
                image.file,
                t.lane,
                found.x_center_px,
                t.x_center
            );
            assert!(
                (found.width_px - t.width).abs() <= 0.25 * t.width,
                "lane width {}",
                found.width_px
            );
        }
        for band in image.bands.iter().filter(|b| b.target != "ladder") {
            let found = run
                .results
                .bands
                .iter()
                .find(|b| b.image == image.file && b.lane == band.lane && b.target == band.target)
                .unwrap_or_else(|| {
                    panic!(
                        "{} lane {}: {} not found",
                        image.file, band.lane, band.target
                    )
                });
            assert!(
                (found.y_center_px - band.y_center).abs() <= 2.0,
                "{} row",
                band.target
            );
            let mw = found.apparent_mw_kda.unwrap();
            assert!(
                (mw / band.mw_kda - 1.0).abs() <= 0.08,
                "{}: MW {mw} vs {}",
                band.target,
                band.mw_kda
            );
        }
    }
}

#[test]
fn saturated_bands_are_flagged_and_left_out_of_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let truth = synth::write_experiment(tmp.path(), 5, &synth::preset("saturated").unwrap(), "sat")
        .unwrap();
    assert!(
        truth.images.iter().any(|i| i.saturated_px > 0),
        "preset must saturate"
    );
    let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
    let flagged: Vec<_> = run
        .results
        .fold_change
        .iter()
        .filter(|r| {
            r.flags.contains(Flag::Saturated) || r.flags.contains(Flag::NormalizerSaturated)
        })
        .collect();
    assert!(!flagged.is_empty());
    for row in &run.results.summary {
        let usable = run
            .results
            .fold_change
            .iter()
            .filter(|r| {
                r.target == row.target
                    && r.condition == row.condition
                    && !(r.flags.contains(Flag::Saturated)
                        || r.flags.contains(Flag::NormalizerSaturated))
            })
            .count();
        assert_eq!(row.n, usable, "{} / {}", row.target, row.condition);
    }
}
