//! The methods paragraph of `results.json`: what was done, with this run's parameters, in
//! words a user can paste into a paper.

use std::collections::BTreeSet;

use std::collections::BTreeMap;

use crate::io::Acquisition;
use crate::params::{BackgroundMethod, Params};
use crate::quant::{Design, Flag, ReplicateUnit};
use crate::results::ExperimentResult;
use crate::{bands, lanes};

/// What the run did that the methods text describes: only the steps that ran are said.
#[derive(Debug, Clone, Default)]
pub struct StepsRun {
    /// What the experiments' biological replicates were.
    pub units: BTreeSet<ReplicateUnit>,
    /// How the images read from an imager's own files were acquired (distinct).
    pub acquisitions: Vec<Acquisition>,
    /// How lanes were placed on some image, as `results.json` `detection[].reasons` says.
    pub lane_reasons: BTreeSet<String>,
    /// Membranes or strips sharing a frame were lined up.
    pub strips_lined_up: bool,
    /// Some image's bands were found with the ball's radius shrunk to their height.
    pub ball_shrunk: bool,
    /// Some image's lanes and bands were found with the ball's radius grown to their height.
    pub ball_grown: bool,
    /// Flags some band or lane × target carries.
    pub flags: BTreeSet<&'static str>,
}

impl StepsRun {
    /// The steps of a run of `experiments` with their `designs`.
    pub fn of(experiments: &[ExperimentResult], designs: &BTreeMap<String, Design>) -> StepsRun {
        let mut acquisitions: Vec<Acquisition> = Vec::new();
        for a in experiments
            .iter()
            .flat_map(|e| &e.detection)
            .filter_map(|d| d.acquisition.as_ref())
        {
            if !acquisitions.contains(a) {
                acquisitions.push(a.clone());
            }
        }
        let flags = experiments
            .iter()
            .flat_map(|e| {
                let bands = e.bands.iter().map(|b| &b.flags);
                bands.chain(e.fold_change.iter().map(|f| &f.flags))
            })
            .flat_map(|flags| {
                [
                    Flag::Saturated,
                    Flag::Hole,
                    Flag::BackgroundUncertain,
                    Flag::NormalizerOutlier,
                    Flag::Speck,
                ]
                .into_iter()
                .filter(|f| flags.contains(*f))
                .map(Flag::as_str)
                .collect::<Vec<_>>()
            })
            .collect();
        StepsRun {
            units: designs.values().map(|d| d.replicate).collect(),
            acquisitions,
            lane_reasons: experiments
                .iter()
                .flat_map(|e| &e.detection)
                .flat_map(|d| d.reasons.split(';'))
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
            strips_lined_up: experiments
                .iter()
                .flat_map(|e| &e.warnings)
                .any(|w| w.contains("lined up so their lanes meet")),
            ball_shrunk: experiments
                .iter()
                .flat_map(|e| &e.warnings)
                .any(|w| w.contains(crate::params::BALL_SHRUNK)),
            ball_grown: experiments
                .iter()
                .flat_map(|e| &e.warnings)
                .any(|w| w.contains(crate::params::BALL_GROWN)),
            flags,
        }
    }
}

