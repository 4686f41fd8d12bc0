//! The result tables of a run: one row type per output file (columns in contract order), and
//! [`Results`], which `results.json` serializes.

use serde::{Deserialize, Serialize};

use crate::quant::ReplicateUnit;

/// A row of `lanes.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaneRow {
    /// The experiment's identity, unique within the run: the manifest's `name`, or (always in
    /// `batch`) the folder's path relative to the batch root.
    pub experiment: String,
    /// The image file, as the manifest names it.
    pub image: String,
    /// 1-based, left to right along the manifest's `lanes` (ladder lanes included).
    pub lane: usize,
    /// The lane's condition from the manifest; `ladder` for a marker lane, empty where no manifest
    /// names the lane (`detect`).
    pub condition: String,
    /// The manifest's `sample` of the lane (lanes sharing one are technical replicates); empty
    /// where it names none.
    pub sample: String,
    /// Lane centre in pixels at the image's middle row (a leaning lane moves about it).
    pub x_center_px: f64,
    /// Lane width in pixels at the image's middle row.
    pub width_px: f64,
}

/// A row of `bands.csv`: a detected band, assigned to a target or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandRow {
    /// The experiment's identity, unique within the run: the manifest's `name`, or (always in
    /// `batch`) the folder's path relative to the batch root.
    pub experiment: String,
    /// The image file, as the manifest names it.
    pub image: String,
    /// 1-based, left to right along the manifest's `lanes` (ladder lanes included).
    pub lane: usize,
    /// Target name, `ladder` for marker bands, empty when unassigned.
    pub target: String,
    /// Row of the band's peak in the lane profile, in pixels (sub-pixel).
    pub y_center_px: f64,
    /// First row of the band's box, in pixels.
    pub top_px: usize,
    /// Last row of the band's box, in pixels (inclusive).
    pub bottom_px: usize,
    /// Apparent molecular weight in kDa from the ladder's calibration; empty without one.
    pub apparent_mw_kda: Option<f64>,
    /// Sum of pixel signal (bands bright, after polarity) inside the band's box, in code units.
    pub volume: f64,
    /// Sum of the background estimate over the same box, in code units (`background.method`).
    pub background: f64,
    /// `volume − background`: the band's signal.
    pub adjusted_volume: f64,
    /// Pixels in the box at or above the image's saturation level.
    pub saturated_px: usize,
    /// Peak height over the lane profile's noise, in noise SDs (below `quant.low_snr`: `low-snr`).
    pub snr: f64,
    /// `;`-separated flags from the fixed vocabulary, e.g. `saturated`, `low-snr`, `edge`.
    pub flags: Flags,
    /// First column of the band's box, in pixels (the lane's width about its centre at the
    /// band's row).
    #[serde(default)]
    pub left_px: usize,
    /// Last column of the band's box, in pixels (inclusive).
    #[serde(default)]
    pub right_px: usize,
}

use crate::quant::Flags;
pub use crate::quant::{FoldChangeRow, SummaryRow};

/// How one image's lanes were found (`results.json` `detection`): the lane count and pitch,
/// the grid's confidence (median lane contrast over the column profile's noise) and the
/// reasons to check it, `;`-separated: `count-estimated` (no manifest count), `low-contrast`
/// (confidence below 5: lanes are guesses), `faint-lanes` (a lane under a fifth of the median
/// contrast), `lane-beyond-grid` (a lane-like strip just outside the grid, or the lanes,
/// stated or counted, leaving a band of a row or a lane of four bands or more outside every
/// lane), `centres-from-grid`
/// (some centres not measured on this image's own lane edges: grid position or carried over
/// from another image of the membrane), `on-band-row` (lanes placed on a row of evenly spaced
/// bands, the column profile alone having split or missed them), `beyond-profile` (lanes added
/// beyond the column profile's grid where a run of bands at its pitch, or a row of merged bands,
/// shows them), `between-edge-lines` (lanes placed between pairs of dark lines running down
/// the image, their edges, where the column profile showed the lines), `count-ambiguous` (no
/// count stated, and the column profile reads two counts, at pitches a third or more apart,
/// within 10 % as well as each other, neither a row of bands nor edge lines placed the lanes;
/// or the count found is one lane, where a blot holds two or more), `leaning` (lanes lean or fan
/// out, and lanes and band boxes follow them; `x_center_px` is a lane's centre at the image's
/// middle row), `from-manifest` (the manifest's `lanes_px`, used as stated; the only reason then).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionRow {
    /// The experiment's identity, unique within the run: the manifest's `name`, or (always in
    /// `batch`) the folder's path relative to the batch root.
    pub experiment: String,
    /// The image file, as the manifest names it.
    pub image: String,
    /// Number of lanes placed on the image, ladder included.
    pub lanes: usize,
    /// Centre-to-centre lane spacing of the grid, in pixels.
    pub pitch_px: f64,
    /// Median lane contrast over the column profile's noise; below 5 the lanes are guesses.
    pub confidence: f64,
    /// `;`-separated reasons to check the lanes (vocabulary above); empty when there are none.
    pub reasons: String,
    /// The image's width in pixels.
    #[serde(default)]
    pub width_px: usize,
    /// The image's height in pixels.
    #[serde(default)]
    pub height_px: usize,
    /// How the image was acquired, where its file says (an imager's raw file such as `.scn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquisition: Option<crate::io::Acquisition>,
    /// How bands appear in the stored image (`dark-bands`, `light-bands`); absent in results
    /// written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polarity: Option<crate::io::Polarity>,
    /// Who decided it: `manifest`, `file-header` or `histogram`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polarity_source: Option<crate::io::PolaritySource>,
    /// Where the file keeps other values than the imager's counts (`lossy`, `display-export`);
    /// absent for a raw file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<crate::io::Storage>,
}

