//! Synthetic ECL blots with ground truth: one experiment folder per call, with 16-bit TIFF
//! images, `experiment.json` and `truth.json`. Deterministic for a given seed and preset.
//!
//! The model: an uneven background (offset, gradient, smooth blotches), bands that are
//! Gaussian-like in y with a longer lower tail and flat-topped with soft edges in x, placed by
//! a log-MW migration curve, shifted by smile and tilt; a per-lane loading factor scales every
//! band of a lane (targets and loading control alike); Poisson shot noise and Gaussian read
//! noise; optional dust; values clipped to 16 bits, which is where saturation comes from.

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal, Poisson};
use serde::Serialize;

use crate::error::{Error, Result};

/// How hard the synthetic blot is.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    /// The name `--preset` takes (e.g. `standard`, `hard`, `saturated`); echoed in `truth.json`.
    pub name: &'static str,
    /// Background gradient across the image, in counts.
    pub gradient: f64,
    /// Number and peak height of smooth background blotches.
    pub blotches: (usize, f64),
    /// Downward shift of the central lanes relative to the edge lanes, in pixels.
    pub smile_px: f64,
    /// Rotation of the band rows, in degrees.
    pub tilt_deg: f64,
    /// Number of dust specks.
    pub dust: usize,
    /// Multiplies every band's intensity (high values saturate the detector).
    pub brightness: f64,
    /// Standard deviation of the Gaussian read noise, in counts.
    pub read_noise: f64,
    /// β-actin expression per condition relative to untreated (a loading control that is not
    /// constant, to test the loading-control checks); all 1 in a sound experiment.
    pub actin_effect: [f64; 4],
    /// Lane widths vary by up to this fraction around the nominal width.
    pub lane_width_spread: f64,
    /// Sample lanes (1-based) loaded with a seventh of the protein: faint lanes.
    pub faint_lanes: &'static [usize],
    /// Sample lanes (1-based) whose targets are all but absent: each target's band at
    /// [`NEAR_ZERO_SHARE`] of its level in the control lanes, the loading control as usual.
    pub near_zero_lanes: &'static [usize],
    /// An extra, unnamed band of this MW in every sample lane of the caspase-1 image, next to
    /// caspase-1 p20 (20 kDa): a doublet that MW assignment must not confuse with the target.
    pub doublet_kda: Option<f64>,
    /// Written as an 8-bit dark-on-light scan of film instead of 16-bit chemiluminescence.
    pub film: bool,
    /// Air bubbles: round patches where the membrane background is missing.
    pub bubbles: usize,
    /// The prestained ladder shows only in a white-light marker image (`marker.tif`, 8-bit
    /// dark bands on a light membrane, role `marker` in the manifest), as on most imagers:
    /// the ECL images show no ladder.
    pub marker_image: bool,
    /// Two membranes in one frame: the part above the 62 kDa row is a second membrane, moved
    /// right by this fraction of the lane pitch, with a strip of empty frame between the two
    /// (0: one membrane). truth.json's lane centres are the lower membrane's.
    pub upper_membrane_shift: f64,
    /// Band intensity at the lane's edges over that at its centre (1: even across the lane).
    /// Above 1 the lanes are darker at their edges, as crescent bands on film and edge
    /// shadows are, and each lane's column profile has two ridges.
    pub edge_darkening: f64,
    /// Lanes lean by this angle (a membrane imaged turned): each lane's centre moves right by
    /// tan(angle) px per row down the image, in whole pixels, about the middle row; truth.json
    /// gives each lane's centre at the middle row.
    pub lane_slant_deg: f64,
    /// Height, in counts, of a dark line running down the whole image along each lane edge
    /// (Gaussian across, SD [`EDGE_LINE_SD`] px): strips of membrane cut apart and laid side
    /// by side, or lanes with edge shadows. The column profile then shows the lines more than
    /// the lanes. 0: none.
    pub edge_lines: f64,
}

/// Width (SD, in pixels of the default frame) of an edge line across.
const EDGE_LINE_SD: f64 = 1.5;

