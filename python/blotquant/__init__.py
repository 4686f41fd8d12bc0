"""blotquant: Western blot densitometry from Python.

Lanes, bands, background, molecular weight, normalization to a loading control and fold
change with replicate statistics, the same code and numbers as the ``blotquant`` command.

    >>> import blotquant
    >>> run = blotquant.analyze("samples/amitriptyline-lps/rep1")
    >>> run.summary[0]["geomean_fold_change"]

Tables are lists of dicts keyed by the CSV's column names (``Run.to_pandas()`` gives
DataFrames); images are NumPy arrays. Errors carry the command line's messages.
"""

from ._blotquant import (
    Detection,
    Run,
    __version__,
    analyze,
    batch,
    detect,
    merge,
    subtract_background,
    synth,
)


class BlotquantError(Exception):
    """Every error blotquant raises derives from this one."""


class ManifestError(BlotquantError, ValueError):
    """The experiment manifest is malformed or inconsistent; the message names the field."""


class ImageError(BlotquantError, ValueError):
    """An image file or array cannot be quantified (format, type, shape, content)."""


class ParameterError(BlotquantError, ValueError):
    """A parameter, option or argument is out of range or malformed."""


class AnalysisError(BlotquantError, RuntimeError):
    """An analysis stage could not give a trustworthy result; the message says what to state."""


class FileError(BlotquantError, OSError):
    """A file or folder could not be read or written."""


__all__ = [
    "AnalysisError",
    "BlotquantError",
    "Detection",
    "FileError",
    "ImageError",
    "ManifestError",
    "ParameterError",
    "Run",
    "__version__",
    "analyze",
    "batch",
    "detect",
    "merge",
    "subtract_background",
    "synth",
]
