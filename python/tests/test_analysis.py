"""analyze, batch, merge, detect and synth from Python against the command line's own files."""

import csv
import json
import math
import shutil

import pytest

import blotquant
from conftest import SAMPLE

TABLES = ["lanes", "bands", "fold_change", "summary"]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [dict(zip(header, row)) for row in reader]


def assert_rows_equal(ours, theirs, header, table):
    """Every column of every row: strings exactly, numbers within 1e-12 relative, empty
    fields as None."""
    assert len(ours) == len(theirs), table
    for i, (mine, row) in enumerate(zip(ours, theirs)):
        for column in header:
            field, value = row[column], mine[column]
            where = f"{table} row {i} {column}"
            if value is None:
                assert field == "", where
            elif isinstance(value, str):
                assert value == field, where
            elif isinstance(value, bool):
                assert str(value).lower() == field.lower(), where
            else:
                assert field != "", where
                assert math.isclose(value, float(field), rel_tol=1e-12, abs_tol=0.0), (
                    f"{where}: {value} vs {field}"
                )


def assert_run_equals_cli_outputs(run, out):
    for table in TABLES:
        header, rows = read_csv(out / f"{table}.csv")
        assert_rows_equal(getattr(run, table), rows, header, table)
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert run.warnings == results["warnings"]
    assert run.methods == results["methods"]
    assert run.detection == results["detection"]


def test_analyze_of_the_sample_equals_the_cli_csvs(cli, tmp_path):
    cli("analyze", SAMPLE / "rep1", "-o", tmp_path / "cli")
    run = blotquant.analyze(SAMPLE / "rep1")
    assert len(run.fold_change) > 0
    assert_run_equals_cli_outputs(run, tmp_path / "cli")
    assert run.quality["ami-lps-rep1"]["verdict"] in {"ok", "check", "unreliable"}


def test_batch_of_the_sample_equals_the_cli_and_writes_the_same_tables(cli, tmp_path):
    cli("batch", SAMPLE, "-o", tmp_path / "cli")
    run = blotquant.batch(SAMPLE, jobs=2, out=tmp_path / "py")
    assert len(run.experiments) == 3
    assert_run_equals_cli_outputs(run, tmp_path / "cli")
    for table in TABLES:
        assert (tmp_path / "py" / f"{table}.csv").read_bytes() == (
            tmp_path / "cli" / f"{table}.csv"
        ).read_bytes(), table


def test_shards_merged_equal_the_unsharded_batch(tmp_path):
    whole = blotquant.batch(SAMPLE)
    paths = []
    for k in (1, 2):
        blotquant.batch(SAMPLE, shard=(k, 2), out=tmp_path / f"shard{k}")
        paths.append(tmp_path / f"shard{k}" / "results.json")
    merged = blotquant.merge(paths, tmp_path / "merged")
    assert merged.fold_change == whole.fold_change
    assert merged.summary == whole.summary


def test_params_as_a_dict_or_a_file_reach_the_analysis(tmp_path):
    overrides = {"background": {"method": "rolling-ball"}}
    by_dict = blotquant.analyze(SAMPLE / "rep1", params=overrides)
    (tmp_path / "params.json").write_text(json.dumps(overrides))
    by_file = blotquant.analyze(SAMPLE / "rep1", params=tmp_path / "params.json")
    default = blotquant.analyze(SAMPLE / "rep1")
    assert by_dict.bands == by_file.bands
    assert by_dict.bands != default.bands


def test_to_pandas_columns_equal_the_csv_headers(cli, tmp_path):
    pytest.importorskip("pandas")
    cli("analyze", SAMPLE / "rep2", "-o", tmp_path)
    frames = blotquant.analyze(SAMPLE / "rep2").to_pandas()
    for table in TABLES:
        header, rows = read_csv(tmp_path / f"{table}.csv")
        assert list(frames[table].columns) == header, table
        assert len(frames[table]) == len(rows), table


