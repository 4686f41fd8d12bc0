//! An independent generator of synthetic ECL Western blot experiments for stress tests.
//!
//! It is written from a list of physical effects only, without looking at the crate's own
//! synthetic generator, so the two do not share blind spots. Everything is deterministic from
//! a seed (a hand-written splitmix64 generator with Box–Muller normals).
//!
//! # The study
//!
//! Conditions `untreated` (the control), `LPS`, `LPS + AMI 1 µM`, `LPS + AMI 10 µM`, two or
//! three replicate lanes each (grouped or interleaved), plus a ladder lane where the layout
//! needs one. Targets NLRP3 (118 kDa), caspase-1 p20 (20 kDa, pro-caspase-1 at 45 kDa in the
//! same image), IL-1β p17 (17 kDa, pro-IL-1β at 31 kDa in the same image) and the loading
//! control β-actin (42 kDa). Four layouts, as the manifest (DESIGN.md §3) allows them:
//! - `ladder-ecl`: a chemiluminescent ladder (`magicmark-xp`) visible in lane 1 (or the last
//!   lane) of every ECL image; targets told apart by molecular weight;
//! - `marker`: the prestained ladder (`pageruler-prestained`) shows only on a white-light
//!   `marker` image; the ECL images' ladder lane is empty;
//! - `rows`: no ladder; each target's band rows are stated as `rows: [top_px, bottom_px]`;
//! - `crops`: no ladder; each target (and the loading control) is a strip 12–20 px tall cut
//!   around its band, one target per image.
//!
//! # Physics modelled (drawn per experiment; [`Truth::features`] lists what is present)
//! - bands with a Gaussian core and exponential tails, longer below the band than above it;
//!   flat-topped across the lane with soft edges, and curved within the lane (a frown: the
//!   band's ends droop at the lane's sides);
//! - a smile across the blot (band rows vary smoothly from lane to lane) and a slight tilt;
//! - a strong smooth background gradient, a multiplicative vignette and soft blotches;
//! - dust specks: small bright or dark points;
//! - faint lanes (low loading: every band of the lane, loading control included, is weaker,
//!   so the true fold change is unaffected);
//! - untreated lanes whose cleaved bands (p20, p17) are faint but visible (5–15 % of LPS);
//! - a non-specific band 17–30 % in MW away from each target, constant across conditions;
//! - images of one experiment shifted a few pixels against each other;
//! - dark-band storage (bands darker than the background, as a film scan or an inverted
//!   export stores them);
//! - tight crops (strips around each band);
//! - Gaussian read noise plus shot-like noise (variance growing with the signal).
//!
//! Images are 16-bit grayscale TIFF or PNG, never clipped (an image that would reach the
//! ceiling is scaled down as a whole before noise, truth included).
//!
//! # Truth
//! A band's true volume is the sum over the image's pixels of the band's own noise-free
//! contribution (vignette applied), that is its integrated intensity above the true
//! background (gradient, blotches, dust and the other bands excluded). For a crop only the part
//! inside the strip counts (the strip is all the image holds). The true fold change of a lane ×
//! target follows DESIGN.md §4: `normalized = target volume / β-actin volume` in that lane,
//! `fold_change = normalized / mean(normalized over the untreated lanes of the experiment)`;
//! every lane is its own biological replicate (the manifest names no samples). Each band also
//! records its noise-free peak height and the noise SD at its peak's background level, so its
//! peak can be judged in noise SDs.

use std::f64::consts::PI;
use std::path::Path;

use serde_json::{json, Value};

/// The control condition, first of [`CONDITIONS`].
pub const CONTROL: &str = "untreated";
/// The study's conditions, control first.
pub const CONDITIONS: [&str; 4] = ["untreated", "LPS", "LPS + AMI 1 µM", "LPS + AMI 10 µM"];
/// The loading control every target is normalized to.
pub const LOADING_CONTROL: &str = "β-actin";

/// Deterministic random numbers: splitmix64, uniform doubles and Box–Muller normals.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Mixing the seed once keeps neighbouring seeds from starting on similar states.
        let mut rng = Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B);
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform()
    }

    /// Uniform integer in `low..=high`.
    pub fn int(&mut self, low: usize, high: usize) -> usize {
        low + (self.next_u64() % (high - low + 1) as u64) as usize
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    pub fn sign(&mut self) -> f64 {
        if self.chance(0.5) {
            1.0
        } else {
            -1.0
        }
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
    }
}

/// How the experiment tells its targets' bands apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    LadderOnEcl,
    MarkerImage,
    Rows,
    Crops,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::LadderOnEcl => "ladder-ecl",
            Layout::MarkerImage => "marker",
            Layout::Rows => "rows",
            Layout::Crops => "crops",
        }
    }

    fn has_ladder_lane(self) -> bool {
        matches!(self, Layout::LadderOnEcl | Layout::MarkerImage)
    }
}

