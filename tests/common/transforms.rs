//! Transforms that do not change which lanes an image holds or what its bands hold
//! (resampled, mirrored, stored the other polarity, shaded, turned, framed, cropped,
//! re-encoded, sprinkled with hot and dead pixels, exposed noisier, given a contrast curve),
//! shared by the invariance tests.

use std::path::Path;

use blotquant::io::{self, Polarity};
use blotquant::params::Params;
use ndarray::Array2;

/// The median distance between neighbouring `centres` (NaN for fewer than two).
pub fn median_gap(centres: &[f64]) -> f64 {
    let mut gaps: Vec<f64> = centres.windows(2).map(|w| w[1] - w[0]).collect();
    if gaps.is_empty() {
        return f64::NAN;
    }
    gaps.sort_by(f64::total_cmp);
    gaps[gaps.len() / 2]
}

/// An image as the transforms see it: display values (high is light, as a viewer shows it)
/// and the bit depth it is written back at.
pub struct Picture {
    pub display: Array2<f32>,
    pub full_scale: f32,
    pub sixteen_bit: bool,
}

pub fn read_picture(path: &Path) -> Picture {
    let blot = io::load(path, None, &Params::default().load).unwrap();
    let sixteen_bit = blot.bit_depth == 16;
    let full_scale = if sixteen_bit { 65535.0 } else { 255.0 };
    let display = match blot.polarity {
        Polarity::LightBands => blot.signal.clone(),
        Polarity::DarkBands => blot.signal.mapv(|v| full_scale - v),
    };
    Picture {
        display,
        full_scale,
        sixteen_bit,
    }
}

pub fn write_picture(picture: &Picture, path: &Path) {
    let (h, w) = picture.display.dim();
    let clamp = |v: f32| v.round().clamp(0.0, picture.full_scale);
    if picture.sixteen_bit {
        let buffer = image::ImageBuffer::from_fn(w as u32, h as u32, |x, y| {
            image::Luma([clamp(picture.display[[y as usize, x as usize]]) as u16])
        });
        image::DynamicImage::ImageLuma16(buffer).save(path).unwrap();
    } else {
        let buffer = image::ImageBuffer::from_fn(w as u32, h as u32, |x, y| {
            image::Luma([clamp(picture.display[[y as usize, x as usize]]) as u8])
        });
        image::DynamicImage::ImageLuma8(buffer).save(path).unwrap();
    }
}

/// Block means of `factor`×`factor` pixels.
pub fn binned(p: &Array2<f32>, factor: usize) -> Array2<f32> {
    let (h, w) = (p.nrows() / factor, p.ncols() / factor);
    Array2::from_shape_fn((h, w), |(y, x)| {
        let mut sum = 0.0;
        for dy in 0..factor {
            for dx in 0..factor {
                sum += p[[y * factor + dy, x * factor + dx]];
            }
        }
        sum / (factor * factor) as f32
    })
}

/// Bilinear sample at (row, column), edge values beyond the image.
pub fn sample(p: &Array2<f32>, y: f64, x: f64) -> f32 {
    let (h, w) = p.dim();
    let y = y.clamp(0.0, (h - 1) as f64);
    let x = x.clamp(0.0, (w - 1) as f64);
    let (y0, x0) = (y.floor() as usize, x.floor() as usize);
    let (y1, x1) = ((y0 + 1).min(h - 1), (x0 + 1).min(w - 1));
    let (fy, fx) = ((y - y0 as f64) as f32, (x - x0 as f64) as f32);
    let top = p[[y0, x0]] * (1.0 - fx) + p[[y0, x1]] * fx;
    let bottom = p[[y1, x0]] * (1.0 - fx) + p[[y1, x1]] * fx;
    top * (1.0 - fy) + bottom * fy
}

