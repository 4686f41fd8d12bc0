//! `import blotquant`: the library's entry points for Python (notebooks, napari, scikit-image
//! pipelines). The Python package in `python/blotquant/` re-exports these and defines the
//! exception classes; tables cross as lists of dicts keyed by the CSV's column names, images
//! as NumPy arrays. Long work runs with the interpreter released, so Python threads overlap.

use std::path::{Path, PathBuf};

use numpy::{PyArray2, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyType};
use pyo3::IntoPyObjectExt;
use serde_json::Value;

use blotquant::background::ImageJOptions;
use blotquant::manifest::{self, LaneSpec};
use blotquant::results::ImageTraces;
use blotquant::{report, Params, Results};

/// The package's exception class named `class` (defined in `blotquant/__init__.py`, where a
/// class can derive from both `BlotquantError` and `ValueError` or `OSError`).
fn exception(py: Python<'_>, class: &str, message: String) -> PyErr {
    let found = py
        .import("blotquant")
        .and_then(|m| m.getattr(class))
        .and_then(|c| Ok(c.cast_into::<PyType>()?));
    match found {
        Ok(class) => PyErr::from_type(class, message),
        Err(e) => e,
    }
}

/// The Python exception for a library error, carrying the command line's message.
fn raise(py: Python<'_>, error: blotquant::Error) -> PyErr {
    use blotquant::Error as E;
    let class = match &error {
        E::Manifest { .. } => "ManifestError",
        E::Image { .. } => "ImageError",
        E::Read { .. } | E::Write { .. } => "FileError",
        E::Param { .. } | E::Usage(_) => "ParameterError",
        E::Analysis { .. } => "AnalysisError",
        _ => "BlotquantError",
    };
    exception(py, class, error.to_string())
}

