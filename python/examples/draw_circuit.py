"""Write a circuit, check it, count its cost, run it on numpy data and draw it.

A notebook-style script (`# %%` cells). In Jupyter, a cell ending in a Circuit shows its
drawing inline. Writes attention.svg and attention.tex into the current folder.
"""

# %% a circuit in the .ncd language: single-head attention of t queries over s tokens
import numpy as np

from neurocircuits import diagram

c = diagram.load(
    """circuit attention
size m = 16     # model width
size k = 8      # head width
size t = 10     # queries
size s = 12     # tokens attended to
input X [t:token m]
input Z [s:token m]
z      = copy Z 2
q      = linear X m -> k
keys   = linear z.0 m -> k
vals   = linear z.1 m -> k
attn   = einsum "t k, s k -> t s" q keys ; scale k^-0.5 ; softmax over s
out    = einsum "t s, s k -> t k" attn vals
output out
"""
)
print(c)

# %% the checker, and the cost at two sequence lengths
for d in c.check():
    print(f"{d.severity}[{d.code}] at {d.location}: {d.message}")
for t in (10, 1000):
    cost = c.cost(t=t)
    print(f"t = {t}: {cost['params']} parameters, {cost['flops_forward']} FLOPs forward")

# %% run it on our own tokens, then with our own query weights
rng = np.random.default_rng(0)
queries, tokens = rng.normal(size=(10, 16)), rng.normal(size=(12, 16))
out = c.run({"X": queries, "Z": tokens}, seed=0)["out"]
print("output shape", out.shape, "mean", round(float(out.mean()), 4))
params = c.params(seed=0)
print("parameters:", {name: p.shape for name, p in params.items()})

# %% draw it (SVG and TikZ); in a notebook, `c` alone shows it
print("wrote", c.draw("attention.svg"), "and", c.draw("attention.tex"))
