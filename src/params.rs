//! Analysis parameters with documented defaults. Every field can be overridden from a JSON
//! file (`--params`) or the manifest's `analysis` object; the effective values are echoed in
//! `results.json`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// All tunable parameters, grouped by pipeline stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Size limits applied before an image is decoded.
    pub load: LoadParams,
    /// The background surface lanes and bands are found on, and what is subtracted from each
    /// band's volume.
    pub background: BackgroundParams,
    /// How lanes are placed across the image.
    pub lanes: LaneParams,
    /// How band peaks are found and boxed in each lane's profile.
    pub bands: BandParams,
    /// QC thresholds, normalization and statistics rules.
    pub quant: QuantParams,
}

/// Image loading limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadParams {
    /// Largest accepted image, in pixels (guards against decompression bombs).
    pub max_pixels: u64,
    /// Largest accepted width or height, in pixels.
    pub max_side_px: u32,
}

impl Default for LoadParams {
    fn default() -> Self {
        LoadParams {
            max_pixels: 200_000_000,
            max_side_px: 65_535,
        }
    }
}

/// Which background is subtracted from each band's volume. Lanes and bands are always found
/// on the rolling-ball-corrected image; this chooses only what is subtracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackgroundMethod {
    /// ImageJ's rolling ball over the whole image (see `background::rolling_ball`).
    RollingBall,
    /// Lower convex hull of the lane profile.
    RubberBand,
    /// Line under the band between the lane profile above and below its box.
    ValleyToValley,
    /// Median of a border around the band's box.
    BorderMedian,
    /// Mean of a border around the band's box (LI-COR Image Studio's "Average" border).
    BorderMean,
    /// Nothing is subtracted.
    None,
}

/// Background estimation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackgroundParams {
    /// What is subtracted from each band's volume (default `border-mean`, the most accurate on
    /// both generators of synthetic blots); lanes and bands are always found on the
    /// rolling-ball-corrected image.
    pub method: BackgroundMethod,
    /// Rolling-ball radius in pixels; should exceed the largest band's half-extent (less on
    /// an image whose bands are under [`REFERENCE_BAND_HEIGHT_PX`] high:
    /// [`Params::fitted_to_band_height`]).
    pub radius_px: f64,
    /// 3×3 mean smoothing before the ball rolls (ImageJ's default), which damps noise minima.
    pub smoothing: bool,
    /// Raise the ball surface by the median residual of background pixels. A ball rolled under
    /// noisy data touches the noise minima and sits below the true background; this removes that
    /// offset so faint bands are not inflated by it.
    pub noise_floor_correction: bool,
    /// Border width (pixels, 1–5) for `border-mean` and `border-median`.
    pub border_px: usize,
    /// `border-mean` and `border-median` use all four sides of the box, not only above and
    /// below it.
    pub border_all_sides: bool,
}

impl Default for BackgroundParams {
    fn default() -> Self {
        BackgroundParams {
            // Chosen by measured accuracy on both generators of synthetic blots (README:
            // background methods).
            method: BackgroundMethod::BorderMean,
            radius_px: 50.0,
            smoothing: true,
            noise_floor_correction: true,
            border_px: 5,
            border_all_sides: false,
        }
    }
}

/// Lane finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LaneParams {
    /// Smallest lane pitch considered, in pixels.
    pub min_pitch_px: f64,
    /// Largest lane count `detect` considers when it estimates the count itself.
    pub max_lanes: usize,
}

impl Default for LaneParams {
    fn default() -> Self {
        LaneParams {
            min_pitch_px: 8.0,
            max_lanes: 40,
        }
    }
}

/// The default share of a lane's width (centred) that its profile averages: the lane's core,
/// clear of its edges. Lane centring weighs rows by the signal in the same core.
pub const PROFILE_CORE_FRACTION: f64 = 0.6;

/// Band finding within a lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BandParams {
    /// Fraction of the lane width (centred) averaged into the lane profile.
    pub profile_core_fraction: f64,
    /// Gaussian smoothing of the lane profile, in pixels: at most this, and at most
    /// [`SMOOTHING_PER_BAND_HEIGHT`] of the image's band height
    /// ([`Params::fitted_to_band_height`]).
    pub smoothing_sigma_px: f64,
    /// A peak counts as a band when its prominence exceeds this many noise standard deviations.
    pub min_prominence_sigma: f64,
    /// Near the row where a target's band sits in the other lanes, a peak counts down to this
    /// many noise standard deviations (the usual limit of detection, 3σ).
    pub targeted_prominence_sigma: f64,
    /// A band's box ends where the profile falls below this fraction of the peak height.
    pub edge_fraction: f64,
}