/// How the images read from imagers' own files were acquired, in one sentence ("" without
/// any).
fn acquisition_sentence(acquisitions: &[Acquisition]) -> String {
    let Some(first) = acquisitions.first() else {
        return String::new();
    };
    let describe = |a: &Acquisition| {
        let mut parts: Vec<String> = Vec::new();
        if let Some(i) = &a.instrument {
            parts.push(i.clone());
        }
        if let Some(app) = &a.application {
            parts.push(app.clone());
        }
        if let Some(e) = a.exposure_s {
            parts.push(format!("{e} s exposure"));
        }
        if let Some(b) = &a.binning {
            parts.push(format!("binning {b}"));
        }
        parts.join(", ")
    };
    let how: Vec<String> = acquisitions
        .iter()
        .map(describe)
        .filter(|d| !d.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    format!(
        " Images were read from the imager's raw files ({}), not display exports{}.",
        first.format,
        if how.is_empty() {
            String::new()
        } else {
            format!(": {}", how.join("; "))
        }
    )
}

/// What the run's biological replicates were, in one sentence.
fn replicates_sentence(units: &BTreeSet<ReplicateUnit>) -> String {
    let one = |unit: ReplicateUnit| match unit {
        ReplicateUnit::Lane => "lanes",
        ReplicateUnit::Sample => {
            "samples (lanes sharing a sample averaged first as technical replicates)"
        }
        ReplicateUnit::Blot => {
            "blots (each blot's lanes of a condition averaged, lanes sharing a sample first)"
        }
    };
    match units.len() {
        0 | 1 => format!(
            "Biological replicates were {}.",
            one(units.first().copied().unwrap_or_default())
        ),
        _ => {
            let listed: Vec<&str> = units.iter().map(|u| one(*u)).collect();
            format!(
                "Biological replicates were, as each experiment's manifest stated, {}.",
                listed.join(" or ")
            )
        }
    }
}

/// A methods paragraph for a run with `params` that did `steps`: the steps every run takes,
/// then only those of the conditional ones that ran (about 200 words for a plain run).
pub fn methods_text(params: &Params, steps: &StepsRun) -> String {
    let bg = &params.background;
    let b = &params.bands;
    let q = &params.quant;
    let mut text = vec![format!(
        "Images were quantified as stored (raw counts where available) with blotquant {}.{}",
        env!("CARGO_PKG_VERSION"),
        acquisition_sentence(&steps.acquisitions)
    )];
    text.push(format!(
        "Lanes and bands were found after subtracting a rolling-ball background of radius {} px (Sternberg 1983, as ImageJ's Subtract Background computes it{}).",
        bg.radius_px,
        if bg.smoothing { ", after 3 × 3 smoothing" } else { "" },
    ));
    if steps.ball_shrunk {
        text.push(format!(
            "On images whose bands are under {} px high, bands were found with the ball's radius shrunk in proportion.",
            crate::params::REFERENCE_BAND_HEIGHT_PX
        ));
    }
    if steps.ball_grown {
        text.push(format!(
            "On images whose bands are over {} px high, lanes and bands were found with the ball's radius grown in proportion.",
            crate::params::TYPICAL_BAND_HEIGHT_PX
        ));
    }
    if steps.strips_lined_up {
        text.push("Membranes sharing one frame were first lined up by whole-pixel shifts.".into());
    }
    text.push(lanes_sentence(steps));
    text.push(format!(
        "Bands are row-profile maxima at least {} noise SDs prominent, boxed to the valley to the next band or {:.0} % of the peak.",
        b.min_prominence_sigma,
        100.0 * b.edge_fraction
    ));
    text.push(subtracted_sentence(params));
    text.push(format!(
        "Targets were assigned the band nearest their molecular weight (±{:.0} %, interpolated in log10 kDa between ladder bands). Each target's volume was divided by the loading control's in its lane and expressed relative to the mean of its blot's control lanes; a one-way ANOVA tested the loading control across conditions.",
        100.0 * q.mw_tolerance
    ));
    text.extend(flag_sentences(params, steps));
    text.push(format!(
        "{} Statistics used log2 fold changes: 95 % CIs from Student's t, p-values from Welch's t-test against the control{}, Benjamini–Hochberg adjusted.",
        replicates_sentence(&steps.units),
        if steps.units.contains(&ReplicateUnit::Blot) {
            " (one-sample against 0 where the control is 1 by construction)"
        } else {
            " (one-sample against 0 where it has no spread)"
        }
    ));
    text.join(" ")
}

/// How lanes were placed: the grid fit every run does, then the placements that ran.
fn lanes_sentence(steps: &StepsRun) -> String {
    let reasons = &steps.lane_reasons;
    let has = |r: lanes::DetectionReason| reasons.contains(r.as_str());
    if !reasons.is_empty()
        && reasons
            .iter()
            .all(|r| r == lanes::DetectionReason::FromManifest.as_str())
    {
        return "Lanes were placed where the manifest's lanes_px states them.".into();
    }
    let mut how = vec![
        "Lanes were placed by fitting an evenly spaced grid to the column profile".to_string(),
    ];
    let mut also = Vec::new();
    if has(lanes::DetectionReason::OnBandRow) {
        also.push("on a row of evenly spaced bands where that was wider than the grid's pitch");
    }
    if has(lanes::DetectionReason::BetweenEdgeLines) {
        also.push("between pairs of dark lines (lane edges) where the profile showed them");
    }
    if has(lanes::DetectionReason::BeyondProfile) {
        also.push("extended over bands beyond the grid's ends");
    }
    if has(lanes::DetectionReason::Leaning) {
        also.push("along their lean where lanes leaned");
    }
    if has(lanes::DetectionReason::FromManifest) {
        also.push("as the manifest's lanes_px states them where given");
    }
    if !also.is_empty() {
        how.push(format!(" (also: {})", also.join("; ")));
    }
    how.push("; a lane's width is the full width at half maximum of its cross-section.".into());
    how.concat()
}

/// How each band's background was taken out.
fn subtracted_sentence(params: &Params) -> String {
    let bg = &params.background;
    match bg.method {
        BackgroundMethod::RollingBall => "Each band's background was the rolling-ball surface under its box.".into(),
        BackgroundMethod::RubberBand => "Each band's background was a rubber band (the lower convex hull of its lane's profile).".into(),
        BackgroundMethod::ValleyToValley => "Each band's background was a valley-to-valley line under its lane's profile.".into(),
        BackgroundMethod::BorderMedian | BackgroundMethod::BorderMean => format!(
            "Each band's background was the {} of a {} px border {} its box.",
            if bg.method == BackgroundMethod::BorderMean { "mean" } else { "median" },
            bg.border_px,
            if bg.border_all_sides { "around" } else { "above and below" }
        ),
        BackgroundMethod::None => "No background was subtracted from band volumes.".into(),
    }
}

/// What the flags that some value carries mean, one sentence each.
fn flag_sentences(params: &Params, steps: &StepsRun) -> Vec<String> {
    let q = &params.quant;
    let mut out = Vec::new();
    let has = |f: Flag| steps.flags.contains(f.as_str());
    if has(Flag::Saturated) {
        out.push(format!(
            "Bands with saturated pixels were flagged{}.",
            if q.allow_saturated {
                ""
            } else {
                " and left out of the statistics"
            }
        ));
    }
    if has(Flag::Hole) {
        out.push("Bands missing signal their neighbours have (a bubble or scratch) were flagged and left out.".into());
    }
    if has(Flag::BackgroundUncertain) {
        out.push(format!(
            "Bands whose background differed from an independent estimate by over {:.0} % of their signal were flagged, and so were the values normalized to such a loading-control band or resting on such a control lane.",
            100.0 * bands::measure::BACKGROUND_DISAGREEMENT
        ));
    }
    if has(Flag::Speck) {
        out.push(format!(
            "Specks (dust, hot pixels) inside the lanes were replaced by their surroundings along the row; bands that lost over {:.0} % of their signal to them were flagged.",
            100.0 * bands::measure::SPECK_SHARE
        ));
    }
    if has(Flag::NormalizerOutlier) {
        out.push(format!(
            "Loading-control lanes over {:.0} % from their blot's median were flagged.",
            100.0 * q.normalizer_outlier_fraction
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> usize {
        text.split_whitespace().count()
    }

    #[test]
    fn a_plain_run_is_described_in_under_two_hundred_words() {
        let plain = StepsRun {
            units: [ReplicateUnit::Sample].into(),
            ..StepsRun::default()
        };
        let text = methods_text(&Params::default(), &plain);
        assert!(words(&text) < 200, "{} words: {text}", words(&text));
        for not_run in [
            "lane edges",
            "lean",
            "lined up",
            "saturated",
            "scratch",
            "lanes_px",
            "Specks",
            "shrunk",
        ] {
            assert!(!text.contains(not_run), "{not_run:?} did not run: {text}");
        }
    }

    #[test]
    fn the_steps_that_ran_are_said() {
        let steps = StepsRun {
            units: [ReplicateUnit::Lane].into(),
            lane_reasons: ["between-edge-lines", "leaning"].map(String::from).into(),
            strips_lined_up: true,
            ball_shrunk: true,
            ball_grown: true,
            flags: ["saturated", "hole", "speck"].into(),
            acquisitions: vec![Acquisition {
                format: "Bio-Rad Image Lab .scn".into(),
                instrument: Some("ChemiDoc MP".into()),
                exposure_s: Some(3.0),
                ..Acquisition::default()
            }],
        };
        let text = methods_text(&Params::default(), &steps);
        for said in [
            "lane edges",
            "along their lean",
            "lined up",
            "saturated pixels",
            "scratch",
            "Specks (dust, hot pixels)",
            "ChemiDoc MP, 3 s exposure",
            "radius shrunk in proportion",
            "radius grown in proportion",
        ] {
            assert!(text.contains(said), "{said:?} ran: {text}");
        }
    }
}
