//! Every failure a user can trigger is an [`Error`]; none of them panics.

use std::path::PathBuf;

/// What went wrong, with the file or manifest field involved and how to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read from disk.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file that could not be read.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A file was read but is not an image we can quantify.
    #[error("{path}: {reason}; {fix}")]
    Image {
        /// The image file.
        path: PathBuf,
        /// What is wrong with the file, in the user's terms.
        reason: String,
        /// What to do about it, e.g. re-export as 8- or 16-bit grayscale TIFF.
        fix: String,
    },
    /// The experiment manifest is malformed or inconsistent.
    #[error("{path}: {field}: {reason}; {fix}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// Path of the offending field inside the manifest, e.g. `images[2]` or `lanes`.
        field: String,
        /// What is wrong with the field.
        reason: String,
        /// How to change the manifest so it passes.
        fix: String,
    },
    /// An analysis stage could not produce a trustworthy result for an image.
    #[error("{path}: {reason}; {fix}")]
    Analysis {
        /// The image whose analysis gave up.
        path: PathBuf,
        /// Which stage gave up, and why.
        reason: String,
        /// What the user can state or change so the image can be analyzed.
        fix: String,
    },
    /// A command's request makes no sense as given (an option out of range, an output that
    /// would overwrite its input); the message says what to change.
    #[error("{0}")]
    Usage(String),
    /// A parameter is out of range.
    #[error("parameter {name}: {reason}")]
    Param {
        /// The parameter's path in `--params` form, e.g. `background.radius_px`.
        name: String,
        /// Why the value was refused, e.g. the range it must lie in.
        reason: String,
    },
    /// Results could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The output file that could not be written.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn image(
        path: impl Into<PathBuf>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Error::Image {
            path: path.into(),
            reason: reason.into(),
            fix: fix.into(),
        }
    }

    pub(crate) fn manifest(
        path: impl Into<PathBuf>,
        field: impl Into<String>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Error::Manifest {
            path: path.into(),
            field: field.into(),
            reason: reason.into(),
            fix: fix.into(),
        }
    }

    pub(crate) fn analysis(
        path: impl Into<PathBuf>,
        reason: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Error::Analysis {
            path: path.into(),
            reason: reason.into(),
            fix: fix.into(),
        }
    }

    /// True when the error was found before any image was analyzed (exit code 2 territory).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Error::Write { .. })
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
