//! The `blotquant` command line: a thin adapter over the library. Exit codes: 0 everything
//! analyzed; 1 the run finished but some inputs failed; 2 usage or manifest error.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Each image allocates and frees several arrays of megabytes; the system allocator hands them
// back to the kernel every time and faults them in again, which cost ~15 % of a batch's time.
// mimalloc is built without transparent huge pages (Cargo.toml: libmimalloc-sys `no_thp`): a
// process of ours touches its memory about once, and on virtual machines that return idle
// memory to the host, a fresh 2 MB page costs more than 512 fresh 4 kB ones. Measured side by
// side, one command after another with a pause between: `background` on 4096×3072 59 vs 79 ms,
// `detect` on 2048×1536 136 vs 251 ms, the sample batch 184 vs 272 ms (median process times).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use blotquant::cache::Cache;
use blotquant::{batch, experiment, linearity, report, synth, Params};

#[derive(Parser)]
#[command(
    name = "blotquant",
    version,
    about = "Western blot densitometry: lanes, bands, background, MW, normalization, fold change"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyze one experiment: a folder holding experiment.json, a manifest file, or one image.
    Analyze {
        /// Experiment folder, manifest file or image.
        input: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
        /// Print the default parameters as JSON and exit.
        #[arg(long)]
        print_params: bool,
    },
    /// Analyze every experiment folder below the given roots, in parallel.
    Batch {
        #[arg(required = true)]
        roots: Vec<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
        /// Worker threads (default: all cores).
        #[arg(short = 'j', long)]
        jobs: Option<usize>,
        /// Analyze only shard K of N (1-based), e.g. 1/2.
        #[arg(long, value_parser = parse_shard)]
        shard: Option<(usize, usize)>,
    },
    /// Lanes and bands of one image, with an overlay; no manifest needed.
    Detect {
        image: PathBuf,
        /// Number of lanes (default: estimated).
        #[arg(long)]
        lanes: Option<usize>,
        /// Output folder (default: <image stem>-blotquant beside the image).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Write a starter experiment.json for the images in DIR (lane count detected, conditions
    /// and targets left for you to fill in); never overwrites an existing one.
    Init { dir: PathBuf },
    /// Pool the results.json of several runs (shards, or separately analyzed blots) into one
    /// set of tables and one summary.
    Merge {
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output folder.
        #[arg(short, long)]
        output: PathBuf,
        /// Print the merged results JSON on stdout (and nothing else).
        #[arg(long)]
        json: bool,
    },
    /// Background subtraction of one 8- or 16-bit grayscale image, as ImageJ's
    /// Process › Subtract Background (same options, same result).
    Background {
        input: PathBuf,
        /// Output image (.tif/.tiff or .png), same bit depth as the input.
        output: PathBuf,
        /// Rolling ball radius in pixels.
        #[arg(long, default_value_t = 50.0)]
        radius: f64,
        /// Bands are dark on a light background.
        #[arg(long)]
        light_background: bool,
        /// Sliding paraboloid instead of rolling ball.
        #[arg(long)]
        sliding_paraboloid: bool,
        /// No 3×3 mean smoothing before the background is computed.
        #[arg(long)]
        disable_smoothing: bool,
        /// Write the background instead of subtracting it.
        #[arg(long)]
        create_background: bool,
    },
    /// Linear range of a dilution series: signal against the lanes' `load_ug`, per target.
    Linearity {
        /// Experiment folder or manifest whose lanes carry `load_ug`.
        input: PathBuf,
        /// Output folder (default: <experiment folder>/blotquant-results).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// JSON file of parameter overrides.
        #[arg(long)]
        params: Option<PathBuf>,
        /// Print the fits and points as JSON on stdout (and nothing else).
        #[arg(long)]
        json: bool,
    },
    /// Write a synthetic experiment with ground truth (images, experiment.json, truth.json).
    Synth {
        out_dir: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// standard, clean, hard, saturated, actin-varies, smile, tilt, uneven, faint, doublet,
        /// film, bubbles, marker, membranes, crescent, slant or edge-lines.
        #[arg(long, default_value = "standard")]
        preset: String,
        /// Experiment name in the manifest (default: the folder's name).
        #[arg(long)]
        name: Option<String>,
        /// Image size WIDTHxHEIGHT; the blot's layout scales with it.
        #[arg(long, default_value = "528x420", value_parser = parse_size)]
        size: (usize, usize),
    },
}

