//! The command line against the contract: files, headers, `--json`, exit codes.

use assert_cmd::Command;

fn blotquant() -> Command {
    Command::cargo_bin("blotquant").unwrap()
}

#[test]
fn synth_then_analyze_writes_every_table_with_contract_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("exp");
    blotquant()
        .args(["synth", "--seed", "9"])
        .arg(&exp)
        .assert()
        .success();
    let out = tmp.path().join("out");
    blotquant()
        .arg("analyze")
        .arg(&exp)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    for (file, header) in [
        ("lanes.csv", blotquant::report::LANES_HEADER),
        ("bands.csv", blotquant::report::BANDS_HEADER),
        ("fold_change.csv", blotquant::report::FOLD_CHANGE_HEADER),
        ("summary.csv", blotquant::report::SUMMARY_HEADER),
    ] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert_eq!(text.lines().next().unwrap(), header.join(","), "{file}");
        assert!(text.lines().count() > 1, "{file} has rows");
    }
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    for key in ["version", "parameters", "inputs", "warnings", "errors"] {
        assert!(results.get(key).is_some(), "results.json lacks {key}");
    }
    assert_eq!(
        results["inputs"].as_array().unwrap().len(),
        5,
        "manifest and four images"
    );
    for image in ["nlrp3", "caspase-1", "il-1b", "actin"] {
        assert!(out.join("overlays").join(format!("{image}.png")).is_file());
    }
}

#[test]
fn json_flag_prints_only_json() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("exp");
    blotquant()
        .args(["synth", "--seed", "4"])
        .arg(&exp)
        .assert()
        .success();
    let output = blotquant()
        .arg("analyze")
        .arg(&exp)
        .arg("-o")
        .arg(tmp.path().join("out"))
        .arg("--json")
        .output()
        .unwrap();
    assert!(output.status.success());
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert!(parsed["fold_change"].as_array().unwrap().len() == 40);
}

#[test]
fn detect_estimates_the_lane_count_of_a_synthetic_blot() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("exp");
    blotquant()
        .args(["synth", "--seed", "12"])
        .arg(&exp)
        .assert()
        .success();
    let out = tmp.path().join("det");
    blotquant()
        .arg("detect")
        .arg(exp.join("actin.tif"))
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let lanes = std::fs::read_to_string(out.join("lanes.csv")).unwrap();
    assert_eq!(lanes.lines().count() - 1, 9, "{lanes}");
}

#[test]
fn usage_errors_exit_2() {
    blotquant()
        .args(["batch", "/nonexistent/folder"])
        .assert()
        .code(2);
    blotquant()
        .args(["synth", "/tmp/x", "--preset", "nope"])
        .assert()
        .code(2);
}
