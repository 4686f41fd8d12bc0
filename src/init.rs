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
use crate::results::ExperimentResult;

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
    let detected: Vec<Option<ExperimentResult>> = images
        .iter()
        .map(|image| {
            let plan = lone_image_plan(&dir.join(image), params);
            pipeline::analyze_experiment(&plan, &pipeline::no_overlay).ok()
        })
        .collect();
    let mut tally: BTreeMap<usize, usize> = BTreeMap::new();
    for result in detected.iter().flatten() {
        *tally.entry(result.lanes.len()).or_default() += 1;
    }
    let lane_count = tally
        .iter()
        .max_by_key(|(count, n)| (**n, **count))
        .map(|(c, _)| *c)
        .unwrap_or(1);
    // Images that show the common count state their lanes, so that a person edits numbers
    // and the analysis places them as they stand.
    let of_count: Vec<&ExperimentResult> = detected
        .iter()
        .flatten()
        .filter(|r| r.lanes.len() == lane_count)
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
        .zip(&detected)
        .map(|(file, result)| {
            let mut entry = serde_json::json!({"file": file, "targets": ["TARGET"]});
            if let Some(r) = result.as_ref().filter(|r| r.lanes.len() == lane_count) {
                let round = |v: f64| (v * 10.0).round() / 10.0;
                entry["lanes_px"] = serde_json::json!({
                    "x": r.lanes.iter().map(|l| round(l.x_center_px)).collect::<Vec<_>>(),
                    "width": r.lanes.iter().map(|l| round(l.width_px)).collect::<Vec<_>>(),
                });
            }
            entry
        })
        .collect();
    Ok(serde_json::json!({
        "name": dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        "control": format!("CONDITION OF LANE {first_sample}"),
        "loading_control": "LOADING CONTROL TARGET",
        "lanes": lanes,
        "images": entries,
    }))
}

/// The ladder lane, if the images show one: a lane holding at least [`LADDER_MIN_BANDS`] bands
/// on most images, more than twice as many as the median lane. 1-based.
fn ladder_lane(results: &[&ExperimentResult], lane_count: usize) -> Option<usize> {
    let mut votes: BTreeMap<usize, usize> = BTreeMap::new();
    for result in results {
        let bands_in = |lane: usize| result.bands.iter().filter(|b| b.lane == lane).count();
        let counts: Vec<f64> = (1..=lane_count).map(|l| bands_in(l) as f64).collect();
        let median = crate::stats::median(&counts);
        let (lane, most) = counts
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, &c)| (i + 1, c))?;
        if most >= LADDER_MIN_BANDS as f64 && most > 2.0 * median {
            *votes.entry(lane).or_default() += 1;
        }
    }
    votes
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .filter(|&(_, n)| 2 * n > results.len())
        .map(|(lane, _)| lane)
}
