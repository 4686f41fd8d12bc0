//! The methods paragraph of `results.json`: what was done, with this run's parameters, in
//! words a user can paste into a paper.

use std::collections::BTreeSet;

use std::collections::BTreeMap;

use crate::io::Acquisition;
use crate::params::{BackgroundMethod, Params};
use crate::quant::{Design, ReplicateUnit};
use crate::results::ExperimentResult;
use crate::{bands, lanes};

/// What the run did that the methods text describes: only the steps that ran are said.
#[derive(Debug, Clone, Default)]
pub struct StepsRun {
    /// What the experiments' biological replicates were.
    pub units: BTreeSet<ReplicateUnit>,
    /// How the images read from an imager's own files were acquired (distinct).
    pub acquisitions: Vec<Acquisition>,
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
        StepsRun {
            units: designs.values().map(|d| d.replicate).collect(),
            acquisitions,
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

/// A methods paragraph for a run with `params` whose experiments count replicates as `units`.
pub fn methods_text(params: &Params, steps: &StepsRun) -> String {
    let units = &steps.units;
    let bg = &params.background;
    let surface = format!(
        "Lanes and bands were found after subtracting a rolling-ball background of radius {} px (Sternberg 1983, as implemented in ImageJ's Subtract Background: block-minimum shrinking, ball, bilinear enlargement){}{}.",
        bg.radius_px,
        if bg.smoothing { ", computed after 3 × 3 mean smoothing" } else { ", without pre-smoothing" },
        if bg.noise_floor_correction {
            "; the ball surface was raised by the median residual of background pixels, so that it follows the mean background rather than the noise minima"
        } else {
            ""
        }
    );
    let subtracted = match bg.method {
        BackgroundMethod::RollingBall => "Each band's volume had the rolling-ball background summed over its box subtracted.".to_string(),
        BackgroundMethod::RubberBand => "Each band's volume had a rubber-band background subtracted: the lower convex hull of its lane's row profile, summed over the band's rows.".to_string(),
        BackgroundMethod::ValleyToValley => "Each band's volume had a valley-to-valley background subtracted: a straight line under the lane profile from just above the band's box to just below it.".to_string(),
        BackgroundMethod::BorderMedian => format!(
            "Each band's volume had a border-median background subtracted: the median of a {} px border {} the band's box, times the box's area, plus any narrow line running down the image through the box, narrower than half a lane (each line column's floor, the mean of its 10th to 50th percentile over the rows, above the floor of the membrane beside the line, times the box's height).",
            bg.border_px,
            if bg.border_all_sides { "around" } else { "above and below" }
        ),
        BackgroundMethod::None => "No background was subtracted from the band volumes.".to_string(),
    };
    let background = format!("{surface} {subtracted}");
    let b = &params.bands;
    let q = &params.quant;
    format!(
        "Western blot images were quantified with blotquant {version}. Images were read as stored (16-bit counts where available), with bands made bright whatever the file's polarity.{acquired} {background} \
Lanes were located by fitting an evenly spaced grid of the lanes listed in the manifest to the image's column profile; lane width is the full width at half maximum of the mean lane cross-section. Where membranes or strips shared one frame, separated by empty frame, they were lined up by whole-pixel horizontal shifts before the lanes were located (blots side by side each got their own grid). Where a row of evenly spaced bands of one width (connected regions of the smoothed image, at least {thickness} px high at half height) was wider than the grid's pitch, the lanes were placed on the bands instead, since a band lies in one lane (lanes darker at their edges otherwise split into two). Where the column profile showed narrow lines running down the image in pairs, spaced alternately, with bands in the spaces of one kind and none in the other (lanes whose edges are dark lines), the lanes were placed in the spaces that held bands, all as wide as the median from one line's outer edge to the other's. Where the grid left a lane-like strip outside it, or its lanes hardly stood out of the column profile (median lane under {lane_sds} noise SDs), the lanes the image showed were used if they numbered the manifest's lanes: a grid fitted without the manifest's count, extended over runs of three or more separate bands at its pitch beyond its ends, or over a row of merged bands whose own column profile showed the grid's lanes and more (lanes beyond the grid standing {lane_sds} noise SDs out of their gaps), without end lanes that were narrow lines running down the image (a gel's edge) or lanes off the membrane. Where lanes with signal down most of their length (a ladder) leaned, each lane was given the slope of a straight line fitted to the ladders' slopes across the image (one slope where they agreed, a fan where they leaned apart), the column profile was taken along the lean, and lanes and band boxes followed it. A lane whose own signal (its cross-section over the rows where it held signal, weighted by that signal squared) lay more than {misplaced:.0} % of the pitch from its grid position, in a band whose middles at half and at a quarter of its height agreed, was centred on it. \
Bands are maxima of each lane's row profile (mean over the central {core:.0} % of the lane, Gaussian smoothing σ = {sigma} px) with a prominence of at least {prom} times the profile's noise standard deviation (between neighbouring rows, or on profiles of at least {noise_rows} rows, if larger, between rows a smoothing kernel apart away from certain bands, so that noise correlated over several rows counts in full, and never below one code's rounding error, 1/√12); a band's box ends at the valley to a neighbouring band or where the profile falls below {edge:.0} % of the peak, and at most {box_widths} times the band's full width at half prominence from the peak, and all bands of one target share the median box height. \
Apparent molecular weights were interpolated piecewise-linearly in log10(kDa) between the ladder bands, and each target was assigned the band nearest its expected molecular weight within ±{tol:.0} %. \
Each target's adjusted volume was divided by the loading control's adjusted volume in the same lane, and fold changes were expressed relative to the mean of the control lanes of the same blot; loading-control lanes more than {outlier:.0} % from the blot median were flagged, and a one-way ANOVA tested whether the loading control differed between conditions. \
Bands with saturated pixels were flagged{saturated}. Bands missing part of their signal where the same target's bands in the other lanes have it (three neighbouring columns below {hole_share:.0} % of the expected cross-section, by more than {hole_sds} noise standard deviations: an air bubble, fold or scratch) were flagged and left out of the summary statistics and of the control mean. Bands whose background differed from a second, independent estimate (valley-to-valley under the lane profile, or the border median where that was the method) by more than {disagreement:.0} % of their signal were flagged as uncertain, and so were the fold changes resting on such a control lane. {replicates} Per condition, the replicates of all blots were summarized by their arithmetic and geometric means, and statistics were done on log2 fold changes: 95 % confidence intervals from Student's t distribution, and two-sided p-values from Welch's t-test against the control's replicates (or a one-sample t-test against 0 where they have no spread{blot_control}), adjusted across the conditions of each target by the Benjamini–Hochberg procedure.",
        version = env!("CARGO_PKG_VERSION"),
        replicates = replicates_sentence(units),
        acquired = acquisition_sentence(&steps.acquisitions),
        disagreement = 100.0 * bands::measure::BACKGROUND_DISAGREEMENT,
        blot_control = if units.contains(&ReplicateUnit::Blot) {
            ", as a blot's control is 1 by construction"
        } else {
            ""
        },
        lane_sds = lanes::LANE_SDS,
        misplaced = 100.0 * lanes::MISPLACED_SHARE,
        noise_rows = bands::MIN_NOISE_ROWS,
        thickness = lanes::band_rows::MIN_BAND_THICKNESS_PX,
        hole_share = 100.0 * bands::HOLE_SHARE,
        hole_sds = bands::HOLE_SDS,
        box_widths = bands::BOX_HALF_WIDTHS,
        core = 100.0 * b.profile_core_fraction,
        sigma = b.smoothing_sigma_px,
        prom = b.min_prominence_sigma,
        edge = 100.0 * b.edge_fraction,
        tol = 100.0 * q.mw_tolerance,
        outlier = 100.0 * q.normalizer_outlier_fraction,
        saturated = if q.allow_saturated {
            " but kept in the summary statistics"
        } else {
            " and left out of the summary statistics"
        },
    )
}
