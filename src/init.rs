//! `blotquant init`: a starter manifest for a folder of images, with the lane count the
//! images show.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::bands::calibration::calibrate;
use crate::bands::Peak;
use crate::catalog::{self, Target, LADDER};
use crate::error::{Error, Result};
use crate::manifest::{lone_image_plan, MANIFEST};
use crate::params::Params;
use crate::params::QuantParams;
use crate::pipeline;
use crate::results::{BandRow, ExperimentResult, LaneRow};

/// Fewest bands a lane needs to be taken for a ladder (marker ladders hold 9 to 12).
const LADDER_MIN_BANDS: usize = 5;
/// A ladder is named only where its bands lie within this of log-linear (log10 kDa: 0.05 is
/// 12 % in MW) …
const LADDER_FIT_LOG10: f64 = 0.05;
/// … and no other ladder fits within this of it.
const LADDER_FIT_MARGIN_LOG10: f64 = 0.01;

/// A starter manifest for the images in `dir`: one placeholder condition per lane (the lane
/// count detected on the images, the most common count winning), `ladder` for a lane that
/// holds a ladder's many bands on most images, each image's detected lanes as `lanes_px` where
/// it shows that count, placeholders for the control, loading control and targets.
pub fn starter_manifest(dir: &Path, params: &Params) -> Result<Value> {
    let read_err = |source| Error::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut images: Vec<String> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            let lower = name.to_lowercase();
            [".tif", ".tiff", ".png", ".jpg", ".jpeg", ".scn"]
                .iter()
                .any(|ext| lower.ends_with(ext))
        })
        .collect();
    images.sort();
    if images.is_empty() {
        return Err(Error::manifest(
            dir.join(MANIFEST),
            "images",
            "no TIFF, PNG, JPEG or Image Lab .scn image in this folder",
            "put the blot images of one experiment in the folder first",
        ));
    }
    // Each image's own lanes and bands, detected without a manifest.
    let detected: Vec<(String, Option<ExperimentResult>)> = images
        .into_iter()
        .map(|image| {
            let plan = lone_image_plan(&dir.join(&image), params);
            let result = pipeline::analyze_experiment(&plan, &pipeline::no_overlay).ok();
            (image, result)
        })
        .collect();
    let mut tally: BTreeMap<usize, usize> = BTreeMap::new();
    for (_, result) in &detected {
        if let Some(r) = result {
            *tally.entry(r.lanes.len()).or_default() += 1;
        }
    }
    let lane_count = tally
        .iter()
        .max_by_key(|(count, n)| (**n, **count))
        .map(|(c, _)| *c)
        .unwrap_or(1);
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let images: Vec<(String, &[LaneRow], &[BandRow])> = detected
        .iter()
        .map(|(file, result)| match result {
            Some(r) => (file.clone(), r.lanes.as_slice(), r.bands.as_slice()),
            None => (file.clone(), &[][..], &[][..]),
        })
        .collect();
    Ok(manifest_of(&name, lane_count, &images))
}

/// A starter manifest for one image as `detect` found it (`lanes`, `bands` of the image), the
/// image named `file` relative to the manifest's folder.
pub fn starter_manifest_for_image(
    name: &str,
    file: &str,
    lanes: &[LaneRow],
    bands: &[BandRow],
) -> Value {
    manifest_of(
        name,
        lanes.len().max(1),
        &[(file.to_string(), lanes, bands)],
    )
}

/// The starter manifest of `images` (file, its detected lanes and bands) with `lane_count`
/// lanes: the ladder lane marked, the other lanes' conditions placeholders; images that show
/// `lane_count` lanes state them as `lanes_px`, so that a person edits numbers and the
/// analysis places the lanes as they stand.
fn manifest_of(
    name: &str,
    lane_count: usize,
    images: &[(String, &[LaneRow], &[BandRow])],
) -> Value {
    let of_count: Vec<(&[LaneRow], &[BandRow])> = images
        .iter()
        .filter(|(_, lanes, _)| lanes.len() == lane_count)
        .map(|(_, lanes, bands)| (*lanes, *bands))
        .collect();
    let ladder = ladder_lane(&of_count, lane_count);
    let lanes: Vec<Value> = (1..=lane_count)
        .map(|i| {
            if Some(i) == ladder {
                Value::String(LADDER.to_string())
            } else {
                Value::String(format!("CONDITION OF LANE {i}"))
            }
        })
        .collect();
    let first_sample = (1..=lane_count).find(|&i| Some(i) != ladder).unwrap_or(1);
    let marker = ladder.and_then(|lane| identify_ladder(images, lane));
    let mut loading_control: Option<String> = None;
    let entries: Vec<Value> = images
        .iter()
        .map(|(file, lanes, bands)| {
            let suggested = match (&marker, ladder) {
                (Some((_, kda)), Some(lane)) if lanes.len() == lane_count => {
                    suggest_targets(file, bands, lane, kda, lane_count)
                }
                _ => Vec::new(),
            };
            if loading_control.is_none() {
                loading_control = suggested
                    .iter()
                    .find(|t| t.loading_control)
                    .map(|t| t.name.clone());
            }
            let targets: Vec<String> = if suggested.is_empty() {
                vec!["TARGET".to_string()]
            } else {
                suggested.iter().map(|t| t.name.clone()).collect()
            };
            let mut entry = serde_json::json!({"file": file, "targets": targets});
            if lanes.len() == lane_count {
                let round = |v: f64| (v * 10.0).round() / 10.0;
                entry["lanes_px"] = serde_json::json!({
                    "x": lanes.iter().map(|l| round(l.x_center_px)).collect::<Vec<_>>(),
                    "width": lanes.iter().map(|l| round(l.width_px)).collect::<Vec<_>>(),
                });
            }
            entry
        })
        .collect();
    let mut manifest = serde_json::json!({
        "name": name,
        "control": format!("CONDITION OF LANE {first_sample}"),
        "loading_control": loading_control.unwrap_or_else(|| "LOADING CONTROL TARGET".into()),
        "lanes": lanes,
        "images": entries,
    });
    if let Some((ladder_name, _)) = marker {
        manifest["ladder"] = Value::String(ladder_name);
    }
    manifest
}

