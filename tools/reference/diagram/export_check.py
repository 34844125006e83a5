"""Runs the PyTorch code that `neurocircuits diagram export --torch` writes for every zoo model
and records its outputs, which crates/diagram-torch/tests/export.rs compares with our
executor's.

The inputs come from our side: `export_fixtures` writes, per model, the exported module
(loading params.safetensors), the parameters and the inputs, seeded as `diagram run` seeds
them (f32). Here they are loaded unchanged and the module runs in float64, as the Rust test
runs the executor, so the comparison is of two f64 computations on the same numbers.

Run (torch and safetensors pinned in export_requirements.txt; never in CI):
  cargo run --release -p nc-diagram-torch --example export_fixtures -- /tmp/export
  python tools/reference/diagram/export_check.py /tmp/export
Writes crates/diagram-torch/tests/data/export_outputs.json: per model its sizes, seed, and
per output its shape, sum, sum of squares and values (all of them up to 512, else 64 evenly
spaced samples with their flat indices).
"""
import importlib.util
import json
import sys
from pathlib import Path

import safetensors
import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "crates/diagram-torch/tests/data/export_outputs.json"


def summary(t):
    f = t.detach().reshape(-1)
    n = f.numel()
    s = {"shape": list(t.shape), "sum": f.sum().item(), "sumsq": (f * f).sum().item()}
    if n <= 512:
        return {**s, "val": f.tolist()}
    idx = [i * n // 64 for i in range(64)]
    return {**s, "idx": idx, "val": [f[i].item() for i in idx]}


def module_class(path):
    spec = importlib.util.spec_from_file_location(path.parent.name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    classes = [v for v in vars(mod).values()
               if isinstance(v, type) and issubclass(v, torch.nn.Module) and v.__module__ == mod.__name__]
    assert len(classes) == 1, f"{path}: expected one nn.Module, found {classes}"
    return classes[0]


def main():
    fixtures = Path(sys.argv[1])
    manifest = json.loads((fixtures / "manifest.json").read_text())
    torch.set_default_dtype(torch.float64)
    results = {}
    for name, case in sorted(manifest.items()):
        d = fixtures / name
        model = module_class(d / "model.py")()  # loads params.safetensors (f32) into f64
        xs = load_file(str(d / "inputs.safetensors"))
        args = [xs[i].to(torch.float64) for i in case["inputs"]]
        with torch.no_grad():
            ys = model(*args)
        if not isinstance(ys, tuple):
            ys = (ys,)
        assert len(ys) == len(case["outputs"])
        results[name] = {
            "bind": case["bind"],
            "seed": case["seed"],
            "outputs": {o: summary(y) for o, y in zip(case["outputs"], ys)},
        }
        print(f"{name}: " + ", ".join(f"{o} {tuple(y.shape)}" for o, y in zip(case["outputs"], ys)))
    doc = {
        "generator": "tools/reference/diagram/export_check.py",
        "torch": torch.__version__.split("+")[0],
        "safetensors": safetensors.__version__,
        "dtype": "float64 (parameters and inputs f32, as written)",
        "models": results,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