/// The built-in presets.
pub fn presets() -> Vec<Preset> {
    let standard = Preset {
        name: "standard",
        gradient: 500.0,
        blotches: (3, 250.0),
        smile_px: 2.0,
        tilt_deg: 0.3,
        dust: 0,
        brightness: 1.0,
        read_noise: 12.0,
        actin_effect: [1.0; 4],
        lane_width_spread: 0.0,
        faint_lanes: &[],
        near_zero_lanes: &[],
        doublet_kda: None,
        film: false,
        bubbles: 0,
        marker_image: false,
        upper_membrane_shift: 0.0,
        edge_darkening: 1.0,
        lane_slant_deg: 0.0,
        edge_lines: 0.0,
    };
    vec![
        Preset {
            name: "clean",
            gradient: 0.0,
            blotches: (0, 0.0),
            smile_px: 0.0,
            tilt_deg: 0.0,
            read_noise: 5.0,
            ..standard.clone()
        },
        standard.clone(),
        Preset {
            name: "hard",
            gradient: 1500.0,
            blotches: (5, 700.0),
            smile_px: 5.0,
            tilt_deg: 1.2,
            dust: 12,
            read_noise: 25.0,
            ..standard.clone()
        },
        Preset {
            name: "saturated",
            brightness: 7.5,
            ..standard.clone()
        },
        Preset {
            name: "actin-varies",
            actin_effect: [1.0, 2.2, 2.0, 1.8],
            ..standard.clone()
        },
        Preset {
            name: "smile",
            smile_px: 12.0,
            ..standard.clone()
        },
        Preset {
            name: "tilt",
            tilt_deg: 3.0,
            ..standard.clone()
        },
        Preset {
            name: "uneven",
            lane_width_spread: 0.25,
            ..standard.clone()
        },
        Preset {
            name: "faint",
            faint_lanes: &[3, 8],
            ..standard.clone()
        },
        Preset {
            name: "doublet",
            doublet_kda: Some(23.0),
            ..standard.clone()
        },
        Preset {
            name: "film",
            film: true,
            ..standard.clone()
        },
        Preset {
            name: "bubbles",
            bubbles: 6,
            dust: 12,
            ..standard.clone()
        },
        Preset {
            name: "marker",
            marker_image: true,
            ..standard.clone()
        },
        Preset {
            name: "membranes",
            upper_membrane_shift: 0.4,
            ..standard.clone()
        },
        Preset {
            name: "crescent",
            edge_darkening: 3.0,
            ..standard.clone()
        },
        Preset {
            name: "slant",
            lane_slant_deg: 3.0,
            ..standard.clone()
        },
        Preset {
            name: "edge-lines",
            edge_lines: 400.0,
            ..standard
        },
    ]
}

/// Looks up a preset by name.
pub fn preset(name: &str) -> Option<Preset> {
    presets().into_iter().find(|p| p.name == name)
}

/// The conditions of the amitriptyline/LPS study, with each target's expression relative to
/// untreated: LPS raises the inflammasome targets several-fold, amitriptyline lowers the rise
/// dose-dependently; β-actin does not change.
const CONDITIONS: [&str; 4] = ["untreated", "LPS", "LPS + AMI 1 µM", "LPS + AMI 10 µM"];

struct TargetModel {
    name: &'static str,
    kda: f64,
    /// Peak height of the untreated band, in counts above background.
    base_peak: f64,
    /// Expression relative to untreated, per condition.
    effect: [f64; 4],
}

const TARGETS: [TargetModel; 6] = [
    TargetModel {
        name: "NLRP3",
        kda: 118.0,
        base_peak: 2200.0,
        effect: [1.0, 4.2, 3.0, 1.7],
    },
    TargetModel {
        name: "pro-caspase-1",
        kda: 45.0,
        base_peak: 5000.0,
        effect: [1.0, 1.6, 1.45, 1.2],
    },
    TargetModel {
        name: "caspase-1 p20",
        kda: 20.0,
        base_peak: 1500.0,
        effect: [1.0, 5.0, 3.3, 1.8],
    },
    TargetModel {
        name: "pro-IL-1β",
        kda: 31.0,
        base_peak: 1800.0,
        effect: [1.0, 7.0, 5.5, 3.5],
    },
    TargetModel {
        name: "IL-1β p17",
        kda: 17.0,
        base_peak: 1300.0,
        effect: [1.0, 6.0, 3.6, 1.9],
    },
    TargetModel {
        name: "β-actin",
        kda: 42.0,
        base_peak: 9000.0,
        effect: [1.0, 1.0, 1.0, 1.0],
    },
];

