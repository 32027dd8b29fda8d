"""The seeded demo world: reproducible, valid, calibrated to the published power-bank results,
and streamed (bounded memory) for large runs."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from lingqu.exceptions import ValidationError
from lingqu.kit.identifiers import is_valid_uscc
from lingqu.simulate.world import generate_world

DATA = Path(__file__).resolve().parents[2] / "src" / "lingqu" / "data"

# The columns the importers read (from the generator's specification, not from its code).
COLUMNS = {
    "enterprises.csv": "uscc,name,city,district,cluster,address,founded,size,device_class,catalogue_code",
    "sampling.csv": "batch_id,uscc,enterprise_name,product_name,brand,model,cluster,sampled_on,city,district,channel,"
    "lab,standard_code,test_item,verdict,measured_value,unit,limit,severity",
    "complaints.csv": "complaint_id,uscc,received_on,channel,category,description",
    "certificates.csv": "certificate_no,uscc,kind,product_name,model,standard_code,issued_on,expires_on,status",
    "assistance.csv": "assistance_id,uscc,started_on,kind,provider",
    "institutions.csv": "name,kind,city,accreditation_no,scope,capacity_per_month,turnaround_days",
}
TRUTH = {
    "truth/enterprise_quality.csv": "uscc,cluster,size,cluster_mean_logit,size_effect,enterprise_effect,base_logit,"
    "base_propensity,propensity_start,propensity_end,sampling_rate_per_year,weakest_item,deterioration_on,assistance_count",
    "truth/deteriorations.csv": "uscc,date,logit_jump,propensity_before,new_propensity",
    "truth/assistance_effects.csv": "assistance_id,uscc,started_on,kind,provider,logit_effect,ramp_days,"
    "propensity_before,propensity_after",
    "truth/batches.csv": "batch_id,uscc,sampled_on,channel,latent_logit,year_offset,channel_effect,failure_probability,"
    "failed,failed_items",
}
CITIES = {"深圳", "广州", "东莞", "惠州", "中山", "江门"}


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema_length=0)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seed1")
    generate_world(out, seed=1)
    return out


@pytest.fixture(scope="module")
def sampling(world) -> pl.DataFrame:
    return _read(world / "sampling.csv")


def _run_child(out: Path, enterprises: int, hash_seed: str) -> int:
    """Generate in a fresh interpreter; return its peak resident memory in MB.

    The peak is the child's VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across
    execve, and subprocess starts the child with vfork, so ru_maxrss reported the pytest worker's
    own peak (1 030 MB in CI for both world sizes) instead of the generator's."""
    code = (
        "import sys; from pathlib import Path; from lingqu.simulate.world import generate_world; "
        f"generate_world(Path(sys.argv[1]), seed=5, enterprises={enterprises}); "
        "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')) // 1024)"
    )
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    done = subprocess.run([sys.executable, "-c", code, str(out)], env=env, capture_output=True, text=True, timeout=300, check=True)
    return int(done.stdout.split()[-1])


@pytest.fixture(scope="module")
def children(tmp_path_factory) -> dict:
    """Worlds generated in child processes (other hash seeds), with their peak memory: 4 100
    enterprises (three blocks of up to 2 000) and 20 000 (ten blocks)."""
    small, large = tmp_path_factory.mktemp("small"), tmp_path_factory.mktemp("large")
    return {
        "small": small, "small_mb": _run_child(small, 4_100, "12345"),
        "large": large, "large_mb": _run_child(large, 20_000, "0"),
    }


@pytest.fixture(scope="module")
def large_world(children) -> Path:
    return children["large"]


# --- reproducibility ----------------------------------------------------------------------

def test_same_seed_and_arguments_give_identical_bytes_in_every_file(world, tmp_path):
    again = tmp_path / "again"
    generate_world(again, seed=1)
    assert _files(again) == _files(world)
    assert len(_files(world)) == 13  # 7 CSV files, 4 truth CSV files, truth/README.md, manifest.json
    for name in _files(world):
        assert (again / name).read_bytes() == (world / name).read_bytes(), name


