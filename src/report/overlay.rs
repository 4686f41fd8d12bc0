//! Overlay PNG of one image: the blot (bands dark, contrast stretched), lane boxes, band boxes,
//! target and ladder labels, and saturated pixels in red.

use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_hollow_rect_mut};
use imageproc::rect::Rect;

use crate::io::Blot;
use crate::lanes::LaneGrid;
use crate::pipeline::MeasuredBand;

const LANE: Rgb<u8> = Rgb([40, 110, 230]);
const TARGET: Rgb<u8> = Rgb([0, 170, 60]);
const LADDER: Rgb<u8> = Rgb([230, 150, 0]);
const OTHER: Rgb<u8> = Rgb([150, 150, 150]);
const SATURATED: Rgb<u8> = Rgb([255, 0, 0]);
const LABEL_BG: Rgb<u8> = Rgb([255, 255, 255]);
const TEXT: Rgb<u8> = Rgb([0, 0, 0]);

/// Renders the overlay and encodes it as PNG.
pub fn render(blot: &Blot, grid: &LaneGrid, bands: &[MeasuredBand]) -> Vec<u8> {
    // Small images are drawn at twice the size so labels stay readable.
    let scale: u32 = if blot.width() < 700 { 2 } else { 1 };
    let mut canvas = blot_image(blot, scale);
    let h = blot.height() as u32 * scale;
    for lane in &grid.lanes {
        let (start, end) = lane.columns(blot.width());
        let rect = Rect::at(start as i32 * scale as i32, 0)
            .of_size(((end - start) as u32 * scale).max(1), h);
        draw_hollow_rect_mut(&mut canvas, rect, LANE);
        let label = lane.index.to_string();
        let x = (lane.x_center * scale as f64) as i32 - 4 * label.len() as i32;
        draw_label(&mut canvas, &label, x, 2);
    }
    let mut labelled: Vec<&str> = Vec::new();
    for band in bands {
        let lane = &grid.lanes[band.peak.lane - 1];
        let (start, end) = lane.columns(blot.width());
        let colour = match band.target.as_deref() {
            Some("ladder") => LADDER,
            Some(_) => TARGET,
            None => OTHER,
        };
        let rect = Rect::at(
            start as i32 * scale as i32,
            band.peak.top as i32 * scale as i32,
        )
        .of_size(
            ((end - start) as u32 * scale).max(1),
            ((band.peak.bottom - band.peak.top + 1) as u32 * scale).max(1),
        );
        draw_hollow_rect_mut(&mut canvas, rect, colour);
        match band.target.as_deref() {
            Some("ladder") => {
                if let Some(mw) = band.apparent_mw_kda {
                    let text = format!("{mw:.0}");
                    let x = start as i32 * scale as i32 - 8 * text.len() as i32 - 2;
                    draw_label(
                        &mut canvas,
                        &text,
                        x.max(0),
                        (band.peak.y * scale as f64) as i32 - 4,
                    );
                }
            }
            Some(name) if !labelled.contains(&name) => {
                labelled.push(name);
                let y = band.peak.top as i32 * scale as i32 - 11;
                draw_label(&mut canvas, name, start as i32 * scale as i32, y.max(0));
            }
            _ => {}
        }
    }
    encode_png(&canvas)
}

/// PNG bytes of an RGB image, compressed for speed: an overlay is mostly smooth grey, which
/// fast deflate already packs well, and the best level costs more than the analysis.
pub fn encode_png(canvas: &RgbImage) -> Vec<u8> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    use image::ImageEncoder;
    let mut png = Vec::new();
    PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            canvas.as_raw(),
            canvas.width(),
            canvas.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("encoding a PNG in memory cannot fail");
    png
}

/// The blot as a viewer shows a film: bands dark on light, stretched between the 0.5th and
/// 99.99th percentiles of the signal; saturated pixels red.
fn blot_image(blot: &Blot, scale: u32) -> RgbImage {
    // The display stretch needs no exact quantiles: a quarter million samples suffice.
    let mut values = crate::stats::sample_evenly(blot.signal.iter(), 250_000);
    let rank = |f: f64| ((values.len() - 1) as f64 * f) as usize;
    let ranks = [rank(0.005), rank(0.9999)];
    let stretch = crate::stats::order_statistics_f32(&mut values, &ranks);
    let (low, high) = (stretch[0], stretch[1].max(stretch[0] + 1.0));
    let (w, h) = (blot.width() as u32, blot.height() as u32);
    RgbImage::from_fn(w * scale, h * scale, |x, y| {
        let v = blot.signal[[(y / scale) as usize, (x / scale) as usize]];
        if v >= blot.saturation_level {
            return SATURATED;
        }
        let t = ((v - low) / (high - low)).clamp(0.0, 1.0);
        let g = (255.0 * (1.0 - t)) as u8;
        Rgb([g, g, g])
    })
}

/// Text in an 8×8 bitmap font on a white box.
fn draw_label(canvas: &mut RgbImage, text: &str, x: i32, y: i32) {
    let glyphs: Vec<[u8; 8]> = text.chars().map(glyph).collect();
    let width = 8 * glyphs.len() as u32 + 2;
    draw_filled_rect_mut(canvas, Rect::at(x - 1, y - 1).of_size(width, 10), LABEL_BG);
    for (k, rows) in glyphs.iter().enumerate() {
        for (dy, bits) in rows.iter().enumerate() {
            for dx in 0..8 {
                if bits & (1 << dx) != 0 {
                    let (px, py) = (x + 8 * k as i32 + dx, y + dy as i32);
                    if px >= 0
                        && py >= 0
                        && (px as u32) < canvas.width()
                        && (py as u32) < canvas.height()
                    {
                        canvas.put_pixel(px as u32, py as u32, TEXT);
                    }
                }
            }
        }
    }
}

fn glyph(ch: char) -> [u8; 8] {
    use font8x8::UnicodeFonts;
    font8x8::BASIC_FONTS
        .get(ch)
        .or_else(|| font8x8::GREEK_FONTS.get(ch))
        .or_else(|| font8x8::LATIN_FONTS.get(ch))
        .unwrap_or([0; 8])
}
