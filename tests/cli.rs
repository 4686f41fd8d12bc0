//! The command line against the contract: files, headers, `--json`, exit codes.

mod common;

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

#[test]
fn synth_is_deterministic_for_a_seed() {
    let tmp = tempfile::tempdir().unwrap();
    for run in ["a", "b"] {
        blotquant()
            .args([
                "synth", "--seed", "21", "--preset", "hard", "--name", "same",
            ])
            .arg(tmp.path().join(run))
            .assert()
            .success();
    }
    for file in [
        "nlrp3.tif",
        "caspase-1.tif",
        "il-1b.tif",
        "actin.tif",
        "truth.json",
        "experiment.json",
    ] {
        let a = std::fs::read(tmp.path().join("a").join(file)).unwrap();
        let b = std::fs::read(tmp.path().join("b").join(file)).unwrap();
        assert!(a == b, "{file} differs between two runs with the same seed");
    }
    blotquant()
        .args(["synth", "--seed", "22", "--preset", "hard"])
        .arg(tmp.path().join("c"))
        .assert()
        .success();
    let a = std::fs::read(tmp.path().join("a/actin.tif")).unwrap();
    let c = std::fs::read(tmp.path().join("c/actin.tif")).unwrap();
    assert!(a != c, "another seed gives another blot");
}

#[test]
fn batch_results_are_identical_for_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in [31, 32, 33] {
        blotquant()
            .args(["synth", "--seed", &seed.to_string()])
            .arg(tmp.path().join(format!("in/e{seed}")))
            .assert()
            .success();
    }
    for jobs in ["1", "2"] {
        blotquant()
            .arg("batch")
            .arg(tmp.path().join("in"))
            .args(["-j", jobs, "-o"])
            .arg(tmp.path().join(format!("out{jobs}")))
            .assert()
            .success();
    }
    for file in ["lanes.csv", "bands.csv", "fold_change.csv", "summary.csv"] {
        let one = std::fs::read(tmp.path().join("out1").join(file)).unwrap();
        let two = std::fs::read(tmp.path().join("out2").join(file)).unwrap();
        assert!(one == two, "{file} differs between -j 1 and -j 2");
    }
}

#[test]
fn analyze_accepts_a_lone_image_and_writes_beside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("exp");
    blotquant()
        .args(["synth", "--seed", "8"])
        .arg(&exp)
        .assert()
        .success();
    blotquant()
        .arg("analyze")
        .arg(exp.join("actin.tif"))
        .assert()
        .success();
    let out = exp.join("actin-blotquant");
    let lanes = std::fs::read_to_string(out.join("lanes.csv")).unwrap();
    assert_eq!(lanes.lines().count() - 1, 9);
    assert!(out.join("overlays/actin.png").is_file());
}

#[test]
fn shards_merged_equal_the_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in [41, 42, 43, 44, 45] {
        blotquant()
            .args(["synth", "--seed", &seed.to_string()])
            .arg(tmp.path().join(format!("in/e{seed}")))
            .assert()
            .success();
    }
    let input = tmp.path().join("in");
    let batch = |out: &str, shard: Option<&str>| {
        let mut cmd = blotquant();
        cmd.arg("batch")
            .arg(&input)
            .arg("-o")
            .arg(tmp.path().join(out));
        if let Some(shard) = shard {
            cmd.args(["--shard", shard]);
        }
        cmd.assert().success();
    };
    batch("all", None);
    batch("s1", Some("1/2"));
    batch("s2", Some("2/2"));
    blotquant()
        .arg("merge")
        .arg(tmp.path().join("s2/results.json"))
        .arg(tmp.path().join("s1/results.json"))
        .arg("-o")
        .arg(tmp.path().join("merged"))
        .assert()
        .success();
    let shard_rows = std::fs::read_to_string(tmp.path().join("s1/fold_change.csv"))
        .unwrap()
        .lines()
        .count();
    let all_rows = std::fs::read_to_string(tmp.path().join("all/fold_change.csv"))
        .unwrap()
        .lines()
        .count();
    assert!(
        shard_rows < all_rows,
        "a shard holds part of the experiments"
    );
    for file in ["lanes.csv", "bands.csv", "fold_change.csv", "summary.csv"] {
        let all = std::fs::read_to_string(tmp.path().join("all").join(file)).unwrap();
        let merged = std::fs::read_to_string(tmp.path().join("merged").join(file)).unwrap();
        assert!(
            all == merged,
            "{file} differs between the unsharded run and the merged shards"
        );
    }
}

