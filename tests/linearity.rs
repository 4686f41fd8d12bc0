//! `blotquant linearity` on the real two-fold dilution gel of `../shared/realdata`
//! (sdspage_standards_gelblotanalyzer.png: ladders in lanes 1 and 8, standards of 250–8000 ng
//! in lanes 2–7; the 8000 ng band is visibly overloaded). Skipped where the folder is absent.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{json, Value};

#[test]
fn the_real_dilution_gel_is_linear_below_the_overloaded_standard() {
    let real = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/realdata/sdspage_standards_gelblotanalyzer.png");
    if !real.is_file() {
        eprintln!("skipped: ../shared/realdata is absent");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("standards");
    std::fs::create_dir(&exp).unwrap();
    std::fs::copy(&real, exp.join("gel.png")).unwrap();
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
