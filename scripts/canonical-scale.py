#!/usr/bin/env python3
"""Would lanes found at one canonical scale survive resampling better?

For every real image it resamples the image, and its binned 2x2, binned 3x3 and 1.5x
upsampled copies, to a lane pitch of PITCH px (area means to shrink, bicubic to enlarge), runs
`blotquant detect` on each and maps the lanes back. The scale it resamples by comes from the
pitch `detect` finds on the untransformed image (times the transform's own factor): the best
estimate a detector could have before it finds the lanes. It prints, per image, whether the
transformed copies keep the canonical run's lanes (count, and every centre within 5 % of the
pitch) next to the same comparison for detection at each image's own scale.

    BLOTQUANT_INVARIANCE_KEEP=/tmp/inv cargo test --release --test invariance -- \\
        lanes_survive_transforms_of_every_real_image
    python3 scripts/canonical-scale.py target/release/blotquant ../shared/realdata /tmp/inv 96

Needs numpy and Pillow. Writes into a temporary folder.
"""

import csv
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

# PROVENANCE.md's counts (ranges where it accepts several).
STATED = {
    "amersham_chemi_actin_csitron.tif": (8, 8),
    "amersham_chemi_rhoa_pysternblot.tif": (6, 6),
    "chemidocxrs_16lanes_biorad1sc.tif": (16, 16),
    "dna_ladder_gelgenie.tif": (4, 4),
    "pmc_fxn_vcl_values.png": (8, 8),
    "pmc_h3cr_actin.png": (6, 6),
    "pmc_pdgfra_gapdh.png": (12, 12),
    "pmc_psmad_gapdh.png": (12, 12),
    "pmc_tigar_ladder.png": (9, 9),
    "pmc_trkb_vcl_values.png": (12, 12),
    "ponceau_membrane_vlab.jpg": (9, 10),
    "sdspage_protease_gelquant.png": (15, 15),
    "sdspage_standards_gelblotanalyzer.png": (8, 8),
    "sdspage_thrombin_gelgenie.jpg": (8, 8),
    "silver_sdspage_series_qcsnb.png": (10, 15),
    "wb_doublet_3lanes_facuperezt.jpg": (3, 3),
    "wb_film_7lanes_facuperezt.jpg": (8, 8),
    "wb_shadow_3lanes_facuperezt.jpg": (3, 3),
    "wb_strip_12lanes_chibidragon.png": (12, 12),
    "wb_strip_13lanes_chibidragon.png": (13, 13),
}
# The invariance test's scale transforms and what they scale by.
SCALES = (("bin2", 1 / 2), ("bin3", 1 / 3), ("up1.5", 1.5))


def detect(binary, path, out):
    subprocess.run([binary, "detect", path, "--output", out], capture_output=True)
    try:
        with open(os.path.join(out, "lanes.csv")) as f:
            return [float(r["x_center_px"]) for r in csv.DictReader(f)]
    except OSError:
        return None


def resampled(path, factor, out):
    """The image at `factor` times its size (gray, its own bit depth)."""
    image = Image.open(path)
    if image.mode not in ("I;16", "I", "L"):
        image = image.convert("L")
    values = np.array(image).astype(np.float32)
    top = 65535 if values.max() > 255 else 255
    height, width = values.shape
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    filter_ = Image.BOX if factor < 1 else Image.BICUBIC
    scaled = np.array(Image.fromarray(values, mode="F").resize(size, filter_))
    scaled = np.clip(scaled, 0, top).astype(np.uint16 if top > 255 else np.uint8)
    Image.fromarray(scaled).save(out)
    return size[0] / width


def cell(found, expected, scale, pitch):
    """'.' where `found` (px of an image `scale` times the reference's) keeps `expected`."""
    if found is None or expected is None:
        return "E"
    if len(found) != len(expected):
        return str(len(found))
    back = [(x + 0.5) / scale - 0.5 for x in found]
    worst = max(abs(a - b) for a, b in zip(back, expected)) / pitch
    return "." if worst <= 0.05 else f"c{100 * worst:.0f}"


def main():
    binary, realdata, transformed, pitch_px = sys.argv[1:5]
    canonical_pitch = float(pitch_px)
    kept = {"canonical": 0, "own scale": 0}
    applied = 0
    counted_right = {"canonical": 0, "own scale": 0}
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'image':38} {'count':>5}  canonical: bin2 bin3 up1.5 | own scale: bin2 bin3 up1.5")
        for name in STATED:
            native = detect(binary, os.path.join(realdata, name), f"{tmp}/{name}.own")
            pitch = (native[-1] - native[0]) / (len(native) - 1) if len(native) > 1 else 1.0

            def canonical(path, scale, tag):
                out = f"{tmp}/{tag}.png"
                factor = resampled(path, canonical_pitch / (pitch * scale), out)
                found = detect(binary, out, f"{tmp}/{tag}.out")
                return None if found is None else [(x + 0.5) / factor - 0.5 for x in found]

            reference = canonical(os.path.join(realdata, name), 1.0, name)
            low, high = STATED[name]
            counted_right["canonical"] += reference is not None and low <= len(reference) <= high
            counted_right["own scale"] += low <= len(native) <= high
            rows = {"canonical": [], "own scale": []}
            for transform, scale in SCALES:
                path = os.path.join(transformed, f"{transform}-{name}.png")
                if not os.path.exists(path):
                    rows["canonical"].append("-")
                    rows["own scale"].append("-")
                    continue
                applied += 1
                found = canonical(path, scale, f"{transform}-{name}")
                own = detect(binary, path, f"{tmp}/{transform}-{name}.own")
                for way, got, expected in (
                    ("canonical", found, reference),
                    ("own scale", own, native),
                ):
                    c = cell(got, expected, scale, pitch)
                    rows[way].append(c)
                    kept[way] += c == "."
            count = len(reference) if reference else "E"
            print(
                f"{name[:38]:38} {count:>5}  "
                + " ".join(f"{c:>4}" for c in rows["canonical"])
                + "  | "
                + " ".join(f"{c:>4}" for c in rows["own scale"])
            )
    print(
        f"counted as PROVENANCE.md counts at a pitch of {canonical_pitch:.0f} px: "
        f"{counted_right['canonical']} of {len(STATED)}; at their own scale: "
        f"{counted_right['own scale']} of {len(STATED)}"
    )
    print(
        f"kept at a pitch of {canonical_pitch:.0f} px: {kept['canonical']} of {applied}; "
        f"at each image's own scale: {kept['own scale']} of {applied}"
    )


if __name__ == "__main__":
    main()