#[test]
fn merge_refuses_runs_with_different_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    blotquant()
        .args(["synth", "--seed", "3"])
        .arg(tmp.path().join("a/e"))
        .assert()
        .success();
    blotquant()
        .args(["synth", "--seed", "4"])
        .arg(tmp.path().join("b/e"))
        .assert()
        .success();
    blotquant()
        .arg("batch")
        .arg(tmp.path().join("a"))
        .arg("-o")
        .arg(tmp.path().join("ra"))
        .assert()
        .success();
    std::fs::write(
        tmp.path().join("p.json"),
        r#"{"background": {"border_px": 2}}"#,
    )
    .unwrap();
    blotquant()
        .arg("batch")
        .arg(tmp.path().join("b"))
        .arg("-o")
        .arg(tmp.path().join("rb"))
        .arg("--params")
        .arg(tmp.path().join("p.json"))
        .assert()
        .success();
    let assert = blotquant()
        .arg("merge")
        .arg(tmp.path().join("ra/results.json"))
        .arg(tmp.path().join("rb/results.json"))
        .arg("-o")
        .arg(tmp.path().join("m"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("parameters"), "{stderr}");
    assert!(!tmp.path().join("m").exists());
}

#[test]
fn init_writes_a_starter_manifest_with_the_detected_lane_count_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("exp");
    blotquant()
        .args(["synth", "--seed", "6"])
        .arg(&exp)
        .assert()
        .success();
    let fresh = tmp.path().join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    for image in ["nlrp3.tif", "actin.tif"] {
        std::fs::copy(exp.join(image), fresh.join(image)).unwrap();
    }
    blotquant().arg("init").arg(&fresh).assert().success();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fresh.join("experiment.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["lanes"].as_array().unwrap().len(),
        9,
        "the synthetic blot has 9 lanes"
    );
    assert_eq!(manifest["images"].as_array().unwrap().len(), 2);
    let before = std::fs::read(fresh.join("experiment.json")).unwrap();
    blotquant().arg("init").arg(&fresh).assert().code(2);
    assert_eq!(
        std::fs::read(fresh.join("experiment.json")).unwrap(),
        before
    );
}

