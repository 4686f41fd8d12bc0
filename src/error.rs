//! Every failure a user can trigger is an [`Error`]; none of them panics.

use std::path::PathBuf;

/// What went wrong, with the file or manifest field involved and how to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read from disk.
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file was read but is not an image we can quantify.
    #[error("{path}: {reason}; {fix}")]
    Image {
        path: PathBuf,
        reason: String,
        fix: String,
    },
    /// The experiment manifest is malformed or inconsistent.
    #[error("{path}: {field}: {reason}; {fix}")]
    Manifest {
        path: PathBuf,
        field: String,
        reason: String,
        fix: String,
    },
    /// An analysis stage could not produce a trustworthy result for an image.
    #[error("{path}: {reason}; {fix}")]
    Analysis {
        path: PathBuf,
        reason: String,
        fix: String,
    },
    /// A command's request makes no sense as given (an option out of range, an output that
    /// would overwrite its input); the message says what to change.
    #[error("{0}")]
    Usage(String),
    /// A parameter is out of range.
    #[error("parameter {name}: {reason}")]
    Param { name: String, reason: String },
    /// Results could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
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
