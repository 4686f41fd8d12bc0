//! The experiment manifest (`experiment.json`): parsing and validation into a checked [`Plan`].
//! Every problem is reported with the manifest field and a fix before any image is read.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

pub use crate::catalog::TargetPlan;
use crate::catalog::{self, Target};
use crate::error::{Error, Result};
use crate::io::Polarity;
use crate::lanes::StatedLanes;
use crate::params::Params;
use crate::quant::ReplicateUnit;
use crate::results::InputFile;

/// File name of the manifest inside an experiment folder.
pub const MANIFEST: &str = "experiment.json";

/// One lane of the manifest, left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneSpec {
    /// 1-based lane number.
    pub index: usize,
    /// Condition name; `None` for a ladder lane.
    pub condition: Option<String>,
    /// Sample id shared by technical replicates.
    pub sample: Option<String>,
    /// Protein load in µg, when given.
    pub load_ug: Option<f64>,
}

impl LaneSpec {
    /// A sample lane that is counted but not named (`detect --lanes N`): it has a condition,
    /// the empty one, so it is measured like any sample lane.
    pub fn unnamed(index: usize) -> LaneSpec {
        LaneSpec {
            index,
            condition: Some(String::new()),
            sample: None,
            load_ug: None,
        }
    }

    /// A marker (ladder) lane: never quantified.
    pub fn is_ladder(&self) -> bool {
        self.condition.is_none()
    }

    /// A lane the manifest marks `"empty"` (no sample loaded): drawn, never quantified.
    pub fn is_empty_lane(&self) -> bool {
        self.condition
            .as_deref()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case(catalog::EMPTY))
    }

    /// A lane whose bands are quantified: neither a ladder nor an empty lane.
    pub fn is_sample(&self) -> bool {
        !self.is_ladder() && !self.is_empty_lane()
    }
}

/// One image of the experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePlan {
    /// The name as written in the manifest.
    pub file: String,
    /// The file's path, resolved against the manifest's folder.
    pub path: PathBuf,
    /// Targets whose bands the image holds (its `targets` in the manifest); empty for a marker
    /// image.
    pub targets: Vec<TargetPlan>,
    /// Polarity as the manifest forces it; `None`: detected from the image's histogram.
    pub polarity: Option<Polarity>,
    /// A white-light marker image: not quantified; its ladder lane calibrates MW for the
    /// images of its size.
    pub is_marker: bool,
    /// Lanes a person stated (`lanes_px`, or the lane ROIs of `rois`): used as given, no lanes
    /// detected.
    pub lanes_px: Option<StatedLanes>,
    /// The ImageJ ROI set the lanes were read from (`rois`), an input of the analysis.
    pub rois: Option<PathBuf>,
    /// The page of a multi-page TIFF to read, 0-based (`page` in the manifest is 1-based).
    pub page: usize,
}

/// SHA-256 of `bytes` in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Plan {
    /// The files the analysis reads (the manifest, every quantified image and the marker
    /// images that calibrate them) with their checksums, for `results.json` and for
    /// recognizing an unchanged experiment.
    pub fn input_files(&self) -> Result<Vec<InputFile>> {
        let images = self
            .images
            .iter()
            .flat_map(|i| std::iter::once(&i.path).chain(i.rois.as_ref()));
        self.manifest
            .iter()
            .chain(images)
            .map(|path| {
                let bytes = std::fs::read(path).map_err(|source| Error::Read {
                    path: path.clone(),
                    source,
                })?;
                Ok(InputFile {
                    path: path.display().to_string(),
                    sha256: sha256_hex(&bytes),
                })
            })
            .collect()
    }
}

