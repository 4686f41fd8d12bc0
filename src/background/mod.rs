//! Background estimation: one entry point, [`estimate`], whatever the method.

pub mod rolling_ball;

use ndarray::Array2;

use crate::params::{BackgroundMethod, BackgroundParams};

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