/// Images of the study: file name and the targets it holds.
const IMAGES: [(&str, &[&str]); 4] = [
    ("nlrp3.tif", &["NLRP3"]),
    ("caspase-1.tif", &["pro-caspase-1", "caspase-1 p20"]),
    ("il-1b.tif", &["pro-IL-1β", "IL-1β p17"]),
    ("actin.tif", &["β-actin"]),
];

const LADDER_NAME: &str = "pageruler-prestained";
const MARKER_FILE: &str = "marker.tif";
const LADDER_KDA: [f64; 9] = [180.0, 130.0, 100.0, 70.0, 55.0, 35.0, 25.0, 15.0, 10.0];

/// Lane layout: ladder, then two lanes per condition.
fn lane_conditions() -> Vec<Option<usize>> {
    let mut lanes = vec![None];
    for c in 0..CONDITIONS.len() {
        lanes.extend([Some(c), Some(c)]);
    }
    lanes
}

/// A near-zero lane's target level over the mean of the control lanes': 0.5 %, a band
/// a densitometry method must tell from nothing (measured below 2 % of the control).
pub const NEAR_ZERO_SHARE: f64 = 0.005;

/// `expression` (per target, per lane) with each target but the loading control at
/// [`NEAR_ZERO_SHARE`] of its control lanes' mean in the `near_zero` lanes (1-based).
fn with_near_zero_lanes(
    mut expression: Vec<Vec<f64>>,
    lanes: &[Option<usize>],
    near_zero: &[usize],
) -> Vec<Vec<f64>> {
    for (t, levels) in TARGETS.iter().zip(&mut expression) {
        if t.name == "β-actin" {
            continue;
        }
        let control: Vec<f64> = lanes
            .iter()
            .zip(levels.iter())
            .filter(|(c, _)| **c == Some(0))
            .map(|(_, level)| *level)
            .collect();
        let control_mean = control.iter().sum::<f64>() / control.len() as f64;
        for &lane in near_zero {
            levels[lane - 1] = NEAR_ZERO_SHARE * control_mean;
        }
    }
    expression
}

/// The default image size; the lane layout and migration below are given for it and scale
/// with the [`Frame`].
pub const DEFAULT_SIZE: (usize, usize) = (528, 420);
const PITCH: f64 = 52.0;
const FIRST_LANE_X: f64 = 56.0;
const LANE_WIDTH: f64 = 38.0;

/// Image size of a synthetic blot. Lane positions and widths scale with the width, band rows
/// and band thickness with the height, so a larger frame is the same blot imaged finer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Image width in pixels (528 by default); lane positions and widths scale with it.
    pub width: usize,
    /// Image height in pixels (420 by default); band rows and thickness scale with it.
    pub height: usize,
}

impl Default for Frame {
    fn default() -> Self {
        Frame {
            width: DEFAULT_SIZE.0,
            height: DEFAULT_SIZE.1,
        }
    }
}

impl Frame {
    fn sx(&self) -> f64 {
        self.width as f64 / DEFAULT_SIZE.0 as f64
    }

    fn sy(&self) -> f64 {
        self.height as f64 / DEFAULT_SIZE.1 as f64
    }

    /// Row at which a protein of `kda` runs: log-linear with a gentle bow, as real gels show.
    fn migration_row(&self, kda: f64) -> f64 {
        let t = (250f64.log10() - kda.log10()) / (250f64.log10() - 8f64.log10());
        (28.0 + 360.0 * t + 14.0 * (std::f64::consts::PI * t).sin()) * self.sy()
    }
}

/// Ground truth written beside the images.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Truth {
    /// The random seed: the same seed, preset and frame write the same files.
    pub seed: u64,
    /// Name of the [`Preset`] the blot was drawn with.
    pub preset: String,
    /// The manifest's lanes, left to right, with their conditions and true loads.
    pub lanes: Vec<TruthLane>,
    /// Per image file: where the lanes and bands really are.
    pub images: Vec<TruthImage>,
    /// True fold change per sample lane × target; β-actin, the normalizer, has none.
    pub fold_change: Vec<TruthFoldChange>,
}

/// One lane as the manifest lists it, with the protein load it was drawn with.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TruthLane {
    /// 1-based lane number, left to right, ladder included (as in the outputs).
    pub lane: usize,
    /// Condition of the lane; `None` for the ladder lane.
    pub condition: Option<String>,
    /// Relative protein load of the lane (1 = nominal).
    pub load: f64,
}

