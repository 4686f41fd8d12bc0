//! Lane counts on the real blot and gel images of `../shared/realdata` (not redistributable,
//! so read from beside the repository; the test is skipped, saying so, where that folder is
//! absent). Each image's stated lane count comes from its PROVENANCE.md.

mod common;

use std::path::{Path, PathBuf};

use blotquant::quant::Flag;
use blotquant::{batch, manifest, Params};

/// (file, lane count PROVENANCE.md states, found by `detect` today). Where PROVENANCE gives
/// parts, the count is what one lane grid across the image holds: 7 loaded + 1 faint lane is 8,
/// a ladder + 8 samples is 9, 3 groups × 5 lanes is 15, two side-by-side blots of 6 are 12,
/// stacked strips or membranes of 6 lanes are 6.
const STATED: [(&str, usize, bool); 18] = [
    ("amersham_chemi_actin_csitron.tif", 8, true),
    ("dna_ladder_gelgenie.tif", 4, true),
    ("pmc_fxn_vcl_values.png", 8, true),
    ("pmc_h3cr_actin.png", 6, true),
    ("pmc_pdgfra_gapdh.png", 12, true),
    ("sdspage_standards_gelblotanalyzer.png", 8, true),
    ("sdspage_thrombin_gelgenie.jpg", 8, true),
    ("wb_strip_12lanes_chibidragon.png", 12, true),
    ("wb_strip_13lanes_chibidragon.png", 13, true),
    // Two membranes in one frame, lined up before lanes are found.
    ("amersham_chemi_rhoa_pysternblot.tif", 6, true),
    // Two blots side by side, a lane grid each.
    ("pmc_trkb_vcl_values.png", 12, true),
    // A ladder and 8 lanes; the figure's "TIGAR ◀" label beside the blot is no lane.
    ("pmc_tigar_ladder.png", 9, true),
    // Lanes darker at their edges (a crescent band, edge shadows), which the column profile
    // alone splits into two or three narrower lanes: placed on the row of bands.
    ("wb_doublet_3lanes_facuperezt.jpg", 3, true),
    ("wb_film_7lanes_facuperezt.jpg", 8, true),
    // The first group of 5 lanes hardly shows in the column profile, and the gel's edges look
    // like lanes: a row of bands at the grid's pitch shows the group, and the edges are lines.
    ("sdspage_protease_gelquant.png", 15, true),
    // Lanes 1–4 hold no pSMAD, so the column profile shows lanes 5–12 only; the GAPDH row,
    // whose bands touch, shows all twelve as dips between them.
    ("pmc_psmad_gapdh.png", 12, true),
    // Each lane's edges are dark lines running down the image, its middle pale but for a faint
    // band: the column profile shows six lines, and the lanes lie between the pairs of lines
    // whose spaces hold bands.
    ("wb_shadow_3lanes_facuperezt.jpg", 3, true),
    // A row of strong bands that run together, tilted across the image: lanes 1–3 and 16 show
    // in it without a dip between them (and nowhere else): the lanes go on along the row to
    // its ends.
    ("chemidocxrs_16lanes_biorad1sc.tif", 16, true),
];

/// The lanes `detect` finds in `image` (none where it refuses the image).
fn lanes_found(image: &Path, params: &Params) -> usize {
    let plan = manifest::lone_image_plan(image, params);
    batch::analyze_planned(&plan, None)
        .map(|run| run.results.lanes.len())
        .unwrap_or(0)
}

#[test]
fn detect_finds_the_stated_lane_count() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let params = Params::default();
    let mut wrong = Vec::new();
    let mut right = 0;
    for (file, stated, expected_right) in STATED {
        let found = lanes_found(&dir.join(file), &params);
        println!("{file:<40} stated {stated:>2}, found {found:>2}");
        if found == stated {
            right += 1;
        } else if expected_right {
            wrong.push(format!("{file}: stated {stated}, found {found}"));
        }
    }
    println!(
        "{right} of {} images get their stated lane count",
        STATED.len()
    );
    assert!(wrong.is_empty(), "lane counts regressed: {wrong:#?}");
}

