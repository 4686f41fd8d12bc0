//! Bio-Rad Image Lab `.scn` files, written here from the format (a MIME multipart document: an
//! item header, then per scan an XML image header and the raw little-endian 16-bit counts),
//! read back to the exact pixels, with the polarity and acquisition facts their headers give.

mod common;

use std::path::Path;

use blotquant::io::{self, Polarity};
use blotquant::params::{LoadParams, Params};
use serde_json::Value;

/// What a test file's image header says.
struct Header<'a> {
    zero_is: &'a str,
    application: &'a str,
    data_ceiling: u16,
}

const CHEMI: Header = Header {
    zero_is: "white",
    application: "Chemi High Resolution",
    data_ceiling: 60000,
};

/// An Image Lab file holding one `width`×`height` scan of `counts` (row-major).
fn scn_bytes(width: usize, height: usize, counts: &[u16], header: &Header) -> Vec<u8> {
    assert_eq!(counts.len(), width * height);
    let item = "<!DOCTYPE XML>\n<ItemHeaderTag><name>test blot</name><user>lab</user>\
        <FileAuthoringInfo><version>6.1.0 build 7</version></FileAuthoringInfo></ItemHeaderTag>";
    let image_header = format!(
        "<!DOCTYPE XML>\n<ImageHeader><size_pix width=\"{width}\" height=\"{height}\"/>\
         <size_mm known=\"true\" width=\"{}\" height=\"{}\"/><endian>little</endian>\
         <image zero_is=\"{}\"/><scanner data_ceiling=\"{}\" max_value=\"65535\"/>\
         <scan_attributes><imager value=\"ChemiDoc Touch Imaging System\"/>\
         <application value=\"{}\"/><exposure_time value=\"12.5\"/>\
         <binning value=\"2x2\"/><image_date value=\"2026-11-30T09:41:07\"/>\
         </scan_attributes></ImageHeader>",
        width as f64 * 0.1,
        height as f64 * 0.1,
        header.zero_is,
        header.data_ceiling,
        header.application
    );
    let data: Vec<u8> = counts.iter().flat_map(|c| c.to_le_bytes()).collect();
    let mut out = Vec::new();
    out.extend_from_slice(
        b"MIME-Version: 1.0 (Created with Image Lab 6.1)\r\n\
          Content-Type: multipart/mixed; boundary=\"scnboundary\"\r\n\r\n",
    );
    let part = |out: &mut Vec<u8>, boundary: &str, kind: &str, name: &str, body: &[u8]| {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Type: {kind}\r\nContent-Description: {name}\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    };
    part(
        &mut out,
        "scnboundary",
        "text/xml",
        "ItemHeaderTag",
        item.as_bytes(),
    );
    out.extend_from_slice(
        b"--scnboundary\r\nContent-Type: multipart/mixed; boundary=\"scanboundary\"\r\n\
          Content-Description: ScanImageTag\r\n\r\n",
    );
    part(
        &mut out,
        "scanboundary",
        "text/xml",
        "ImageHeader",
        image_header.as_bytes(),
    );
    part(
        &mut out,
        "scanboundary",
        "application/octet-stream",
        "ImageData",
        &data,
    );
    out.extend_from_slice(b"--scanboundary--\r\n--scnboundary--\r\n");
    out
}

/// A 40×30 pattern: background 1000 with a ramp, a band of 9000 in rows 10..14.
fn pattern() -> Vec<u16> {
    (0..30 * 40)
        .map(|i| {
            let (y, x) = (i / 40, i % 40);
            if (10..14).contains(&y) && (5..35).contains(&x) {
                9000
            } else {
                1000 + x as u16
            }
        })
        .collect()
}

fn load(bytes: &[u8]) -> blotquant::Result<io::Blot> {
    io::load_bytes(Path::new("blot.scn"), bytes, None, &LoadParams::default())
}

#[test]
fn an_scn_file_reads_to_its_exact_counts_with_its_own_polarity_and_ceiling() {
    let counts = pattern();
    for zero_is in ["white", "black"] {
        let header = Header { zero_is, ..CHEMI };
        let blot = load(&scn_bytes(40, 30, &counts, &header)).unwrap();
        assert_eq!(blot.bit_depth, 16);
        assert_eq!(blot.signal.dim(), (30, 40));
        for (i, &c) in counts.iter().enumerate() {
            assert_eq!(blot.signal[[i / 40, i % 40]], f32::from(c), "pixel {i}");
        }
        let shown = if zero_is == "white" {
            Polarity::DarkBands
        } else {
            Polarity::LightBands
        };
        assert_eq!(blot.polarity, shown, "zero_is = {zero_is}");
        assert_eq!(blot.saturation_level, 60000.0);
        let acquisition = blot.acquisition.expect("an .scn states its acquisition");
        assert_eq!(
            acquisition.instrument.as_deref(),
            Some("ChemiDoc Touch Imaging System")
        );
        assert_eq!(acquisition.exposure_s, Some(12.5));
        assert_eq!(acquisition.binning.as_deref(), Some("2x2"));
        assert_eq!(acquisition.date.as_deref(), Some("2026-11-30T09:41:07"));
        assert!(acquisition.format.contains("Image Lab"), "{acquisition:?}");
    }
}