/// The truth of one image file.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TruthImage {
    /// File name inside the experiment folder, as the manifest names it.
    pub file: String,
    /// True centre and width of every lane on this image, ladder included.
    pub lanes: Vec<TruthLaneGeometry>,
    /// Every band drawn: target bands, ladder bands, and the unnamed neighbour bands of the
    /// `doublet` preset (empty target).
    pub bands: Vec<TruthBand>,
    /// Pixels that reached the 16-bit ceiling (65535) after noise; counted before an 8-bit film
    /// image is made from them.
    pub saturated_px: usize,
}

/// Where one lane really is on one image.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TruthLaneGeometry {
    /// 1-based lane number, ladder included.
    pub lane: usize,
    /// Lane centre column in pixels at the image's middle row (a slanted lane leans about it).
    pub x_center: f64,
    /// Lane width in pixels, between the half-signal points of its blurred edges.
    pub width: f64,
}

/// One band as drawn, with its true volume and position.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TruthBand {
    /// 1-based lane number, ladder included.
    pub lane: usize,
    /// Target name, or `ladder`.
    pub target: String,
    /// Centre row in pixels at the lane's centre column, smile and tilt included.
    pub y_center: f64,
    /// Molecular weight the band was drawn at, in kDa: its true apparent MW.
    pub mw_kda: f64,
    /// Integrated noise-free signal above background, before any clipping.
    pub volume: f64,
    /// Peak height over the pixel noise there (read noise and the background's shot noise).
    pub snr: f64,
    /// Fraction of the band's signal that air bubbles took away (absent where none touches
    /// the band).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bubble_loss: f64,
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

/// The true fold change of one target in one sample lane.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TruthFoldChange {
    /// 1-based lane number, as in `fold_change.csv`.
    pub lane: usize,
    /// Condition of the lane.
    pub condition: String,
    /// Target name.
    pub target: String,
    /// The lane's true target volume over its β-actin volume, divided by the mean of that ratio
    /// over the untreated lanes.
    pub fold_change: f64,
}

struct BandSpec {
    lane_x: f64,
    lane_width: f64,
    y_at_centre: f64,
    peak: f64,
    sigma_up: f64,
    sigma_down: f64,
    edge_darkening: f64,
    /// How far the lane's centre moves right per row, about the middle row.
    lane_slope: f64,
}

/// Noise-free band image as (pixel index, value) pairs over the band's reach.
fn render_band(band: &BandSpec, geometry: &Geometry, frame: Frame) -> Vec<(usize, f64)> {
    let edge = 1.6;
    let x0 = (band.lane_x - band.lane_width / 2.0 - 5.0 * edge)
        .floor()
        .max(0.0) as usize;
    let x1 =
        ((band.lane_x + band.lane_width / 2.0 + 5.0 * edge).ceil() as usize).min(frame.width - 1);
    let mut out = Vec::new();
    for x in x0..=x1 {
        let xf = x as f64;
        let from_centre = ((xf - band.lane_x) / (band.lane_width / 2.0)).clamp(-1.0, 1.0);
        let across = (1.0 + (band.edge_darkening - 1.0) * from_centre * from_centre)
            / (1.0 + (-(xf - (band.lane_x - band.lane_width / 2.0)) / edge).exp())
            / (1.0 + ((xf - (band.lane_x + band.lane_width / 2.0)) / edge).exp());
        let yc = band.y_at_centre + geometry.shift(xf) - geometry.shift(band.lane_x);
        let y0 = (yc - 6.0 * band.sigma_up).floor().max(0.0) as usize;
        let y1 = ((yc + 6.0 * band.sigma_down).ceil() as usize).min(frame.height - 1);
        for y in y0..=y1 {
            let d = y as f64 - yc;
            let s = if d < 0.0 {
                band.sigma_up
            } else {
                band.sigma_down
            };
            let v = band.peak * across * (-0.5 * (d / s).powi(2)).exp();
            // A leaning lane moves sideways down the image in whole pixels per row, so the
            // band's volume stays that of the upright band.
            let shift = (band.lane_slope * (y as f64 - frame.height as f64 / 2.0)).round() as i64;
            let moved = x as i64 + shift;
            if (0..frame.width as i64).contains(&moved) {
                out.push((y * frame.width + moved as usize, v));
            }
        }
    }
    out
}