/// The real images binned 2×2 (block means, as an imager's 2×2 binning records them: noise
/// stays independent between pixels) that `detect` gets right today. Detection is tuned at
/// each image's own resolution, and binned it is right on these 11 of 17 only: the small
/// figure panels' pitch falls to 10–12 px, near the 8 px minimum, and they get 1–3 lanes; the
/// protease gel gets 16.
const RIGHT_WHEN_BINNED: [&str; 11] = [
    "amersham_chemi_actin_csitron.tif",
    "dna_ladder_gelgenie.tif",
    "pmc_pdgfra_gapdh.png",
    "sdspage_standards_gelblotanalyzer.png",
    "sdspage_thrombin_gelgenie.jpg",
    "wb_strip_12lanes_chibidragon.png",
    "wb_strip_13lanes_chibidragon.png",
    "amersham_chemi_rhoa_pysternblot.tif",
    "wb_doublet_3lanes_facuperezt.jpg",
    "wb_film_7lanes_facuperezt.jpg",
    "wb_shadow_3lanes_facuperezt.jpg",
];

/// `image` binned 2×2 by block means, every channel (alpha too) at its own bit depth, written
/// to `dir` as PNG.
fn binned_2x2(image: &Path, dir: &Path) -> std::path::PathBuf {
    let source = image::open(image).unwrap();
    let color = source.color();
    let sixteen_bit = color.bytes_per_pixel() == 2 * color.channel_count();
    let pixels = source.to_rgba16();
    let binned = image::ImageBuffer::from_fn(pixels.width() / 2, pixels.height() / 2, |x, y| {
        let mut sums = [0u32; 4];
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let pixel = pixels.get_pixel(2 * x + dx, 2 * y + dy);
            for (sum, &v) in sums.iter_mut().zip(pixel.0.iter()) {
                *sum += u32::from(v);
            }
        }
        image::Rgba(sums.map(|s| ((s + 2) / 4) as u16))
    });
    let binned = image::DynamicImage::ImageRgba16(binned);
    let stem = image.file_stem().unwrap().to_string_lossy();
    let out = dir.join(format!("{stem}.png"));
    if sixteen_bit {
        binned.save(&out).unwrap();
    } else {
        binned.to_rgba8().save(&out).unwrap();
    }
    out
}

#[test]
fn detect_finds_the_stated_lane_count_on_binned_images() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let params = Params::default();
    let mut wrong = Vec::new();
    let mut right = 0;
    for (file, stated, _) in STATED {
        let binned = binned_2x2(&dir.join(file), tmp.path());
        let found = lanes_found(&binned, &params);
        println!("binned 2×2 {file:<40} stated {stated:>2}, found {found:>2}");
        if found == stated {
            right += 1;
        } else if RIGHT_WHEN_BINNED.contains(&file) {
            wrong.push(format!("{file} binned: stated {stated}, found {found}"));
        }
    }
    println!(
        "binned 2×2: {right} of {} images get their stated lane count",
        STATED.len()
    );
    assert!(wrong.is_empty(), "lane counts regressed: {wrong:#?}");
}

/// A manifest that states an image's true lane count is used, whether or not `detect` finds
/// that count, and silently where `detect` finds it too. On the protease gel, 15 lanes as an
/// even grid of the column profile run from its second lane to its right edge, leaving its
/// first lane outside; on the pSMAD panel, 12 lanes as an even grid of the column profile
/// hardly stand out (lanes 1–4 hold no pSMAD); on the shadow strip, 3 lanes as an even grid
/// of the column profile sit on its edge lines: on all three, the lanes the image itself shows
/// (as `detect` finds them) are used.
#[test]
fn a_manifest_with_the_true_lane_count_is_used() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let params = Params::default();
    for (file, stated, found) in STATED {
        let experiment =
            experiment_of(&dir, file, stated, &tmp.path().join(file.replace('.', "_")));
        let results = match blotquant::analyze(&experiment, &params) {
            Ok(run) => run.results,
            Err(e) => panic!("{file}: {e}"),
        };
        assert_eq!(results.lanes.len(), stated, "{file}");
        if let Some((first, last)) = FIRST_LANE.iter().find(|(f, ..)| *f == file).map(|e| e.1) {
            let x = results.lanes[0].x_center_px;
            assert!((first..=last).contains(&x), "{file}: lane 1 at x {x:.0}");
        }
        let shown_by_the_image = [
            "sdspage_protease_gelquant.png",
            "pmc_psmad_gapdh.png",
            "wb_shadow_3lanes_facuperezt.jpg",
        ];
        if shown_by_the_image.contains(&file) {
            let plan = manifest::lone_image_plan(&dir.join(file), &params);
            let detected = batch::analyze_planned(&plan, None).unwrap().results.lanes;
            let centres = |lanes: &[blotquant::results::LaneRow]| -> Vec<f64> {
                lanes.iter().map(|l| l.x_center_px).collect()
            };
            assert_eq!(centres(&results.lanes), centres(&detected), "{file}");
        }
        let warned = results
            .warnings
            .iter()
            .any(|w| w.contains("`lanes` lists") && w.contains("check them on the overlay"));
        if found {
            assert!(!warned, "{file}: {:?}", results.warnings);
        }
        // The true count leaves no band of a row outside every lane.
        assert!(
            !results
                .warnings
                .iter()
                .any(|w| w.contains("outside every lane")),
            "{file}: {:?}",
            results.warnings
        );
    }
}

