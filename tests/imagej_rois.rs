//! The ROI sets blotquant writes (`rois/<image>.zip`) against ImageJ itself: ImageJ 1.53t
//! (Debian's `imagej`, run headless under `xvfb-run`) opens each set, and `Measure` on every
//! band ROI gives a raw integrated density equal to that band's `volume` in bands.csv (the
//! sample's images have light bands, so no polarity is applied: volume is the sum of the
//! stored pixel values over the same pixels). Skipped, with a SKIPPED line, where ImageJ or
//! xvfb-run is absent.

mod common;

use std::path::Path;
use std::process::Command;

const IMAGEJ_JAR: &str = "/usr/share/java/ij.jar";

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
    let status = Command::new("timeout")
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
        .arg(&script)
        .output()
        .unwrap();
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

#[test]
fn imagej_measures_each_band_roi_to_the_band_s_volume() {
    let has = |program: &str| {
        Command::new("which")
            .arg(program)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !Path::new(IMAGEJ_JAR).exists() || !has("xvfb-run") || !has("java") {
        common::skipped(
            "imagej_measures_each_band_roi_to_the_band_s_volume: ImageJ or xvfb-run is not installed (apt-get install imagej xvfb)",
        );
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