/// A JSON value as the Python object `json.loads` would give.
fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_bound_py_any(py)?,
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_bound_py_any(py)?,
            (None, Some(u)) => u.into_bound_py_any(py)?,
            _ => n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py)?,
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(fields) => {
            let dict = PyDict::new(py);
            for (key, item) in fields {
                dict.set_item(key, to_python(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// A serializable value (a table, a row) as Python objects.
fn python_of<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_value(value).expect("results serialize");
    to_python(py, &json)
}

/// A table's rows as a list of dicts whose keys come in the CSV's column order (`header`),
/// then any field the CSV does not have.
fn rows_of<'py, T: serde::Serialize>(
    py: Python<'py>,
    rows: &[T],
    header: &[&str],
) -> PyResult<Bound<'py, PyAny>> {
    let list = PyList::empty(py);
    for row in rows {
        let Value::Object(fields) = serde_json::to_value(row).expect("results serialize") else {
            unreachable!("a table row serializes as an object");
        };
        let dict = PyDict::new(py);
        for key in header {
            if let Some(value) = fields.get(*key) {
                dict.set_item(*key, to_python(py, value)?)?;
            }
        }
        for (key, value) in &fields {
            if !header.contains(&key.as_str()) {
                dict.set_item(key, to_python(py, value)?)?;
            }
        }
        list.append(dict)?;
    }
    Ok(list.into_any())
}

/// The run's parameters: defaults, with `params` (a dict of overrides in `--params` form, or
/// the path of such a JSON file) applied.
fn params_from(py: Python<'_>, params: Option<&Bound<'_, PyAny>>) -> PyResult<Params> {
    let Some(params) = params.filter(|p| !p.is_none()) else {
        return Ok(Params::default());
    };
    let (overrides, origin): (Value, String) = if params.is_instance_of::<PyDict>() {
        let text: String = py
            .import("json")?
            .call_method1("dumps", (params,))?
            .extract()?;
        let value = serde_json::from_str(&text)
            .map_err(|e| exception(py, "ParameterError", format!("params: not JSON: {e}")))?;
        (value, "params".to_string())
    } else {
        let path: PathBuf = params.extract().map_err(|_| {
            exception(
                py,
                "ParameterError",
                "params must be a dict of overrides or the path of a JSON file".to_string(),
            )
        })?;
        let text = std::fs::read_to_string(&path).map_err(|source| {
            raise(
                py,
                blotquant::Error::Read {
                    path: path.clone(),
                    source,
                },
            )
        })?;
        let value = serde_json::from_str(&text).map_err(|e| {
            exception(
                py,
                "ParameterError",
                format!("{}: invalid JSON: {e}", path.display()),
            )
        })?;
        (value, path.display().to_string())
    };
    Params::default().with_overrides(&overrides).map_err(|e| {
        exception(
            py,
            "ParameterError",
            format!("{origin}: {e}; see `blotquant analyze --print-params`"),
        )
    })
}

/// The results of an analysis: the tables of `fold_change.csv`, `summary.csv`, `bands.csv`,
/// `lanes.csv` and the detection, as lists of dicts keyed by the CSV's column names.
#[pyclass(module = "blotquant", frozen)]
struct Run {
    results: Results,
    overlays: Vec<(PathBuf, Vec<u8>)>,
    traces: Vec<ImageTraces>,
}

impl Run {
    fn of(run: blotquant::Run) -> Run {
        Run {
            results: run.results,
            overlays: run.overlays,
            traces: run.traces,
        }
    }

    /// Writes every output file into `out`, as the command line does.
    fn write_to(&self, py: Python<'_>, out: &Path) -> PyResult<()> {
        report::write_outputs(out, &self.results, &self.overlays, &self.traces)
            .map_err(|e| raise(py, e))
    }
}

#[pymethods]
impl Run {
    /// Rows of `fold_change.csv`: one per lane × target.
    #[getter]
    fn fold_change<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        rows_of(py, &self.results.fold_change, report::FOLD_CHANGE_HEADER)
    }

    /// Rows of `summary.csv`: one per target × condition, pooled over the run's blots.
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        rows_of(py, &self.results.summary, report::SUMMARY_HEADER)
    }

    /// Rows of `bands.csv`: every band found, with its box, volume and background.
    #[getter]
    fn bands<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        rows_of(py, &self.results.bands, report::BANDS_HEADER)
    }

    /// Rows of `lanes.csv`: every lane of every image, its centre and width.
    #[getter]
    fn lanes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        rows_of(py, &self.results.lanes, report::LANES_HEADER)
    }

    /// How each image's lanes were found (`results.json` `detection`).
    #[getter]
    fn detection<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        python_of(py, &self.results.detection)
    }

    /// Things to know about the run, as the command line prints them.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.results.warnings.clone()
    }

    /// Experiments or images that failed (`failures.csv`).
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        rows_of(py, &self.results.errors, report::FAILURES_HEADER)
    }

    /// The methods paragraph, ready to paste into a paper.
    #[getter]
    fn methods(&self) -> String {
        self.results.methods.clone()
    }

    /// Each experiment's identity, control, replicate unit and quality verdict.
    #[getter]
    fn experiments<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        python_of(py, &self.results.experiments)
    }

    /// The quality verdict per experiment: `{experiment: {"verdict": ..., "reasons": ...}}`.
    #[getter]
    fn quality<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for e in &self.results.experiments {
            dict.set_item(&e.name, python_of(py, &e.quality)?)?;
        }
        Ok(dict)
    }

    /// The whole of `results.json`, as a string.
    fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.results).expect("results serialize")
    }

    /// The tables as pandas DataFrames, with the CSV's columns in the CSV's order:
    /// `{"lanes", "bands", "fold_change", "summary"}`. Needs pandas.
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let pandas = py.import("pandas").map_err(|_| {
            PyImportError::new_err("Run.to_pandas() needs pandas: pip install pandas")
        })?;
        let tables: [(&str, Bound<'py, PyAny>, &[&str]); 4] = [
            ("lanes", self.lanes(py)?, report::LANES_HEADER),
            ("bands", self.bands(py)?, report::BANDS_HEADER),
            (
                "fold_change",
                self.fold_change(py)?,
                report::FOLD_CHANGE_HEADER,
            ),
            ("summary", self.summary(py)?, report::SUMMARY_HEADER),
        ];
        let frames = PyDict::new(py);
        for (name, rows, header) in tables {
            let kwargs = PyDict::new(py);
            kwargs.set_item("columns", header.to_vec())?;
            let frame = pandas.getattr("DataFrame")?.call((rows,), Some(&kwargs))?;
            frames.set_item(name, frame)?;
        }
        Ok(frames)
    }

    /// Writes the run's output files (tables, results.json, overlays, report) into `out`.
    fn write(&self, py: Python<'_>, out: PathBuf) -> PyResult<()> {
        self.write_to(py, &out)
    }

    fn __repr__(&self) -> String {
        format!(
            "<blotquant.Run: {} experiments, {} fold-change rows, {} warnings, {} errors>",
            self.results.experiments.len(),
            self.results.fold_change.len(),
            self.results.warnings.len(),
            self.results.errors.len()
        )
    }
}

