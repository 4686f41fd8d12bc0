//! Image loading: TIFF, PNG and JPEG in 8 or 16 bits become one [`Blot`] whose signal is
//! bright where the bands are, whatever the file's polarity.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use serde::{Deserialize, Serialize};

pub mod atomic;
pub mod frame;
pub mod gray_tiff;
pub mod roi_set;
pub mod rows;
mod scn;

pub use scn::Acquisition;

use crate::error::{Error, Result};
use crate::params::LoadParams;

/// How bands appear in the stored image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Polarity {
    /// Dark bands on a light background (film scans, most exported figures).
    DarkBands,
    /// Light bands on a dark background (raw chemiluminescence counts).
    LightBands,
}

/// Who decided an image's polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolaritySource {
    /// The manifest's `images[].polarity`.
    Manifest,
    /// The file's own header (an imager's raw file such as `.scn`).
    FileHeader,
    /// The image's histogram: bands are the minority of pixels, in the longer tail.
    Histogram,
}

/// How a file keeps its pixels other than as the imager's counts: band volumes read from it
/// are not those of the raw image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Storage {
    /// A lossy format (JPEG): compression moves faint bands by a share of their volume.
    Lossy,
    /// An 8-bit export for display: contrast set and clipped for the eye.
    DisplayExport,
}

impl Storage {
    /// How the verdict's reasons name it.
    pub fn describe(self) -> &'static str {
        match self {
            Storage::Lossy => "stored lossy (JPEG)",
            Storage::DisplayExport => "an 8-bit export for display",
        }
    }
}

/// One image, ready for analysis.
#[derive(Debug, Clone)]
pub struct Blot {
    /// The file the image was read from, as given (not resolved or canonicalized).
    pub path: PathBuf,
    /// Signal per pixel, `[row, column]`, in the file's code units, bands bright.
    pub signal: Array2<f32>,
    /// Signal level at or above which a pixel is saturated (the detector's ceiling).
    pub saturation_level: f32,
    /// Bits per sample of the file (8 or 16).
    pub bit_depth: u8,
    /// Polarity of the stored image (detected or forced).
    pub polarity: Polarity,
    /// Who decided [`Blot::polarity`].
    pub polarity_source: PolaritySource,
    /// Things the user should know about this file (lossy format, transparency, ...).
    pub warnings: Vec<String>,
    /// How the image was acquired, where the file says (an imager's raw file such as `.scn`).
    pub acquisition: Option<Acquisition>,
    /// Where the file keeps other values than the imager's counts (lossy, a display export);
    /// `None` for a raw file.
    pub storage: Option<Storage>,
    /// The blot inside its frame, empty margins peeled ([`frame::EmptyMargins::Peel`]), as
    /// the image is stored; `None` where the image is nothing but flat lines.
    pub content: Option<frame::ContentBox>,
}

impl Blot {
    /// A 16-bit blot of `signal` (bands bright, as the manifest says), read from no file: the
    /// fixture of tests that draw their own images.
    #[cfg(test)]
    pub(crate) fn of_signal(path: &str, signal: Array2<f32>) -> Blot {
        Blot {
            path: path.into(),
            signal,
            saturation_level: 65535.0,
            bit_depth: 16,
            polarity: Polarity::LightBands,
            polarity_source: PolaritySource::Manifest,
            warnings: Vec::new(),
            acquisition: None,
            storage: None,
            content: None,
        }
    }

    /// Columns of [`Blot::signal`], in pixels.
    pub fn width(&self) -> usize {
        self.signal.ncols()
    }
    /// Rows of [`Blot::signal`], in pixels.
    pub fn height(&self) -> usize {
        self.signal.nrows()
    }
    /// Number of pixels at or above the saturation level.
    pub fn saturated_pixels(&self) -> usize {
        self.signal
            .iter()
            .filter(|&&v| v >= self.saturation_level)
            .count()
    }
}

