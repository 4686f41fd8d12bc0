//! Output files: the CSV tables, `results.json`, `report.html` and overlay PNGs, each written to
//! a temporary name in the output folder and renamed into place, so no reader ever sees half a
//! file.

pub mod html;
pub mod methods;
pub mod overlay;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::results::{ImageTraces, Results};

/// Writes `bytes` to `path` atomically (temporary file in the same folder, synced to disk,
/// then renamed into place).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, true, |out| out.write_all(bytes))
}

/// Writes `path` atomically: `fill` writes into a buffered temporary file in the same folder,
/// which is renamed into place, so no reader ever sees half a file. `sync` also flushes it to
/// disk first (tables: cheap; a 24 MB image: tens of milliseconds, so not for images, which a
/// rerun rewrites).
pub fn write_atomic_with(
    path: &Path,
    sync: bool,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let file = temporary_beside(path)?;
    {
        let mut writer = std::io::BufWriter::with_capacity(1 << 22, file.as_file());
        fill(&mut writer).map_err(|e| write_error(path, e))?;
        writer.flush().map_err(|e| write_error(path, e))?;
    }
    if sync {
        file.as_file()
            .sync_all()
            .map_err(|e| write_error(path, e))?;
    }
    publish(file, path)
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// A temporary file in the folder its result will be published in, with the folders made
/// for it. Dropped unpublished (a write or a read that failed half-way) it removes the file
/// and those folders again where they are still empty, so a failure leaves no output behind,
/// not even an empty folder.
pub(crate) struct Pending {
    file: Option<tempfile::NamedTempFile>,
    /// Folders created for the file, innermost first.
    made: Vec<PathBuf>,
}

impl Pending {
    pub(crate) fn as_file(&self) -> &std::fs::File {
        self.file
            .as_ref()
            .expect("a pending file is present until published")
            .as_file()
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        drop(self.file.take());
        for dir in &self.made {
            // Only empty folders go: another writer's file keeps its folder.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// A temporary file in the folder `path` will be written to (created if missing), to be
/// renamed onto `path` by [`publish`] once it is complete.
pub(crate) fn temporary_beside(path: &Path) -> Result<Pending> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let made: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(dir).map_err(|e| write_error(path, e))?;
    // Held before the file is made: if that fails, the folders go again.
    let mut pending = Pending { file: None, made };
    pending.file = Some(tempfile::NamedTempFile::new_in(dir).map_err(|e| write_error(path, e))?);
    Ok(pending)
}

/// Renames a complete temporary file onto `path`, readable by others.
pub(crate) fn publish(mut pending: Pending, path: &Path) -> Result<()> {
    let file = pending
        .file
        .take()
        .expect("a pending file is present until published");
    // Temporary files are private (0600); results are ordinary files for their readers.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| write_error(path, e))?;
    }
    file.persist(path).map_err(|e| write_error(path, e.error))?;
    // Published: the folders hold a result now.
    pending.made.clear();
    Ok(())
}

/// Writes gray pixels as an 8- or 16-bit TIFF (or PNG), atomically.
pub fn write_gray(
    path: &Path,
    width: usize,
    height: usize,
    bit_depth: u8,
    pixels: &[u16],
    png: bool,
) -> Result<()> {
    write_atomic_with(path, false, |writer| {
        if !png {
            return write_baseline_tiff(writer, width, height, bit_depth, pixels);
        }
        use image::ImageEncoder;
        let encoder = image::codecs::png::PngEncoder::new(writer);
        let (w, h) = (width as u32, height as u32);
        if bit_depth == 8 {
            let bytes: Vec<u8> = pixels.iter().map(|&v| v as u8).collect();
            encoder.write_image(&bytes, w, h, image::ExtendedColorType::L8)
        } else {
            // The encoder takes samples in native byte order (it writes them big-endian).
            let bytes: Vec<u8> = pixels.iter().flat_map(|v| v.to_ne_bytes()).collect();
            encoder.write_image(&bytes, w, h, image::ExtendedColorType::L16)
        }
        .map_err(std::io::Error::other)
    })
}

/// A baseline TIFF ([`crate::gray_tiff::BaselineLayout`]). Written here rather than with the
/// `tiff` crate's encoder: for a 24 MB image the crate took ~27 ms, this ~10 ms, in a command
/// whose whole budget is under 100 ms.
fn write_baseline_tiff(
    out: &mut dyn Write,
    width: usize,
    height: usize,
    bit_depth: u8,
    pixels: &[u16],
) -> std::io::Result<()> {
    let layout = crate::gray_tiff::BaselineLayout {
        width,
        height,
        bit_depth,
    };
    out.write_all(&layout.header())?;
    let mut buffer = Vec::with_capacity(1 << 20);
    for chunk in pixels[..width * height].chunks(1 << 19) {
        layout.encode(chunk, &mut buffer);
        out.write_all(&buffer)?;
    }
    out.write_all(&layout.trailer())
}

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

pub const LANES_HEADER: &[&str] = &[
    "experiment",
    "image",
    "lane",
    "condition",
    "sample",
    "x_center_px",
    "width_px",
];
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
];
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
];
pub const FAILURES_HEADER: &[&str] = &["experiment", "path", "error"];
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
pub const LINEARITY_POINTS_HEADER: &[&str] = &[
    "target",
    "lane",
    "load_ug",
    "signal",
    "saturated",
    "relative_residual",
    "in_linear_range",
];

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
    for (path, bytes) in &files {
        write_atomic(path, bytes)?;
    }
    // Pictures are made again by any re-run: written atomically but not flushed to disk one
    // by one (a hundred fsyncs would cost more than the analysis).
    let report = html::render(results, traces);
    let pictures = overlays
        .iter()
        .map(|(name, png)| (out.join("overlays").join(name), png.as_slice()))
        .chain(std::iter::once((
            out.join("report.html"),
            report.as_bytes(),
        )));
    for (path, bytes) in pictures {
        write_atomic_with(&path, false, |w| w.write_all(bytes))?;
    }
    Ok(())
}

