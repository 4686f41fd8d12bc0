//! Overlay PNG of one image: the blot (bands dark, contrast stretched), lane boxes, band boxes,
//! target and ladder labels, and saturated pixels in red.

use image::{Rgb, RgbImage, Rgba, RgbaImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_hollow_rect_mut, draw_line_segment_mut};
use imageproc::rect::Rect;
use rayon::prelude::*;

use crate::bands::MeasuredBand;
use crate::catalog;
use crate::io::Blot;
use crate::lanes::LaneGrid;
use crate::results::Overlay;

const LANE: Rgba<u8> = Rgba([40, 110, 230, 255]);
const TARGET: Rgba<u8> = Rgba([0, 170, 60, 255]);
const LADDER: Rgba<u8> = Rgba([230, 150, 0, 255]);
const OTHER: Rgba<u8> = Rgba([150, 150, 150, 255]);
/// Lanes a person should check, and where the image shows a lane the grid does not place.
const DOUBT: Rgba<u8> = Rgba([220, 0, 200, 255]);
const SATURATED: Rgb<u8> = Rgb([255, 0, 0]);
const LABEL_BG: Rgba<u8> = Rgba([255, 255, 255, 255]);
const TEXT: Rgba<u8> = Rgba([0, 0, 0, 255]);

/// Overlays are drawn at most about this wide: small blots are enlarged so labels stay
/// readable, large ones shrunk by a whole factor (the PNG is for checking lanes and boxes by
/// eye; a full-size 16-bit blot as an RGB PNG would be megabytes of noise).
const TARGET_WIDTH: usize = 1100;

/// Canvas pixels per image pixel: 2 for small blots, 1/k for large ones.
fn zoom_for(width: usize) -> Zoom {
    if width * 2 <= TARGET_WIDTH {
        Zoom::In(2)
    } else if width <= TARGET_WIDTH {
        Zoom::In(1)
    } else {
        Zoom::Out(width.div_ceil(TARGET_WIDTH))
    }
}

#[derive(Clone, Copy)]
enum Zoom {
    /// Each image pixel becomes k × k canvas pixels.
    In(usize),
    /// Each canvas pixel is the mean of k × k image pixels.
    Out(usize),
}

impl Zoom {
    fn factor(self) -> f64 {
        match self {
            Zoom::In(k) => k as f64,
            Zoom::Out(k) => 1.0 / k as f64,
        }
    }
}

/// Renders the overlay and encodes it: the blot as a photo, and the lines and labels as a
/// layer of their own, so the report can show the photo compressed and the lines lossless on
/// top of it; the PNG for `overlays/` is the two together.
pub fn render(blot: &Blot, grid: &LaneGrid, bands: &[MeasuredBand]) -> Overlay {
    let zoom = zoom_for(blot.width());
    let photo = blot_image(blot, zoom);
    let lines = lines_layer(blot, grid, bands, zoom, photo.width(), photo.height());
    let mut together = photo.clone();
    for (x, y, pixel) in lines.enumerate_pixels() {
        if pixel.0[3] > 0 {
            together.put_pixel(x, y, Rgb([pixel.0[0], pixel.0[1], pixel.0[2]]));
        }
    }
    let ((png, jpeg), lines_png) = rayon::join(
        || rayon::join(|| encode_png(&together), || encode_jpeg(&photo)),
        || encode_png_rgba(&lines),
    );
    Overlay {
        png,
        jpeg,
        lines_png,
        scale: zoom.factor(),
    }
}

