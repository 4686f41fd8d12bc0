//! One function per subcommand: each reads its arguments, calls the library, and says what
//! it wrote. The work itself is the library's.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use blotquant::cache::Cache;
use blotquant::manifest::{self, LaneSpec};
use blotquant::quant::linearity;
use blotquant::{batch, pipeline, report, synth, Params};

use super::args::RunArgs;
use super::{check_output, default_output, finish, load_params, print_stdout, usage, Failure};

/// `analyze`: one experiment folder, manifest or image.
pub fn analyze(input: Option<PathBuf>, run: RunArgs, print_params: bool) -> Result<u8, Failure> {
    let params = load_params(run.params.as_deref(), run.allow_saturated)?;
    if print_params {
        let mut text = serde_json::to_string_pretty(&params).expect("params serialize");
        text.push('\n');
        print_stdout(&text);
        return Ok(0);
    }
    let input = input
        .ok_or_else(|| usage("analyze needs an INPUT (experiment folder, manifest or image)"))?;
    let out = run.output.unwrap_or_else(|| default_output(&input));
    check_output(&out)?;
    let cache = Cache::in_output(&out).forced(run.force);
    let result = batch::analyze_cached(&input, &params, Some(&cache))?;
    finish(&out, &result, run.json, run.fail_on_unreliable)
}

/// `batch`: every experiment folder below the roots, in parallel, with a progress bar where a
/// person watches (stderr is a terminal).
pub fn batch(
    roots: &[PathBuf],
    run: RunArgs,
    jobs: Option<usize>,
    shard: Option<(usize, usize)>,
) -> Result<u8, Failure> {
    let params = load_params(run.params.as_deref(), run.allow_saturated)?;
    let mut dirs = Vec::new();
    for root in roots {
        if !root.is_dir() {
            return Err(usage(format!("{}: not a folder", root.display())));
        }
        dirs.extend(batch::discover(root));
    }
    if dirs.is_empty() {
        return Err(usage(
            "no experiment folder (holding experiment.json) below the given roots",
        ));
    }
    if let Some((k, n)) = shard {
        dirs = batch::shard(dirs, k, n);
    }
    let out = run
        .output
        .unwrap_or_else(|| roots[0].join("blotquant-results"));
    check_output(&out)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| usage(format!("cannot start {jobs:?} threads: {e}")))?;
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(dirs.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let cache = Cache::in_output(&out).forced(run.force);
    let result = pool.install(|| {
        batch::analyze_many_with_progress(&roots[0], &dirs, &params, Some(&cache), &|| bar.inc(1))
    });
    bar.finish_and_clear();
    for failure in &result.results.errors {
        eprintln!("failed: {}: {}", failure.experiment, failure.error);
    }
    finish(&out, &result, run.json, run.fail_on_unreliable)
}

/// `detect`: lanes and bands of one image, no manifest; `lanes` fixes the count.
pub fn detect(
    image: &Path,
    lanes: Option<usize>,
    output: Option<PathBuf>,
    params: Option<&Path>,
    json: bool,
    manifest_out: Option<&Path>,
) -> Result<u8, Failure> {
    let params = load_params(params, false)?;
    // The manifest names the image relative to its own folder: checked before any work.
    let manifest_target = manifest_out
        .map(|path| manifest_target(path, image))
        .transpose()?;
    let mut plan = manifest::lone_image_plan(image, &params);
    if let Some(n) = lanes {
        if n == 0 {
            return Err(usage("--lanes must be at least 1"));
        }
        plan.lanes = (1..=n).map(LaneSpec::unnamed).collect();
    }
    let out = output.unwrap_or_else(|| default_output(image));
    check_output(&out)?;
    let run = batch::analyze_planned(&plan, None)?;
    report::write_outputs(&out, &run.results, &run.overlays, &run.traces)?;
    for warning in &run.results.warnings {
        eprintln!("warning: {warning}");
    }
    if json {
        let mut text = serde_json::to_string_pretty(&run.results).expect("results serialize");
        text.push('\n');
        print_stdout(&text);
    }
    eprintln!(
        "{}: {} lanes, {} bands; wrote {}",
        image.display(),
        run.results.lanes.len(),
        run.results.bands.len(),
        out.display()
    );
    if let Some((path, file)) = manifest_target {
        let name = image
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let starter = blotquant::init::starter_manifest_for_image(
            &name,
            &file,
            &run.results.lanes,
            &run.results.bands,
        );
        let mut text = serde_json::to_string_pretty(&starter).expect("JSON serializes");
        text.push('\n');
        blotquant::io::atomic::write_atomic(&path, text.as_bytes())?;
        eprintln!(
            "wrote {}: fill in the conditions of the lanes, `control`, `loading_control`, the ladder and the image's targets",
            path.display()
        );
    }
    Ok(0)
}