/// Smile and tilt: the downward shift of a band row at column x.
struct Geometry {
    smile_px: f64,
    tilt: f64,
    width: f64,
}

impl Geometry {
    fn shift(&self, x: f64) -> f64 {
        let u = (x - self.width / 2.0) / (self.width / 2.0);
        self.smile_px * (1.0 - u * u) + self.tilt * (x - self.width / 2.0)
    }
}

/// Writes a synthetic experiment of the default size into `out_dir` (created if needed).
pub fn write_experiment(out_dir: &Path, seed: u64, preset: &Preset, name: &str) -> Result<Truth> {
    write_experiment_framed(out_dir, seed, preset, name, Frame::default())
}

/// [`write_experiment`] with images of another size.
pub fn write_experiment_framed(
    out_dir: &Path,
    seed: u64,
    preset: &Preset,
    name: &str,
    frame: Frame,
) -> Result<Truth> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (sx, sy) = (frame.sx(), frame.sy());
    let geometry = Geometry {
        smile_px: preset.smile_px * sy,
        tilt: preset.tilt_deg.to_radians().tan(),
        width: frame.width as f64,
    };
    let lanes = lane_conditions();
    let lane_x: Vec<f64> = (0..lanes.len())
        .map(|i| (FIRST_LANE_X + i as f64 * PITCH + rng.random_range(-1.0..1.0)) * sx)
        .collect();
    let mut load: Vec<f64> = lanes.iter().map(|_| rng.random_range(0.75..1.25)).collect();
    for &lane in preset.faint_lanes {
        load[lane - 1] /= 7.0;
    }
    // Biological variation between replicate lanes, per target.
    let bio = LogNormal::new(0.0, 0.12).expect("valid lognormal");
    let expression: Vec<Vec<f64>> = TARGETS
        .iter()
        .map(|t| {
            lanes
                .iter()
                .map(|c| match c {
                    Some(c) if t.name == "β-actin" => preset.actin_effect[*c],
                    Some(c) => t.effect[*c] * bio.sample(&mut rng),
                    None => 0.0,
                })
                .collect()
        })
        .collect();
    let expression = with_near_zero_lanes(expression, &lanes, preset.near_zero_lanes);

    // Drawn only when the preset asks, so the other presets' images stay as they were.
    let lane_width: Vec<f64> = lanes
        .iter()
        .map(|_| {
            let spread = preset.lane_width_spread;
            let factor = if spread > 0.0 {
                1.0 + rng.random_range(-spread..spread)
            } else {
                1.0
            };
            LANE_WIDTH * sx * factor
        })
        .collect();
    let mut truth_images = Vec::new();
    let mut volumes: Vec<Vec<f64>> = vec![vec![0.0; lanes.len()]; TARGETS.len()];
    // The marker image, where there is one, comes last, so the ECL images of a preset
    // without one are drawn from the same random numbers as before it existed.
    let marker: &[(&str, &[&str])] = if preset.marker_image {
        &[(MARKER_FILE, &[])]
    } else {
        &[]
    };
    for &(file, targets) in IMAGES.iter().chain(marker) {
        let is_marker = file == MARKER_FILE;
        let mut image = background(&mut rng, preset, frame);
        let mut bands = Vec::new();
        // Each band's rendered pixels, for the share bubbles take from it.
        let mut band_pixels: Vec<Vec<(usize, f64)>> = Vec::new();
        let sigma_up = rng.random_range(2.6..3.2) * sy;
        let sigma_down = sigma_up * rng.random_range(1.2..1.45);
        let mut add_band =
            |image: &mut Vec<f64>, lane: usize, target: &str, kda: f64, peak: f64| {
                let spec = BandSpec {
                    lane_x: lane_x[lane],
                    lane_width: lane_width[lane],
                    y_at_centre: frame.migration_row(kda) + geometry.shift(lane_x[lane]),
                    peak,
                    sigma_up,
                    sigma_down,
                    edge_darkening: preset.edge_darkening,
                    lane_slope: preset.lane_slant_deg.to_radians().tan(),
                };
                let centre = (spec
                    .y_at_centre
                    .round()
                    .clamp(0.0, (frame.height - 1) as f64) as usize)
                    * frame.width
                    + (spec.lane_x.round() as usize).min(frame.width - 1);
                let snr = peak / (preset.read_noise.powi(2) + image[centre].max(0.0)).sqrt();
                let mut volume = 0.0;
                let rendered = render_band(&spec, &geometry, frame);
                for &(i, v) in &rendered {
                    image[i] += v;
                    volume += v;
                }
                bands.push(TruthBand {
                    lane: lane + 1,
                    target: target.to_string(),
                    y_center: spec.y_at_centre,
                    mw_kda: kda,
                    volume,
                    snr,
                    bubble_loss: 0.0,
                });
                band_pixels.push(rendered);
                volume
            };
        let ladder_shows = is_marker || !preset.marker_image;
        for &kda in LADDER_KDA.iter().filter(|_| ladder_shows) {
            add_band(
                &mut image,
                0,
                "ladder",
                kda,
                3000.0 * preset.brightness.min(1.5),
            );
        }
        for &name in targets {
            let t = TARGETS
                .iter()
                .position(|t| t.name == name)
                .expect("known target");
            for (lane, condition) in lanes.iter().enumerate() {
                if condition.is_some() {
                    let peak =
                        TARGETS[t].base_peak * expression[t][lane] * load[lane] * preset.brightness;
                    volumes[t][lane] = add_band(&mut image, lane, name, TARGETS[t].kda, peak);
                }
            }
        }
        if let (Some(kda), true) = (preset.doublet_kda, targets.contains(&"caspase-1 p20")) {
            for (lane, condition) in lanes.iter().enumerate() {
                if condition.is_some() {
                    let peak = 1200.0 * load[lane] * preset.brightness;
                    add_band(&mut image, lane, "", kda, peak);
                }
            }
        }
        if preset.edge_lines > 0.0 {
            let edges: Vec<f64> = lane_x
                .iter()
                .zip(&lane_width)
                .flat_map(|(&x, &w)| [x - w / 2.0, x + w / 2.0])
                .collect();
            add_edge_lines(
                &mut image,
                &edges,
                preset.edge_lines,
                EDGE_LINE_SD * sx,
                frame,
            );
        }
        let bubbles = add_bubbles(&mut image, &mut rng, preset.bubbles, frame);
        if !bubbles.is_empty() {
            for (band, pixels) in bands.iter_mut().zip(&band_pixels) {
                let lost: f64 = pixels
                    .iter()
                    .map(|&(i, v)| v * (1.0 - bubble_factor(&bubbles, i, frame)))
                    .sum();
                band.bubble_loss = lost / band.volume.max(f64::MIN_POSITIVE);
            }
        }
        add_dust(&mut image, &mut rng, preset.dust, frame);
        if preset.upper_membrane_shift > 0.0 {
            split_membranes(&mut image, preset.upper_membrane_shift * PITCH * sx, frame);
        }
        let (pixels, saturated_px) = add_noise(&image, &mut rng, preset.read_noise);
        let path = out_dir.join(file);
        if preset.film || is_marker {
            write_film8(&path, &pixels, frame)?;
        } else {
            write_tiff16(&path, &pixels, frame)?;
        }
        truth_images.push(TruthImage {
            file: file.to_string(),
            lanes: lane_x
                .iter()
                .enumerate()
                .map(|(i, &x)| TruthLaneGeometry {
                    lane: i + 1,
                    x_center: x,
                    width: lane_width[i],
                })
                .collect(),
            bands,
            saturated_px,
        });
    }

    let actin = TARGETS
        .iter()
        .position(|t| t.name == "β-actin")
        .expect("actin");
    let mut fold_change = Vec::new();
    for (t, target) in TARGETS.iter().enumerate().filter(|(t, _)| *t != actin) {
        let normalized: Vec<f64> = (0..lanes.len())
            .map(|l| volumes[t][l] / volumes[actin][l])
            .collect();
        let control: Vec<f64> = (0..lanes.len())
            .filter(|&l| lanes[l] == Some(0))
            .map(|l| normalized[l])
            .collect();
        let control_mean = control.iter().sum::<f64>() / control.len() as f64;
        for (l, c) in lanes.iter().enumerate() {
            if let Some(c) = c {
                fold_change.push(TruthFoldChange {
                    lane: l + 1,
                    condition: CONDITIONS[*c].to_string(),
                    target: target.name.to_string(),
                    fold_change: normalized[l] / control_mean,
                });
            }
        }
    }
    let truth = Truth {
        seed,
        preset: preset.name.to_string(),
        lanes: lanes
            .iter()
            .enumerate()
            .map(|(i, c)| TruthLane {
                lane: i + 1,
                condition: c.map(|c| CONDITIONS[c].to_string()),
                load: load[i],
            })
            .collect(),
        images: truth_images,
        fold_change,
    };
    write_json(
        &out_dir.join("truth.json"),
        &serde_json::to_value(&truth).expect("truth serializes"),
    )?;
    write_json(
        &out_dir.join(crate::manifest::MANIFEST),
        &manifest(name, preset.marker_image),
    )?;
    Ok(truth)
}