/// Where PROVENANCE.md places an image's first lane (its x range): the ChemiDoc XRS gel's lane
/// 1 at x 72-100, the empty strip left of it no lane. A grid one lane early there reads every
/// value from the neighbouring lane while its count is right.
const FIRST_LANE: &[(&str, (f64, f64))] = &[("chemidocxrs_16lanes_biorad1sc.tif", (72.0, 100.0))];

/// The images of [`FIRST_LANE`] binned 2×2, their true count stated: lane 1 still where
/// PROVENANCE.md puts it (at half the x). Binned, the ChemiDoc XRS gel's empty strip stood
/// out like a lane and its 16 stated lanes began on it, one lane early.
#[test]
fn a_stated_count_begins_at_the_first_lane_on_binned_images_too() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for &(file, (first, last)) in FIRST_LANE {
        let stated = STATED.iter().find(|(f, ..)| *f == file).unwrap().1;
        let binned = binned_2x2(&dir.join(file), tmp.path());
        let name = binned.file_name().unwrap().to_string_lossy().to_string();
        let experiment = experiment_of(tmp.path(), &name, stated, &tmp.path().join("binned"));
        let results = blotquant::analyze(&experiment, &Params::default())
            .unwrap()
            .results;
        let x = results.lanes[0].x_center_px;
        assert!(
            (first / 2.0..=last / 2.0).contains(&x),
            "{file} binned: lane 1 at x {x:.0}"
        );
    }
}

/// An experiment folder `experiment` holding a copy of the real image `file` of `dir` and a
/// manifest of `count` lanes, control and treated in turn, the image's target β-actin.
fn experiment_of(dir: &Path, file: &str, count: usize, experiment: &Path) -> PathBuf {
    std::fs::create_dir_all(experiment).unwrap();
    std::fs::copy(dir.join(file), experiment.join(file)).unwrap();
    let lanes: Vec<&str> = (0..count)
        .map(|i| if i % 2 == 0 { "control" } else { "treated" })
        .collect();
    let manifest = serde_json::json!({
        "control": "control",
        "lanes": lanes,
        "images": [{"file": file, "targets": ["β-actin"]}],
    });
    std::fs::write(
        experiment.join("experiment.json"),
        serde_json::to_string(&manifest).unwrap(),
    )
    .unwrap();
    experiment.to_path_buf()
}

/// A manifest whose lane count is one off the film's 8 lanes (7: two lanes would lie on empty
/// film; 9: each band split between two lanes) is not accepted silently: it is refused as a
/// manifest error naming `lanes`, or the lanes leave bands of the film's row outside every
/// lane, a warning says so and names `lanes`, and the experiment's verdict is not `ok`, for
/// that reason.
#[test]
fn a_manifest_count_one_off_the_film_is_flagged() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let file = "wb_film_7lanes_facuperezt.jpg";
    let tmp = tempfile::tempdir().unwrap();
    for count in [7, 9] {
        let experiment =
            experiment_of(&dir, file, count, &tmp.path().join(format!("film_{count}")));
        let results = match blotquant::analyze(&experiment, &Params::default()) {
            Ok(run) => run.results,
            Err(blotquant::Error::Manifest { field, .. }) if field == "lanes" => continue,
            Err(e) => panic!("{count} lanes: {e}"),
        };
        assert!(
            results
                .warnings
                .iter()
                .any(|w| w.contains("outside every lane") && w.contains("`lanes`")),
            "{count} lanes: {:?}",
            results.warnings
        );
        // The film is a JPEG, which alone makes the verdict `check`: the lanes must be among
        // its reasons.
        let quality = &results.experiments[0].quality;
        assert_ne!(quality.verdict.as_str(), "ok", "{count} lanes: {quality:?}");
        assert!(
            quality
                .reasons
                .iter()
                .any(|r| r.contains("lane-beyond-grid")),
            "{count} lanes: {quality:?}"
        );
        assert!(
            results.detection[0].reasons.contains("lane-beyond-grid"),
            "{count} lanes: {}",
            results.detection[0].reasons
        );
    }
}