def test_different_seed_gives_different_files(world, tmp_path):
    generate_world(tmp_path, seed=2)
    for name in ("enterprises.csv", "sampling.csv", "complaints.csv", "certificates.csv", "truth/batches.csv"):
        assert (tmp_path / name).read_bytes() != (world / name).read_bytes(), name


def test_multi_block_world_is_identical_across_processes_with_different_hash_seeds(children, tmp_path):
    generate_world(tmp_path, seed=5, enterprises=4_100)  # three blocks, this process's hash seed
    assert _files(tmp_path) == _files(children["small"])
    for name in _files(tmp_path):
        assert (children["small"] / name).read_bytes() == (tmp_path / name).read_bytes(), name


# --- shape of the files ---------------------------------------------------------------------

def test_every_file_has_exactly_the_specified_columns_and_unix_line_endings(world):
    for name, header in (COLUMNS | TRUTH).items():
        raw = (world / name).read_bytes()
        assert raw.decode("utf-8").split("\n", 1)[0] == header, name
        assert b"\r" not in raw, name
        with (world / name).open(encoding="utf-8", newline="") as f:
            widths = {len(row) for row in csv.reader(f)}
        assert widths == {len(header.split(","))}, name
    readme = (world / "truth/README.md").read_text(encoding="utf-8")
    assert all(f"## {Path(name).name}" in readme for name in TRUTH)


def test_manifest_counts_the_rows_of_every_file(world):
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 1 and manifest["arguments"]["enterprises"] == 600
    assert manifest["enterprises"] == {"power_bank": 450, "medical_device": 150}
    for name, rows in manifest["rows"].items():
        with (world / name).open(encoding="utf-8", newline="") as f:
            assert sum(1 for _ in csv.reader(f)) - 1 == rows, name


def test_enterprises_have_valid_unique_usccs_names_and_real_places(world):
    e = _read(world / "enterprises.csv")
    assert e.height == 600
    assert all(is_valid_uscc(u) for u in e["uscc"])
    assert e["uscc"].n_unique() == 600 and e["name"].n_unique() == 600
    assert set(e["city"]) == CITIES
    assert all(n.startswith(c + "市") and n.endswith("有限公司") for n, c in zip(e["name"], e["city"]))
    division = {"深圳": "440300", "广州": "440100", "东莞": "441900", "惠州": "441300", "中山": "442000", "江门": "440700"}
    assert all(u[2:8] == division[c] for u, c in zip(e["uscc"], e["city"]))
    counts = dict(e.group_by("city").len().iter_rows())
    assert counts["深圳"] > counts["广州"] and counts["东莞"] > counts["广州"]
    assert set(e["size"]) == {"micro", "small", "medium", "large"}
    md = e.filter(pl.col("cluster") == "medical_device")
    catalogue = set(_read(DATA / "mdr_catalog_2017.csv")["code"])
    assert set(md["device_class"]) <= {"I", "II", "III"} and set(md["catalogue_code"]) <= catalogue
    assert e.filter(pl.col("cluster") == "power_bank")["device_class"].null_count() == 450
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in e["founded"])


def test_usccs_stay_unique_in_a_large_world(large_world):
    out = large_world
    e = _read(out / "enterprises.csv")
    assert e.height == 20_000 and e["uscc"].n_unique() == 20_000 and e["name"].n_unique() == 20_000
    assert all(is_valid_uscc(u) for u in e["uscc"])


# --- calibration against the published results ----------------------------------------------

def test_every_batch_tests_the_sixteen_rule_items_plus_marking(sampling):
    items = _read(DATA / "power_bank_test_items.csv")
    rule = set(items.filter(pl.col("sampling_rule_16item_no").is_not_null())["item_zh"])
    assert len(rule) == 16
    per_batch = sampling.group_by("batch_id").agg(pl.col("test_item").sort())
    expected = sorted(rule | {"外观及标识"})
    assert all(list(x) == expected for x in per_batch["test_item"])
    assert set(sampling["cluster"]) == {"power_bank"}
    assert set(sampling["channel"]) == {"production", "circulation", "online"}