pub fn median(p: &Array2<f32>) -> f32 {
    let mut v: Vec<f32> = p.iter().copied().collect();
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// Random draws that repeat from run to run (a 64-bit linear congruential generator with
/// Knuth's MMIX constants; enough for a test's noise), from a seed.
pub struct Draws(pub u64);

impl Draws {
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Twelve uniforms less six: near enough Gaussian, SD 1.
    pub fn gaussian(&mut self) -> f32 {
        (0..12).map(|_| self.uniform() as f32).sum::<f32>() - 6.0
    }
}

/// How a transform maps an x at the untransformed middle row to the transformed image's
/// middle row, where centres can be compared at all.
pub enum Mapping {
    /// x' = scale · x + offset.
    Linear { scale: f64, offset: f64 },
    /// Centres are not compared (the image was turned): count only.
    CountOnly,
}

/// `name` applied to `p`, with how its x maps; `None` where the transform does not apply.
///
/// `centres`: where the lanes lie at the untransformed image's middle row, left to right (the
/// pitch decides whether binning applies; the outermost lanes where a crop cuts).
pub fn transformed(name: &str, p: &Picture, centres: &[f64]) -> Option<(Picture, Mapping)> {
    let d = &p.display;
    let (h, w) = d.dim();
    let pitch = median_gap(centres);
    let same = |display: Array2<f32>| Picture {
        display,
        full_scale: p.full_scale,
        sixteen_bit: p.sixteen_bit,
    };
    let linear = |scale: f64, offset: f64| Mapping::Linear { scale, offset };
    let (min, max) = d
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    Some(match name {
        "bin2" | "bin3" => {
            let factor = if name == "bin2" { 2 } else { 3 };
            // A NaN pitch (fewer than two lanes) bins nothing either.
            if pitch.is_nan() || pitch / (factor as f64) < 12.0 {
                return None;
            }
            let f = factor as f64;
            (
                same(binned(d, factor)),
                linear(1.0 / f, -(f - 1.0) / (2.0 * f)),
            )
        }
        "up1.5" | "up2.5" => {
            let f = if name == "up1.5" { 1.5 } else { 2.5 };
            let (nh, nw) = ((h as f64 * f) as usize, (w as f64 * f) as usize);
            let up = Array2::from_shape_fn((nh, nw), |(y, x)| {
                sample(d, (y as f64 + 0.5) / f - 0.5, (x as f64 + 0.5) / f - 0.5)
            });
            (same(up), linear(f, (f - 1.0) / 2.0))
        }
        "mirror" => {
            let m = Array2::from_shape_fn((h, w), |(y, x)| d[[y, w - 1 - x]]);
            (same(m), linear(-1.0, (w - 1) as f64))
        }
        "none" => (same(d.clone()), linear(1.0, 0.0)),
        "invert" => (same(d.mapv(|v| p.full_scale - v)), linear(1.0, 0.0)),
        "shade" => {
            // A gradient left to right plus a vignette, together 30 % of the image's range,
            // darkening the way uneven light does.
            let range = max - min;
            let shaded = Array2::from_shape_fn((h, w), |(y, x)| {
                let (u, v) = (x as f32 / w as f32 - 0.5, y as f32 / h as f32 - 0.5);
                let gradient = 0.15 * (u + 0.5);
                let vignette = 0.15 * (u * u + v * v) * 2.0;
                d[[y, x]] - range * (gradient + vignette)
            });
            let lo = shaded.iter().copied().fold(f32::MAX, f32::min);
            let shifted = shaded.mapv(|v| v - lo.min(0.0));
            (same(shifted), linear(1.0, 0.0))
        }
        "turn90" => {
            let t = Array2::from_shape_fn((w, h), |(y, x)| d[[h - 1 - x, y]]);
            (same(t), Mapping::CountOnly)
        }
        "turn-ccw" => {
            // Turned the other way (counter-clockwise): the way a tool that turns sideways
            // lanes clockwise brings back upright, lanes in their order.
            let t = Array2::from_shape_fn((w, h), |(y, x)| d[[x, w - 1 - y]]);
            (same(t), Mapping::CountOnly)
        }
        "rot+2" | "rot-2" => {
            let angle = if name == "rot+2" { 2.0f64 } else { -2.0 }.to_radians();
            let (cy, cx) = ((h as f64 - 1.0) / 2.0, (w as f64 - 1.0) / 2.0);
            let fill = median(d);
            let r = Array2::from_shape_fn((h, w), |(y, x)| {
                let (dy, dx) = (y as f64 - cy, x as f64 - cx);
                let sx = cx + dx * angle.cos() - dy * angle.sin();
                let sy = cy + dx * angle.sin() + dy * angle.cos();
                if sx < 0.0 || sy < 0.0 || sx > (w - 1) as f64 || sy > (h - 1) as f64 {
                    fill
                } else {
                    sample(d, sy, sx)
                }
            });
            (same(r), linear(1.0, 0.0))
        }
        "frame" | "frame0" | "white" => {
            // 15 % of each side added around: at the background's level, black, or white (a
            // figure's margin at the full scale of the file).
            let fill = match name {
                "frame" => median(d),
                "frame0" => 0.0,
                _ => p.full_scale,
            };
            let (my, mx) = ((h as f64 * 0.15) as usize, (w as f64 * 0.15) as usize);
            let f = Array2::from_shape_fn((h + 2 * my, w + 2 * mx), |(y, x)| {
                if y < my || x < mx || y >= my + h || x >= mx + w {
                    fill
                } else {
                    d[[y - my, x - mx]]
                }
            });
            (same(f), linear(1.0, mx as f64))
        }
        "field" | "tray" | "rim" | "ring" => {
            // A noisy surround as an imager sees it, 30 % of each side added around: an
            // empty field at the background's level, or a tray darker than anything on the
            // blot; its noise is the image's own. The tray with a frame line brighter than
            // anything on the blot (or at full scale), a sixtieth of the side wide (3 px at
            // least): its rim at the image's edge, or a ring a third of the way in from it.
            let fill = if name == "field" {
                median(d)
            } else {
                min - 0.1 * (max - min)
            };
            let frame_px = |side: usize| match name {
                "rim" | "ring" => (side / 60).max(3),
                _ => 0,
            };
            let noise = {
                let rows: Vec<f32> = d.rows().into_iter().flat_map(|r| r.to_vec()).collect();
                blotquant::stats::noise_sigma(&rows).max(1.0)
            };
            let (my, mx) = ((h as f64 * 0.3) as usize, (w as f64 * 0.3) as usize);
            let mut draws = Draws(11);
            let f = Array2::from_shape_fn((h + 2 * my, w + 2 * mx), |(y, x)| {
                let (line_y, line_x) = (frame_px(h + 2 * my), frame_px(w + 2 * mx));
                let (inset_y, inset_x) = if name == "ring" {
                    (my / 3, mx / 3)
                } else {
                    (0, 0)
                };
                // Distances from the nearest edge, down and across.
                let (dy, dx) = (y.min(h + 2 * my - 1 - y), x.min(w + 2 * mx - 1 - x));
                let on_line =
                    |d: usize, inset: usize, width: usize| (inset..inset + width).contains(&d);
                let on_frame = line_y > 0
                    && ((on_line(dy, inset_y, line_y) && dx >= inset_x)
                        || (on_line(dx, inset_x, line_x) && dy >= inset_y));
                if on_frame {
                    p.full_scale.min(max + 0.2 * (max - min))
                } else if y < my || x < mx || y >= my + h || x >= mx + w {
                    (fill + noise * draws.gaussian()).clamp(0.0, p.full_scale)
                } else {
                    d[[y - my, x - mx]]
                }
            });
            (same(f), linear(1.0, mx as f64))
        }
        "crop" => {
            // Margins cut to 5 % of the lanes' span beyond the outermost lanes.
            let (first, last) = (*centres.first()?, *centres.last()?);
            let reach = (last - first) * 0.05 + pitch / 2.0;
            let left = (first - reach).max(0.0) as usize;
            let right = ((last + reach).ceil() as usize).min(w);
            if left == 0 && right == w {
                return None;
            }
            let c = d.slice(ndarray::s![.., left..right]).to_owned();
            (same(c), linear(1.0, -(left as f64)))
        }
        "noise" => {
            // The same blot exposed for half as long and scaled back: Gaussian noise as large
            // again as the image's own (one code step at least, where an export smoothed it
            // away), clipped to the file's range as an imager clips.
            let own = {
                let rows: Vec<f32> = d.rows().into_iter().flat_map(|r| r.to_vec()).collect();
                blotquant::stats::noise_sigma(&rows).max(1.0)
            };
            let mut draws = Draws(17);
            let noisy = d.mapv(|v| (v + own * draws.gaussian()).clamp(0.0, p.full_scale));
            (same(noisy), linear(1.0, 0.0))
        }
        "gam0.7" | "gam1.4" => {
            // A display export's contrast curve: display values raised to a power over the
            // file's full scale (below 1 lifts the dark end, above 1 presses it down). Lanes
            // and bands keep their places; only their contrast changes.
            let power = if name == "gam0.7" { 0.7 } else { 1.4 };
            let curved = d.mapv(|v| p.full_scale * (v.max(0.0) / p.full_scale).powf(power));
            (same(curved), linear(1.0, 0.0))
        }
        "speck" => {
            // Hot and dead pixels as a raw camera frame holds them: one pixel in a thousand
            // at the image's brightest level, one at its darkest, scattered at random.
            let mut draws = Draws(5);
            let mut sp = d.clone();
            for v in sp.iter_mut() {
                let u = draws.uniform();
                if u < 0.001 {
                    *v = max;
                } else if u < 0.002 {
                    *v = min;
                }
            }
            (same(sp), linear(1.0, 0.0))
        }
        "jpeg85" => {
            let scale = 255.0 / p.full_scale;
            let bytes = {
                let buffer = image::ImageBuffer::from_fn(w as u32, h as u32, |x, y| {
                    let v = (d[[y as usize, x as usize]] * scale)
                        .round()
                        .clamp(0.0, 255.0);
                    image::Luma([v as u8])
                });
                let mut out = Vec::new();
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
                    .encode_image(&buffer)
                    .unwrap();
                out
            };
            let decoded = image::load_from_memory(&bytes).unwrap().to_luma8();
            let back = Array2::from_shape_fn((h, w), |(y, x)| {
                f32::from(decoded.get_pixel(x as u32, y as u32).0[0])
            });
            (
                Picture {
                    display: back,
                    full_scale: 255.0,
                    sixteen_bit: false,
                },
                linear(1.0, 0.0),
            )
        }
        other => panic!("unknown transform {other}"),
    })
}