/// A validated experiment, ready to analyze.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The experiment's name: the manifest's `name`, else its folder's name (a lone image's file
    /// stem).
    pub name: String,
    /// The folder of the manifest (or lone image); image paths resolve against it.
    pub dir: PathBuf,
    /// The manifest file, or `None` for a lone image analyzed without one.
    pub manifest: Option<PathBuf>,
    /// The control condition (`control`) that fold changes are relative to; `None` for a lone
    /// image.
    pub control: Option<String>,
    /// The target signals are normalized to (`loading_control`) where `normalizers` names no
    /// other; `None`: signals are used as they are.
    pub loading_control: Option<Target>,
    /// Per-target normalizers that replace the loading control (`normalize` in the manifest).
    pub normalizers: BTreeMap<String, Target>,
    /// Ladder sizes in kDa, top to bottom.
    pub ladder: Option<Vec<f64>>,
    /// Lanes from the manifest; empty when the lane count is to be detected.
    pub lanes: Vec<LaneSpec>,
    /// What one biological replicate is (`replicate`; default `sample` where lanes name
    /// samples, else `lane`).
    pub replicate: ReplicateUnit,
    /// Every image of the experiment in manifest order, marker images included.
    pub images: Vec<ImagePlan>,
    /// The run's parameters with the manifest's `analysis` overrides applied.
    pub params: Params,
    /// Manifest problems that do not stop the analysis; they reach `results.json` `warnings`.
    pub warnings: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    name: Option<String>,
    control: Option<String>,
    loading_control: Option<String>,
    ladder: Option<Value>,
    lanes: Vec<Value>,
    images: Vec<ImageEntry>,
    #[serde(default)]
    targets: BTreeMap<String, TargetDef>,
    #[serde(default)]
    normalize: BTreeMap<String, String>,
    replicate: Option<ReplicateUnit>,
    analysis: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageEntry {
    file: String,
    targets: Option<Value>,
    role: Option<String>,
    polarity: Option<Polarity>,
    lanes_px: Option<LanesPxEntry>,
    rois: Option<String>,
    page: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LanesPxEntry {
    x: Vec<f64>,
    width: Value,
    lean_deg: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetDef {
    mw_kda: Value,
}

/// Resolves `input` (an experiment folder, a manifest file or a lone image) into a plan.
/// `params` are the run's parameters; the manifest's `analysis` overrides them.
pub fn load_plan(input: &Path, params: &Params) -> Result<Plan> {
    let manifest_path = if input.is_dir() {
        input.join(MANIFEST)
    } else {
        input.to_path_buf()
    };
    if !manifest_path.exists() {
        let (path, reason) = if input.is_dir() {
            (manifest_path.clone(), "no experiment.json in this folder")
        } else {
            (input.to_path_buf(), "file does not exist")
        };
        return Err(Error::manifest(
            path,
            "(file)",
            reason,
            "pass an experiment folder holding experiment.json, a manifest file, or an image; `blotquant init DIR` writes a starter manifest",
        ));
    }
    let is_json = manifest_path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        parse_manifest(&manifest_path, params)
    } else {
        Ok(lone_image_plan(&manifest_path, params))
    }
}

/// A plan for one image without a manifest: lanes counted automatically, nothing quantified.
pub fn lone_image_plan(image: &Path, params: &Params) -> Plan {
    let dir = image.parent().map(Path::to_path_buf).unwrap_or_default();
    let stem = image
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image".into());
    Plan {
        name: stem,
        dir,
        manifest: None,
        control: None,
        loading_control: None,
        normalizers: BTreeMap::new(),
        ladder: None,
        lanes: Vec::new(),
        replicate: ReplicateUnit::Lane,
        images: vec![ImagePlan {
            file: image
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: image.to_path_buf(),
            targets: Vec::new(),
            polarity: None,
            is_marker: false,
            lanes_px: None,
            rois: None,
            page: 0,
        }],
        params: params.clone(),
        warnings: Vec::new(),
    }
}

fn parse_manifest(path: &Path, params: &Params) -> Result<Plan> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_manifest_text(path, &text, params)
}