/// Lane edges and numbers, band boxes and labels on a transparent canvas of the photo's size.
fn lines_layer(
    blot: &Blot,
    grid: &LaneGrid,
    bands: &[MeasuredBand],
    zoom: Zoom,
    width: u32,
    h: u32,
) -> RgbaImage {
    let z = zoom.factor();
    let at = |v: f64| (v * z).floor() as i32;
    let span = |v: f64| ((v * z).round() as u32).max(1);
    let mut canvas = RgbaImage::new(width, h);
    let last_row = (blot.height() - 1) as f64;
    for (lane, doubtful) in grid.lanes.iter().zip(grid.doubtful_lanes()) {
        // The lane's two edges from the top row to the bottom one (leaning with the lane).
        for side in [-0.5, 0.5] {
            let edge = |y: f64| ((lane.x_at(y) + side * lane.width) * z) as f32;
            draw_line_segment_mut(
                &mut canvas,
                (edge(0.0), 0.0),
                (edge(last_row), (h - 1) as f32),
                if doubtful { DOUBT } else { LANE },
            );
        }
        let label = format!("{}{}", lane.index, if doubtful { "?" } else { "" });
        let x = at(lane.x_at(0.0)) - 4 * label.len() as i32;
        draw_label(&mut canvas, &label, x, 2);
    }
    // A lane the image shows and the grid does not place: a dashed line down its band's
    // column, marked "?".
    for &x in &grid.bands_left_out {
        let column = (x * z) as f32;
        let dash = 6.0;
        let mut y = 14.0;
        while y < h as f32 {
            let end = (y + dash).min((h - 1) as f32);
            draw_line_segment_mut(&mut canvas, (column, y), (column, end), DOUBT);
            y += 2.0 * dash;
        }
        draw_label(&mut canvas, "?", at(x) - 4, 2);
    }
    let mut labelled: Vec<&str> = Vec::new();
    for band in bands {
        let lane = &grid.lanes[band.peak.lane - 1];
        let (start, end) = lane.columns_at(band.peak.y, blot.width());
        let colour = match band.target.as_deref() {
            Some(catalog::LADDER) => LADDER,
            Some(_) => TARGET,
            None => OTHER,
        };
        let rect = Rect::at(at(start as f64), at(band.peak.top as f64)).of_size(
            span((end - start) as f64),
            span((band.peak.bottom - band.peak.top + 1) as f64),
        );
        draw_hollow_rect_mut(&mut canvas, rect, colour);
        match band.target.as_deref() {
            Some(catalog::LADDER) => {
                if let Some(mw) = band.apparent_mw_kda {
                    let text = format!("{mw:.0}");
                    let x = at(start as f64) - 8 * text.len() as i32 - 2;
                    draw_label(&mut canvas, &text, x.max(0), at(band.peak.y) - 4);
                }
            }
            Some(name) if !labelled.contains(&name) => {
                labelled.push(name);
                let y = at(band.peak.top as f64) - 11;
                draw_label(&mut canvas, name, at(start as f64), y.max(0));
            }
            _ => {}
        }
    }
    canvas
}

/// PNG bytes of an RGBA layer (mostly transparent, so it packs small).
fn encode_png_rgba(canvas: &RgbaImage) -> Vec<u8> {
    fast_png(
        canvas.as_raw(),
        canvas.width(),
        canvas.height(),
        image::ExtendedColorType::Rgba8,
    )
}

/// PNG bytes of an RGB image, compressed for speed: an overlay is mostly smooth grey, which
/// fast deflate already packs well, and the best level costs more than the analysis.
pub fn encode_png(canvas: &RgbImage) -> Vec<u8> {
    fast_png(
        canvas.as_raw(),
        canvas.width(),
        canvas.height(),
        image::ExtendedColorType::Rgb8,
    )
}

fn fast_png(raw: &[u8], width: u32, height: u32, colour: image::ExtendedColorType) -> Vec<u8> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    use image::ImageEncoder;
    let mut png = Vec::new();
    PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive)
        .write_image(raw, width, height, colour)
        .expect("encoding a PNG in memory cannot fail");
    png
}

/// JPEG bytes of an RGB image at quality 85: a fraction of the PNG's size on noisy blots; the
/// report shows the photo this way, with the lines drawn over it losslessly. (jpeg-encoder's SIMD path is several times faster than the
/// `image` crate's encoder.) Empty when the canvas is beyond JPEG's 65535-pixel sides.
fn encode_jpeg(canvas: &RgbImage) -> Vec<u8> {
    let (Ok(width), Ok(height)) = (
        u16::try_from(canvas.width()),
        u16::try_from(canvas.height()),
    ) else {
        return Vec::new();
    };
    let mut jpeg = Vec::new();
    let encoded = jpeg_encoder::Encoder::new(&mut jpeg, 85).encode(
        canvas.as_raw(),
        width,
        height,
        jpeg_encoder::ColorType::Rgb,
    );
    if encoded.is_err() {
        jpeg.clear();
    }
    jpeg
}

