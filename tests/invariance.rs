//! Invariance of lane finding: every real image of `../shared/realdata`, transformed in ways
//! that do not change which lanes it holds (resampled, mirrored, stored the other polarity,
//! shaded, turned, framed, set on a noisy surround with or without a bright frame line in it,
//! cropped, re-encoded, sprinkled with hot and dead pixels, exposed noisier, given a contrast
//! curve), must give the same lanes as untransformed; set beside itself or cut into halves,
//! twice its lanes or each half's own.
//!
//! Run with `cargo test --release --test invariance -- --nocapture` to see the tables, lanes
//! counted on the image and lanes at the count PROVENANCE.md states (as a manifest gives it):
//! one row per image, one column per transform; `.` is the same count with every centre
//! within 5 % of the pitch of where the untransformed image has it, `c<n>` the same count with
//! a centre moved further (n % of the pitch), a number the count found where it differs, `E`
//! an image refused, `-` a transform that does not apply (binning that would take the pitch
//! below 12 px).
//!
//! The tests are a ratchet: the (image, transform) pairs that fail today are listed in
//! [`KNOWN_FAILURES`] and [`KNOWN_STATED_FAILURES`]; any other failure fails the test, and so
//! does a listed pair that now passes (take it off the list).

mod common;

use std::path::Path;

use blotquant::batch;
use blotquant::io::{self, Polarity};
use blotquant::manifest::{self, LaneSpec};
use blotquant::params::Params;
use common::quantile;
use common::transforms::{
    median_gap, read_picture, transformed, write_picture, Draws, Mapping, Picture,
};
use ndarray::Array2;

/// (image, transform) pairs whose lanes, at the count PROVENANCE.md states, do not stay
/// where the untransformed image has them today: 53 of the 380 that apply. The count is
/// never refused, but lanes move: on a frame at the background's level or a figure's
/// margin, a stated count can still be fitted across the empty field (see
/// `locate_inside_frame`), and lanes centred on their own signal move with resampling and
/// shading.
const KNOWN_STATED_FAILURES: &[(&str, &str)] = &[
    ("amersham_chemi_rhoa_pysternblot.tif", "shade"),
    ("amersham_chemi_rhoa_pysternblot.tif", "crop"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "bin2"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "up1.5"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "shade"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "rot+2"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "rot-2"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "crop"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "jpeg85"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "frame0"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "field"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "tray"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "rim"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "ring"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "gam0.7"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "gam1.4"),
    ("pmc_fxn_vcl_values.png", "up1.5"),
    ("pmc_fxn_vcl_values.png", "white"),
    ("pmc_h3cr_actin.png", "jpeg85"),
    ("pmc_psmad_gapdh.png", "up1.5"),
    ("pmc_psmad_gapdh.png", "shade"),
    ("pmc_psmad_gapdh.png", "rot+2"),
    ("pmc_psmad_gapdh.png", "rot-2"),
    ("pmc_psmad_gapdh.png", "frame"),
    ("pmc_psmad_gapdh.png", "crop"),
    ("pmc_psmad_gapdh.png", "white"),
    ("pmc_psmad_gapdh.png", "field"),
    // Lane 4, placed evenly along the merged GAPDH row untransformed, moves 2 px towards its
    // band's middle with noise added (9 % of the pitch).
    ("pmc_psmad_gapdh.png", "noise"),
    ("pmc_psmad_gapdh.png", "gam0.7"),
    ("pmc_psmad_gapdh.png", "gam1.4"),
    ("pmc_trkb_vcl_values.png", "shade"),
    ("pmc_trkb_vcl_values.png", "white"),
    ("sdspage_protease_gelquant.png", "bin2"),
    ("sdspage_protease_gelquant.png", "up1.5"),
    ("sdspage_protease_gelquant.png", "rot+2"),
    ("sdspage_protease_gelquant.png", "crop"),
    ("sdspage_protease_gelquant.png", "jpeg85"),
    ("sdspage_protease_gelquant.png", "white"),
    ("sdspage_standards_gelblotanalyzer.png", "shade"),
    ("sdspage_standards_gelblotanalyzer.png", "rot+2"),
    ("wb_film_7lanes_facuperezt.jpg", "bin2"),
    ("wb_film_7lanes_facuperezt.jpg", "bin3"),
    ("wb_film_7lanes_facuperezt.jpg", "gam1.4"),
    ("wb_strip_12lanes_chibidragon.png", "bin3"),
    ("wb_strip_12lanes_chibidragon.png", "up1.5"),
    ("wb_strip_12lanes_chibidragon.png", "shade"),
    ("wb_strip_12lanes_chibidragon.png", "rot-2"),
    ("wb_strip_12lanes_chibidragon.png", "field"),
    ("wb_strip_12lanes_chibidragon.png", "gam1.4"),
    ("wb_strip_13lanes_chibidragon.png", "bin2"),
    ("wb_strip_13lanes_chibidragon.png", "bin3"),
    ("wb_strip_13lanes_chibidragon.png", "shade"),
    ("wb_strip_13lanes_chibidragon.png", "rot-2"),
];

/// Lanes a transform keeps, for the images PROVENANCE.md counts (ranges where it accepts
/// several counts).
const STATED: [(&str, usize, usize); 20] = [
    ("amersham_chemi_actin_csitron.tif", 8, 8),
    ("amersham_chemi_rhoa_pysternblot.tif", 6, 6),
    ("chemidocxrs_16lanes_biorad1sc.tif", 16, 16),
    ("dna_ladder_gelgenie.tif", 4, 4),
    ("pmc_fxn_vcl_values.png", 8, 8),
    ("pmc_h3cr_actin.png", 6, 6),
    ("pmc_pdgfra_gapdh.png", 12, 12),
    ("pmc_psmad_gapdh.png", 12, 12),
    ("pmc_tigar_ladder.png", 9, 9),
    ("pmc_trkb_vcl_values.png", 12, 12),
    ("ponceau_membrane_vlab.jpg", 9, 10),
    ("sdspage_protease_gelquant.png", 15, 15),
    ("sdspage_standards_gelblotanalyzer.png", 8, 8),
    ("sdspage_thrombin_gelgenie.jpg", 8, 8),
    ("silver_sdspage_series_qcsnb.png", 10, 15),
    ("wb_doublet_3lanes_facuperezt.jpg", 3, 3),
    ("wb_film_7lanes_facuperezt.jpg", 8, 8),
    ("wb_shadow_3lanes_facuperezt.jpg", 3, 3),
    ("wb_strip_12lanes_chibidragon.png", 12, 12),
    ("wb_strip_13lanes_chibidragon.png", 13, 13),
];

/// The transforms, in the table's column order.
const TRANSFORMS: [&str; 22] = [
    "bin2", "bin3", "up1.5", "mirror", "invert", "shade", "turn90", "rot+2", "rot-2", "frame",
    "crop", "jpeg85", "frame0", "white", "field", "tray", "rim", "ring", "speck", "noise",
    "gam0.7", "gam1.4",
];

