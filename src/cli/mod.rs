//! The command line: parses the arguments, runs one subcommand, maps its outcome to an exit
//! code. Exit codes: 0 everything analyzed; 1 the run finished but some inputs failed; 2 usage
//! or manifest error.

mod args;
mod commands;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use blotquant::results::Verdict;
use blotquant::{report, Params};

/// Parses the command line, runs it, prints a failure on stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// One subcommand, with the exit code it ends with.
fn run(command: Command) -> Result<u8, Failure> {
    match command {
        Command::Analyze {
            input,
            run,
            print_params,
        } => commands::analyze(input, run, print_params),
        Command::Batch {
            roots,
            run,
            jobs,
            shard,
        } => commands::batch(&roots, run, jobs, shard),
        Command::Detect {
            image,
            lanes,
            output,
            params,
            json,
            manifest_out,
        } => commands::detect(
            &image,
            lanes,
            output,
            params.as_deref(),
            json,
            manifest_out.as_deref(),
        ),
        Command::Init { dir } => commands::init(&dir),
        Command::Merge {
            inputs,
            output,
            json,
        } => commands::merge(&inputs, &output, json),
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
            blotquant::imagej::subtract_background_file(&input, &output, &options)?;
            Ok(0)
        }
        Command::Linearity {
            input,
            output,
            params,
            json,
        } => commands::linearity(&input, output, params.as_deref(), json),
        Command::Synth {
            out_dir,
            seed,
            preset,
            name,
            size,
        } => commands::synth(&out_dir, seed, &preset, name, size),
    }
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

/// Writes `text` to stdout. A reader that stops early (`| head`) closes the pipe: the rest is
/// not wanted, which is no error and no panic (as Unix tools do); the files are written
/// already, and the exit code stays what the run earned.
fn print_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write to stdout: {e}");
        }
    }
}

/// A usage error (exit code 2) with its message.
fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
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

/// Checks, before any analysis, that the output folder `out` can be written: it is a folder
/// (or can be made one) and a file can be created in it. A run that would end unable to
/// write its results fails at once instead, naming the folder.
fn check_output(out: &Path) -> Result<(), Failure> {
    let existing = out
        .ancestors()
        .find(|p| p.as_os_str().is_empty() || p.exists())
        .unwrap_or(Path::new("."));
    let existing = if existing.as_os_str().is_empty() {
        Path::new(".")
    } else {
        existing
    };
    let cannot = |why: String| {
        usage(format!(
            "{}: cannot write the results there: {why}; choose another output folder with -o",
            out.display()
        ))
    };
    if !existing.is_dir() {
        return Err(cannot(format!(
            "{} is a file, not a folder",
            existing.display()
        )));
    }
    tempfile::tempfile_in(existing).map(drop).map_err(|e| {
        cannot(format!(
            "{} does not take new files ({e})",
            existing.display()
        ))
    })
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

/// Writes the outputs and prints JSON or the short table; exit 1 when something failed (or,
/// with `fail_on_unreliable`, when an experiment's verdict is `unreliable`).
fn finish(
    out: &Path,
    run: &blotquant::Run,
    json: bool,
    fail_on_unreliable: bool,
) -> Result<u8, Failure> {
    report::write_outputs(out, &run.results, &run.overlays, &run.traces)?;
    for warning in &run.results.warnings {
        eprintln!("warning: {warning}");
    }
    let mut unreliable = false;
    for experiment in &run.results.experiments {
        let quality = &experiment.quality;
        if quality.verdict == Verdict::Ok {
            continue;
        }
        unreliable |= quality.verdict == Verdict::Unreliable;
        eprintln!(
            "quality: {}: {}: {}",
            experiment.name,
            quality.verdict.as_str(),
            quality.reasons.join("; ")
        );
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
        let mut text = serde_json::to_string_pretty(&run.results).expect("results serialize");
        text.push('\n');
        print_stdout(&text);
    } else {
        print_stdout(&report::summary_table(&run.results));
    }
    eprintln!("results written to {}", out.display());
    let failed = !run.results.errors.is_empty() || (fail_on_unreliable && unreliable);
    Ok(if failed { 1 } else { 0 })
}