/// Analyzes one experiment (a folder holding experiment.json, a manifest file, or one image),
/// as `blotquant analyze` does; writes its output files into `out` when given.
#[pyfunction]
#[pyo3(signature = (path, params=None, out=None))]
fn analyze(
    py: Python<'_>,
    path: PathBuf,
    params: Option<&Bound<'_, PyAny>>,
    out: Option<PathBuf>,
) -> PyResult<Run> {
    let params = params_from(py, params)?;
    let run = py
        .detach(|| blotquant::analyze(&path, &params))
        .map_err(|e| raise(py, e))?;
    let run = Run::of(run);
    if let Some(out) = out {
        run.write_to(py, &out)?;
    }
    Ok(run)
}

/// Analyzes every experiment folder below `root` in parallel, as `blotquant batch` does:
/// `jobs` threads (default: one per core), `shard=(k, n)` for the k-th of n shards (1-based),
/// output files into `out` when given.
#[pyfunction]
#[pyo3(signature = (root, jobs=None, shard=None, out=None, params=None))]
fn batch(
    py: Python<'_>,
    root: PathBuf,
    jobs: Option<usize>,
    shard: Option<(usize, usize)>,
    out: Option<PathBuf>,
    params: Option<&Bound<'_, PyAny>>,
) -> PyResult<Run> {
    let params = params_from(py, params)?;
    if !root.is_dir() {
        return Err(exception(
            py,
            "FileError",
            format!("{}: not a folder", root.display()),
        ));
    }
    let mut dirs = blotquant::batch::discover(&root);
    if dirs.is_empty() {
        return Err(exception(
            py,
            "ManifestError",
            format!(
                "{}: no experiment folder (holding experiment.json) below it",
                root.display()
            ),
        ));
    }
    if let Some((k, n)) = shard {
        if n == 0 || k == 0 || k > n {
            return Err(exception(
                py,
                "ParameterError",
                format!("shard=({k}, {n}): give (k, n) with 1 <= k <= n"),
            ));
        }
        dirs = blotquant::batch::shard(dirs, k, n);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| exception(py, "ParameterError", format!("jobs={jobs:?}: {e}")))?;
    let run = py.detach(|| pool.install(|| blotquant::batch::analyze_many(&root, &dirs, &params)));
    let run = Run::of(run);
    if let Some(out) = out {
        run.write_to(py, &out)?;
    }
    Ok(run)
}

/// Merges the `results.json` of several runs (e.g. shards) into one, as `blotquant merge`
/// does, and writes the merged tables into `out`.
#[pyfunction]
fn merge(py: Python<'_>, paths: Vec<PathBuf>, out: PathBuf) -> PyResult<Run> {
    let mut runs = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).map_err(|source| {
            raise(
                py,
                blotquant::Error::Read {
                    path: path.clone(),
                    source,
                },
            )
        })?;
        let run: Results = serde_json::from_str(&text).map_err(|e| {
            exception(
                py,
                "ParameterError",
                format!(
                    "{}: not a blotquant results.json ({e}); pass the results.json files of batch or analyze runs",
                    path.display()
                ),
            )
        })?;
        runs.push(run);
    }
    let results = blotquant::batch::merge(runs)
        .map_err(|e| exception(py, "ParameterError", e.to_string()))?;
    let run = Run {
        results,
        overlays: Vec::new(),
        traces: Vec::new(),
    };
    run.write_to(py, &out)?;
    Ok(run)
}

/// Lanes and bands found on one image, as `blotquant detect` finds them.
#[pyclass(module = "blotquant", frozen)]
struct Detection {
    run: Run,
    height: usize,
}

