//! Runs: one experiment or many in parallel. A failed experiment becomes a failure row; the
//! others are still analyzed. Tables of all experiments are combined and summarized together.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::cache::Cache;
use crate::error::Result;
use crate::manifest::{self, Plan, MANIFEST};
use crate::params::Params;
use crate::pipeline;
use crate::quant::{self, Flag};
use crate::report::overlay;
use crate::results::{ExperimentInfo, ExperimentResult, Failure, ImageTraces, Results};

/// The outcome of a run: the results, the overlay PNGs (path under `overlays/`, bytes) and the
/// lane profiles of every image (for the report).
#[derive(Debug, Clone)]
pub struct Run {
    /// The tables, warnings and failures, as `results.json` holds them.
    pub results: Results,
    /// Overlay PNGs: path under `overlays/` (the experiment's folder in a batch, then
    /// `<image>.png`) and the PNG bytes.
    pub overlays: Vec<(PathBuf, Vec<u8>)>,
    /// Each image's overlay preview and lane profiles, for `report.html`.
    pub traces: Vec<ImageTraces>,
}

/// Analyzes one experiment folder, manifest or lone image. Any error aborts the run.
pub fn analyze(input: &Path, params: &Params) -> Result<Run> {
    analyze_cached(input, params, None)
}

/// [`analyze`], reusing the last run's results from `cache` when nothing changed (and
/// storing them there when something did).
pub fn analyze_cached(input: &Path, params: &Params, cache: Option<&Cache>) -> Result<Run> {
    let plan = manifest::load_plan(input, params)?;
    analyze_planned(&plan, cache)
}

/// Analyzes the experiment of a ready plan (e.g. a lone image with a given lane count).
pub fn analyze_planned(plan: &Plan, cache: Option<&Cache>) -> Result<Run> {
    let result = analyze_plan(plan, cache, Path::new(""))?;
    Ok(run_of(
        vec![(PathBuf::new(), result)],
        Vec::new(),
        &plan.params,
    ))
}

/// One experiment with its input checksums: from the cache when its key matches (overlays
/// read from `overlays/` + `folder`), else analyzed and stored in the cache. A cache that
/// cannot be written costs only the reuse next time: the result stands.
fn analyze_plan(plan: &Plan, cache: Option<&Cache>, folder: &Path) -> Result<ExperimentResult> {
    let Some(cache) = cache else {
        // Nothing to look up: the checksums are computed while the experiment is analyzed.
        let (inputs, result) = rayon::join(
            || plan.input_files(),
            || pipeline::analyze_experiment(plan, &overlay::render),
        );
        let inputs = inputs?;
        let mut result = result?;
        result.inputs = inputs;
        return Ok(result);
    };
    let inputs = plan.input_files()?;
    let key = Cache::key(plan, &inputs);
    if let Some(hit) = cache.load(plan, &key, &cache.overlay_dir().join(folder)) {
        return Ok(hit);
    }
    let mut result = pipeline::analyze_experiment(plan, &overlay::render)?;
    result.inputs = inputs;
    if let Err(e) = cache.store(plan, &key, &result) {
        result.warnings.push(format!(
            "results not cached, a re-run will recompute them: {e}"
        ));
    }
    Ok(result)
}

