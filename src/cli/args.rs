//! The command line's words: subcommands, their arguments and options (clap derive).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "blotquant",
    version,
    about = "Western blot densitometry: lanes, bands, background, MW, normalization, fold change"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
        /// Folders to search for experiment folders (each holding experiment.json).
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
        /// The image (TIFF, PNG or JPEG).
        image: PathBuf,
        /// Number of lanes (default: estimated).
        #[arg(long)]
        lanes: Option<usize>,
        /// Output folder (default: <image stem>-blotquant beside the image).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Parameter overrides as JSON (see `analyze --print-params`).
        #[arg(long)]
        params: Option<PathBuf>,
        /// Print results.json to stdout.
        #[arg(long)]
        json: bool,
        /// Also write a starter manifest for the image (the detected lanes as `lanes_px`, the
        /// ladder lane marked, conditions and targets left to fill in) to FILE, in the image's
        /// folder or above it; never overwrites one.
        #[arg(long, value_name = "FILE")]
        manifest_out: Option<PathBuf>,
    },
    /// Write a starter experiment.json for the images in DIR (lane count detected, conditions
    /// and targets left for you to fill in); never overwrites an existing one.
    Init {
        /// Folder holding the blot images.
        dir: PathBuf,
    },
    /// Pool the results.json of several runs (shards, or separately analyzed blots) into one
    /// set of tables and one summary.
    Merge {
        /// results.json files of analyze or batch runs to pool.
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
        /// 8- or 16-bit grayscale image (TIFF, PNG or JPEG).
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
        /// Folder to write the experiment into.
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
pub struct RunArgs {
    /// Output folder (default: <experiment folder>/blotquant-results; for batch, below the
    /// first root; for an image, <image stem>-blotquant beside it).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// JSON file of parameter overrides.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Print the full results JSON on stdout (and nothing else).
    #[arg(long)]
    pub json: bool,
    /// Keep saturated values in summary.csv.
    #[arg(long)]
    pub allow_saturated: bool,
    /// Recompute experiments even when nothing changed since the last run into the output
    /// folder (by default their results are reused).
    #[arg(long)]
    pub force: bool,
    /// Exit with code 1 when an experiment's quality verdict is `unreliable` (results.json
    /// `experiments[].quality`), as when an input failed.
    #[arg(long)]
    pub fail_on_unreliable: bool,
}

pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
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

pub fn parse_size(s: &str) -> Result<(usize, usize), String> {
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