/// (image, transform) pairs that do not keep their lanes today (see the module's doc): 83
/// of the 424 that apply. Lane finding is tuned at each image's own resolution, framing and
/// orientation; a turned image, a flat surround, a shading or a resampling changes the
/// count or moves lanes on most images.
const KNOWN_FAILURES: &[(&str, &str)] = &[
    ("amersham_chemi_rhoa_pysternblot.tif", "shade"),
    ("amersham_chemi_rhoa_pysternblot.tif", "rot-2"),
    ("amersham_chemi_rhoa_pysternblot.tif", "crop"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "bin2"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "up1.5"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "mirror"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "shade"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "rot+2"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "rot-2"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "crop"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "field"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "tray"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "rim"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "speck"),
    // With noise added, the dark imager edge left of lane 1 reads as a noisy margin and the
    // lanes are found again without it: the bottom row's blob at the search's lowest cut (a
    // share of the image's bright end, which leaving the dark margin out raises) no longer
    // reaches the faint bands of lanes 1–2, and the row is not continued onto them (14 lanes).
    ("chemidocxrs_16lanes_biorad1sc.tif", "noise"),
    // Lane 6 centred on its smear 8 px off (23 % of the pitch).
    ("chemidocxrs_16lanes_biorad1sc.tif", "gam0.7"),
    // The faint bands of lanes 1–2 pressed down: the bottom row is not continued onto them
    // (14 lanes found; 13 % of the pitch stated).
    ("chemidocxrs_16lanes_biorad1sc.tif", "gam1.4"),
    ("pmc_fxn_vcl_values.png", "up1.5"),
    ("pmc_fxn_vcl_values.png", "shade"),
    ("pmc_fxn_vcl_values.png", "white"),
    ("pmc_h3cr_actin.png", "jpeg85"),
    ("pmc_psmad_gapdh.png", "up1.5"),
    ("pmc_psmad_gapdh.png", "rot+2"),
    ("pmc_psmad_gapdh.png", "rot-2"),
    ("pmc_psmad_gapdh.png", "frame"),
    ("pmc_psmad_gapdh.png", "crop"),
    ("pmc_psmad_gapdh.png", "white"),
    ("pmc_psmad_gapdh.png", "field"),
    // The GAPDH row's lanes continued from a 7-lane profile half a pitch off (50 %); at 1.4
    // lanes 6 and 10 move 1–3 px (11 %).
    ("pmc_psmad_gapdh.png", "gam0.7"),
    ("pmc_psmad_gapdh.png", "gam1.4"),
    ("pmc_trkb_vcl_values.png", "shade"),
    ("pmc_trkb_vcl_values.png", "white"),
    ("ponceau_membrane_vlab.jpg", "up1.5"),
    ("ponceau_membrane_vlab.jpg", "turn90"),
    ("ponceau_membrane_vlab.jpg", "rot+2"),
    ("ponceau_membrane_vlab.jpg", "rot-2"),
    ("ponceau_membrane_vlab.jpg", "crop"),
    ("ponceau_membrane_vlab.jpg", "speck"),
    // The count is not met untransformed (6 for 9–10); noise and a contrast curve move its
    // lanes 18 % of the pitch.
    ("sdspage_protease_gelquant.png", "bin2"),
    ("sdspage_protease_gelquant.png", "up1.5"),
    ("sdspage_protease_gelquant.png", "rot+2"),
    ("sdspage_protease_gelquant.png", "rot-2"),
    ("sdspage_protease_gelquant.png", "crop"),
    ("sdspage_protease_gelquant.png", "jpeg85"),
    ("sdspage_protease_gelquant.png", "white"),
    ("sdspage_standards_gelblotanalyzer.png", "shade"),
    ("sdspage_standards_gelblotanalyzer.png", "rot+2"),
    ("silver_sdspage_series_qcsnb.png", "bin2"),
    ("silver_sdspage_series_qcsnb.png", "bin3"),
    ("silver_sdspage_series_qcsnb.png", "up1.5"),
    ("silver_sdspage_series_qcsnb.png", "mirror"),
    ("silver_sdspage_series_qcsnb.png", "invert"),
    ("silver_sdspage_series_qcsnb.png", "shade"),
    ("silver_sdspage_series_qcsnb.png", "turn90"),
    ("silver_sdspage_series_qcsnb.png", "rot+2"),
    ("silver_sdspage_series_qcsnb.png", "rot-2"),
    ("silver_sdspage_series_qcsnb.png", "frame"),
    ("silver_sdspage_series_qcsnb.png", "crop"),
    ("silver_sdspage_series_qcsnb.png", "jpeg85"),
    ("silver_sdspage_series_qcsnb.png", "frame0"),
    ("silver_sdspage_series_qcsnb.png", "white"),
    ("silver_sdspage_series_qcsnb.png", "field"),
    ("silver_sdspage_series_qcsnb.png", "tray"),
    ("silver_sdspage_series_qcsnb.png", "rim"),
    ("silver_sdspage_series_qcsnb.png", "ring"),
    ("silver_sdspage_series_qcsnb.png", "speck"),
    ("silver_sdspage_series_qcsnb.png", "noise"),
    // The count is not met untransformed (7 for 10–15); lane 6 moves 7 % of the pitch.
    ("silver_sdspage_series_qcsnb.png", "gam0.7"),
    ("wb_film_7lanes_facuperezt.jpg", "bin2"),
    ("wb_film_7lanes_facuperezt.jpg", "bin3"),
    // The film's white background sits a code or two below full scale: noise clips a part
    // of it, the image reads as a display export's, and its faint 8th lane is left out as
    // off the membrane in the band row's box (7 lanes).
    ("wb_film_7lanes_facuperezt.jpg", "noise"),
    ("wb_film_7lanes_facuperezt.jpg", "gam1.4"),
    ("wb_shadow_3lanes_facuperezt.jpg", "turn90"),
    ("wb_strip_12lanes_chibidragon.png", "bin3"),
    ("wb_strip_12lanes_chibidragon.png", "up1.5"),
    ("wb_strip_12lanes_chibidragon.png", "shade"),
    ("wb_strip_12lanes_chibidragon.png", "rot-2"),
    // Lane 4 centred 9 px off (10 % of the pitch).
    ("wb_strip_12lanes_chibidragon.png", "gam1.4"),
    ("wb_strip_13lanes_chibidragon.png", "bin2"),
    ("wb_strip_13lanes_chibidragon.png", "bin3"),
    ("wb_strip_13lanes_chibidragon.png", "shade"),
    ("wb_strip_13lanes_chibidragon.png", "rot-2"),
    ("wb_strip_13lanes_chibidragon.png", "field"),
];

/// Lanes found: count, centres at the middle row and the median pitch.
#[derive(Debug, Clone)]
struct Found {
    centres: Vec<f64>,
}

impl Found {
    fn pitch(&self) -> f64 {
        median_gap(&self.centres)
    }
}

fn lanes_of(image: &Path, count: Option<usize>) -> Found {
    let mut plan = manifest::lone_image_plan(image, &Params::default());
    if let Some(n) = count {
        plan.lanes = (1..=n).map(LaneSpec::unnamed).collect();
    }
    let centres = batch::analyze_planned(&plan, None)
        .map(|run| run.results.lanes.iter().map(|l| l.x_center_px).collect())
        .unwrap_or_default();
    Found { centres }
}

/// One cell of the table.
fn judge(untransformed: &Found, found: &Found, mapping: &Mapping) -> String {
    if found.centres.len() != untransformed.centres.len() {
        return found.centres.len().to_string();
    }
    let Mapping::Linear { scale, offset } = *mapping else {
        return ".".into();
    };
    let mut expected: Vec<f64> = untransformed
        .centres
        .iter()
        .map(|&x| scale * x + offset)
        .collect();
    expected.sort_by(f64::total_cmp);
    centres_cell(
        &expected,
        &found.centres,
        untransformed.pitch() * scale.abs(),
    )
}

/// `.` where every centre `found` lies within 5 % of the `pitch` of its `expected` place
/// (as many of each), else `c<n>`: how far the worst one moved, in % of the pitch.
fn centres_cell(expected: &[f64], found: &[f64], pitch: f64) -> String {
    let worst = expected
        .iter()
        .zip(found)
        .map(|(e, f)| (e - f).abs() / pitch)
        .fold(0.0, f64::max);
    if worst > 0.05 {
        format!("c{:.0}", 100.0 * worst)
    } else {
        ".".into()
    }
}

/// Where transformed images are written: the temporary folder `tmp`, or the folder
/// [`KEEP_VAR`] names, to keep them in.
fn written_to(tmp: &tempfile::TempDir) -> std::path::PathBuf {
    match std::env::var_os(KEEP_VAR) {
        Some(folder) => {
            std::fs::create_dir_all(&folder).expect("folder for the transformed images");
            std::path::PathBuf::from(folder)
        }
        None => tmp.path().to_path_buf(),
    }
}

/// Set to a folder to keep the transformed images there (`<transform>-<image>.png`), to look
/// at a cell of the table with `blotquant detect`.
const KEEP_VAR: &str = "BLOTQUANT_INVARIANCE_KEEP";

#[test]
fn lanes_survive_transforms_of_every_real_image() {
    real_image_table(Count::Found, KNOWN_FAILURES);
}

/// The same table with the lane count stated, as a manifest states it: the lanes must stay
/// where the untransformed image has them at that count (`E`: the image was refused). Images
/// whose count PROVENANCE.md gives as a range are left out: no one count is the truth.
#[test]
fn stated_lanes_survive_transforms_of_every_real_image() {
    real_image_table(Count::Stated, KNOWN_STATED_FAILURES);
}

