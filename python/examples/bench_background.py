#!/usr/bin/env python3
"""Times subtract_background from Python against the `background` command, side by side.

    python python/examples/bench_background.py [path/to/blotquant] [repeats]

On a 4096 × 3072 uint16 image (a gradient, bands and noise): the command's whole process
(read the TIFF, subtract, write the TIFF) and the Python call on the array in memory, each the
best of `repeats` runs; then two calls one after the other against two Python threads calling
at once, and how far the main thread's own Python loop got while a call ran in another
thread: both show whether the interpreter was released while it computed. The subtraction
itself already uses every core, so two threads at once cannot beat two calls in sequence
unless it is held to one core each: run with RAYON_NUM_THREADS=1 to see the threads overlap.
Needs numpy and tifffile.
"""

import pathlib
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import tifffile

start = time.perf_counter()
import blotquant  # noqa: E402  (timed)

import_seconds = time.perf_counter() - start
REPO = pathlib.Path(__file__).resolve().parents[2]
program = sys.argv[1] if len(sys.argv) > 1 else str(REPO / "target" / "release" / "blotquant")
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5

rng = np.random.default_rng(0)
rows, columns = np.mgrid[0:3072, 0:4096]
image = 8000 + 3 * columns + 2 * rows + rng.normal(0, 300, rows.shape)
for lane in range(12):
    centre = 200 + lane * 330
    band = np.exp(-(((columns - centre) / 90.0) ** 4) - ((rows - 1500) / 25.0) ** 2)
    image += 20000 * band
image = np.clip(image, 0, 65535).astype(np.uint16)


def best(f):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


with tempfile.TemporaryDirectory() as tmp:
    source = pathlib.Path(tmp) / "in.tif"
    tifffile.imwrite(source, image)
    target = pathlib.Path(tmp) / "out.tif"
    command = best(
        lambda: subprocess.run([program, "background", source, target, "--radius", "50"], check=True)
    )
    python = best(lambda: blotquant.subtract_background(image, radius=50))
    same = np.array_equal(tifffile.imread(target), blotquant.subtract_background(image, radius=50))

print(f"import blotquant: {import_seconds * 1000:.1f} ms")
print(f"4096x3072 uint16, radius 50, best of {repeats}")
print(f"  background command (whole process, file in and out): {command:.3f} s")
print(f"  subtract_background (array in memory):              {python:.3f} s")
print(f"  ratio Python / command: {python / command:.2f}; same pixels: {same}")

one = best(lambda: blotquant.subtract_background(image, radius=50))
sequential = best(lambda: [blotquant.subtract_background(image, radius=50) for _ in range(2)])


def two_threads():
    threads = [
        threading.Thread(target=blotquant.subtract_background, args=(image,), kwargs={"radius": 50})
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


concurrent = best(two_threads)
print(f"  one call {one:.3f} s; two one after the other {sequential:.3f} s; two threads at once {concurrent:.3f} s")
print(f"  two threads at once / two in sequence: {concurrent / sequential:.2f} (1.0: they took turns)")


def python_loop_progress(seconds):
    """Iterations of a plain Python loop in `seconds`."""
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        count += 1
    return count


alone = python_loop_progress(one)
worker = threading.Thread(target=blotquant.subtract_background, args=(image,), kwargs={"radius": 50})
worker.start()
during = python_loop_progress(one * 0.8)
worker.join()
print(f"  Python loop iterations while a call ran in another thread: {during} ({during / (0.8 * alone):.0%} of its pace alone)")