def test_synth_then_detect_finds_the_true_lanes(tmp_path):
    folder = blotquant.synth(tmp_path / "exp", seed=5)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    image = truth["images"][0]
    detection = blotquant.detect(folder / image["file"], lanes=len(image["lanes"]))
    centres = detection.lanes[:, 0]
    true_centres = [lane["x_center"] for lane in image["lanes"]]
    pitch = (true_centres[-1] - true_centres[0]) / (len(true_centres) - 1)
    assert len(centres) == len(true_centres)
    assert max(abs(c - t) for c, t in zip(centres, true_centres)) < 0.25 * pitch


def test_detect_takes_an_array_as_its_file(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    folder = blotquant.synth(tmp_path / "exp", seed=6)
    path = folder / "nlrp3.tif"
    from_file = blotquant.detect(path)
    from_array = blotquant.detect(tifffile.imread(path))
    assert (from_file.lanes == from_array.lanes).all()
    assert (from_file.bands == from_array.bands).all()


def test_napari_rectangles_enclose_the_overlay_boxes(tmp_path):
    folder = blotquant.synth(tmp_path / "exp", seed=7)
    detection = blotquant.detect(folder / "caspase-1.tif")
    data, properties = detection.napari_shapes()
    assert len(data) == len(properties["kind"]) == len(properties["label"])
    lanes = {row["lane"]: row for row in detection.run.lanes}
    bands = detection.run.bands
    assert properties["kind"].count("band") == len(bands) > 0
    rectangles = [d for d, kind in zip(data, properties["kind"]) if kind == "band"]
    for band, corners in zip(bands, rectangles):
        rows, columns = corners[:, 0], corners[:, 1]
        # The box the volume sums: rows top..=bottom, columns left..=right (pixel edges).
        assert rows.min() <= band["top_px"] and rows.max() >= band["bottom_px"] + 1
        assert columns.min() <= band["left_px"] and columns.max() >= band["right_px"] + 1
    height = detection.run.detection[0]["height_px"]
    for corners, kind, lane in zip(data, properties["kind"], properties["lane"]):
        if kind == "lane":
            assert corners[:, 0].min() == 0 and corners[:, 0].max() == height
            row = lanes[lane]
            assert corners[:, 1].min() <= row["x_center_px"] <= corners[:, 1].max()


def test_bad_input_raises_the_documented_exception_with_the_cli_message(cli, tmp_path):
    experiment = tmp_path / "exp"
    shutil.copytree(SAMPLE / "rep1", experiment)
    manifest = experiment / "experiment.json"
    broken = json.loads(manifest.read_text(encoding="utf-8"))
    broken["control"] = "untreatd"
    manifest.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(blotquant.ManifestError) as caught:
        blotquant.analyze(experiment)
    assert isinstance(caught.value, ValueError)
    stderr = cli("analyze", experiment, "-o", tmp_path / "out", check=False).stderr
    assert str(caught.value) in stderr

    with pytest.raises(blotquant.ManifestError):
        blotquant.analyze(tmp_path / "no-such-folder")
    with pytest.raises(blotquant.FileError) as missing:
        blotquant.detect(tmp_path / "missing.tif")
    assert isinstance(missing.value, OSError)
    with pytest.raises(blotquant.ParameterError):
        blotquant.analyze(SAMPLE / "rep1", params={"background": {"radius_px": -1}})
    with pytest.raises(blotquant.ParameterError):
        blotquant.synth(tmp_path / "s", preset="no-such-preset")


def test_detect_takes_a_float32_array(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    folder = blotquant.synth(tmp_path / "exp", seed=9)
    image = tifffile.imread(folder / "nlrp3.tif")
    as_integers = blotquant.detect(image, lanes=9)
    as_floats = blotquant.detect(image.astype("float32"), lanes=9)
    assert abs(as_floats.lanes[:, 0] - as_integers.lanes[:, 0]).max() < 1.0
