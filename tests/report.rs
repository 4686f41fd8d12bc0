//! `report.html`: self-contained, every image and target in it, and it renders in a browser.

mod common;

use std::path::Path;

use assert_cmd::Command;
use base64::Engine as _;

fn blotquant() -> Command {
    Command::cargo_bin("blotquant").unwrap()
}

/// Two synthetic experiments analyzed in one batch; returns the output folder's report.
fn batch_report(tmp: &Path) -> String {
    for seed in [61, 62] {
        blotquant()
            .args(["synth", "--seed", &seed.to_string()])
            .arg(tmp.join(format!("in/e{seed}")))
            .assert()
            .success();
    }
    blotquant()
        .arg("batch")
        .arg(tmp.join("in"))
        .arg("-o")
        .arg(tmp.join("out"))
        .assert()
        .success();
    std::fs::read_to_string(tmp.join("out/report.html")).unwrap()
}

#[test]
fn report_is_self_contained_and_shows_every_image_and_target() {
    let tmp = tempfile::tempdir().unwrap();
    let html = batch_report(tmp.path());
    for external in ["<script", "src=\"http", "href=\"http", "url(http", "<link"] {
        assert!(!html.contains(external), "report refers out: {external}");
    }
    // Every image's overlay is embedded and is a valid JPEG of the overlay's size.
    let marker = "src=\"data:image/jpeg;base64,";
    let overlays: Vec<&str> = html
        .split(marker)
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert_eq!(overlays.len(), 8, "2 experiments × 4 images");
    // Over each JPEG lies its lines layer: a lossless PNG of the same size, transparent but
    // for the lines and labels.
    let layers: Vec<&str> = html
        .split("<img class=\"lines\" alt=\"\" src=\"data:image/png;base64,")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert_eq!(layers.len(), 8, "one lines layer per overlay");
    for (b64, layer) in overlays.iter().zip(&layers) {
        let decode = |text: &str| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap();
            image::load_from_memory(&bytes).unwrap()
        };
        let (photo, lines) = (decode(b64), decode(layer).to_rgba8());
        assert!(photo.width() >= 528 && photo.height() >= 420);
        assert_eq!(
            (lines.width(), lines.height()),
            (photo.width(), photo.height())
        );
        let drawn = lines.pixels().filter(|p| p.0[3] > 0).count();
        let share = drawn as f64 / (lines.width() * lines.height()) as f64;
        assert!(share > 0.001 && share < 0.5, "lines cover {share}");
    }
    // Each blot states the overlay's scale and its lanes' conditions, in a section of its own.
    assert_eq!(html.matches("<details class=\"blot\">").count(), 8);
    assert_eq!(html.matches("drawn at 2× the image's size").count(), 8);
    assert_eq!(html.matches("lanes: 1 ").count(), 8);
    // One chart and one summary table per quantified target; one profile panel per image.
    for target in [
        "NLRP3",
        "pro-caspase-1",
        "caspase-1 p20",
        "pro-IL-1β",
        "IL-1β p17",
    ] {
        assert!(html.contains(&format!("<h3>{target}</h3>")), "{target}");
    }
    assert_eq!(html.matches("<div class=\"chart\"><svg").count(), 5);
    assert_eq!(html.matches("<div class=\"profiles\"><svg").count(), 8);
    // Nine lane panels per image (captions are SVG text on a line of their own).
    assert_eq!(html.matches("\nlane 9\n</text>").count(), 8);
    assert!(html.contains("id=\"methods\""));
}

#[test]
fn report_renders_in_headless_chromium_without_console_messages() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        common::skipped("no chromium on this machine (apt-get install -y chromium)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    batch_report(tmp.path());
    let report = tmp.path().join("out/report.html");
    let output = std::process::Command::new("timeout")
        .arg("120")
        .arg(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("file://{}", report.display()))
        .output()
        .unwrap();
    assert!(output.status.success(), "chromium failed");
    let log = String::from_utf8_lossy(&output.stderr);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(
        dom.contains("Fold change") && dom.contains("<svg"),
        "page rendered"
    );
}