/// The true values of one quantified lane × target.
#[derive(Debug, Clone)]
pub struct TruthCell {
    pub target: String,
    /// 1-based lane number along the manifest's `lanes` (ladder included).
    pub lane: usize,
    pub condition: String,
    /// Integrated noise-free intensity of the band above the true background.
    pub volume: f64,
    /// Noise-free peak height of the band above the true background.
    pub peak: f64,
    /// Noise SD at the band's peak, from read noise and the shot noise of the background there.
    pub noise_sd: f64,
    /// True fold change; `None` for the loading control itself.
    pub fold_change: Option<f64>,
    /// The lane is a low-load (faint) lane.
    pub faint_lane: bool,
    /// The band was drawn near zero on purpose ([`Options::near_zero`]).
    pub near_zero: bool,
}

impl TruthCell {
    /// The band's peak in noise SDs.
    pub fn peak_snr(&self) -> f64 {
        self.peak / self.noise_sd
    }
}

/// What the generator knows about an experiment it wrote.
#[derive(Debug, Clone)]
pub struct Truth {
    pub seed: u64,
    pub name: String,
    pub layout: Layout,
    /// The physical effects present, by name (see the module doc).
    pub features: Vec<&'static str>,
    /// 1-based lanes loaded at a fraction of the others.
    pub faint_lanes: Vec<usize>,
    /// Read-noise SD of the ECL images (counts); shot noise comes on top.
    pub read_noise_sd: f64,
    /// Every quantified target (loading control included) in every sample lane.
    pub cells: Vec<TruthCell>,
    /// Per image file: every manifest lane's true centre column (lanes are upright).
    pub lane_centres: Vec<(String, Vec<f64>)>,
    /// Centre-to-centre lane spacing, pixels.
    pub pitch: f64,
}

impl Truth {
    pub fn has(&self, feature: &str) -> bool {
        self.features.contains(&feature)
    }
}

/// A band species drawn on one image: a target, a pro-form, a non-specific band.
struct Species {
    /// The manifest target it is, or a description for bands that are not quantified.
    name: String,
    mw: f64,
    image: usize,
    /// Listed among its image's targets, so measured and scored.
    quantified: bool,
    /// Peak amplitude per condition (index into [`CONDITIONS`]) at full load.
    amplitude: [f64; 4],
    /// Lane-to-lane biological variation (SD of the log amplitude).
    lane_sd: f64,
    shape: Shape,
}

/// Vertical and horizontal shape of a band.
#[derive(Clone, Copy)]
struct Shape {
    /// SD of the Gaussian core, rows.
    sigma: f64,
    /// Tail weight and decay length below the band (towards lower MW).
    tail_down: (f64, f64),
    /// Tail weight and decay length above the band.
    tail_up: (f64, f64),
    /// How far the band's ends droop at the lane's edges, rows.
    frown: f64,
    /// Softness of the band's left and right edges, columns.
    edge_softness: f64,
}

impl Shape {
    /// Vertical profile at `d` rows below the band's centre line: 1 at the centre.
    fn vertical(&self, d: f64) -> f64 {
        let core = (-d * d / (2.0 * self.sigma * self.sigma)).exp();
        let (weight, length) = if d > 0.0 {
            self.tail_down
        } else {
            self.tail_up
        };
        // The tail rises from zero at the centre so the peak stays at the centre line.
        core + weight * (-d.abs() / length).exp() * (1.0 - core)
    }

    fn reach_up(&self) -> f64 {
        5.0 * self.sigma + 9.0 * self.tail_up.1
    }

    fn reach_down(&self) -> f64 {
        5.0 * self.sigma + 9.0 * self.tail_down.1
    }
}

/// Lane placement on the membrane.
#[derive(Clone, Copy)]
struct Lane {
    x: f64,
    width: f64,
}

/// Geometry shared by every image of the membrane.
struct Geometry {
    width: usize,
    height: usize,
    lanes: Vec<Lane>,
    /// Row of the top and bottom of the MW scale (log-linear in between).
    mw_top: (f64, f64),
    mw_bottom: (f64, f64),
    smile: f64,
    tilt: f64,
}

impl Geometry {
    /// Membrane row of a band of `mw` kDa at the blot's middle column.
    fn row_of_mw(&self, mw: f64) -> f64 {
        let (top_mw, top_row) = self.mw_top;
        let (bottom_mw, bottom_row) = self.mw_bottom;
        let t = (top_mw.log10() - mw.log10()) / (top_mw.log10() - bottom_mw.log10());
        top_row + t * (bottom_row - top_row)
    }

    /// Row offset at column `x` from the smile and the tilt.
    fn distortion(&self, x: f64) -> f64 {
        let half = self.width as f64 / 2.0;
        let u = (x - half) / half;
        self.smile * (1.0 - u * u) + self.tilt * (x - half)
    }

    /// Row of a band's centre line at column `x` of `lane`.
    fn band_row(&self, nominal: f64, lane: &Lane, shape: &Shape, x: f64) -> f64 {
        let across = (x - lane.x) / (lane.width / 2.0);
        nominal + self.distortion(x) + shape.frown * across * across
    }
}

/// Per-image background, vignette and noise.
struct Backdrop {
    level: f64,
    gradient: (f64, f64),
    curvature: f64,
    vignette: f64,
    blotches: Vec<(f64, f64, f64, f64)>,
    read_sd: f64,
    shot_gain: f64,
}

