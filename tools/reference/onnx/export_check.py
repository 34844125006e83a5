"""Runs the PyTorch code that `neurocircuits diagram export --torch` writes for every imported
ONNX test model, with the imported weights, in float32, and records its outputs next to
onnxruntime's, which crates/diagram-onnx/tests/export.rs compares with our executor's.

The fixtures come from our side: `torch_fixtures` imports each committed model, exports it,
and writes the module (`model.py`, loading `params.safetensors`), the imported weights and
onnxruntime's recorded inputs under the circuit's input names. Here the module runs as
written (float32, torch's default) and each output is compared with onnxruntime's recorded
one (crates/diagram-onnx/tests/data/NAME.ref.safetensors): the script stops if any differs by
more than 1e-4 relative (max |torch - onnxruntime| / max |onnxruntime|).

Run (versions pinned in requirements.txt; never in CI):
  cargo run -p nc-diagram-onnx --example torch_fixtures -- /tmp/onnx_export
  python tools/reference/onnx/export_check.py /tmp/onnx_export
Writes crates/diagram-onnx/tests/data/torch_export.json: per model the FNV-1a hash of the
model.py that ran (so the test knows the recording is of today's export), the size bindings,
the largest relative difference from onnxruntime, and per output (by ONNX name) its shape and
all its values.
"""
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import safetensors
import torch
from safetensors.numpy import load_file as load_np
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "crates/diagram-onnx/tests/data"
OUT = DATA / "torch_export.json"


def fnv1a64(b):
    h = 0xCBF29CE484222325
    for x in b:
        h = ((h ^ x) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def module_class(path):
    # the zoo's check loads an exported module the same way: use its function
    spec = importlib.util.spec_from_file_location(
        "diagram_export_check", ROOT / "tools/reference/diagram/export_check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    return check.module_class(path)


def main():
    fixtures = Path(sys.argv[1])
    manifest = json.loads((fixtures / "manifest.json").read_text())
    results = {}
    for case in manifest:
        name = case["name"]
        d = fixtures / name
        model = module_class(d / "model.py")()  # float32, loads params.safetensors
        xs = load_file(str(d / "inputs.safetensors"))
        with torch.no_grad():
            ys = model(*[xs[i] for i in case["inputs"]])
        if not isinstance(ys, tuple):
            ys = (ys,)
        assert len(ys) == len(case["outputs"]), name
        refs = load_np(str(DATA / f"{name}.ref.safetensors"))
        outputs, worst = {}, 0.0
        for o, y in zip(case["outputs"], ys):
            y = y.detach().numpy()
            want = refs[f"output.{o}"]
            # the circuit does not carry size-1 dimensions: compare the same elements
            assert y.size == want.size, f"{name}.{o}: {y.shape} vs onnxruntime's {want.shape}"
            rel = np.abs(y.reshape(-1) - want.reshape(-1)).max() / np.abs(want).max()
            worst = max(worst, float(rel))
            outputs[o] = {"shape": list(y.shape), "val": [float(v) for v in y.reshape(-1)]}
        assert worst <= 1e-4, f"{name}: torch export differs from onnxruntime by {worst:.2e}"
        results[name] = {
            "fnv1a64": fnv1a64((d / "model.py").read_bytes()),
            "bind": case["bind"],
            "max_rel_vs_onnxruntime": worst,
            "outputs": outputs,
        }
        print(f"{name}: max relative difference from onnxruntime {worst:.2e}")
    doc = {
        "generator": "tools/reference/onnx/export_check.py",
        "torch": torch.__version__.split("+")[0],
        "onnxruntime": onnxruntime.__version__,
        "safetensors": safetensors.__version__,
        "dtype": "float32",
        "models": results,
    }
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
