//! `blotquant init`: a starter manifest for a folder of images, with the lane count the
//! images show.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::catalog::LADDER;
use crate::error::{Error, Result};
use crate::manifest::{lone_image_plan, MANIFEST};
use crate::params::Params;
use crate::pipeline;
use crate::results::{BandRow, ExperimentResult, LaneRow};

/// Fewest bands a lane needs to be taken for a ladder (marker ladders hold 9 to 12).
const LADDER_MIN_BANDS: usize = 5;

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
            [".tif", ".tiff", ".png", ".jpg", ".jpeg"]
                .iter()
                .any(|ext| lower.ends_with(ext))
        })
        .collect();
    images.sort();
    if images.is_empty() {
        return Err(Error::manifest(
            dir.join(MANIFEST),
            "images",
            "no TIFF, PNG or JPEG image in this folder",
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
    let entries: Vec<Value> = images
        .iter()
        .map(|(file, lanes, _)| {
            let mut entry = serde_json::json!({"file": file, "targets": ["TARGET"]});
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
    serde_json::json!({
        "name": name,
        "control": format!("CONDITION OF LANE {first_sample}"),
        "loading_control": "LOADING CONTROL TARGET",
        "lanes": lanes,
        "images": entries,
    })
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