def _yearly_pass_rates(sampling: pl.DataFrame) -> dict[str, float]:
    batches = sampling.group_by("batch_id").agg(
        pl.col("sampled_on").first().str.slice(0, 4).alias("year"), (pl.col("verdict") == "合格").all().alias("passed")
    )
    return dict(batches.group_by("year").agg(pl.col("passed").mean()).iter_rows())


def test_yearly_batch_pass_rate_lies_in_the_published_60_to_80_percent(sampling):
    # national pass rates 60.3 % (2019), 80.2 % (2020), 75.0 % (2021), 64.6 % (2023):
    # power_bank_sampling_results.csv, sources S08-S12
    rates = _yearly_pass_rates(sampling)
    assert sorted(rates) == ["2022", "2023", "2024", "2025"]
    for year, rate in rates.items():
        assert 0.60 <= rate <= 0.80, (year, rate)


def test_large_world_meets_the_yearly_targets_closely(large_world):
    out = large_world
    rates = _yearly_pass_rates(_read(out / "sampling.csv"))
    targets = {"2022": 0.72, "2023": 0.66, "2024": 0.70, "2025": 0.74}  # calibration.TARGET_PASS_RATE
    for year, target in targets.items():
        assert abs(rates[year] - target) < 0.02, (year, rates[year])


def test_top_failing_items_are_the_published_ones(sampling):
    fails = sampling.filter(pl.col("verdict") == "不合格").group_by("test_item").len().sort("len", descending=True)
    top3 = list(fails["test_item"][:3])
    assert "转换效率" in top3 and "有效输出容量（常温/高温）" in top3
    published = {"转换效率", "有效输出容量（常温/高温）", "外观及标识", "过充电", "重物冲击", "热滥用", "输出电压", "无线电骚扰"}
    assert set(fails["test_item"][:6]) <= published


def test_online_batches_fail_more_often_than_production_batches(large_world):
    out = large_world
    t = _read(out / "truth/batches.csv").with_columns(pl.col("failed").cast(pl.Int32))
    rate = dict(t.group_by("channel").agg(pl.col("failed").mean()).iter_rows())
    assert rate["online"] > rate["production"] + 0.05


def test_measured_values_agree_with_verdicts_and_limits(sampling):
    s = sampling.with_columns(pl.col("measured_value").cast(pl.Float64))
    ok = pl.col("verdict") == "合格"
    eff = s.filter(pl.col("test_item") == "转换效率")
    assert (eff["limit"] == ">=80%").all() and (eff["unit"] == "%").all()
    assert ((eff["measured_value"] >= 80) == (eff["verdict"] == "合格")).all()
    cap = s.filter(pl.col("test_item") == "有效输出容量（常温/高温）")
    assert (cap["limit"] == ">=100%").all()
    assert ((cap["measured_value"] >= 100) == (cap["verdict"] == "合格")).all()
    volt = s.filter(pl.col("test_item") == "输出电压")
    assert (volt["limit"] == "±5%").all()
    assert ((volt["measured_value"].abs() <= 5) == (volt["verdict"] == "合格")).all()
    assert s.filter(pl.col("test_item").is_in(["过充电保护", "短路保护", "过充电"]))["measured_value"].null_count() > 0
    assert s.filter(pl.col("test_item").is_in(["过充电保护", "短路保护", "过充电"]))["measured_value"].is_null().all()
    assert s.filter(ok)["severity"].is_null().all()
    assert set(s.filter(~ok)["severity"]) <= {"critical", "major", "minor"}


