//! Background estimation: [`estimate`] for the analysis pipeline, whatever the method, and
//! [`subtract_like_imagej`] for `blotquant background`, which reproduces ImageJ's
//! Process › Subtract Background on 8- and 16-bit images.

pub mod rolling_ball;

use ndarray::Array2;

use crate::params::{BackgroundMethod, BackgroundParams};

/// The options of ImageJ's Subtract Background dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageJOptions {
    pub radius: f64,
    pub light_background: bool,
    pub sliding_paraboloid: bool,
    pub disable_smoothing: bool,
    pub create_background: bool,
}

/// Subtract Background as ImageJ 1.53t does it on an 8- or 16-bit image (`max_value` 255 or
/// 65535): the background is computed on a float copy (negated for a light background), then
/// `value − background` (+ `max_value` for a light background) is rounded and clipped to the
/// image's range; with `create_background`, the background itself is returned, rounded and
/// clipped the same way.
pub fn subtract_like_imagej(
    image: &Array2<f32>,
    max_value: f32,
    options: &ImageJOptions,
) -> Array2<f32> {
    let smoothing = !options.disable_smoothing;
    let light = options.light_background;
    let oriented = if light {
        image.mapv(|v| -v)
    } else {
        image.clone()
    };
    let mut background = rolling_ball::background(&oriented, options.radius, smoothing);
    if light {
        background.mapv_inplace(|v| -v);
    }
    let to_range = |v: f32| v.clamp(0.0, max_value).trunc();
    if options.create_background {
        return background.mapv(|b| to_range(b + 0.5));
    }
    let offset = if light { max_value + 0.5 } else { 0.5 };
    ndarray::Zip::from(image)
        .and(&background)
        .map_collect(|&v, &b| to_range(v - b + offset))
}

/// Estimates the background under `signal` (same shape, same units).
pub fn estimate(signal: &Array2<f32>, params: &BackgroundParams) -> Array2<f32> {
    match params.method {
        BackgroundMethod::None => Array2::zeros(signal.dim()),
        BackgroundMethod::RollingBall => {
            let mut bg = rolling_ball::background(signal, params.radius_px, params.smoothing);
            if params.noise_floor_correction {
                let offset = noise_floor_offset(signal, &bg);
                bg.mapv_inplace(|v| v + offset);
            }
            bg
        }
    }
}

/// The typical residual of background pixels above the rolled surface. Bands are a minority
/// of pixels and lie far above it, so a median with 3-sigma clipping ignores them.
fn noise_floor_offset(signal: &Array2<f32>, background: &Array2<f32>) -> f32 {
    let mut residual: Vec<f32> = signal
        .iter()
        .zip(background.iter())
        .map(|(s, b)| s - b)
        .collect();
    for _ in 0..3 {
        let median = crate::stats::median_f32(&mut residual);
        let mut deviations: Vec<f32> = residual.iter().map(|r| (r - median).abs()).collect();
        let sigma = 1.4826 * crate::stats::median_f32(&mut deviations);
        let kept: Vec<f32> = residual
            .iter()
            .copied()
            .filter(|r| (r - median).abs() <= 3.0 * sigma)
            .collect();
        if kept.len() == residual.len() || kept.is_empty() {
            break;
        }
        residual = kept;
    }
    crate::stats::median_f32(&mut residual).max(0.0)
}
