//! Specks (dust, hot pixels) on the bands of a synthetic blot: the same experiment analyzed
//! with and without them gives the same fold changes, and the bands they fell on say so.
//! (Specks in the same row of three lanes are a row of bands: `bands::specks`.)

mod common;

use std::path::Path;

use blotquant::quant::Flag;
use blotquant::{synth, Params};

/// Each speck holds this share of the band it falls on: left in, it would move that lane's
/// value by as much.
const SPECK_SHARE_OF_BAND: f64 = 0.3;

/// Puts a 3 × 3 speck on one band of each target (dust falls anywhere, never on one row of
/// every lane), a quarter of a lane width right of the lane's centre, holding
/// [`SPECK_SHARE_OF_BAND`] of the band's true volume; the k-th target of an image gets it in
/// lane 2 + 2k. Returns the (image, lane, target) of the bands specked.
fn add_specks(dir: &Path, truth: &synth::Truth) -> Vec<(String, usize, String)> {
    let mut specked = Vec::new();
    for image in &truth.images {
        let path = dir.join(&image.file);
        let mut pixels = image::open(&path).unwrap().to_luma16();
        let mut targets: Vec<&str> = Vec::new();
        for band in &image.bands {
            if !band.target.is_empty()
                && band.target != "ladder"
                && !targets.contains(&&*band.target)
            {
                targets.push(&band.target);
            }
        }
        for (k, target) in targets.iter().enumerate() {
            let lane_number = 2 + 2 * k;
            let Some(band) = image
                .bands
                .iter()
                .find(|b| b.lane == lane_number && b.target == *target)
            else {
                continue;
            };
            let lane = image.lanes.iter().find(|l| l.lane == band.lane).unwrap();
            let (x, y) = (
                (lane.x_center + lane.width / 4.0).round() as u32,
                band.y_center.round() as u32,
            );
            let per_pixel = SPECK_SHARE_OF_BAND * band.volume / 9.0;
            for r in y - 1..=y + 1 {
                for c in x - 1..=x + 1 {
                    let value = &mut pixels.get_pixel_mut(c, r).0[0];
                    // Below the ceiling: a saturated pixel is kept as the detector's word.
                    *value = (f64::from(*value) + per_pixel).min(65_000.0) as u16;
                }
            }
            specked.push((image.file.clone(), band.lane, band.target.clone()));
        }
        pixels.save(&path).unwrap();
    }
    specked
}

#[test]
fn specks_on_bands_leave_fold_changes_as_they_were() {
    let tmp = tempfile::tempdir().unwrap();
    let (clean, dusty) = common::twin_experiments(tmp.path(), 11);
    let truth = common::read_truth(&dusty);
    let specked = add_specks(&dusty, &truth);
    assert!(specked.len() >= 5, "{specked:?}");
    let params = Params::default();
    let clean = blotquant::analyze(&clean, &params).unwrap().results;
    let dusty = blotquant::analyze(&dusty, &params).unwrap().results;

    assert!(
        !clean.bands.iter().any(|b| b.flags.contains(Flag::Speck)),
        "no band of the clean blot has a speck"
    );
    assert_eq!(clean.fold_change.len(), dusty.fold_change.len());
    let mut worst: f64 = 0.0;
    for (a, b) in clean.fold_change.iter().zip(&dusty.fold_change) {
        assert_eq!((&a.target, a.lane), (&b.target, b.lane));
        let (Some(a_fc), Some(b_fc)) = (a.fold_change, b.fold_change) else {
            panic!("{} lane {}: a fold change went missing", a.target, a.lane);
        };
        worst = worst.max((b_fc / a_fc - 1.0).abs());
        assert!(
            (b_fc / a_fc - 1.0).abs() <= 0.01,
            "{} lane {}: {a_fc} clean, {b_fc} with specks",
            a.target,
            a.lane
        );
    }
    println!(
        "specks on the bands: worst fold change {:.2} % from the clean blot's",
        100.0 * worst
    );
    for band in dusty.bands.iter().filter(|b| b.target != "ladder") {
        let was_specked = specked.iter().any(|(image, lane, target)| {
            *image == band.image && *lane == band.lane && *target == band.target
        });
        assert_eq!(
            band.flags.contains(Flag::Speck),
            was_specked,
            "{} lane {} {}: flags {}",
            band.image,
            band.lane,
            band.target,
            band.flags
        );
    }
}

/// Synthetic blots of every preset drawn without dust (shot and read noise, bands bright and
/// faint, smiles, slants, bubbles, films): no pixel of any image is taken for a speck, in the
/// true lanes.
#[test]
fn no_speck_is_found_where_none_was_drawn() {
    let tmp = tempfile::tempdir().unwrap();
    let params = Params::default();
    for preset in synth::presets().into_iter().filter(|p| p.dust == 0) {
        let dir = tmp.path().join(preset.name);
        let truth = synth::write_experiment(&dir, 3, &preset, preset.name).unwrap();
        for image in &truth.images {
            let mut blot = blotquant::io::load(&dir.join(&image.file), None, &params.load).unwrap();
            let lanes: Vec<blotquant::lanes::Lane> = image
                .lanes
                .iter()
                .map(|l| blotquant::lanes::Lane::upright(l.lane, l.x_center, l.width, true))
                .collect();
            let code_step = 1.0;
            let specks = blotquant::bands::specks::remove(
                &mut blot.signal,
                &lanes,
                blot.saturation_level,
                code_step,
            );
            assert!(
                specks.pixels.is_empty(),
                "{} {}: {:?}",
                preset.name,
                image.file,
                &specks.pixels[..specks.pixels.len().min(5)]
            );
        }
    }
}

/// One row of 10 bands 70 px apart in a large frame of empty membrane sprinkled with hot
/// pixels (one pixel in 2 000, and one in 500, up to a third of full scale: a raw camera
/// image): the frame's margins beside the bands are peeled as empty, and the lanes counted
/// are the 10 the bands make, not more on the speckled margin.
#[test]
fn hot_pixels_on_an_empty_margin_add_no_lanes() {
    let tmp = tempfile::tempdir().unwrap();
    let params = Params::default();
    let (width, height, pitch, first, row) = (1360u32, 1024u32, 70.0, 330.0, 480.0);
    let strengths = [1.0, 0.8, 0.5, 0.3, 0.9, 1.0, 0.2, 0.6, 0.7, 0.4];
    let runs = [0.0005, 0.002]
        .into_iter()
        .flat_map(|density| (1..=6u64).map(move |seed| (density, seed)));
    for (density, seed) in runs {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let image = image::ImageBuffer::from_fn(width, height, |x, y| {
            let (x, y) = (f64::from(x), f64::from(y));
            let mut v = 800.0 + 100.0 * x / f64::from(width);
            for (i, strength) in strengths.iter().enumerate() {
                let u = (x - first - i as f64 * pitch) / 24.0;
                let t = (y - row) / 6.0;
                if u.abs() < 1.0 {
                    v += strength * 20000.0 * (1.0 - u.powi(8)) * (-0.5 * t * t).exp();
                }
            }
            v += (uniform() - 0.5) * 120.0;
            if uniform() < density {
                v += 20000.0 * uniform();
            }
            image::Luma([v.clamp(0.0, 65535.0) as u16])
        });
        let path = tmp.path().join(format!("row{seed}-{density}.tif"));
        image.save(&path).unwrap();
        let plan = blotquant::manifest::lone_image_plan(&path, &params);
        let run = blotquant::batch::analyze_planned(&plan, None).unwrap();
        assert_eq!(
            run.results.lanes.len(),
            10,
            "seed {seed}, hot pixels {density}"
        );
    }
}
