//! `blotquant background`: ImageJ's Process › Subtract Background on image files, with its
//! option names: the request checked, the image read (uncompressed TIFF row by row), the
//! background subtracted as ImageJ 1.53t does, the result written atomically in the input's
//! type.

use std::path::Path;

use crate::background::{self, ImageJOptions};
use crate::error::{Error, Result};
use crate::io::gray_tiff::{BaselineLayout, RowReader};
use crate::params::LoadParams;

/// `blotquant background`: checks the request, reads the image, subtracts, writes atomically.
pub fn subtract_background_file(
    input: &Path,
    output: &Path,
    options: &ImageJOptions,
) -> Result<()> {
    if !(options.radius.is_finite() && options.radius > 0.0) {
        return Err(Error::Usage(format!(
            "--radius must be a positive number of pixels, not {}",
            options.radius
        )));
    }
    let same_file = output == input
        || matches!((input.canonicalize(), output.canonicalize()), (Ok(a), Ok(b)) if a == b);
    if same_file {
        return Err(Error::Usage(format!(
            "{}: the output would overwrite the input; name another output file",
            output.display()
        )));
    }
    let extension = output
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !matches!(extension.as_str(), "tif" | "tiff" | "png") {
        return Err(Error::Usage(format!(
            "{}: the output must end in .tif, .tiff or .png",
            output.display()
        )));
    }
    let limits = LoadParams::default();
    let check_radius = |width: usize, height: usize| {
        if options.radius > width.max(height) as f64 {
            return Err(Error::Usage(format!(
                "--radius {} is larger than the image ({width}×{height} px); a ball wider than the image fits under nothing",
                options.radius
            )));
        }
        Ok(())
    };
    if extension != "png" {
        if let Some(rows) = RowReader::open(input, &limits)? {
            check_radius(rows.width, rows.height)?;
            return subtract_streamed(&rows, input, output, options);
        }
    }
    let mut image = crate::io::load_raw_gray(input, &limits)?;
    check_radius(image.width, image.height)?;
    let max_value = if image.bit_depth == 8 { 255.0 } else { 65535.0 };
    background::subtract_like_imagej_in_place(&mut image, max_value, options);
    crate::io::atomic::write_gray(
        output,
        image.width,
        image.height,
        image.bit_depth,
        &image.pixels,
        extension == "png",
    )?;
    Ok(())
}

/// `blotquant background` on a TIFF read row by row, into a TIFF written row by row: neither
/// image is held whole. A failed read (the input changed under us) or write leaves no output.
fn subtract_streamed(
    rows: &RowReader,
    input: &Path,
    output: &Path,
    options: &ImageJOptions,
) -> Result<()> {
    let layout = BaselineLayout {
        width: rows.width,
        height: rows.height,
        bit_depth: rows.bit_depth,
    };
    let max_value = if rows.bit_depth == 8 { 255.0 } else { 65535.0 };
    let writer = crate::io::gray_tiff::RowWriter::create(output, layout)?;
    let written = background::subtract_like_imagej_streamed(
        rows,
        max_value,
        options,
        |first_row, samples| writer.write_rows(first_row, samples),
    );
    if let Some(source) = rows.failure() {
        return Err(Error::Read {
            path: input.to_path_buf(),
            source,
        });
    }
    written.map_err(|source| Error::Write {
        path: output.to_path_buf(),
        source,
    })?;
    writer.finish(output)?;
    Ok(())
}
