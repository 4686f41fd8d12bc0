//! The result tables of a run: one row type per output file (columns in contract order), and
//! [`Results`], which `results.json` serializes.

use serde::{Deserialize, Serialize};

/// A row of `lanes.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaneRow {
    pub experiment: String,
    pub image: String,
    pub lane: usize,
    pub condition: String,
    pub sample: String,
    pub x_center_px: f64,
    pub width_px: f64,
}

/// A row of `bands.csv`: a detected band, assigned to a target or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandRow {
    pub experiment: String,
    pub image: String,
    pub lane: usize,
    /// Target name, `ladder` for marker bands, empty when unassigned.
    pub target: String,
    pub y_center_px: f64,
    pub top_px: usize,
    pub bottom_px: usize,
    pub apparent_mw_kda: Option<f64>,
    pub volume: f64,
    pub background: f64,
    pub adjusted_volume: f64,
    pub saturated_px: usize,
    pub snr: f64,
    pub flags: String,
}

pub use crate::quant::{FoldChangeRow, SummaryRow};

/// How one image's lanes were found (`results.json` `detection`): the lane count and pitch,
/// the grid's confidence (median lane contrast over the column profile's noise) and the
/// reasons to check it, `;`-separated: `count-estimated` (no manifest count), `low-contrast`
/// (confidence below 5: lanes are guesses), `faint-lanes` (a lane under a fifth of the median
/// contrast), `lane-beyond-grid` (a lane-like strip just outside the grid), `centres-from-grid`
/// (some centres not measured on this image's own lane edges: grid position or carried over
/// from another image of the membrane), `on-band-row` (lanes placed on a row of evenly spaced
/// bands, the column profile alone having split or missed them), `beyond-profile` (lanes added
/// beyond the column profile's grid where a run of bands at its pitch, or a row of merged bands,
/// shows them), `between-edge-lines` (lanes placed between pairs of dark lines running down
/// the image, their edges, where the column profile showed the lines), `leaning` (lanes lean or fan
/// out, and lanes and band boxes follow them; `x_center_px` is a lane's centre at the image's
/// middle row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionRow {
    pub experiment: String,
    pub image: String,
    pub lanes: usize,
    pub pitch_px: f64,
    pub confidence: f64,
    pub reasons: String,
}

/// An input file of the run with its checksum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
}

/// An experiment or image that could not be analyzed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub experiment: String,
    pub path: String,
    pub error: String,
}

/// A lane's profile as the report draws it: the mean signal across the lane per row and the
/// rolling-ball surface under it, each averaged over `row_step` rows (so a profile has a few
/// hundred points whatever the image height).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaneTrace {
    pub lane: usize,
    /// Columns of the lane's band boxes (a band's background per pixel is its `background`
    /// divided by its rows times this).
    pub width_px: usize,
    pub row_step: usize,
    pub signal: Vec<f32>,
    pub background: Vec<f32>,
}

/// An image's overlay, encoded: PNG (lossless, for `overlays/`) and JPEG (small, for the
/// report). Empty where none was drawn.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    pub png: Vec<u8>,
    pub jpeg: Vec<u8>,
}

/// What the report shows of one image: its overlay as a small JPEG (base64, ready for a data
/// URI), where the PNG overlay is (relative to `overlays/`) and the lane profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageTraces {
    pub experiment: String,
    pub image: String,
    pub overlay: String,
    pub preview_jpeg_base64: String,
    pub lanes: Vec<LaneTrace>,
}

/// Everything one experiment produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExperimentResult {
    pub name: String,
    /// The experiment folder (relative to the batch root in a batch).
    pub folder: String,
    /// Control condition of the experiment (fold changes are relative to it).
    pub control: Option<String>,
    pub lanes: Vec<LaneRow>,
    pub bands: Vec<BandRow>,
    pub fold_change: Vec<FoldChangeRow>,
    pub inputs: Vec<InputFile>,
    pub warnings: Vec<String>,
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

/// An experiment of a run: its name, its folder and the condition its fold changes are
/// relative to (what `merge` needs to pool runs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentInfo {
    pub name: String,
    pub folder: String,
    pub control: Option<String>,
    /// True when the experiment was unchanged since the last run into the same output folder
    /// and its results were taken from there instead of being recomputed.
    #[serde(default)]
    pub reused: bool,
}

/// The layout version of `results.json`.
pub const SCHEMA_VERSION: u32 = 1;

/// The results of a run (`results.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    /// Version of this layout (`schema/results.schema.json`); bumped when a field is removed or
    /// changes meaning.
    pub schema_version: u32,
    pub version: String,
    pub parameters: serde_json::Value,
    /// A paragraph for a methods section: software, background, lanes, bands, normalization,
    /// statistics, with the parameters of this run.
    pub methods: String,
    pub inputs: Vec<InputFile>,
    pub experiments: Vec<ExperimentInfo>,
    pub warnings: Vec<String>,
    pub errors: Vec<Failure>,
    pub lanes: Vec<LaneRow>,
    pub bands: Vec<BandRow>,
    pub fold_change: Vec<FoldChangeRow>,
    pub summary: Vec<SummaryRow>,
    /// How each image's lanes were found (absent from files of earlier versions).
    #[serde(default)]
    pub detection: Vec<DetectionRow>,
}