/// An input file of the run with its checksum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    /// The file's path as the run opened it (the manifest first, then the images).
    pub path: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// An experiment or image that could not be analyzed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// Identity of the experiment that failed (its folder relative to the batch root in a batch).
    pub experiment: String,
    /// The experiment folder or file that failed.
    pub path: String,
    /// The error message, naming the file and the fix.
    pub error: String,
}

/// A lane's profile as the report draws it: the mean signal across the lane per row and the
/// rolling-ball surface under it, each averaged over `row_step` rows (so a profile has a few
/// hundred points whatever the image height).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaneTrace {
    /// 1-based lane number, as in `lanes.csv`.
    pub lane: usize,
    /// Columns of the lane's band boxes (a band's background per pixel is its `background`
    /// divided by its rows times this).
    pub width_px: usize,
    /// Image rows averaged into each point of `signal` and `background`.
    pub row_step: usize,
    /// Mean signal per pixel across the lane, per step of rows, in code units.
    pub signal: Vec<f32>,
    /// Mean of the rolling-ball surface across the lane, per step of rows, in code units.
    pub background: Vec<f32>,
}

/// An image's overlay, encoded: PNG (lossless, for `overlays/`), and for the report the blot
/// as a JPEG with the lines as a lossless layer over it. Empty where none was drawn.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    /// PNG bytes for `overlays/`, at the canvas's zoom: small blots enlarged, large ones reduced
    /// by a whole factor to about 1100 px wide.
    pub png: Vec<u8>,
    /// JPEG bytes of the blot alone (no lines) at the same zoom, embedded as base64 in
    /// `report.html`.
    pub jpeg: Vec<u8>,
    /// PNG bytes of the lines and labels alone on a transparent canvas of the same size,
    /// shown over the JPEG in `report.html`, so lines stay sharp.
    pub lines_png: Vec<u8>,
    /// Canvas pixels per image pixel (2 for small blots, 1/k for large ones); 0 where nothing
    /// was drawn.
    pub scale: f64,
}

/// What the report shows of one image: its overlay as a small JPEG (base64, ready for a data
/// URI), where the PNG overlay is (relative to `overlays/`) and the lane profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageTraces {
    /// The experiment's identity, unique within the run: the manifest's `name`, or (always in
    /// `batch`) the folder's path relative to the batch root.
    pub experiment: String,
    /// The image file, as the manifest names it.
    pub image: String,
    /// File name of the PNG overlay inside `overlays/`.
    pub overlay: String,
    /// The blot alone as a small JPEG, base64-encoded, for a data URI in `report.html`.
    pub preview_jpeg_base64: String,
    /// The overlay's lines and labels as a transparent PNG of the JPEG's size, base64-encoded,
    /// shown over it.
    #[serde(default)]
    pub preview_lines_png_base64: String,
    /// Overlay pixels per image pixel (0: unknown, from results written before it was kept).
    #[serde(default)]
    pub overlay_scale: f64,
    /// Profile of every lane of the image, left to right.
    pub lanes: Vec<LaneTrace>,
}

