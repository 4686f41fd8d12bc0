//! No silent wrong number: a lane whose band is missing is measured at the target's row (kept,
//! flagged `below-lod`, never 0), a control mean holds measured values only, and a manifest's
//! `rows` bound the band boxes. On a synthetic blot with one band erased (truth from
//! `truth.json`) and on the real PDGFRα panel of `../shared/realdata` (skipped where absent).

mod common;

use std::path::Path;

use blotquant::quant::Flag;
use blotquant::{synth, Params};
use serde_json::json;

/// Paints over a lane's band in a 16-bit image with the rows just above it (the background
/// there), so the lane holds no band at the target's row.
fn erase_band(image: &Path, x_center: f64, width: f64, y_center: f64, half_height: u32) {
    let mut pixels = image::open(image).unwrap().into_luma16();
    let (first, last) = (
        (x_center - width / 2.0).floor() as u32,
        (x_center + width / 2.0).ceil() as u32,
    );
    let (top, bottom) = (y_center as u32 - half_height, y_center as u32 + half_height);
    for x in first..=last {
        for y in top..=bottom {
            let above = *pixels.get_pixel(x, y - 2 * half_height);
            pixels.put_pixel(x, y, above);
        }
    }
    pixels.save(image).unwrap();
}

/// A synthetic experiment (seed 11 of `preset`) in `dir` with the NLRP3 band of each of
/// `lanes` painted over.
fn experiment_without_nlrp3_in(dir: &Path, preset: &str, lanes: &[usize]) {
    synth::write_experiment(dir, 11, &synth::preset(preset).unwrap(), "st").unwrap();
    let truth = common::read_truth(dir);
    let image = truth.images.iter().find(|i| i.file == "nlrp3.tif").unwrap();
    for &lane in lanes {
        let band = image
            .bands
            .iter()
            .find(|b| b.lane == lane && b.target == "NLRP3")
            .unwrap();
        let geometry = image.lanes.iter().find(|l| l.lane == lane).unwrap();
        erase_band(
            &dir.join("nlrp3.tif"),
            geometry.x_center,
            geometry.width + 6.0,
            band.y_center,
            12,
        );
    }
}

#[test]
fn a_lane_without_its_band_is_measured_at_the_targets_row_not_zeroed() {
    let tmp = tempfile::tempdir().unwrap();
    // An LPS lane (4): its NLRP3 band is erased.
    let lane = 4;
    experiment_without_nlrp3_in(tmp.path(), "standard", &[lane]);
    let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
    let rows: Vec<_> = run
        .results
        .fold_change
        .iter()
        .filter(|r| r.target == "NLRP3")
        .collect();
    let erased = rows.iter().find(|r| r.lane == lane).unwrap();
    println!(
        "erased lane: signal {:?}, flags {}",
        erased.signal, erased.flags
    );
    let signal = erased
        .signal
        .expect("the lane is measured at the target's row, not left out");
    assert!(erased.flags.contains(Flag::BelowLod), "{}", erased.flags);
    assert!(!erased.flags.contains(Flag::NotDetected));
    // Near zero: the erased lane holds only background, so its signal is a small fraction
    // of the control lanes' (the noise of a box's background estimate).
    let control: Vec<f64> = rows
        .iter()
        .filter(|r| r.condition == "untreated")
        .map(|r| r.signal.unwrap())
        .collect();
    let control_mean = control.iter().sum::<f64>() / control.len() as f64;
    assert!(
        signal.abs() < 0.05 * control_mean,
        "erased lane {signal} against control {control_mean}"
    );
    // Every other lane is measured, and the control lanes' fold changes average 1.
    assert!(rows.iter().all(|r| r.signal.is_some()));
    let control_folds: Vec<f64> = rows
        .iter()
        .filter(|r| r.condition == "untreated")
        .map(|r| r.fold_change.unwrap())
        .collect();
    let mean = control_folds.iter().sum::<f64>() / control_folds.len() as f64;
    assert!((mean - 1.0).abs() < 1e-9, "control mean fold change {mean}");
    assert!(run
        .results
        .warnings
        .iter()
        .any(|w| w.contains("NLRP3") && w.contains("below-lod")));
}