/// A blot scanned at 2.5x the resolution (a film scanned at 600 dpi, a camera's full
/// sensor): every real image whose own count is PROVENANCE.md's keeps it, its lanes within 5 %
/// of the pitch of where the image at its own resolution has them. The table's transforms
/// reach 1.5x; this one asks whether steps fixed in pixels hold on bands two to three times
/// larger.
#[test]
#[ignore = "not met: 7 of the 18 images counted right keep their lanes at 2.5x, 17 their \
            count (the shadowed 3-lane blot reads 7). Lanes moved on 10: ChemiDoc 15 %, FXN \
            14 %, pSMAD 71 %, PDGFRa 7 %, RhoA 7 %, \
            TrkB 5 %, the protease gel 21 %, the strips 21 % and 7 % of the pitch. With the \
            detection ball's radius fixed at 50 px, 4 counts were off (RhoA 7, the protease \
            gel 16, the film 7, the shadowed blot 9)"]
fn lanes_survive_a_scan_at_two_and_a_half_times_the_resolution() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let written = written_to(&tmp);
    let mut failures = Vec::new();
    for (file, low, high) in STATED {
        let path = dir.join(file);
        let untransformed = lanes_of(&path, None);
        let count = untransformed.centres.len();
        // An image whose own count is off has no right count to keep.
        if !(low..=high).contains(&count) {
            continue;
        }
        let picture = read_picture(&path);
        let (changed, mapping) = transformed("up2.5", &picture, &untransformed.centres)
            .expect("every image can be upsampled");
        let out = written.join(format!("up2.5-{file}.png"));
        write_picture(&changed, &out);
        let cell = judge(&untransformed, &lanes_of(&out, None), &mapping);
        println!("{file:<40} {count:>5} {cell:>7}");
        if cell != "." {
            failures.push(format!("{file}: {cell}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// How a table's lanes are counted.
#[derive(Clone, Copy, PartialEq)]
enum Count {
    /// Counted on the image, as `blotquant detect` does without `--lanes`.
    Found,
    /// PROVENANCE.md's count, stated.
    Stated,
}

/// A figure panel upsampled 1.5x: its groups' underlines, drawn on the paper above the
/// membranes, are 3 px thick there, as thick as a thin band, and evenly spaced a group of two
/// lanes apart. They are off the membranes, so no row of bands: the panel keeps its 12 lanes
/// (6 where blobs off the membranes counted, placed on the underlines).
#[test]
fn a_figure_panels_underlines_are_no_row_of_bands() {
    keeps_its_count("pmc_psmad_gapdh.png", 12, &["up1.5"]);
}

/// A raw imager's gel with empty margins beside its first and last lanes: counted on the
/// image mirrored, binned 2x2 and shaded, the column profile's grid put a lane on a margin
/// (17 or 18 for 16); an end lane that holds no band and hardly any signal is no lane.
#[test]
fn a_gels_empty_margins_are_no_lanes() {
    keeps_its_count(
        "chemidocxrs_16lanes_biorad1sc.tif",
        16,
        &["mirror", "bin2", "shade"],
    );
}

/// Two Coomassie gels stacked, their edges lines down the image beside the first and last
/// lanes (the two gels' left edges a few px apart): binned 2x2, the two edges made one peak
/// in the column profile too wide for a line, and became a lane; upsampled 1.5x or
/// re-encoded as JPEG, a strip a pitch beyond the grid on the edge line, with an end lane's
/// band running up to it, was added back as a lane (16 for 15). A line is narrow in its
/// rows, and a line left out as a gel's edge is no lane to add. Cropped to its lanes, the
/// gels' edges at the image's edge held a lane's signal but no band (16): a lane the image's
/// edge cuts, holding no band, is none.
#[test]
fn a_gels_edge_lines_are_no_lanes() {
    keeps_its_count(
        "sdspage_protease_gelquant.png",
        15,
        &["bin2", "up1.5", "jpeg85", "crop"],
    );
}

/// A figure panel framed (15 % frame, a white margin, or in a noisy field): the even grid of
/// the stated 12 lanes fitted to the column profile ran over the frame and put every lane
/// three lanes off, where the image's own lanes (13: one on the strip's frame line; in the
/// field 14 as the stated check counted them) hold the panel's bands. The stated lanes are
/// placed on the image's own lanes: each within half a pitch of where the untransformed panel
/// has it.
#[test]
fn a_stated_count_on_a_framed_panel_keeps_each_lane_in_its_place() {
    keeps_its_stated_lanes_in_place("pmc_psmad_gapdh.png", 12, &["frame", "white", "field"]);
}

/// A figure of stacked strips in a noisy field: the field's columns split the membrane into
/// blocks side by side, and the stated 6 lanes were shared out between them by their widths
/// (2 and 4), one lane on the field and one band of the strips' evenly spaced row outside
/// every lane (1.3 pitches off). A band left outside makes the stated grid doubtful, and the
/// image's own 6 lanes are used.
#[test]
fn a_stated_count_in_a_field_keeps_each_lane_on_its_band() {
    keeps_its_stated_lanes_in_place("pmc_h3cr_actin.png", 6, &["field"]);
}

/// Each of `file`'s `count` stated lanes, under each of `transforms`, within half a pitch of
/// where the untransformed image has it (the table's 5 % bound is not met on all of them).
fn keeps_its_stated_lanes_in_place(file: &str, count: usize, transforms: &[&str]) {
    let Some(dir) = common::realdata() else {
        return;
    };
    let path = dir.join(file);
    let untransformed = lanes_of(&path, Some(count));
    assert_eq!(untransformed.centres.len(), count);
    let picture = read_picture(&path);
    let tmp = tempfile::tempdir().unwrap();
    for &transform in transforms {
        let (image, mapping) = transformed(transform, &picture, &untransformed.centres)
            .expect("the image can be transformed");
        let out = tmp.path().join(format!("{transform}.png"));
        write_picture(&image, &out);
        let found = lanes_of(&out, Some(count));
        let Mapping::Linear { scale, offset } = mapping else {
            panic!("{transform} maps x linearly");
        };
        assert_eq!(found.centres.len(), count, "{file} {transform}");
        let pitch = untransformed.pitch() * scale;
        let off: Vec<f64> = untransformed
            .centres
            .iter()
            .zip(&found.centres)
            .map(|(x, f)| (scale * x + offset - f).abs() / pitch)
            .collect();
        assert!(off.iter().all(|d| *d < 0.5), "{file} {transform}: {off:?}");
    }
}

/// The pSMAD panel cropped to its lanes or turned 2°: its last lane's target band is faint
/// and its loading-control band touches its neighbour's, so no band-shaped blob and less
/// signal than the median lane stood one pitch beyond the grid, and the lane was left out
/// (11 for 12). The loading control's row of touching bands runs across every lane and on
/// across it.
#[test]
fn a_lane_on_a_row_of_touching_bands_beyond_the_grid_is_a_lane() {
    keeps_its_count("pmc_psmad_gapdh.png", 12, &["crop", "rot+2", "rot-2"]);
}

/// The ChemiDoc gel turned 2°: its grid, fitted on the column profile, was continued over the
/// touching row of bands at the bottom, where the lanes lean, and its last lane stood off its
/// band's middle; the strip beyond it took the next band's left half and the one after its
/// right half (17 lanes for 16). A band beside an end lane is measured from the gap between
/// the two.
#[test]
fn a_band_touching_the_end_lanes_band_is_one_lane() {
    keeps_its_count("chemidocxrs_16lanes_biorad1sc.tif", 16, &["rot+2"]);
}

/// The ChemiDoc gel in a field: the column profile showed the middle lanes, a run of bands at
/// the pitch carried the grid out to the left end, and the faint lane 16 at the right end was
/// not looked for (15 lanes for 16). Beyond the end a run does not reach, a strip holding a band
/// in a row of the end lane's bands is a lane.
#[test]
fn a_faint_lane_at_a_grids_other_end_is_a_lane() {
    keeps_its_count("chemidocxrs_16lanes_biorad1sc.tif", 16, &["field"]);
}

/// A figure panel in a frame, a white margin or a field: its columns' levels no longer show
/// where the membrane ends, and a lane counted on the line framing the strips stayed (13 for
/// 12). On the paper the membrane's columns end at that line, and a lane centred on it reaches
/// off them.
#[test]
fn a_lane_on_a_panels_frame_line_is_no_lane() {
    keeps_its_count("pmc_psmad_gapdh.png", 12, &["frame", "white", "field"]);
}

/// The 12-lane strip's first band is its strongest and spreads over the gaps beside it, so
/// its lane hardly stands out of them in the column profile: shaded or turned 2°, the count
/// left it out (11 lanes). A strip a pitch beyond the grid that holds a band and the lanes'
/// signal is a lane.
#[test]
fn a_strips_overloaded_first_band_keeps_its_lane() {
    keeps_its_count("wb_strip_12lanes_chibidragon.png", 12, &["shade", "rot-2"]);
}

/// Scanned at 2.5x the resolution, a film, a gel and a blot of two membranes kept their
/// counts only once the detection ball grew with their bands: with its 50-px radius the
/// film's faint 8th lane was lost (7), the gel's row of bands ran on into a 16th lane and the
/// blot's blotches made a 7th.
#[test]
fn a_scan_at_two_and_a_half_times_the_resolution_keeps_its_count() {
    keeps_its_count("wb_film_7lanes_facuperezt.jpg", 8, &["up2.5"]);
    keeps_its_count("sdspage_protease_gelquant.png", 15, &["up2.5"]);
    keeps_its_count("amersham_chemi_rhoa_pysternblot.tif", 6, &["up2.5"]);
}

/// Asserts that `file` keeps the `count` lanes it gets untransformed under each of
/// `transforms` (nothing to check where the real images are absent).
fn keeps_its_count(file: &str, count: usize, transforms: &[&str]) {
    let Some(dir) = common::realdata() else {
        return;
    };
    let path = dir.join(file);
    let untransformed = lanes_of(&path, None);
    assert_eq!(untransformed.centres.len(), count, "{file}");
    let picture = read_picture(&path);
    let tmp = tempfile::tempdir().unwrap();
    let counts: Vec<(String, usize)> = transforms
        .iter()
        .map(|&transform| {
            let (image, _) = transformed(transform, &picture, &untransformed.centres)
                .expect("the image can be transformed");
            let out = tmp.path().join(format!("{transform}.png"));
            write_picture(&image, &out);
            (transform.to_string(), lanes_of(&out, None).centres.len())
        })
        .collect();
    assert!(
        counts.iter().all(|(_, n)| *n == count),
        "{file}: {counts:?}"
    );
}

/// (image, part) pairs of [`a_gel_twice_as_wide_and_each_half_of_one_show_their_lanes`] whose
/// lanes are not the untransformed image's today: 16 of 48. Counts off on 4: a half with
/// few lanes is read by its edges (pSMAD left half: 1 lane, a grid so wide that its gap
/// windows fall off the image and it is judged against one gap, flagged `count-ambiguous`:
/// its GAPDH bands run together, so they show no lanes side by side; RhoA left half 4 for
/// 3, the upper strip keeping part of its fourth lane, as the halves are cut where the lined-up
/// image's lanes lie; the
/// protease gel's left half 11 for 7, its lanes continued over a row of touching bands at a
/// pitch of 26 px for 36); the film twice: its lane 8 lies 1.6 pitches beside lane 7, so
/// across the join its row of bands is not evenly spaced, and the profile's grid at half the
/// pitch stands (31 for 16). The others keep the count with a lane moved.
const KNOWN_PART_FAILURES: &[(&str, &str)] = &[
    ("amersham_chemi_rhoa_pysternblot.tif", "twice"),
    ("amersham_chemi_rhoa_pysternblot.tif", "left"),
    ("amersham_chemi_rhoa_pysternblot.tif", "right"),
    ("chemidocxrs_16lanes_biorad1sc.tif", "twice"),
    ("pmc_psmad_gapdh.png", "twice"),
    ("pmc_psmad_gapdh.png", "left"),
    ("pmc_trkb_vcl_values.png", "twice"),
    ("pmc_trkb_vcl_values.png", "right"),
    ("sdspage_protease_gelquant.png", "twice"),
    ("sdspage_protease_gelquant.png", "left"),
    ("sdspage_protease_gelquant.png", "right"),
    ("sdspage_standards_gelblotanalyzer.png", "twice"),
    ("wb_film_7lanes_facuperezt.jpg", "twice"),
    ("wb_strip_12lanes_chibidragon.png", "twice"),
    ("wb_strip_12lanes_chibidragon.png", "left"),
    ("wb_strip_12lanes_chibidragon.png", "right"),
];

/// Lanes of a wider gel and of a part of one. Every real image whose count is right
/// untransformed (and is at least 4) is set side by side with itself, joined half a pitch
/// beyond its last lane and before its first (a gel twice as wide, loaded alike), and cut
/// between its two middle lanes into halves (a blot cropped to one experiment's lanes). The
/// doubled image must show twice the lanes and each half its own, each centre within 5 % of
/// the pitch of where the untransformed image has it. A detector whose steps are stated in
/// units of the image (its pitch, its bands) does not care how many lanes a gel holds.
#[test]
fn a_gel_twice_as_wide_and_each_half_of_one_show_their_lanes() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let written = written_to(&tmp);
    let (mut failures, mut newly_passing) = (Vec::new(), Vec::new());
    let (mut applied, mut kept) = (0, 0);
    println!(
        "{:<40} {:>5} {:>7}{:>7}{:>7}",
        "image", "found", "twice", "left", "right"
    );
    for (file, low, high) in STATED {
        let path = dir.join(file);
        let untransformed = lanes_of(&path, None);
        let count = untransformed.centres.len();
        if !(low..=high).contains(&count) || count < 4 {
            continue;
        }
        let picture = read_picture(&path);
        let pitch = untransformed.pitch();
        let mut row = String::new();
        for (name, part, expected) in parts(&picture, &untransformed.centres) {
            let out = written.join(format!("{name}-{file}.png"));
            write_picture(&part, &out);
            let found = lanes_of(&out, None).centres;
            let cell = if found.len() != expected.len() {
                found.len().to_string()
            } else {
                centres_cell(&expected, &found, pitch)
            };
            let known = KNOWN_PART_FAILURES.contains(&(file, name));
            applied += 1;
            kept += usize::from(cell == ".");
            if cell != "." && !known {
                failures.push(format!("(\"{file}\", \"{name}\"), // {cell}"));
            }
            if cell == "." && known {
                newly_passing.push(format!("{file} {name}"));
            }
            row.push_str(&format!("{cell:>7}"));
        }
        println!("{file:<40} {count:>5} {row}");
    }
    println!("{kept} of {applied} (image, part) pairs show their lanes");
    assert_ratchet(
        &failures,
        &newly_passing,
        "lanes of a wider gel or a part of one",
    );
}

/// The protease gel twice as wide holds six rows of bands, each the bands of up to four
/// neighbouring lanes run together, evenly spaced: they are no six lanes 135 px wide (their
/// lanes show in the gel's other bands), and the gel keeps its 30 lanes.
#[test]
fn a_wide_gels_rows_of_touching_bands_are_no_wide_lanes() {
    let Some(path) = common::realdata_file("sdspage_protease_gelquant.png") else {
        return;
    };
    let untransformed = lanes_of(&path, None);
    assert_eq!(untransformed.centres.len(), 15);
    let tmp = tempfile::tempdir().unwrap();
    let (out, expected) = part_written(&path, &untransformed, "twice", &tmp);
    assert_eq!(lanes_of(&out, None).centres.len(), expected.len());
}

/// The part `name` of [`parts`] of the image at `path` (its lanes `untransformed`), written
/// into `tmp`: where it is, and the centres it should show.
fn part_written(
    path: &Path,
    untransformed: &Found,
    name: &str,
    tmp: &tempfile::TempDir,
) -> (std::path::PathBuf, Vec<f64>) {
    let picture = read_picture(path);
    let (_, part, expected) = parts(&picture, &untransformed.centres)
        .into_iter()
        .find(|(part_name, _, _)| *part_name == name)
        .expect("the part is made");
    let out = tmp.path().join(format!("{name}.png"));
    write_picture(&part, &out);
    (out, expected)
}

/// The image twice as wide (itself beside itself, joined half a pitch beyond the last lane of
/// `centres` and before the first, or at the image's edge where that is nearer), and its left and right halves (cut midway between its two
/// middle lanes), each with where its lanes lie.
fn parts(picture: &Picture, centres: &[f64]) -> Vec<(&'static str, Picture, Vec<f64>)> {
    let d = &picture.display;
    let width = d.ncols();
    let pitch = median_gap(centres);
    let (first, last) = (centres[0], centres[centres.len() - 1]);
    let end = ((last + pitch / 2.0).round() as usize).min(width);
    let start = (first - pitch / 2.0).round().max(0.0) as usize;
    let middle = centres.len() / 2;
    let cut = (0.5 * (centres[middle - 1] + centres[middle])).round() as usize;
    let with = |display: Array2<f32>| Picture {
        display,
        full_scale: picture.full_scale,
        sixteen_bit: picture.sixteen_bit,
    };
    let twice = ndarray::concatenate(
        ndarray::Axis(1),
        &[
            d.slice(ndarray::s![.., ..end]),
            d.slice(ndarray::s![.., start..]),
        ],
    )
    .expect("two parts of one height");
    let second = centres.iter().map(|&x| x - start as f64 + end as f64);
    vec![
        (
            "twice",
            with(twice),
            centres.iter().copied().chain(second).collect(),
        ),
        (
            "left",
            with(d.slice(ndarray::s![.., ..cut]).to_owned()),
            centres[..middle].to_vec(),
        ),
        (
            "right",
            with(d.slice(ndarray::s![.., cut..]).to_owned()),
            centres[middle..].iter().map(|&x| x - cut as f64).collect(),
        ),
    ]
}

/// Prints the table of every real image under every transform (see the module's doc) and
/// checks it against the `known` failures.
fn real_image_table(counting: Count, known_failures: &[(&str, &str)]) {
    let Some(dir) = common::realdata() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let written = written_to(&tmp);
    let mut failures = Vec::new();
    let mut newly_passing = Vec::new();
    let (mut applied, mut kept) = (0, 0);
    let header = match counting {
        Count::Found => "found",
        Count::Stated => "given",
    };
    println!(
        "{:<40} {header:>5} {}",
        "image (stated lanes)",
        TRANSFORMS.map(|t| format!("{t:>7}")).join("")
    );
    for (file, low, high) in STATED {
        let stated = (counting == Count::Stated).then_some(low);
        if stated.is_some() && low != high {
            continue;
        }
        let path = dir.join(file);
        let untransformed = lanes_of(&path, stated);
        let count = untransformed.centres.len();
        let picture = read_picture(&path);
        let mut row = String::new();
        for name in TRANSFORMS {
            let known = known_failures.contains(&(file, name));
            let cell = match transformed(name, &picture, &untransformed.centres) {
                None => "-".to_string(),
                Some(_) if count == 0 => "E".to_string(),
                Some((changed, mapping)) => {
                    let out = written.join(format!("{name}-{file}.png"));
                    write_picture(&changed, &out);
                    let found = lanes_of(&out, stated);
                    match found.centres.is_empty() {
                        true => "E".to_string(),
                        false => judge(&untransformed, &found, &mapping),
                    }
                }
            };
            let passed = cell == "." || cell == "-";
            if cell != "-" {
                applied += 1;
                kept += usize::from(passed);
            }
            if !passed && !known {
                failures.push(format!("(\"{file}\", \"{name}\"), // {cell}"));
            }
            if passed && known {
                newly_passing.push(format!("{file} {name}"));
            }
            row.push_str(&format!("{cell:>7}"));
        }
        let stated = if low == high {
            format!("{low}")
        } else {
            format!("{low}-{high}")
        };
        let count_mark = if (low..=high).contains(&count) {
            " "
        } else {
            "!"
        };
        println!(
            "{:<40} {:>4}{count_mark} {row}",
            format!("{file} ({stated})"),
            count
        );
    }
    println!("{kept} of {applied} (image, transform) pairs keep their lanes");
    assert_ratchet(&failures, &newly_passing, "lanes changed under a transform");
}

/// Prints the `failures` beyond a table's known list and fails on any of them, or on a known
/// failure that now passes (`newly_passing`: it is to be taken off the list).
fn assert_ratchet(failures: &[String], newly_passing: &[String], what: &str) {
    println!("failures beyond the known list:\n{}", failures.join("\n"));
    assert!(
        newly_passing.is_empty(),
        "these now pass; take them off the known failures: {newly_passing:#?}"
    );
    assert!(failures.is_empty(), "{what}");
}

/// Every image of `dir` (TIFF, as `synth` writes them) turned 90° counter-clockwise in
/// place, as a blot scanned sideways is stored.
fn turn_images_sideways(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tif") {
            let image = image::open(&path).unwrap();
            image.rotate270().save(&path).unwrap();
        }
    }
}

/// A synthetic experiment scanned sideways (every image, the marker image too) is turned
/// back and gives the same fold change in every lane as the upright scan, with a warning.
#[test]
fn an_experiment_scanned_sideways_gives_the_upright_fold_changes() {
    let tmp = tempfile::tempdir().unwrap();
    for preset in ["standard", "marker", "film"] {
        let upright = tmp.path().join(format!("{preset}-upright"));
        let sideways = tmp.path().join(format!("{preset}-sideways"));
        let recipe = blotquant::synth::preset(preset).unwrap();
        blotquant::synth::write_experiment(&upright, 401, &recipe, "s").unwrap();
        blotquant::synth::write_experiment(&sideways, 401, &recipe, "s").unwrap();
        turn_images_sideways(&sideways);
        let params = Params::default();
        let a = blotquant::analyze(&upright, &params).unwrap().results;
        let b = blotquant::analyze(&sideways, &params).unwrap().results;
        assert!(
            b.warnings
                .iter()
                .any(|w| w.contains("turned 90° clockwise")),
            "{preset}: the turn is reported"
        );
        assert!(!a.warnings.iter().any(|w| w.contains("turned 90°")));
        assert_eq!(a.fold_change.len(), b.fold_change.len(), "{preset}");
        for (x, y) in a.fold_change.iter().zip(&b.fold_change) {
            assert_eq!((&x.target, x.lane), (&y.target, y.lane));
            let same = match (x.fold_change, y.fold_change) {
                (Some(p), Some(q)) => (p - q).abs() <= 1e-9 * p.abs().max(1.0),
                (p, q) => p == q,
            };
            assert!(
                same,
                "{preset} {} lane {}: {:?} upright, {:?} sideways",
                x.target, x.lane, x.fold_change, y.fold_change
            );
        }
        println!(
            "{preset}: {} fold changes equal upright and sideways",
            a.fold_change.len()
        );
    }
}

/// A surround the imager saw (noise around a level the blot's bands reach, as large as the
/// blot) outweighs the blot in the image's histogram; polarity is judged inside it, on the
/// blot, and comes out as on the blot alone.
#[test]
fn polarity_is_judged_inside_a_surround() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exp");
    blotquant::synth::write_experiment(
        &dir,
        4,
        &blotquant::synth::preset("standard").unwrap(),
        "exp",
    )
    .unwrap();
    let blot = io::load(&dir.join("actin.tif"), None, &Params::default().load).unwrap();
    let (h, w) = blot.signal.dim();
    let mut values: Vec<f32> = blot.signal.iter().copied().collect();
    values.sort_by(f32::total_cmp);
    let level = values[values.len() * 999 / 1000];
    let noise = blotquant::stats::noise_sigma(blot.signal.row(h / 2).as_slice().unwrap());
    // A surround as wide as the blot on each side, at the level of the blot's strongest bands.
    let (my, mx) = (h, w);
    let mut draws = Draws(7);
    let framed = Array2::from_shape_fn((h + 2 * my, w + 2 * mx), |(y, x)| {
        let uniform = draws.uniform() as f32;
        if y < my || x < mx || y >= my + h || x >= mx + w {
            level + noise * 3.46 * (uniform - 0.5)
        } else {
            blot.signal[[y - my, x - mx]]
        }
    });
    let all: Vec<f32> = framed.iter().copied().collect();
    assert_eq!(
        io::detect_polarity(&all),
        Polarity::DarkBands,
        "the whole image's histogram no longer takes the surround for background: the test has lost its point"
    );
    let out = tmp.path().join("framed.png");
    write_picture(
        &Picture {
            display: framed,
            full_scale: 65535.0,
            sixteen_bit: true,
        },
        &out,
    );
    let reread = io::load(&out, None, &Params::default().load).unwrap();
    assert_eq!(reread.polarity, Polarity::LightBands);
}

