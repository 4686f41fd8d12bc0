//! Tight crops: each target's band cut out of a synthetic blot as a strip 12, 16 or 20 rows
//! tall (as figure panels and strips cut around one band show it), every strip its own image
//! holding one target, no ladder and no `rows`. The bands touch or nearly touch the strip's
//! top and bottom, so a background taken from rows above and below the box has little or
//! nothing to read. Fold changes are scored against `truth.json`.

mod common;

use std::path::Path;

use blotquant::synth::{self, Truth};
use blotquant::Params;
use serde_json::json;

/// The targets cut out, and the image each lies in.
const STRIPS: [(&str, &str); 4] = [
    ("NLRP3", "nlrp3.tif"),
    ("caspase-1 p20", "caspase-1.tif"),
    ("IL-1β p17", "il-1b.tif"),
    ("β-actin", "actin.tif"),
];

/// A synthetic blot of the `standard` preset written to `dir`, with its truth.
fn standard_blot(dir: &Path, seed: u64) -> Truth {
    blot_of(&synth::preset("standard").unwrap(), dir, seed)
}

/// A synthetic blot of `preset` written to `dir`, with its truth.
fn blot_of(preset: &synth::Preset, dir: &Path, seed: u64) -> Truth {
    synth::write_experiment(dir, seed, preset, "s").unwrap();
    common::read_truth(dir)
}

/// The experiment of `source` with each target of [`STRIPS`] cut out as a strip of `rows`
/// rows centred on its mean true band row, written to `dir`.
fn cropped_experiment(source: &Path, truth: &Truth, rows: u32, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut images = Vec::new();
    for (target, file) in STRIPS {
        let image = truth.images.iter().find(|i| i.file == file).unwrap();
        let centres: Vec<f64> = image
            .bands
            .iter()
            .filter(|b| b.target == target)
            .map(|b| b.y_center)
            .collect();
        let centre = centres.iter().sum::<f64>() / centres.len() as f64;
        let top = (centre - f64::from(rows) / 2.0).round() as u32;
        let full = image::open(source.join(file)).unwrap().into_luma16();
        let strip = image::imageops::crop_imm(&full, 0, top, full.width(), rows).to_image();
        let name = format!("{}.png", target.replace(' ', "_"));
        strip.save(dir.join(&name)).unwrap();
        images.push(json!({"file": name, "targets": [target]}));
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(source.join("experiment.json")).unwrap())
            .unwrap();
    let cropped = json!({
        "name": format!("crop{rows}"),
        "control": manifest["control"],
        "loading_control": "β-actin",
        "lanes": manifest["lanes"],
        "images": images,
    });
    std::fs::write(
        dir.join("experiment.json"),
        serde_json::to_string_pretty(&cropped).unwrap(),
    )
    .unwrap();
}

#[test]
fn fold_changes_hold_on_strips_cropped_tight_around_their_bands() {
    let tmp = tempfile::tempdir().unwrap();
    let mut errors_by_height = Vec::new();
    for seed in [301, 302] {
        let source = tmp.path().join(format!("blot{seed}"));
        let truth = standard_blot(&source, seed);
        for rows in [12, 16, 20] {
            let dir = tmp.path().join(format!("crop{seed}-{rows}"));
            cropped_experiment(&source, &truth, rows, &dir);
            let run = blotquant::analyze(&dir, &Params::default()).unwrap();
            let doubted: Vec<String> = run
                .results
                .bands
                .iter()
                .filter(|b| {
                    b.flags
                        .contains(blotquant::quant::Flag::BackgroundUncertain)
                })
                .map(|b| format!("{} lane {}", b.target, b.lane))
                .collect();
            // The synthetic bands are narrower than their lanes, so the gaps between them
            // hold membrane only: the check against the gaps' lower envelope finds no doubt
            // (on the stress generator's strips, whose bands fill the gaps, it does).
            assert!(
                doubted.is_empty(),
                "seed {seed}, {rows} rows: background-uncertain {doubted:?}"
            );
            let mut errors = Vec::new();
            for t in truth
                .fold_change
                .iter()
                .filter(|t| STRIPS.iter().any(|(target, _)| *target == t.target))
                .filter(|t| t.target != "β-actin")
            {
                let row = run
                    .results
                    .fold_change
                    .iter()
                    .find(|r| r.target == t.target && r.lane == t.lane)
                    .unwrap_or_else(|| panic!("{} lane {} not in the table", t.target, t.lane));
                let fold = row.fold_change.unwrap_or(f64::NAN);
                // A strip is measured one way for all its lanes: as a strip, every lane
                // says so (whole-strip), or from its bands.
                let strip = |r: &&blotquant::results::FoldChangeRow| {
                    r.flags.contains(blotquant::quant::Flag::WholeStrip)
                };
                let of_target: Vec<_> = run
                    .results
                    .fold_change
                    .iter()
                    .filter(|r| r.target == t.target)
                    .collect();
                assert!(
                    of_target.iter().all(strip) || !of_target.iter().any(strip),
                    "{}: lanes measured two ways",
                    t.target
                );
                errors.push((fold / t.fold_change - 1.0).abs());
            }
            errors_by_height.push((rows, errors));
        }
    }
    for rows in [12, 16, 20] {
        let mut errors: Vec<f64> = errors_by_height
            .iter()
            .filter(|(r, _)| *r == rows)
            .flat_map(|(_, e)| e.iter().copied())
            .collect();
        errors.sort_by(f64::total_cmp);
        let at = |q: f64| errors[((errors.len() - 1) as f64 * q).round() as usize];
        println!(
            "strips of {rows} rows: {} values, median error {:.1} %, 90th percentile {:.1} %, worst {:.1} %",
            errors.len(),
            100.0 * at(0.5),
            100.0 * at(0.9),
            100.0 * at(1.0)
        );
        assert!(
            errors.iter().all(|e| e.is_finite()),
            "every lane has a fold change"
        );
        assert!(
            at(0.5) <= 0.05,
            "strips of {rows} rows: median error {:.3}",
            at(0.5)
        );
    }
}

