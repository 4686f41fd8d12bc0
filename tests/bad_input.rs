//! Bad input: every malformed file or manifest gives a clear error naming the file or field,
//! exit code 2 (a failure row and exit 1 in `batch`), no output files, inputs unchanged.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::json;

fn blotquant() -> Command {
    Command::cargo_bin("blotquant").unwrap()
}

/// `blotquant detect IMAGE -o OUT`, run to its end.
fn detect(image: &Path, out: &Path) -> std::process::Output {
    blotquant()
        .arg("detect")
        .arg(image)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

/// A fresh synthetic experiment in a temporary folder.
fn experiment() -> (tempfile::TempDir, PathBuf) {
    experiment_of("standard")
}

/// A fresh synthetic experiment of a `synth` preset in a temporary folder.
fn experiment_of(preset: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exp");
    blotquant::synth::write_experiment(&dir, 3, &blotquant::synth::preset(preset).unwrap(), "exp")
        .unwrap();
    (tmp, dir)
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            files.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    files
}

/// Runs `analyze` and checks exit 2, the message, no outputs and unchanged inputs.
fn assert_rejected(dir: &Path, expected_in_message: &[&str]) {
    let before = snapshot(dir);
    let out = dir.parent().unwrap().join("out");
    let assert = blotquant()
        .arg("analyze")
        .arg(dir)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for needle in expected_in_message {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists(), "no output may be written on bad input");
    assert_eq!(snapshot(dir), before, "inputs must stay unchanged");
}

/// A minimal uncompressed 8-bit grayscale TIFF with the given declared size and pixel bytes.
fn tiny_tiff(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    let entries: [(u16, u16, u32); 8] = [
        (256, 4, width),
        (257, 4, height),
        (258, 3, 8),
        (259, 3, 1),
        (262, 3, 1),
        (273, 4, 8 + 2 + 8 * 12 + 4),
        (278, 4, height.max(1)),
        (279, 4, pixels.len() as u32),
    ];
    let mut b = b"II*\0".to_vec();
    b.extend(8u32.to_le_bytes());
    b.extend((entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        b.extend(tag.to_le_bytes());
        b.extend(kind.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        if kind == 3 {
            b.extend((value as u16).to_le_bytes());
            b.extend([0, 0]);
        } else {
            b.extend(value.to_le_bytes());
        }
    }
    b.extend(0u32.to_le_bytes());
    b.extend(pixels);
    b
}

#[test]
fn missing_image_file() {
    let (_tmp, dir) = experiment();
    std::fs::remove_file(dir.join("nlrp3.tif")).unwrap();
    assert_rejected(&dir, &["experiment.json", "images[0].file", "nlrp3.tif"]);
}

#[test]
fn empty_image_file() {
    let (_tmp, dir) = experiment();
    std::fs::write(dir.join("nlrp3.tif"), b"").unwrap();
    assert_rejected(&dir, &["nlrp3.tif", "empty"]);
}

#[test]
fn truncated_tiff() {
    let (_tmp, dir) = experiment();
    let bytes = std::fs::read(dir.join("actin.tif")).unwrap();
    std::fs::write(dir.join("actin.tif"), &bytes[..bytes.len() / 3]).unwrap();
    assert_rejected(&dir, &["actin.tif"]);
}

#[test]
fn non_image_file() {
    let (_tmp, dir) = experiment();
    std::fs::write(dir.join("il-1b.tif"), b"these are notes, not an image\n").unwrap();
    assert_rejected(
        &dir,
        &["il-1b.tif", "not a TIFF, PNG, JPEG or Image Lab .scn"],
    );
}

#[test]
fn zero_by_zero_and_one_by_one_images() {
    for (w, h, pixels) in [(0u32, 0u32, vec![]), (1, 1, vec![7u8])] {
        let (_tmp, dir) = experiment();
        std::fs::write(dir.join("nlrp3.tif"), tiny_tiff(w, h, &pixels)).unwrap();
        assert_rejected(&dir, &["nlrp3.tif"]);
    }
}

#[test]
fn invalid_json_manifest() {
    let (_tmp, dir) = experiment();
    std::fs::write(
        dir.join("experiment.json"),
        "{\"name\": \"x\", \"lanes\": [",
    )
    .unwrap();
    assert_rejected(&dir, &["experiment.json", "invalid JSON"]);
}

#[test]
fn unknown_manifest_field() {
    let (_tmp, dir) = experiment();
    common::edit_manifest(&dir, |m| m["lane_count"] = json!(9));
    assert_rejected(&dir, &["experiment.json", "lane_count"]);
}

#[test]
fn lane_count_that_no_image_matches() {
    let (_tmp, dir) = experiment();
    common::edit_manifest(&dir, |m| {
        let lanes = m["lanes"].as_array_mut().unwrap();
        for _ in 0..6 {
            lanes.push(json!("LPS"));
        }
    });
    assert_rejected(&dir, &["experiment.json", "lanes"]);
}

#[test]
fn unknown_target_without_mw() {
    let (_tmp, dir) = experiment();
    common::edit_manifest(&dir, |m| m["images"][0]["targets"] = json!(["my-kinase"]));
    assert_rejected(&dir, &["images[0].targets[0]", "my-kinase", "mw_kda"]);
}

/// A misspelt built-in target is refused with the name it probably meant.
#[test]
fn misspelt_target_suggests_the_name_meant() {
    let (_tmp, dir) = experiment();
    common::edit_manifest(&dir, |m| m["images"][0]["targets"] = json!(["NRLP3"]));
    assert_rejected(
        &dir,
        &["images[0].targets[0]", "NRLP3", "did you mean \"NLRP3\""],
    );
}

/// A condition used in one lane only, one letter off another, is analyzed as written (it may
/// be meant) with a warning naming both; single lanes of doses that differ in a digit give
/// no such warning.
#[test]
fn a_condition_one_letter_off_another_is_warned_about() {
    let (_tmp, dir) = experiment();
    let mut original = String::new();
    common::edit_manifest(&dir, |m| {
        original = m["lanes"][1].as_str().unwrap().to_string();
        let typo: String = original.chars().filter(|&c| c != 'e').collect();
        m["lanes"][1] = json!(typo);
    });
    let run = blotquant::analyze(&dir, &blotquant::Params::default()).unwrap();
    assert!(
        run.results
            .warnings
            .iter()
            .any(|w| w.contains("a typo?") && w.contains(&format!("{original:?}"))),
        "{:#?}",
        run.results.warnings
    );
    // Doses differ in their numbers, not by typos: one lane each of 1 and 10 µM is no typo.
    let (_tmp, doses) = experiment();
    common::edit_manifest(&doses, |m| {
        m["lanes"][6] = json!("LPS + AMI 3 µM");
        m["lanes"][8] = json!("LPS + AMI 30 µM");
    });
    let run = blotquant::analyze(&doses, &blotquant::Params::default()).unwrap();
    assert!(
        !run.results.warnings.iter().any(|w| w.contains("a typo?")),
        "{:#?}",
        run.results.warnings
    );
}

#[test]
fn image_path_outside_the_experiment_folder() {
    let (_tmp, dir) = experiment();
    std::fs::copy(
        dir.join("nlrp3.tif"),
        dir.parent().unwrap().join("outside.tif"),
    )
    .unwrap();
    common::edit_manifest(&dir, |m| m["images"][0]["file"] = json!("../outside.tif"));
    assert_rejected(&dir, &["images[0].file", "inside the experiment folder"]);
}

#[test]
fn no_control_lanes() {
    let (_tmp, dir) = experiment();
    common::edit_manifest(&dir, |m| m["control"] = json!("vehicle"));
    assert_rejected(&dir, &["control", "vehicle", "untreated"]);
}

#[test]
fn unknown_ladder_name() {
    let (_tmp, dir) = experiment();
    common::edit_manifest(&dir, |m| m["ladder"] = json!("rainbow-9000"));
    assert_rejected(&dir, &["ladder", "rainbow-9000", "pageruler-prestained"]);
}

#[test]
fn batch_reports_a_broken_experiment_as_a_row_and_analyzes_the_rest() {
    let (tmp, dir) = experiment();
    let broken = tmp.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    for (path, bytes) in snapshot(&dir) {
        std::fs::write(broken.join(path.file_name().unwrap()), bytes).unwrap();
    }
    let bytes = std::fs::read(broken.join("actin.tif")).unwrap();
    std::fs::write(broken.join("actin.tif"), &bytes[..100]).unwrap();
    let out = tmp.path().join("results");
    let assert = blotquant()
        .arg("batch")
        .arg(tmp.path())
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("broken") && stderr.contains("actin.tif"),
        "{stderr}"
    );
    let failures = std::fs::read_to_string(out.join("failures.csv")).unwrap();
    assert_eq!(failures.lines().count(), 2, "{failures}");
    assert!(failures.contains("actin.tif"));
    let fold_change = std::fs::read_to_string(out.join("fold_change.csv")).unwrap();
    assert!(fold_change.lines().skip(1).all(|l| l.starts_with("exp,")));
    assert!(fold_change.lines().count() > 1);
}

/// Images without lanes: a uniform frame and pure Gaussian noise. `detect` must say that no
/// lanes stand out (exit 2, nothing written) rather than invent a grid.
#[test]
fn detect_refuses_images_without_lanes() {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let noise = Normal::new(1000.0f64, 30.0).unwrap();
    let blank =
        image::ImageBuffer::<image::Luma<u16>, _>::from_pixel(400, 300, image::Luma([1000]));
    let noisy = image::ImageBuffer::<image::Luma<u16>, _>::from_fn(400, 300, |_, _| {
        image::Luma([noise.sample(&mut rng).round() as u16])
    });
    for (name, img) in [("blank.png", blank), ("noise.png", noisy)] {
        let path = tmp.path().join(name);
        img.save(&path).unwrap();
        let out = tmp.path().join(format!("{name}-out"));
        let output = detect(&path, &out);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("no lanes stand out"), "{name}: {stderr}");
        assert!(
            stderr.contains(name),
            "{name}: the error names the file: {stderr}"
        );
        assert!(!out.exists(), "{name}: nothing written");
    }
}

/// Pure noise with a lane count stated has a grid, and its lanes are guesses: neither the
/// column profile nor the band search's blobs (noise passes its cuts in scattered pieces) show
/// them, so every seed's detection says `low-contrast`.
#[test]
fn a_stated_count_on_pure_noise_is_called_guesses() {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let tmp = tempfile::tempdir().unwrap();
    for seed in 0..4 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let noise = Normal::new(1000.0f64, 30.0).unwrap();
        let noisy = image::ImageBuffer::<image::Luma<u16>, _>::from_fn(400, 300, |_, _| {
            image::Luma([noise.sample(&mut rng).round() as u16])
        });
        let path = tmp.path().join(format!("noise-{seed}.png"));
        noisy.save(&path).unwrap();
        let out = tmp.path().join(format!("noise-{seed}-out"));
        let output = blotquant()
            .args(["detect", "--lanes", "6", "-o"])
            .arg(&out)
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "seed {seed}");
        let results: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap())
                .unwrap();
        let reasons = results["detection"][0]["reasons"].as_str().unwrap();
        assert!(reasons.contains("low-contrast"), "seed {seed}: {reasons}");
    }
}