fn manifest(name: &str, marker_image: bool) -> serde_json::Value {
    let mut lanes = vec![serde_json::json!("ladder")];
    for c in CONDITIONS {
        lanes.extend([serde_json::json!(c), serde_json::json!(c)]);
    }
    serde_json::json!({
        "name": name,
        "control": CONDITIONS[0],
        "loading_control": "β-actin",
        "ladder": LADDER_NAME,
        "lanes": lanes,
        "images": IMAGES
            .iter()
            .map(|(file, targets)| serde_json::json!({"file": file, "targets": targets}))
            .chain(marker_image.then(|| serde_json::json!({"file": MARKER_FILE, "role": "marker"})))
            .collect::<Vec<_>>(),
    })
}

fn background(rng: &mut ChaCha8Rng, preset: &Preset, frame: Frame) -> Vec<f64> {
    let (width, height) = (frame.width, frame.height);
    let scale = frame.sx().max(frame.sy());
    let offset = rng.random_range(900.0..1500.0);
    let angle: f64 = rng.random_range(0.0..std::f64::consts::TAU);
    let (gx, gy) = (angle.cos(), angle.sin());
    let blotches: Vec<(f64, f64, f64, f64)> = (0..preset.blotches.0)
        .map(|_| {
            (
                rng.random_range(0.0..width as f64),
                rng.random_range(0.0..height as f64),
                rng.random_range(60.0..130.0) * scale,
                rng.random_range(0.3..1.0) * preset.blotches.1,
            )
        })
        .collect();
    let diag = ((width * width + height * height) as f64).sqrt();
    let mut image = vec![0.0; width * height];
    for y in 0..height {
        for x in 0..width {
            let (xf, yf) = (
                x as f64 - width as f64 / 2.0,
                y as f64 - height as f64 / 2.0,
            );
            let mut v = offset + preset.gradient * (0.5 + (xf * gx + yf * gy) / diag);
            for &(bx, by, s, a) in &blotches {
                let d2 = (x as f64 - bx).powi(2) + (y as f64 - by).powi(2);
                v += a * (-d2 / (2.0 * s * s)).exp();
            }
            image[y * width + x] = v;
        }
    }
    image
}

