"""NCAP from Python: the CLI's numbers, its policy files both ways, batched actions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import releases_gil, run_cli
from neurocircuits import ncap
from neurocircuits.swimmer import SwimmerEnv, SwimmerVectorEnv


def cli_eval(cli, policy, n_bodies, episodes, seed):
    out = run_cli(cli, "ncap", "eval", "--policy", str(policy), "--n-bodies", str(n_bodies),
                  "--episodes", str(episodes), "--seed", str(seed), "--json")
    return json.loads(out)


@pytest.mark.parametrize("policy, n_bodies", [("ncap", 6), ("random", 6), ("zero", 6), ("ncap", 9)])
def test_evaluate_returns_the_clis_numbers(cli, policy, n_bodies):
    ours = ncap.evaluate(policy, n_bodies=n_bodies, episodes=3, seed=7)
    assert set(ours) == {"mean", "sd", "returns"}
    assert ours == cli_eval(cli, policy, n_bodies, 3, 7)


def test_a_policy_written_in_python_is_read_by_the_cli_and_back(cli, tmp_path):
    p = ncap.NcapPolicy()
    p.params = [0.6, 1.3, 0.8, -1.1]
    path = tmp_path / "policy.json"
    p.save(path)
    assert ncap.NcapPolicy.load(path).weights == p.weights
    ours = ncap.evaluate(p, episodes=2, seed=3)
    assert ours == ncap.evaluate(path, episodes=2, seed=3)
    assert ours == cli_eval(cli, path, 6, 2, 3)
    assert ours != ncap.evaluate("ncap", episodes=2, seed=3)


def test_train_writes_a_policy_the_cli_evaluates_alike(cli, tmp_path):
    seen = []
    log = ncap.train("es", "ncap", steps=16_000, seed=1, out=tmp_path / "run",
                     progress=lambda s, m, t: seen.append((s, m)))
    assert log["train/steps"][0] == 0 and log["train/steps"][-1] >= 16_000
    assert len(log["test/episode_score/mean"]) == len(log["train/steps"]) >= 2
    assert seen and seen[-1][0] >= 16_000
    trained = ncap.NcapPolicy.load(tmp_path / "run" / "policy.safetensors")
    assert trained.kind == "ncap"
    assert trained.evaluate(episodes=2, seed=5) == cli_eval(cli, tmp_path / "run" / "policy.safetensors", 6, 2, 5)


def test_train_in_python_trains_what_the_cli_trains(cli, tmp_path):
    ncap.train("es", "mlp", steps=16_000, seed=2, out=tmp_path / "py", progress=False)
    run_cli(cli, "ncap", "train", "--algo", "es", "--model", "mlp", "--steps", "16000",
            "--seed", "2", "--out", str(tmp_path / "cli"))
    for name in ("policy.safetensors", "spec.json"):
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name


def read_safetensors(path):
    """The safetensors layout read by hand: 8-byte header length, JSON header, raw data."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    meta = json.loads(header.pop("__metadata__")["policy"])
    data = raw[8 + n:]
    tensors = {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], "<f8").reshape(v["shape"])
               for k, v in header.items()}
    return meta, tensors


def test_policy_files_are_safetensors_with_named_weights(tmp_path):
    p = ncap.NcapPolicy()
    p.params = [0.6, 1.3, 0.8, -1.1]
    path = tmp_path / "policy.safetensors"
    p.save(path)
    meta, t = read_safetensors(path)
    assert meta["format"] == "nc-ncap policy 1" and meta["policy"]["kind"] == "ncap"
    assert {k: float(v) for k, v in t.items()} == p.weights
    assert ncap.NcapPolicy.load(path).params.tolist() == p.params.tolist()


def test_a_policy_file_loads_in_pytorch_in_one_line(tmp_path):
    st = pytest.importorskip("safetensors.torch")  # not installed in CI
    p = ncap.NcapPolicy()
    p.save(tmp_path / "policy.safetensors")
    weights = st.load_file(tmp_path / "policy.safetensors")
    assert {k: v.item() for k, v in weights.items()} == p.weights


def test_act_in_the_env_reproduces_evaluate():
    p = ncap.NcapPolicy()
    p.params = [0.9, 1.1, 1.0, -0.7]
    env = SwimmerEnv()
    obs, _ = env.reset(seed=12)
    total, t = 0.0, 0
    while True:
        obs, r, _, trunc, _ = env.step(p.act(obs, t))
        total, t = total + r, t + 1
        if trunc:
            break
    assert total == p.evaluate(episodes=1, seed=12)["returns"][0]


def test_the_vector_env_with_batched_actions_reproduces_evaluate():
    p = ncap.NcapPolicy(n_bodies=5)
    v = SwimmerVectorEnv(num_envs=4, n_bodies=5, num_threads=2)
    obs, _ = v.reset(seed=20)
    totals = np.zeros(4)
    for t in range(1000):
        obs, r, _, trunc, _ = v.step(p.act(obs, t))
        totals += r
    assert trunc.all()
    assert totals.tolist() == p.evaluate(n_bodies=5, episodes=4, seed=20)["returns"]


def test_bad_input_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="need at least one episode|episodes must be at least 1"):
        ncap.evaluate("ncap", episodes=0)
    with pytest.raises(ValueError, match="policy file .*missing.json"):
        ncap.evaluate(str(tmp_path / "missing.json"))
    with pytest.raises(ValueError, match="n_bodies must be in 3..=20, got 2"):
        ncap.evaluate("zero", n_bodies=2)
    p = ncap.NcapPolicy()
    with pytest.raises(ValueError, match="params: expected 4 values, got 3"):
        p.params = [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="no swimmer observation"):
        p.act(np.zeros((1, 5)))
    with pytest.raises(ValueError, match="algo must be 'es', 'ppo' or 'ddpg'"):
        ncap.train("sac", "ncap", steps=10, out=tmp_path / "x", progress=False)


def test_evaluate_releases_the_gil():
    assert releases_gil(lambda: ncap.evaluate("random", episodes=8))