impl Backdrop {
    fn draw(rng: &mut Rng, features: &Features) -> Backdrop {
        let level = rng.range(1500.0, 5000.0);
        let strength = if features.gradient {
            rng.range(0.8, 1.6)
        } else {
            rng.range(0.0, 0.15)
        };
        let angle = rng.range(0.0, 2.0 * PI);
        let gradient = (
            level * strength * angle.cos(),
            level * strength * angle.sin(),
        );
        let curvature = if features.gradient {
            level * rng.range(-0.5, 0.5)
        } else {
            0.0
        };
        let vignette = if features.vignette {
            rng.range(0.15, 0.35)
        } else {
            0.0
        };
        Backdrop {
            level,
            gradient,
            curvature,
            vignette,
            blotches: Vec::new(),
            read_sd: rng.range(25.0, 110.0),
            shot_gain: rng.range(0.3, 1.5),
        }
    }

    /// Additive background at frame position `(x, y)` of a `width` × `height` frame.
    fn background(&self, x: f64, y: f64, width: f64, height: f64) -> f64 {
        let u = x / width - 0.5;
        let v = y / height - 0.5;
        let mut b =
            self.level + self.gradient.0 * u + self.gradient.1 * v + self.curvature * u * u * 4.0;
        for &(bx, by, sd, amplitude) in &self.blotches {
            let r2 = (x - bx).powi(2) + (y - by).powi(2);
            b += amplitude * (-r2 / (2.0 * sd * sd)).exp();
        }
        b.max(200.0)
    }

    /// Multiplicative light falloff towards the frame's corners.
    fn vignette_at(&self, x: f64, y: f64, width: f64, height: f64) -> f64 {
        let u = 2.0 * x / width - 1.0;
        let v = 2.0 * y / height - 1.0;
        1.0 - self.vignette * (u * u + v * v) / 2.0
    }

    fn noise_sd(&self, level: f64) -> f64 {
        (self.read_sd * self.read_sd + self.shot_gain * level.max(0.0)).sqrt()
    }
}

/// Which physical effects an experiment has.
#[derive(Default)]
struct Features {
    long_tails: bool,
    frown: bool,
    smile: bool,
    tilt: bool,
    gradient: bool,
    vignette: bool,
    blotches: bool,
    dust: bool,
    faint_lanes: bool,
    faint_control: bool,
    non_specific: bool,
    shifted: bool,
    dark_bands: bool,
    combined_lower: bool,
    pro_targets: bool,
    png: bool,
}

/// One image file of the experiment.
struct ImageSpec {
    file: String,
    marker: bool,
    /// Rows of the full frame this image holds: `(first, height)`.
    rows: (usize, usize),
    /// Where the membrane lands in the frame, pixels.
    shift: (f64, f64),
    /// Lanes that show the chemiluminescent ladder.
    ladder_visible: bool,
    backdrop: Backdrop,
}

/// Departures from what a seed draws, for tests aimed at one situation. The default departs
/// from nothing: [`generate_with`] then writes byte for byte what [`generate`] writes.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The layout to use instead of the seed's (the seed's draw is still made, so the rest of
    /// the experiment is drawn from the same sequence up to where the layout matters).
    pub layout: Option<Layout>,
    /// The height of every crop strip, rows, instead of the drawn 12–20 (crops layout only).
    pub strip: Option<usize>,
    /// Near-zero lanes: for each target, one or two non-control sample lanes (drawn from a
    /// sequence of their own) hold the target's band at this fraction of the control lanes'
    /// mean level relative to the loading control, so their true fold change is about this
    /// fraction; the loading control and every other band stay as drawn.
    pub near_zero: Option<f64>,
}

/// Writes experiment `seed` into `dir` (images and `experiment.json`) and returns its truth.
pub fn generate(seed: u64, dir: &Path) -> Truth {
    generate_with(seed, dir, &Options::default())
}

