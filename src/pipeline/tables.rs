//! The rows of the output tables, from the analyzed images.

use std::path::Path;

use base64::Engine as _;

use super::ImageAnalysis;
use crate::bands::MeasuredBand;
use crate::catalog;
use crate::manifest::{LaneSpec, Plan};
use crate::params::Params;
use crate::quant::{self, Flag, Flags, LaneSignal};
use crate::results::{
    BandRow, DetectionRow, ExperimentResult, FoldChangeRow, ImageTraces, LaneRow,
};

pub(super) fn lane_spec(plan: &Plan, lane: usize) -> Option<&LaneSpec> {
    plan.lanes.get(lane - 1)
}

pub(super) fn detection_row(plan: &Plan, image: &ImageAnalysis) -> DetectionRow {
    let grid = &image.grid;
    let mut reasons = grid.reasons(plan.lanes.is_empty());
    // Lanes that all leaned stand upright on the sheared image, but lean in the file.
    let leaning = crate::lanes::DetectionReason::Leaning;
    if image.sheared.is_some() && !reasons.contains(&leaning) {
        reasons.push(leaning);
    }
    let reasons: Vec<&str> = reasons.into_iter().map(|r| r.as_str()).collect();
    DetectionRow {
        experiment: plan.name.clone(),
        image: image.file.clone(),
        lanes: grid.lanes.len(),
        pitch_px: grid.pitch,
        confidence: grid.confidence,
        reasons: reasons.join(";"),
        width_px: image.size.0,
        height_px: image.size.1,
        acquisition: image.acquisition.clone(),
        polarity: Some(image.polarity.0),
        polarity_source: Some(image.polarity.1),
        storage: image.storage,
    }
}

pub(super) fn lane_rows(plan: &Plan, image: &ImageAnalysis) -> Vec<LaneRow> {
    image
        .grid
        .lanes
        .iter()
        .map(|lane| {
            let spec = lane_spec(plan, lane.index);
            LaneRow {
                experiment: plan.name.clone(),
                image: image.file.clone(),
                lane: lane.index,
                condition: match spec {
                    Some(s) => s
                        .condition
                        .clone()
                        .unwrap_or_else(|| catalog::LADDER.into()),
                    None => String::new(),
                },
                sample: spec.and_then(|s| s.sample.clone()).unwrap_or_default(),
                x_center_px: lane.x_center,
                width_px: lane.width,
            }
        })
        .collect()
}

pub(super) fn band_rows(plan: &Plan, image: &ImageAnalysis) -> Vec<BandRow> {
    image
        .bands
        .iter()
        .map(|b| BandRow {
            experiment: plan.name.clone(),
            image: image.file.clone(),
            lane: b.peak.lane,
            target: b.target.clone().unwrap_or_default(),
            y_center_px: b.peak.y,
            top_px: b.peak.top,
            bottom_px: b.peak.bottom,
            apparent_mw_kda: b.apparent_mw_kda,
            volume: b.volume.volume,
            background: b.volume.background,
            adjusted_volume: b.volume.adjusted(),
            saturated_px: b.volume.saturated_px,
            snr: b.snr,
            flags: Flags(band_flags(b, &plan.params)),
            left_px: b.columns.0,
            right_px: b.columns.1.saturating_sub(1),
        })
        .collect()
}

pub(super) fn band_flags(band: &MeasuredBand, params: &Params) -> Vec<Flag> {
    let mut flags = band.flags.clone();
    if band.snr < params.quant.low_snr {
        flags.push(Flag::LowSnr);
    }
    flags
}

/// Per-lane signals of a target, from the image that holds it.
pub(super) fn target_signals(
    plan: &Plan,
    images: &[ImageAnalysis],
    target: &str,
) -> Vec<LaneSignal> {
    let Some(image) = images.iter().find(|i| {
        plan.images
            .iter()
            .any(|p| p.file == i.file && p.targets.iter().any(|t| t.target.name == target))
    }) else {
        return Vec::new();
    };
    plan.lanes
        .iter()
        .filter(|l| l.is_sample())
        .map(|spec| {
            let band = image
                .bands
                .iter()
                .find(|b| b.peak.lane == spec.index && b.target.as_deref() == Some(target));
            let mut flags = match band {
                Some(b) => band_flags(b, &plan.params),
                None => vec![Flag::NotDetected],
            };
            flags.dedup();
            LaneSignal {
                lane: spec.index,
                condition: spec.condition.clone().unwrap_or_default(),
                sample: spec.sample.clone(),
                signal: band.map(|b| b.volume.adjusted()),
                saturated: band.is_some_and(|b| b.volume.saturated_px > 0),
                flags,
            }
        })
        .collect()
}

