"""neurocircuits from Python: a thin layer over the toolkit's Rust libraries.

Submodules:

- :mod:`neurocircuits.swimmer`: the MuJoCo-exact swimmer as Gymnasium environments
  (importing this package registers ``neurocircuits/Swimmer-v0``);
- :mod:`neurocircuits.ncap`: NCAP and MLP policies, evaluation and training (ES, PPO, DDPG);
- :mod:`neurocircuits.diagram`: neural circuit diagrams: load, check, cost, run, draw;
- :mod:`neurocircuits.richlazy`: cognitive tasks, rate-RNN training and the measures of rich
  and lazy learning on your own weights;
- :mod:`neurocircuits.bench`: ``python -m neurocircuits.bench swimmer`` times the vector
  environment against EnvPool and dm_control when they are installed.
"""

from . import _native
from ._native import CircuitError, SimulationError
from . import swimmer, ncap, diagram, richlazy

__version__ = _native.__version__

swimmer.register()

__all__ = [
    "CircuitError",
    "SimulationError",
    "swimmer",
    "ncap",
    "diagram",
    "richlazy",
    "__version__",
]