/// The transforms of the synthetic table: those of the real images' table that apply to a
/// whole experiment, and `shift`: each image of the experiment moved by its own offset of up
/// to 10 px. A turned scan is turned counter-clockwise (`turn-ccw`), the way the tool's
/// clockwise turn brings back upright.
const SYNTH_TRANSFORMS: [&str; 13] = [
    "bin2", "bin3", "up1.5", "mirror", "invert", "shade", "turn-ccw", "rot+2", "rot-2", "frame",
    "crop", "jpeg85", "shift",
];

/// Seed of the synthetic experiments the table is made of, one per preset.
const SYNTH_SEED: u64 = 31;

/// Bounds on how far a transformed experiment's fold changes may lie from the untransformed
/// run's (relative): median and worst over its lanes and targets.
const SYNTH_MEDIAN_BOUND: f64 = 0.02;
const SYNTH_WORST_BOUND: f64 = 0.06;

/// (preset, transform) cells of the synthetic table that fail today (19 of 221); the
/// test is a ratchet, as for the real images. `jpeg85` stores the 16-bit images in 8 bits at
/// the file's full scale, as the real images' table does: a band of a few hundred counts
/// becomes a code or two. The film binned 3×3 passed (worst 4 %, median under 2 %) until the
/// ball's radius followed the bands' height (binned, 3 rows: 21 px for 50): its fold changes
/// now lie 2–3 % above the unbinned run's, worst 6 %, while `bubbles` binned 3×3 came from 5.8 %
/// median / 14 % worst off the truth to 1 % / 8 %, and the independent stress experiments
/// binned 2×2 from p90 16.3 % to 13.3 %.
const KNOWN_SYNTH_FAILURES: &[(&str, &str)] = &[
    ("clean", "jpeg85"),
    ("standard", "jpeg85"),
    ("hard", "bin3"),
    ("hard", "jpeg85"),
    ("saturated", "shade"),
    ("actin-varies", "jpeg85"),
    ("smile", "jpeg85"),
    ("tilt", "jpeg85"),
    ("uneven", "jpeg85"),
    ("faint", "jpeg85"),
    ("film", "bin3"),
    ("doublet", "jpeg85"),
    ("bubbles", "bin3"),
    ("bubbles", "jpeg85"),
    ("marker", "jpeg85"),
    ("membranes", "jpeg85"),
    ("slant", "bin3"),
    ("slant", "jpeg85"),
    ("edge-lines", "jpeg85"),
];

