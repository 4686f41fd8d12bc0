//! `blotquant init`: a starter manifest for a folder of images, with the lane count the
//! images show.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::manifest::{lone_image_plan, MANIFEST};
use crate::params::Params;
use crate::pipeline;

/// A starter manifest for the images in `dir`: one placeholder condition per lane (the lane
/// count detected on the images, the most common count winning), placeholders for the
/// control, loading control and targets.
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
    let mut counts: Vec<usize> = Vec::new();
    for image in &images {
        let plan = lone_image_plan(&dir.join(image), params);
        if let Ok(result) = pipeline::analyze_experiment(&plan, &pipeline::no_overlay) {
            counts.push(result.lanes.len());
        }
    }
    let mut tally: BTreeMap<usize, usize> = BTreeMap::new();
    for c in &counts {
        *tally.entry(*c).or_default() += 1;
    }
    let lane_count = tally
        .iter()
        .max_by_key(|(count, n)| (**n, **count))
        .map(|(c, _)| *c)
        .unwrap_or(1);
    let lanes: Vec<Value> = (1..=lane_count)
        .map(|i| Value::String(format!("CONDITION OF LANE {i}")))
        .collect();
    Ok(serde_json::json!({
        "name": dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        "control": "CONDITION OF LANE 1",
        "loading_control": "LOADING CONTROL TARGET",
        "lanes": lanes,
        "images": images.iter().map(|f| serde_json::json!({"file": f, "targets": ["TARGET"]})).collect::<Vec<_>>(),
    }))
}
