//! `blotquant linearity` on the real two-fold dilution gel of `../shared/realdata`
//! (sdspage_standards_gelblotanalyzer.png: ladders in lanes 1 and 8, standards of 250–8000 ng
//! in lanes 2–7; the 8000 ng band is visibly overloaded). Skipped where the folder is absent.

mod common;

use std::path::Path;

use assert_cmd::Command;
use serde_json::{json, Value};

#[test]
fn the_real_dilution_gel_is_linear_below_the_overloaded_standard() {
    let Some(real) = standards_gel() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let exp = standards_experiment(tmp.path(), &real);
    let out = tmp.path().join("out");
    let output = Command::cargo_bin("blotquant")
        .unwrap()
        .arg("linearity")
        .arg(&exp)
        .arg("-o")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let fit = &report["fits"][0];
    println!("{}", serde_json::to_string_pretty(fit).unwrap());
    assert_eq!(fit["n"], json!(6), "all six standards measured");
    let top = fit["linear_to_ug"].as_f64().expect("a linear range");
    assert!(
        top < 8.0,
        "the 8000 ng standard must fall outside the linear range"
    );
    assert!(fit["linear_from_ug"].as_f64().unwrap() <= 0.5);
    let heaviest = report["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["load_ug"] == json!(8.0))
        .unwrap();
    assert_eq!(heaviest["in_linear_range"], json!(false));
    assert!(out.join("linearity.csv").is_file() && out.join("linearity_points.csv").is_file());
}

/// The standards' lanes are unevenly spaced (the first standard sits about 124 px from the
/// left ladder, the others about 150 px apart) and hold one band each. Each standard's band,
/// measured straight from the image (the middle of its half-height extent over its rows: the
/// bands are tilted, the 0.25 µg one reaches x 339 on the rows at its peak and x 349 four rows
/// lower), must be the middle of its lane's box at that row, within 2 % of the pitch (the
/// bound the synthetic blots' lane centres meet): a box off its band loses one flank and
/// takes in the gap on the other side.
#[test]
fn each_standard_lane_box_is_centred_on_its_band() {
    let Some(real) = standards_gel() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let exp = standards_experiment(tmp.path(), &real);
    let params = blotquant::Params::default();
    let plan = blotquant::manifest::load_plan(&exp, &params).unwrap();
    let analysis = blotquant::pipeline::analyze_image(
        &plan,
        &plan.images[0],
        &blotquant::pipeline::no_overlay,
    )
    .unwrap();
    // Dark bands on a light gel: darkness is the signal.
    let gray = image::open(&real).unwrap().to_luma8();
    let darkness = |x: usize, y: usize| 255.0 - f64::from(gray.get_pixel(x as u32, y as u32)[0]);
    let pitch = analysis.grid.pitch;
    let mut off_centre = Vec::new();
    let mut checked = 0;
    for band in analysis
        .bands
        .iter()
        .filter(|b| b.target.as_deref() == Some("standard protein"))
    {
        let lane = &analysis.grid.lanes[band.peak.lane - 1];
        let y = band.peak.y.round() as usize;
        let centre = lane.x_at(band.peak.y);
        let first = (centre - pitch / 2.0).max(0.0) as usize;
        let last = ((centre + pitch / 2.0) as usize).min(gray.width() as usize - 1);
        // The band's extent at half height on five rows around `row`: the run of columns
        // around its peak (within a quarter pitch of the lane's centre) at half its height
        // above the section's lowest.
        let extent = |row: usize| {
            let section: Vec<f64> = (first..=last)
                .map(|x| (row - 2..=row + 2).map(|r| darkness(x, r)).sum::<f64>() / 5.0)
                .collect();
            let low = section.iter().copied().fold(f64::INFINITY, f64::min);
            let near =
                (centre - pitch / 4.0) as usize - first..=(centre + pitch / 4.0) as usize - first;
            let peak = near
                .max_by(|&a, &b| section[a].total_cmp(&section[b]))
                .unwrap();
            let half = low + 0.5 * (section[peak] - low);
            let left = (0..=peak)
                .rev()
                .take_while(|&i| section[i] >= half)
                .last()
                .unwrap();
            let right = (peak..section.len())
                .take_while(|&i| section[i] >= half)
                .last()
                .unwrap();
            (first + left, first + right)
        };
        // A band tilted across its lane reaches further on some of its rows than on others: its
        // extent is the union of those around its peak row and a few rows above and below.
        let (left, right) = [y - 4, y, y + 4]
            .into_iter()
            .map(extent)
            .fold((usize::MAX, 0), |(l, r), (a, b)| (l.min(a), r.max(b)));
        let (start, end) = lane.columns_at(band.peak.y, gray.width() as usize);
        println!(
            "lane {}: band at half height x {left}–{right}, box x {start}–{}",
            lane.index,
            end - 1
        );
        let off = 0.5 * (start + end - 1) as f64 - 0.5 * (left + right) as f64;
        if off.abs() > 0.02 * pitch {
            off_centre.push(format!("lane {}: {off:+.1} px off its band", lane.index));
        }
        checked += 1;
    }
    assert_eq!(checked, 6, "all six standards measured");
    assert!(off_centre.is_empty(), "{off_centre:#?}");
}

/// The standards gel as an experiment in `dir`: ladders in lanes 1 and 8, standards of
/// 0.25–8 µg between them, the standard protein at 45–60 kDa.
fn standards_experiment(dir: &Path, real: &Path) -> std::path::PathBuf {
    let exp = dir.join("standards");
    std::fs::create_dir(&exp).unwrap();
    std::fs::copy(real, exp.join("gel.png")).unwrap();
    let loads = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0];
    let mut lanes = vec![json!("ladder")];
    lanes.extend(
        loads
            .iter()
            .map(|l| json!({"condition": "standard", "load_ug": l})),
    );
    lanes.push(json!("ladder"));
    let manifest = json!({
        "name": "standards",
        "control": "standard",
        "ladder": "precision-plus-dual",
        "lanes": lanes,
        "targets": {"standard protein": {"mw_kda": [45, 60]}},
        "images": [{"file": "gel.png", "targets": ["standard protein"]}],
    });
    std::fs::write(exp.join("experiment.json"), manifest.to_string()).unwrap();
    exp
}

/// The standards gel beside the repository, or `None` (saying so) where it is absent.
fn standards_gel() -> Option<std::path::PathBuf> {
    let real = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/realdata/sdspage_standards_gelblotanalyzer.png");
    if real.is_file() {
        Some(real)
    } else {
        common::skipped("../shared/realdata is absent");
        None
    }
}
