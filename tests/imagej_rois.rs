//! The ROI sets blotquant writes (`rois/<image>.zip`) against ImageJ itself: ImageJ 1.53t
//! (Debian's `imagej`, run headless under `xvfb-run`) opens each set, and `Measure` on every
//! band ROI gives a raw integrated density equal to that band's `volume` in bands.csv (the
//! sample's images have light bands, so no polarity is applied: volume is the sum of the
//! stored pixel values over the same pixels). Skipped, with a SKIPPED line, where ImageJ or
//! xvfb-run is absent.

mod common;

use std::path::Path;
use std::process::Command;

use blotquant::io::roi_set;
use serde_json::json;

const IMAGEJ_JAR: &str = "/usr/share/java/ij.jar";

/// Runs the macro `script` in ImageJ, headless (two minutes at most).
fn run_imagej(script: &Path) -> std::process::Output {
    Command::new("timeout")
        .args([
            "120",
            "xvfb-run",
            "-a",
            "java",
            "-cp",
            IMAGEJ_JAR,
            "ij.ImageJ",
            "-batch",
        ])
        .arg(script)
        .output()
        .unwrap()
}

/// ImageJ's measurement of every ROI of `zip` on `image`: (name, raw integrated density).
fn measure_in_imagej(image: &Path, zip: &Path, work: &Path) -> Vec<(String, f64)> {
    let table = work.join(format!(
        "{}.tsv",
        zip.file_stem().unwrap().to_string_lossy()
    ));
    let script = work.join("measure.ijm");
    std::fs::write(
        &script,
        format!(
            r#"setBatchMode(true);
open("{image}");
roiManager("reset");
roiManager("Open", "{zip}");
text = "";
for (i = 0; i < roiManager("count"); i++) {{
    roiManager("select", i);
    List.setMeasurements;
    text = text + Roi.getName + "\t" + d2s(List.getValue("RawIntDen"), 0) + "\n";
}}
File.saveString(text, "{table}");
"#,
            image = image.display(),
            zip = zip.display(),
            table = table.display()
        ),
    )
    .unwrap();
    let status = run_imagej(&script);
    let text = std::fs::read_to_string(&table).unwrap_or_else(|_| {
        panic!(
            "ImageJ wrote no table: {}",
            String::from_utf8_lossy(&status.stderr)
        )
    });
    text.lines()
        .map(|line| {
            let (name, value) = line.rsplit_once('\t').unwrap();
            (name.to_string(), value.parse().unwrap())
        })
        .collect()
}

/// True where ImageJ can run headless here; otherwise says SKIPPED for `test`.
fn imagej_present(test: &str) -> bool {
    let has = |program: &str| {
        Command::new("which")
            .arg(program)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let present = Path::new(IMAGEJ_JAR).exists() && has("xvfb-run") && has("java");
    if !present {
        common::skipped(&format!(
            "{test}: ImageJ or xvfb-run is not installed (apt-get install imagej xvfb)"
        ));
    }
    present
}

/// A copy of the sample's first blot in `dir`, analyzed, with its outputs in `dir/out`.
fn analyzed_sample(dir: &Path) -> (std::path::PathBuf, blotquant::Run) {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/amitriptyline-lps/rep1");
    let experiment = dir.join("rep1");
    std::fs::create_dir_all(&experiment).unwrap();
    for entry in std::fs::read_dir(&sample).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), experiment.join(entry.file_name())).unwrap();
    }
    let run = blotquant::analyze(&experiment, &blotquant::Params::default()).unwrap();
    blotquant::report::write_outputs(&dir.join("out"), &run.results, &run.overlays, &run.traces)
        .unwrap();
    (experiment, run)
}

/// The x centres of `image`'s lanes in a run.
fn centres(run: &blotquant::Run, image: &str) -> Vec<f64> {
    run.results
        .lanes
        .iter()
        .filter(|l| l.image == image)
        .map(|l| l.x_center_px)
        .collect()
}

/// Analyzes `experiment` with `image`'s lanes read from the ROI set `rois` (a path relative
/// to the experiment).
fn analyzed_with_rois(experiment: &Path, image: &str, rois: &str) -> blotquant::Run {
    common::edit_manifest(experiment, |m| {
        for entry in m["images"].as_array_mut().unwrap() {
            if entry["file"] == image {
                entry["rois"] = json!(rois);
            }
        }
    });
    blotquant::analyze(experiment, &blotquant::Params::default()).unwrap()
}

/// The ROI set a run wrote, given back as `rois` in the manifest, states the lanes where they
/// were (within half a pixel, the rounding of a ROI to whole pixels); a lane ROI moved in the
/// set moves that lane by as much, and the detection says the lanes came from the manifest.
#[test]
fn a_roi_set_given_back_states_the_lanes() {
    let dir = tempfile::tempdir().unwrap();
    let (experiment, run) = analyzed_sample(dir.path());
    let before = centres(&run, "actin.tif");
    let mut rois = roi_set::read_roi_set(&dir.path().join("out/rois/actin.zip")).unwrap();
    let lane_3 = rois
        .iter_mut()
        .find(|r| r.name.starts_with("lane 3 ("))
        .unwrap();
    lane_3.left += 6;
    lane_3.right += 6;
    std::fs::write(experiment.join("edited.zip"), roi_set::roi_set(&rois)).unwrap();
    let after_run = analyzed_with_rois(&experiment, "actin.tif", "edited.zip");
    let after = centres(&after_run, "actin.tif");
    assert_eq!(before.len(), after.len());
    for (lane, (b, a)) in before.iter().zip(&after).enumerate() {
        let moved = if lane == 2 { 6.0 } else { 0.0 };
        assert!(
            (a - b - moved).abs() <= 0.5,
            "lane {}: {b} -> {a}",
            lane + 1
        );
    }
    let detection = after_run
        .results
        .detection
        .iter()
        .find(|d| d.image == "actin.tif")
        .unwrap();
    assert_eq!(detection.reasons, "from-manifest");
    // The ROI set is an input: its checksum is recorded.
    assert!(after_run
        .results
        .inputs
        .iter()
        .any(|i| i.path.ends_with("edited.zip")));
}