/// How one transformed experiment compares: relative fold-change differences from the
/// untransformed run, and from the truth, over the values both give.
struct Comparison {
    from_run: Vec<f64>,
    from_truth: Vec<f64>,
    /// Values the untransformed run gives and the transformed one does not.
    lost: usize,
    /// Fold changes off their truth by more than [`SILENT_ERROR`] with no flag (target, lane,
    /// error).
    silent: Vec<String>,
}

/// A fold change this far from its truth must carry a flag.
const SILENT_ERROR: f64 = 0.25;

impl Comparison {
    fn within_bounds(&self) -> bool {
        self.lost == 0
            && quantile(&self.from_run, 0.5) <= SYNTH_MEDIAN_BOUND
            && quantile(&self.from_run, 1.0) <= SYNTH_WORST_BOUND
    }

    /// The table's cell: `.` within bounds; otherwise the worst difference from the
    /// untransformed run in %, or `L<n>` where n values were lost.
    fn cell(&self) -> String {
        if self.lost > 0 {
            format!("L{}", self.lost)
        } else if self.within_bounds() {
            ".".into()
        } else {
            format!("{:.0}%", 100.0 * quantile(&self.from_run, 1.0))
        }
    }
}

/// One preset's row of the synthetic table: its untransformed error against the truth (median
/// / worst, %) and each transform's comparison (`None` where it does not apply).
struct SynthRow {
    preset: &'static str,
    truth_cell: String,
    /// The untransformed run's fold changes far from their truth with no flag.
    untransformed_silent: Vec<String>,
    cells: Vec<(String, Option<Comparison>)>,
}