/// [`generate`] with departures from what the seed draws (see [`Options`]).
pub fn generate_with(seed: u64, dir: &Path, options: &Options) -> Truth {
    let mut rng = Rng::new(seed);
    let drawn_layout = match rng.uniform() {
        u if u < 0.3 => Layout::LadderOnEcl,
        u if u < 0.6 => Layout::MarkerImage,
        u if u < 0.8 => Layout::Rows,
        _ => Layout::Crops,
    };
    let layout = options.layout.unwrap_or(drawn_layout);
    let crops = layout == Layout::Crops;
    let features = Features {
        long_tails: rng.chance(0.5),
        frown: rng.chance(0.6),
        smile: rng.chance(0.5),
        tilt: rng.chance(0.4),
        gradient: rng.chance(0.6),
        vignette: rng.chance(0.5),
        blotches: rng.chance(0.5),
        dust: rng.chance(0.5),
        faint_lanes: rng.chance(0.4),
        faint_control: rng.chance(0.7),
        non_specific: rng.chance(0.7),
        shifted: rng.chance(0.5),
        dark_bands: rng.chance(0.3),
        combined_lower: !crops && rng.chance(0.3),
        pro_targets: !crops && rng.chance(0.4),
        png: rng.chance(0.3),
    };

    // Lanes: replicates grouped by condition or interleaved, the ladder left or right.
    let replicates = rng.int(2, 3);
    let interleaved = rng.chance(0.3);
    let mut conditions: Vec<usize> = Vec::new();
    for k in 0..4 * replicates {
        conditions.push(if interleaved { k % 4 } else { k / replicates });
    }
    let mut lanes: Vec<Option<usize>> = conditions.iter().map(|&c| Some(c)).collect();
    if layout.has_ladder_lane() {
        if rng.chance(0.8) {
            lanes.insert(0, None);
        } else {
            lanes.push(None);
        }
    }
    let sample_lanes: Vec<usize> = (0..lanes.len()).filter(|&i| lanes[i].is_some()).collect();

    // Loading per lane: a little uneven everywhere, a fraction in the faint lanes.
    let mut load: Vec<f64> = lanes.iter().map(|_| (0.08 * rng.normal()).exp()).collect();
    let mut faint_lanes = Vec::new();
    if features.faint_lanes {
        for _ in 0..rng.int(1, 2) {
            let i = sample_lanes[rng.int(0, sample_lanes.len() - 1)];
            if !faint_lanes.contains(&(i + 1)) {
                load[i] *= rng.range(0.15, 0.35);
                faint_lanes.push(i + 1);
            }
        }
    }

    // Membrane geometry.
    let pitch = rng.range(34.0, 48.0);
    let margin = rng.range(18.0, 40.0);
    let width = (2.0 * margin + pitch * lanes.len() as f64).round() as usize;
    let height = rng.int(300, 420);
    let lane_fraction = rng.range(0.62, 0.8);
    let geometry_lanes: Vec<Lane> = (0..lanes.len())
        .map(|i| Lane {
            x: margin + pitch * (i as f64 + 0.5) + rng.range(-1.0, 1.0),
            width: pitch * lane_fraction * rng.range(0.95, 1.05),
        })
        .collect();
    let (smile_max, tilt_max) = if crops { (2.0, 0.003) } else { (10.0, 0.015) };
    let geometry = Geometry {
        width,
        height,
        lanes: geometry_lanes,
        mw_top: (rng.range(240.0, 300.0), 0.05 * height as f64),
        mw_bottom: (rng.range(8.0, 10.0), 0.95 * height as f64),
        smile: if features.smile {
            rng.sign() * rng.range(0.4, 1.0) * smile_max
        } else {
            0.0
        },
        tilt: if features.tilt {
            rng.sign() * rng.range(0.4, 1.0) * tilt_max
        } else {
            0.0
        },
    };

    let shape_of = |rng: &mut Rng| Shape {
        sigma: if crops {
            rng.range(1.4, 2.4)
        } else {
            rng.range(1.8, 3.4)
        },
        tail_down: if features.long_tails {
            (rng.range(0.15, 0.3), rng.range(6.0, 10.0))
        } else {
            (rng.range(0.05, 0.15), rng.range(2.0, 4.0))
        },
        tail_up: (rng.range(0.03, 0.12), rng.range(1.5, 3.5)),
        frown: if features.frown {
            rng.range(1.0, if crops { 1.5 } else { 3.0 })
        } else {
            rng.range(0.0, 0.3)
        },
        edge_softness: rng.range(0.8, 2.0),
    };

    // Images: one per target, or the two cleaved targets on one lower image.
    let ext = if features.png { "png" } else { "tif" };
    let mut files: Vec<String> = vec![format!("nlrp3.{ext}")];
    if features.combined_lower {
        files.push(format!("lower.{ext}"));
    } else {
        files.push(format!("caspase-1.{ext}"));
        files.push(format!("il-1b.{ext}"));
    }
    files.push(format!("actin.{ext}"));
    let image_of = |target: &str| -> usize {
        match target {
            "NLRP3" => 0,
            "caspase-1 p20" | "pro-caspase-1" => 1,
            "IL-1β p17" | "pro-IL-1β" => {
                if features.combined_lower {
                    1
                } else {
                    2
                }
            }
            _ => files.len() - 1,
        }
    };

    // Condition responses: [untreated, LPS, AMI 1, AMI 10] relative to LPS.
    let cleaved_control = if features.faint_control {
        rng.range(0.05, 0.15)
    } else {
        rng.range(0.2, 0.4)
    };
    let ami1 = rng.range(0.5, 0.85);
    let ami10 = rng.range(0.2, 0.5);
    let mut species: Vec<Species> = Vec::new();
    let targets: [(&str, f64, [f64; 4], bool); 6] = [
        (
            "NLRP3",
            118.0,
            [
                rng.range(0.25, 0.5),
                1.0,
                rng.range(0.6, 0.9),
                rng.range(0.3, 0.6),
            ],
            true,
        ),
        (
            "pro-caspase-1",
            45.0,
            [rng.range(0.8, 1.0), 1.0, 1.0, rng.range(0.9, 1.0)],
            features.pro_targets,
        ),
        (
            "caspase-1 p20",
            20.0,
            [cleaved_control, 1.0, ami1, ami10],
            true,
        ),
        (
            "pro-IL-1β",
            31.0,
            [
                rng.range(0.1, 0.3),
                1.0,
                rng.range(0.7, 1.0),
                rng.range(0.6, 0.9),
            ],
            features.pro_targets,
        ),
        (
            "IL-1β p17",
            17.0,
            [
                cleaved_control * rng.range(0.8, 1.2),
                1.0,
                ami1 * rng.range(0.9, 1.1),
                ami10 * rng.range(0.9, 1.1),
            ],
            true,
        ),
        (LOADING_CONTROL, 42.0, [1.0; 4], true),
    ];
    for (name, mw, response, quantified) in targets {
        if crops && name.starts_with("pro-") {
            continue; // a strip around a cleaved band does not reach its pro-form
        }
        let base = if name == LOADING_CONTROL {
            rng.range(12000.0, 26000.0)
        } else {
            rng.range(6000.0, 20000.0)
        };
        let lane_sd = if name == LOADING_CONTROL { 0.0 } else { 0.12 };
        species.push(Species {
            name: name.to_string(),
            mw,
            image: image_of(name),
            quantified,
            amplitude: response.map(|r| r * base),
            lane_sd,
            shape: shape_of(&mut rng),
        });
    }
    if features.non_specific {
        // One non-specific band per quantified target, on the side away from the image's other
        // bands (so it is a neighbour, not a stand-in for another target).
        let nonspecific: Vec<(usize, f64, f64)> = species
            .iter()
            .filter(|s| s.quantified && !s.name.starts_with("pro-"))
            .map(|s| {
                let away = rng.range(0.17, 0.3);
                let above = match s.name.as_str() {
                    "caspase-1 p20" => true,
                    "IL-1β p17" => false,
                    _ => rng.chance(0.5),
                };
                let mw = if above {
                    s.mw * (1.0 + away)
                } else {
                    s.mw * (1.0 - away)
                };
                (s.image, mw, s.amplitude[1] * rng.range(0.2, 0.5))
            })
            .collect();
        for (image, mw, amplitude) in nonspecific {
            species.push(Species {
                name: format!("non-specific {mw:.0} kDa"),
                mw,
                image,
                quantified: false,
                amplitude: [amplitude; 4],
                lane_sd: 0.05,
                shape: shape_of(&mut rng),
            });
        }
    }

    // Per-lane amplitudes, drawn once for every species so all images agree.
    let mut amplitudes: Vec<Vec<f64>> = species
        .iter()
        .map(|s| {
            lanes
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Some(c) => s.amplitude[*c] * load[i] * (s.lane_sd * rng.normal()).exp(),
                    None => 0.0,
                })
                .collect()
        })
        .collect();

    // Near-zero lanes, drawn from their own sequence so the rest of the experiment is unchanged.
    let mut near_zero: Vec<(String, usize)> = Vec::new();
    if let Some(fraction) = options.near_zero {
        let mut picker = Rng::new(seed ^ 0x0A11_0F0F_2E70_1A4E);
        let actin = species
            .iter()
            .position(|s| s.name == LOADING_CONTROL)
            .expect("the loading control is drawn");
        let controls: Vec<usize> = sample_lanes
            .iter()
            .copied()
            .filter(|&i| lanes[i] == Some(0))
            .collect();
        let others: Vec<usize> = sample_lanes
            .iter()
            .copied()
            .filter(|&i| lanes[i] != Some(0))
            .collect();
        for (k, s) in species.iter().enumerate() {
            if !s.quantified || k == actin {
                continue;
            }
            // The control lanes' mean level relative to their loading control.
            let control_level = controls
                .iter()
                .map(|&i| amplitudes[k][i] / amplitudes[actin][i])
                .sum::<f64>()
                / controls.len() as f64;
            let count = picker.int(1, 2);
            let mut chosen: Vec<usize> = Vec::new();
            while chosen.len() < count {
                let i = others[picker.int(0, others.len() - 1)];
                if !chosen.contains(&i) {
                    chosen.push(i);
                }
            }
            for i in chosen {
                amplitudes[k][i] = fraction * control_level * amplitudes[actin][i];
                near_zero.push((s.name.clone(), i + 1));
            }
        }
    }

    // The images: a frame each, shifted, cropped, with their own backdrop.
    let mut images: Vec<ImageSpec> = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let shift = if features.shifted {
            (rng.range(-6.0, 6.0), rng.range(-4.0, 4.0))
        } else {
            (0.0, 0.0)
        };
        let rows = if crops {
            let s = species.iter().find(|s| s.image == index && s.quantified);
            // Centred on the band's mean row across the lanes, as a person would cut it.
            let distortion = geometry
                .lanes
                .iter()
                .map(|l| geometry.distortion(l.x))
                .sum::<f64>()
                / geometry.lanes.len() as f64;
            let centre = geometry.row_of_mw(s.map_or(42.0, |s| s.mw)) + distortion + shift.1;
            let drawn_strip = rng.int(12, 20);
            let strip = options.strip.unwrap_or(drawn_strip);
            let first = (centre - strip as f64 / 2.0 + rng.range(-2.0, 2.0)).round() as usize;
            (first, strip)
        } else {
            (0, height)
        };
        let mut backdrop = Backdrop::draw(&mut rng, &features);
        if features.blotches {
            for _ in 0..rng.int(2, 5) {
                backdrop.blotches.push((
                    rng.range(0.0, width as f64),
                    rng.range(0.0, height as f64),
                    rng.range(10.0, 40.0),
                    rng.sign() * rng.range(600.0, 4000.0),
                ));
            }
        }
        images.push(ImageSpec {
            file: file.clone(),
            marker: false,
            rows,
            shift,
            ladder_visible: layout == Layout::LadderOnEcl,
            backdrop,
        });
    }
    if layout == Layout::MarkerImage {
        let shift = if features.shifted {
            (rng.range(-3.0, 3.0), rng.range(-2.0, 2.0))
        } else {
            (0.0, 0.0)
        };
        let backdrop = Backdrop::draw(&mut rng, &features);
        images.push(ImageSpec {
            file: format!("marker.{ext}"),
            marker: true,
            rows: (0, height),
            shift,
            ladder_visible: true,
            backdrop,
        });
    }

    let ladder: &[f64] = match layout {
        Layout::LadderOnEcl => &[220.0, 120.0, 100.0, 80.0, 60.0, 50.0, 40.0, 30.0, 20.0],
        Layout::MarkerImage => &[180.0, 130.0, 100.0, 70.0, 55.0, 35.0, 25.0, 15.0, 10.0],
        _ => &[],
    };
    let ladder_shape = shape_of(&mut rng);
    let ladder_amplitude = rng.range(5000.0, 14000.0);
    let dark = features.dark_bands;

    // Render every image and collect each quantified band's truth.
    // (species index, lane index) -> (volume, peak, noise sd)
    let mut band_truth: Vec<Vec<Option<(f64, f64, f64)>>> =
        vec![vec![None; lanes.len()]; species.len()];
    let mut image_entries: Vec<Value> = Vec::new();
    for (index, image) in images.iter().enumerate() {
        let (first_row, rows) = image.rows;
        let mut frame = Frame {
            width,
            rows,
            first_row,
            full_height: height,
            pixels: vec![0.0; width * rows],
            vignette: Vec::new(),
        };
        frame.fill_vignette(&image.backdrop);
        let mut bands: Vec<(usize, usize, Band)> = Vec::new();
        if image.marker {
            render_marker(&mut frame, image, &geometry, &lanes, ladder, &ladder_shape);
        } else {
            for (k, s) in species.iter().enumerate().filter(|(_, s)| s.image == index) {
                for (i, lane) in geometry.lanes.iter().enumerate() {
                    if lanes[i].is_none() {
                        continue;
                    }
                    let band =
                        frame.render_band(&geometry, lane, s.mw, &s.shape, amplitudes[k][i], image);
                    bands.push((k, i, band));
                }
            }
            if image.ladder_visible {
                for (i, lane) in geometry.lanes.iter().enumerate() {
                    if lanes[i].is_some() {
                        continue;
                    }
                    for &mw in ladder {
                        frame.render_band(
                            &geometry,
                            lane,
                            mw,
                            &ladder_shape,
                            ladder_amplitude,
                            image,
                        );
                    }
                }
            }
            frame.add_background(&image.backdrop);
            if features.dust {
                frame.add_dust(&mut rng);
            }
        }
        // Keep the image below the ceiling: scale the whole noise-free image (truth too).
        let ceiling = if dark || image.marker {
            56000.0
        } else {
            60000.0
        };
        let max = frame.pixels.iter().cloned().fold(0.0, f64::max);
        let scale = if max > ceiling { ceiling / max } else { 1.0 };
        for p in &mut frame.pixels {
            *p *= scale;
        }
        for (k, i, band) in &bands {
            let centre = frame.index(band.peak_at.0, band.peak_at.1);
            let level = frame.pixels[centre] - band.peak * scale;
            let noise = image.backdrop.noise_sd(level);
            band_truth[*k][*i] = Some((band.volume * scale, band.peak * scale, noise));
        }
        let stored: Vec<u16> = frame
            .pixels
            .iter()
            .map(|&v| {
                let noisy = v + image.backdrop.noise_sd(v) * rng.normal();
                let out = if dark && !image.marker {
                    62000.0 - noisy
                } else {
                    noisy
                };
                out.round().clamp(0.0, 65535.0) as u16
            })
            .collect();
        let buffer: image::ImageBuffer<image::Luma<u16>, Vec<u16>> =
            image::ImageBuffer::from_raw(width as u32, rows as u32, stored)
                .expect("buffer matches its size");
        buffer
            .save(dir.join(&image.file))
            .expect("image written to the temporary folder");

        image_entries.push(if image.marker {
            json!({"file": image.file, "role": "marker"})
        } else {
            let listed: Vec<&Species> = species
                .iter()
                .filter(|s| s.image == index && s.quantified)
                .collect();
            let targets = if layout == Layout::Rows {
                let mut map = serde_json::Map::new();
                for s in &listed {
                    let (top, bottom) = stated_rows(s, &species, &geometry, &lanes, image);
                    map.insert(s.name.clone(), json!({"rows": [top, bottom]}));
                }
                Value::Object(map)
            } else {
                json!(listed.iter().map(|s| s.name.clone()).collect::<Vec<_>>())
            };
            json!({"file": image.file, "targets": targets})
        });
    }

    // The manifest.
    let name = format!("stress-{seed}");
    let lane_entries: Vec<Value> = lanes
        .iter()
        .map(|c| match c {
            Some(c) => json!(CONDITIONS[*c]),
            None => json!("ladder"),
        })
        .collect();
    let mut manifest = json!({
        "name": name,
        "control": CONTROL,
        "loading_control": LOADING_CONTROL,
        "lanes": lane_entries,
        "images": image_entries,
    });
    match layout {
        Layout::LadderOnEcl => manifest["ladder"] = json!("magicmark-xp"),
        Layout::MarkerImage => manifest["ladder"] = json!("pageruler-prestained"),
        _ => {}
    }
    std::fs::write(
        dir.join("experiment.json"),
        serde_json::to_string_pretty(&manifest).expect("manifest serializes"),
    )
    .expect("manifest written");

    // Truth cells: every quantified species in every sample lane, with fold changes.
    let actin = species
        .iter()
        .position(|s| s.name == LOADING_CONTROL)
        .expect("the loading control is drawn");
    let mut cells = Vec::new();
    for (k, s) in species.iter().enumerate().filter(|(_, s)| s.quantified) {
        let normalized = |i: usize| {
            let (target, _, _) = band_truth[k][i].expect("band rendered");
            let (control, _, _) = band_truth[actin][i].expect("band rendered");
            target / control
        };
        let control_lanes: Vec<usize> = sample_lanes
            .iter()
            .copied()
            .filter(|&i| lanes[i] == Some(0))
            .collect();
        let control_mean =
            control_lanes.iter().map(|&i| normalized(i)).sum::<f64>() / control_lanes.len() as f64;
        for &i in &sample_lanes {
            let (volume, peak, noise_sd) = band_truth[k][i].expect("band rendered");
            cells.push(TruthCell {
                target: s.name.clone(),
                lane: i + 1,
                condition: CONDITIONS[lanes[i].expect("sample lane")].to_string(),
                volume,
                peak,
                noise_sd,
                fold_change: (k != actin).then(|| normalized(i) / control_mean),
                faint_lane: faint_lanes.contains(&(i + 1)),
                near_zero: near_zero.contains(&(s.name.clone(), i + 1)),
            });
        }
    }

    let mut present: Vec<&'static str> = vec![layout.name()];
    let named = [
        (features.long_tails, "long-tails"),
        (features.frown, "frown"),
        (features.smile, "smile"),
        (features.tilt, "tilt"),
        (features.gradient, "gradient"),
        (features.vignette, "vignette"),
        (features.blotches, "blotches"),
        (features.dust, "dust"),
        (features.faint_lanes, "faint-lanes"),
        (features.faint_control, "faint-control"),
        (features.non_specific, "non-specific"),
        (features.shifted, "shifted"),
        (features.dark_bands, "dark-bands"),
        (features.combined_lower, "combined-lower"),
        (features.pro_targets, "pro-targets"),
        (features.png, "png"),
    ];
    present.extend(named.iter().filter(|(on, _)| *on).map(|(_, n)| *n));

    Truth {
        seed,
        name,
        layout,
        features: present,
        faint_lanes,
        read_noise_sd: images[0].backdrop.read_sd,
        cells,
        lane_centres: images
            .iter()
            .map(|image| {
                let centres = geometry.lanes.iter().map(|l| l.x + image.shift.0);
                (image.file.clone(), centres.collect())
            })
            .collect(),
        pitch,
    }
}