/// Everything one experiment produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExperimentResult {
    /// The experiment's identity in the run's tables: the manifest's `name`, or in a batch
    /// the folder's path relative to the batch root (unique there, where names may repeat).
    pub name: String,
    /// The manifest's `name` where the identity is the folder's path.
    #[serde(default)]
    pub label: Option<String>,
    /// The experiment folder (relative to the batch root in a batch).
    pub folder: String,
    /// Control condition of the experiment (fold changes are relative to it).
    pub control: Option<String>,
    /// What one of its biological replicates is in `summary.csv`.
    #[serde(default = "ReplicateUnit::before_it_was_stated")]
    pub replicate: ReplicateUnit,
    /// Rows of `lanes.csv` for this experiment's images.
    pub lanes: Vec<LaneRow>,
    /// Rows of `bands.csv` for this experiment's images.
    pub bands: Vec<BandRow>,
    /// Rows of `fold_change.csv` for this experiment, every target of every sample lane.
    pub fold_change: Vec<FoldChangeRow>,
    /// The manifest and image files read, with their checksums.
    pub inputs: Vec<InputFile>,
    /// Things the user should know about this experiment (images, targets, normalizers).
    pub warnings: Vec<String>,
    /// How each image's lanes were found.
    pub detection: Vec<DetectionRow>,
    /// Lane profiles per image, for the report.
    pub traces: Vec<ImageTraces>,
    /// Taken from the cache of the last run, not recomputed.
    #[serde(skip)]
    pub reused: bool,
    /// Overlay PNGs: (file stem, bytes). Not serialized: they are files of their own.
    #[serde(skip)]
    pub overlays: Vec<(String, Vec<u8>)>,
}

/// How far an experiment's numbers can be trusted (`results.json` `experiments[].quality`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Nothing flagged: the numbers stand as they are.
    #[default]
    Ok,
    /// Values are flagged or lanes were placed in a way a person should look at.
    Check,
    /// Some fold change cannot mean what it says (no control mean, lanes that are guesses, a
    /// target measured nowhere above its limit of detection).
    Unreliable,
}

impl Verdict {
    /// The verdict as `results.json` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Check => "check",
            Verdict::Unreliable => "unreliable",
        }
    }
}

/// The verdict on an experiment with its reasons, worst first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// `ok`, `check` or `unreliable`.
    pub verdict: Verdict,
    /// Why: one line per finding, the ones that make it unreliable first.
    pub reasons: Vec<String>,
}

/// An experiment of a run: its name, its folder and the condition its fold changes are
/// relative to (what `merge` needs to pool runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentInfo {
    /// The experiment's identity in the run's tables.
    pub name: String,
    /// The manifest's `name` where `name` is the folder's path (always in a batch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The experiment folder (relative to the batch root in a batch).
    pub folder: String,
    /// Control condition the experiment's fold changes are relative to.
    pub control: Option<String>,
    /// What one of its biological replicates is in `summary.csv` (`n` counts these):
    /// `lane`, `sample` or `blot`.
    #[serde(default = "ReplicateUnit::before_it_was_stated")]
    pub replicate: ReplicateUnit,
    /// True when the experiment was unchanged since the last run into the same output folder
    /// and its results were taken from there instead of being recomputed.
    #[serde(default)]
    pub reused: bool,
    /// How far its numbers can be trusted, and why.
    #[serde(default)]
    pub quality: Quality,
}

/// The layout version of `results.json`.
pub const SCHEMA_VERSION: u32 = 2;

/// The results of a run (`results.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    /// Version of this layout (`schema/results.schema.json`); bumped when a field is removed or
    /// changes meaning.
    pub schema_version: u32,
    /// Version of blotquant that wrote the file.
    pub version: String,
    /// The run's effective analysis parameters, in the form `--params` takes.
    pub parameters: serde_json::Value,
    /// A paragraph for a methods section: software, background, lanes, bands, normalization,
    /// statistics, with the parameters of this run.
    pub methods: String,
    /// Every input file of the run, with its SHA-256.
    pub inputs: Vec<InputFile>,
    /// The experiments of the run, in the order their rows appear.
    pub experiments: Vec<ExperimentInfo>,
    /// Warnings of the run: each experiment's, prefixed with its name, then run-wide ones.
    pub warnings: Vec<String>,
    /// Experiments or inputs that could not be analyzed; also written to `failures.csv`.
    pub errors: Vec<Failure>,
    /// Rows of `lanes.csv`.
    pub lanes: Vec<LaneRow>,
    /// Rows of `bands.csv`.
    pub bands: Vec<BandRow>,
    /// Rows of `fold_change.csv`.
    pub fold_change: Vec<FoldChangeRow>,
    /// Rows of `summary.csv`, pooled over every experiment of the run.
    pub summary: Vec<SummaryRow>,
    /// How each image's lanes were found (absent from files of earlier versions).
    #[serde(default)]
    pub detection: Vec<DetectionRow>,
}