impl Default for BandParams {
    fn default() -> Self {
        BandParams {
            profile_core_fraction: PROFILE_CORE_FRACTION,
            smoothing_sigma_px: 1.5,
            min_prominence_sigma: 6.0,
            targeted_prominence_sigma: 3.0,
            edge_fraction: 0.05,
        }
    }
}

/// Quantification and QC rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuantParams {
    /// A target's band must lie within this relative MW distance of the target's MW.
    pub mw_tolerance: f64,
    /// Loading-control lanes further than this fraction from the blot median are flagged.
    pub normalizer_outlier_fraction: f64,
    /// Bands with a signal-to-noise ratio below this are flagged `low-snr`.
    pub low_snr: f64,
    /// Keep saturated values in `summary.csv`.
    pub allow_saturated: bool,
    /// In a dilution series, a point belongs to the linear range while it lies within this
    /// fraction of the proportional fit (`blotquant linearity`).
    pub linearity_tolerance: f64,
    /// Per target, the `[low, high]` signal range known to respond linearly (from
    /// `blotquant linearity`); signals outside it are flagged `outside-linear-range`.
    pub linear_range: std::collections::BTreeMap<String, [f64; 2]>,
}

impl Default for QuantParams {
    fn default() -> Self {
        QuantParams {
            mw_tolerance: 0.15,
            normalizer_outlier_fraction: 0.30,
            low_snr: 10.0,
            allow_saturated: false,
            linearity_tolerance: 0.2,
            linear_range: std::collections::BTreeMap::new(),
        }
    }
}

/// The lane profiles' smoothing is at most this share of the image's band height (full width
/// at half prominence): a Gaussian a quarter of a band's width widens it by about a sixth,
/// and two bands one and a half widths apart keep a dip between them. The default 1.5 rows
/// stands for bands 6 rows high and more.
pub const SMOOTHING_PER_BAND_HEIGHT: f64 = 0.25;

/// The ball's 50-px default radius was set on blots whose bands are at least this high: the
/// synthetic presets' 7–9 px, 18 of the 20 real images' 7–39 px. On an image whose bands are
/// lower (a small scan, a binned image, a figure shrunk for print) the radius shrinks in
/// proportion, so that the ball follows the same smears, blotches and gradients as on the
/// blot imaged larger.
pub const REFERENCE_BAND_HEIGHT_PX: f64 = 7.0;

/// The band height (px) of the typical blot the ball's 50-px default was set on: the median
/// over the 20 real images of the test suite of their bands' height as imaged, read on slabs
/// across the blot (4–47 px; [`crate::bands::band_height_as_imaged`]). A ball is kept at least
/// as many band heights across as it was there.
pub const TYPICAL_BAND_HEIGHT_PX: f64 = 10.75;

/// The words of the warning an image gets where its bands were found with the ball's radius
/// shrunk to their height (the methods text says so where any image got it).
pub const BALL_SHRUNK: &str = "radius shrunk in proportion to their height";

/// The words of the warning an image gets where its lanes and bands were found with the
/// ball's radius grown with their height.
pub const BALL_GROWN: &str = "radius grown in proportion to their height";

impl Params {
    /// These parameters for an image whose bands are `band_height` px high
    /// ([`crate::bands::band_height`]): the profile smoothing at most
    /// [`SMOOTHING_PER_BAND_HEIGHT`] of it, and under [`REFERENCE_BAND_HEIGHT_PX`] the ball's
    /// radius shrunk in proportion; as they are where no band shows. (The border, shrunk
    /// alike, took the stress experiments binned 2×2 from p90 13.3 % to 12.3 %, but the
    /// synthetic doublet binned 3×3 from within 6 % to 10 % off its unbinned run.)
    pub fn fitted_to_band_height(&self, band_height: Option<f64>) -> Params {
        let mut fitted = self.clone();
        let Some(height) = band_height else {
            return fitted;
        };
        let smoothing = &mut fitted.bands.smoothing_sigma_px;
        *smoothing = smoothing.min(SMOOTHING_PER_BAND_HEIGHT * height);
        if height < REFERENCE_BAND_HEIGHT_PX {
            fitted.background.radius_px *= height / REFERENCE_BAND_HEIGHT_PX;
        }
        fitted
    }

