//! Uncompressed 8- and 16-bit grayscale TIFF, read and written a few rows at a time, for
//! `blotquant background`: its input and output never sit in memory whole.
//!
//! Why by hand: the `tiff` crate decodes a strip into a buffer of its own and then into the
//! image (ImageJ writes the whole image as one strip, so that is two image-sized buffers), and
//! its encoder takes strips in order from one writer. Here rows are read and written at their
//! file offsets from any thread. The TIFF's tags are still parsed by the `tiff` crate; files
//! this module cannot stream (compressed, tiled, signed or float samples, colour) are left to
//! the general decoder, which reads them whole or says what is wrong.
//!
//! On this command's 4096×3072 16-bit benchmark the process touched ~50 MB of fresh memory
//! before (the decoder's two buffers, then the image rewritten in place), and first touches of
//! fresh memory are what made its time vary most between runs.

use std::cell::RefCell;
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Mutex;

use super::rows::RowSource;
use crate::error::{Error, Result};
use crate::params::LoadParams;

/// Where the parts of a baseline TIFF as this module writes it lie: little-endian header, the
/// pixels as one uncompressed strip from byte 8, then one IFD on a word boundary.
pub struct BaselineLayout {
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels; every row is in the one strip.
    pub height: usize,
    /// Bits per sample: 8, or 16 (anything but 8 is written as two bytes a sample).
    pub bit_depth: u8,
}

impl BaselineLayout {
    fn bytes_per_sample(&self) -> usize {
        if self.bit_depth == 8 {
            1
        } else {
            2
        }
    }

    /// Bytes of pixel data.
    pub fn data_len(&self) -> usize {
        self.width * self.height * self.bytes_per_sample()
    }

    /// Where the IFD starts (after the data, padded to an even offset).
    fn ifd_offset(&self) -> usize {
        8 + self.data_len() + self.data_len() % 2
    }

    /// The 8-byte header, pointing at the IFD.
    pub fn header(&self) -> [u8; 8] {
        let mut header = [0u8; 8];
        header[..4].copy_from_slice(b"II*\0");
        header[4..].copy_from_slice(&(self.ifd_offset() as u32).to_le_bytes());
        header
    }

    /// Everything after the pixel data: the padding byte (if any) and the IFD.
    pub fn trailer(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.data_len() % 2];
        // (tag, type: 3 SHORT / 4 LONG, value), in ascending tag order.
        let entries: [(u16, u16, u32); 10] = [
            (256, 4, self.width as u32),
            (257, 4, self.height as u32),
            (258, 3, u32::from(self.bit_depth)),
            (259, 3, 1),
            (262, 3, 1),
            (273, 4, 8),
            (277, 3, 1),
            (278, 4, self.height as u32),
            (279, 4, self.data_len() as u32),
            (284, 3, 1),
        ];
        out.extend((entries.len() as u16).to_le_bytes());
        for (tag, kind, value) in entries {
            out.extend(tag.to_le_bytes());
            out.extend(kind.to_le_bytes());
            out.extend(1u32.to_le_bytes());
            if kind == 3 {
                out.extend((value as u16).to_le_bytes());
                out.extend([0, 0]);
            } else {
                out.extend(value.to_le_bytes());
            }
        }
        out.extend(0u32.to_le_bytes());
        out
    }

    /// `samples` (8-bit values widened) as little-endian pixel bytes, into `bytes`.
    pub fn encode(&self, samples: &[u16], bytes: &mut Vec<u8>) {
        bytes.clear();
        if self.bit_depth == 8 {
            bytes.extend(samples.iter().map(|&v| v as u8));
        } else {
            bytes.extend(samples.iter().flat_map(|v| v.to_le_bytes()));
        }
    }
}

/// An uncompressed gray TIFF whose rows are read from the file when asked for.
pub struct RowReader {
    file: File,
    /// Image width in pixels (samples per row).
    pub width: usize,
    /// Image height in pixels (rows).
    pub height: usize,
    /// Bits per sample as stored: 8 or 16.
    pub bit_depth: u8,
    big_endian: bool,
    /// Stored as WhiteIsZero: each sample is read as `max − stored`.
    white_is_zero: bool,
    /// File offset of each row's first byte.
    row_offsets: Vec<u64>,
    /// The first read that failed (the file changed or vanished under us); rows it should
    /// have filled are zeros, so the result must not be written.
    failure: Mutex<Option<io::Error>>,
}