/// `init` on the sample's images: the ladder lane found (lane 1, as the sample's manifest
/// has it), the ladder, loading control and targets those of the sample's manifest, each
/// image's `lanes_px` within 2 % of the pitch of the lanes `analyze` places with the sample's
/// own manifest; the starter runs unchanged, and with the conditions filled in (names, not
/// pixels) gives the sample's fold changes within 2 % (the lanes counted without a manifest
/// come out a pixel narrower on one image).
#[test]
fn init_states_the_lanes_and_the_ladder_lane_of_the_sample() {
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/amitriptyline-lps/rep1");
    let tmp = tempfile::tempdir().unwrap();
    let fresh = tmp.path().join("fresh");
    std::fs::create_dir(&fresh).unwrap();
    for image in ["nlrp3.tif", "caspase-1.tif", "il-1b.tif", "actin.tif"] {
        std::fs::copy(sample.join(image), fresh.join(image)).unwrap();
    }
    blotquant().arg("init").arg(&fresh).assert().success();
    let path = fresh.join("experiment.json");
    let mut starter: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ours: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sample.join("experiment.json")).unwrap())
            .unwrap();
    assert_eq!(starter["lanes"][0], "ladder");
    let reference = blotquant::analyze(&sample, &blotquant::Params::default()).unwrap();
    for entry in starter["images"].as_array().unwrap() {
        let image = entry["file"].as_str().unwrap();
        let placed: Vec<f64> = reference
            .results
            .lanes
            .iter()
            .filter(|l| l.image == image)
            .map(|l| l.x_center_px)
            .collect();
        let pitch = (placed[placed.len() - 1] - placed[0]) / (placed.len() - 1) as f64;
        let stated: Vec<f64> = entry["lanes_px"]["x"]
            .as_array()
            .unwrap_or_else(|| panic!("{image}: no lanes_px"))
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(stated.len(), placed.len(), "{image}");
        for (s, p) in stated.iter().zip(&placed) {
            assert!(
                (s - p).abs() <= 0.02 * pitch,
                "{image}: lane at {s} against {p}"
            );
        }
    }
    // The ladder, loading control and each image's targets as the sample's manifest has
    // them: told by MW on the identified ladder, among the targets the file names.
    for key in ["ladder", "loading_control"] {
        assert_eq!(starter[key], ours[key], "{key}");
    }
    for entry in starter["images"].as_array().unwrap() {
        let theirs = ours["images"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["file"] == entry["file"])
            .unwrap();
        assert_eq!(entry["targets"], theirs["targets"], "{}", entry["file"]);
    }
    // It runs unchanged (each lane a condition of its own) ...
    blotquant::analyze(&fresh, &blotquant::Params::default()).unwrap();
    // ... and with the person's part filled in, conditions and control, gives the sample's
    // fold changes.
    for key in ["lanes", "control"] {
        starter[key] = ours[key].clone();
    }
    std::fs::write(&path, serde_json::to_string_pretty(&starter).unwrap()).unwrap();
    let run = blotquant::analyze(&fresh, &blotquant::Params::default()).unwrap();
    assert_eq!(
        run.results.fold_change.len(),
        reference.results.fold_change.len()
    );
    for a in &run.results.fold_change {
        let b = reference
            .results
            .fold_change
            .iter()
            .find(|b| b.target == a.target && b.lane == a.lane)
            .unwrap();
        let (x, y) = (a.fold_change.unwrap(), b.fold_change.unwrap());
        assert!(
            (x / y - 1.0).abs() < 0.02,
            "{} lane {}: {x} vs {y}",
            a.target,
            a.lane
        );
    }
}

/// `detect --manifest-out` writes a starter manifest for the one image (its lanes as
/// `lanes_px`, the ladder lane marked), which runs once its placeholders are filled in; it never
/// overwrites a manifest, and refuses one outside the image's folder before any work.
#[test]
fn detect_writes_a_starter_manifest_for_its_image() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("exp");
    blotquant()
        .args(["synth", "--seed", "8"])
        .arg(&exp)
        .assert()
        .success();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(exp.join("experiment.json")).unwrap())
            .unwrap();
    let one = tmp.path().join("one");
    std::fs::create_dir(&one).unwrap();
    std::fs::copy(exp.join("nlrp3.tif"), one.join("nlrp3.tif")).unwrap();
    let manifest = one.join("experiment.json");
    blotquant()
        .arg("detect")
        .arg(one.join("nlrp3.tif"))
        .arg("-o")
        .arg(tmp.path().join("out"))
        .arg("--manifest-out")
        .arg(&manifest)
        .assert()
        .success();
    let mut starter: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    assert_eq!(starter["images"][0]["file"], "nlrp3.tif");
    assert_eq!(starter["lanes"][0], "ladder");
    let stated = starter["images"][0]["lanes_px"]["x"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(stated, truth["lanes"].as_array().unwrap().len());

    let before = std::fs::read(&manifest).unwrap();
    let again = tmp.path().join("again");
    blotquant()
        .arg("detect")
        .arg(one.join("nlrp3.tif"))
        .arg("-o")
        .arg(&again)
        .arg("--manifest-out")
        .arg(&manifest)
        .assert()
        .code(2);
    assert_eq!(std::fs::read(&manifest).unwrap(), before);
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    blotquant()
        .arg("detect")
        .arg(one.join("nlrp3.tif"))
        .arg("-o")
        .arg(&again)
        .arg("--manifest-out")
        .arg(elsewhere.join("experiment.json"))
        .assert()
        .code(2);
    assert!(!again.exists(), "refused before any work");

    for key in ["lanes", "control", "loading_control", "ladder"] {
        starter[key] = truth[key].clone();
    }
    starter["images"][0]["targets"] = serde_json::json!(["NLRP3"]);
    starter["loading_control"] = serde_json::Value::Null;
    std::fs::write(&manifest, serde_json::to_string_pretty(&starter).unwrap()).unwrap();
    let run = blotquant::analyze(&one, &blotquant::Params::default()).unwrap();
    assert!(run
        .results
        .fold_change
        .iter()
        .all(|r| r.fold_change.is_some()));
    assert_eq!(run.results.detection[0].reasons, "from-manifest");
}