/// The short fold-change table printed on stdout: geometric mean and 95 % CI per condition.
pub fn summary_table(results: &Results) -> String {
    let mut out = format!(
        "{:<16} {:<18} {:>3} {:>9} {:>21} {:>9}\n",
        "target", "condition", "n", "fold", "95% CI", "p"
    );
    let fmt =
        |v: Option<f64>, digits: usize| v.map_or("-".to_string(), |v| format!("{v:.digits$}"));
    for row in &results.summary {
        let ci = match (row.ci95_low, row.ci95_high) {
            (Some(lo), Some(hi)) => format!("{:.2}–{:.2}", lo.exp2(), hi.exp2()),
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
    out
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
            flags: String::new(),
        };
        assert_eq!(derived_header(&band), BANDS_HEADER.join(","));
        let fold = FoldChangeRow {
            experiment: "e".into(),
            target: "t".into(),
            lane: 1,
            condition: "c".into(),
            sample: String::new(),
            signal: 1.0,
            normalizer: String::new(),
            normalizer_signal: None,
            normalized: None,
            fold_change: None,
            log2_fold_change: None,
            flags: String::new(),
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
            ci95_low: None,
            ci95_high: None,
            p_value: None,
            test: String::new(),
            flags: String::new(),
            p_value_bh: None,
        };
        assert_eq!(derived_header(&summary), SUMMARY_HEADER.join(","));
    }

    #[test]
    fn a_failed_write_leaves_no_folder_it_made() {
        let tmp = tempfile::tempdir().unwrap();
        let inside = tmp.path().join("new/deeper/table.csv");
        let failed = write_atomic_with(&inside, false, |_| {
            Err(std::io::Error::other("the input changed half-way"))
        });
        assert!(failed.is_err());
        assert!(!tmp.path().join("new").exists(), "no folder left behind");

        // A folder that was there before stays, and a written file keeps its new folders.
        write_atomic(&inside, b"lane\n").unwrap();
        assert_eq!(std::fs::read(&inside).unwrap(), b"lane\n");
        let beside = tmp.path().join("new/other.csv");
        assert!(write_atomic_with(&beside, false, |_| Err(std::io::Error::other("no"))).is_err());
        assert!(inside.exists() && !beside.exists());
    }

    #[test]
    fn a_streamed_image_given_up_leaves_no_folder_it_made() {
        let tmp = tempfile::tempdir().unwrap();
        let output = tmp.path().join("new/background.tif");
        let layout = crate::gray_tiff::BaselineLayout {
            width: 4,
            height: 2,
            bit_depth: 16,
        };
        let writer = crate::gray_tiff::RowWriter::create(&output, layout).unwrap();
        writer.write_rows(0, &[1, 2, 3, 4]).unwrap();
        // A read failed before the last row: the writer is dropped, not finished.
        drop(writer);
        assert!(!tmp.path().join("new").exists(), "no folder left behind");
    }
}