/// Options shared by `analyze` and `batch`.
#[derive(clap::Args)]
struct RunArgs {
    /// Output folder (default: <experiment folder>/blotquant-results; for batch, below the
    /// first root; for an image, <image stem>-blotquant beside it).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// JSON file of parameter overrides.
    #[arg(long)]
    params: Option<PathBuf>,
    /// Print the full results JSON on stdout (and nothing else).
    #[arg(long)]
    json: bool,
    /// Keep saturated values in summary.csv.
    #[arg(long)]
    allow_saturated: bool,
    /// Recompute experiments even when nothing changed since the last run into the output
    /// folder (by default their results are reused).
    #[arg(long)]
    force: bool,
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s.split_once('/').ok_or("expected K/N, e.g. 1/2")?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| "K must be a number")?,
        n.trim().parse().map_err(|_| "N must be a number")?,
    );
    if n == 0 || k == 0 || k > n {
        return Err("need 1 <= K <= N".into());
    }
    Ok((k, n))
}

fn parse_size(s: &str) -> Result<(usize, usize), String> {
    let (w, h) = s
        .split_once('x')
        .ok_or("expected WIDTHxHEIGHT, e.g. 2048x1536")?;
    let (w, h): (usize, usize) = (
        w.trim().parse().map_err(|_| "WIDTH must be a number")?,
        h.trim().parse().map_err(|_| "HEIGHT must be a number")?,
    );
    // Below half the default size lanes and bands get too thin to be a blot.
    if !(264..=16384).contains(&w) || !(210..=16384).contains(&h) {
        return Err("WIDTH must be 264–16384 and HEIGHT 210–16384".into());
    }
    Ok((w, h))
}

/// A failure and the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