/// The images `manifest` lists, by file name.
fn listed_images(manifest: &serde_json::Value) -> Vec<String> {
    manifest["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| image["file"].as_str().unwrap().to_string())
        .collect()
}

/// The synthetic experiment of `original` written to `out` with every image transformed by
/// `name` (lanes as `baseline` found them, where the transform needs them: binning,
/// cropping); `false` where the transform does not apply. The mirrored experiment's manifest
/// lists its lanes in the mirrored order.
fn write_transformed(
    original: &Path,
    baseline: Option<&blotquant::results::Results>,
    name: &str,
    out: &Path,
) -> bool {
    std::fs::create_dir_all(out).unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(original.join("experiment.json")).unwrap())
            .unwrap();
    for (index, file) in listed_images(&manifest).iter().enumerate() {
        let picture = read_picture(&original.join(file));
        let changed = if name == "shift" {
            // Offsets of up to 10 px each way, different for each image.
            let dx = [7, -10, 3, -5, 10, -2][index % 6];
            let dy = [-4, 6, -9, 2, 5, -7][index % 6];
            shifted(&picture, dx, dy)
        } else {
            let mut centres: Vec<f64> = baseline
                .iter()
                .flat_map(|b| &b.lanes)
                .filter(|l| &l.image == file)
                .map(|l| l.x_center_px)
                .collect();
            centres.sort_by(f64::total_cmp);
            match transformed(name, &picture, &centres) {
                Some((changed, _)) => changed,
                None => return false,
            }
        };
        write_picture(&changed, &out.join(file));
    }
    if name == "mirror" {
        manifest["lanes"].as_array_mut().unwrap().reverse();
    }
    common::write_manifest(out, &manifest);
    true
}

/// The synthetic experiment of `preset` binned 3×3 as the synthetic table bins it: its truth
/// and what analysis finds in it.
fn binned_3x3(preset: &str) -> (blotquant::synth::Truth, blotquant::results::Results) {
    let tmp = tempfile::tempdir().unwrap();
    let original = tmp.path().join("original");
    let recipe = blotquant::synth::preset(preset).unwrap();
    blotquant::synth::write_experiment(&original, SYNTH_SEED, &recipe, "s").unwrap();
    let truth = common::read_truth(&original);
    let params = Params::default();
    let rewritten = tmp.path().join("rewritten");
    assert!(write_transformed(&original, None, "none", &rewritten));
    let baseline = blotquant::analyze(&rewritten, &params).unwrap().results;
    let binned = tmp.path().join("bin3");
    assert!(write_transformed(
        &original,
        Some(&baseline),
        "bin3",
        &binned
    ));
    let results = blotquant::analyze(&binned, &params).unwrap().results;
    (truth, results)
}

/// The `film` preset binned 3×3 (as the synthetic table bins it), its lane count stated: on
/// every image each lane lies in its own lane, within a quarter pitch of the truth's centre.
/// Binned, the ladder lane's grey markers on the clean film were taken for an empty margin,
/// the stated lanes were found again without it and began one lane late, every value read
/// from the neighbouring lane (lane 9 on empty film).
#[test]
fn a_film_ladder_binned_3x3_stays_in_lane_1() {
    let (truth, results) = binned_3x3("film");
    for image in &truth.images {
        let found: Vec<f64> = results
            .lanes
            .iter()
            .filter(|l| l.image == image.file)
            .map(|l| l.x_center_px)
            .collect();
        assert_eq!(found.len(), image.lanes.len(), "{}", image.file);
        let pitch = (image.lanes[1].x_center - image.lanes[0].x_center) / 3.0;
        for (x, lane) in found.iter().zip(&image.lanes) {
            // Block means of 3: column x of the original lies at x / 3 − 1/3.
            let expected = lane.x_center / 3.0 - 1.0 / 3.0;
            assert!(
                (x - expected).abs() <= 0.25 * pitch,
                "{} lane {}: x {x:.1}, truth {expected:.1} (pitch {pitch:.1})",
                image.file,
                lane.lane
            );
        }
    }
}

