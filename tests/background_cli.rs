//! `blotquant background`: bad requests are refused before anything is written, and results do
//! not depend on the thread count.

use std::path::Path;

use assert_cmd::Command;
use tiff::encoder::{colortype, TiffEncoder};

fn blotquant() -> Command {
    Command::cargo_bin("blotquant").unwrap()
}

fn fixture_input() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imagej/inputs/light16.tif")
}

fn refused(args: &[&str], input: &Path, output: &Path, needle: &str) {
    let before = std::fs::read(input).unwrap();
    let assert = blotquant()
        .arg("background")
        .arg(input)
        .arg(output)
        .args(args)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    assert!(!stderr.contains("panicked"));
    if output != input {
        assert!(!output.exists(), "no output on refusal");
    }
    assert_eq!(std::fs::read(input).unwrap(), before, "input unchanged");
}

#[test]
fn bad_radius_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.tif");
    std::fs::copy(fixture_input(), &input).unwrap();
    let output = tmp.path().join("out.tif");
    refused(&["--radius", "0"], &input, &output, "--radius");
    refused(&["--radius=-5"], &input, &output, "--radius");
    refused(&["--radius", "NaN"], &input, &output, "--radius");
    refused(
        &["--radius", "500"],
        &input,
        &output,
        "larger than the image",
    );
}

#[test]
fn float_and_rgb_tiffs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let rgb = tmp.path().join("rgb.tif");
    let mut file = std::fs::File::create(&rgb).unwrap();
    TiffEncoder::new(&mut file)
        .unwrap()
        .write_image::<colortype::RGB8>(8, 8, &[100u8; 8 * 8 * 3])
        .unwrap();
    refused(&[], &rgb, &tmp.path().join("out1.tif"), "grayscale");
    let float = tmp.path().join("float.tif");
    let mut file = std::fs::File::create(&float).unwrap();
    TiffEncoder::new(&mut file)
        .unwrap()
        .write_image::<colortype::Gray32Float>(8, 8, &[1.5f32; 64])
        .unwrap();
    refused(&[], &float, &tmp.path().join("out2.tif"), "float.tif");
}

#[test]
fn output_equal_to_input_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.tif");
    std::fs::copy(fixture_input(), &input).unwrap();
    refused(&[], &input, &input, "overwrite the input");
    let same_by_another_name = tmp.path().join(".").join("in.tif");
    refused(&[], &input, &same_by_another_name, "overwrite the input");
}

#[test]
fn one_and_two_threads_give_identical_files() {
    let tmp = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/imagej/inputs/light16-large.tif");
    for threads in ["1", "2"] {
        blotquant()
            .env("RAYON_NUM_THREADS", threads)
            .args(["background", "--light-background", "--radius", "50"])
            .arg(&input)
            .arg(tmp.path().join(format!("out{threads}.tif")))
            .assert()
            .success();
    }
    let one = std::fs::read(tmp.path().join("out1.tif")).unwrap();
    let two = std::fs::read(tmp.path().join("out2.tif")).unwrap();
    assert!(one == two);
}

/// A WhiteIsZero TIFF (white stored as 0, as the Amersham imager writes its 16-bit files)
/// gives the same pixels whether the command writes TIFF (rows streamed, where the file
/// allows it) or PNG (decoded whole), so both read it the same way round.
#[test]
fn white_is_zero_tiffs_give_the_same_pixels_as_tiff_and_png() {
    let tmp = tempfile::tempdir().unwrap();
    let (width, height) = (120usize, 90usize);
    let layout = blotquant::io::gray_tiff::BaselineLayout {
        width,
        height,
        bit_depth: 16,
    };
    // A dark band on a bright, sloping background, as stored WhiteIsZero.
    let stored: Vec<u16> = (0..width * height)
        .map(|i| {
            let (y, x) = (i / width, i % width);
            let band = if (40..50).contains(&y) { 9000 } else { 0 };
            (3000 + 20 * x + band + (i * 7919) % 300) as u16
        })
        .collect();
    let mut bytes = layout.header().to_vec();
    let mut pixels = Vec::new();
    layout.encode(&stored, &mut pixels);
    bytes.extend(&pixels);
    let mut trailer = layout.trailer();
    // The fifth IFD entry is PhotometricInterpretation (262): set it to 0, WhiteIsZero.
    let entry = trailer.len() - 4 - 10 * 12 + 4 * 12;
    assert_eq!(&trailer[entry..entry + 2], &262u16.to_le_bytes());
    trailer[entry + 8..entry + 10].copy_from_slice(&0u16.to_le_bytes());
    bytes.extend(&trailer);
    let input = tmp.path().join("white-is-zero.tif");
    std::fs::write(&input, &bytes).unwrap();
    let mut outputs = Vec::new();
    for extension in ["tif", "png"] {
        let output = tmp.path().join(format!("out.{extension}"));
        blotquant()
            .args(["background", "--radius", "20", "--light-background"])
            .arg(&input)
            .arg(&output)
            .assert()
            .success();
        let image = blotquant::io::load_gray(&output, &Default::default()).unwrap();
        outputs.push(image.values);
    }
    let differing = outputs[0]
        .iter()
        .zip(outputs[1].iter())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(differing, 0);
}
