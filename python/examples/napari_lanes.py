#!/usr/bin/env python3
"""Shows a blot in napari with blotquant's lanes and band boxes as a Shapes layer.

    pip install "napari[all]" tifffile
    python python/examples/napari_lanes.py samples/amitriptyline-lps/rep1/caspase-1.tif [lanes]

Lanes are drawn over the image's full height, band boxes over their rows, each labelled like
`lane 3 · caspase-1 p20`; edit them in napari as you would any shape.
"""

import sys

import napari
import tifffile

import blotquant

path = sys.argv[1]
lanes = int(sys.argv[2]) if len(sys.argv) > 2 else None
image = tifffile.imread(path)
detection = blotquant.detect(image, lanes=lanes)
for warning in detection.warnings:
    print("warning:", warning, file=sys.stderr)
data, properties = detection.napari_shapes()

viewer = napari.Viewer(title=f"blotquant: {path}")
viewer.add_image(image, name="blot", colormap="gray_r")
viewer.add_shapes(
    data,
    shape_type="rectangle",
    properties=properties,
    edge_color="kind",
    edge_color_cycle=["#00a0ff", "#ffa000"],
    face_color="transparent",
    edge_width=2,
    text={"string": "{label}", "size": 8, "anchor": "upper_left"},
    name="lanes and bands",
)
napari.run()