/// The `marker` preset binned 3×3: its white-light marker image holds nothing but the ladder
/// lane at its left edge, bands a few rows high and close together, on an almost noiseless
/// membrane. Down that lane most pixels 4 rows apart straddle a band's edge, and the lane
/// was peeled as an empty margin: the image was then judged without its bands, stored
/// light-bands, its gaps read as the ladder, and every apparent MW came out 10-15 % high.
/// Every target's band keeps its MW within 5 %, as unbinned.
#[test]
fn a_marker_ladder_binned_3x3_keeps_the_mw_scale() {
    let (_, results) = binned_3x3("marker");
    let mut checked = 0;
    for band in results
        .bands
        .iter()
        .filter(|b| b.target != "ladder" && !b.target.is_empty())
    {
        let Some(target) = blotquant::catalog::built_in_target(&band.target) else {
            continue;
        };
        let mw = band
            .apparent_mw_kda
            .expect("a marker image gives every band an MW");
        let off = mw / target.nominal_kda() - 1.0;
        assert!(
            off.abs() <= 0.05,
            "{} lane {}: {mw:.1} kDa for {:.1}",
            band.target,
            band.lane,
            target.nominal_kda()
        );
        checked += 1;
    }
    assert!(checked >= 40, "{checked} bands checked");
}

/// `p` moved `dx` px right and `dy` px down, what moves in from beyond the edge at the
/// image's median level.
fn shifted(p: &Picture, dx: i64, dy: i64) -> Picture {
    let (h, w) = p.display.dim();
    let fill = common::transforms::median(&p.display);
    let display = Array2::from_shape_fn((h, w), |(y, x)| {
        let (sy, sx) = (y as i64 - dy, x as i64 - dx);
        if sy < 0 || sx < 0 || sy >= h as i64 || sx >= w as i64 {
            fill
        } else {
            p.display[[sy as usize, sx as usize]]
        }
    });
    Picture {
        display,
        full_scale: p.full_scale,
        sixteen_bit: p.sixteen_bit,
    }
}

/// Fold changes of `transformed` against those of `baseline` (lane for lane; a mirrored
/// experiment's lanes in the mirrored order) and against the truth.
fn compare(
    baseline: &blotquant::results::Results,
    transformed: &blotquant::results::Results,
    truth: &blotquant::synth::Truth,
    mirrored: bool,
) -> Comparison {
    let lanes = truth.lanes.len();
    let mut comparison = Comparison {
        from_run: Vec::new(),
        from_truth: Vec::new(),
        lost: 0,
        silent: Vec::new(),
    };
    for row in &baseline.fold_change {
        let Some(before) = row.fold_change else {
            continue;
        };
        let lane = if mirrored {
            lanes + 1 - row.lane
        } else {
            row.lane
        };
        let transformed_row = transformed
            .fold_change
            .iter()
            .find(|r| r.target == row.target && r.lane == lane);
        let Some((after, flags)) = transformed_row.and_then(|r| Some((r.fold_change?, &r.flags)))
        else {
            comparison.lost += 1;
            continue;
        };
        comparison.from_run.push((after / before - 1.0).abs());
        if let Some(t) = truth
            .fold_change
            .iter()
            .find(|t| t.target == row.target && t.lane == row.lane)
        {
            let error = (after / t.fold_change - 1.0).abs();
            comparison.from_truth.push(error);
            if error > SILENT_ERROR && flags.0.is_empty() {
                comparison.silent.push(format!(
                    "{} lane {}: {:+.0} %",
                    row.target,
                    row.lane,
                    100.0 * (after / t.fold_change - 1.0)
                ));
            }
        }
    }
    comparison
}

/// Every preset's synthetic experiment, transformed as a whole (each image the same way; for
/// `shift` each its own way), gives the fold changes of the untransformed experiment: within
/// 2 % median and 6 % worst, none lost. The untransformed run is of the images as read and
/// written back (what every transform starts from), so a cell shows the transform's effect
/// alone. The table prints the worst difference; a second one the median and worst error
/// against the truth.
#[test]
fn fold_changes_survive_transforms_of_synthetic_experiments() {
    use rayon::prelude::*;
    let tmp = tempfile::tempdir().unwrap();
    // The experiments are written here (`<preset>/<transform>`): the temporary folder, or one
    // to keep them in.
    let root = match std::env::var_os(KEEP_VAR) {
        Some(folder) => std::path::PathBuf::from(folder).join("synth"),
        None => tmp.path().to_path_buf(),
    };
    let params = Params::default();
    let presets: Vec<&'static str> = blotquant::synth::presets().iter().map(|p| p.name).collect();
    let rows: Vec<SynthRow> = presets
        .par_iter()
        .map(|&preset| {
            let original = root.join(preset).join("original");
            let recipe = blotquant::synth::preset(preset).unwrap();
            blotquant::synth::write_experiment(&original, SYNTH_SEED, &recipe, "s").unwrap();
            let truth = common::read_truth(&original);
            // Read and written back, as every transform's images are.
            let rewritten = root.join(preset).join("rewritten");
            assert!(write_transformed(&original, None, "none", &rewritten));
            let baseline = blotquant::analyze(&rewritten, &params).unwrap().results;
            let untransformed = compare(&baseline, &baseline, &truth, false);
            let truth_cell = format!(
                "{:.1}/{:.1}",
                100.0 * quantile(&untransformed.from_truth, 0.5),
                100.0 * quantile(&untransformed.from_truth, 1.0)
            );
            let cells = SYNTH_TRANSFORMS
                .iter()
                .map(|&name| {
                    let out = root.join(preset).join(name);
                    let comparison = write_transformed(&original, Some(&baseline), name, &out)
                        .then(|| match blotquant::analyze(&out, &params) {
                            Ok(run) => compare(&baseline, &run.results, &truth, name == "mirror"),
                            Err(_) => Comparison {
                                from_run: Vec::new(),
                                from_truth: Vec::new(),
                                lost: baseline.fold_change.len(),
                                silent: Vec::new(),
                            },
                        });
                    (name.to_string(), comparison)
                })
                .collect();
            SynthRow {
                preset,
                truth_cell,
                untransformed_silent: untransformed.silent,
                cells,
            }
        })
        .collect();

    println!(
        "\nworst fold-change difference from the untransformed run ('.': median <= {:.0} %, worst <= {:.0} %, none lost; L<n>: n values lost; '-': does not apply)",
        100.0 * SYNTH_MEDIAN_BOUND,
        100.0 * SYNTH_WORST_BOUND
    );
    println!(
        "{:<14} {:>11} {}",
        "preset",
        "truth med/max %",
        SYNTH_TRANSFORMS.map(|t| format!("{t:>9}")).join("")
    );
    let (mut applied, mut kept) = (0, 0);
    let mut failures = Vec::new();
    let mut newly_passing = Vec::new();
    for SynthRow {
        preset,
        truth_cell,
        cells,
        ..
    } in &rows
    {
        let mut line = String::new();
        for (name, comparison) in cells {
            let cell = comparison
                .as_ref()
                .map_or("-".to_string(), Comparison::cell);
            line.push_str(&format!("{cell:>9}"));
            let Some(comparison) = comparison else {
                continue;
            };
            applied += 1;
            let passed = comparison.within_bounds();
            kept += usize::from(passed);
            let known = KNOWN_SYNTH_FAILURES.contains(&(preset, name.as_str()));
            if !passed && !known {
                failures.push(format!("(\"{preset}\", \"{name}\"), // {cell}"));
            }
            if passed && known {
                newly_passing.push(format!("{preset} {name}"));
            }
        }
        println!("{preset:<14} {truth_cell:>15} {line}");
    }
    println!("\nmedian / worst fold-change error against the truth, %");
    println!(
        "{:<30} {}",
        "preset",
        SYNTH_TRANSFORMS.map(|t| format!("{t:>11}")).join("")
    );
    for SynthRow { preset, cells, .. } in &rows {
        let line: String = cells
            .iter()
            .map(|(_, c)| match c {
                Some(c) if !c.from_truth.is_empty() => format!(
                    "{:>11}",
                    format!(
                        "{:.1}/{:.0}",
                        100.0 * quantile(&c.from_truth, 0.5),
                        100.0 * quantile(&c.from_truth, 1.0)
                    )
                ),
                _ => format!("{:>11}", "-"),
            })
            .collect();
        println!("{preset:<30} {line}");
    }
    println!("{kept} of {applied} (preset, transform) cells keep their fold changes");
    // No silent wrong number: a value far from its truth carries a flag, whatever was done to
    // the images.
    let mut silent_failures = Vec::new();
    let mut silent_passing = Vec::new();
    let mut silent_rows = 0;
    println!(
        "\nfold changes off their truth by more than {:.0} % with no flag:",
        100.0 * SILENT_ERROR
    );
    for SynthRow {
        preset,
        untransformed_silent,
        cells,
        ..
    } in &rows
    {
        // The untransformed run is the cell `none`.
        let untransformed = ("none", untransformed_silent);
        let transformed = cells
            .iter()
            .filter_map(|(name, c)| c.as_ref().map(|c| (name.as_str(), &c.silent)));
        for (name, silent) in std::iter::once(untransformed).chain(transformed) {
            let known = KNOWN_SILENT_CELLS.contains(&(preset, name));
            if !silent.is_empty() {
                silent_rows += silent.len();
                println!("  {preset} {name}: {}", silent.join(", "));
                if !known {
                    silent_failures.push(format!("(\"{preset}\", \"{name}\"),"));
                }
            } else if known {
                silent_passing.push(format!("{preset} {name}"));
            }
        }
    }
    println!("{silent_rows} rows");
    assert_ratchet(
        &failures,
        &newly_passing,
        "fold changes changed under a transform",
    );
    assert_ratchet(
        &silent_failures,
        &silent_passing,
        "fold changes far from their truth without a flag",
    );
}