/// Checks a JSON value against the subset of JSON Schema that `schema/results.schema.json`
/// uses (type, const, required, properties, additionalProperties: false, items; not pattern).
fn conforms(value: &serde_json::Value, schema: &serde_json::Value, at: &str) -> Result<(), String> {
    use serde_json::Value;
    if let Some(c) = schema.get("const") {
        return if value == c {
            Ok(())
        } else {
            Err(format!("{at}: expected {c}"))
        };
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_u64() || value.is_i64(),
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            _ => false,
        });
        if !ok {
            return Err(format!("{at}: {value} is not {types:?}"));
        }
    }
    if let (Some(props), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = key.as_str().unwrap();
            if !object.contains_key(key) {
                return Err(format!("{at}: missing {key}"));
            }
        }
        for (key, v) in object {
            match props.get(key) {
                Some(sub) => conforms(v, sub, &format!("{at}.{key}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: {key} is not in the schema"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            conforms(v, items, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[test]
fn results_json_follows_its_published_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("exp");
    blotquant()
        .args(["synth", "--seed", "10"])
        .arg(&exp)
        .assert()
        .success();
    let broken = tmp.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("experiment.json"), "{").unwrap();
    blotquant()
        .arg("batch")
        .arg(tmp.path())
        .arg("-o")
        .arg(tmp.path().join("out"))
        .assert()
        .code(1);
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("out/results.json")).unwrap(),
    )
    .unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/results.schema.json")).unwrap();
    conforms(&results, &schema, "results").unwrap();
    assert!(
        !results["errors"].as_array().unwrap().is_empty(),
        "the broken experiment is an error row"
    );
    assert!(results["bands"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["apparent_mw_kda"].is_number()));
}

#[test]
fn a_rerun_reuses_unchanged_experiments_and_recomputes_changed_ones() {
    let tmp = tempfile::tempdir().unwrap();
    for seed in [51, 52] {
        blotquant()
            .args(["synth", "--seed", &seed.to_string()])
            .arg(tmp.path().join(format!("in/e{seed}")))
            .assert()
            .success();
    }
    let out = tmp.path().join("out");
    let batch = |extra: &[&str]| {
        let output = blotquant()
            .arg("batch")
            .arg(tmp.path().join("in"))
            .arg("-o")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success());
        let results: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
        let reused: Vec<bool> = results["experiments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["reused"].as_bool().unwrap())
            .collect();
        let tables: Vec<Vec<u8>> = ["lanes.csv", "bands.csv", "fold_change.csv", "summary.csv"]
            .iter()
            .map(|f| std::fs::read(out.join(f)).unwrap())
            .collect();
        (String::from_utf8(output.stderr).unwrap(), reused, tables)
    };
    let (_, reused, first) = batch(&[]);
    assert_eq!(reused, [false, false]);

    let (stderr, reused, again) = batch(&[]);
    assert_eq!(reused, [true, true]);
    assert!(stderr.contains("2 of 2 experiments unchanged"), "{stderr}");
    assert!(again == first, "reused tables equal the computed ones");

    // One pixel of one image changes: that experiment alone is analyzed again.
    let image = tmp.path().join("in/e52/actin.tif");
    let mut bytes = std::fs::read(&image).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&image, bytes).unwrap();
    let (_, reused, _) = batch(&[]);
    assert_eq!(reused, [true, false]);

    let (stderr, reused, _) = batch(&["--force"]);
    assert_eq!(reused, [false, false]);
    assert!(!stderr.contains("unchanged"), "{stderr}");

    // Other parameters are another analysis.
    let params = tmp.path().join("params.json");
    std::fs::write(&params, r#"{"background": {"border_px": 3}}"#).unwrap();
    let (_, reused, _) = batch(&["--params", params.to_str().unwrap()]);
    assert_eq!(reused, [false, false]);

    // Another build of the program (here a copy of it: another file) recomputes, since code
    // changes between releases keep the version number; the same build reuses again.
    let program = tmp.path().join("blotquant-other-build");
    std::fs::copy(assert_cmd::cargo::cargo_bin("blotquant"), &program).unwrap();
    let other_build = || {
        let output = Command::new(&program)
            .arg("batch")
            .arg(tmp.path().join("in"))
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert!(output.status.success());
        let results: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
        results["experiments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["reused"].as_bool().unwrap())
            .collect::<Vec<bool>>()
    };
    let (_, reused, _) = batch(&[]);
    assert_eq!(
        reused,
        [false, false],
        "default parameters again after --params"
    );
    assert_eq!(other_build(), [false, false]);
    assert_eq!(other_build(), [true, true]);
}

/// A reader that stops early (`batch --json | head -c 100`) closes the pipe: blotquant ends
/// quietly with the run's own exit code, no panic (exit 101 before). The JSON of the bundled
/// sample is ~200 kB, far more than a pipe holds, so the pipe is closed while it writes.
#[test]
fn a_closed_stdout_pipe_ends_the_run_quietly() {
    use std::io::Read;
    let tmp = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/amitriptyline-lps");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("blotquant"))
        .arg("batch")
        .arg(&sample)
        .arg("-o")
        .arg(tmp.path().join("out"))
        .arg("--json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here, closing the pipe.
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(first.starts_with(b"{"));
}

/// An output folder that cannot be written (here: a file stands in its path) is an error
/// before any analysis: exit 2, the folder named, nothing written, instead of a run that ends
/// unable to write its results (exit 1 before).
#[test]
fn an_output_folder_that_cannot_be_written_is_refused_before_any_analysis() {
    let (tmp, exp) = synthetic_experiment();
    let file = tmp.path().join("taken");
    std::fs::write(&file, "not a folder").unwrap();
    let out = file.join("results");
    let output = analyze_into(&exp, &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&out.display().to_string()) && stderr.contains("-o"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");
}

/// `detect` takes `--params` and `--json` as `analyze` does, and prints the run's warnings on
/// stderr (here a JPEG's lossy-format warning); `--json` prints results.json with the params.
#[test]
fn detect_takes_params_and_json_and_prints_its_warnings() {
    let realdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/realdata/wb_doublet_3lanes_facuperezt.jpg");
    if !realdata.exists() {
        common::skipped(&format!("{} is absent", realdata.display()));
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let params = tmp.path().join("params.json");
    std::fs::write(&params, r#"{"background": {"radius_px": 30.0}}"#).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_blotquant"))
        .arg("detect")
        .arg(&realdata)
        .arg("--params")
        .arg(&params)
        .arg("--json")
        .arg("-o")
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: ") && stderr.contains("JPEG is lossy"),
        "{stderr}"
    );
    let results: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        results["parameters"]["background"]["radius_px"], 30.0,
        "{}",
        results["parameters"]
    );
    assert_eq!(results["detection"][0]["lanes"], 3);
}

/// A failure while the outputs are written leaves no half set: here `overlays` is a file, so
/// the overlays cannot be written after the tables could; no table, results.json or report
/// appears, the file in the way is untouched, and the run exits 1 naming the path.
#[test]
fn a_failure_while_writing_leaves_no_half_set_of_outputs() {
    let (tmp, exp) = synthetic_experiment();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("overlays"), "in the way").unwrap();
    let output = analyze_into(&exp, &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("overlays"), "{stderr}");
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != ".cache")
        .collect();
    left.sort();
    assert_eq!(left, ["overlays"], "only the file in the way is left");
    assert_eq!(
        std::fs::read_to_string(out.join("overlays")).unwrap(),
        "in the way"
    );
}

/// A synthetic experiment (`synth --seed 3`) in a temporary folder.
fn synthetic_experiment() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let exp = tmp.path().join("exp");
    blotquant()
        .args(["synth", "--seed", "3"])
        .arg(&exp)
        .assert()
        .success();
    (tmp, exp)
}

/// `blotquant analyze EXP -o OUT`, run to its end.
fn analyze_into(exp: &std::path::Path, out: &std::path::Path) -> std::process::Output {
    blotquant()
        .arg("analyze")
        .arg(exp)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}