/// A lane ROI moved in ImageJ itself (selected, moved 7 px right, the set saved from the ROI
/// Manager) is read back at its new place.
#[test]
fn a_roi_moved_in_imagej_is_read_back_at_its_new_place() {
    if !imagej_present("a_roi_moved_in_imagej_is_read_back_at_its_new_place") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (experiment, run) = analyzed_sample(dir.path());
    let before = centres(&run, "nlrp3.tif");
    let script = dir.path().join("move.ijm");
    std::fs::write(
        &script,
        format!(
            r#"setBatchMode(true);
open("{image}");
roiManager("reset");
roiManager("Open", "{zip}");
roiManager("select", 1);
getSelectionBounds(x, y, w, h);
setSelectionLocation(x + 7, y);
roiManager("update");
roiManager("deselect");
roiManager("save", "{saved}");
"#,
            image = experiment.join("nlrp3.tif").display(),
            zip = dir.path().join("out/rois/nlrp3.zip").display(),
            saved = experiment.join("moved.zip").display()
        ),
    )
    .unwrap();
    let output = run_imagej(&script);
    assert!(
        experiment.join("moved.zip").exists(),
        "ImageJ saved no ROI set: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = centres(
        &analyzed_with_rois(&experiment, "nlrp3.tif", "moved.zip"),
        "nlrp3.tif",
    );
    for (lane, (b, a)) in before.iter().zip(&after).enumerate() {
        let moved = if lane == 1 { 7.0 } else { 0.0 };
        assert!(
            (a - b - moved).abs() <= 0.5,
            "lane {}: {b} -> {a}",
            lane + 1
        );
    }
}

#[test]
fn imagej_measures_each_band_roi_to_the_band_s_volume() {
    if !imagej_present("imagej_measures_each_band_roi_to_the_band_s_volume") {
        return;
    }
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/amitriptyline-lps/rep1");
    let out = tempfile::tempdir().unwrap();
    let run = blotquant::analyze(&sample, &blotquant::Params::default()).unwrap();
    blotquant::report::write_outputs(out.path(), &run.results, &run.overlays, &run.traces).unwrap();
    let (mut bands_checked, mut largest_difference) = (0, 0.0f64);
    for detection in &run.results.detection {
        let stem = Path::new(&detection.image).with_extension("");
        let zip = out.path().join("rois").join(stem.with_extension("zip"));
        let measured = measure_in_imagej(&sample.join(&detection.image), &zip, out.path());
        let lanes = run
            .results
            .lanes
            .iter()
            .filter(|l| l.image == detection.image)
            .count();
        let bands: Vec<_> = run
            .results
            .bands
            .iter()
            .filter(|b| b.image == detection.image)
            .collect();
        assert_eq!(measured.len(), lanes + bands.len(), "{}", detection.image);
        for (band, (name, raw_int_den)) in bands.iter().zip(&measured[lanes..]) {
            assert!(
                name.starts_with(&format!("lane {} ·", band.lane)),
                "{name} for lane {}",
                band.lane
            );
            let difference = (band.volume - raw_int_den).abs();
            largest_difference = largest_difference.max(difference);
            assert!(
                difference == 0.0,
                "{} {name}: volume {} but ImageJ's RawIntDen {raw_int_den}",
                detection.image,
                band.volume
            );
            bands_checked += 1;
        }
    }
    println!(
        "ImageJ measured {bands_checked} band ROIs; largest |volume − RawIntDen| {largest_difference}"
    );
    assert!(bands_checked > 0);
}

/// A `rois` that names no ROI set, or one with another lane count, is a manifest error naming
/// the field.
#[test]
fn a_bad_roi_set_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let (experiment, _) = analyzed_sample(dir.path());
    common::edit_manifest(&experiment, |m| {
        m["images"][0]["rois"] = json!("missing.zip");
    });
    let Err(error) = blotquant::analyze(&experiment, &blotquant::Params::default()) else {
        panic!("a missing ROI set is refused");
    };
    let error = error.to_string();
    assert!(
        error.contains("images[0].rois") && error.contains("missing.zip"),
        "{error}"
    );
    let mut rois = roi_set::read_roi_set(&dir.path().join("out/rois/nlrp3.zip")).unwrap();
    rois.retain(|r| r.name != "lane 9 (LPS + AMI 10 µM)");
    std::fs::write(experiment.join("eight.zip"), roi_set::roi_set(&rois)).unwrap();
    common::edit_manifest(&experiment, |m| {
        m["images"][0]["rois"] = json!("eight.zip");
    });
    let Err(error) = blotquant::analyze(&experiment, &blotquant::Params::default()) else {
        panic!("a ROI set with a lane too few is refused");
    };
    let error = error.to_string();
    assert!(error.contains("8 lane ROIs for 9 lanes"), "{error}");
}