/// Counts of light are signal whatever the histogram says: a chemiluminescent image whose
/// bands cover most of it (so the histogram's long tail points the other way) keeps the high
/// counts as signal. A white-light scan is left to the histogram.
#[test]
fn the_header_not_the_histogram_decides_a_chemi_images_polarity() {
    let counts: Vec<u16> = (0..30 * 40)
        .map(|i| if (i / 40) % 10 == 0 { 500 } else { 8000 })
        .collect();
    let blot = load(&scn_bytes(40, 30, &counts, &CHEMI)).unwrap();
    assert_eq!(blot.signal[[5, 5]], 8000.0, "high counts are signal");
    let stained = Header {
        zero_is: "black",
        application: "Colorimetric",
        data_ceiling: 65535,
    };
    let blot = load(&scn_bytes(40, 30, &counts, &stained)).unwrap();
    assert_eq!(
        blot.polarity,
        Polarity::DarkBands,
        "a white-light scan's minority of dark rows are its bands"
    );
}

#[test]
fn a_truncated_or_foreign_mime_file_is_refused_naming_it() {
    let bytes = scn_bytes(40, 30, &pattern(), &CHEMI);
    for cut in [40, 300, bytes.len() - 500] {
        let error = load(&bytes[..cut]).unwrap_err().to_string();
        assert!(error.contains("blot.scn"), "{error}");
        assert!(error.contains(".scn"), "{error}");
    }
    let mail = b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
    let error = load(mail).unwrap_err().to_string();
    assert!(error.contains("blot.scn"), "{error}");
}

/// A synthetic experiment whose 16-bit TIFFs are stored as `.scn` files of the same counts
/// gives the same fold changes, and `results.json` carries each image's acquisition.
#[test]
fn an_experiment_in_scn_files_gives_the_tiff_fold_changes_and_states_the_acquisition() {
    let tmp = tempfile::tempdir().unwrap();
    let (tiffs, scns) = common::twin_experiments(tmp.path(), 5);
    for entry in std::fs::read_dir(&scns).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tif") {
            let raw = io::load_raw_gray(&path, &LoadParams::default()).unwrap();
            let blot = io::load(&path, None, &LoadParams::default()).unwrap();
            let header = Header {
                zero_is: if blot.polarity == Polarity::DarkBands {
                    "white"
                } else {
                    "black"
                },
                data_ceiling: 65535,
                ..CHEMI
            };
            // Stored counts: the TIFF's as stored, shown inverted where it is WhiteIsZero.
            let counts: Vec<u16> = blot.signal.iter().map(|&v| v as u16).collect();
            assert_eq!(counts.len(), raw.width * raw.height);
            let bytes = scn_bytes(raw.width, raw.height, &counts, &header);
            std::fs::write(path.with_extension("scn"), bytes).unwrap();
            std::fs::remove_file(&path).unwrap();
        }
    }
    common::edit_manifest(&scns, |m| {
        for image in m["images"].as_array_mut().unwrap() {
            let file = image["file"].as_str().unwrap().replace(".tif", ".scn");
            image["file"] = Value::String(file);
        }
    });
    let params = Params::default();
    let a = blotquant::analyze(&tiffs, &params).unwrap().results;
    let b = blotquant::analyze(&scns, &params).unwrap().results;
    common::assert_same_fold_changes(&a, &b);
    assert!(a.detection.iter().all(|d| d.acquisition.is_none()));
    for row in &b.detection {
        let acquisition = row.acquisition.as_ref().expect("each .scn states it");
        assert_eq!(acquisition.exposure_s, Some(12.5), "{}", row.image);
    }
    let json = serde_json::to_value(&b).unwrap();
    assert_eq!(
        json["detection"][0]["acquisition"]["instrument"],
        "ChemiDoc Touch Imaging System"
    );
    assert!(b.methods.contains("Image Lab .scn"), "{}", b.methods);
}