    /// These parameters for finding the lanes and bands of an image whose bands are
    /// `band_height` px high as imaged, where they are higher than
    /// [`TYPICAL_BAND_HEIGHT_PX`]: the ball's radius grown in proportion (as it shrinks below
    /// [`REFERENCE_BAND_HEIGHT_PX`]), so that it stays as many band heights across as it was
    /// set at. A ball only a few band heights across rises into
    /// the bands it should pass under, and takes the bodies of wide bands out of the lanes'
    /// profile. `None` where the radius stays.
    pub fn with_ball_grown(&self, band_height: Option<f64>) -> Option<Params> {
        let height = band_height?;
        let grown = self.background.radius_px * height / TYPICAL_BAND_HEIGHT_PX;
        (grown > self.background.radius_px).then(|| {
            let mut params = self.clone();
            params.background.radius_px = grown;
            params
        })
    }

    /// Applies a JSON object of overrides (same shape as `Params`, any subset of fields).
    pub fn with_overrides(&self, overrides: &serde_json::Value) -> Result<Params> {
        let mut merged = serde_json::to_value(self).expect("Params always serializes");
        merge_json(&mut merged, overrides);
        let params: Params =
            serde_path_to_error::deserialize(merged).map_err(|e| Error::Param {
                name: e.path().to_string(),
                reason: e.inner().to_string(),
            })?;
        params.validate()?;
        Ok(params)
    }

    /// Checks ranges that serde cannot.
    pub fn validate(&self) -> Result<()> {
        let check = |ok: bool, name: &str, reason: &str| {
            if ok {
                Ok(())
            } else {
                Err(Error::Param {
                    name: name.into(),
                    reason: reason.into(),
                })
            }
        };
        let bg = &self.background;
        check(
            bg.radius_px.is_finite() && bg.radius_px > 0.0,
            "background.radius_px",
            "must be a positive number of pixels",
        )?;
        check(
            (1..=5).contains(&bg.border_px),
            "background.border_px",
            "must be 1 to 5 pixels",
        )?;
        let b = &self.bands;
        check(
            b.profile_core_fraction > 0.0 && b.profile_core_fraction <= 1.0,
            "bands.profile_core_fraction",
            "must be in (0, 1]",
        )?;
        check(
            b.edge_fraction > 0.0 && b.edge_fraction < 1.0,
            "bands.edge_fraction",
            "must be in (0, 1)",
        )?;
        check(
            b.min_prominence_sigma.is_finite() && b.min_prominence_sigma > 0.0,
            "bands.min_prominence_sigma",
            "must be positive",
        )?;
        check(
            b.smoothing_sigma_px.is_finite() && b.smoothing_sigma_px >= 0.0,
            "bands.smoothing_sigma_px",
            "must be zero or positive",
        )?;
        check(
            self.quant.mw_tolerance > 0.0 && self.quant.mw_tolerance < 1.0,
            "quant.mw_tolerance",
            "must be in (0, 1)",
        )?;
        check(
            self.lanes.min_pitch_px >= 2.0,
            "lanes.min_pitch_px",
            "must be at least 2",
        )?;
        Ok(())
    }
}

fn merge_json(base: &mut serde_json::Value, overrides: &serde_json::Value) {
    match (base, overrides) {
        (serde_json::Value::Object(b), serde_json::Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge_json(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_bands_get_less_smoothing_and_a_smaller_ball() {
        let defaults = Params::default();
        // No band, or bands as high as the defaults were set on: the defaults.
        assert_eq!(defaults.fitted_to_band_height(None), defaults);
        assert_eq!(defaults.fitted_to_band_height(Some(12.0)), defaults);
        // Bands 6.5 px high: smoothing still 1.5 px (a quarter of them is more), the ball a
        // share of 6.5 / 7 of its radius.
        let fitted = defaults.fitted_to_band_height(Some(6.5));
        assert_eq!(fitted.bands.smoothing_sigma_px, 1.5);
        assert!((fitted.background.radius_px - 50.0 * 6.5 / 7.0).abs() < 1e-9);
        // Bands 3.5 px high (a blot of 7-px bands binned 2×2): half the ball, smoothing a
        // quarter of the band; the border is left as it is.
        let fitted = defaults.fitted_to_band_height(Some(3.5));
        assert!((fitted.background.radius_px - 25.0).abs() < 1e-9);
        assert!((fitted.bands.smoothing_sigma_px - 0.875).abs() < 1e-9);
        assert_eq!(fitted.background.border_px, defaults.background.border_px);
        assert_eq!(fitted.quant, defaults.quant);
    }
}