/// An empty frame (a bright rectangle's outline on a dark, noisy surround, no membrane in it)
/// is refused, or its lanes come out flagged as guesses (low-contrast) in an experiment judged
/// unreliable: never a grid that looks like a result.
#[test]
fn an_empty_frame_is_refused_or_flagged_unreliable() {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let noise = Normal::new(200.0f64, 8.0).unwrap();
    let frame = image::ImageBuffer::<image::Luma<u16>, _>::from_fn(400, 300, |x, y| {
        let on_line = |v: u32, at: u32| v.abs_diff(at) <= 1;
        let inside_x = (20..=380).contains(&x);
        let inside_y = (20..=280).contains(&y);
        let line = (inside_y && (on_line(x, 20) || on_line(x, 380)))
            || (inside_x && (on_line(y, 20) || on_line(y, 280)));
        image::Luma([if line {
            60000
        } else {
            noise.sample(&mut rng).round() as u16
        }])
    });
    let path = tmp.path().join("frame.png");
    frame.save(&path).unwrap();
    let out = tmp.path().join("out");
    let output = detect(&path, &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(2) => {
            assert!(stderr.contains("frame.png"), "{stderr}");
            assert!(!out.exists());
        }
        Some(0) => {
            let results: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap())
                    .unwrap();
            let reasons = results["detection"][0]["reasons"].as_str().unwrap();
            assert!(reasons.contains("low-contrast"), "{reasons}");
            assert_eq!(
                results["experiments"][0]["quality"]["verdict"], "unreliable",
                "{results:#}"
            );
        }
        other => panic!("exit {other:?}: {stderr}"),
    }
}

