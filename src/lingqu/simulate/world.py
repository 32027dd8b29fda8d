"""The seeded demo-world generator: ``generate_world(out_dir, seed, enterprises)``.

The world is generated in blocks of ``BLOCK_SIZE`` enterprises and written as it goes, so memory
stays bounded whatever the number of enterprises. Block ``b`` draws from its own random streams,
``SeedSequence(seed, spawn_key=(1, b))`` spawned once per purpose (registry, sampling,
complaints, certificates, assistance), so its content depends only on the seed, the block number
and the run's size, never on timing, hashing or dict order: the same arguments give the same
bytes. Identifiers that must be unique across the whole world (USCC, names) come from
bijections of the enterprise number (see ``names.Namer``); sequence numbers (batch, complaint,
certificate, assistance ids) are running counters in writing order.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from lingqu.exceptions import ValidationError
from lingqu.simulate import calibration as cal
from lingqu.simulate import records
from lingqu.simulate.batches import BATCH_TRUTH_COLUMNS, SAMPLING_COLUMNS, simulate_sampling
from lingqu.simulate.catalogue import day_number
from lingqu.simulate.enterprises import MD, PB, make_block
from lingqu.simulate.institutions import institution_rows
from lingqu.simulate.names import Namer

BLOCK_SIZE = 2000
MAX_ENTERPRISES = 20_000_000
FORMAT_VERSION = 1
INSTITUTION_COLUMNS = ("name", "kind", "city", "accreditation_no", "scope", "capacity_per_month", "turnaround_days")

#: file (relative to the output folder) → columns, in the order the manifest lists them
FILES: dict[str, tuple[str, ...]] = {
    "enterprises.csv": records.ENTERPRISE_COLUMNS,
    "products.csv": records.PRODUCT_COLUMNS,
    "sampling.csv": SAMPLING_COLUMNS,
    "complaints.csv": records.COMPLAINT_COLUMNS,
    "certificates.csv": records.CERTIFICATE_COLUMNS,
    "assistance.csv": records.ASSISTANCE_COLUMNS,
    "institutions.csv": INSTITUTION_COLUMNS,
    "truth/enterprise_quality.csv": records.QUALITY_COLUMNS,
    "truth/deteriorations.csv": records.DETERIORATION_COLUMNS,
    "truth/assistance_effects.csv": records.ASSISTANCE_EFFECT_COLUMNS,
    "truth/batches.csv": BATCH_TRUTH_COLUMNS,
}


class _Sink:
    """A CSV file written in pieces: UTF-8, header row, comma separated, ``\\n`` line endings."""

    def __init__(self, path: Path, columns: tuple[str, ...]) -> None:
        self.file = path.open("wb")
        self.rows = 0
        self._write_rows([columns])

    def _write_rows(self, rows) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        self.file.write(buf.getvalue().encode("utf-8"))

    def write_rows(self, rows: list[tuple]) -> None:
        if rows:
            self._write_rows(rows)
            self.rows += len(rows)

    def write_frame(self, frame: pl.DataFrame, float_precision: int) -> None:
        if frame.height:
            buf = io.BytesIO()
            # empty strings as nulls, so that they are written as nothing rather than ""
            frame = frame.with_columns(pl.col(pl.String).replace("", None))
            frame.write_csv(buf, include_header=False, float_precision=float_precision, line_terminator="\n")
            self.file.write(buf.getvalue())
            self.rows += frame.height

    def close(self) -> None:
        self.file.close()


def _streams(seed: int, block: int) -> list[np.random.Generator]:
    ss = np.random.SeedSequence(seed, spawn_key=(1, block))
    return [np.random.Generator(np.random.PCG64(s)) for s in ss.spawn(5)]


def _check(seed: int, enterprises: int, start_year: int, end_year: int) -> None:
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValidationError(f"seed must be a non-negative integer, got {seed!r}", field="seed")
    if not 1 <= enterprises <= MAX_ENTERPRISES:
        raise ValidationError(f"enterprises must be between 1 and {MAX_ENTERPRISES}, got {enterprises}", field="enterprises")
    if not 2000 <= start_year <= end_year <= 2100:
        raise ValidationError(f"years must satisfy 2000 <= start_year <= end_year <= 2100, got {start_year}-{end_year}", field="start_year")


def generate_world(
    out_dir: Path,
    seed: int,
    enterprises: int | None = None,
    start_year: int = 2022,
    end_year: int = 2025,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Write the demo world to ``out_dir`` and return its manifest (also written as manifest.json).

    ``enterprises`` defaults to 600 (450 power bank, 150 medical device). ``progress`` is called
    with (enterprises done, total) after each block.
    """
    total = cal.DEFAULT_ENTERPRISES if enterprises is None else int(enterprises)
    _check(seed, total, start_year, end_year)
    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    years = list(range(start_year, end_year + 1))
    months = 12 * len(years)
    start_day, end_day = day_number(f"{start_year}-01-01"), day_number(f"{end_year}-12-31")

    id_rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0,))))
    namer = Namer(id_rng, total)
    ccc_ids = records.Counter(int(id_rng.integers(1_000_000, 9_000_000)))
    md_ids = records.Counter(int(id_rng.integers(0, 200)))
    complaint_ids, assistance_ids = records.Counter(), records.Counter()
    batch_counters = {y: 0 for y in years}
    batch_width = max(6, len(str(6 * total)))
    other_width = max(6, len(str(2 * total)))

    sinks = {name: _Sink(out_dir / name, cols) for name, cols in FILES.items()}
    batches_by_year = {y: 0 for y in years}
    failed_by_year = {y: 0 for y in years}
    clusters = {"power_bank": 0, "medical_device": 0}
    try:
        sinks["institutions.csv"].write_rows(institution_rows())
        for b, first in enumerate(range(0, total, BLOCK_SIZE)):
            n = min(BLOCK_SIZE, total - first)
            r_ent, r_samp, r_comp, r_cert, r_assist = _streams(seed, b)
            block = make_block(r_ent, namer, first, n, start_day=start_day, end_day=end_day, start_year=start_year, months=months)
            clusters["power_bank"] += int((block.cluster == PB).sum())
            clusters["medical_device"] += int((block.cluster == MD).sum())
            sampling = simulate_sampling(r_samp, block, years, batch_counters, batch_width)

            sinks["enterprises.csv"].write_rows(records.enterprise_rows(block))
            sinks["products.csv"].write_rows(records.product_rows(block))
            sinks["sampling.csv"].write_frame(sampling.rows, 1)
            sinks["complaints.csv"].write_rows(records.complaints(r_comp, block, start_year, months, complaint_ids, other_width))
            sinks["certificates.csv"].write_rows(
                records.certificates(r_cert, block, sampling.critical_fail_day, start_day, end_day, ccc_ids, md_ids)
            )
            assist, assist_truth = records.assistance(r_assist, block, assistance_ids, other_width)
            sinks["assistance.csv"].write_rows(assist)
            quality, deteriorations = records.truth_rows(block, sampling.profile, start_day, end_day)
            sinks["truth/enterprise_quality.csv"].write_rows(quality)
            sinks["truth/deteriorations.csv"].write_rows(deteriorations)
            sinks["truth/assistance_effects.csv"].write_rows(assist_truth)
            truth = sampling.truth.with_columns(pl.col(pl.Float64).round(4))
            sinks["truth/batches.csv"].write_frame(truth, 4)
            yearly = truth.group_by(pl.col("sampled_on").dt.year().alias("y")).agg(
                pl.len().alias("n"), pl.col("failed").cast(pl.Int64).sum().alias("f")
            )
            for y, cnt, fails in yearly.iter_rows():
                batches_by_year[y] += cnt
                failed_by_year[y] += fails
            if progress is not None:
                progress(first + n, total)
    finally:
        for s in sinks.values():
            s.close()

    (out_dir / "truth" / "README.md").write_text(TRUTH_README, encoding="utf-8")
    manifest = {
        "generator": "lingqu.simulate.world",
        "format_version": FORMAT_VERSION,
        "seed": int(seed),
        "arguments": {"enterprises": total, "start_year": start_year, "end_year": end_year},
        "enterprises": clusters,
        "rows": {name: sinks[name].rows for name in FILES},
        "power_bank_batches_by_year": {str(y): batches_by_year[y] for y in years},
        "power_bank_pass_rate_by_year": {
            str(y): round(1 - failed_by_year[y] / batches_by_year[y], 4) if batches_by_year[y] else None for y in years
        },
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


TRUTH_README = """\
# Ground truth of the demo world

These files say what the simulator *knows* and the platform must *infer*. Nothing in Lingqu
reads this folder: it is here to score the risk model, the early warnings and the assistance
evaluation against the truth (see docs/demo-world.md for the model).

Terms. The *latent logit* of an enterprise on a day is base logit + slow drift + deterioration
jump (after its date) - assistance effects (ramped in after each start). Its *propensity* is
sigmoid(latent logit): the probability that a production-channel batch fails in a year whose
market offset is 0. A sampled batch fails with probability
sigmoid(latent logit + year offset + channel effect).

## enterprise_quality.csv (one row per enterprise)
- uscc, cluster, size: as in enterprises.csv
- cluster_mean_logit, size_effect, enterprise_effect: the parts of the base logit
- base_logit: their sum; base_propensity = sigmoid(base_logit)
- propensity_start: propensity on the first simulated day (or the founding day if later)
- propensity_end: propensity on the last simulated day
- sampling_rate_per_year: expected batches a year (power bank only: 1 + 5 r)
- weakest_item: the test item with the largest share in this enterprise's failure profile (power bank only)
- deterioration_on: date of the injected deterioration, empty if none
- assistance_count: number of assistance records (0-2)

## deteriorations.csv (one row per injected deterioration)
- uscc, date: the enterprise and the first day of the deterioration
- logit_jump: the permanent increase of the latent logit from that day
- propensity_before, new_propensity: propensity just before and on that day

## assistance_effects.csv (one row per assistance record of assistance.csv)
- assistance_id, uscc, started_on, kind, provider: as in assistance.csv
- logit_effect: the decrease of the latent logit once fully in effect
- ramp_days: the effect builds up linearly over this many days after started_on
- propensity_before: propensity on started_on
- propensity_after: the same day's propensity with the effect fully applied (all else equal)

## batches.csv (one row per sampled batch of sampling.csv)
- batch_id, uscc, sampled_on, channel: as in sampling.csv
- latent_logit: the enterprise's latent logit on sampled_on
- year_offset, channel_effect: the market-wide logit offsets of that year and channel
- failure_probability: sigmoid(latent_logit + year_offset + channel_effect), the true probability that the batch fails
- failed: 1 if the batch failed (some item 不合格), else 0
- failed_items: number of failing test items
"""
