"""A seeded inspection history with a planted signal, for the back-test tests and timing.

Each entity has a true failure probability on the logit scale
``logit p = base + entity effect + 0.6·size_z + line effect`` with entity effects
Normal(0, ``spread``) — some entities are truly worse than others — a numeric feature ``size``
(with some values missing) and a categorical ``line`` (one rare level). Outcomes are Bernoulli
draws; the truth ``p_true`` is kept apart for checks.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

LINE_EFFECT = {"cable": -0.4, "cell": 0.5, "charger": 0.0, "case": -0.2, "rare": 1.0}


def planted_history(n_entities: int = 400, per_entity: int = 12, *, seed: int = 7, spread: float = 1.2,
                    base: float = -1.5, start: date = date(2022, 1, 1), days: int = 730) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_entities * per_entity
    ent = np.repeat(np.arange(n_entities), per_entity)
    effect = rng.normal(0.0, spread, n_entities)[ent]
    day = rng.integers(0, days, n)
    size = rng.normal(0.0, 1.0, n)
    lines = np.array(list(LINE_EFFECT))
    line = lines[rng.choice(len(lines), n, p=[0.3, 0.3, 0.2, 0.19, 0.01])]
    line_eff = np.vectorize(LINE_EFFECT.get)(line) if n < 50_000 else pl.Series(line).replace_strict(LINE_EFFECT).to_numpy()
    eta = base + effect + 0.6 * size + line_eff
    p = 1.0 / (1.0 + np.exp(-eta))
    y = (rng.random(n) < p).astype(int)
    size_text = np.round(50 + 20 * size, 1).astype(str)
    size_text[rng.random(n) < 0.03] = ""
    dates = (np.datetime64(start) + day.astype("timedelta64[D]")).astype(str)
    return pl.DataFrame({
        "inspection_id": [f"I{i:07d}" for i in range(n)] if n < 50_000 else pl.int_range(0, n, eager=True).cast(pl.String),
        "entity_id": pl.Series(ent).cast(pl.String).str.pad_start(6, "0"),
        "date": dates,
        "outcome": y.astype(str),
        "size": size_text,
        "line": line,
        "p_true": p,
    })


def cutoff_for(frame: pl.DataFrame, share_after: float = 0.25) -> date:
    """A cutoff leaving about ``share_after`` of the rows on or after it."""
    d = np.sort(frame["date"].str.to_date().to_numpy())
    return date.fromisoformat(str(d[int(len(d) * (1 - share_after))]))
