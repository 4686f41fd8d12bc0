//! Output files: the CSV tables, `results.json`, `report.html` and overlay PNGs, each written to
//! a temporary name in the output folder and renamed into place, so no reader ever sees half a
//! file.

pub mod html;
pub mod methods;
pub mod overlay;
pub mod rois;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Result;
use crate::io::atomic::{write_all_or_none, write_atomic, SetFile};
use crate::quant::linearity::{LinearityFit, LinearityPoint};
use crate::results::{BandRow, ImageTraces, LaneRow, Results};

/// A table as CSV text: header row, then one row per record. Floats are written in their
/// shortest round-trip form; missing values are empty fields.
pub fn to_csv<T: Serialize>(rows: &[T], header: &[&str]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    writer.write_record(header).expect("writing to memory");
    for row in rows {
        writer.serialize(row).expect("rows serialize to CSV");
    }
    String::from_utf8(writer.into_inner().expect("flush to memory")).expect("CSV is UTF-8")
}

/// Columns of `lanes.csv`, in contract order.
pub const LANES_HEADER: &[&str] = &[
    "experiment",
    "image",
    "lane",
    "condition",
    "sample",
    "x_center_px",
    "width_px",
];
/// Columns of `bands.csv`, in contract order.
pub const BANDS_HEADER: &[&str] = &[
    "experiment",
    "image",
    "lane",
    "target",
    "y_center_px",
    "top_px",
    "bottom_px",
    "apparent_mw_kda",
    "volume",
    "background",
    "adjusted_volume",
    "saturated_px",
    "snr",
    "flags",
    "left_px",
    "right_px",
];
/// Columns of `fold_change.csv`, in contract order.
pub const FOLD_CHANGE_HEADER: &[&str] = &[
    "experiment",
    "target",
    "lane",
    "condition",
    "sample",
    "signal",
    "normalizer",
    "normalizer_signal",
    "normalized",
    "fold_change",
    "log2_fold_change",
    "flags",
];
/// Columns of `summary.csv`: the contract's, then `p_value_bh` (added columns only ever go at
/// the end).
pub const SUMMARY_HEADER: &[&str] = &[
    "target",
    "condition",
    "n",
    "mean_fold_change",
    "geomean_fold_change",
    "sd",
    "sem",
    "cv_pct",
    "mean_log2_fold_change",
    "ci95_low",
    "ci95_high",
    "p_value",
    "test",
    "flags",
    "p_value_bh",
    "ci95_low_fold",
    "ci95_high_fold",
];
/// Columns of `failures.csv`, written only when an experiment or image failed.
pub const FAILURES_HEADER: &[&str] = &["experiment", "path", "error"];
/// Columns of `linearity.csv` from the `linearity` command: one fit per target.
pub const LINEARITY_HEADER: &[&str] = &[
    "target",
    "n",
    "slope_through_origin",
    "r2_through_origin",
    "slope",
    "intercept",
    "r2",
    "linear_from_ug",
    "linear_to_ug",
    "signal_low",
    "signal_high",
];
/// Columns of `linearity_points.csv` from the `linearity` command: one lane of the
/// dilution series per row.
pub const LINEARITY_POINTS_HEADER: &[&str] = &[
    "target",
    "lane",
    "load_ug",
    "signal",
    "saturated",
    "relative_residual",
    "in_linear_range",
];

/// Writes a linearity run into `out`: `linearity.csv` (one fit per target),
/// `linearity_points.csv` (one row per lane) and `linearity.json` (both, with the `--params`
/// snippet that flags signals outside each target's range). Returns the JSON text.
pub fn write_linearity(
    out: &Path,
    fits: &[LinearityFit],
    points: &[LinearityPoint],
    ranges: &serde_json::Map<String, serde_json::Value>,
) -> Result<String> {
    let report = serde_json::json!({
        "fits": fits,
        "points": points,
        "params": {"quant": {"linear_range": ranges}},
    });
    let fits_csv = to_csv(fits, LINEARITY_HEADER);
    let points_csv = to_csv(points, LINEARITY_POINTS_HEADER);
    write_atomic(&out.join("linearity.csv"), fits_csv.as_bytes())?;
    write_atomic(&out.join("linearity_points.csv"), points_csv.as_bytes())?;
    let text = serde_json::to_string_pretty(&report).expect("report serializes");
    write_atomic(&out.join("linearity.json"), text.as_bytes())?;
    Ok(text)
}

