//! Per-stage and whole-experiment timings on a synthetic experiment (528×420 16-bit images) and
//! on 2048×1536 16-bit images (one tiled, one synthesized at that size). Run with
//! `cargo bench`.

use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::Array2;

use blotquant::params::{BackgroundMethod, BackgroundParams, BandParams, LoadParams};
use blotquant::{background, bands, io, lanes, synth, Params};

fn stages(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exp");
    synth::write_experiment(&dir, 1, &synth::preset("standard").unwrap(), "bench").unwrap();
    let blot = io::load(&dir.join("caspase-1.tif"), None, &LoadParams::default()).unwrap();
    let bg_params = BackgroundParams::default();
    let bg = background::estimate(&blot.signal, &bg_params);
    let corrected = &blot.signal - &bg;
    let grid = lanes::fit_lanes(&corrected, 9, 8.0).unwrap();

    c.bench_function("load 528x420 16-bit TIFF", |b| {
        b.iter(|| io::load(&dir.join("caspase-1.tif"), None, &LoadParams::default()).unwrap())
    });
    c.bench_function("rolling ball r=50, 528x420", |b| {
        b.iter(|| background::estimate(&blot.signal, &bg_params))
    });
    c.bench_function("lane grid fit, 9 lanes", |b| {
        b.iter(|| lanes::fit_lanes(&corrected, 9, 8.0).unwrap())
    });
    c.bench_function("lane count estimate", |b| {
        b.iter(|| lanes::estimate_lane_count(&grid.profile, 40, 8.0))
    });
    c.bench_function("bands of 9 lanes", |b| {
        b.iter(|| {
            let params = BandParams::default();
            let raws: Vec<Vec<f32>> = grid
                .lanes
                .iter()
                .map(|l| bands::raw_lane_profile(&corrected, l, &params))
                .collect();
            let sigma = blotquant::Params::default()
                .fitted_to_band_height(bands::band_height(&raws, &params))
                .bands
                .smoothing_sigma_px;
            grid.lanes
                .iter()
                .zip(&raws)
                .map(|(l, raw)| {
                    let profile = bands::lane_profile(l.index, raw, sigma, &params);
                    bands::find_peaks(&profile, &params, 6.0).len()
                })
                .sum::<usize>()
        })
    });
    c.bench_function("analyze one experiment (4 images)", |b| {
        b.iter(|| blotquant::analyze(&dir, &Params::default()).unwrap())
    });

    c.bench_function("sliding paraboloid r=50, 528x420", |b| {
        b.iter(|| background::paraboloid::background(&blot.signal, 50.0, true))
    });
    let lane_sums = background::profile::lane_profile_sums(&blot.signal, |y| {
        grid.lanes[4].columns_at(y as f64, blot.width())
    });
    let band = background::BandBox {
        rows: (200, 230),
        columns: grid.lanes[4].columns_at(215.0, blot.width()),
    };
    for method in [
        BackgroundMethod::RollingBall,
        BackgroundMethod::RubberBand,
        BackgroundMethod::ValleyToValley,
        BackgroundMethod::BorderMedian,
        BackgroundMethod::BorderMean,
    ] {
        let params = BackgroundParams {
            method,
            ..BackgroundParams::default()
        };
        c.bench_function(&format!("band background {method:?}, one band"), |b| {
            b.iter(|| {
                background::band_background(&params, &blot.signal, &bg, &[], &lane_sums, band, &[])
            })
        });
    }

    let big = tile(&blot.signal, 2048, 1536);
    c.bench_function("rolling ball r=50, 2048x1536", |b| {
        b.iter(|| background::estimate(&big, &bg_params))
    });
    let corrected = &big - &background::estimate(&big, &bg_params);
    c.bench_function("band row search, 2048x1536", |b| {
        b.iter(|| blotquant::lanes::band_rows::find(&corrected))
    });
    let big_grid = lanes::fit_lanes(&corrected, grid.lanes.len(), 8.0).unwrap();
    c.bench_function("lane lean, 2048x1536", |b| {
        b.iter(|| lanes::lean(&corrected, big_grid.clone()))
    });
    c.bench_function("speck search, 2048x1536", |b| {
        b.iter(|| {
            let mut copy = big.clone();
            blotquant::bands::specks::remove(&mut copy, &big_grid.lanes, f32::INFINITY, 1.0)
        })
    });
    c.bench_function("lane skew (a turned membrane), 2048x1536", |b| {
        b.iter(|| lanes::skew::measure(big.view()))
    });
    c.bench_function("orientation (lanes down or across), 2048x1536", |b| {
        b.iter(|| lanes::orientation::lanes_run_across(big.view()))
    });

    // What `blotquant detect` does for one image, minus writing the files: read and decode,
    // background, lane count and grid, bands, overlay.
    let large = tmp.path().join("large");
    let frame = synth::Frame {
        width: 2048,
        height: 1536,
    };
    synth::write_experiment_framed(&large, 2, &synth::preset("standard").unwrap(), "l", frame)
        .unwrap();
    let params = Params::default();
    let plan = blotquant::manifest::lone_image_plan(&large.join("actin.tif"), &params);
    c.bench_function("detect one 2048x1536 16-bit image", |b| {
        b.iter(|| blotquant::batch::analyze_planned(&plan, None).unwrap())
    });
    // The frame and its empty margins, found as the image is read (the blot's own empty
    // lanes and rows above and below the bands are peeled line by line).
    let framed = io::load(&large.join("actin.tif"), None, &LoadParams::default()).unwrap();
    let quantum = io::code_step(framed.bit_depth);
    c.bench_function("content box (empty margins peeled), 2048x1536", |b| {
        b.iter(|| {
            io::frame::content_box(
                &framed.signal.view(),
                quantum,
                io::frame::EmptyMargins::Peel,
            )
        })
    });
}

/// A large image made by repeating a small one.
fn tile(small: &Array2<f32>, width: usize, height: usize) -> Array2<f32> {
    let (h, w) = small.dim();
    Array2::from_shape_fn((height, width), |(y, x)| small[[y % h, x % w]])
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = stages
}
criterion_main!(benches);