/// The `rows` a careful person would state for a target: its band's rows across every lane,
/// with a margin that stops short of the nearest other band on the image.
fn stated_rows(
    target: &Species,
    species: &[Species],
    geometry: &Geometry,
    lanes: &[Option<usize>],
    image: &ImageSpec,
) -> (usize, usize) {
    let nominal = geometry.row_of_mw(target.mw);
    let nearest = species
        .iter()
        .filter(|s| s.image == target.image && s.name != target.name)
        .map(|s| (geometry.row_of_mw(s.mw) - nominal).abs())
        .fold(f64::INFINITY, f64::min);
    let margin = (3.0 * target.shape.sigma + 3.0).min(0.45 * nearest);
    let mut low = f64::INFINITY;
    let mut high = f64::NEG_INFINITY;
    for (i, lane) in geometry.lanes.iter().enumerate() {
        if lanes[i].is_none() {
            continue;
        }
        for x in [lane.x - lane.width / 2.0, lane.x, lane.x + lane.width / 2.0] {
            let row = geometry.band_row(nominal, lane, &target.shape, x) + image.shift.1;
            low = low.min(row);
            high = high.max(row);
        }
    }
    let top = (low - margin).floor().max(0.0) as usize;
    let bottom = ((high + margin).ceil() as usize).min(geometry.height - 1);
    (top, bottom)
}

