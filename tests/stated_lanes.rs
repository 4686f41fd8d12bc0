//! Lanes a person states in the manifest (`images[].lanes_px`) are used as given: where
//! detection places lanes wrongly, stating them gives the true fold changes.

mod common;

use std::path::Path;

use blotquant::{synth, Params};
use serde_json::json;

/// Every image of `dir` with `extra` columns of empty membrane inserted at column `at` (a
/// gap between hand-loaded lanes): each row's floor around `at` (its 10th percentile over 20
/// columns) plus a small fixed texture.
fn insert_empty_membrane(dir: &Path, at: u32, extra: u32) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "tif") {
            continue;
        }
        let image = image::open(&path).unwrap().to_luma16();
        let (w, h) = image.dimensions();
        let widened = image::ImageBuffer::from_fn(w + extra, h, |x, y| {
            if x < at {
                *image.get_pixel(x, y)
            } else if x >= at + extra {
                *image.get_pixel(x - extra, y)
            } else {
                let mut row: Vec<u16> = (at - 10..at + 10)
                    .map(|c| image.get_pixel(c, y).0[0])
                    .collect();
                row.sort_unstable();
                let texture = ((x * 7919 + y * 104729) % 17) as u16;
                image::Luma([row[2].saturating_add(texture)])
            }
        });
        image::DynamicImage::ImageLuma16(widened)
            .save(&path)
            .unwrap();
    }
}

fn median_error(results: &blotquant::results::Results, truth: &synth::Truth) -> f64 {
    let mut errors: Vec<f64> = common::lane_errors(results, "s", truth)
        .into_values()
        .flatten()
        .map(|e| if e.is_finite() { e } else { f64::INFINITY })
        .collect();
    errors.sort_by(f64::total_cmp);
    errors[errors.len() / 2]
}

/// A blot loaded by hand with a gap of 0.6 pitch between its lanes 5 and 6 misleads the even
/// grid; the lanes stated by their centres (the generator's truth, moved by the gap) give
/// every fold change within 2 % of truth.
#[test]
fn stated_lanes_fix_a_grid_that_detection_misplaces() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let truth =
        synth::write_experiment(&dir, 11, &synth::preset("standard").unwrap(), "s").unwrap();
    let pitch = {
        let lanes = &truth.images[0].lanes;
        (lanes[lanes.len() - 1].x_center - lanes[0].x_center) / (lanes.len() - 1) as f64
    };
    let lanes = &truth.images[0].lanes;
    let at = (0.5 * (lanes[4].x_center + lanes[5].x_center)).round() as u32;
    let gap = (0.6 * pitch).round() as u32;
    insert_empty_membrane(&dir, at, gap);
    // Detected, the lanes are refused (lanes crowd where the grid cannot fit the gap) or
    // placed off their bands.
    let detected = match blotquant::analyze(&dir, &Params::default()) {
        Err(refused) => {
            // The refusal points to the way out: the lanes stated by hand.
            assert!(refused.to_string().contains("lanes_px"), "{refused}");
            format!("refused: {refused}")
        }
        Ok(run) => {
            let error = median_error(&run.results, &truth);
            assert!(error > 0.02, "detection was meant to be misled: {error}");
            format!("median fold-change error {:.1} %", 100.0 * error)
        }
    };

    common::edit_manifest(&dir, |m| {
        for (entry, image) in m["images"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .zip(&truth.images)
        {
            let x: Vec<f64> = image
                .lanes
                .iter()
                .map(|l| {
                    l.x_center
                        + if l.x_center > at as f64 {
                            gap as f64
                        } else {
                            0.0
                        }
                })
                .collect();
            entry["lanes_px"] = json!({"x": x, "width": image.lanes[0].width});
        }
    });
    let stated = blotquant::analyze(&dir, &Params::default())
        .unwrap()
        .results;
    let stated_error = median_error(&stated, &truth);
    println!(
        "lanes detected: {detected}; lanes stated: median fold-change error {:.2} %",
        100.0 * stated_error
    );
    common::assert_lanes_within(&stated, "s", &truth, 0.02);
    assert!(stated
        .detection
        .iter()
        .all(|d| d.reasons.as_str() == "from-manifest"));
    assert!(stated.warnings.iter().any(|w| w.contains("lanes_px")));
}

/// `lanes_px` that does not fit the manifest is a manifest error naming the field.
#[test]
fn lanes_px_that_does_not_fit_is_refused_naming_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    synth::write_experiment(&dir, 12, &synth::preset("clean").unwrap(), "s").unwrap();
    let cases = [
        (json!({"x": [10, 20], "width": 8}), "lanes_px.x"),
        (
            json!({"x": [10, 20, 30, 40, 35, 60, 70, 80, 90], "width": 8}),
            "lanes_px.x",
        ),
        (
            json!({"x": [10, 20, 30, 40, 50, 60, 70, 80, 90], "width": -1}),
            "lanes_px.width",
        ),
        (
            json!({"x": [10, 20, 30, 40, 50, 60, 70, 80, 90], "width": [8, 8]}),
            "lanes_px.width",
        ),
        (
            json!({"x": [10, 20, 30, 40, 50, 60, 70, 80, 90], "width": 8, "lean_deg": 60}),
            "lanes_px.lean_deg",
        ),
        (
            json!({"x": [10, 20, 30, 40, 50, 60, 70, 80, 90000], "width": 8}),
            "lanes_px.x",
        ),
    ];
    for (stated, field) in cases {
        common::edit_manifest(&dir, |m| m["images"][0]["lanes_px"] = stated.clone());
        let error = blotquant::analyze(&dir, &Params::default())
            .err()
            .unwrap_or_else(|| panic!("{stated} accepted"))
            .to_string();
        assert!(error.contains(field), "{stated}: {error}");
    }
}