/// Air bubbles: round patches (radius 6–14 px at the default size) where the signal, bands
/// included, drops to a tenth: trapped air kept the membrane from the film or the substrate.
/// Returns each bubble's (x, y, radius); truth.json gives each band's share lost to them.
fn add_bubbles(
    image: &mut [f64],
    rng: &mut ChaCha8Rng,
    count: usize,
    frame: Frame,
) -> Vec<(f64, f64, f64)> {
    let mut bubbles = Vec::new();
    for _ in 0..count {
        let scale = frame.sx().max(frame.sy());
        let r = rng.random_range(6.0..14.0) * scale;
        let (cx, cy) = (
            rng.random_range(0.0..frame.width as f64),
            rng.random_range(0.0..frame.height as f64),
        );
        let (x0, x1) = (
            (cx - r).max(0.0) as usize,
            ((cx + r) as usize).min(frame.width - 1),
        );
        let (y0, y1) = (
            (cy - r).max(0.0) as usize,
            ((cy + r) as usize).min(frame.height - 1),
        );
        for y in y0..=y1 {
            for x in x0..=x1 {
                if (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2) <= r * r {
                    image[y * frame.width + x] *= 0.1;
                }
            }
        }
        bubbles.push((cx, cy, r));
    }
    bubbles
}