/// Parses and validates manifest text as if read from `path` (image paths resolve against
/// its folder).
pub fn parse_manifest_text(path: &Path, text: &str, params: &Params) -> Result<Plan> {
    let err = |field: &str, reason: String, fix: &str| Error::manifest(path, field, reason, fix);
    let raw: Value = serde_json::from_str(text).map_err(|e| {
        err(
            "(JSON)",
            format!("invalid JSON: {e}"),
            "fix the syntax at that line and column (a JSON validator helps)",
        )
    })?;
    let manifest: Manifest = serde_path_to_error::deserialize(raw).map_err(|e| {
        let field = e.path().to_string();
        let fix = "see the manifest format in README.md; field names are case-sensitive";
        err(&field, e.inner().to_string(), fix)
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut warnings = Vec::new();

    let name = manifest.name.clone().unwrap_or_else(|| {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "experiment".into())
    });
    let lanes = parse_lanes(path, &manifest.lanes)?;
    let samples_named = lanes.iter().any(|l| l.sample.is_some());
    let replicate = manifest
        .replicate
        .unwrap_or(ReplicateUnit::default_for(samples_named));
    if replicate == ReplicateUnit::Sample && !samples_named {
        warnings.push(
            "`replicate` is \"sample\" but no lane names a `sample`: each lane counts as one sample"
                .to_string(),
        );
    }

    let control = manifest.control.clone().ok_or_else(|| {
        err(
            "control",
            "missing".into(),
            "add \"control\": \"<condition>\" naming the untreated condition in `lanes`",
        )
    })?;
    let conditions: Vec<&str> = lanes
        .iter()
        .filter_map(|l| l.condition.as_deref())
        .collect();
    if !conditions.contains(&control.as_str()) {
        let mut known: Vec<&str> = conditions.clone();
        known.dedup();
        return Err(err(
            "control",
            format!("no lane has the control condition {control:?}"),
            &format!(
                "set `control` to one of the conditions in `lanes`: {}",
                known.join(", ")
            ),
        ));
    }

    let custom = parse_custom_targets(path, &manifest.targets)?;
    let resolve = |field: &str, name: &str| -> Result<Target> {
        custom
            .iter()
            .find(|t| catalog::name_key(&t.name) == catalog::name_key(name))
            .cloned()
            .or_else(|| catalog::built_in_target(name))
            .ok_or_else(|| {
                let meant = catalog::closest_target(name, custom.iter().map(|t| t.name.as_str()));
                err(
                    field,
                    match &meant {
                        Some(m) => format!("unknown target {name:?} (did you mean {m:?}?)"),
                        None => format!("unknown target {name:?}"),
                    },
                    &format!(
                        "add it under \"targets\": {{\"{name}\": {{\"mw_kda\": <kDa>}}}}, or use a built-in name"
                    ),
                )
            })
    };

    let ladder = match &manifest.ladder {
        None => None,
        Some(Value::String(n)) => Some(catalog::built_in_ladder(n).ok_or_else(|| {
            err(
                "ladder",
                format!("unknown ladder {n:?}"),
                &format!(
                    "use one of {} or a list of kDa values, top to bottom",
                    catalog::ladder_names().join(", ")
                ),
            )
        })?),
        Some(Value::Array(values)) => {
            let kda: Option<Vec<f64>> = values.iter().map(Value::as_f64).collect();
            match kda {
                Some(k)
                    if k.len() >= 3
                        && k.windows(2).all(|w| w[0] > w[1])
                        && k[k.len() - 1] > 0.0 =>
                {
                    Some(k)
                }
                _ => {
                    return Err(err(
                        "ladder",
                        "not a list of at least 3 decreasing kDa values".into(),
                        "list the ladder's band sizes top to bottom, e.g. [180, 130, 100, 70]",
                    ))
                }
            }
        }
        Some(_) => {
            return Err(err(
                "ladder",
                "must be a ladder name or a list of kDa values".into(),
                "e.g. \"pageruler-prestained\" or [180, 130, 100, 70, 55]",
            ))
        }
    };
    warnings.extend(condition_typos(&lanes));
    let has_ladder_lane = lanes.iter().any(LaneSpec::is_ladder);
    if has_ladder_lane && ladder.is_none() {
        warnings.push(
            "a lane is marked ladder but `ladder` names no ladder: bands get no apparent MW".into(),
        );
    }
    let calibrated = has_ladder_lane && ladder.is_some();

    if manifest.images.is_empty() {
        return Err(err(
            "images",
            "empty".into(),
            "list the blot images of this experiment",
        ));
    }
    let mut images = Vec::new();
    for (i, entry) in manifest.images.iter().enumerate() {
        let field = format!("images[{i}]");
        let image_path = resolve_image_path(path, &dir, &field, &entry.file)?;
        let is_marker = match entry.role.as_deref() {
            None => false,
            Some("marker") => true,
            Some(other) => {
                return Err(err(
                    &format!("{field}.role"),
                    format!("unknown role {other:?}"),
                    "the only role is \"marker\" (a white-light image of the ladder)",
                ))
            }
        };
        let targets = parse_image_targets(path, &field, entry.targets.as_ref(), &resolve)?;
        if is_marker && !targets.is_empty() {
            return Err(err(
                &format!("{field}.targets"),
                "a marker image has no targets".into(),
                "remove `targets` or the marker role",
            ));
        }
        if !is_marker && targets.is_empty() {
            return Err(err(
                &format!("{field}.targets"),
                "missing or empty".into(),
                "list the targets whose bands this image holds, e.g. [\"NLRP3\"]",
            ));
        }
        let needs_position = targets.len() > 1 && !calibrated;
        if let Some(t) = targets
            .iter()
            .find(|t| needs_position && t.rows.is_none() && !t.target.whole_lane)
        {
            return Err(err(
                &format!("{field}.targets"),
                format!(
                    "{} targets share this image but there is no ladder to tell them apart ({:?} has no `rows`)",
                    targets.len(),
                    t.target.name
                ),
                "add a ladder lane and `ladder`, or give each target \"rows\": [top_px, bottom_px]",
            ));
        }
        let lanes_px = match (&entry.lanes_px, &entry.rois) {
            (Some(_), Some(_)) => {
                return Err(err(
                    &format!("{field}.rois"),
                    "both `lanes_px` and `rois` state the lanes".into(),
                    "keep one of them",
                ))
            }
            (None, Some(rois)) => Some(lanes_from_rois(
                path,
                &format!("{field}.rois"),
                &dir.join(rois),
                lanes.len(),
            )?),
            (lanes_px, None) => match lanes_px {
                None => None,
                Some(_) if is_marker => {
                    return Err(err(
                        &format!("{field}.lanes_px"),
                        "a marker image takes the lanes of its blots".into(),
                        "state `lanes_px` on the blot images of its frame instead",
                    ))
                }
                Some(stated) => Some(parse_lanes_px(
                    path,
                    &format!("{field}.lanes_px"),
                    stated,
                    lanes.len(),
                )?),
            },
        };
        let page = match entry.page {
            None => 0,
            Some(0) => {
                return Err(err(
                    &format!("{field}.page"),
                    "pages count from 1".into(),
                    "give the page of the TIFF to read, 1 for the first",
                ))
            }
            Some(page) => page - 1,
        };
        images.push(ImagePlan {
            file: entry.file.clone(),
            path: image_path,
            targets,
            polarity: entry.polarity,
            is_marker,
            lanes_px,
            rois: entry.rois.as_ref().map(|r| dir.join(r)),
            page,
        });
    }

    let imaged = |target: &Target| {
        images
            .iter()
            .flat_map(|i| &i.targets)
            .any(|t| t.target.name == target.name)
    };
    let loading_control = match &manifest.loading_control {
        None => {
            warnings.push("no `loading_control`: signals are not normalized".into());
            None
        }
        Some(n) => {
            let target = resolve("loading_control", n)?;
            if !imaged(&target) {
                return Err(err(
                    "loading_control",
                    format!("{:?} is not among the targets of any image", target.name),
                    "add it to the `targets` of the image that holds it (for total protein, the stain image)",
                ));
            }
            Some(target)
        }
    };
    let mut normalizers = BTreeMap::new();
    for (target, normalizer) in &manifest.normalize {
        let field = format!("normalize.{target}");
        let target = resolve(&field, target)?;
        let normalizer = resolve(&field, normalizer)?;
        for t in [&target, &normalizer] {
            if !imaged(t) {
                return Err(err(
                    &field,
                    format!("{:?} is not among the targets of any image", t.name),
                    "name targets that the images hold",
                ));
            }
        }
        normalizers.insert(target.name, normalizer);
    }
    // A loading control close in MW to a target is a risk only where both share a membrane image.
    if let Some(lc) = loading_control.as_ref().filter(|lc| !lc.whole_lane) {
        for image in images
            .iter()
            .filter(|i| i.targets.iter().any(|t| t.target.name == lc.name))
        {
            for t in image
                .targets
                .iter()
                .filter(|t| t.target.name != lc.name && !t.target.whole_lane)
            {
                let ratio = t.target.nominal_kda() / lc.nominal_kda();
                if (ratio - 1.0).abs() <= 0.15 {
                    warnings.push(format!(
                        "{}: loading control {} ({} kDa) runs within 15 % of {} ({} kDa): check that the bands are told apart",
                        image.file,
                        lc.name,
                        lc.nominal_kda(),
                        t.target.name,
                        t.target.nominal_kda()
                    ));
                }
            }
        }
    }
    let params = match &manifest.analysis {
        None => params.clone(),
        Some(overrides) => params.with_overrides(overrides).map_err(|e| {
            err(
                "analysis",
                e.to_string(),
                "use the names printed by `blotquant analyze --print-params`",
            )
        })?,
    };

    Ok(Plan {
        name,
        dir,
        manifest: Some(path.to_path_buf()),
        control: Some(control),
        loading_control,
        normalizers,
        ladder: if calibrated { ladder } else { None },
        replicate,
        lanes,
        images,
        params,
        warnings,
    })
}

fn parse_lanes(path: &Path, entries: &[Value]) -> Result<Vec<LaneSpec>> {
    if entries.is_empty() {
        return Err(Error::manifest(
            path,
            "lanes",
            "empty",
            "list one entry per lane, left to right",
        ));
    }
    let is_ladder_name = |s: &str| s.trim().eq_ignore_ascii_case("ladder");
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = format!("lanes[{i}]");
            let bad = |reason: String| {
                Error::manifest(
                    path,
                    &field,
                    reason,
                    "a lane is a condition name, \"ladder\", or {\"condition\": ..., \"sample\": ..., \"load_ug\": ...}",
                )
            };
            let mut lane = LaneSpec {
                index: i + 1,
                condition: None,
                sample: None,
                load_ug: None,
            };
            match entry {
                Value::String(s) if s.trim().is_empty() => return Err(bad("empty condition name".into())),
                Value::String(s) if is_ladder_name(s) => {}
                Value::String(s) => lane.condition = Some(s.clone()),
                Value::Object(map) => {
                    for (key, value) in map {
                        match (key.as_str(), value) {
                            ("condition", Value::String(s)) if !s.trim().is_empty() => {
                                lane.condition = (!is_ladder_name(s)).then(|| s.clone())
                            }
                            ("sample", Value::String(s)) => lane.sample = Some(s.clone()),
                            ("sample", Value::Number(n)) => lane.sample = Some(n.to_string()),
                            ("load_ug", Value::Number(n)) if n.as_f64().is_some_and(|v| v > 0.0) => {
                                lane.load_ug = n.as_f64()
                            }
                            ("ladder", Value::Bool(_)) => {}
                            ("condition" | "sample" | "load_ug" | "ladder", _) => {
                                return Err(bad(format!("`{key}` has the wrong type or value")))
                            }
                            _ => return Err(bad(format!("unknown field `{key}`"))),
                        }
                    }
                    if map.get("ladder") == Some(&Value::Bool(true)) {
                        lane.condition = None;
                    } else if lane.condition.is_none() && !map.contains_key("condition") {
                        return Err(bad("missing `condition`".into()));
                    }
                }
                _ => return Err(bad("must be a string or an object".into())),
            }
            Ok(lane)
        })
        .collect()
}