/// Gray values as decoded, before polarity, plus what the file says about its range.
struct Decoded {
    width: usize,
    height: usize,
    /// Display values: high is light, as a viewer shows the image.
    values: Vec<f32>,
    /// Pixels that carry no signal (transparent in RGBA/GA files).
    transparent: Vec<bool>,
    bit_depth: u8,
    /// Largest code a pixel can take (full range of the bit depth).
    full_scale: f32,
    /// The detector's ceiling from the file's MaxSampleValue tag, when it has one.
    max_sample_tag: Option<f32>,
    /// The file stores counts inverted (TIFF WhiteIsZero): high stored counts are dark.
    white_is_zero: bool,
    lossy: bool,
    /// The file holds further images after the one read (a multi-page TIFF).
    more_pages: bool,
    /// Samples per pixel in the file (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA).
    channels: usize,
    /// The polarity the file's own header gives (an imager's raw file), if any.
    header_polarity: Option<Polarity>,
    /// How the image was acquired, where the file says (an imager's raw file).
    acquisition: Option<Acquisition>,
}

/// Reads an image file. `forced` overrides polarity detection.
pub fn load(path: &Path, forced: Option<Polarity>, limits: &LoadParams) -> Result<Blot> {
    load_page(path, 0, forced, limits)
}

/// Reads page `page` (0-based) of an image file: a multi-page TIFF's page, 0 for any other
/// file. `forced` overrides polarity detection.
pub fn load_page(
    path: &Path,
    page: usize,
    forced: Option<Polarity>,
    limits: &LoadParams,
) -> Result<Blot> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(into_blot(path, decode(path, &bytes, page, limits)?, forced))
}

/// Decodes an image already read into memory (`path` names it in errors).
pub fn load_bytes(
    path: &Path,
    bytes: &[u8],
    forced: Option<Polarity>,
    limits: &LoadParams,
) -> Result<Blot> {
    Ok(into_blot(path, decode(path, bytes, 0, limits)?, forced))
}

/// A grayscale image as stored: values as a viewer shows them, no polarity applied.
#[derive(Debug, Clone)]
pub struct GrayImage {
    /// Gray value per pixel, `[row, column]`, in the file's code units, high where the viewer
    /// shows light.
    pub values: Array2<f32>,
    /// Bits per sample of the file (8 or 16): the range a result is clipped to.
    pub bit_depth: u8,
}

/// Stored gray samples of an 8- or 16-bit image (8-bit values widened), row-major.
#[derive(Debug, Clone)]
pub struct RawGray {
    /// Samples per row, in pixels.
    pub width: usize,
    /// Rows, in pixels.
    pub height: usize,
    /// Bits per sample of the file (8 or 16); 8-bit samples are still held widened in `pixels`.
    pub bit_depth: u8,
    /// Samples as the file stores them, row-major (`y * width + x`), no polarity applied.
    pub pixels: Vec<u16>,
}