def test_standard_code_is_the_edition_in_force_on_the_sampling_day(sampling):
    heat = sampling.filter(pl.col("test_item") == "发热要求")
    assert set(heat.filter(pl.col("sampled_on") < "2023-08-01")["standard_code"]) == {"GB 4943.1-2011"}
    assert set(heat.filter(pl.col("sampled_on") >= "2023-08-01")["standard_code"]) == {"GB 4943.1-2022"}
    abuse = sampling.filter(pl.col("test_item") == "热滥用")
    assert set(abuse.filter(pl.col("sampled_on") < "2024-01-01")["standard_code"]) == {"GB 31241-2014"}
    assert set(abuse.filter(pl.col("sampled_on") >= "2024-01-01")["standard_code"]) == {"GB 31241-2022"}
    assert set(sampling.filter(pl.col("test_item") == "转换效率")["standard_code"]) == {"GB/T 35590-2017"}


def test_batch_ids_are_unique_and_sampling_covers_2022_to_2025(sampling):
    first = sampling.group_by("batch_id").agg(pl.col("sampled_on").first())
    assert all(re.fullmatch(r"PB(\d{4})-\d{6}", b) for b in first["batch_id"])
    assert all(b[2:6] == d[:4] for b, d in first.iter_rows())
    assert first["sampled_on"].min() >= "2022-01-01" and first["sampled_on"].max() <= "2025-12-31"
    per_year = first.group_by(pl.col("sampled_on").str.slice(0, 4)).len()
    assert per_year.height == 4


# --- ground truth ---------------------------------------------------------------------------

def test_truth_batches_match_the_sampling_verdicts(world, sampling):
    truth = _read(world / "truth/batches.csv")
    failed = sampling.group_by("batch_id").agg((pl.col("verdict") == "不合格").sum().alias("n"))
    joined = truth.join(failed, on="batch_id", how="full", coalesce=True)
    assert joined.height == truth.height == failed.height
    assert (joined["failed_items"].cast(pl.Int64) == joined["n"]).all()
    p = truth["failure_probability"].cast(pl.Float64)
    assert ((p > 0) & (p < 1)).all()


def test_deteriorations_are_dated_inside_the_period_and_raise_the_propensity(world, large_world):
    for root, n in ((world, 600), (large_world, 20_000)):
        d = _read(root / "truth/deteriorations.csv")
        assert 0.05 * n < d.height < 0.15 * n  # about 10 % of the enterprises
        assert d["date"].min() >= "2022-01-01" and d["date"].max() <= "2025-12-31"
        assert (d["new_propensity"].cast(pl.Float64) > d["propensity_before"].cast(pl.Float64)).all()
        quality = _read(root / "truth/enterprise_quality.csv")
        marked = quality.filter(pl.col("deterioration_on").is_not_null())
        assert set(marked["uscc"]) == set(d["uscc"])


def test_complaints_surge_after_a_deterioration(large_world):
    out = large_world
    d = _read(out / "truth/deteriorations.csv").with_columns(pl.col("date").str.to_date())
    c = _read(out / "complaints.csv").with_columns(pl.col("received_on").str.to_date()).join(d, on="uscc")
    days = (pl.col("received_on") - pl.col("date")).dt.total_days()
    before = c.filter((days >= -180) & (days < 0)).height
    after = c.filter((days >= 0) & (days < 180)).height
    assert after > 2 * before
    assert set(_read(out / "complaints.csv")["channel"]) == {"12315热线", "网络", "来信"}


def test_assistance_goes_more_often_to_poor_enterprises_and_lowers_their_propensity(large_world):
    out = large_world
    q = _read(out / "truth/enterprise_quality.csv").with_columns(
        pl.col("base_propensity").cast(pl.Float64), pl.col("assistance_count").cast(pl.Int32)
    )
    helped = q.filter(pl.col("assistance_count") > 0)["base_propensity"].mean()
    others = q.filter(pl.col("assistance_count") == 0)["base_propensity"].mean()
    assert helped > others
    effects = _read(out / "truth/assistance_effects.csv")
    assert (effects["propensity_after"].cast(pl.Float64) < effects["propensity_before"].cast(pl.Float64)).all()
    a = _read(out / "assistance.csv")
    assert a["assistance_id"].n_unique() == a.height == effects.height
    assert set(a["kind"]) == {"diagnosis", "training", "testing"}
    assert set(a["provider"]) <= set(_read(out / "institutions.csv")["name"])


