//! Subtract Background against ImageJ 1.53t itself: `tests/fixtures/imagej` holds test images
//! and ImageJ's results for every option combination, made by `scripts/imagej-fixtures.sh`
//! (version in `IMAGEJ_VERSION`). Each result must agree within one grey level everywhere,
//! and exactly for the large majority of pixels.

use std::path::{Path, PathBuf};

use blotquant::background::{subtract_like_imagej, ImageJOptions};
use blotquant::io;
use blotquant::params::LoadParams;

struct Case {
    input: String,
    options: ImageJOptions,
    output: PathBuf,
}

fn cases(dir: &Path) -> Vec<Case> {
    let mut cases: Vec<Case> = std::fs::read_dir(dir.join("outputs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|output| {
            let stem = output.file_stem().unwrap().to_string_lossy().into_owned();
            let (input, rest) = stem.split_once("_r").unwrap();
            let mut parts = rest.split('_');
            let radius: f64 = parts.next().unwrap().parse().unwrap();
            let flags: Vec<&str> = parts.collect();
            Case {
                input: input.to_string(),
                options: ImageJOptions {
                    radius,
                    light_background: input.starts_with("light"),
                    sliding_paraboloid: flags.contains(&"paraboloid"),
                    disable_smoothing: flags.contains(&"nosmooth"),
                    create_background: flags.contains(&"create"),
                },
                output,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.output.cmp(&b.output));
    cases
}

fn check(paraboloid: bool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imagej");
    let version = std::fs::read_to_string(dir.join("IMAGEJ_VERSION")).unwrap();
    println!("fixtures from {}", version.trim());
    let (mut total, mut identical, mut failures) = (0usize, 0usize, Vec::new());
    for case in cases(&dir)
        .into_iter()
        .filter(|c| c.options.sliding_paraboloid == paraboloid)
    {
        let input = io::load_gray(
            &dir.join("inputs").join(format!("{}.tif", case.input)),
            &LoadParams::default(),
        )
        .unwrap();
        let expected = io::load_gray(&case.output, &LoadParams::default()).unwrap();
        let max_value = if input.bit_depth == 8 { 255.0 } else { 65535.0 };
        let ours = subtract_like_imagej(&input.values, max_value, &case.options);
        let diffs: Vec<f32> = ours
            .iter()
            .zip(expected.values.iter())
            .map(|(a, b)| (a - b).abs())
            .collect();
        let same = diffs.iter().filter(|&&d| d == 0.0).count();
        let worst = diffs.iter().cloned().fold(0.0, f32::max);
        println!(
            "{:<40} identical {:>6} / {:>6} px, max |diff| {}",
            case.output.file_name().unwrap().to_string_lossy(),
            same,
            diffs.len(),
            worst
        );
        total += diffs.len();
        identical += same;
        if worst > 1.0 || (same as f64) < 0.9 * diffs.len() as f64 {
            failures.push(format!(
                "{} (max {worst}, identical {same}/{})",
                case.output.display(),
                diffs.len()
            ));
        }
    }
    println!("all cases: {identical} of {total} pixels identical");
    assert!(total > 0);
    assert!(failures.is_empty(), "disagree with ImageJ: {failures:#?}");
}

#[test]
fn rolling_ball_matches_imagej() {
    check(false);
}

#[test]
fn sliding_paraboloid_matches_imagej() {
    check(true);
}

/// The `background` command's path (integer pixels overwritten in place) gives, pixel for
/// pixel, what the float path above gives, for every fixture case.
#[test]
fn in_place_subtraction_equals_the_float_path() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imagej");
    let mut checked = 0;
    for case in cases(&dir) {
        let path = dir.join("inputs").join(format!("{}.tif", case.input));
        let input = io::load_gray(&path, &LoadParams::default()).unwrap();
        let max_value = if input.bit_depth == 8 { 255.0 } else { 65535.0 };
        let float_path = subtract_like_imagej(&input.values, max_value, &case.options);
        let mut raw = io::load_raw_gray(&path, &LoadParams::default()).unwrap();
        blotquant::background::subtract_like_imagej_in_place(&mut raw, max_value, &case.options);
        let differing = raw
            .pixels
            .iter()
            .zip(float_path.iter())
            .filter(|(&a, &b)| f32::from(a) != b)
            .count();
        assert_eq!(differing, 0, "{}", case.output.display());
        checked += 1;
    }
    assert_eq!(checked, 144);
}

/// The `background` command itself, on every fixture case: it streams these TIFFs row by row
/// (none is held whole), and its output file holds, pixel for pixel, what the float path
/// above gives. Its PNG output (written from memory) holds the same pixels.
#[test]
fn the_command_writes_the_float_path_s_pixels() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imagej");
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for case in cases(&dir) {
        let path = dir.join("inputs").join(format!("{}.tif", case.input));
        assert!(
            blotquant::io::gray_tiff::RowReader::open(&path, &LoadParams::default())
                .unwrap()
                .is_some(),
            "{} is not streamed",
            path.display()
        );
        let input = io::load_gray(&path, &LoadParams::default()).unwrap();
        let max_value = if input.bit_depth == 8 { 255.0 } else { 65535.0 };
        let float_path = subtract_like_imagej(&input.values, max_value, &case.options);
        let o = &case.options;
        let radius = o.radius.to_string();
        let flags = [
            (o.light_background, "--light-background"),
            (o.sliding_paraboloid, "--sliding-paraboloid"),
            (o.disable_smoothing, "--disable-smoothing"),
            (o.create_background, "--create-background"),
        ];
        // PNG for every fourth case: the same pixels through the in-memory path.
        let extension = if checked % 4 == 3 { "png" } else { "tif" };
        let output = tmp.path().join(format!("{checked}.{extension}"));
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_blotquant"))
            .args(["background", "--radius", &radius])
            .args(flags.iter().filter(|(on, _)| *on).map(|(_, flag)| flag))
            .arg(&path)
            .arg(&output)
            .status()
            .unwrap();
        assert!(status.success(), "{}", case.output.display());
        let written = io::load_gray(&output, &LoadParams::default()).unwrap();
        assert_eq!(written.bit_depth, input.bit_depth);
        assert_eq!(written.values.dim(), float_path.dim());
        let differing = written
            .values
            .iter()
            .zip(float_path.iter())
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(differing, 0, "{}", case.output.display());
        checked += 1;
    }
    assert_eq!(checked, 144);
}