/// Reads an 8- or 16-bit grayscale image as stored, for pixel operations that keep the
/// file's type (`blotquant background`), without float copies: TIFF is decoded straight from
/// the file. Colour images are refused rather than silently converted.
pub fn load_raw_gray(path: &Path, limits: &LoadParams) -> Result<RawGray> {
    let mut head = [0u8; 4];
    let file = std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let is_tiff = {
        use std::io::Read;
        let n = (&file).take(4).read(&mut head).unwrap_or(0);
        n == 4 && (&head == b"II*\0" || &head == b"MM\0*")
    };
    if !is_tiff {
        let gray = load_gray(path, limits)?;
        let (height, width) = gray.values.dim();
        return Ok(RawGray {
            width,
            height,
            bit_depth: gray.bit_depth,
            pixels: gray.values.iter().map(|&v| v as u16).collect(),
        });
    }
    use tiff::decoder::DecodingResult;
    let bad = |e: tiff::TiffError| {
        Error::image(
            path,
            format!("cannot decode TIFF: {e}"),
            "the file may be truncated or use an unsupported TIFF variant; re-export it as 8- or 16-bit grayscale TIFF",
        )
    };
    let reader =
        std::io::BufReader::new(std::fs::File::open(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?);
    let (mut decoder, (width, height)) = open_tiff(path, reader, limits, &bad)?;
    let color = decoder.colortype().map_err(bad)?;
    if !matches!(color, tiff::ColorType::Gray(8) | tiff::ColorType::Gray(16)) {
        return Err(Error::image(
            path,
            format!("the TIFF is {color:?}; 8- or 16-bit grayscale is expected"),
            "convert it to 8- or 16-bit grayscale (e.g. ImageJ Image › Type › 16-bit) first",
        ));
    }
    let (width, height) = (width as usize, height as usize);
    let (pixels, bit_depth) = match decoder.read_image().map_err(bad)? {
        DecodingResult::U8(v) => (v.into_iter().map(u16::from).collect::<Vec<u16>>(), 8),
        DecodingResult::U16(v) => (v, 16),
        _ => {
            return Err(Error::image(
                path,
                "the TIFF holds floating-point or 32-bit samples",
                "export the image as 8- or 16-bit integer grayscale TIFF",
            ))
        }
    };
    if pixels.len() < width * height || width < 2 || height < 2 {
        return Err(Error::image(
            path,
            format!(
                "the TIFF holds {} pixels for a declared {width}×{height}",
                pixels.len()
            ),
            "the file is probably truncated or too small; copy it again",
        ));
    }
    Ok(RawGray {
        width,
        height,
        bit_depth,
        pixels,
    })
}

/// Reads an 8- or 16-bit grayscale image for pixel operations that keep the file's type
/// (`blotquant background`). Colour images are refused rather than silently converted.
pub fn load_gray(path: &Path, limits: &LoadParams) -> Result<GrayImage> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let decoded = decode(path, &bytes, 0, limits)?;
    if decoded.bit_depth == FLOAT_BIT_DEPTH {
        return Err(Error::image(
            path,
            "the image holds floating-point samples; background subtraction keeps the file's type, 8 or 16 bits",
            "convert it to 16-bit (e.g. ImageJ Image › Type › 16-bit) first, or analyze it with `blotquant analyze`",
        ));
    }
    if decoded.channels != 1 {
        return Err(Error::image(
            path,
            format!(
                "the image has {} samples per pixel; 8- or 16-bit grayscale is expected",
                decoded.channels
            ),
            "convert it to grayscale (e.g. ImageJ Image › Type › 16-bit) first",
        ));
    }
    Ok(GrayImage {
        values: Array2::from_shape_vec((decoded.height, decoded.width), decoded.values)
            .expect("decoded pixel count matches dimensions"),
        bit_depth: decoded.bit_depth,
    })
}

fn decode(path: &Path, bytes: &[u8], page: usize, limits: &LoadParams) -> Result<Decoded> {
    if bytes.is_empty() {
        return Err(Error::image(
            path,
            "the file is empty (0 bytes)",
            "re-export the image from the imager as 16-bit TIFF",
        ));
    }
    let is_tiff = bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*");
    if page > 0 && !is_tiff {
        return Err(Error::image(
            path,
            format!("page {} is asked for, but only a TIFF has pages", page + 1),
            "remove `page` from the image's entry",
        ));
    }
    let decoded = if is_tiff {
        decode_tiff(path, bytes, page, limits)?
    } else if bytes.starts_with(b"\x89PNG") || bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        decode_png_jpeg(path, bytes, limits)?
    } else if scn::is_scn(bytes) {
        scn::decode(path, bytes, limits)?
    } else {
        return Err(Error::image(
            path,
            "not a TIFF, PNG, JPEG or Image Lab .scn image (unrecognised file signature)",
            "give the imager's raw file (Image Lab .scn, or TIFF), or export the blot as TIFF (preferred), PNG or JPEG",
        ));
    };
    if decoded.width < 2 || decoded.height < 2 {
        return Err(Error::image(
            path,
            format!(
                "the image is {}×{} pixels, too small to hold lanes and bands",
                decoded.width, decoded.height
            ),
            "check that the right file is named; a blot image is at least tens of pixels across",
        ));
    }
    Ok(decoded)
}

/// Opens a TIFF decoder with the size limits applied before any pixel is decoded; `bad`
/// words the decoder's errors for the caller.
fn open_tiff<R: std::io::Read + std::io::Seek>(
    path: &Path,
    reader: R,
    limits: &LoadParams,
    bad: &dyn Fn(tiff::TiffError) -> Error,
) -> Result<(tiff::decoder::Decoder<R>, (u32, u32))> {
    let mut decoder = tiff::decoder::Decoder::new(reader).map_err(bad)?;
    let (width, height) = decoder.dimensions().map_err(bad)?;
    check_size(path, width.into(), height.into(), limits)?;
    let mut tiff_limits = tiff::decoder::Limits::default();
    tiff_limits.decoding_buffer_size = (limits.max_pixels as usize).saturating_mul(8);
    Ok((decoder.with_limits(tiff_limits), (width, height)))
}