/// The PDGFRα / GAPDH figure panel (12 lanes, three per condition, no ladder), with the
/// band rows given in the manifest as a person reads them off the image.
#[test]
fn the_pdgfra_panel_is_measured_in_every_lane_within_its_rows() {
    let Some(real) = common::realdata_file("pmc_pdgfra_gapdh.png") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(&real, tmp.path().join("panel.png")).unwrap();
    let conditions = [
        "contralateral DMSO",
        "contralateral Ki16425",
        "denervated DMSO",
        "denervated Ki16425",
    ];
    let lanes: Vec<&str> = conditions.iter().flat_map(|c| [*c; 3]).collect();
    let manifest = json!({
        "name": "pdgfra",
        "control": "contralateral DMSO",
        "loading_control": "GAPDH",
        "lanes": lanes,
        "targets": {"PDGFRa": {"mw_kda": 150}},
        "images": [{"file": "panel.png", "targets": {
            "PDGFRa": {"rows": [56, 78]},
            "GAPDH": {"rows": [88, 112]}
        }}],
    });
    common::write_manifest(tmp.path(), &manifest);
    let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
    let results = &run.results;
    for band in results.bands.iter().filter(|b| b.target == "PDGFRa") {
        assert!(
            band.top_px >= 56 && band.bottom_px <= 78,
            "lane {}: box {}–{} outside rows 56–78",
            band.lane,
            band.top_px,
            band.bottom_px
        );
    }
    let rows: Vec<_> = results
        .fold_change
        .iter()
        .filter(|r| r.target == "PDGFRa")
        .collect();
    assert_eq!(rows.len(), 12);
    for row in &rows {
        println!(
            "lane {:>2} {:<22} signal {:?} fold {:?} {}",
            row.lane, row.condition, row.signal, row.fold_change, row.flags
        );
        let signal = row.signal.expect("every lane measured");
        assert!(
            signal > 0.0 || row.flags.contains(Flag::BelowBackground),
            "lane {}: signal {signal} without a flag",
            row.lane
        );
    }
    let control: Vec<f64> = rows
        .iter()
        .filter(|r| r.condition == "contralateral DMSO")
        .map(|r| r.fold_change.unwrap())
        .collect();
    let mean = control.iter().sum::<f64>() / control.len() as f64;
    assert!((mean - 1.0).abs() < 1e-9, "control mean fold change {mean}");
}

/// A manifest that lists one lane more than the images show is refused, naming `lanes`: the
/// extra lane would sit on the last lane's band (or on empty membrane) and be quantified.
/// The rule is stated in lane pitches, so it holds at twice the resolution and mirrored.
#[test]
fn a_lane_count_one_too_many_is_refused() {
    let preset = synth::preset("standard").unwrap();
    let frames = [(528, 420, false), (1056, 840, false), (528, 420, true)];
    for (width, height, mirrored) in frames {
        let tmp = tempfile::tempdir().unwrap();
        let frame = synth::Frame { width, height };
        synth::write_experiment_framed(tmp.path(), 11, &preset, "st", frame).unwrap();
        if mirrored {
            for entry in std::fs::read_dir(tmp.path()).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "tif") {
                    let flipped = image::open(&path).unwrap().into_luma16();
                    image::imageops::flip_horizontal(&flipped)
                        .save(&path)
                        .unwrap();
                }
            }
            // Mirrored, the ladder lane is the last one.
            common::edit_manifest(tmp.path(), |m| {
                m["lanes"].as_array_mut().unwrap().reverse();
            });
        }
        common::edit_manifest(tmp.path(), |m| {
            let lanes = m["lanes"].as_array_mut().unwrap();
            lanes.push(json!("LPS + AMI 10 µM"));
        });
        let Err(error) = blotquant::analyze(tmp.path(), &Params::default()) else {
            panic!("{width}x{height} mirrored {mirrored}: 10 lanes on 9-lane images are refused");
        };
        let message = error.to_string();
        println!("{width}x{height} mirrored {mirrored}: {message}");
        assert!(
            message.contains("lanes") && message.contains("10"),
            "{message}"
        );
        assert!(error.is_input_error());
    }
}