/// The built-in ladder whose sizes the ladder lane's bands fit best (log10 kDa nearly linear
/// in migration, [`calibrate`]), on the first image that shows the ladder lane; `None` where no
/// ladder fits within [`LADDER_FIT_LOG10`] or two fit within [`LADDER_FIT_MARGIN_LOG10`] of each
/// other (a starter manifest does not guess between them).
fn identify_ladder(
    images: &[(String, &[LaneRow], &[BandRow])],
    ladder_lane: usize,
) -> Option<(String, Vec<f64>)> {
    let peaks = images
        .iter()
        .map(|(_, _, bands)| peaks_of(bands, ladder_lane))
        .find(|peaks| peaks.len() >= LADDER_MIN_BANDS)?;
    let mut fits: Vec<(f64, String, Vec<f64>)> = catalog::ladder_names()
        .into_iter()
        .filter_map(|name| {
            let kda = catalog::built_in_ladder(name)?;
            let fit = calibrate(&peaks, &kda)?;
            Some((fit.max_residual_log10, name.to_string(), kda))
        })
        .collect();
    fits.sort_by(|a, b| a.0.total_cmp(&b.0));
    let best = fits.first()?;
    let clear = fits
        .get(1)
        .is_none_or(|second| second.0 - best.0 > LADDER_FIT_MARGIN_LOG10);
    (best.0 <= LADDER_FIT_LOG10 && clear).then(|| (best.1.clone(), best.2.clone()))
}

/// An image's bands in `lane` as peaks (their SNR standing for prominence).
fn peaks_of(bands: &[BandRow], lane: usize) -> Vec<Peak> {
    bands
        .iter()
        .filter(|b| b.lane == lane)
        .map(|b| Peak {
            lane,
            y: b.y_center_px,
            height: b.snr as f32,
            prominence: b.snr as f32,
            top: b.top_px,
            bottom: b.bottom_px,
        })
        .collect()
}

/// The built-in targets an image's bands suggest: those whose MW (within the default
/// tolerance, read off the ladder `kda` in `ladder_lane`) a band shows in at least half of the
/// sample lanes, and whose name the file's name contains (`caspase-1.tif`: pro-caspase-1 and
/// caspase-1 p20), since MW alone cannot tell β-actin (42 kDa) from pro-caspase-1 (45 kDa).
fn suggest_targets(
    file: &str,
    bands: &[BandRow],
    ladder_lane: usize,
    kda: &[f64],
    lane_count: usize,
) -> Vec<Target> {
    let Some(calibration) = calibrate(&peaks_of(bands, ladder_lane), kda) else {
        return Vec::new();
    };
    let stem = Path::new(file)
        .file_stem()
        .map(|s| catalog::name_key(&s.to_string_lossy()))
        .unwrap_or_default();
    let tolerance = QuantParams::default().mw_tolerance;
    let sample_lanes = lane_count.saturating_sub(1).max(1);
    catalog::built_in_targets()
        .into_iter()
        .filter(|(_, spellings)| {
            !stem.is_empty()
                && spellings.iter().any(|s| {
                    let key = catalog::name_key(s);
                    key.contains(&stem) || stem.contains(&key)
                })
        })
        .filter(|(target, _)| {
            let expected = target.nominal_kda();
            let lanes_showing: std::collections::BTreeSet<usize> = bands
                .iter()
                .filter(|b| b.lane != ladder_lane)
                .filter(|b| {
                    let apparent = calibration.kda_at(b.y_center_px);
                    (apparent / expected).ln().abs() <= (1.0 + tolerance).ln()
                })
                .map(|b| b.lane)
                .collect();
            2 * lanes_showing.len() >= sample_lanes
        })
        .map(|(target, _)| target)
        .collect()
}

/// The ladder lane, if the images show one: a lane holding at least [`LADDER_MIN_BANDS`] bands
/// on most images, more than twice as many as the median lane. 1-based.
fn ladder_lane(images: &[(&[LaneRow], &[BandRow])], lane_count: usize) -> Option<usize> {
    let mut votes: BTreeMap<usize, usize> = BTreeMap::new();
    for (_, bands) in images {
        let bands_in = |lane: usize| bands.iter().filter(|b| b.lane == lane).count();
        let counts: Vec<f64> = (1..=lane_count).map(|l| bands_in(l) as f64).collect();
        let median = crate::stats::median(&counts);
        let Some((lane, most)) = counts
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, &c)| (i + 1, c))
        else {
            continue;
        };
        if most >= LADDER_MIN_BANDS as f64 && most > 2.0 * median {
            *votes.entry(lane).or_default() += 1;
        }
    }
    votes
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .filter(|&(_, n)| 2 * n > images.len())
        .map(|(lane, _)| lane)
}