pub(crate) fn check_size(path: &Path, width: u64, height: u64, limits: &LoadParams) -> Result<()> {
    let side = u64::from(limits.max_side_px);
    if width > side || height > side || width * height > limits.max_pixels {
        return Err(Error::image(
            path,
            format!("the image declares {width}×{height} pixels, beyond the size limit"),
            format!(
                "raise load.max_pixels ({}) or load.max_side_px ({}) with --params if the file is genuine",
                limits.max_pixels, limits.max_side_px
            ),
        ));
    }
    Ok(())
}

fn decode_tiff(path: &Path, bytes: &[u8], page: usize, limits: &LoadParams) -> Result<Decoded> {
    use tiff::decoder::DecodingResult;
    use tiff::tags::Tag;
    use tiff::ColorType;

    let bad = |e: tiff::TiffError| {
        Error::image(
            path,
            format!("cannot decode TIFF: {e}"),
            "the file may be truncated or use an unsupported TIFF variant; re-export it as an uncompressed or LZW 16-bit grayscale TIFF",
        )
    };
    let (mut decoder, (mut width, mut height)) = open_tiff(path, Cursor::new(bytes), limits, &bad)?;
    if page > 0 {
        let mut pages = 1;
        while pages <= page && decoder.more_images() {
            decoder.next_image().map_err(bad)?;
            pages += 1;
        }
        if pages <= page {
            return Err(Error::image(
                path,
                format!("page {} is asked for, but the TIFF holds {pages}", page + 1),
                "give a `page` from 1 to the number of pages",
            ));
        }
        (width, height) = decoder.dimensions().map_err(bad)?;
        check_size(path, width.into(), height.into(), limits)?;
    }
    let color = decoder.colortype().map_err(bad)?;
    let photometric: Option<u16> = decoder
        .find_tag_unsigned(Tag::PhotometricInterpretation)
        .map_err(bad)?;
    let max_sample_tag: Option<u32> = decoder
        .find_tag_unsigned(Tag::MaxSampleValue)
        .ok()
        .flatten();
    let channels = match color {
        ColorType::Gray(_) => 1,
        ColorType::GrayA(_) => 2,
        ColorType::RGB(_) => 3,
        ColorType::RGBA(_) => 4,
        other => {
            return Err(Error::image(
                path,
                format!("unsupported TIFF colour type {other:?}"),
                "export the blot as 8- or 16-bit grayscale TIFF",
            ))
        }
    };
    let (samples, bit_depth, full_scale): (Vec<f32>, u8, f32) = match decoder
        .read_image()
        .map_err(bad)?
    {
        DecodingResult::U8(v) => (widen(v), 8, 255.0),
        DecodingResult::U16(v) => (widen(v), 16, 65535.0),
        DecodingResult::F32(v) => float_samples(path, v)?,
        DecodingResult::F64(v) => float_samples(path, v.into_iter().map(|x| x as f32).collect())?,
        _ => {
            return Err(Error::image(
                path,
                "the TIFF holds 32- or 64-bit integer samples",
                "export the raw image as 16-bit integer or 32-bit float grayscale TIFF",
            ))
        }
    };
    let more_pages = page == 0 && decoder.more_images();
    let (width, height) = (width as usize, height as usize);
    if samples.len() < width * height * channels {
        return Err(Error::image(
            path,
            "the TIFF holds fewer pixels than its header declares",
            "the file is probably truncated; copy it again from the imager",
        ));
    }
    let (values, transparent) = to_gray(samples, channels, full_scale);
    Ok(Decoded {
        width,
        height,
        values,
        transparent,
        bit_depth,
        full_scale,
        max_sample_tag: max_sample_tag
            .map(|v| v as f32)
            .filter(|&v| v > 0.0 && v <= full_scale),
        // The tiff crate already inverts WhiteIsZero data into display values.
        white_is_zero: photometric == Some(0),
        lossy: false,
        more_pages,
        channels,
        header_polarity: None,
        acquisition: None,
    })
}