fn parse_custom_targets(path: &Path, defs: &BTreeMap<String, TargetDef>) -> Result<Vec<Target>> {
    defs.iter()
        .map(|(name, def)| {
            let field = format!("targets.{name}.mw_kda");
            let window = match &def.mw_kda {
                Value::Number(n) => n.as_f64().map(|v| (v, v)),
                Value::Array(a) if a.len() == 2 => match (a[0].as_f64(), a[1].as_f64()) {
                    (Some(lo), Some(hi)) if lo <= hi => Some((lo, hi)),
                    _ => None,
                },
                _ => None,
            };
            match window {
                Some((lo, hi)) if lo > 0.0 && hi.is_finite() => Ok(Target {
                    name: name.clone(),
                    mw_kda: (lo, hi),
                    loading_control: catalog::built_in_target(name)
                        .is_some_and(|t| t.loading_control),
                    whole_lane: false,
                }),
                _ => Err(Error::manifest(
                    path,
                    field,
                    "not a positive kDa value or a [low, high] window",
                    "e.g. \"mw_kda\": 62 or \"mw_kda\": [55, 70]",
                )),
            }
        })
        .collect()
}

/// Warnings for conditions that look like typos of another: used in one lane only, while
/// another condition differs by one or two letters (`untreatd` beside `untreated`), fewer
/// than a third of its letters, and not in its numbers (`AMI 1 µM` beside `AMI 10 µM` is a
/// dose, not a typo).
fn condition_typos(lanes: &[LaneSpec]) -> Vec<String> {
    let numbers = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for condition in lanes.iter().filter_map(|l| l.condition.as_deref()) {
        *counts.entry(condition).or_default() += 1;
    }
    counts
        .iter()
        .filter(|(_, &n)| n == 1)
        .filter_map(|(&lone, _)| {
            let other = counts.keys().find(|&&other| {
                let distance = strsim::damerau_levenshtein(lone, other);
                other != lone
                    && distance <= 2
                    && 3 * distance < lone.chars().count()
                    && numbers(lone) == numbers(other)
            })?;
            Some(format!(
                "condition {lone:?} is used in one lane only and differs from {other:?} by a letter or two: a typo? (lanes with different conditions are never pooled)"
            ))
        })
        .collect()
}