/// The linearity fits as a person reads them on stdout: each target's range and R², the lanes
/// outside it, and the `--params` snippet that flags them in `analyze`.
pub fn linearity_table(
    fits: &[LinearityFit],
    points: &[LinearityPoint],
    ranges: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let mut out = String::new();
    for f in fits {
        let range = match (f.linear_from_ug, f.linear_to_ug) {
            (Some(a), Some(b)) => format!("linear from {a} to {b} µg"),
            _ => "no linear range of 3 or more loads".into(),
        };
        out.push_str(&format!(
            "{}: {range}; through origin R² {:.4}, with intercept R² {:.4}\n",
            f.target, f.r2_through_origin, f.r2
        ));
    }
    for p in points.iter().filter(|p| !p.in_linear_range) {
        out.push_str(&format!(
            "  lane {} ({} µg): outside-linear-range\n",
            p.lane, p.load_ug
        ));
    }
    out.push_str(&format!(
        "to flag bands outside this range in analyze: --params with {}\n",
        serde_json::json!({"quant": {"linear_range": ranges}})
    ));
    out
}

/// `rois/<image>.zip` and `rois/<image>.ijm` for every image with an overlay: its lanes and
/// band boxes as an ImageJ ROI set, and a macro that opens the image with them.
fn roi_files(out: &Path, results: &Results, traces: &[ImageTraces]) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for trace in traces {
        let of_image =
            |experiment: &str, image: &str| experiment == trace.experiment && image == trace.image;
        let Some(detection) = results
            .detection
            .iter()
            .find(|d| of_image(&d.experiment, &d.image))
        else {
            continue;
        };
        let lanes: Vec<&LaneRow> = results
            .lanes
            .iter()
            .filter(|l| of_image(&l.experiment, &l.image))
            .collect();
        let bands: Vec<&BandRow> = results
            .bands
            .iter()
            .filter(|b| of_image(&b.experiment, &b.image))
            .collect();
        let rois = rois::image_rois(detection, &lanes, &bands);
        let zip = out
            .join("rois")
            .join(Path::new(&trace.overlay).with_extension("zip"));
        let folder = results
            .experiments
            .iter()
            .find(|e| e.name == trace.experiment)
            .map(|e| Path::new(&e.folder).join(&trace.image))
            .unwrap_or_else(|| PathBuf::from(&trace.image));
        let image = results
            .inputs
            .iter()
            .map(|i| Path::new(&i.path))
            .find(|p| p.ends_with(&folder))
            .map_or(folder.clone(), Path::to_path_buf);
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let macro_text = rois::open_macro(&absolute(&image), &absolute(&zip));
        files.push((zip.with_extension("ijm"), macro_text.into_bytes()));
        files.push((zip, crate::io::roi_set::roi_set(&rois)));
    }
    files
}

/// Writes every output file of a run into `out`. `overlays` are (path relative to
/// `out/overlays`, PNG bytes). Everything is rendered before the first file is written.
pub fn write_outputs(
    out: &Path,
    results: &Results,
    overlays: &[(PathBuf, Vec<u8>)],
    traces: &[ImageTraces],
) -> Result<()> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![
        (
            out.join("lanes.csv"),
            to_csv(&results.lanes, LANES_HEADER).into_bytes(),
        ),
        (
            out.join("bands.csv"),
            to_csv(&results.bands, BANDS_HEADER).into_bytes(),
        ),
        (
            out.join("fold_change.csv"),
            to_csv(&results.fold_change, FOLD_CHANGE_HEADER).into_bytes(),
        ),
        (
            out.join("summary.csv"),
            to_csv(&results.summary, SUMMARY_HEADER).into_bytes(),
        ),
    ];
    if !results.errors.is_empty() {
        files.push((
            out.join("failures.csv"),
            to_csv(&results.errors, FAILURES_HEADER).into_bytes(),
        ));
    }
    let mut json = serde_json::to_string_pretty(results).expect("results serialize");
    json.push('\n');
    files.push((out.join("results.json"), json.into_bytes()));
    files.extend(roi_files(out, results, traces));
    let report = html::render(results, traces);
    // Tables are flushed to disk; pictures, which any re-run makes again, are not (a hundred
    // fsyncs would cost more than the analysis). All are written before any is published.
    let set: Vec<SetFile> = files
        .iter()
        .map(|(path, bytes)| SetFile {
            path: path.clone(),
            bytes,
            sync: true,
        })
        .chain(overlays.iter().map(|(name, png)| SetFile {
            path: out.join("overlays").join(name),
            bytes: png,
            sync: false,
        }))
        .chain(std::iter::once(SetFile {
            path: out.join("report.html"),
            bytes: report.as_bytes(),
            sync: false,
        }))
        .collect();
    write_all_or_none(&set)
}