fn decode_png_jpeg(path: &Path, bytes: &[u8], limits: &LoadParams) -> Result<Decoded> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| {
            Error::image(
                path,
                format!("cannot read image: {e}"),
                "re-export the file",
            )
        })?;
    let lossy = reader.format() == Some(image::ImageFormat::Jpeg);
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_side_px);
    image_limits.max_image_height = Some(limits.max_side_px);
    image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    reader.limits(image_limits);
    let image = reader.decode().map_err(|e| {
        Error::image(
            path,
            format!("cannot decode image: {e}"),
            "the file may be truncated, too large or not an image; re-export it from the imager",
        )
    })?;
    let (width, height) = (image.width() as usize, image.height() as usize);
    check_size(path, width as u64, height as u64, limits)?;
    use image::DynamicImage as D;
    let (samples, channels, bit_depth, full_scale): (Vec<f32>, usize, u8, f32) = match image {
        D::ImageLuma8(b) => (widen(b.into_raw()), 1, 8, 255.0),
        D::ImageLumaA8(b) => (widen(b.into_raw()), 2, 8, 255.0),
        D::ImageRgb8(b) => (widen(b.into_raw()), 3, 8, 255.0),
        D::ImageRgba8(b) => (widen(b.into_raw()), 4, 8, 255.0),
        D::ImageLuma16(b) => (widen(b.into_raw()), 1, 16, 65535.0),
        D::ImageLumaA16(b) => (widen(b.into_raw()), 2, 16, 65535.0),
        D::ImageRgb16(b) => (widen(b.into_raw()), 3, 16, 65535.0),
        D::ImageRgba16(b) => (widen(b.into_raw()), 4, 16, 65535.0),
        _ => {
            return Err(Error::image(
                path,
                "unsupported pixel format (floating point)",
                "export the blot as 8- or 16-bit grayscale",
            ))
        }
    };
    let (values, transparent) = to_gray(samples, channels, full_scale);
    Ok(Decoded {
        width,
        height,
        values,
        transparent,
        bit_depth,
        full_scale,
        max_sample_tag: None,
        white_is_zero: false,
        lossy,
        more_pages: false,
        channels,
        header_polarity: None,
        acquisition: None,
    })
}

/// Floating-point samples (LI-COR Image Studio writes them), kept as stored: their range is
/// the file's own, from 0 to its largest value, never clipped. Values that are not numbers
/// are refused.
fn float_samples(path: &Path, samples: Vec<f32>) -> Result<(Vec<f32>, u8, f32)> {
    if samples.iter().any(|v| !v.is_finite()) {
        return Err(Error::image(
            path,
            "the floating-point TIFF holds NaN or infinite values",
            "export the image again from the imager; a raw scan holds finite intensities",
        ));
    }
    let largest = samples.iter().copied().fold(0.0f32, f32::max);
    if largest <= 0.0 {
        return Err(Error::image(
            path,
            "the floating-point TIFF holds no positive value",
            "check that the right file is named",
        ));
    }
    Ok((samples, FLOAT_BIT_DEPTH, largest))
}

/// The bit depth a floating-point image is reported with.
pub const FLOAT_BIT_DEPTH: u8 = 32;

/// Integer samples as `f32` (exact for 8 and 16 bits).
fn widen<T: Into<f32>>(samples: Vec<T>) -> Vec<f32> {
    samples.into_iter().map(Into::into).collect()
}

/// Interleaved samples to one gray value per pixel (Rec. 709 luminance for colour) and a
/// transparency mask (alpha below half scale). Gray samples are already that.
fn to_gray(samples: Vec<f32>, channels: usize, full_scale: f32) -> (Vec<f32>, Vec<bool>) {
    if channels == 1 {
        let opaque = vec![false; samples.len()];
        return (samples, opaque);
    }
    let pixels = samples.chunks_exact(channels);
    let gray = pixels
        .clone()
        .map(|p| match channels {
            1 | 2 => p[0],
            _ => 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2],
        })
        .collect();
    let transparent = pixels
        .map(|p| (channels == 2 || channels == 4) && p[channels - 1] < full_scale / 2.0)
        .collect();
    (gray, transparent)
}