/// The csitron actin image (a camera image of one row of 8 β-actin bands) holds, by its
/// PROVENANCE.md, in each lane the main band (row ~877 at the left to ~905 at the right) and a
/// faint band 115–120 rows below it, and nothing else. `detect` must report exactly those 16
/// as bands (other peaks may appear only flagged `low-snr`): the membrane's texture, noise
/// correlated over many rows, is no band.
#[test]
fn detect_sees_the_actin_image_s_bands_and_not_its_texture() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let params = Params::default();
    let plan = manifest::lone_image_plan(&dir.join("amersham_chemi_actin_csitron.tif"), &params);
    let results = batch::analyze_planned(&plan, None).unwrap().results;
    assert_eq!(results.lanes.len(), 8);
    let clear: Vec<_> = results
        .bands
        .iter()
        .filter(|b| !b.flags.contains(Flag::LowSnr))
        .collect();
    println!(
        "{} bands, {} without low-snr",
        results.bands.len(),
        clear.len()
    );
    for lane in 1..=8 {
        let mut rows: Vec<f64> = clear
            .iter()
            .filter(|b| b.lane == lane)
            .map(|b| b.y_center_px)
            .collect();
        rows.sort_by(f64::total_cmp);
        assert_eq!(rows.len(), 2, "lane {lane}: bands at rows {rows:?}");
        assert!((865.0..=920.0).contains(&rows[0]), "lane {lane}: {rows:?}");
        let below = rows[1] - rows[0];
        assert!((105.0..=130.0).contains(&below), "lane {lane}: {rows:?}");
    }
}

/// The thrombin gel's hand-edited segmentation mask (PROVENANCE.md: it covers the major bands,
/// not the faint lower ones of the digest lanes, so it measures recall on clear bands): every
/// marked band of 30 px or more must lie, at its centroid, in one of `detect`'s band boxes (in
/// the lane whose box holds the centroid, within the band's rows).
#[test]
fn detect_finds_every_band_of_the_thrombin_gel_s_hand_made_mask() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let params = Params::default();
    let plan = manifest::lone_image_plan(&dir.join("sdspage_thrombin_gelgenie.jpg"), &params);
    let analysis = blotquant::pipeline::analyze_image(
        &plan,
        &plan.images[0],
        &blotquant::pipeline::no_overlay,
    )
    .unwrap();
    // An uncompressed palette TIFF of 8-bit indices 0 and 1, which neither the `image` nor the
    // `tiff` decoder reads: its strips straight from the file, where the tags put them.
    let path = dir.join("sdspage_thrombin_gelgenie_mask.tif");
    let bytes = std::fs::read(&path).unwrap();
    let mut decoder = tiff::decoder::Decoder::new(std::io::Cursor::new(&bytes)).unwrap();
    let (mask_width, mask_height) = decoder.dimensions().unwrap();
    let mut tag = |t| {
        decoder
            .find_tag_unsigned_vec::<u64>(t)
            .unwrap()
            .unwrap_or_default()
    };
    use tiff::tags::Tag;
    // No Compression tag means none.
    let compression = tag(Tag::Compression);
    assert!(
        compression.is_empty() || compression == [1],
        "an uncompressed mask"
    );
    assert_eq!(tag(Tag::BitsPerSample), [8], "8-bit indices");
    let (offsets, counts) = (tag(Tag::StripOffsets), tag(Tag::StripByteCounts));
    let indices: Vec<u8> = offsets
        .iter()
        .zip(&counts)
        .flat_map(|(&o, &n)| bytes[o as usize..(o + n) as usize].iter().copied())
        .collect();
    assert_eq!(indices.len(), (mask_width * mask_height) as usize);
    let marked = image::GrayImage::from_fn(mask_width, mask_height, |x, y| {
        image::Luma([u8::from(indices[(y * mask_width + x) as usize] > 0)])
    });
    let labels = imageproc::region_labelling::connected_components(
        &marked,
        imageproc::region_labelling::Connectivity::Eight,
        image::Luma([0u8]),
    );
    // Pixel count and coordinate sums of each marked band.
    let mut sums: Vec<(usize, f64, f64)> = Vec::new();
    for (x, y, label) in labels.enumerate_pixels() {
        let label = label[0] as usize;
        if label == 0 {
            continue;
        }
        if sums.len() < label {
            sums.resize(label, (0, 0.0, 0.0));
        }
        let s = &mut sums[label - 1];
        *s = (s.0 + 1, s.1 + f64::from(x), s.2 + f64::from(y));
    }
    let width = mask_width as usize;
    let mut missed = Vec::new();
    let mut counted = 0;
    for &(area, sx, sy) in sums.iter().filter(|s| s.0 >= 30) {
        counted += 1;
        let (x, y) = (sx / area as f64, sy / area as f64);
        let lane = analysis.grid.lanes.iter().find(|l| {
            let (start, end) = l.columns_at(y, width);
            (start as f64..end as f64).contains(&x)
        });
        let found = lane.is_some_and(|lane| {
            analysis.bands.iter().any(|b| {
                b.peak.lane == lane.index && (b.peak.top as f64..=b.peak.bottom as f64).contains(&y)
            })
        });
        if !found {
            missed.push(format!("band at x {x:.0}, y {y:.0} ({area} px)"));
        }
    }
    println!("{} of {counted} marked bands found", counted - missed.len());
    assert!(
        counted >= 20,
        "the mask holds {counted} bands of 30 px or more"
    );
    assert!(missed.is_empty(), "{missed:#?}");
}