/// What rendering a band left in the image: its volume, peak and where the peak is.
struct Band {
    volume: f64,
    peak: f64,
    /// (column, image row) of the peak.
    peak_at: (usize, usize),
}

/// The noise-free image being drawn: `rows` rows of the full frame from `first_row`.
struct Frame {
    width: usize,
    rows: usize,
    first_row: usize,
    full_height: usize,
    pixels: Vec<f64>,
    vignette: Vec<f64>,
}

impl Frame {
    fn index(&self, x: usize, row: usize) -> usize {
        row * self.width + x
    }

    fn frame_y(&self, row: usize) -> f64 {
        (row + self.first_row) as f64
    }

    fn fill_vignette(&mut self, backdrop: &Backdrop) {
        let (w, h) = (self.width as f64, self.full_height as f64);
        self.vignette = (0..self.rows)
            .flat_map(|r| {
                let y = self.frame_y(r);
                (0..self.width).map(move |x| backdrop.vignette_at(x as f64, y, w, h))
            })
            .collect();
    }

    /// Draws one band of `amplitude` peak height into the frame (vignette applied) and
    /// returns what it added.
    fn render_band(
        &mut self,
        geometry: &Geometry,
        lane: &Lane,
        mw: f64,
        shape: &Shape,
        amplitude: f64,
        image: &ImageSpec,
    ) -> Band {
        let nominal = geometry.row_of_mw(mw);
        let (dx, dy) = image.shift;
        let half = lane.width / 2.0 + 6.0 * shape.edge_softness;
        let x0 = (lane.x + dx - half).floor().max(0.0) as usize;
        let x1 = ((lane.x + dx + half).ceil() as usize).min(self.width - 1);
        let mut band = Band {
            volume: 0.0,
            peak: 0.0,
            peak_at: (lane.x.round() as usize, 0),
        };
        for col in x0..=x1 {
            // Membrane column under this frame column.
            let x = col as f64 - dx;
            let across =
                1.0 / (1.0 + (((x - lane.x).abs() - lane.width / 2.0) / shape.edge_softness).exp());
            let centre = geometry.band_row(nominal, lane, shape, x) + dy;
            let top = (centre - shape.reach_up()).floor();
            let bottom = (centre + shape.reach_down()).ceil();
            for y in (top.max(0.0) as usize)..=(bottom.max(0.0) as usize) {
                if y < self.first_row || y >= self.first_row + self.rows {
                    continue;
                }
                let row = y - self.first_row;
                let i = self.index(col, row);
                let value =
                    amplitude * across * shape.vertical(y as f64 - centre) * self.vignette[i];
                self.pixels[i] += value;
                band.volume += value;
                if value > band.peak {
                    band.peak = value;
                    band.peak_at = (col, row);
                }
            }
        }
        band
    }