/// The short fold-change table printed on stdout: geometric mean and 95 % CI per condition.
pub fn summary_table(results: &Results) -> String {
    let mut out = format!(
        "{:<16} {:<18} {:>3} {:>9} {:>21} {:>9}\n",
        "target", "condition", "n", "geomean", "95% CI", "p"
    );
    let fmt =
        |v: Option<f64>, digits: usize| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
    for row in &results.summary {
        let ci = match row.ci95_fold() {
            Some((lo, hi)) => format!("{lo:.2}–{hi:.2}"),
            _ => "-".into(),
        };
        let p = row.p_value.map_or("-".to_string(), |p| format!("{p:.2e}"));
        out.push_str(&format!(
            "{:<16} {:<18} {:>3} {:>9} {:>21} {:>9}\n",
            row.target,
            row.condition,
            row.n,
            fmt(row.geomean_fold_change, 2),
            ci,
            p
        ));
    }
    if let Some(unit) = one_unit(results) {
        out.push_str(&format!(
            "geomean: geometric mean fold change; {}\n",
            unit.describe()
        ));
    }
    out
}

/// The replicate unit every experiment of the run shares (else a warning says they differ).
pub fn one_unit(results: &Results) -> Option<crate::quant::ReplicateUnit> {
    let mut units = results.experiments.iter().map(|e| e.replicate);
    let first = units.next()?;
    units.all(|u| u == first).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{BandRow, FoldChangeRow, LaneRow, SummaryRow};

    /// The header row serde derives from a row type's fields.
    fn derived_header<T: Serialize>(row: &T) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.serialize(row).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        text.lines().next().unwrap().to_string()
    }

    #[test]
    fn headers_match_the_row_types() {
        let lane = LaneRow {
            experiment: "e".into(),
            image: "i".into(),
            lane: 1,
            condition: "c".into(),
            sample: String::new(),
            x_center_px: 1.0,
            width_px: 1.0,
        };
        assert_eq!(derived_header(&lane), LANES_HEADER.join(","));
        let band = BandRow {
            experiment: "e".into(),
            image: "i".into(),
            lane: 1,
            target: "t".into(),
            y_center_px: 1.0,
            top_px: 0,
            bottom_px: 1,
            apparent_mw_kda: None,
            volume: 1.0,
            background: 0.0,
            adjusted_volume: 1.0,
            saturated_px: 0,
            snr: 1.0,
            flags: Default::default(),
            left_px: 0,
            right_px: 1,
        };
        assert_eq!(derived_header(&band), BANDS_HEADER.join(","));
        let fold = FoldChangeRow {
            experiment: "e".into(),
            target: "t".into(),
            lane: 1,
            condition: "c".into(),
            sample: String::new(),
            signal: Some(1.0),
            normalizer: String::new(),
            normalizer_signal: None,
            normalized: None,
            fold_change: None,
            log2_fold_change: None,
            flags: Default::default(),
        };
        assert_eq!(derived_header(&fold), FOLD_CHANGE_HEADER.join(","));
        let summary = SummaryRow {
            target: "t".into(),
            condition: "c".into(),
            n: 0,
            mean_fold_change: None,
            geomean_fold_change: None,
            sd: None,
            sem: None,
            cv_pct: None,
            mean_log2_fold_change: None,
            ci95_low_log2: None,
            ci95_high_log2: None,
            p_value: None,
            test: String::new(),
            flags: Default::default(),
            p_value_bh: None,
            ci95_low_fold: None,
            ci95_high_fold: None,
        };
        assert_eq!(derived_header(&summary), SUMMARY_HEADER.join(","));
    }
}