pub(super) fn fold_change_rows(plan: &Plan, images: &[ImageAnalysis]) -> Vec<FoldChangeRow> {
    let Some(control) = &plan.control else {
        return Vec::new();
    };
    let loading_control = plan.loading_control.as_ref().map(|t| t.name.as_str());
    let mut rows = Vec::new();
    for image in &plan.images {
        for target in &image.targets {
            let name = &target.target.name;
            let normalizer = plan.normalizers.get(name).or(plan.loading_control.as_ref());
            // The loading control is not normalized to itself (unless it has its own normalizer).
            if Some(name.as_str()) == loading_control && !plan.normalizers.contains_key(name) {
                continue;
            }
            let signals = target_signals(plan, images, name);
            let normalizer_signals =
                normalizer.map(|n| (n.name.as_str(), target_signals(plan, images, &n.name)));
            let norm = normalizer_signals.as_ref().map(|(n, s)| (*n, s.as_slice()));
            rows.extend(quant::fold_changes(
                &plan.name,
                name,
                control,
                &signals,
                norm,
                &plan.params.quant,
            ));
        }
    }
    rows
}

/// Warnings about the normalizers of a plan (the loading-control validation of ANCHORS R3): a
/// normalizer whose signal differs between conditions (one-way ANOVA, p < 0.05) was either
/// changed by the treatment, which makes it no fair yardstick, or loaded unevenly by condition.
/// Where every lane states its `load_ug`, the test is on signal per µg, so that stated loads
/// are accounted for and what is left is the treatment's.
pub(super) fn normalizer_warnings(plan: &Plan, images: &[ImageAnalysis]) -> Vec<String> {
    let mut names: Vec<&str> = plan
        .loading_control
        .iter()
        .chain(plan.normalizers.values())
        .map(|t| t.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let load_of = |lane: usize| {
        plan.lanes
            .iter()
            .find(|l| l.index == lane)
            .and_then(|l| l.load_ug)
            .filter(|ug| *ug > 0.0)
    };
    names
        .into_iter()
        .filter_map(|name| {
            let mut signals = target_signals(plan, images, name);
            let per_ug = signals.iter().all(|s| load_of(s.lane).is_some());
            if per_ug {
                for s in &mut signals {
                    s.signal = s.signal.zip(load_of(s.lane)).map(|(v, ug)| v / ug);
                }
            }
            let anova = quant::normalizer_anova(&signals).filter(|a| a.p_value < 0.05)?;
            let (what, why) = if per_ug {
                (
                    "its signal per µg loaded (load_ug)",
                    "the treatment may change it, so it may not be a valid normalizer",
                )
            } else {
                (
                    "its signal",
                    "either the treatment changes it, and it is no valid normalizer, or the lanes of some conditions were loaded more than others, which normalizing to it corrects; a total-protein stain, or each lane's load_ug in the manifest, tells which",
                )
            };
            Some(format!(
                "loading control {name}: {what} differs between conditions (one-way ANOVA F = {:.2}, p = {:.3}): {why}",
                anova.f, anova.p_value
            ))
        })
        .collect()
}

/// Warnings about the values of the fold-change table that are not what they seem: targets
/// whose control lanes give no positive mean on this blot (so no fold change), and values
/// measured below the limit of detection or below the background.
pub(super) fn value_warnings(rows: &[FoldChangeRow]) -> Vec<String> {
    let mut targets: Vec<&str> = rows.iter().map(|r| r.target.as_str()).collect();
    targets.dedup();
    let mut warnings = Vec::new();
    for target in targets {
        let of_target = || rows.iter().filter(move |r| r.target == target);
        if of_target().any(|r| r.flags.contains(Flag::ControlNotDetected)) {
            warnings.push(format!(
                "{target}: the control lanes give no usable mean (none measured, all below the limit of detection, or their mean at or below the background): no fold change for this blot"
            ));
        }
        let lanes_with = |flag: Flag| -> Vec<String> {
            of_target()
                .filter(|r| r.flags.contains(flag))
                .map(|r| r.lane.to_string())
                .collect()
        };
        let below_lod = lanes_with(Flag::BelowLod);
        if !below_lod.is_empty() {
            warnings.push(format!(
                "{target}: no band above the limit of detection in lane(s) {}: measured at the target's row with its box (flag below-lod)",
                below_lod.join(", ")
            ));
        }
        let negative = lanes_with(Flag::BelowBackground);
        if !negative.is_empty() {
            warnings.push(format!(
                "{target}: less signal than background in lane(s) {} (flag below-background): left out of the log2 statistics",
                negative.join(", ")
            ));
        }
    }
    warnings
}

/// A warning for each image most of whose target bands come out below their background: the
/// bands were likely taken for the background, as when the image's polarity (dark or light
/// bands) was read or stated the wrong way round, or its background swallowed them.
pub(super) fn polarity_warnings(bands: &[BandRow]) -> Vec<String> {
    let mut images: Vec<&str> = bands.iter().map(|b| b.image.as_str()).collect();
    images.dedup();
    images
        .into_iter()
        .filter_map(|image| {
            let targets: Vec<&BandRow> = bands
                .iter()
                .filter(|b| b.image == image && !b.target.is_empty() && b.target != catalog::LADDER)
                .collect();
            let negative = targets.iter().filter(|b| b.adjusted_volume < 0.0).count();
            (2 * negative > targets.len()).then(|| {
                format!(
                    "{image}: {negative} of its {} target bands come out below their background: the image's polarity (bands dark or light) or its background is likely wrong; check the overlay, and set the image's `polarity` in the manifest",
                    targets.len()
                )
            })
        })
        .collect()
}

/// A warning where the histograms of an experiment's images (markers aside, which are
/// photographs of another kind) put the bands on different sides: images of one experiment
/// are normally stored alike, so one of them is likely read the wrong way round. None is
/// turned: a total-protein stain scanned beside chemiluminescence counts can differ rightly.
pub(super) fn mixed_polarity_warning(plan: &Plan, images: &[ImageAnalysis]) -> Option<String> {
    use crate::io::{Polarity, PolaritySource};
    let detected: Vec<(&str, Polarity)> = images
        .iter()
        .filter(|i| !plan.images.iter().any(|p| p.is_marker && p.file == i.file))
        .filter(|i| i.polarity.1 == PolaritySource::Histogram)
        .map(|i| (i.file.as_str(), i.polarity.0))
        .collect();
    let dark: Vec<&str> = detected
        .iter()
        .filter(|(_, p)| *p == Polarity::DarkBands)
        .map(|(f, _)| *f)
        .collect();
    let light: Vec<&str> = detected
        .iter()
        .filter(|(_, p)| *p == Polarity::LightBands)
        .map(|(f, _)| *f)
        .collect();
    (!dark.is_empty() && !light.is_empty()).then(|| {
        format!(
            "its images' histograms disagree on polarity: dark bands on light in {}, light bands on dark in {}; images of one experiment are normally stored alike, so check the overlays of the fewer and state `polarity` for them in the manifest if they are read the wrong way round",
            dark.join(", "),
            light.join(", ")
        )
    })
}

/// The experiment's tables from its analyzed images (blots, then markers): lanes, detection
/// (blots only: a marker's lanes are the blots'), bands, traces and overlays per image, then
/// fold changes and the normalizer's warnings.
pub(super) fn experiment_result(
    plan: &Plan,
    images: &[ImageAnalysis],
    warnings: Vec<String>,
) -> ExperimentResult {
    let mut result = ExperimentResult {
        name: plan.name.clone(),
        folder: plan.dir.display().to_string(),
        control: plan.control.clone(),
        replicate: plan.replicate,
        warnings,
        ..Default::default()
    };
    let is_marker = |file: &str| plan.images.iter().any(|i| i.is_marker && i.file == file);
    for image in images {
        result.lanes.extend(lane_rows(plan, image));
        // A marker's lanes are the blots' lanes, not detected on it.
        if !is_marker(&image.file) {
            result.detection.push(detection_row(plan, image));
        }
        result.bands.extend(band_rows(plan, image));
        result.warnings.extend(image.warnings.iter().cloned());
        let stem = Path::new(&image.file)
            .with_extension("")
            .to_string_lossy()
            .replace(['/', '\\'], "_");
        result.traces.push(ImageTraces {
            experiment: plan.name.clone(),
            image: image.file.clone(),
            overlay: format!("{stem}.png"),
            preview_jpeg_base64: base64::engine::general_purpose::STANDARD
                .encode(&image.overlay.jpeg),
            preview_lines_png_base64: base64::engine::general_purpose::STANDARD
                .encode(&image.overlay.lines_png),
            overlay_scale: image.overlay.scale,
            lanes: image.traces.clone(),
        });
        result.overlays.push((stem, image.overlay.png.clone()));
    }
    result.fold_change = fold_change_rows(plan, images);
    result.warnings.extend(polarity_warnings(&result.bands));
    result.warnings.extend(mixed_polarity_warning(plan, images));
    result.warnings.extend(value_warnings(&result.fold_change));
    result.warnings.extend(normalizer_warnings(plan, images));
    result
}