/// A strip measured whole, mirrored left to right (its lanes listed in the reverse order), gives
/// every lane the fold change it had, within the invariance suite's bounds (2 % median, 6 %
/// worst): its background is read on both sides of every lane, the margins beyond the end
/// lanes included, so neither side of the strip is favoured.
#[test]
fn a_strip_measured_whole_mirrored_keeps_its_fold_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("blot");
    let truth = standard_blot(&source, 303);
    let dir = tmp.path().join("crop12");
    cropped_experiment(&source, &truth, 12, &dir);
    let mirrored = tmp.path().join("mirrored");
    let count = common::mirrored_experiment(&dir, &mirrored);

    let plain = blotquant::analyze(&dir, &Params::default())
        .unwrap()
        .results;
    let flipped = blotquant::analyze(&mirrored, &Params::default())
        .unwrap()
        .results;
    let mut differences = Vec::new();
    for row in plain.fold_change.iter().filter(|r| r.target != "β-actin") {
        assert!(
            row.flags.contains(blotquant::quant::Flag::WholeStrip),
            "{} lane {} is measured whole",
            row.target,
            row.lane
        );
        let twin = flipped
            .fold_change
            .iter()
            .find(|r| r.target == row.target && r.lane == count + 1 - row.lane)
            .unwrap_or_else(|| panic!("{} lane {} mirrored", row.target, row.lane));
        let (a, b) = (row.fold_change.unwrap(), twin.fold_change.unwrap());
        differences.push((a / b - 1.0).abs());
    }
    differences.sort_by(f64::total_cmp);
    let median = differences[differences.len() / 2];
    let worst = differences[differences.len() - 1];
    println!(
        "mirrored strip of 12 rows: {} values, median difference {:.2} %, worst {:.2} %",
        differences.len(),
        100.0 * median,
        100.0 * worst
    );
    assert!(
        median <= 0.02 && worst <= 0.06,
        "median {median:.4}, worst {worst:.4}"
    );
}

/// A strip of one lane, cut as tight as its band and its lane, has no gap beside the lane to
/// read the background from: the lane is measured whole against the rolling-ball surface and
/// flagged `background-uncertain`, never given a background of 0 (its raw sum passed on as its
/// signal).
#[test]
fn a_strip_of_one_lane_says_its_background_is_uncertain() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("blot");
    let truth = standard_blot(&source, 5);
    let dir = tmp.path().join("one");
    std::fs::create_dir_all(&dir).unwrap();
    let mut images = Vec::new();
    for (target, file) in [("β-actin", "actin.tif"), ("NLRP3", "nlrp3.tif")] {
        let image = truth.images.iter().find(|i| i.file == file).unwrap();
        let band = image
            .bands
            .iter()
            .find(|b| b.target == target && b.lane == 2)
            .unwrap();
        // The lane's own columns and a 12-row strip centred on its band: a lane no wider than
        // itself, so no gap lies beside it.
        let lane = image.lanes.iter().find(|l| l.lane == 2).unwrap();
        let full = image::open(source.join(file)).unwrap().into_luma16();
        let strip = image::imageops::crop_imm(
            &full,
            (lane.x_center - lane.width / 2.0).round() as u32,
            (band.y_center - 6.0).round() as u32,
            lane.width.round() as u32,
            12,
        )
        .to_image();
        let name = file.replace(".tif", ".png");
        strip.save(dir.join(&name)).unwrap();
        images.push(json!({"file": name, "targets": [target]}));
    }
    let manifest = json!({
        "name": "one",
        "control": "untreated",
        "loading_control": "β-actin",
        "lanes": ["untreated"],
        "images": images,
    });
    std::fs::write(dir.join("experiment.json"), manifest.to_string()).unwrap();
    let run = blotquant::analyze(&dir, &Params::default()).unwrap();
    let bands = &run.results.bands;
    assert_eq!(bands.len(), 2, "{bands:#?}");
    for band in bands {
        assert!(band.flags.contains(blotquant::quant::Flag::WholeStrip));
        assert!(
            band.flags
                .contains(blotquant::quant::Flag::BackgroundUncertain),
            "{band:#?}"
        );
        assert!(band.background > 0.0, "{band:#?}");
    }
}

