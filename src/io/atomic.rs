//! Files written atomically: each to a temporary name in its folder, then renamed into place,
//! so no reader ever sees half a file and a failure leaves nothing behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically (temporary file in the same folder, synced to disk,
/// then renamed into place).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, true, |out| out.write_all(bytes))
}

/// Writes `path` atomically: `fill` writes into a buffered temporary file in the same folder,
/// which is renamed into place, so no reader ever sees half a file. `sync` also flushes it to
/// disk first (tables: cheap; a 24 MB image: tens of milliseconds, so not for images, which a
/// rerun rewrites).
pub fn write_atomic_with(
    path: &Path,
    sync: bool,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let file = temporary_beside(path)?;
    {
        let mut writer = std::io::BufWriter::with_capacity(1 << 22, file.as_file());
        fill(&mut writer).map_err(|e| write_error(path, e))?;
        writer.flush().map_err(|e| write_error(path, e))?;
    }
    if sync {
        file.as_file()
            .sync_all()
            .map_err(|e| write_error(path, e))?;
    }
    publish(file, path)
}

/// One file of a set written by [`write_all_or_none`]: where, what, and whether to flush it
/// to disk before it is published.
pub struct SetFile<'a> {
    /// Where the file goes.
    pub path: PathBuf,
    /// Its bytes.
    pub bytes: &'a [u8],
    /// Flush it to disk before publishing (tables: cheap; images: not worth it).
    pub sync: bool,
}

/// Writes a set of files so that a failure while writing leaves none of them: each is first
/// written in full to a temporary file beside its place, and only when every one is complete
/// are they renamed into place. A failed write removes every temporary file and every folder
/// made for them (the set's earlier outputs, if any, stay as they were). Only a rename can
/// still fail half-way, which on one file system it does not but for a vanished folder.
pub fn write_all_or_none(files: &[SetFile]) -> Result<()> {
    let mut staged: Vec<Staged> = Vec::with_capacity(files.len());
    let mut failure = None;
    for file in files {
        match stage(&file.path, file.sync, file.bytes) {
            Ok(pending) => staged.push(pending),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if let Some(e) = failure {
        // Newest first: a folder made for the first file in it goes once the rest are gone.
        while let Some(pending) = staged.pop() {
            drop(pending);
        }
        return Err(e);
    }
    for (mut staged, file) in staged.into_iter().zip(files) {
        let temp = staged
            .temp
            .take()
            .expect("a staged file is present until published");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o644))
                .map_err(|e| write_error(&file.path, e))?;
        }
        temp.persist(&file.path)
            .map_err(|e| write_error(&file.path, e.error))?;
        staged.made.clear();
    }
    Ok(())
}

/// A complete temporary file, closed (a set of thousands of files holds no descriptors),
/// with the folders made for it; dropped unpublished it removes both, as [`Pending`] does.
struct Staged {
    temp: Option<tempfile::TempPath>,
    made: Vec<PathBuf>,
}

