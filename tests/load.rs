//! Image loading: formats, bit depths, compression, WhiteIsZero, transparency, polarity,
//! saturation and size limits, on files written here and on the real images of
//! `../shared/realdata` (skipped where that folder is absent).

mod common;

use std::path::{Path, PathBuf};

use blotquant::io::{self, Polarity};
use blotquant::params::LoadParams;
use tiff::encoder::{colortype, Compression, DeflateLevel, TiffEncoder};
use tiff::tags::Tag;

/// A 40×30 test pattern: background 1000, a bright band (9000) in rows 10..14, columns 5..35.
fn pattern() -> Vec<u16> {
    (0..30 * 40)
        .map(|i| {
            let (y, x) = (i / 40, i % 40);
            if (10..14).contains(&y) && (5..35).contains(&x) {
                9000
            } else {
                1000
            }
        })
        .collect()
}

fn tiff16(compression: Compression, white_is_zero: bool, data: &[u16]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = TiffEncoder::new(std::io::Cursor::new(&mut bytes))
        .unwrap()
        .with_compression(compression);
    let mut image = encoder.new_image::<colortype::Gray16>(40, 30).unwrap();
    if white_is_zero {
        image
            .encoder()
            .write_tag(Tag::PhotometricInterpretation, 0u16)
            .unwrap();
    }
    image.write_data(data).unwrap();
    bytes
}

fn load(bytes: &[u8]) -> blotquant::Result<io::Blot> {
    io::load_bytes(Path::new("test.tif"), bytes, None, &LoadParams::default())
}

#[test]
fn sixteen_bit_tiff_in_every_compression_gives_the_same_signal() {
    let data = pattern();
    for compression in [
        Compression::Uncompressed,
        Compression::Lzw,
        Compression::Deflate(DeflateLevel::Balanced),
    ] {
        let blot = load(&tiff16(compression, false, &data)).unwrap();
        assert_eq!(blot.bit_depth, 16);
        assert_eq!(blot.polarity, Polarity::LightBands);
        assert_eq!(blot.signal[[11, 20]], 9000.0);
        assert_eq!(blot.signal[[0, 0]], 1000.0);
        assert_eq!(blot.saturation_level, 65535.0);
    }
}

#[test]
fn white_is_zero_counts_come_back_bright_where_the_bands_are() {
    // Stored counts are high in the band; WhiteIsZero says viewers show that as dark.
    let blot = load(&tiff16(Compression::Uncompressed, true, &pattern())).unwrap();
    assert_eq!(
        blot.polarity,
        Polarity::DarkBands,
        "a viewer shows dark bands on light"
    );
    assert_eq!(
        blot.signal[[11, 20]],
        9000.0,
        "signal equals the stored counts"
    );
    assert_eq!(blot.signal[[0, 0]], 1000.0);
}