thread_local! {
    /// Each thread's bytes of the row it is reading, and of the rows it is writing.
    static ROW_BYTES: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUT_BYTES: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl RowReader {
    /// Opens `path` for reading row by row, or `None` when it is not a TIFF this module
    /// streams (the caller then decodes it whole). Size limits apply as for any image.
    pub fn open(path: &Path, limits: &LoadParams) -> Result<Option<RowReader>> {
        use tiff::tags::Tag;
        let read_error = |source: io::Error| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(read_error)?;
        let file_len = file.metadata().map_err(read_error)?.len();
        let mut head = [0u8; 4];
        if read_exact_at(&file, &mut head, 0).is_err() {
            return Ok(None);
        }
        let big_endian = match &head {
            b"II*\0" => false,
            b"MM\0*" => true,
            _ => return Ok(None),
        };
        let Ok(mut decoder) = tiff::decoder::Decoder::new(io::BufReader::new(&file)) else {
            return Ok(None);
        };
        let Ok((width, height)) = decoder.dimensions() else {
            return Ok(None);
        };
        super::check_size(path, width.into(), height.into(), limits)?;
        let (width, height) = (width as usize, height as usize);
        let bit_depth = match decoder.colortype() {
            Ok(tiff::ColorType::Gray(8)) => 8u8,
            Ok(tiff::ColorType::Gray(16)) => 16u8,
            _ => return Ok(None),
        };
        let mut tag = |t: Tag| decoder.find_tag_unsigned_vec::<u64>(t).ok().flatten();
        let uncompressed = tag(Tag::Compression).is_none_or(|v| v == [1])
            && tag(Tag::Predictor).is_none_or(|v| v == [1]);
        // WhiteIsZero (0) is read inverted, as the decoder reads it; BlackIsZero (1) as stored.
        let white_is_zero = match tag(Tag::PhotometricInterpretation).as_deref() {
            Some([0]) => true,
            Some([1]) => false,
            _ => return Ok(None),
        };
        let unsigned = tag(Tag::SampleFormat).is_none_or(|v| v.iter().all(|&f| f == 1));
        let tiled = tag(Tag::TileWidth).is_some();
        let (Some(offsets), Some(counts)) = (tag(Tag::StripOffsets), tag(Tag::StripByteCounts))
        else {
            return Ok(None);
        };
        let rows_per_strip = tag(Tag::RowsPerStrip)
            .and_then(|v| v.first().copied())
            .map_or(height, |r| (r as usize).clamp(1, height));
        if !uncompressed || !unsigned || tiled || width < 2 || height < 2 {
            return Ok(None);
        }
        let row_len = (width * usize::from(bit_depth / 8)) as u64;
        let mut row_offsets = Vec::with_capacity(height);
        for y in 0..height {
            let (strip, within) = (y / rows_per_strip, (y % rows_per_strip) as u64);
            let (Some(&start), Some(&count)) = (offsets.get(strip), counts.get(strip)) else {
                return Ok(None);
            };
            let offset = start + within * row_len;
            // A row outside its strip or the file: leave the verdict to the full decoder.
            if (within + 1) * row_len > count || offset + row_len > file_len {
                return Ok(None);
            }
            row_offsets.push(offset);
        }
        Ok(Some(RowReader {
            file,
            width,
            height,
            bit_depth,
            big_endian,
            white_is_zero,
            row_offsets,
            failure: Mutex::new(None),
        }))
    }

    /// The first read that failed, if any.
    pub fn failure(&self) -> Option<io::Error> {
        self.failure.lock().map(|mut f| f.take()).unwrap_or(None)
    }
}

impl RowSource for RowReader {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn read_row(&self, y: usize, out: &mut [f32]) {
        let len = self.width * usize::from(self.bit_depth / 8);
        ROW_BYTES.with_borrow_mut(|bytes| {
            bytes.resize(len, 0);
            if let Err(e) = read_exact_at(&self.file, bytes, self.row_offsets[y]) {
                if let Ok(mut failure) = self.failure.lock() {
                    failure.get_or_insert(e);
                }
                out.fill(0.0);
                return;
            }
            if self.bit_depth == 8 {
                for (o, &b) in out.iter_mut().zip(bytes.iter()) {
                    *o = f32::from(b);
                }
            } else if self.big_endian {
                for (o, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                    *o = f32::from(u16::from_be_bytes([b[0], b[1]]));
                }
            } else {
                for (o, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                    *o = f32::from(u16::from_le_bytes([b[0], b[1]]));
                }
            }
            if self.white_is_zero {
                let max = if self.bit_depth == 8 { 255.0 } else { 65535.0 };
                for o in out.iter_mut() {
                    *o = max - *o;
                }
            }
        });
    }
}

/// A baseline TIFF written rows at a time, from any thread, into a temporary file in the
/// output's folder that [`RowWriter::finish`] renames into place.
pub struct RowWriter {
    file: super::atomic::Pending,
    layout: BaselineLayout,
}

impl RowWriter {
    /// Creates the temporary file with its header and IFD in place.
    pub fn create(output: &Path, layout: BaselineLayout) -> Result<RowWriter> {
        let file = super::atomic::temporary_beside(output)?;
        let trailer_at = 8 + layout.data_len() as u64;
        write_all_at(file.as_file(), &layout.header(), 0)
            .and_then(|()| write_all_at(file.as_file(), &layout.trailer(), trailer_at))
            .map_err(|source| Error::Write {
                path: output.to_path_buf(),
                source,
            })?;
        Ok(RowWriter { file, layout })
    }

    /// Writes `samples` (whole rows) as the image's rows from `first_row` on.
    pub fn write_rows(&self, first_row: usize, samples: &[u16]) -> io::Result<()> {
        OUT_BYTES.with_borrow_mut(|bytes| {
            self.layout.encode(samples, bytes);
            let row_len = self.layout.data_len() / self.layout.height;
            write_all_at(self.file.as_file(), bytes, 8 + (first_row * row_len) as u64)
        })
    }

    /// Renames the finished file to `output` (readable by others, like every result).
    pub fn finish(self, output: &Path) -> Result<()> {
        super::atomic::publish(self.file, output)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(not(any(unix, windows)))]
fn read_exact_at(_: &File, _: &mut [u8], _: u64) -> io::Result<()> {
    // No positional reads here: every file is declined and decoded whole.
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(not(any(unix, windows)))]
fn write_all_at(_: &File, _: &[u8], _: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = file.seek_read(buf, offset)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(windows)]
fn write_all_at(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = file.seek_write(buf, offset)?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::rows::RowSource;

    fn rows_of(reader: &RowReader) -> Vec<f32> {
        let mut all = vec![0.0; reader.width * reader.height];
        for (y, row) in all.chunks_mut(reader.width).enumerate() {
            reader.read_row(y, row);
        }
        all
    }

    fn samples(width: u32, height: u32, max: u32) -> Vec<u32> {
        (0..width * height)
            .map(|i| (i * 7919 + 13) % (max + 1))
            .collect()
    }

    /// Little-endian, 7 rows per strip (14 strips), 8 and 16 bit: each row read from the file
    /// holds the decoder's values.
    #[test]
    fn rows_of_multi_strip_tiffs_match_the_decoder() {
        use tiff::encoder::colortype::{Gray16, Gray8};
        let dir = tempfile::tempdir().unwrap();
        let (width, height) = (301u32, 97u32);
        for bits in [8u8, 16] {
            let path = dir.path().join(format!("{bits}.tif"));
            let file = File::create(&path).unwrap();
            let mut encoder = tiff::encoder::TiffEncoder::new(file).unwrap();
            let values = samples(width, height, if bits == 8 { 255 } else { 65535 });
            if bits == 8 {
                let v: Vec<u8> = values.iter().map(|&v| v as u8).collect();
                let mut image = encoder.new_image::<Gray8>(width, height).unwrap();
                image.rows_per_strip(7).unwrap();
                image.write_data(&v).unwrap();
            } else {
                let v: Vec<u16> = values.iter().map(|&v| v as u16).collect();
                let mut image = encoder.new_image::<Gray16>(width, height).unwrap();
                image.rows_per_strip(7).unwrap();
                image.write_data(&v).unwrap();
            }
            let mut decoder =
                tiff::decoder::Decoder::new(std::io::BufReader::new(File::open(&path).unwrap()))
                    .unwrap();
            let strips = decoder
                .get_tag_u64_vec(tiff::tags::Tag::StripOffsets)
                .unwrap();
            assert_eq!(strips.len(), 14);
            let reader = RowReader::open(&path, &LoadParams::default())
                .unwrap()
                .expect("an uncompressed gray TIFF is streamed");
            assert_eq!((reader.width, reader.height), (301, 97));
            assert_eq!(reader.bit_depth, bits);
            let expected: Vec<f32> = values.iter().map(|&v| v as f32).collect();
            assert!(rows_of(&reader) == expected, "{bits}-bit rows differ");
            assert!(reader.failure().is_none());
        }
    }

    /// Compressed, colour and truncated files are left to the full decoder; WhiteIsZero is
    /// streamed, inverted as the decoder inverts it.
    #[test]
    fn files_it_cannot_stream_are_declined() {
        let dir = tempfile::tempdir().unwrap();
        let (width, height) = (64u32, 40u32);
        let values: Vec<u16> = samples(width, height, 65535)
            .iter()
            .map(|&v| v as u16)
            .collect();

        let lzw = dir.path().join("lzw.tif");
        let mut encoder = tiff::encoder::TiffEncoder::new(File::create(&lzw).unwrap())
            .unwrap()
            .with_compression(tiff::encoder::Compression::Lzw);
        encoder
            .write_image::<tiff::encoder::colortype::Gray16>(width, height, &values)
            .unwrap();

        let rgb = dir.path().join("rgb.tif");
        let mut encoder = tiff::encoder::TiffEncoder::new(File::create(&rgb).unwrap()).unwrap();
        let rgb_values: Vec<u8> = (0..width * height * 3).map(|i| i as u8).collect();
        encoder
            .write_image::<tiff::encoder::colortype::RGB8>(width, height, &rgb_values)
            .unwrap();

        let whole = dir.path().join("whole.tif");
        let layout = BaselineLayout {
            width: width as usize,
            height: height as usize,
            bit_depth: 16,
        };
        let mut bytes = layout.header().to_vec();
        let mut pixels = Vec::new();
        layout.encode(&values, &mut pixels);
        bytes.extend(&pixels);
        bytes.extend(layout.trailer());
        std::fs::write(&whole, &bytes).unwrap();
        // Our own layout reads back as written ...
        let reader = RowReader::open(&whole, &LoadParams::default())
            .unwrap()
            .unwrap();
        let expected: Vec<f32> = values.iter().map(|&v| f32::from(v)).collect();
        assert!(rows_of(&reader) == expected);
        // ... and with its last rows cut off (the IFD moved up so it is still found), it is
        // declined rather than read past its end.
        let truncated = dir.path().join("truncated.tif");
        let kept = 8 + pixels.len() / 2;
        let mut cut = bytes[..kept].to_vec();
        cut[4..8].copy_from_slice(&(kept as u32).to_le_bytes());
        cut.extend(layout.trailer().iter().skip(layout.data_len() % 2));
        std::fs::write(&truncated, &cut).unwrap();

        // The decoder itself still reads the cut file's tags: what declines it is the check
        // that every row lies inside the file.
        assert!(tiff::decoder::Decoder::new(File::open(&truncated).unwrap())
            .and_then(|mut d| d.dimensions())
            .is_ok());

        // WhiteIsZero (PhotometricInterpretation 0) is read inverted, as the decoder reads it.
        let white_is_zero = dir.path().join("white-is-zero.tif");
        let mut inverted = bytes.clone();
        let photometric = 8 + pixels.len() + pixels.len() % 2 + 2 + 4 * 12;
        assert_eq!(
            &inverted[photometric..photometric + 2],
            &262u16.to_le_bytes()
        );
        inverted[photometric + 8..photometric + 10].copy_from_slice(&0u16.to_le_bytes());
        std::fs::write(&white_is_zero, &inverted).unwrap();
        let reader = RowReader::open(&white_is_zero, &LoadParams::default())
            .unwrap()
            .unwrap();
        let decoded = crate::io::load_raw_gray(&white_is_zero, &LoadParams::default()).unwrap();
        assert_eq!(decoded.pixels[0], 65535 - values[0]);
        let expected: Vec<f32> = decoded.pixels.iter().map(|&v| f32::from(v)).collect();
        assert!(rows_of(&reader) == expected);

        for path in [&lzw, &rgb, &truncated] {
            assert!(
                RowReader::open(path, &LoadParams::default())
                    .unwrap()
                    .is_none(),
                "{} should be declined",
                path.display()
            );
        }
    }
}