/// Decides polarity from the histogram: bands are the minority of pixels, so they sit in the
/// longer tail away from the background's median. Large images are sampled (a quarter million
/// pixels pin the 0.5 % tails down well enough for the decision).
pub fn detect_polarity(display: &[f32]) -> Polarity {
    polarity_of_sample(crate::stats::sample_evenly(display.iter(), POLARITY_SAMPLE))
}

/// Most pixels [`detect_polarity`] reads.
const POLARITY_SAMPLE: usize = 250_000;

/// [`detect_polarity`] of pixels sampled evenly from an image.
fn polarity_of_sample(mut values: Vec<f32>) -> Polarity {
    let rank = |f: f64| ((values.len() - 1) as f64 * f).round() as usize;
    let ranks = [rank(0.005), rank(0.5), rank(0.995)];
    let [low, median, high] = crate::stats::order_statistics_f32(&mut values, &ranks)[..] else {
        unreachable!("three ranks give three values")
    };
    if high - median >= median - low {
        Polarity::LightBands
    } else {
        Polarity::DarkBands
    }
}

/// Share of an 8-bit image's pixels at black or white beyond which it is clipped.
const CLIPPED_SHARE: f64 = 0.01;

/// Share of an 8-bit image's used grey levels followed by a short gap (one to three unused
/// levels, then a used one) beyond which its contrast was stretched: a stretch spreads the
/// levels apart evenly, where noise on a real image fills every level of its range.
const STRETCH_GAP_SHARE: f64 = 0.2;

/// How an 8-bit image shows it was made for display: clipped at black or white, or its
/// contrast stretched. `None` for deeper images and for 8-bit ones that show neither.
fn display_export(d: &Decoded) -> Option<String> {
    if d.bit_depth != 8 || d.values.is_empty() {
        return None;
    }
    let mut counts = [0usize; 256];
    for &v in &d.values {
        counts[v.clamp(0.0, 255.0) as usize] += 1;
    }
    let clipped = (counts[0] + counts[255]) as f64 / d.values.len() as f64;
    let used: Vec<usize> = (1..255).filter(|&c| counts[c] > 0).collect();
    let short_gaps = used
        .windows(2)
        .filter(|w| (2..=4).contains(&(w[1] - w[0])))
        .count();
    let gap_share = short_gaps as f64 / used.len().max(1) as f64;
    let mut signs = Vec::new();
    if clipped > CLIPPED_SHARE {
        signs.push(format!(
            "{:.0} % of its pixels are clipped at black or white",
            100.0 * clipped
        ));
    }
    if used.len() >= 8 && gap_share > STRETCH_GAP_SHARE {
        signs.push(format!(
            "{:.0} % of its grey levels are followed by unused ones, as after a contrast stretch",
            100.0 * gap_share
        ));
    }
    (!signs.is_empty()).then(|| signs.join("; "))
}

/// The smallest step between two values a file of `bit_depth` can hold: one code, or none
/// for floating point.
pub fn code_step(bit_depth: u8) -> f32 {
    if bit_depth == FLOAT_BIT_DEPTH {
        0.0
    } else {
        1.0
    }
}

/// The box of `d` inside its frame ([`frame::content_box`], empty margins peeled) and the
/// pixels inside it that polarity is judged by ([`detect_polarity`]'s sample): a surround or a
/// margin as large as the blot outweighs its bands in the histogram, whichever side of the
/// background they lie on. All pixels where the image is nothing but frame.
fn inside_frame(d: &Decoded) -> (Option<frame::ContentBox>, Vec<f32>) {
    let display = ndarray::ArrayView2::from_shape((d.height, d.width), &d.values)
        .expect("decoded pixel count matches dimensions");
    let content = frame::content_box(&display, code_step(d.bit_depth), frame::EmptyMargins::Peel);
    let inside = match content {
        Some(b) => display.slice_move(ndarray::s![b.top..b.bottom, b.left..b.right]),
        None => display,
    };
    (
        content,
        crate::stats::sample_evenly_2d(inside, POLARITY_SAMPLE),
    )
}