impl Drop for Staged {
    fn drop(&mut self) {
        drop(self.temp.take());
        for dir in &self.made {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// `bytes` written in full to a temporary file beside `path`, not yet published.
fn stage(path: &Path, sync: bool, bytes: &[u8]) -> Result<Staged> {
    let mut pending = temporary_beside(path)?;
    {
        let mut writer = std::io::BufWriter::with_capacity(1 << 22, pending.as_file());
        writer.write_all(bytes).map_err(|e| write_error(path, e))?;
        writer.flush().map_err(|e| write_error(path, e))?;
    }
    if sync {
        pending
            .as_file()
            .sync_all()
            .map_err(|e| write_error(path, e))?;
    }
    let file = pending
        .file
        .take()
        .expect("a pending file is present until published");
    Ok(Staged {
        temp: Some(file.into_temp_path()),
        made: std::mem::take(&mut pending.made),
    })
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// A temporary file in the folder its result will be published in, with the folders made
/// for it. Dropped unpublished (a write or a read that failed half-way) it removes the file
/// and those folders again where they are still empty, so a failure leaves no output behind,
/// not even an empty folder.
pub struct Pending {
    file: Option<tempfile::NamedTempFile>,
    /// Folders created for the file, innermost first.
    made: Vec<PathBuf>,
}

impl Pending {
    /// The open temporary file, to write into before [`publish`] renames it into place.
    pub fn as_file(&self) -> &std::fs::File {
        self.file
            .as_ref()
            .expect("a pending file is present until published")
            .as_file()
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        drop(self.file.take());
        for dir in &self.made {
            // Only empty folders go: another writer's file keeps its folder.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// A temporary file in the folder `path` will be written to (created if missing), to be
/// renamed onto `path` by [`publish`] once it is complete.
pub fn temporary_beside(path: &Path) -> Result<Pending> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let made: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(dir).map_err(|e| write_error(path, e))?;
    // Held before the file is made: if that fails, the folders go again.
    let mut pending = Pending { file: None, made };
    pending.file = Some(tempfile::NamedTempFile::new_in(dir).map_err(|e| write_error(path, e))?);
    Ok(pending)
}

/// Renames a complete temporary file onto `path`, readable by others.
pub fn publish(mut pending: Pending, path: &Path) -> Result<()> {
    let file = pending
        .file
        .take()
        .expect("a pending file is present until published");
    // Temporary files are private (0600); results are ordinary files for their readers.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| write_error(path, e))?;
    }
    file.persist(path).map_err(|e| write_error(path, e.error))?;
    // Published: the folders hold a result now.
    pending.made.clear();
    Ok(())
}

/// Writes gray pixels as an 8- or 16-bit TIFF (or PNG), atomically.
pub fn write_gray(
    path: &Path,
    width: usize,
    height: usize,
    bit_depth: u8,
    pixels: &[u16],
    png: bool,
) -> Result<()> {
    write_atomic_with(path, false, |writer| {
        if !png {
            return write_baseline_tiff(writer, width, height, bit_depth, pixels);
        }
        use image::ImageEncoder;
        let encoder = image::codecs::png::PngEncoder::new(writer);
        let (w, h) = (width as u32, height as u32);
        if bit_depth == 8 {
            let bytes: Vec<u8> = pixels.iter().map(|&v| v as u8).collect();
            encoder.write_image(&bytes, w, h, image::ExtendedColorType::L8)
        } else {
            // The encoder takes samples in native byte order (it writes them big-endian).
            let bytes: Vec<u8> = pixels.iter().flat_map(|v| v.to_ne_bytes()).collect();
            encoder.write_image(&bytes, w, h, image::ExtendedColorType::L16)
        }
        .map_err(std::io::Error::other)
    })
}

/// A baseline TIFF ([`super::gray_tiff::BaselineLayout`]). Written here rather than with the
/// `tiff` crate's encoder: for a 24 MB image the crate took ~27 ms, this ~10 ms, in a command
/// whose whole budget is under 100 ms.
fn write_baseline_tiff(
    out: &mut dyn Write,
    width: usize,
    height: usize,
    bit_depth: u8,
    pixels: &[u16],
) -> std::io::Result<()> {
    let layout = super::gray_tiff::BaselineLayout {
        width,
        height,
        bit_depth,
    };
    out.write_all(&layout.header())?;
    let mut buffer = Vec::with_capacity(1 << 20);
    for chunk in pixels[..width * height].chunks(1 << 19) {
        layout.encode(chunk, &mut buffer);
        out.write_all(&buffer)?;
    }
    out.write_all(&layout.trailer())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_no_folder_it_made() {
        let tmp = tempfile::tempdir().unwrap();
        let inside = tmp.path().join("new/deeper/table.csv");
        let failed = write_atomic_with(&inside, false, |_| {
            Err(std::io::Error::other("the input changed half-way"))
        });
        assert!(failed.is_err());
        assert!(!tmp.path().join("new").exists(), "no folder left behind");

        // A folder that was there before stays, and a written file keeps its new folders.
        write_atomic(&inside, b"lane\n").unwrap();
        assert_eq!(std::fs::read(&inside).unwrap(), b"lane\n");
        let beside = tmp.path().join("new/other.csv");
        assert!(write_atomic_with(&beside, false, |_| Err(std::io::Error::other("no"))).is_err());
        assert!(inside.exists() && !beside.exists());
    }

    #[test]
    fn a_streamed_image_given_up_leaves_no_folder_it_made() {
        let tmp = tempfile::tempdir().unwrap();
        let output = tmp.path().join("new/background.tif");
        let layout = super::super::gray_tiff::BaselineLayout {
            width: 4,
            height: 2,
            bit_depth: 16,
        };
        let writer = super::super::gray_tiff::RowWriter::create(&output, layout).unwrap();
        writer.write_rows(0, &[1, 2, 3, 4]).unwrap();
        // A read failed before the last row: the writer is dropped, not finished.
        drop(writer);
        assert!(!tmp.path().join("new").exists(), "no folder left behind");
    }
}