#[pymethods]
impl Detection {
    /// One row per lane: `[x_center_px, width_px]` (the centre at the image's middle row).
    #[getter]
    fn lanes<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let rows: Vec<Vec<f64>> = self
            .run
            .results
            .lanes
            .iter()
            .map(|l| vec![l.x_center_px, l.width_px])
            .collect();
        array_of(py, rows, 2)
    }

    /// One row per band: `[lane, y_center_px, top_px, bottom_px, adjusted_volume]` (rows
    /// inclusive, lanes 1-based as in the tables).
    #[getter]
    fn bands<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let rows: Vec<Vec<f64>> = self
            .run
            .results
            .bands
            .iter()
            .map(|b| {
                vec![
                    b.lane as f64,
                    b.y_center_px,
                    b.top_px as f64,
                    b.bottom_px as f64,
                    b.adjusted_volume,
                ]
            })
            .collect();
        array_of(py, rows, 5)
    }

    /// The analysis behind the arrays: `lanes.csv` and `bands.csv` rows, detection, warnings.
    #[getter]
    fn run(&self) -> Run {
        Run {
            results: self.run.results.clone(),
            overlays: self.run.overlays.clone(),
            traces: self.run.traces.clone(),
        }
    }

    /// Things to know about the detection (as `detect` prints them on stderr).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.run.results.warnings.clone()
    }

    /// `(data, properties)` for a napari Shapes layer with `shape_type="rectangle"`: every lane
    /// (the image's full height) and every band box, as 4 × 2 corner arrays in (row, column)
    /// order; properties `kind` (`lane` or `band`), `lane`, `target` and `label`
    /// (`lane 3 · caspase-1 p20`).
    fn napari_shapes<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyDict>)> {
        let data = PyList::empty(py);
        let (mut kinds, mut lanes, mut targets, mut labels) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let lane_span = |lane: usize| {
            self.run
                .results
                .lanes
                .iter()
                .find(|l| l.lane == lane)
                .map(|l| {
                    (
                        l.x_center_px - l.width_px / 2.0,
                        l.x_center_px + l.width_px / 2.0,
                    )
                })
        };
        let rectangle = |top: f64, bottom: f64, (left, right): (f64, f64)| {
            vec![
                vec![top, left],
                vec![top, right],
                vec![bottom, right],
                vec![bottom, left],
            ]
        };
        for lane in &self.run.results.lanes {
            let span = lane_span(lane.lane).expect("the lane itself");
            data.append(array_of(py, rectangle(0.0, self.height as f64, span), 2))?;
            kinds.push("lane");
            lanes.push(lane.lane);
            targets.push(String::new());
            labels.push(format!("lane {}", lane.lane));
        }
        for band in &self.run.results.bands {
            // Pixels top..=bottom, left..=right cover [top, bottom + 1) × [left, right + 1) in
            // napari's continuous coordinates: exactly the pixels the band's volume sums.
            let span = (band.left_px as f64, band.right_px as f64 + 1.0);
            let corners = rectangle(band.top_px as f64, band.bottom_px as f64 + 1.0, span);
            data.append(array_of(py, corners, 2))?;
            kinds.push("band");
            lanes.push(band.lane);
            targets.push(band.target.clone());
            labels.push(if band.target.is_empty() {
                format!("lane {}", band.lane)
            } else {
                format!("lane {} · {}", band.lane, band.target)
            });
        }
        let properties = PyDict::new(py);
        properties.set_item("kind", kinds)?;
        properties.set_item("lane", lanes)?;
        properties.set_item("target", targets)?;
        properties.set_item("label", labels)?;
        Ok((data, properties))
    }

    fn __repr__(&self) -> String {
        format!(
            "<blotquant.Detection: {} lanes, {} bands>",
            self.run.results.lanes.len(),
            self.run.results.bands.len()
        )
    }
}