# --- certificates and institutions ----------------------------------------------------------

def test_certificates_follow_the_ccc_and_device_registration_rules(world):
    c = _read(world / "certificates.csv")
    assert c["certificate_no"].n_unique() == c.height
    assert set(c["status"]) <= {"valid", "suspended", "revoked", "expired"}
    ccc = c.filter(pl.col("kind") == "CCC")
    assert all(re.fullmatch(r"20\d{14}", x) for x in ccc["certificate_no"])
    assert set(ccc["standard_code"]) >= {"GB 4943.1-2022; GB 31241-2022", "GB 4943.1-2011; GB 31241-2014"}
    # CCC is mandatory from 2024-08-01: the old-edition certificates expired at the end of the transition
    old = ccc.filter(pl.col("standard_code").str.contains("GB 4943.1-2011"))
    assert (old["status"] == "expired").all() and (old["expires_on"] == "2024-07-31").all()
    reg = c.filter(pl.col("kind") == "registration")
    assert all(re.fullmatch(r"(粤械注准20\d{2}2|国械注准20\d{2}3)\d{2}\d{4,}", x) for x in reg["certificate_no"])
    filing = c.filter(pl.col("kind") == "filing")
    assert all(re.fullmatch(r"粤[深穗莞惠中江]械备20\d{6,}", x) for x in filing["certificate_no"])
    e = _read(world / "enterprises.csv")
    classes = dict(zip(e["uscc"], e["device_class"]))
    assert all(classes[u] in {"II", "III"} for u in reg["uscc"])
    assert all(classes[u] is None for u in ccc["uscc"])


def test_institutions_scope_lists_real_standards_and_test_items(world):
    inst = _read(world / "institutions.csv")
    assert 25 <= inst.height <= 35 and set(inst["city"]) == CITIES
    known = set(_read(DATA / "standards_seed.csv")["code"]) | set(_read(DATA / "power_bank_test_items.csv")["item_zh"])
    for scope in inst["scope"]:
        assert set(scope.split(";")) <= known, scope
    labs = inst.filter(pl.col("kind") == "lab")
    assert all(re.fullmatch(r"CNAS L\d{4}", a) for a in labs["accreditation_no"])
    assert inst.filter(pl.col("kind") == "association")["accreditation_no"].is_null().all()
    sampling_labs = set(_read(world / "sampling.csv")["lab"])
    assert sampling_labs <= set(labs["name"])


# --- scale, CLI, arguments ------------------------------------------------------------------

def test_streamed_generation_keeps_memory_bounded(children):
    # peak memory is set by one block, not by the world: 5x the enterprises, about the same peak
    small, large = children["small_mb"], children["large_mb"]
    assert large < 512, f"peak RSS {large} MB"
    assert large < small + 100, f"20 000 enterprises used {large} MB against {small} MB for 4 100"


def test_cli_generate_writes_the_world_and_prints_a_summary(tmp_path):
    from lingqu.cli import app

    result = CliRunner().invoke(app, ["demo", "generate", "--seed", "3", "--enterprises", "40", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "pass rate" in result.output and "sampling.csv" in result.output
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["enterprises"] == {"power_bank": 30, "medical_device": 10}


@pytest.mark.parametrize("kwargs", [{"seed": -1}, {"seed": 1, "enterprises": 0}, {"seed": 1, "start_year": 2026}])
def test_invalid_arguments_are_refused_with_the_parameter_named(tmp_path, kwargs):
    with pytest.raises(ValidationError) as err:
        generate_world(tmp_path, **kwargs)
    assert err.value.field in {"seed", "enterprises", "start_year"}