/// Each experiment gets a quality verdict with its reasons: `ok` on a clean blot, `check`
/// where a value was measured below the limit of detection, `unreliable` where the control
/// lanes hold no band (no fold change can stand on noise, and none is given).
#[test]
fn each_experiment_gets_a_quality_verdict_with_reasons() {
    use blotquant::results::Verdict;
    let verdict_of = |erase: &[usize]| {
        let tmp = tempfile::tempdir().unwrap();
        experiment_without_nlrp3_in(tmp.path(), "clean", erase);
        let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
        let quality = run.results.experiments[0].quality.clone();
        println!("erased {erase:?}: {quality:?}");
        (quality, run.results)
    };
    // The clean blot's only findings are its loading-control outliers: the lanes whose true
    // load lies more than 30 % from the median load.
    let (clean, _) = verdict_of(&[]);
    let tmp = tempfile::tempdir().unwrap();
    synth::write_experiment(tmp.path(), 11, &synth::preset("clean").unwrap(), "q").unwrap();
    let truth = common::read_truth(tmp.path());
    let loads: Vec<f64> = truth
        .lanes
        .iter()
        .filter(|l| l.condition.is_some())
        .map(|l| l.load)
        .collect();
    let median = blotquant::stats::median(&loads);
    let outliers: Vec<String> = truth
        .lanes
        .iter()
        .filter(|l| l.condition.is_some() && (l.load / median - 1.0).abs() > 0.3)
        .map(|l| l.lane.to_string())
        .collect();
    let expected = if outliers.is_empty() {
        Verdict::Ok
    } else {
        Verdict::Check
    };
    assert_eq!(clean.verdict, expected, "{:?}", clean.reasons);
    for reason in &clean.reasons {
        assert!(
            reason.ends_with(&format!(
                "lane(s) {} with an outlying loading control",
                outliers.join(", ")
            )),
            "{reason}"
        );
    }

    let (one_lane, _) = verdict_of(&[4]);
    assert_eq!(one_lane.verdict, Verdict::Check);
    assert!(one_lane
        .reasons
        .iter()
        .any(|r| r.starts_with("NLRP3") && r.contains("limit of detection")));

    // Lanes 2 and 3 are the untreated (control) lanes.
    let (no_control, results) = verdict_of(&[2, 3]);
    assert_eq!(no_control.verdict, Verdict::Unreliable);
    let nlrp3: Vec<_> = results
        .fold_change
        .iter()
        .filter(|r| r.target == "NLRP3")
        .collect();
    assert!(nlrp3
        .iter()
        .all(|r| r.fold_change.is_none() && r.flags.contains(Flag::ControlNotDetected)));
}

/// The TRKB / VCL figure panel of `../shared/realdata` (`None`, with a note, where absent).
fn trkb_panel() -> Option<image::DynamicImage> {
    let real = common::realdata_file("pmc_trkb_vcl_values.png")?;
    Some(image::open(&real).unwrap())
}

/// The panel's two blots: (target, first column, last column, ratios printed under the
/// lanes). Each blot's target band row is centred at row 37, its VCL row at row 64.
const TRKB_BLOTS: [(&str, u32, u32, [f64; 6]); 2] = [
    ("TRKB", 28, 164, [1.14, 1.20, 0.95, 0.83, 0.75, 0.94]),
    ("pTRKB", 232, 370, [0.30, 0.41, 0.41, 0.24, 1.27, 0.43]),
];

