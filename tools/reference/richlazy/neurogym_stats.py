"""Golden statistics of neurogym 0.0.2's 2AF, DMS and CXT tasks, as the rich/lazy paper uses them.

Writes crates/richlazy/tests/data/neurogym_stats.json: per task, per step and channel, the mean
and standard deviation of the observation grouped by the decision-step label, the label
frequencies, and the per-step label pattern. The timings and dt are those of
BioRNN_RichLazy/main.py; trials come from ngym.Dataset(batch_size=32, seq_len=8).
"""
import json
import warnings

import numpy as np

warnings.filterwarnings("ignore")
import neurogym as ngym  # noqa: E402

TASKS = {
    "2AF": ("PerceptualDecisionMaking-v0",
            {"fixation": 0, "stimulus": 700, "delay": 0, "decision": 100}),
    "DMS": ("DelayMatchSample-v0",
            {"fixation": 0, "sample": 100, "delay": 500, "test": 100, "decision": 100}),
    "CXT": ("ContextDecisionMaking-v0",
            {"fixation": 0, "stimulus": 200, "delay": 500, "decision": 100}),
}
N_BATCHES = 400  # 12,800 trials per task


def cross(name, x):
    if name == "DMS":
        return (x[0, :, 1] * x[6, :, 1]).mean()
    if name == "CXT":
        return ((x[0, :, 1] - x[0, :, 2]) * x[0, :, 5]).mean()
    return (x[0, :, 1] - x[0, :, 2]).mean()


def main():
    out = {"neurogym": ngym.__version__, "trials_per_task": N_BATCHES * 32, "tasks": {}}
    for name, (env_id, timing) in TASKS.items():
        ds = ngym.Dataset(env_id, env_kwargs={"dt": 100, "timing": timing}, batch_size=32, seq_len=8)
        ds.seed(1234)
        xs, ys = [], []
        for _ in range(N_BATCHES):
            x, y = ds()
            xs.append(np.array(x, dtype=np.float64, copy=True))  # Dataset returns views of its cache
            ys.append(np.array(y, copy=True))
        x = np.concatenate(xs, axis=1)  # (8, trials, n_in)
        y = np.concatenate(ys, axis=1)  # (8, trials)
        dec = y[-1]
        labels = sorted(int(v) for v in np.unique(dec))
        groups = {}
        for lab in labels:
            sel = dec == lab
            groups[str(lab)] = {
                "count": int(sel.sum()),
                "mean": x[:, sel, :].mean(axis=1).round(6).tolist(),
                "std": x[:, sel, :].std(axis=1).round(6).tolist(),
            }
        out["tasks"][name] = {
            "env": env_id,
            "timing": timing,
            "n_in": int(x.shape[2]),
            "n_out": int(ds.env.action_space.n),
            "steps": int(x.shape[0]),
            "labels_nonfinal": sorted(int(v) for v in np.unique(y[:-1])),
            "by_label": groups,
            # cross-step moments that tie stimulus to label (means alone cannot):
            # DMS: E[x(step 0, ch 1) * x(step 6, ch 1)]; CXT: E[(x0_1 - x0_2) * x0_5] (mod-1 evidence in context 1)
            "cross_by_label": {
                str(lab): float(np.round(cross(name, x[:, dec == lab, :]), 6)) for lab in labels
            },
            # distinct values (rounded) seen at step 0 on channel 1, noise-free channels reveal levels
            "min": x.min(axis=1).round(6).tolist(),
            "max": x.max(axis=1).round(6).tolist(),
        }
    with open("crates/richlazy/tests/data/neurogym_stats.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