/// An image's `lanes_px`, checked against the manifest's `lanes_count` lanes: one centre per
/// lane, increasing; widths positive (one for all or one per lane); a lean under 45°.
fn parse_lanes_px(
    path: &Path,
    field: &str,
    stated: &LanesPxEntry,
    lanes_count: usize,
) -> Result<StatedLanes> {
    let err = |sub: &str, reason: String, fix: &str| {
        Error::manifest(path, format!("{field}{sub}"), reason, fix)
    };
    let n = stated.x.len();
    if lanes_count == 0 || n != lanes_count {
        return Err(err(
            ".x",
            format!("{n} lane centres for {lanes_count} lanes in `lanes`"),
            "give one centre per `lanes` entry, left to right, ladder lanes included",
        ));
    }
    if stated.x.iter().any(|x| !x.is_finite()) || stated.x.windows(2).any(|w| w[1] <= w[0]) {
        return Err(err(
            ".x",
            "lane centres must be numbers increasing from left to right".into(),
            "list each lane's centre in pixels at the image's middle row, left to right",
        ));
    }
    let positive = |v: &Value| v.as_f64().filter(|w| w.is_finite() && *w > 0.0);
    let widths: Option<Vec<f64>> = match &stated.width {
        Value::Array(values) if values.len() == n => values.iter().map(positive).collect(),
        Value::Array(_) => None,
        single => positive(single).map(|w| vec![w; n]),
    };
    let Some(widths) = widths else {
        return Err(err(
            ".width",
            "not a positive number or a list of one per lane".into(),
            "give the lanes' width in pixels, e.g. 40, or one per lane",
        ));
    };
    let lean_deg = stated.lean_deg.unwrap_or(0.0);
    if !lean_deg.is_finite() || lean_deg.abs() >= 45.0 {
        return Err(err(
            ".lean_deg",
            format!("{lean_deg} is no lean of lanes"),
            "give degrees from upright, under 45 (positive: a lane runs to the right going down)",
        ));
    }
    Ok(StatedLanes {
        x: stated.x.clone(),
        widths,
        lean_deg,
    })
}