/// Analyzes the experiment of one TRKB blot written to `dir` (its `images` given) and checks
/// its six fold-change rows: each passes `check`, the control's fold changes (where both
/// have one) average 1, and each is printed beside the printed ratio relative to the same
/// control lanes, with the median relative difference (`label` names the run).
fn analyze_trkb_blot(
    dir: &Path,
    (target, printed): (&str, [f64; 6]),
    images: serde_json::Value,
    label: &str,
    check: impl Fn(&blotquant::results::FoldChangeRow),
) {
    let manifest = json!({
        "name": target,
        "control": "Y47R",
        "loading_control": "VCL",
        "lanes": ["Y47R", "Y47R", "YG8-800", "YG8-800", "7,8-DHF", "7,8-DHF"],
        "targets": {target: {"mw_kda": 92}, "VCL": {"mw_kda": 124}},
        "images": images,
    });
    common::write_manifest(dir, &manifest);
    let run = blotquant::analyze(dir, &Params::default()).unwrap();
    let rows: Vec<_> = run
        .results
        .fold_change
        .iter()
        .filter(|r| r.target == target)
        .collect();
    assert_eq!(rows.len(), 6, "{label}: six lanes");
    let printed_control = (printed[0] + printed[1]) / 2.0;
    let mut errors = Vec::new();
    for (row, printed) in rows.iter().zip(printed) {
        check(row);
        let fold = row.fold_change.unwrap_or(f64::NAN);
        let expected = printed / printed_control;
        errors.push((fold / expected - 1.0).abs());
        println!(
            "{label} lane {}: fold {fold:.3}, printed {expected:.3} ({})",
            row.lane, row.flags
        );
    }
    errors.sort_by(f64::total_cmp);
    println!(
        "{label}: median relative difference from the printed ratios {:.1} %",
        100.0 * errors[errors.len() / 2]
    );
    let control: Vec<f64> = rows[..2].iter().filter_map(|r| r.fold_change).collect();
    if control.len() == 2 {
        assert!((control.iter().sum::<f64>() / 2.0 - 1.0).abs() < 1e-9);
    }
}

/// The TRKB / VCL figure panel: two blots side by side (total TRKB, pTRKB-Y705), each of six
/// lanes (Y47R, YG8-800, 7,8-DHF, two lanes each), with the ratios the paper prints under the
/// lanes. Each blot is cropped out and analyzed with `rows` for its two strips; every lane is
/// measured, the control's fold changes average 1, and the fold changes are compared with the
/// printed ratios taken relative to the same control lanes (printed, not asserted: the
/// paper's own densitometry is not ground truth).
#[test]
fn the_trkb_panel_is_measured_in_every_lane_and_compared_with_the_printed_ratios() {
    let Some(panel) = trkb_panel() else {
        return;
    };
    for (target, first, last, printed) in TRKB_BLOTS {
        let tmp = tempfile::tempdir().unwrap();
        panel
            .crop_imm(first, 0, last - first + 1, panel.height())
            .save(tmp.path().join("blot.png"))
            .unwrap();
        let images = json!([{"file": "blot.png", "targets": {
            target: {"rows": [27, 47]},
            "VCL": {"rows": [57, 72]}
        }}]);
        analyze_trkb_blot(tmp.path(), (target, printed), images, target, |row| {
            assert!(row.fold_change.is_some(), "every lane has a fold change");
            assert!(
                row.signal.is_some_and(|s| s > 0.0),
                "{target} lane {}",
                row.lane
            );
        });
    }
}

/// The TRKB / VCL panel cut into tight strips, as a figure's strips are often cropped: each
/// blot's target row and its VCL row, each a strip of 13, 17 or 21 rows centred on its band,
/// every strip its own image, no `rows`. Every lane gets a positive fold change or a flag
/// saying why not, and the control's fold changes average 1; the fold changes are printed
/// beside the printed ratios (not asserted: the paper's densitometry is not ground truth).
#[test]
fn tight_strips_of_the_trkb_panel_are_measured_in_every_lane() {
    let Some(panel) = trkb_panel() else {
        return;
    };
    for strip in [13u32, 17, 21] {
        for (target, first, last, printed) in TRKB_BLOTS {
            let tmp = tempfile::tempdir().unwrap();
            for (file, centre) in [("target.png", 37), ("vcl.png", 64)] {
                panel
                    .crop_imm(first, centre - strip / 2, last - first + 1, strip)
                    .save(tmp.path().join(file))
                    .unwrap();
            }
            let images = json!([
                {"file": "target.png", "targets": [target]},
                {"file": "vcl.png", "targets": ["VCL"]}
            ]);
            let label = format!("{strip} rows, {target}");
            analyze_trkb_blot(tmp.path(), (target, printed), images, &label, |row| {
                let fold = row.fold_change.unwrap_or(f64::NAN);
                assert!(
                    fold > 0.0 || !row.flags.to_string().is_empty(),
                    "{label} lane {}: {fold} without a flag",
                    row.lane
                );
            });
        }
    }
}

