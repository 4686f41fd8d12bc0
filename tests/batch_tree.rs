//! A folder tree of 40 experiments with broken inputs mixed in: the batch goes on, reports
//! each failure with its file and cause, and its tables do not depend on threads or shards.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use blotquant::synth;

fn blotquant() -> Command {
    Command::cargo_bin("blotquant").unwrap()
}

const TABLES: [&str; 5] = [
    "lanes.csv",
    "bands.csv",
    "fold_change.csv",
    "summary.csv",
    "failures.csv",
];

/// 40 experiments in lab/week{1..5}/blot{1..8}; three with a corrupt image, one with a broken
/// manifest. Returns the root and, per broken experiment, the file name its error must name.
fn tree(tmp: &Path) -> (PathBuf, Vec<(String, &'static str)>) {
    let root = tmp.join("lab");
    let preset = synth::preset("standard").unwrap();
    for week in 1..=5 {
        for blot in 1..=8 {
            let seed = week * 100 + blot;
            let dir = root.join(format!("week{week}/blot{blot}"));
            synth::write_experiment(&dir, seed, &preset, &format!("w{week}b{blot}")).unwrap();
        }
    }
    let truncated = root.join("week1/blot3/nlrp3.tif");
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    std::fs::write(
        root.join("week2/blot5/actin.tif"),
        b"this is not an image at all",
    )
    .unwrap();
    std::fs::write(root.join("week4/blot1/il-1b.tif"), b"").unwrap();
    std::fs::write(
        root.join("week5/blot8/experiment.json"),
        "{\"name\": \"w5b8\", \"lanes\": [",
    )
    .unwrap();
    let broken = vec![
        ("week1/blot3".to_string(), "nlrp3.tif"),
        ("week2/blot5".to_string(), "actin.tif"),
        ("week4/blot1".to_string(), "il-1b.tif"),
        ("week5/blot8".to_string(), "experiment.json"),
    ];
    (root, broken)
}

fn batch(root: &Path, out: &Path, extra: &[&str]) -> String {
    let output = blotquant()
        .arg("batch")
        .arg(root)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "some failed: exit 1\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn tables(out: &Path) -> Vec<(String, String)> {
    TABLES
        .iter()
        .map(|f| {
            (
                f.to_string(),
                std::fs::read_to_string(out.join(f)).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn forty_experiments_with_four_broken_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, broken) = tree(tmp.path());

    let one = tmp.path().join("j1");
    let stderr = batch(&root, &one, &["-j", "1"]);
    let results: blotquant::Results =
        serde_json::from_str(&std::fs::read_to_string(one.join("results.json")).unwrap()).unwrap();
    assert_eq!(results.experiments.len(), 36, "36 experiments analyzed");
    assert_eq!(results.errors.len(), 4, "4 failure rows");
    let failures = std::fs::read_to_string(one.join("failures.csv")).unwrap();
    assert_eq!(failures.lines().count(), 5, "header and 4 rows");
    for (folder, file) in &broken {
        let row = results
            .errors
            .iter()
            .find(|e| e.experiment == *folder)
            .unwrap_or_else(|| panic!("no failure row for {folder}"));
        assert!(
            row.error.contains(file),
            "{folder}: the error names {file}: {}",
            row.error
        );
        assert!(
            stderr.contains(&format!("failed: {folder}")),
            "stderr names {folder}"
        );
    }
    // The 36 good experiments are all there, with every sample lane quantified.
    assert_eq!(
        results
            .fold_change
            .iter()
            .filter(|r| r.fold_change.is_some())
            .count(),
        36 * 8 * 5,
        "36 blots × 8 sample lanes × 5 targets"
    );

    let two = tmp.path().join("j2");
    batch(&root, &two, &["-j", "2"]);
    for ((file, a), (_, b)) in tables(&one).iter().zip(tables(&two)) {
        assert!(*a == b, "{file} differs between -j 1 and -j 2");
    }

    let s1 = tmp.path().join("s1");
    let s2 = tmp.path().join("s2");
    batch(&root, &s1, &["--shard", "1/2"]);
    batch(&root, &s2, &["--shard", "2/2"]);
    let merged = tmp.path().join("merged");
    blotquant()
        .arg("merge")
        .arg(s1.join("results.json"))
        .arg(s2.join("results.json"))
        .arg("-o")
        .arg(&merged)
        .assert()
        .code(1);
    for ((file, a), (_, b)) in tables(&one).iter().zip(tables(&merged)) {
        assert!(
            *a == b,
            "{file} differs between the unsharded run and merged shards"
        );
    }
}

/// Experiments are known by their folder below the batch root, so two folders whose
/// manifests share a name (`week1/exp1`, `week2/exp1`) stay two experiments in every table;
/// and `merge` takes an experiment given twice (the same results.json passed twice) once,
/// while the same identity with other results is refused, naming it.
#[test]
fn experiments_sharing_a_name_stay_apart_and_merge_counts_each_once() {
    let tmp = tempfile::tempdir().unwrap();
    let preset = blotquant::synth::preset("standard").unwrap();
    for (week, seed) in [("week1", 41), ("week2", 42)] {
        blotquant::synth::write_experiment(
            &tmp.path().join(week).join("exp1"),
            seed,
            &preset,
            "exp1",
        )
        .unwrap();
    }
    let params = blotquant::Params::default();
    let dirs = blotquant::batch::discover(tmp.path());
    let run = blotquant::batch::analyze_many(tmp.path(), &dirs, &params);
    let results = run.results;
    let identities: Vec<&str> = results
        .experiments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(identities, ["week1/exp1", "week2/exp1"]);
    assert!(results
        .experiments
        .iter()
        .all(|e| e.label.as_deref() == Some("exp1")));
    for identity in identities {
        assert_eq!(
            results
                .fold_change
                .iter()
                .filter(|r| r.experiment == identity)
                .count(),
            results.fold_change.len() / 2,
            "{identity}: half the rows"
        );
    }
    let lps = |results: &blotquant::Results| {
        results
            .summary
            .iter()
            .find(|r| r.target == "NLRP3" && r.condition == "LPS")
            .unwrap()
            .n
    };
    assert_eq!(lps(&results), 4, "two LPS lanes on each of two blots");

    let twice = blotquant::batch::merge(vec![results.clone(), results.clone()]).unwrap();
    assert_eq!(twice.fold_change, results.fold_change);
    assert_eq!(lps(&twice), 4);

    let mut other = results.clone();
    for row in other
        .fold_change
        .iter_mut()
        .filter(|r| r.experiment == "week2/exp1")
    {
        row.signal = row.signal.map(|s| s * 2.0);
    }
    let error = blotquant::batch::merge(vec![results, other]).unwrap_err();
    assert!(error.to_string().contains("week2/exp1"), "{error}");
}