/// Strips a figure already shows aligned stay where they are: on the FXN/VCL and TRKB/VCL
/// panels the strips' lanes meet as published (the values printed under the lanes belong to
/// them), and no strip moves by more than a tenth of the lane pitch (2 px). Lining the FXN
/// strip up by its band pattern alone moved it a whole pitch (20 px), so that lanes 1–2 were
/// measured in lanes 2–3.
#[test]
fn strips_already_aligned_stay_in_place() {
    let Some(dir) = common::realdata() else {
        return;
    };
    for file in ["pmc_fxn_vcl_values.png", "pmc_trkb_vcl_values.png"] {
        let mut blot = blotquant::io::load(&dir.join(file), None, &Params::default().load).unwrap();
        let strips = blotquant::lanes::membranes::align(&mut blot.signal);
        assert!(strips.len() >= 2, "{file}: the panel's strips are found");
        for strip in &strips {
            assert!(
                strip.moved_px.abs() <= 2,
                "{file}: rows {:?} moved {} px",
                strip.rows,
                strip.moved_px
            );
        }
    }
}

/// No real image is turned the way it is stored (its lanes run down it, as PROVENANCE.md
/// describes every one), and each turned 90° reads the other way round: the ratio of how much
/// the image changes from row to row over column to column inverts exactly when the image is
/// transposed. Prints each image's ratio.
#[test]
fn no_real_image_is_turned_and_sideways_ones_are() {
    use blotquant::lanes::orientation::{down_over_across, lanes_run_across, SIDEWAYS_RATIO};
    let Some(dir) = common::realdata() else {
        return;
    };
    let mut turned_back = 0;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            ["tif", "png", "jpg"].iter().any(|e| name.ends_with(e)) && !name.contains("_mask")
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 20, "the 20 real images");
    for path in &files {
        let blot = blotquant::io::load(path, None, &Params::default().load).unwrap();
        let ratio = down_over_across(blot.signal.view());
        let sideways = blot.signal.t().to_owned();
        let sideways_ratio = down_over_across(sideways.view());
        println!(
            "{:<40} down/across {ratio:5.2}, turned {sideways_ratio:5.2}",
            path.file_name().unwrap().to_string_lossy()
        );
        assert!(!lanes_run_across(blot.signal.view()), "{}", path.display());
        assert!((ratio * sideways_ratio - 1.0).abs() < 1e-6);
        turned_back += usize::from(lanes_run_across(sideways.view()));
    }
    println!("{turned_back} of 20 turned 90° are turned back (ratio above {SIDEWAYS_RATIO})");
}
