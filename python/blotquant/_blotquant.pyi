"""Type stubs of the compiled module (``blotquant._blotquant``)."""

import os
import pathlib
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

Params = Union[Mapping[str, Any], str, os.PathLike, None]
Row = Dict[str, Any]

class Run:
    """The results of an analysis; tables as lists of dicts keyed by the CSV's columns."""

    @property
    def fold_change(self) -> List[Row]: ...
    @property
    def summary(self) -> List[Row]: ...
    @property
    def bands(self) -> List[Row]: ...
    @property
    def lanes(self) -> List[Row]: ...
    @property
    def detection(self) -> List[Row]: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def errors(self) -> List[Row]: ...
    @property
    def methods(self) -> str: ...
    @property
    def experiments(self) -> List[Row]: ...
    @property
    def quality(self) -> Dict[str, Row]: ...
    def to_json(self) -> str: ...
    def to_pandas(self) -> Dict[str, Any]: ...
    def write(self, out: Union[str, os.PathLike]) -> None: ...

class Detection:
    """Lanes and bands of one image."""

    @property
    def lanes(self) -> npt.NDArray[np.float64]: ...
    @property
    def bands(self) -> npt.NDArray[np.float64]: ...
    @property
    def run(self) -> Run: ...
    @property
    def warnings(self) -> List[str]: ...
    def napari_shapes(self) -> Tuple[List[npt.NDArray[np.float64]], Dict[str, list]]: ...

def analyze(
    path: Union[str, os.PathLike],
    params: Params = None,
    out: Union[str, os.PathLike, None] = None,
) -> Run: ...
def batch(
    root: Union[str, os.PathLike],
    jobs: Optional[int] = None,
    shard: Optional[Tuple[int, int]] = None,
    out: Union[str, os.PathLike, None] = None,
    params: Params = None,
) -> Run: ...
def merge(paths: List[Union[str, os.PathLike]], out: Union[str, os.PathLike]) -> Run: ...
def detect(
    image: Union[str, os.PathLike, npt.NDArray[Any]],
    lanes: Optional[int] = None,
    params: Params = None,
) -> Detection: ...
def subtract_background(
    image: npt.NDArray[Any],
    radius: float = 50.0,
    light_background: bool = False,
    sliding_paraboloid: bool = False,
    smoothing: bool = True,
    create_background: bool = False,
) -> npt.NDArray[Any]: ...
def synth(
    out_dir: Union[str, os.PathLike], seed: int = 0, preset: str = "standard"
) -> pathlib.Path: ...