/// A `rows × columns` float64 array from row vectors (`columns` where there is no row).
fn array_of(py: Python<'_>, rows: Vec<Vec<f64>>, columns: usize) -> Bound<'_, PyArray2<f64>> {
    let n = rows.len();
    let flat: Vec<f64> = rows.into_iter().flatten().collect();
    numpy::PyArray1::from_vec(py, flat)
        .reshape([n, columns])
        .expect("rows of equal length")
}

/// The 2-D array `image` written as a grayscale TIFF into `dir` (uint8, uint16 or float32, as
/// stored), so that it takes exactly the path a file takes; returns its path and height.
fn array_to_tiff(
    py: Python<'_>,
    image: &Bound<'_, PyUntypedArray>,
    dir: &Path,
) -> PyResult<(PathBuf, usize)> {
    use tiff::encoder::{colortype, TiffEncoder};
    if image.ndim() != 2 {
        return Err(exception(
            py,
            "ImageError",
            format!(
                "the array has {} dimensions; pass one grayscale image, a 2-D array (rows, columns)",
                image.ndim()
            ),
        ));
    }
    let (height, width) = (image.shape()[0], image.shape()[1]);
    let path = dir.join("array.tif");
    let file = std::fs::File::create(&path).map_err(|source| {
        raise(
            py,
            blotquant::Error::Write {
                path: path.clone(),
                source,
            },
        )
    })?;
    let mut encoder = TiffEncoder::new(std::io::BufWriter::new(file))
        .map_err(|e| exception(py, "FileError", format!("{}: {e}", path.display())))?;
    let written = if let Ok(a) = image.cast::<PyArray2<u8>>() {
        let pixels: Vec<u8> = a.readonly().as_array().iter().copied().collect();
        encoder.write_image::<colortype::Gray8>(width as u32, height as u32, &pixels)
    } else if let Ok(a) = image.cast::<PyArray2<u16>>() {
        let pixels: Vec<u16> = a.readonly().as_array().iter().copied().collect();
        encoder.write_image::<colortype::Gray16>(width as u32, height as u32, &pixels)
    } else if let Ok(a) = image.cast::<PyArray2<f32>>() {
        let pixels: Vec<f32> = a.readonly().as_array().iter().copied().collect();
        encoder.write_image::<colortype::Gray32Float>(width as u32, height as u32, &pixels)
    } else {
        return Err(exception(
            py,
            "ImageError",
            format!(
                "the array's dtype is {}; detect takes uint8, uint16 or float32 (convert with .astype)",
                image.dtype()
            ),
        ));
    };
    written.map_err(|e| exception(py, "FileError", format!("{}: {e}", path.display())))?;
    Ok((path, height))
}

/// Finds the lanes and bands of one image, a file path or a 2-D NumPy array (uint8, uint16 or
/// float32), as `blotquant detect` does; `lanes` states the lane count (default: estimated).
#[pyfunction]
#[pyo3(signature = (image, lanes=None, params=None))]
fn detect(
    py: Python<'_>,
    image: &Bound<'_, PyAny>,
    lanes: Option<usize>,
    params: Option<&Bound<'_, PyAny>>,
) -> PyResult<Detection> {
    let params = params_from(py, params)?;
    if lanes == Some(0) {
        return Err(exception(
            py,
            "ParameterError",
            "lanes must be at least 1".into(),
        ));
    }
    // Kept until the analysis is done: an array is analyzed from a file in it.
    let scratch = tempfile::tempdir().map_err(|e| {
        exception(
            py,
            "FileError",
            format!("cannot make a temporary folder: {e}"),
        )
    })?;
    let (path, height) = if let Ok(array) = image.cast::<PyUntypedArray>() {
        array_to_tiff(py, array, scratch.path())?
    } else {
        let path: PathBuf = image.extract().map_err(|_| {
            exception(
                py,
                "ImageError",
                "image must be a file path or a 2-D NumPy array".into(),
            )
        })?;
        (path, 0)
    };
    let mut plan = manifest::lone_image_plan(&path, &params);
    if let Some(n) = lanes {
        plan.lanes = (1..=n).map(LaneSpec::unnamed).collect();
    }
    let run = py
        .detach(|| blotquant::batch::analyze_planned(&plan, None))
        .map_err(|e| raise(py, e))?;
    let run = Run::of(run);
    // The analysis read the image: its size is in the detection row.
    let measured_height = run.results.detection.first().map_or(0, |d| d.height_px);
    Ok(Detection {
        run,
        height: height.max(measured_height),
    })
}

/// ImageJ's Process › Subtract Background on a 2-D uint8 or uint16 array, pixel for pixel as
/// the `background` command (and ImageJ 1.53t) gives it; returns a new array of the same
/// dtype. The array is read once, into the result's own buffer; the work runs with the
/// interpreter released.
#[pyfunction]
#[pyo3(signature = (image, radius=50.0, light_background=false, sliding_paraboloid=false, smoothing=true, create_background=false))]
fn subtract_background<'py>(
    py: Python<'py>,
    image: &Bound<'py, PyAny>,
    radius: f64,
    light_background: bool,
    sliding_paraboloid: bool,
    smoothing: bool,
    create_background: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let array = image.cast::<PyUntypedArray>().map_err(|_| {
        exception(
            py,
            "ImageError",
            "image must be a 2-D NumPy array (uint8 or uint16)".into(),
        )
    })?;
    if array.ndim() != 2 {
        return Err(exception(
            py,
            "ImageError",
            format!(
                "the array has {} dimensions; pass one grayscale image, a 2-D array (rows, columns)",
                array.ndim()
            ),
        ));
    }
    let (height, width) = (array.shape()[0], array.shape()[1]);
    if !(radius.is_finite() && radius > 0.0) {
        return Err(exception(
            py,
            "ParameterError",
            format!("radius must be a positive number of pixels, not {radius}"),
        ));
    }
    if radius > width.max(height) as f64 {
        return Err(exception(
            py,
            "ParameterError",
            format!(
                "radius {radius} is larger than the image ({width}×{height} px); a ball wider than the image fits under nothing"
            ),
        ));
    }
    let options = ImageJOptions {
        radius,
        light_background,
        sliding_paraboloid,
        disable_smoothing: !smoothing,
        create_background,
    };
    // The samples in row-major order, whatever the array's layout (C, Fortran, strided).
    let (pixels, bit_depth): (Vec<u16>, u8) = if let Ok(a) = array.cast::<PyArray2<u8>>() {
        let view = a.readonly();
        (view.as_array().iter().map(|&v| u16::from(v)).collect(), 8)
    } else if let Ok(a) = array.cast::<PyArray2<u16>>() {
        let view = a.readonly();
        let samples = view.as_array();
        // One block copy where the array is row-major (C order); element by element in
        // logical order otherwise (Fortran order, strided views).
        let pixels = match samples.as_slice() {
            Some(row_major) => row_major.to_vec(),
            None => samples.iter().copied().collect(),
        };
        (pixels, 16)
    } else {
        return Err(exception(
            py,
            "ImageError",
            format!(
                "the array's dtype is {}; subtract_background takes uint8 or uint16, the types whose rounding and clipping it reproduces (convert with .astype)",
                array.dtype()
            ),
        ));
    };
    let mut raw = blotquant::io::RawGray {
        width,
        height,
        bit_depth,
        pixels,
    };
    let max_value = if bit_depth == 8 { 255.0 } else { 65535.0 };
    py.detach(|| {
        blotquant::background::subtract_like_imagej_in_place(&mut raw, max_value, &options)
    });
    let shape = [height, width];
    let out = if bit_depth == 8 {
        let narrow: Vec<u8> = raw.pixels.iter().map(|&v| v as u8).collect();
        numpy::PyArray1::from_vec(py, narrow)
            .reshape(shape)?
            .into_any()
    } else {
        numpy::PyArray1::from_vec(py, raw.pixels)
            .reshape(shape)?
            .into_any()
    };
    Ok(out)
}