/// The blot in grey (bands dark), contrast stretched between the 0.5th and 99.99th
/// percentiles, saturated pixels red; zoomed in by repeating pixels or out by block means
/// (a block with a saturated pixel shows red, so none goes unseen).
fn blot_image(blot: &Blot, zoom: Zoom) -> RgbImage {
    // The display stretch needs no exact quantiles: a quarter million samples suffice.
    let mut values = crate::stats::sample_evenly(blot.signal.iter(), 250_000);
    let rank = |f: f64| ((values.len() - 1) as f64 * f) as usize;
    let ranks = [rank(0.005), rank(0.9999)];
    let stretch = crate::stats::order_statistics_f32(&mut values, &ranks);
    let (low, high) = (stretch[0], stretch[1].max(stretch[0] + 1.0));
    let grey = |v: f32| {
        let t = ((v - low) / (high - low)).clamp(0.0, 1.0);
        let g = (255.0 * (1.0 - t)) as u8;
        Rgb([g, g, g])
    };
    let (w, h) = (blot.width(), blot.height());
    match zoom {
        Zoom::In(k) => RgbImage::from_fn((w * k) as u32, (h * k) as u32, |x, y| {
            let v = blot.signal[[y as usize / k, x as usize / k]];
            if v >= blot.saturation_level {
                SATURATED
            } else {
                grey(v)
            }
        }),
        Zoom::Out(k) => {
            let (cw, ch) = ((w / k).max(1), (h / k).max(1));
            // Canvas rows in parallel, each from its own k image rows.
            let mut pixels = vec![0u8; cw * ch * 3];
            pixels
                .par_chunks_mut(cw * 3)
                .enumerate()
                .for_each(|(cy, out)| {
                    let mut sums = vec![0f32; cw];
                    let mut saturated = vec![false; cw];
                    let rows = cy * k..((cy + 1) * k).min(h);
                    for row in blot.signal.slice(ndarray::s![rows, ..]).rows() {
                        for (cx, block) in row.as_slice().unwrap_or(&[]).chunks_exact(k).enumerate()
                        {
                            if cx < cw {
                                sums[cx] += block.iter().sum::<f32>();
                                saturated[cx] |= block.iter().any(|&v| v >= blot.saturation_level);
                            }
                        }
                    }
                    for (cx, pixel) in out.chunks_exact_mut(3).enumerate() {
                        let Rgb(rgb) = if saturated[cx] {
                            SATURATED
                        } else {
                            grey(sums[cx] / (k * k) as f32)
                        };
                        pixel.copy_from_slice(&rgb);
                    }
                });
            RgbImage::from_raw(cw as u32, ch as u32, pixels).expect("three bytes per pixel")
        }
    }
}

/// Text in an 8×8 bitmap font on a white box.
fn draw_label(canvas: &mut RgbaImage, text: &str, x: i32, y: i32) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::{grid_of, Lane};
    use ndarray::Array2;

    /// Columns of the layer (canvas px) that hold a pixel of `colour` below the label row.
    fn columns_in(layer: &RgbaImage, colour: Rgba<u8>) -> Vec<u32> {
        (0..layer.width())
            .filter(|&x| (20..layer.height()).any(|y| *layer.get_pixel(x, y) == colour))
            .collect()
    }

    #[test]
    fn a_grid_in_doubt_marks_its_faint_lane_and_the_lane_it_leaves_out() {
        let blot = Blot::of_signal("blank.tif", Array2::zeros((100, 300)));
        let lanes = (0..4)
            .map(|i| Lane::upright(i + 1, 40.0 + 50.0 * i as f64, 30.0, true))
            .collect();
        let mut grid = grid_of(lanes, 50.0, &blot.signal);
        let zoom = zoom_for(blot.width());
        let draw = |grid: &LaneGrid| lines_layer(&blot, grid, &[], zoom, 600, 200);

        // A clear grid: nothing in doubt, every lane edge drawn as a lane.
        assert!(columns_in(&draw(&grid), DOUBT).is_empty());

        // Lane 4 faint, and a band of the row at x 240 outside every lane.
        grid.lane_contrast[3] = 0.05;
        grid.bands_left_out = vec![240.0];
        let layer = draw(&grid);
        let doubt = columns_in(&layer, DOUBT);
        // Lane 4's edges (x 175 and 205, canvas 350 and 410) and the dashed line at 480.
        assert_eq!(doubt, vec![350, 410, 480], "doubt drawn at {doubt:?}");
        // The other lanes keep the lane colour: lane 1's edges at x 25 and 55.
        let lane = columns_in(&layer, LANE);
        assert!(lane.contains(&50) && lane.contains(&110), "{lane:?}");
        assert!(!lane.contains(&350), "{lane:?}");

        // Faint alone (no sign of a lane count off) is no doubt about the lane.
        grid.bands_left_out.clear();
        assert!(columns_in(&draw(&grid), DOUBT).is_empty());
    }
}