/// An image's lanes from an ImageJ ROI set (`rois`, e.g. the one blotquant wrote, edited in
/// Fiji): its lane ROIs (every ROI not named like a band, `lane 3 · target`), left to right,
/// each lane centred in its rectangle and as wide; as many as the manifest's `lanes_count`.
fn lanes_from_rois(
    path: &Path,
    field: &str,
    rois_path: &Path,
    lanes_count: usize,
) -> Result<StatedLanes> {
    let err = |reason: String, fix: &str| Error::manifest(path, field, reason, fix);
    let rois = crate::io::roi_set::read_roi_set(rois_path).map_err(|e| {
        err(
            e.to_string(),
            "name an ImageJ ROI set (.zip) beside the manifest, e.g. rois/<image>.zip of a run",
        )
    })?;
    let mut lanes: Vec<(f64, f64)> = rois
        .iter()
        .filter(|r| !r.name.contains(" · "))
        .map(|r| ((r.left + r.right) as f64 / 2.0, (r.right - r.left) as f64))
        .collect();
    lanes.sort_by(|a, b| a.0.total_cmp(&b.0));
    if lanes.len() != lanes_count {
        return Err(err(
            format!(
                "{}: {} lane ROIs for {lanes_count} lanes in `lanes`",
                rois_path.display(),
                lanes.len()
            ),
            "keep one lane ROI per `lanes` entry (band ROIs are named like `lane 3 · target`)",
        ));
    }
    if lanes.windows(2).any(|w| w[1].0 <= w[0].0) {
        return Err(err(
            format!("{}: two lane ROIs share a centre", rois_path.display()),
            "give each lane its own rectangle",
        ));
    }
    Ok(StatedLanes {
        x: lanes.iter().map(|l| l.0).collect(),
        widths: lanes.iter().map(|l| l.1).collect(),
        lean_deg: 0.0,
    })
}