/// Where `detect --manifest-out` writes (`path`) and how that manifest names `image`: its path
/// relative to the manifest's folder. A manifest that exists already, or one outside the
/// image's folder and those above it, is refused.
fn manifest_target(path: &Path, image: &Path) -> Result<(PathBuf, String), Failure> {
    if path.exists() {
        return Err(usage(format!(
            "{}: already exists; --manifest-out never overwrites a manifest",
            path.display()
        )));
    }
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let folder = absolute(path.parent().unwrap_or(Path::new(".")));
    let relative = absolute(image)
        .strip_prefix(&folder)
        .map(|r| r.to_string_lossy().replace('\\', "/"))
        .map_err(|_| {
            usage(format!(
                "{}: a manifest names its images relative to its own folder, so it must lie in the folder of {} or above it",
                path.display(),
                image.display()
            ))
        })?;
    Ok((path.to_path_buf(), relative))
}

/// `init`: a starter manifest beside the images; never overwrites one.
pub fn init(dir: &Path) -> Result<u8, Failure> {
    let manifest = dir.join(manifest::MANIFEST);
    if manifest.exists() {
        return Err(usage(format!(
            "{}: already exists; init never overwrites a manifest",
            manifest.display()
        )));
    }
    let starter = blotquant::init::starter_manifest(dir, &Params::default())?;
    let mut text = serde_json::to_string_pretty(&starter).expect("JSON serializes");
    text.push('\n');
    blotquant::io::atomic::write_atomic(&manifest, text.as_bytes())?;
    eprintln!(
        "wrote {}: name the conditions of the lanes and `control`; check the ladder, `loading_control` and each image's targets, and fill in any left as placeholders",
        manifest.display()
    );
    Ok(0)
}

/// `merge`: pools the results.json of several runs into one set of tables.
pub fn merge(inputs: &[PathBuf], output: &Path, json: bool) -> Result<u8, Failure> {
    check_output(output)?;
    let mut runs = Vec::new();
    for path in inputs {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("{}: cannot read: {e}", path.display())))?;
        let run: blotquant::Results = serde_json::from_str(&text).map_err(|e| {
            usage(format!(
                "{}: not a blotquant results.json ({e}); pass the results.json files of batch or analyze runs",
                path.display()
            ))
        })?;
        runs.push(run);
    }
    let results = batch::merge(runs).map_err(|e| usage(e.to_string()))?;
    let run = blotquant::Run {
        results,
        overlays: Vec::new(),
        traces: Vec::new(),
    };
    finish(output, &run, json, false)
}

/// `linearity`: the linear range of a dilution series (lanes with `load_ug`), per target.
pub fn linearity(
    input: &Path,
    output: Option<PathBuf>,
    params: Option<&Path>,
    json: bool,
) -> Result<u8, Failure> {
    let params = load_params(params, false)?;
    let plan = manifest::load_plan(input, &params)?;
    let out = output.unwrap_or_else(|| default_output(input));
    check_output(&out)?;
    let loads: Vec<(usize, f64)> = plan
        .lanes
        .iter()
        .filter_map(|l| l.load_ug.map(|load| (l.index, load)))
        .collect();
    if loads.len() < 3 {
        return Err(usage(format!(
            "{}: linearity needs at least 3 lanes with \"load_ug\" in `lanes`",
            input.display()
        )));
    }
    let result = pipeline::analyze_experiment(&plan, &pipeline::no_overlay)?;
    let tolerance = plan.params.quant.linearity_tolerance;
    let (fits, points) = linearity::analyze(&result.fold_change, &loads, tolerance);
    let ranges = linearity::signal_ranges(&fits);
    let text = report::write_linearity(&out, &fits, &points, &ranges)?;
    if json {
        print_stdout(&format!("{text}\n"));
    } else {
        print_stdout(&report::linearity_table(&fits, &points, &ranges));
    }
    eprintln!("results written to {}", out.display());
    Ok(0)
}

/// `synth`: a synthetic experiment with its ground truth, into an empty folder.
pub fn synth(
    out_dir: &Path,
    seed: u64,
    preset: &str,
    name: Option<String>,
    size: (usize, usize),
) -> Result<u8, Failure> {
    let preset = synth::preset(preset).ok_or_else(|| {
        let names: Vec<&str> = synth::presets().iter().map(|p| p.name).collect();
        usage(format!(
            "unknown preset {preset:?}; use one of {}",
            names.join(", ")
        ))
    })?;
    let name = name.unwrap_or_else(|| {
        out_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "synthetic".into())
    });
    if out_dir.join(manifest::MANIFEST).exists() {
        return Err(usage(format!(
            "{}: already holds an experiment.json; choose an empty folder",
            out_dir.display()
        )));
    }
    let frame = synth::Frame {
        width: size.0,
        height: size.1,
    };
    synth::write_experiment_framed(out_dir, seed, &preset, &name, frame)?;
    eprintln!(
        "wrote synthetic experiment {name:?} (seed {seed}, preset {}) to {}",
        preset.name,
        out_dir.display()
    );
    Ok(0)
}