impl From<blotquant::Error> for Failure {
    fn from(e: blotquant::Error) -> Self {
        Failure {
            code: if e.is_input_error() { 2 } else { 1 },
            message: e.to_string(),
        }
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run(command: Command) -> Result<u8, Failure> {
    match command {
        Command::Analyze {
            input,
            run,
            print_params,
        } => {
            let params = load_params(run.params.as_deref(), run.allow_saturated)?;
            if print_params {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&params).expect("params serialize")
                );
                return Ok(0);
            }
            let input = input.ok_or_else(|| {
                usage("analyze needs an INPUT (experiment folder, manifest or image)")
            })?;
            let out = run.output.unwrap_or_else(|| default_output(&input));
            let cache = Cache::in_output(&out).forced(run.force);
            let result = batch::analyze_cached(&input, &params, Some(&cache))?;
            finish(&out, &result, run.json)
        }
        Command::Batch {
            roots,
            run,
            jobs,
            shard,
        } => {
            let params = load_params(run.params.as_deref(), run.allow_saturated)?;
            let mut dirs = Vec::new();
            for root in &roots {
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
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(jobs.unwrap_or(0))
                .build()
                .map_err(|e| usage(format!("cannot start {jobs:?} threads: {e}")))?;
            // A progress bar only where a person watches: stderr is a terminal.
            let bar = if std::io::stderr().is_terminal() {
                indicatif::ProgressBar::new(dirs.len() as u64)
            } else {
                indicatif::ProgressBar::hidden()
            };
            let cache = Cache::in_output(&out).forced(run.force);
            let result = pool.install(|| {
                batch::analyze_many_with_progress(&roots[0], &dirs, &params, Some(&cache), &|| {
                    bar.inc(1)
                })
            });
            bar.finish_and_clear();
            for failure in &result.results.errors {
                eprintln!("failed: {}: {}", failure.experiment, failure.error);
            }
            finish(&out, &result, run.json)
        }
        Command::Detect {
            image,
            lanes,
            output,
        } => {
            let params = Params::default();
            let mut plan = experiment::lone_image_plan(&image, &params);
            if let Some(n) = lanes {
                if n == 0 {
                    return Err(usage("--lanes must be at least 1"));
                }
                plan.lanes = (1..=n)
                    .map(|index| experiment::LaneSpec {
                        index,
                        condition: Some(String::new()),
                        sample: None,
                        load_ug: None,
                    })
                    .collect();
            }
            let run = batch::analyze_planned(&plan, None)?;
            let out = output.unwrap_or_else(|| default_output(&image));
            report::write_outputs(&out, &run.results, &run.overlays, &run.traces)?;
            let n_lanes = run.results.lanes.len();
            eprintln!(
                "{}: {} lanes, {} bands; wrote {}",
                image.display(),
                n_lanes,
                run.results.bands.len(),
                out.display()
            );
            Ok(0)
        }
        Command::Init { dir } => {
            let manifest = dir.join(experiment::MANIFEST);
            if manifest.exists() {
                return Err(usage(format!(
                    "{}: already exists; init never overwrites a manifest",
                    manifest.display()
                )));
            }
            let starter = blotquant::init::starter_manifest(&dir, &Params::default())?;
            let mut text = serde_json::to_string_pretty(&starter).expect("JSON serializes");
            text.push('\n');
            blotquant::io::atomic::write_atomic(&manifest, text.as_bytes())?;
            eprintln!(
                "wrote {}: fill in the conditions of the lanes, `control`, `loading_control`, the ladder and each image's targets",
                manifest.display()
            );
            Ok(0)
        }
        Command::Merge {
            inputs,
            output,
            json,
        } => {
            let mut runs = Vec::new();
            for path in &inputs {
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
            let results = batch::merge(runs).map_err(usage)?;
            let run = blotquant::Run {
                results,
                overlays: Vec::new(),
                traces: Vec::new(),
            };
            finish(&output, &run, json)
        }
        Command::Background {
            input,
            output,
            radius,
            light_background,
            sliding_paraboloid,
            disable_smoothing,
            create_background,
        } => {
            let options = blotquant::background::ImageJOptions {
                radius,
                light_background,
                sliding_paraboloid,
                disable_smoothing,
                create_background,
            };
            subtract_background_file(&input, &output, &options)?;
            Ok(0)
        }
        Command::Linearity {
            input,
            output,
            params,
            json,
        } => {
            let params = load_params(params.as_deref(), false)?;
            let plan = experiment::load_plan(&input, &params)?;
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
            let result =
                blotquant::pipeline::analyze_experiment(&plan, &blotquant::pipeline::no_overlay)?;
            let tolerance = plan.params.quant.linearity_tolerance;
            let (fits, points) = linearity::analyze(&result.fold_change, &loads, tolerance);
            let out = output.unwrap_or_else(|| default_output(&input));
            let ranges: serde_json::Map<String, serde_json::Value> = fits
                .iter()
                .filter_map(|f| {
                    Some((
                        f.target.clone(),
                        serde_json::json!([f.signal_low?, f.signal_high?]),
                    ))
                })
                .collect();
            let report = serde_json::json!({
                "fits": fits,
                "points": points,
                "params": {"quant": {"linear_range": ranges}},
            });
            let fits_csv = report::to_csv(&fits, report::LINEARITY_HEADER);
            let points_csv = report::to_csv(&points, report::LINEARITY_POINTS_HEADER);
            blotquant::io::atomic::write_atomic(&out.join("linearity.csv"), fits_csv.as_bytes())?;
            blotquant::io::atomic::write_atomic(
                &out.join("linearity_points.csv"),
                points_csv.as_bytes(),
            )?;
            let text = serde_json::to_string_pretty(&report).expect("report serializes");
            blotquant::io::atomic::write_atomic(&out.join("linearity.json"), text.as_bytes())?;
            if json {
                println!("{text}");
            } else {
                for f in &fits {
                    let range = match (f.linear_from_ug, f.linear_to_ug) {
                        (Some(a), Some(b)) => format!("linear from {a} to {b} µg"),
                        _ => "no linear range of 3 or more loads".into(),
                    };
                    println!(
                        "{}: {range}; through origin R² {:.4}, with intercept R² {:.4}",
                        f.target, f.r2_through_origin, f.r2
                    );
                }
                for p in points.iter().filter(|p| !p.in_linear_range) {
                    println!("  lane {} ({} µg): outside-linear-range", p.lane, p.load_ug);
                }
                println!(
                    "to flag bands outside this range in analyze: --params with {}",
                    serde_json::json!({"quant": {"linear_range": ranges}})
                );
            }
            eprintln!("results written to {}", out.display());
            Ok(0)
        }
        Command::Synth {
            out_dir,
            seed,
            preset,
            name,
            size,
        } => {
            let preset = synth::preset(&preset).ok_or_else(|| {
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
            if out_dir.join(experiment::MANIFEST).exists() {
                return Err(usage(format!(
                    "{}: already holds an experiment.json; choose an empty folder",
                    out_dir.display()
                )));
            }
            let frame = synth::Frame {
                width: size.0,
                height: size.1,
            };
            synth::write_experiment_framed(&out_dir, seed, &preset, &name, frame)?;
            eprintln!(
                "wrote synthetic experiment {name:?} (seed {seed}, preset {}) to {}",
                preset.name,
                out_dir.display()
            );
            Ok(0)
        }
    }
}

/// `blotquant background`: checks the request, reads the image, subtracts, writes atomically.
fn subtract_background_file(
    input: &Path,
    output: &Path,
    options: &blotquant::background::ImageJOptions,
) -> Result<(), Failure> {
    if !(options.radius.is_finite() && options.radius > 0.0) {
        return Err(usage(format!(
            "--radius must be a positive number of pixels, not {}",
            options.radius
        )));
    }
    let same_file = output == input
        || matches!((input.canonicalize(), output.canonicalize()), (Ok(a), Ok(b)) if a == b);
    if same_file {
        return Err(usage(format!(
            "{}: the output would overwrite the input; name another output file",
            output.display()
        )));
    }
    let extension = output
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !matches!(extension.as_str(), "tif" | "tiff" | "png") {
        return Err(usage(format!(
            "{}: the output must end in .tif, .tiff or .png",
            output.display()
        )));
    }
    let limits = Params::default().load;
    let check_radius = |width: usize, height: usize| {
        if options.radius > width.max(height) as f64 {
            return Err(usage(format!(
                "--radius {} is larger than the image ({width}×{height} px); a ball wider than the image fits under nothing",
                options.radius
            )));
        }
        Ok(())
    };
    if extension != "png" {
        if let Some(rows) = blotquant::io::gray_tiff::RowReader::open(input, &limits)? {
            check_radius(rows.width, rows.height)?;
            return subtract_streamed(&rows, input, output, options);
        }
    }
    let mut image = blotquant::io::load_raw_gray(input, &limits)?;
    check_radius(image.width, image.height)?;
    let max_value = if image.bit_depth == 8 { 255.0 } else { 65535.0 };
    blotquant::background::subtract_like_imagej_in_place(&mut image, max_value, options);
    blotquant::io::atomic::write_gray(
        output,
        image.width,
        image.height,
        image.bit_depth,
        &image.pixels,
        extension == "png",
    )?;
    Ok(())
}

/// `blotquant background` on a TIFF read row by row, into a TIFF written row by row: neither
/// image is held whole. A failed read (the input changed under us) or write leaves no output.
fn subtract_streamed(
    rows: &blotquant::io::gray_tiff::RowReader,
    input: &Path,
    output: &Path,
    options: &blotquant::background::ImageJOptions,
) -> Result<(), Failure> {
    let layout = blotquant::io::gray_tiff::BaselineLayout {
        width: rows.width,
        height: rows.height,
        bit_depth: rows.bit_depth,
    };
    let max_value = if rows.bit_depth == 8 { 255.0 } else { 65535.0 };
    let writer = blotquant::io::gray_tiff::RowWriter::create(output, layout)?;
    let written = blotquant::background::subtract_like_imagej_streamed(
        rows,
        max_value,
        options,
        |first_row, samples| writer.write_rows(first_row, samples),
    );
    if let Some(source) = rows.failure() {
        return Err(blotquant::Error::Read {
            path: input.to_path_buf(),
            source,
        }
        .into());
    }
    written.map_err(|source| blotquant::Error::Write {
        path: output.to_path_buf(),
        source,
    })?;
    writer.finish(output)?;
    Ok(())
}

/// Reads `--params` (JSON overrides) on top of the defaults.
fn load_params(path: Option<&Path>, allow_saturated: bool) -> Result<Params, Failure> {
    let mut params = Params::default();
    if let Some(path) = path {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage(format!("{}: cannot read: {e}", path.display())))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| usage(format!("{}: invalid JSON: {e}", path.display())))?;
        params = params.with_overrides(&value).map_err(|e| {
            usage(format!(
                "{}: {e}; see `blotquant analyze --print-params`",
                path.display()
            ))
        })?;
    }
    params.quant.allow_saturated |= allow_saturated;
    Ok(params)
}

/// `<folder>/blotquant-results` for an experiment, `<stem>-blotquant` beside a lone image.
fn default_output(input: &Path) -> PathBuf {
    if input.is_dir() {
        return input.join("blotquant-results");
    }
    let dir = input.parent().unwrap_or(Path::new("."));
    if input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return dir.join("blotquant-results");
    }
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!("{stem}-blotquant"))
}

/// Writes the outputs and prints JSON or the short table; exit 1 when something failed.
fn finish(out: &Path, run: &blotquant::Run, json: bool) -> Result<u8, Failure> {
    report::write_outputs(out, &run.results, &run.overlays, &run.traces)?;
    for warning in &run.results.warnings {
        eprintln!("warning: {warning}");
    }
    let reused = run.results.experiments.iter().filter(|e| e.reused).count();
    if reused > 0 {
        eprintln!(
            "{reused} of {} experiments unchanged since the last run into {}: their results were reused (--force recomputes them)",
            run.results.experiments.len(),
            out.display()
        );
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&run.results).expect("results serialize")
        );
    } else {
        print!("{}", report::summary_table(&run.results));
    }
    eprintln!("results written to {}", out.display());
    Ok(if run.results.errors.is_empty() { 0 } else { 1 })
}