fn parse_image_targets(
    path: &Path,
    field: &str,
    spec: Option<&Value>,
    resolve: &dyn Fn(&str, &str) -> Result<Target>,
) -> Result<Vec<TargetPlan>> {
    let field = format!("{field}.targets");
    let bad = |reason: &str| {
        Error::manifest(
            path,
            &field,
            reason,
            "give a list of names, or an object {\"name\": {\"rows\": [top_px, bottom_px]}}",
        )
    };
    let mut out = Vec::new();
    match spec {
        None => {}
        Some(Value::Array(names)) => {
            for (k, n) in names.iter().enumerate() {
                let name = n
                    .as_str()
                    .ok_or_else(|| bad("target names must be strings"))?;
                out.push(TargetPlan {
                    target: resolve(&format!("{field}[{k}]"), name)?,
                    rows: None,
                });
            }
        }
        Some(Value::Object(map)) => {
            for (name, placement) in map {
                let target = resolve(&format!("{field}.{name}"), name)?;
                let rows = match placement.get("rows") {
                    None => None,
                    Some(Value::Array(r)) if r.len() == 2 => match (r[0].as_u64(), r[1].as_u64()) {
                        (Some(a), Some(b)) if a < b => Some((a as usize, b as usize)),
                        _ => {
                            return Err(bad("`rows` must be [top_px, bottom_px] with top < bottom"))
                        }
                    },
                    Some(_) => return Err(bad("`rows` must be [top_px, bottom_px]")),
                };
                if let Some(extra) = placement
                    .as_object()
                    .and_then(|o| o.keys().find(|k| *k != "rows"))
                {
                    return Err(bad(&format!("unknown field `{extra}` for target {name:?}")));
                }
                out.push(TargetPlan { target, rows });
            }
        }
        Some(_) => return Err(bad("must be a list or an object")),
    }
    Ok(out)
}

/// The image's path, which must stay inside the experiment folder and exist.
fn resolve_image_path(manifest: &Path, dir: &Path, field: &str, file: &str) -> Result<PathBuf> {
    let field = format!("{field}.file");
    let relative = Path::new(file);
    let escapes = relative.is_absolute()
        || relative.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::RootDir | Component::Prefix(_)
            )
        });
    if file.trim().is_empty() || escapes {
        return Err(Error::manifest(
            manifest,
            field,
            format!("{file:?} is not a path inside the experiment folder"),
            "give the image's path relative to the folder of experiment.json, without `..`",
        ));
    }
    let full = dir.join(relative);
    if !full.is_file() {
        return Err(Error::manifest(
            manifest,
            field,
            format!("{} does not exist or is not a file", full.display()),
            "check the file name (case matters) or copy the image into the experiment folder",
        ));
    }
    Ok(full)
}