/// (preset, transform) cells of [`fold_changes_survive_transforms_of_synthetic_experiments`]
/// (`none`: the untransformed run) with fold changes off their truth by more than
/// [`SILENT_ERROR`] and no flag at all (any flag counts as saying the value is in doubt):
/// none today. (The doublet binned 3×3 was one, its caspase-1 p20 band 3-5 px high not parted
/// from its neighbour by 1.5 rows of smoothing, lanes 4-7 −28 to −36 %, until the smoothing
/// followed the bands' height.)
const KNOWN_SILENT_CELLS: &[(&str, &str)] = &[];

/// The 13-lane strip's right half: each of its seven bands is darker at both ends, so its
/// column profile reads 14 lanes half a pitch apart about as well as 7 (95 % of the lane
/// contrast), and no row of bands stands in (they drop by more than a band's height across
/// the strip, and one is faint). The 14 lanes' boundaries run through its bands and the 7
/// lanes' through none: 7 lanes are placed (before the bands decided, 14), and the image is
/// flagged `count-ambiguous`; the whole strip, whose 13 lanes read one way, is not.
#[test]
fn a_strips_half_read_two_ways_is_flagged() {
    let Some(path) = common::realdata_file("wb_strip_13lanes_chibidragon.png") else {
        return;
    };
    let reasons = |image: &Path| -> String {
        let plan = manifest::lone_image_plan(image, &Params::default());
        let run = batch::analyze_planned(&plan, None).expect("the image is analyzed");
        run.results.detection[0].reasons.clone()
    };
    let untransformed = lanes_of(&path, None);
    assert_eq!(untransformed.centres.len(), 13);
    assert!(!reasons(&path).contains("count-ambiguous"));
    let tmp = tempfile::tempdir().unwrap();
    let (out, expected) = part_written(&path, &untransformed, "right", &tmp);
    assert_eq!(expected.len(), 7);
    let found = reasons(&out);
    assert!(found.contains("count-ambiguous"), "{found}");
    assert_eq!(lanes_of(&out, None).centres.len(), 7);
}

/// A blot holds two lanes or more: wherever the automatic count of an image comes out as one
/// lane (its lanes read as one, or lanes that run across the image left so), the lanes get
/// `count-ambiguous`, and a warning says why. Asked of every real image turned 90° (the
/// sideways film of three wide lanes, whose dark lane edges outweigh its bands, reads so).
#[test]
fn an_automatic_count_of_one_lane_is_flagged() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut unflagged = Vec::new();
    for (file, _, _) in STATED {
        let picture = read_picture(&dir.join(file));
        let (turned, _) = transformed("turn90", &picture, &[]).expect("an image turns");
        let out = tmp.path().join(format!("turn90-{file}.png"));
        write_picture(&turned, &out);
        let plan = manifest::lone_image_plan(&out, &Params::default());
        let Ok(run) = batch::analyze_planned(&plan, None) else {
            continue;
        };
        let results = run.results;
        let one_lane = results.detection.iter().filter(|d| d.lanes == 1);
        for detection in one_lane {
            let flagged = detection.reasons.split(';').any(|r| r == "count-ambiguous");
            let warned = results
                .warnings
                .iter()
                .any(|w| w.contains("one lane found"));
            if !(flagged && warned) {
                unflagged.push(format!("{file}: {}", detection.reasons));
            }
        }
    }
    assert!(unflagged.is_empty(), "{unflagged:#?}");
}

/// A counted grid that leaves a band of the image's evenly spaced row outside every lane has
/// left out lanes the image shows, as a stated count's grid does: it gets `lane-beyond-grid`
/// (verdict `check`) and a warning naming the band. The FXN panel shaded is counted 6 lanes
/// for its 8, a band of its row beside the grid.
#[test]
fn a_counted_grid_leaving_a_band_of_its_row_out_is_flagged() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let picture = read_picture(&dir.join("pmc_fxn_vcl_values.png"));
    let (shaded, _) = transformed("shade", &picture, &[]).expect("an image shades");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shade-fxn.png");
    write_picture(&shaded, &out);
    let plan = manifest::lone_image_plan(&out, &Params::default());
    let results = batch::analyze_planned(&plan, None).unwrap().results;
    let detection = &results.detection[0];
    assert_ne!(detection.lanes, 8);
    assert!(
        detection
            .reasons
            .split(';')
            .any(|r| r == "lane-beyond-grid"),
        "{}",
        detection.reasons
    );
    assert!(
        results
            .warnings
            .iter()
            .any(|w| w.contains("outside every lane") && w.contains("count left out")),
        "{:#?}",
        results.warnings
    );
}

/// A grid that leaves out a lane of four bands or more (a ladder, a lane of a gel) is not the
/// image's layout: it gets `lane-beyond-grid` and a warning naming the lane. The Ponceau
/// membrane binned 3x3 is counted 2 lanes for its 9-10, its middle ladder outside the grid;
/// no real image counted right gets the warning.
#[test]
fn a_grid_leaving_out_a_lane_of_bands_is_flagged() {
    let Some(dir) = common::realdata() else {
        return;
    };
    let left_out = |results: &blotquant::results::Results| {
        let flagged = results.detection[0]
            .reasons
            .split(';')
            .any(|r| r == "lane-beyond-grid");
        let warned = results.warnings.iter().any(|w| w.contains("bands or more"));
        flagged && warned
    };
    let path = dir.join("ponceau_membrane_vlab.jpg");
    let picture = read_picture(&path);
    let centres = lanes_of(&path, None).centres;
    let (binned, _) = transformed("bin3", &picture, &centres).expect("its lanes stay wide");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bin3-ponceau.png");
    write_picture(&binned, &out);
    let plan = manifest::lone_image_plan(&out, &Params::default());
    let results = batch::analyze_planned(&plan, None).unwrap().results;
    assert!(!(9..=10).contains(&results.detection[0].lanes));
    assert!(left_out(&results), "{:#?}", results.warnings);
    let mut counted_right_but_flagged = Vec::new();
    for (file, low, high) in STATED {
        let plan = manifest::lone_image_plan(&dir.join(file), &Params::default());
        let results = batch::analyze_planned(&plan, None).unwrap().results;
        let lanes = results.detection[0].lanes;
        if (low..=high).contains(&lanes) && left_out(&results) {
            counted_right_but_flagged.push(file);
        }
    }
    assert!(
        counted_right_but_flagged.is_empty(),
        "{counted_right_but_flagged:?}"
    );
}