/// Every experiment folder (holding `experiment.json`) at or below `root`, sorted.
pub fn discover(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if dir.join(MANIFEST).is_file() {
            found.push(dir.clone());
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if path.is_dir() && !hidden && !path.ends_with("blotquant-results") {
                stack.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Keeps the experiments of shard `k` of `n` (1-based): every n-th in sorted order.
pub fn shard(experiments: Vec<PathBuf>, k: usize, n: usize) -> Vec<PathBuf> {
    experiments
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % n == k - 1)
        .map(|(_, p)| p)
        .collect()
}

/// Analyzes many experiment folders in parallel; `root` names overlay subfolders.
pub fn analyze_many(root: &Path, dirs: &[PathBuf], params: &Params) -> Run {
    analyze_many_with_progress(root, dirs, params, None, &|| {})
}

/// [`analyze_many`] with a cache of the last run, calling `done` after each experiment (for a
/// progress display).
pub fn analyze_many_with_progress(
    root: &Path,
    dirs: &[PathBuf],
    params: &Params,
    cache: Option<&Cache>,
    done: &(dyn Fn() + Sync),
) -> Run {
    let outcomes: Vec<(PathBuf, PathBuf, Result<ExperimentResult>)> = dirs
        .par_iter()
        .map(|dir| {
            let folder = folder_name(root, dir);
            let outcome = manifest::load_plan(dir, params)
                .and_then(|plan| analyze_plan(&plan, cache, &folder));
            done();
            (dir.clone(), folder, outcome)
        })
        .collect();
    let mut experiments = Vec::new();
    let mut failures = Vec::new();
    for (dir, folder, outcome) in outcomes {
        match outcome {
            Ok(mut result) => {
                result.folder = folder.display().to_string();
                identify_by_folder(&mut result);
                experiments.push((folder, result));
            }
            Err(e) => failures.push(Failure {
                experiment: folder.display().to_string(),
                path: dir.display().to_string(),
                error: e.to_string(),
            }),
        }
    }
    run_of(experiments, failures, params)
}

/// An experiment's folder relative to the batch root (its own name when it is the root).
fn folder_name(root: &Path, dir: &Path) -> PathBuf {
    let folder = dir.strip_prefix(root).unwrap_or(dir).to_path_buf();
    if folder.as_os_str().is_empty() {
        PathBuf::from(dir.file_name().unwrap_or_default())
    } else {
        folder
    }
}

/// Makes an experiment's folder (relative to the batch root) its identity in every table,
/// keeping the manifest's name as its label: names may repeat across a batch's folders
/// (`week1/exp1`, `week2/exp1`), and rows of two experiments must never share one.
fn identify_by_folder(result: &mut ExperimentResult) {
    let identity = result.folder.clone();
    if result.name == identity {
        return;
    }
    result.label = Some(std::mem::replace(&mut result.name, identity.clone()));
    let rows = result.lanes.iter_mut().map(|r| &mut r.experiment);
    let rows = rows.chain(result.bands.iter_mut().map(|r| &mut r.experiment));
    let rows = rows.chain(result.fold_change.iter_mut().map(|r| &mut r.experiment));
    let rows = rows.chain(result.detection.iter_mut().map(|r| &mut r.experiment));
    let rows = rows.chain(result.traces.iter_mut().map(|r| &mut r.experiment));
    for experiment in rows {
        experiment.clone_from(&identity);
    }
}

/// The run of analyzed experiments (each with the folder its overlays go to) and failures.
fn run_of(
    experiments: Vec<(PathBuf, ExperimentResult)>,
    failures: Vec<Failure>,
    params: &Params,
) -> Run {
    let mut overlays = Vec::new();
    let mut traces = Vec::new();
    let mut results = Vec::new();
    for (folder, mut result) in experiments {
        for (stem, png) in std::mem::take(&mut result.overlays) {
            overlays.push((folder.join(format!("{stem}.png")), png));
        }
        for image in &result.traces {
            let mut image = image.clone();
            image.overlay = folder.join(&image.overlay).display().to_string();
            traces.push(image);
        }
        results.push(result);
    }
    Run {
        results: assemble(results, failures, params),
        overlays,
        traces,
    }
}

/// Combines experiments into one set of tables and computes the pooled summary.
pub fn assemble(
    experiments: Vec<ExperimentResult>,
    failures: Vec<Failure>,
    params: &Params,
) -> Results {
    let designs: BTreeMap<String, quant::Design> = experiments
        .iter()
        .filter_map(|e| {
            let control = e.control.clone()?;
            let design = quant::Design {
                control,
                replicate: e.replicate,
            };
            Some((e.name.clone(), design))
        })
        .collect();
    let mut results = Results {
        schema_version: crate::results::SCHEMA_VERSION,
        version: env!("CARGO_PKG_VERSION").to_string(),
        parameters: serde_json::to_value(params).expect("params serialize"),
        methods: crate::report::methods::methods_text(
            params,
            &crate::report::methods::StepsRun::of(&experiments, &designs),
        ),
        inputs: Vec::new(),
        experiments: Vec::new(),
        warnings: Vec::new(),
        errors: failures,
        lanes: Vec::new(),
        bands: Vec::new(),
        fold_change: Vec::new(),
        summary: Vec::new(),
        detection: Vec::new(),
    };
    for e in experiments {
        results.experiments.push(ExperimentInfo {
            name: e.name.clone(),
            folder: e.folder.clone(),
            label: e.label.clone(),
            control: e.control.clone(),
            replicate: e.replicate,
            reused: e.reused,
            quality: crate::quality::judge(&e.fold_change, &e.detection),
        });
        results.inputs.extend(e.inputs);
        results
            .warnings
            .extend(e.warnings.into_iter().map(|w| format!("{}: {w}", e.name)));
        results.lanes.extend(e.lanes);
        results.detection.extend(e.detection);
        results.bands.extend(e.bands);
        results.fold_change.extend(e.fold_change);
    }
    results.summary = quant::summarize(&results.fold_change, &designs, &params.quant);
    results
        .warnings
        .extend(saturation_warning(&results, params));
    results.warnings.extend(mixed_units_warning(&designs));
    results
}

/// A warning where the run's experiments count replicates differently: `summary.csv` then
/// pools lanes of some with blots of others.
fn mixed_units_warning(designs: &BTreeMap<String, quant::Design>) -> Option<String> {
    let mut by_unit: BTreeMap<quant::ReplicateUnit, Vec<&str>> = BTreeMap::new();
    for (name, design) in designs {
        by_unit.entry(design.replicate).or_default().push(name);
    }
    (by_unit.len() > 1).then(|| {
        let listed: Vec<String> = by_unit
            .iter()
            .map(|(unit, names)| format!("{} ({})", unit.as_str(), names.join(", ")))
            .collect();
        format!(
            "the experiments count replicates differently: {}; summary.csv pools each as it states, so n mixes units; give every experiment the same `replicate` in its manifest",
            listed.join("; ")
        )
    })
}

/// Why runs cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No run was given.
    #[error("nothing to merge")]
    Nothing,
    /// A run's `results.json` has another layout than this version reads.
    #[error("input {input} has results.json layout {found} but this blotquant reads layout {expected}; re-run it with this version")]
    Layout {
        /// 1-based position of the run among the inputs.
        input: usize,
        /// Its layout version.
        found: u32,
        /// The layout this version reads.
        expected: u32,
    },
    /// A run was analyzed with other parameters than the first.
    #[error("input {input} was analyzed with other parameters than input 1; merge only runs with identical parameters")]
    Parameters {
        /// 1-based position of the run among the inputs.
        input: usize,
    },
    /// The runs' parameters do not read as parameters of this version.
    #[error("parameters: {0}")]
    UnreadableParameters(String),
    /// One experiment appears in two runs with different results.
    #[error("experiment {experiment} appears in inputs {first} and {second} with different results; merge each experiment's results once")]
    Twice {
        /// The experiment's identity.
        experiment: String,
        /// 1-based positions of the two runs among the inputs.
        first: usize,
        /// See `first`.
        second: usize,
    },
}

/// Pools the results of several runs (shards of one batch, or separately analyzed blots) as
/// if they had been one run: experiments in folder order, summary recomputed. The runs must
/// share their parameters; an experiment folder may appear in one run only.
pub fn merge(runs: Vec<Results>) -> Result<Results, MergeError> {
    let Some(first) = runs.first() else {
        return Err(MergeError::Nothing);
    };
    if let Some(other) = runs
        .iter()
        .position(|r| r.schema_version != crate::results::SCHEMA_VERSION)
    {
        return Err(MergeError::Layout {
            input: other + 1,
            found: runs[other].schema_version,
            expected: crate::results::SCHEMA_VERSION,
        });
    }
    let parameters = first.parameters.clone();
    if let Some(other) = runs.iter().position(|r| r.parameters != parameters) {
        return Err(MergeError::Parameters { input: other + 1 });
    }
    let params: Params = serde_json::from_value(parameters)
        .map_err(|e| MergeError::UnreadableParameters(e.to_string()))?;
    // (the experiment, the input it came from)
    let mut experiments: Vec<(ExperimentResult, usize)> = Vec::new();
    let mut failures = Vec::new();
    let mut inputs = Vec::new();
    for (position, run) in runs.into_iter().enumerate() {
        for info in &run.experiments {
            let experiment = experiment_of(&run, info);
            // The same experiment given twice (one results.json passed twice, or a shard
            // merged with the whole) counts once; the same identity with other results is
            // two experiments that cannot both enter one table.
            match experiments.iter().find(|(e, _)| e.name == experiment.name) {
                Some((seen, _)) if same_results(seen, &experiment) => continue,
                Some((_, first)) => {
                    return Err(MergeError::Twice {
                        experiment: experiment.name,
                        first: first + 1,
                        second: position + 1,
                    })
                }
                None => experiments.push((experiment, position)),
            }
        }
        failures.extend(run.errors);
        inputs.extend(run.inputs);
    }
    let mut experiments: Vec<ExperimentResult> = experiments.into_iter().map(|(e, _)| e).collect();
    experiments.sort_by(|a, b| a.folder.cmp(&b.folder));
    failures.sort_by(|a, b| a.path.cmp(&b.path));
    failures.dedup();
    inputs.sort_by(|a, b| a.path.cmp(&b.path));
    inputs.dedup();
    let mut merged = assemble(experiments, failures, &params);
    merged.inputs = inputs;
    Ok(merged)
}

/// True where two experiments of the same identity hold the same tables.
fn same_results(a: &ExperimentResult, b: &ExperimentResult) -> bool {
    a.lanes == b.lanes
        && a.bands == b.bands
        && a.fold_change == b.fold_change
        && a.detection == b.detection
}

/// One experiment's rows and warnings taken back out of a run's results.
fn experiment_of(run: &Results, info: &ExperimentInfo) -> ExperimentResult {
    let of = |name: &str| name == info.name;
    let prefix = format!("{}: ", info.name);
    ExperimentResult {
        name: info.name.clone(),
        label: info.label.clone(),
        folder: info.folder.clone(),
        control: info.control.clone(),
        replicate: info.replicate,
        lanes: run
            .lanes
            .iter()
            .filter(|r| of(&r.experiment))
            .cloned()
            .collect(),
        bands: run
            .bands
            .iter()
            .filter(|r| of(&r.experiment))
            .cloned()
            .collect(),
        fold_change: run
            .fold_change
            .iter()
            .filter(|r| of(&r.experiment))
            .cloned()
            .collect(),
        detection: run
            .detection
            .iter()
            .filter(|r| of(&r.experiment))
            .cloned()
            .collect(),
        inputs: Vec::new(),
        reused: info.reused,
        traces: Vec::new(),
        warnings: run
            .warnings
            .iter()
            .filter_map(|w| w.strip_prefix(&prefix).map(str::to_string))
            .collect(),
        overlays: Vec::new(),
    }
}

/// One line that says how many values are saturated and what happens to them.
fn saturation_warning(results: &Results, params: &Params) -> Option<String> {
    let saturated: Vec<String> = results
        .fold_change
        .iter()
        .filter(|r| {
            r.flags.contains(Flag::Saturated) || r.flags.contains(Flag::NormalizerSaturated)
        })
        .map(|r| format!("{} {} lane {}", r.experiment, r.target, r.lane))
        .collect();
    if saturated.is_empty() {
        return None;
    }
    let fate = if params.quant.allow_saturated {
        "kept in summary.csv (--allow-saturated)"
    } else {
        "left out of summary.csv"
    };
    Some(format!(
        "{} values have saturated pixels in the target or loading-control band ({}): {fate}; image with a shorter exposure to quantify them",
        saturated.len(),
        saturated.join(", ")
    ))
}