/// A figure panel with nothing in its frame (a grey field without noise inside a white frame
/// line on black, as a placeholder or a failed export looks): no lanes, not a grid of them.
#[test]
fn a_noiseless_empty_panel_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let panel = image::GrayImage::from_fn(400, 300, |x, y| {
        let inside = |m: u32| (m..400 - m).contains(&x) && (m..300 - m).contains(&y);
        image::Luma([if inside(42) {
            180
        } else if inside(40) {
            255
        } else {
            0
        }])
    });
    let path = tmp.path().join("panel.png");
    panel.save(&path).unwrap();
    let out = tmp.path().join("out");
    let output = detect(&path, &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("panel.png") && stderr.contains("no lanes stand out"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// A marker image captured in another frame than the blots cannot take their lanes: the run
/// goes on without it and says why, naming the file and both sizes.
#[test]
fn marker_image_of_another_size_is_set_aside_with_a_warning() {
    let (tmp, dir) = experiment_of("marker");
    std::fs::write(dir.join("marker.tif"), tiny_tiff(40, 30, &[200; 1200])).unwrap();
    let out = tmp.path().join("out");
    let assert = blotquant()
        .args([
            "analyze",
            dir.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("marker.tif") && stderr.contains("40 × 30 px"),
        "{stderr}"
    );
}

/// A manifest's lane count on images whose lanes hardly stand out of the noise (nothing to
/// confirm or contradict it) is used as an even grid, with a warning to check the lanes on
/// the overlay.
#[test]
fn a_lane_count_the_images_cannot_confirm_is_used_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exp");
    let preset = blotquant::synth::Preset {
        brightness: 0.003,
        ..blotquant::synth::preset("standard").unwrap()
    };
    blotquant::synth::write_experiment(&dir, 3, &preset, "exp").unwrap();
    let run = blotquant::analyze(&dir, &blotquant::Params::default()).unwrap();
    let lanes: std::collections::BTreeSet<usize> =
        run.results.lanes.iter().map(|l| l.lane).collect();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("experiment.json")).unwrap()).unwrap();
    let stated = manifest["lanes"].as_array().unwrap().len();
    assert_eq!(lanes, (1..=stated).collect());
    assert!(
        run.results
            .warnings
            .iter()
            .any(|w| w.contains("`lanes` lists") && w.contains("check them on the overlay")),
        "{:?}",
        run.results.warnings
    );
}
