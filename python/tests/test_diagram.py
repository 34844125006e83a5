"""Circuits from Python: the CLI's cost numbers, messages, drawings and text; runs checked
against numpy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import neurocircuits
from conftest import releases_gil, run_cli
from neurocircuits import diagram


@pytest.mark.parametrize(
    "name, sizes",
    [("mlp", {}), ("mha", {"k": 16, "h": 4}), ("resnet", {}), ("transformer", {}), ("ncap_swimmer", {})],
)
def test_cost_returns_the_clis_numbers(cli, name, sizes):
    c = diagram.zoo(name)
    ours = c.cost(**sizes)
    bind = ",".join(f"{k}={v}" for k, v in sizes.items())
    args = ["diagram", "cost", f"zoo:{name}", "--json"] + (["--bind", bind] if bind else [])
    theirs = json.loads(run_cli(cli, *args))
    assert ours == theirs
    assert {"params", "flops_forward", "flops_backward"} <= set(ours)


def test_check_diagnostics_are_the_clis(cli):
    c = diagram.zoo("visual_attention")
    found = c.check()
    assert any(d.code == "W001" and d.severity == "warning" and d.location for d in found)
    shown = run_cli(cli, "diagram", "check", "zoo:visual_attention")
    for d in found:
        assert f"{d.severity}[{d.code}]: {d.message}" in shown


def test_a_parse_error_carries_the_clis_file_line_col_message(cli, tmp_path):
    bad = tmp_path / "bad.ncd"
    bad.write_text("circuit c\ninput x [b i=4]\ny = softmax x over\noutput y\n")
    with pytest.raises(neurocircuits.CircuitError) as e:
        diagram.load(bad)
    assert str(e.value).startswith(f"{bad}:3:")
    import subprocess
    p = subprocess.run([str(cli), "diagram", "check", str(bad)], capture_output=True, text=True)
    assert p.returncode != 0 and str(e.value) in p.stderr
    with pytest.raises(neurocircuits.CircuitError, match=r"<string>:2:8: unknown value `y`"):
        diagram.load("circuit c\noutput y\n")


def test_text_round_trips_and_equals_the_clis_export(cli):
    c = diagram.zoo("mha")
    text = c.to_text()
    assert diagram.load(text).to_text() == text
    assert text == run_cli(cli, "diagram", "zoo", "--export", "mha")


def test_draw_writes_the_clis_svg_and_tikz(cli, tmp_path):
    c = diagram.zoo("mlp")
    ours = c.draw(tmp_path / "ours.svg")
    run_cli(cli, "diagram", "draw", "zoo:mlp", "-o", str(tmp_path / "cli.svg"))
    assert ours.read_text().startswith("<svg") or "<svg" in ours.read_text()[:200]
    assert ours.read_bytes() == (tmp_path / "cli.svg").read_bytes()
    assert c._repr_svg_() == ours.read_text()
    tex = c.draw(tmp_path / "ours.tex")
    run_cli(cli, "diagram", "draw", "zoo:mlp", "-o", str(tmp_path / "cli.tex"))
    assert tex.read_bytes() == (tmp_path / "cli.tex").read_bytes()
    with pytest.raises(ValueError, match="format must be 'svg' or 'tikz'"):
        c.draw(tmp_path / "x.png", format="png")


TINY = """circuit tiny
size b = 3
input x [b i=4]
h = linear+ x i -> o=5 ; relu
p = softmax h over o
output p
"""


def _numpy_reference(c, x, params):
    """The tiny circuit in numpy, contracting each parameter by its axis names."""
    (wname, waxes), (bname, _) = [(n, a) for n, a in c._core.param_axes]
    w = params[wname]
    spec = "".join({"i": "i", "o": "o"}[a] for a in waxes)
    h = np.einsum(f"bi,{spec}->bo", x, w) + params[bname]
    h = np.maximum(h, 0)
    e = np.exp(h - h.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_run_matches_numpy_with_given_and_initialised_params():
    c = diagram.load(TINY)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    params = c.params(seed=4)
    assert set(params) == {n for n, _ in c._core.param_axes}
    out = c.run({"x": x}, seed=4)
    np.testing.assert_allclose(out["p"], _numpy_reference(c, x, params), rtol=1e-12, atol=1e-14)
    mine = {k: rng.normal(size=v.shape) for k, v in params.items()}
    out = c.run({"x": x}, params=mine)
    np.testing.assert_allclose(out["p"], _numpy_reference(c, x, mine), rtol=1e-12, atol=1e-14)
    # other sizes bind at run time
    x7 = rng.normal(size=(7, 4))
    assert c.run({"x": x7}, b=7)["p"].shape == (7, 5)


def test_run_errors_name_the_input_the_size_and_what_was_expected():
    c = diagram.load(TINY)
    with pytest.raises(ValueError, match=r"inputs\[\"x\"\]: expected shape \[3, 4\], got \[3, 5\]"):
        c.run({"x": np.zeros((3, 5))})
    with pytest.raises(ValueError, match="`x` is missing; tiny takes x \\[3, 4\\]"):
        c.run({})
    with pytest.raises(ValueError, match="`y` is no input of tiny"):
        c.run({"x": np.zeros((3, 4)), "y": np.zeros(2)})
    with pytest.raises(ValueError, match=r'unknown size `B`; its sizes are \["b"\]'):
        c.cost(B=2)
    with pytest.raises(ValueError, match="must be finite"):
        c.run({"x": np.full((3, 4), np.nan)})
    with pytest.raises(ValueError, match="no zoo model `nope`"):
        diagram.zoo("nope")


def test_zoo_listing_and_load_from_a_file(tmp_path):
    names = diagram.zoo_names()
    assert {"mlp", "mha", "resnet"} <= set(names)
    f = tmp_path / "tiny.ncd"
    f.write_text(TINY)
    assert diagram.load(f).name == "tiny" == diagram.load(str(f)).name


def test_run_releases_the_gil():
    c = diagram.zoo("resnet")
    assert releases_gil(lambda: c.run(seed=0))