fn into_blot(path: &Path, d: Decoded, forced: Option<Polarity>) -> Blot {
    let mut warnings = Vec::new();
    // A JPEG is `lossy` whether or not it also looks like a display export.
    let mut storage = None;
    if d.lossy {
        warnings.push(
            "JPEG is lossy: compression artefacts change band volumes; quantify the imager's original TIFF".to_string(),
        );
        storage = Some(Storage::Lossy);
    }
    if let Some(how) = display_export(&d) {
        warnings.push(format!(
            "this 8-bit image looks like an export for display ({how}): band volumes in it are not the imager's counts; quantify the raw file (Image Lab: the .scn itself, or File > Export > Export for Analysis as 16-bit TIFF)"
        ));
        storage = storage.or(Some(Storage::DisplayExport));
    }
    if d.more_pages {
        warnings.push(
            "the TIFF holds more than one page; the first is analyzed (save the page to quantify as a file of its own)".to_string(),
        );
    }
    let n_transparent = d.transparent.iter().filter(|&&t| t).count();
    let opaque: std::borrow::Cow<[f32]> = if n_transparent == 0 {
        std::borrow::Cow::Borrowed(&d.values)
    } else {
        d.values
            .iter()
            .zip(&d.transparent)
            .filter(|(_, &t)| !t)
            .map(|(&v, _)| v)
            .collect()
    };
    let polarity_source = if forced.is_some() {
        PolaritySource::Manifest
    } else if d.header_polarity.is_some() {
        PolaritySource::FileHeader
    } else {
        PolaritySource::Histogram
    };
    let (content, inside) = inside_frame(&d);
    let polarity = forced.or(d.header_polarity).unwrap_or_else(|| {
        if opaque.is_empty() {
            Polarity::LightBands
        } else if n_transparent > 0 {
            detect_polarity(&opaque)
        } else {
            polarity_of_sample(inside)
        }
    });
    let to_signal = |v: f32| match polarity {
        Polarity::LightBands => v,
        Polarity::DarkBands => d.full_scale - v,
    };
    // Transparent pixels carry no signal: they take the median background value.
    let fill = if n_transparent > 0 {
        warnings.push(format!(
            "{n_transparent} transparent pixels are treated as background"
        ));
        let mut s: Vec<f32> = opaque.iter().map(|&v| to_signal(v)).collect();
        if s.is_empty() {
            0.0
        } else {
            crate::stats::median_f32(&mut s)
        }
    } else {
        0.0
    };
    // The display values become the signal where they lie: no second image-sized copy.
    let mut signal = d.values;
    for (v, &t) in signal.iter_mut().zip(&d.transparent) {
        *v = if t { fill } else { to_signal(*v) };
    }
    // Where the bright end of the signal is the detector's high end (raw counts, or counts stored
    // WhiteIsZero), the file's MaxSampleValue is the ceiling; otherwise the full code range.
    let ceiling = match (polarity, d.white_is_zero) {
        // A floating-point file states no detector ceiling: its largest value is a pixel's.
        _ if d.bit_depth == FLOAT_BIT_DEPTH => f32::INFINITY,
        (Polarity::LightBands, false) | (Polarity::DarkBands, true) => {
            d.max_sample_tag.unwrap_or(d.full_scale)
        }
        _ => d.full_scale,
    };
    // A colour file's gray is its channels' luminance: a pixel clipped in its main channel
    // (green, 72 % of the luminance) with a code or two left in another (a figure's black
    // with a tint) lies a fraction of a code under the ceiling, never at it. Within one code
    // of the ceiling, a colour pixel is clipped.
    let saturation_level = if d.channels >= 3 {
        ceiling - code_step(d.bit_depth)
    } else {
        ceiling
    };
    if d.bit_depth == FLOAT_BIT_DEPTH {
        warnings.push(format!(
            "32-bit floating-point image: values kept as stored (0 to {}); the file states no detector ceiling, so saturated pixels cannot be flagged: check the imager's saturation display",
            d.full_scale
        ));
    }
    let signal = Array2::from_shape_vec((d.height, d.width), signal)
        .expect("decoded pixel count matches dimensions");
    Blot {
        path: path.to_path_buf(),
        signal,
        saturation_level,
        bit_depth: d.bit_depth,
        polarity,
        polarity_source,
        warnings,
        acquisition: d.acquisition,
        storage,
        content,
    }
}