/// Makes the rows above the 62 kDa row a second membrane: moved right by `shift` pixels
/// (rounded; the frame left of it is empty), with 7 rows of empty frame between the two (at
/// the default size).
/// Empty frame holds no signal (the camera's offset is taken as zero).
fn split_membranes(image: &mut [f64], shift: f64, frame: Frame) {
    let (width, shift) = (frame.width, shift.round() as usize);
    let gap = frame.migration_row(62.0).round() as usize;
    let gap_rows = (2.5 * frame.sy()).round() as usize;
    for y in 0..gap.saturating_sub(gap_rows) {
        let row = &mut image[y * width..(y + 1) * width];
        row.copy_within(0..width - shift, shift);
        row[..shift].fill(0.0);
    }
    for y in gap.saturating_sub(gap_rows)..=(gap + gap_rows).min(frame.height - 1) {
        image[y * width..(y + 1) * width].fill(0.0);
    }
}

/// What the bubbles leave of the signal at pixel index `i` (a tenth per bubble over it).
fn bubble_factor(bubbles: &[(f64, f64, f64)], i: usize, frame: Frame) -> f64 {
    let (x, y) = ((i % frame.width) as f64, (i / frame.width) as f64);
    bubbles
        .iter()
        .filter(|&&(cx, cy, r)| (x - cx).powi(2) + (y - cy).powi(2) <= r * r)
        .fold(1.0, |factor, _| factor * 0.1)
}

/// Lines of peak `height` running down the whole image at columns `at` (Gaussian across, SD
/// `sd`).
fn add_edge_lines(image: &mut [f64], at: &[f64], height: f64, sd: f64, frame: Frame) {
    let across: Vec<f64> = (0..frame.width)
        .map(|x| {
            at.iter()
                .map(|&c| height * (-0.5 * ((x as f64 - c) / sd).powi(2)).exp())
                .sum()
        })
        .collect();
    for row in image.chunks_mut(frame.width) {
        for (v, line) in row.iter_mut().zip(&across) {
            *v += line;
        }
    }
}

fn add_dust(image: &mut [f64], rng: &mut ChaCha8Rng, count: usize, frame: Frame) {
    for _ in 0..count {
        let (cx, cy) = (
            rng.random_range(2..frame.width - 2),
            rng.random_range(2..frame.height - 2),
        );
        let amplitude = rng.random_range(3000.0..20000.0);
        for dy in -2i64..=2 {
            for dx in -2i64..=2 {
                let (x, y) = ((cx as i64 + dx) as usize, (cy as i64 + dy) as usize);
                image[y * frame.width + x] +=
                    amplitude * (-((dx * dx + dy * dy) as f64) / 1.2).exp();
            }
        }
    }
}

/// Shot noise (Poisson in counts) plus read noise, rounded and clipped to 16 bits.
fn add_noise(image: &[f64], rng: &mut ChaCha8Rng, read_noise: f64) -> (Vec<u16>, usize) {
    let read = Normal::new(0.0, read_noise).expect("valid normal");
    let mut saturated = 0;
    let pixels = image
        .iter()
        .map(|&v| {
            let shot = Poisson::new(v.max(1e-3))
                .map(|p| p.sample(rng))
                .unwrap_or(v);
            let value = (shot + read.sample(rng)).round();
            if value >= 65535.0 {
                saturated += 1;
            }
            value.clamp(0.0, 65535.0) as u16
        })
        .collect();
    (pixels, saturated)
}

fn write_tiff16(path: &Path, pixels: &[u16], frame: Frame) -> Result<()> {
    let write_err = |e: tiff::TiffError| Error::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut bytes = Vec::new();
    tiff::encoder::TiffEncoder::new(std::io::Cursor::new(&mut bytes))
        .map_err(write_err)?
        .write_image::<tiff::encoder::colortype::Gray16>(
            frame.width as u32,
            frame.height as u32,
            pixels,
        )
        .map_err(write_err)?;
    crate::io::atomic::write_atomic(path, &bytes)
}

/// An 8-bit dark-on-light "film scan": counts / 80 inverted (20 400 counts and above would be
/// black; the study's strongest bands stay below), as a scanner digitizes an exposed film.
fn write_film8(path: &Path, pixels: &[u16], frame: Frame) -> Result<()> {
    let film: Vec<u16> = pixels
        .iter()
        .map(|&v| 255 - (f64::from(v) / 80.0).round().min(255.0) as u16)
        .collect();
    crate::io::atomic::write_gray(path, frame.width, frame.height, 8, &film, false)
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).expect("JSON serializes");
    text.push('\n');
    crate::io::atomic::write_atomic(path, text.as_bytes())
}