#[test]
fn eight_bit_dark_on_light_png_is_inverted_and_saturation_counted() {
    let img = image::GrayImage::from_fn(40, 30, |x, y| {
        let band = (10..14).contains(&y) && (5..35).contains(&x);
        image::Luma([if band {
            if x < 8 {
                0
            } else {
                60
            }
        } else {
            230
        }])
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let blot = load(&png).unwrap();
    assert_eq!(blot.bit_depth, 8);
    assert_eq!(blot.polarity, Polarity::DarkBands);
    assert_eq!(blot.signal[[11, 20]], 255.0 - 60.0);
    assert_eq!(blot.signal[[0, 0]], 255.0 - 230.0);
    // Pure black pixels on film are saturated: 4 rows × 3 columns.
    assert_eq!(blot.saturated_pixels(), 12);
}

/// An 8-bit PNG of a blot: background `230` with noise of ±`spread` grey levels times `step`
/// (a contrast stretch multiplies the levels apart), a band clipped to 0 where `clip`.
fn eight_bit_blot(step: u8, clip: bool) -> Vec<u8> {
    let img = image::GrayImage::from_fn(60, 40, |x, y| {
        let noise = ((x * 7 + y * 13) % 9) as u8;
        let band = (10..16).contains(&y) && (5..55).contains(&x);
        image::Luma([if band && clip {
            0
        } else if band {
            120 + noise * step
        } else {
            200 + noise * step
        }])
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

#[test]
fn an_eight_bit_display_export_is_warned_about_and_a_plain_one_is_not() {
    let said = |png: &[u8]| {
        load(png)
            .unwrap()
            .warnings
            .iter()
            .find(|w| w.contains("export for display"))
            .cloned()
    };
    assert_eq!(said(&eight_bit_blot(1, false)), None);
    let clipped = said(&eight_bit_blot(1, true)).expect("clipped band");
    assert!(clipped.contains("clipped at black or white"), "{clipped}");
    assert!(
        clipped.contains(".scn"),
        "says how to get the raw file: {clipped}"
    );
    let stretched = said(&eight_bit_blot(3, false)).expect("stretched levels");
    assert!(stretched.contains("unused"), "{stretched}");
    // 16-bit counts are what an imager exports for analysis: no warning.
    let blot = load(&tiff16(Compression::Uncompressed, false, &pattern())).unwrap();
    assert!(!blot
        .warnings
        .iter()
        .any(|w| w.contains("export for display")));
}

#[test]
fn rgb_becomes_luminance_and_transparent_pixels_are_not_signal() {
    let img = image::RgbaImage::from_fn(40, 30, |x, _| {
        if x < 4 {
            image::Rgba([0, 0, 0, 0]) // transparent padding
        } else {
            image::Rgba([200, 100, 50, 255])
        }
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let blot = io::load_bytes(
        Path::new("x.png"),
        &png,
        Some(Polarity::LightBands),
        &LoadParams::default(),
    )
    .unwrap();
    let luma = 0.2126 * 200.0 + 0.7152 * 100.0 + 0.0722 * 50.0;
    assert!((blot.signal[[5, 20]] - luma).abs() < 1e-3);
    // Padding takes the background value instead of reading as a black (or white) band.
    assert!((blot.signal[[5, 0]] - luma).abs() < 1e-3);
    assert!(blot.warnings.iter().any(|w| w.contains("transparent")));
}

/// A figure exported in colour with its band cores clipped at black, the black carrying a
/// tint (a code or two left in red or blue, as a colour profile or a JPEG step leaves it):
/// its luminance never reaches the ceiling exactly, and the clipped pixels are saturated all
/// the same. The pixels beside them, one code of green above black, are not; nor is a gray
/// file's pixel one code under its ceiling.
#[test]
fn a_colour_export_clipped_at_a_tinted_black_is_saturated() {
    // Light membrane; a band row whose core is clipped black with a tint, flanked by pixels
    // just off the clip.
    let img = image::RgbImage::from_fn(60, 40, |x, y| match (x, y) {
        (10..=49, 20) => image::Rgb([2, 0, 1]),
        (10..=49, 19 | 21) => image::Rgb([0, 2, 0]),
        (10..=49, 18 | 22) => image::Rgb([60, 60, 60]),
        _ => image::Rgb([230, 230, 230]),
    });
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let blot = io::load_bytes(Path::new("x.png"), &png, None, &LoadParams::default()).unwrap();
    assert_eq!(blot.polarity, Polarity::DarkBands);
    let at_ceiling = |y: usize| {
        (10..50)
            .filter(|&x| blot.signal[[y, x]] >= blot.saturation_level)
            .count()
    };
    assert_eq!(at_ceiling(20), 40, "the tinted black row is clipped");
    assert_eq!(
        at_ceiling(19) + at_ceiling(21),
        0,
        "green one code off black is not"
    );

    // A gray file one code under its ceiling is a pixel's value, not a clip.
    let gray = image::GrayImage::from_fn(60, 40, |x, y| {
        image::Luma([if y == 20 && (10..50).contains(&x) {
            1
        } else {
            230
        }])
    });
    let mut png = Vec::new();
    gray.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let blot = io::load_bytes(Path::new("x.png"), &png, None, &LoadParams::default()).unwrap();
    assert!(blot.signal[[20, 20]] < blot.saturation_level);
}

#[test]
fn jpeg_loads_with_a_lossy_warning() {
    let img =
        image::GrayImage::from_fn(40, 30, |_, y| image::Luma([if y == 12 { 40 } else { 220 }]));
    let mut jpeg = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut jpeg),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let blot = io::load_bytes(Path::new("x.jpg"), &jpeg, None, &LoadParams::default()).unwrap();
    assert_eq!(blot.polarity, Polarity::DarkBands);
    assert!(blot.warnings.iter().any(|w| w.contains("lossy")));
}

#[test]
fn declared_dimensions_beyond_the_limit_are_refused_before_decoding() {
    let limits = LoadParams {
        max_pixels: 1000,
        ..LoadParams::default()
    };
    let err = io::load_bytes(
        Path::new("big.tif"),
        &tiff16(Compression::Uncompressed, false, &pattern()),
        None,
        &limits,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("big.tif") && err.contains("size limit"),
        "{err}"
    );
}

fn realdata() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    dir.is_dir().then_some(dir)
}

/// Polarity as PROVENANCE.md states it for each real image (display polarity: the two
/// WhiteIsZero TIFFs store bright-on-dark counts that viewers show as dark bands).
const REAL_POLARITY: &[(&str, Polarity)] = &[
    ("amersham_chemi_actin_csitron.tif", Polarity::DarkBands),
    ("amersham_chemi_rhoa_pysternblot.tif", Polarity::DarkBands),
    ("sdspage_protease_gelquant.png", Polarity::DarkBands),
    ("sdspage_standards_gelblotanalyzer.png", Polarity::DarkBands),
    ("sdspage_thrombin_gelgenie.jpg", Polarity::DarkBands),
    ("dna_ladder_gelgenie.tif", Polarity::LightBands),
    ("wb_film_7lanes_facuperezt.jpg", Polarity::DarkBands),
    ("wb_doublet_3lanes_facuperezt.jpg", Polarity::DarkBands),
    ("wb_shadow_3lanes_facuperezt.jpg", Polarity::DarkBands),
    ("wb_strip_12lanes_chibidragon.png", Polarity::DarkBands),
    ("wb_strip_13lanes_chibidragon.png", Polarity::DarkBands),
    ("pmc_fxn_vcl_values.png", Polarity::DarkBands),
    ("pmc_trkb_vcl_values.png", Polarity::DarkBands),
    ("pmc_psmad_gapdh.png", Polarity::DarkBands),
    ("pmc_tigar_ladder.png", Polarity::DarkBands),
    ("pmc_h3cr_actin.png", Polarity::DarkBands),
    ("pmc_pdgfra_gapdh.png", Polarity::DarkBands),
];

#[test]
fn real_images_load_with_the_polarity_provenance_states() {
    let Some(dir) = realdata() else {
        common::skipped("../shared/realdata is absent");
        return;
    };
    let mut wrong = Vec::new();
    for (file, expected) in REAL_POLARITY {
        let blot = io::load(&dir.join(file), None, &LoadParams::default()).unwrap();
        if blot.polarity != *expected {
            wrong.push(format!("{file}: {:?}", blot.polarity));
        }
    }
    assert!(
        wrong.is_empty(),
        "polarity differs from PROVENANCE.md: {wrong:?}"
    );
}

#[test]
fn real_white_is_zero_tiff_keeps_its_counts() {
    let Some(dir) = realdata() else {
        common::skipped("../shared/realdata is absent");
        return;
    };
    // PROVENANCE.md: uint16, min 5, max 30080, no pixel saturated.
    let blot = io::load(
        &dir.join("amersham_chemi_actin_csitron.tif"),
        None,
        &LoadParams::default(),
    )
    .unwrap();
    let max = blot.signal.iter().cloned().fold(f32::MIN, f32::max);
    let min = blot.signal.iter().cloned().fold(f32::MAX, f32::min);
    assert_eq!((min, max), (5.0, 30080.0));
    assert_eq!(blot.saturated_pixels(), 0);
    assert_eq!((blot.width(), blot.height()), (1200, 1648));
}

fn tiff_f32(data: &[f32]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = TiffEncoder::new(std::io::Cursor::new(&mut bytes)).unwrap();
    encoder
        .write_image::<colortype::Gray32Float>(40, 30, data)
        .unwrap();
    bytes
}

/// A 32-bit float TIFF (as LI-COR Image Studio writes) is read as stored: the signal equals
/// the file's values, none clipped, and no pixel is called saturated since the file states no
/// ceiling (a warning says so).
#[test]
fn float_tiff_keeps_its_values_and_states_no_ceiling() {
    let data: Vec<f32> = pattern().iter().map(|&v| f32::from(v) * 0.37e-3).collect();
    let blot = load(&tiff_f32(&data)).unwrap();
    assert_eq!(blot.polarity, Polarity::LightBands);
    assert_eq!(blot.signal[[11, 20]], data[11 * 40 + 20]);
    assert_eq!(blot.signal[[0, 0]], data[0]);
    assert_eq!(blot.saturated_pixels(), 0);
    assert!(
        blot.warnings.iter().any(|w| w.contains("floating-point")),
        "{:?}",
        blot.warnings
    );
}

#[test]
fn float_tiff_with_a_nan_is_refused_naming_the_file() {
    let mut data: Vec<f32> = pattern().iter().map(|&v| f32::from(v)).collect();
    data[5] = f32::NAN;
    let error = load(&tiff_f32(&data)).unwrap_err().to_string();
    assert!(
        error.contains("test.tif") && error.contains("NaN"),
        "{error}"
    );
}

/// A synthetic experiment whose 16-bit TIFFs are stored as 32-bit float TIFFs of the same
/// counts gives the same fold changes.
#[test]
fn an_experiment_in_float_tiffs_gives_the_sixteen_bit_fold_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let (ints, floats) = common::twin_experiments(tmp.path(), 5);
    for entry in std::fs::read_dir(&floats).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tif") {
            let gray = image::open(&path).unwrap().to_luma16();
            let values: Vec<f32> = gray.pixels().map(|p| f32::from(p.0[0])).collect();
            let mut bytes = Vec::new();
            TiffEncoder::new(std::io::Cursor::new(&mut bytes))
                .unwrap()
                .write_image::<colortype::Gray32Float>(gray.width(), gray.height(), &values)
                .unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let params = blotquant::params::Params::default();
    let a = blotquant::analyze(&ints, &params).unwrap().results;
    let b = blotquant::analyze(&floats, &params).unwrap().results;
    common::assert_same_fold_changes(&a, &b);
}

/// A multi-page TIFF: the first page is read, with a warning that there are more.
#[test]
fn a_multi_page_tiff_gives_its_first_page_with_a_warning() {
    let first = pattern();
    let second: Vec<u16> = first.iter().map(|&v| v / 2).collect();
    let mut bytes = Vec::new();
    let mut encoder = TiffEncoder::new(std::io::Cursor::new(&mut bytes)).unwrap();
    encoder
        .write_image::<colortype::Gray16>(40, 30, &first)
        .unwrap();
    encoder
        .write_image::<colortype::Gray16>(40, 30, &second)
        .unwrap();
    let blot = load(&bytes).unwrap();
    assert_eq!(blot.signal[[11, 20]], f32::from(first[11 * 40 + 20]));
    assert!(
        blot.warnings
            .iter()
            .any(|w| w.contains("more than one page")),
        "{:?}",
        blot.warnings
    );
    let single = load(&tiff16(Compression::Uncompressed, false, &first)).unwrap();
    assert!(!single.warnings.iter().any(|w| w.contains("page")));
}

/// `images[].page` picks a multi-page TIFF's page: the blot stored as page 2 behind a blank
/// page 1 gives the fold changes of the blot stored alone; a page beyond the file's is an
/// error naming the page and the count.
#[test]
fn a_manifest_page_reads_that_page_of_a_multi_page_tiff() {
    let tmp = tempfile::tempdir().unwrap();
    let (alone, paged) = (tmp.path().join("alone"), tmp.path().join("paged"));
    let recipe = blotquant::synth::preset("standard").unwrap();
    blotquant::synth::write_experiment(&alone, 8, &recipe, "s").unwrap();
    blotquant::synth::write_experiment(&paged, 8, &recipe, "s").unwrap();
    let file = paged.join("nlrp3.tif");
    let blot = image::open(&file).unwrap().to_luma16();
    let (w, h) = blot.dimensions();
    let blank = vec![1000u16; (w * h) as usize];
    let mut bytes = Vec::new();
    let mut encoder = TiffEncoder::new(std::io::Cursor::new(&mut bytes)).unwrap();
    encoder
        .write_image::<colortype::Gray16>(w, h, &blank)
        .unwrap();
    encoder
        .write_image::<colortype::Gray16>(w, h, blot.as_raw())
        .unwrap();
    std::fs::write(&file, bytes).unwrap();
    let edit = |page: u32| {
        let manifest = paged.join("experiment.json");
        let mut m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
        let entry = m["images"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|i| i["file"] == "nlrp3.tif")
            .unwrap();
        entry["page"] = serde_json::json!(page);
        std::fs::write(&manifest, serde_json::to_string(&m).unwrap()).unwrap();
    };
    edit(2);
    let params = blotquant::params::Params::default();
    let a = blotquant::analyze(&alone, &params).unwrap().results;
    let b = blotquant::analyze(&paged, &params).unwrap().results;
    let nlrp3 = |r: &blotquant::results::Results| -> Vec<Option<f64>> {
        r.fold_change
            .iter()
            .filter(|f| f.target == "NLRP3")
            .map(|f| f.fold_change)
            .collect()
    };
    assert_eq!(nlrp3(&a), nlrp3(&b));
    assert!(!nlrp3(&a).is_empty());
    edit(3);
    let error = blotquant::analyze(&paged, &params).unwrap_err().to_string();
    assert!(
        error.contains("nlrp3.tif") && error.contains("page 3") && error.contains("holds 2"),
        "{error}"
    );
}

/// Every image says its polarity and who decided it in `results.json`; an image of an
/// experiment stored the other way round from the rest (here one TIFF written inverted, which
/// its histogram reads correctly) is named in a warning, and its numbers do not change.
#[test]
fn each_images_polarity_is_reported_and_a_mixed_experiment_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let (plain, mixed) = common::twin_experiments(tmp.path(), 7);
    let inverted = mixed.join("actin.tif");
    let gray = image::open(&inverted).unwrap().to_luma16();
    let flipped: Vec<u16> = gray.pixels().map(|p| 65535 - p.0[0]).collect();
    let mut bytes = Vec::new();
    TiffEncoder::new(std::io::Cursor::new(&mut bytes))
        .unwrap()
        .write_image::<colortype::Gray16>(gray.width(), gray.height(), &flipped)
        .unwrap();
    std::fs::write(&inverted, bytes).unwrap();
    let params = blotquant::params::Params::default();
    let a = blotquant::analyze(&plain, &params).unwrap().results;
    let b = blotquant::analyze(&mixed, &params).unwrap().results;
    for row in a.detection.iter().chain(&b.detection) {
        assert_eq!(
            row.polarity_source,
            Some(io::PolaritySource::Histogram),
            "{}",
            row.image
        );
    }
    let polarity_of = |image: &str| {
        b.detection
            .iter()
            .find(|d| d.image == image)
            .and_then(|d| d.polarity)
            .unwrap()
    };
    assert_ne!(polarity_of("actin.tif"), polarity_of("nlrp3.tif"));
    let said = |r: &blotquant::results::Results| {
        r.warnings
            .iter()
            .any(|w| w.contains("histograms disagree on polarity") && w.contains("actin.tif"))
    };
    assert!(!said(&a), "{:?}", a.warnings);
    assert!(said(&b), "{:?}", b.warnings);
    common::assert_same_fold_changes(&a, &b);
}
