"""Shared paths: the repository, its bundled sample, ImageJ's fixtures and the command line."""

import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "amitriptyline-lps"
IMAGEJ = REPO / "tests" / "fixtures" / "imagej"


@pytest.fixture(scope="session")
def cli():
    """The command-line program built from the same sources (cargo build --release), or the
    one named by BLOTQUANT_BIN: the reference the bindings must agree with."""
    path = pathlib.Path(os.environ.get("BLOTQUANT_BIN", REPO / "target" / "release" / "blotquant"))
    if not path.is_file():
        pytest.fail(f"{path}: no blotquant program; run `cargo build --release` first")

    def run(*args, check=True):
        return subprocess.run(
            [str(path), *map(str, args)], capture_output=True, text=True, check=check
        )

    return run