    fn add_background(&mut self, backdrop: &Backdrop) {
        let (w, h) = (self.width as f64, self.full_height as f64);
        for row in 0..self.rows {
            let y = self.frame_y(row);
            for x in 0..self.width {
                let i = self.index(x, row);
                self.pixels[i] += backdrop.background(x as f64, y, w, h) * self.vignette[i];
            }
        }
    }

    /// Small bright or dark points, one to three pixels across.
    fn add_dust(&mut self, rng: &mut Rng) {
        let specks = rng.int(5, 30) * self.rows / self.full_height.max(1) + rng.int(0, 3);
        for _ in 0..specks {
            let x = rng.int(1, self.width - 2);
            let row = rng.int(0, self.rows - 1);
            let bright = rng.chance(0.6);
            let strength = if bright {
                rng.range(2000.0, 15000.0)
            } else {
                rng.range(0.3, 0.8)
            };
            let size = rng.int(0, 1);
            for r in row.saturating_sub(size)..=(row + size).min(self.rows - 1) {
                for c in x - size..=x + size {
                    let i = self.index(c, r);
                    if bright {
                        self.pixels[i] += strength;
                    } else {
                        self.pixels[i] *= 1.0 - strength;
                    }
                }
            }
        }
    }
}

/// A white-light image of the membrane: light, with the prestained ladder dark in its lane
/// and the sample lanes hardly darker than the membrane.
fn render_marker(
    frame: &mut Frame,
    image: &ImageSpec,
    geometry: &Geometry,
    lanes: &[Option<usize>],
    ladder: &[f64],
    shape: &Shape,
) {
    let (w, h) = (frame.width as f64, frame.full_height as f64);
    let light = 30000.0 + 3.0 * image.backdrop.level;
    for row in 0..frame.rows {
        let y = frame.frame_y(row);
        for x in 0..frame.width {
            let i = frame.index(x, row);
            let tint = image.backdrop.gradient.0 * (x as f64 / w - 0.5)
                + image.backdrop.gradient.1 * (y / h - 0.5);
            frame.pixels[i] = (light + tint) * frame.vignette[i];
        }
    }
    let mut absorbance = Frame {
        width: frame.width,
        rows: frame.rows,
        first_row: frame.first_row,
        full_height: frame.full_height,
        pixels: vec![0.0; frame.pixels.len()],
        vignette: vec![1.0; frame.pixels.len()],
    };
    for (i, lane) in geometry.lanes.iter().enumerate() {
        match lanes[i] {
            None => {
                for &mw in ladder {
                    absorbance.render_band(geometry, lane, mw, shape, 0.4, image);
                }
            }
            Some(_) => {
                // A faint stain down the whole sample lane.
                let (dx, _) = image.shift;
                let x0 = (lane.x + dx - lane.width / 2.0).max(0.0) as usize;
                let x1 = ((lane.x + dx + lane.width / 2.0) as usize).min(frame.width - 1);
                for row in 0..frame.rows {
                    for x in x0..=x1 {
                        let k = absorbance.index(x, row);
                        absorbance.pixels[k] += 0.02;
                    }
                }
            }
        }
    }
    for (p, a) in frame.pixels.iter_mut().zip(&absorbance.pixels) {
        *p *= (1.0 - a).max(0.05);
    }
}