/// Writes a synthetic experiment with known truth (`truth.json`) into `out_dir`, as
/// `blotquant synth` does; returns the folder.
#[pyfunction]
#[pyo3(signature = (out_dir, seed=0, preset="standard"))]
fn synth(py: Python<'_>, out_dir: PathBuf, seed: u64, preset: &str) -> PyResult<PathBuf> {
    let Some(chosen) = blotquant::synth::preset(preset) else {
        let names: Vec<&str> = blotquant::synth::presets().iter().map(|p| p.name).collect();
        return Err(exception(
            py,
            "ParameterError",
            format!("unknown preset {preset:?}; use one of {}", names.join(", ")),
        ));
    };
    if out_dir.join(manifest::MANIFEST).exists() {
        return Err(exception(
            py,
            "FileError",
            format!(
                "{}: already holds an experiment.json; choose an empty folder",
                out_dir.display()
            ),
        ));
    }
    let name = out_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "synthetic".into());
    py.detach(|| blotquant::synth::write_experiment(&out_dir, seed, &chosen, &name))
        .map_err(|e| raise(py, e))?;
    Ok(out_dir)
}

#[pymodule]
fn _blotquant(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Run>()?;
    m.add_class::<Detection>()?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(batch, m)?)?;
    m.add_function(wrap_pyfunction!(merge, m)?)?;
    m.add_function(wrap_pyfunction!(detect, m)?)?;
    m.add_function(wrap_pyfunction!(subtract_background, m)?)?;
    m.add_function(wrap_pyfunction!(synth, m)?)?;
    Ok(())
}