/// Sample lanes whose targets are near zero in
/// [`near_zero_lanes_on_tight_crops_stay_below_two_percent`]: one inside the blot, between two
/// strong lanes, and the last lane, whose empty band leaves its strip's grid nothing to hold
/// that end by.
const NEAR_ZERO_LANES: &[usize] = &[6, 9];

/// What a near-zero lane's fold change must stay below: 2 % of the control.
const NEAR_ZERO_CEILING: f64 = 0.02;

/// Strips cut as tight as above (12, 16 and 20 rows) from blots whose lanes 6 and 9 hold each
/// target at 0.5 % of its control lanes' level, the loading control as usual: every near-zero
/// lane reports a fold change below 2 % of the control (for a row flagged `below-lod` or
/// `below-background`, the value it keeps), never exactly 0 and never missing; one below 0
/// says so (`below-background`); and the other lanes keep a median error of at most 5 % at
/// every strip height.
#[test]
fn near_zero_lanes_on_tight_crops_stay_below_two_percent() {
    let tmp = tempfile::tempdir().unwrap();
    let preset = synth::Preset {
        near_zero_lanes: NEAR_ZERO_LANES,
        ..synth::preset("standard").unwrap()
    };
    let seeds = 311..=315;
    for seed in seeds.clone() {
        blot_of(&preset, &tmp.path().join(format!("blot{seed}")), seed);
    }
    let mut failures = Vec::new();
    let mut near_zero = Vec::new();
    for rows in [12, 16, 20] {
        let mut errors = Vec::new();
        for seed in seeds.clone() {
            let source = tmp.path().join(format!("blot{seed}"));
            let truth = common::read_truth(&source);
            let dir = tmp.path().join(format!("crop{seed}-{rows}"));
            cropped_experiment(&source, &truth, rows, &dir);
            let run = blotquant::analyze(&dir, &Params::default()).unwrap();
            for t in truth.fold_change.iter().filter(|t| {
                t.target != "β-actin" && STRIPS.iter().any(|(target, _)| *target == t.target)
            }) {
                let what = format!("{rows} rows, seed {seed}, {} lane {}", t.target, t.lane);
                let Some(row) = run
                    .results
                    .fold_change
                    .iter()
                    .find(|r| r.target == t.target && r.lane == t.lane)
                else {
                    failures.push(format!("{what}: no row"));
                    continue;
                };
                let flags = row.flags.to_string();
                match (NEAR_ZERO_LANES.contains(&t.lane), row.fold_change) {
                    (_, None) => failures.push(format!("{what}: no fold change [{flags}]")),
                    (false, Some(v)) => errors.push((v / t.fold_change - 1.0).abs()),
                    (true, Some(v)) => {
                        near_zero.push(v);
                        let below_background =
                            row.flags.contains(blotquant::quant::Flag::BelowBackground);
                        if v == 0.0 || v >= NEAR_ZERO_CEILING || (v < 0.0 && !below_background) {
                            failures.push(format!(
                                "{what}: true {:.4}, reported {v:.4} [{flags}]",
                                t.fold_change
                            ));
                        }
                    }
                }
            }
        }
        errors.sort_by(f64::total_cmp);
        let median = errors[errors.len() / 2];
        println!(
            "strips of {rows} rows: the other lanes' median error {:.1} % over {} values",
            100.0 * median,
            errors.len()
        );
        if median > 0.05 {
            failures.push(format!(
                "{rows} rows: the other lanes' median error {median:.3}"
            ));
        }
    }
    near_zero.sort_by(f64::total_cmp);
    let beyond = near_zero
        .iter()
        .filter(|v| v.abs() >= NEAR_ZERO_CEILING)
        .count();
    println!(
        "near-zero lanes (true {}): {} values, median {:.4}, from {:.4} to {:.4}; {beyond} lie 0.02 or more from 0 either way",
        synth::NEAR_ZERO_SHARE,
        near_zero.len(),
        near_zero[near_zero.len() / 2],
        near_zero[0],
        near_zero[near_zero.len() - 1]
    );
    assert!(failures.is_empty(), "{failures:#?}");
}