/// The FXN / VCL figure panel of `../shared/realdata`: one blot of eight lanes (Y47R twice,
/// YG8-800 and 7,8-DHF three times each), FXN at 17 kDa over VCL, each strip in a frame, with
/// the FXN/VCL ratios the paper prints under the lanes (1.75 and 1.94 for Y47R, 0.01–0.02 for
/// the others). Analyzed with `rows` for each strip (inside its frame lines): every lane is
/// measured in its own lane (a positive signal; the faint lanes far below the control's
/// bands, which a lane read off its neighbour would reach: on this panel the FXN strip was
/// once moved 20 px and a lane printed as 0.01 came out 1.73), and the control lanes' fold
/// changes average 1. The fold changes are printed beside the printed ratios relative to the
/// same control lanes (not asserted: the paper's densitometry is not ground truth).
#[test]
fn the_fxn_panel_is_measured_in_every_lane_and_compared_with_the_printed_ratios() {
    let Some(real) = common::realdata_file("pmc_fxn_vcl_values.png") else {
        return;
    };
    let printed = [1.75, 1.94, 0.01, 0.01, 0.01, 0.02, 0.01, 0.01];
    let tmp = tempfile::tempdir().unwrap();
    // The blot's columns, frame lines and all (the labels beside it left out).
    image::open(&real)
        .unwrap()
        .crop_imm(30, 0, 185, 79)
        .save(tmp.path().join("blot.png"))
        .unwrap();
    let manifest = json!({
        "name": "FXN",
        "control": "Y47R",
        "loading_control": "VCL",
        "lanes": ["Y47R", "Y47R", "YG8-800", "YG8-800", "YG8-800", "7,8-DHF", "7,8-DHF", "7,8-DHF"],
        "targets": {"FXN": {"mw_kda": 17}, "VCL": {"mw_kda": 124}},
        "images": [{"file": "blot.png", "targets": {
            "FXN": {"rows": [23, 36]},
            "VCL": {"rows": [51, 62]}
        }}],
    });
    common::write_manifest(tmp.path(), &manifest);
    let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
    let rows: Vec<_> = run
        .results
        .fold_change
        .iter()
        .filter(|r| r.target == "FXN")
        .collect();
    assert_eq!(rows.len(), 8, "eight lanes");
    let printed_control = (printed[0] + printed[1]) / 2.0;
    for (row, printed) in rows.iter().zip(printed) {
        let fold = row.fold_change.unwrap_or(f64::NAN);
        println!(
            "FXN lane {}: fold {fold:.3}, printed {:.3} ({})",
            row.lane,
            printed / printed_control,
            row.flags
        );
        assert!(row.signal.is_some_and(|s| s > 0.0), "lane {}", row.lane);
        if row.lane > 2 {
            assert!(fold < 0.5, "lane {}: {fold}", row.lane);
        }
    }
    let control: Vec<f64> = rows[..2].iter().filter_map(|r| r.fold_change).collect();
    assert_eq!(control.len(), 2);
    assert!((control.iter().sum::<f64>() / 2.0 - 1.0).abs() < 1e-9);
}

/// An image whose polarity is stated the wrong way round (light bands said to be dark) turns
/// its bands into dips below the background: a warning names the image and the likely cause,
/// and the experiment is unreliable.
#[test]
fn a_wrong_polarity_is_named_in_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    synth::write_experiment(tmp.path(), 5, &synth::preset("standard").unwrap(), "pol").unwrap();
    common::edit_manifest(tmp.path(), |m| {
        for image in m["images"].as_array_mut().unwrap() {
            if image["file"] == "nlrp3.tif" {
                image["polarity"] = json!("dark-bands");
            }
        }
    });
    let run = blotquant::analyze(tmp.path(), &Params::default()).unwrap();
    let warning = run
        .results
        .warnings
        .iter()
        .find(|w| w.contains("nlrp3.tif") && w.contains("polarity"));
    assert!(warning.is_some(), "{:#?}", run.results.warnings);
    assert!(!run
        .results
        .warnings
        .iter()
        .any(|w| w.contains("actin.tif") && w.contains("polarity")));
    assert_eq!(
        run.results.experiments[0].quality.verdict,
        blotquant::results::Verdict::Unreliable
    );
}
