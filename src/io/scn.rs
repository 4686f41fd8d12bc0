//! Bio-Rad Image Lab `.scn` files (ChemiDoc, Gel Doc): a MIME multipart document of XML
//! headers and the raw 16-bit image, read with the `openreadout-gel` crate (a clean-room reader
//! of the format, MIT/Apache-2.0). The raw counts are quantified, not an 8-bit "export for
//! display"; the polarity is the file's own, and the acquisition facts (instrument,
//! application, exposure, binning, date) go to `results.json` and the methods text.

use std::path::Path;

use openreadout_core::{FormatReader, Input, PixelType, PlaneIndex};
use openreadout_gel::ImageLabReader;
use serde::{Deserialize, Serialize};

use super::{check_size, Decoded, Polarity};
use crate::error::{Error, Result};
use crate::params::LoadParams;

/// How an image was acquired, as its imager's own file states it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Acquisition {
    /// The file format, with the software version where the file names it.
    pub format: String,
    /// The imager (e.g. `ChemiDoc Touch Imaging System`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<String>,
    /// The imager's application (e.g. `Chemi Hi Sensitivity`, `Colorimetric`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    /// Exposure time in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure_s: Option<f64>,
    /// Camera binning as the file states it (e.g. `2x2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binning: Option<String>,
    /// When the image was taken, as the file states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// An Image Lab file starts with a MIME header (the reader checks the rest).
pub(super) fn is_scn(bytes: &[u8]) -> bool {
    bytes.starts_with(b"MIME-Version:")
}

/// An `.scn` file decoded: the first scan's pixels as display values, with the polarity its
/// header gives (where it gives one) and its acquisition facts.
pub(super) fn decode(path: &Path, bytes: &[u8], limits: &LoadParams) -> Result<Decoded> {
    let name = path
        .file_name()
        .map_or_else(|| "image.scn".into(), |n| n.to_string_lossy().into_owned());
    let unreadable = |what: String| {
        Error::image(
            path,
            format!("not a readable Image Lab .scn file: {what}"),
            "open it in Image Lab and save it again, or export the raw image as 16-bit TIFF",
        )
    };
    let input = Input::from_bytes(&name, bytes.to_vec());
    let mut dataset = ImageLabReader
        .open_input(&input)
        .map_err(|e| unreadable(e.to_string()))?;
    let info = dataset.info().map_err(|e| unreadable(e.to_string()))?;
    let first = info
        .images
        .first()
        .ok_or_else(|| unreadable("it holds no image".into()))?;
    check_size(
        path,
        u64::from(first.size_x),
        u64::from(first.size_y),
        limits,
    )?;
    let plane = dataset
        .read_plane(0, PlaneIndex::default())
        .map_err(|e| unreadable(e.to_string()))?;
    let (stored, bit_depth, full_scale): (Vec<f32>, u8, f32) = match plane.pixel_type {
        PixelType::Uint16 => (
            plane
                .data
                .chunks_exact(2)
                .map(|b| f32::from(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            16,
            65535.0,
        ),
        PixelType::Uint8 => (plane.data.iter().map(|&b| f32::from(b)).collect(), 8, 255.0),
        other => return Err(unreadable(format!("{other:?} samples"))),
    };
    let extra = &first.extra;
    // zero_is = "white": Image Lab shows low counts white and high counts dark.
    let white_is_zero = extra.get("zero_is").and_then(|v| v.as_str()) == Some("white");
    let values = if white_is_zero {
        stored.iter().map(|v| full_scale - v).collect()
    } else {
        stored
    };
    let ceiling = ["data_ceiling", "max_value"]
        .iter()
        .filter_map(|k| extra.get(*k).and_then(|v| v.as_f64()))
        .map(|v| v as f32)
        .find(|&v| v > 0.0 && v <= full_scale);
    let acquisition = acquisition(dataset.as_ref(), info.format_version.as_deref());
    // Counts of light (chemiluminescence, fluorescence) are signal; a white-light scan of a
    // stained gel or blot stores light reflected or passed, where bands are the low counts:
    // that is left to the histogram.
    let white_light = acquisition.application.as_deref().is_some_and(|a| {
        let a = a.to_ascii_lowercase();
        ["colorimetric", "coomassie", "silver", "ponceau", "white"]
            .iter()
            .any(|w| a.contains(w))
    });
    let polarity = (!white_light).then_some(if white_is_zero {
        Polarity::DarkBands
    } else {
        Polarity::LightBands
    });
    Ok(Decoded {
        width: plane.width as usize,
        height: plane.height as usize,
        transparent: vec![false; values.len()],
        values,
        bit_depth,
        full_scale,
        max_sample_tag: ceiling,
        white_is_zero,
        lossy: false,
        // Every file seen holds one scan (the reader's notes); the first is read.
        more_pages: false,
        channels: 1,
        header_polarity: polarity,
        acquisition: Some(acquisition),
    })
}

/// The acquisition facts the reader found in the file's headers.
fn acquisition(dataset: &dyn openreadout_core::Dataset, version: Option<&str>) -> Acquisition {
    let format = match version {
        Some(v) => format!("Bio-Rad Image Lab .scn ({v})"),
        None => "Bio-Rad Image Lab .scn".to_string(),
    };
    let Some(experiment) = dataset.experiment() else {
        return Acquisition {
            format,
            ..Acquisition::default()
        };
    };
    let parameter = |name: &str| {
        experiment
            .method
            .as_ref()
            .and_then(|m| m.parameters.get(name))
            .map(|q| q.value.clone())
    };
    let as_text = |v: serde_json::Value| match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Acquisition {
        format,
        instrument: experiment.instrument.as_ref().and_then(|i| i.model.clone()),
        application: parameter("application").map(as_text),
        exposure_s: parameter("exposure_time").and_then(|v| v.as_f64()),
        binning: parameter("binning").map(as_text),
        date: experiment
            .acquisition
            .as_ref()
            .and_then(|a| a.started_at.clone()),
    }
}
