"""Units as data: the demo city's 站所, 职能部门 and 调委会, and the import's checks."""

import json

import pytest
import sqlalchemy as sa

from gridcase.cases.catalogue import leaf_codes
from gridcase.errors import ImportRejected
from gridcase.extensions import db
from gridcase.units.importer import import_units
from gridcase.units.models import Unit, UnitCategory
from tests.helpers import CITY, FENGQIAO, grid_in

TOWNSHIPS = 23  # every township of the demo city (geodata/README.md)
STATIONS_PER_TOWNSHIP = 9


def defaults_in(region_code: str) -> dict[str, str]:
    """Category code → the default unit's code in a region."""
    return dict(
        db.session.execute(
            sa.select(UnitCategory.category_code, UnitCategory.unit_code).where(
                UnitCategory.region_code == region_code, UnitCategory.is_default
            )
        ).all()
    )


def test_the_demo_city_has_every_townships_stations_and_a_default_unit_for_every_category():
    units = db.session.scalars(sa.select(Unit)).all()
    stations = [u for u in units if u.kind == "station"]
    assert len(stations) == TOWNSHIPS * STATIONS_PER_TOWNSHIP
    assert {u.level for u in stations} == {"township"}
    city_units = {u.name for u in units if u.region_code == CITY}
    assert {
        "诸暨市人力资源和社会保障局劳动保障监察大队",
        "诸暨市医疗纠纷人民调解委员会",
        "诸暨市司法局",
    } <= city_units

    city_defaults = defaults_in(CITY)
    assert set(city_defaults) == leaf_codes()  # every category has a default unit in the city
    assert city_defaults["D1001"] == f"{CITY}-ldbzjc"  # 拖欠劳动报酬 → 劳动保障监察
    assert city_defaults["D12"] == f"{CITY}-yltwh"  # 医疗纠纷 → 医调委

    fengqiao = defaults_in(FENGQIAO)
    assert fengqiao["D1001"] == f"{FENGQIAO}-rlsbs"  # in the township: its 人力社保所
    assert fengqiao["D0102"] == f"{FENGQIAO}-sfs"  # 赡养纠纷 → 司法所 (the parent D01 stands for its leaves)
    assert "D12" not in fengqiao  # no township station mediates medical disputes: the city's is proposed


def test_a_units_limits_per_category_fall_back_to_the_units_own():
    handled = db.session.get(UnitCategory, (f"{FENGQIAO}-rlsbs", "D1001"))
    assert handled.limits() == (handled.unit.sign_days, handled.unit.finish_days)


def unit(code="330681109000-test", **overrides) -> dict:
    entry = {
        "code": code,
        "name": "枫桥镇测试所",
        "kind": "station",
        "region": FENGQIAO,
        "sign_days": 1,
        "finish_days": 10,
        "handles": [{"category": "D02"}],
    }
    entry.update(overrides)
    return entry


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (unit(code="枫桥"), "a unit code is 2–40 ASCII letters"),
        (unit(name=""), "a name of 1–100 characters is required"),
        (unit(kind="office"), "kind is one of station, department, mediation_committee"),
        (unit(region="330681999000"), "the region '330681999000' does not exist"),
        (unit(region="A_GRID"), "a unit serves a township, district or city, not a grid"),
        (unit(sign_days=11), "sign_days cannot be longer than finish_days"),
        (unit(finish_days=0), "finish_days is a whole number of working days from 1 to 366"),
        (unit(handles=[{"category": "X9999"}]), "the category 'X9999' is not in the catalogue"),
        (unit(handles=[{"category": "D01"}, {"category": "D0102"}]), "the category D0102 is listed twice"),
        (unit(handles=[{"category": "D02", "sign_days": 20}]), "category D02: sign_days cannot be longer"),
        (unit(credit_code="91350100M000100Y44"), "check character does not match"),
        (
            unit(handles=[{"category": "D02", "default": True}]),
            f"{FENGQIAO}-sfs is already the default unit for D02 in 枫桥镇",
        ),
    ],
)
def test_a_bad_entry_is_refused_with_its_code_and_nothing_is_written(entry, problem):
    if entry["region"] == "A_GRID":
        entry = {**entry, "region": grid_in(FENGQIAO).code}
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Unit))
    with pytest.raises(ImportRejected) as refused:
        import_units([unit(code="330681109000-fine"), entry])
    assert any(problem in p for p in refused.value.problems), refused.value.problems
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == before


def test_the_same_code_twice_in_a_file_is_refused():
    with pytest.raises(ImportRejected) as refused:
        import_units([unit(), unit()])
    assert refused.value.problems == ["330681109000-test: the code is listed twice"]


def test_a_re_import_updates_in_place_and_replaces_the_categories():
    first = import_units([unit(handles=[{"category": "D02"}, {"category": "D04"}])])
    assert first.created == ["330681109000-test"]
    again = import_units([unit(name="枫桥镇测试所（新）", handles=[{"category": "D06", "finish_days": 20}])])
    assert again.updated == ["330681109000-test"]
    stored = db.session.get(Unit, "330681109000-test")
    assert stored.name == "枫桥镇测试所（新）"
    assert [(h.category_code, h.limits()) for h in stored.handles] == [("D06", (1, 20))]


def test_moving_a_default_from_one_unit_to_another_in_one_file_is_accepted():
    sfs = db.session.get(Unit, f"{FENGQIAO}-sfs")
    as_filed = {
        "code": sfs.code,
        "name": sfs.name,
        "kind": sfs.kind,
        "region": sfs.region_code,
        "sign_days": sfs.sign_days,
        "finish_days": sfs.finish_days,
        "handles": [
            {"category": h.category_code, "default": h.is_default}
            for h in sfs.handles
            if h.category_code != "D02"
        ],
    }
    report = import_units([as_filed, unit(handles=[{"category": "D02", "default": True}])])
    assert defaults_in(FENGQIAO)["D02"] == "330681109000-test"
    assert report.uncovered["枫桥镇"] == sorted(set(report.uncovered["枫桥镇"]))  # listed once each


def test_the_cli_imports_a_file_and_refuses_a_bad_one_with_every_problem(app, tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"units": [unit()]}, ensure_ascii=False), encoding="utf-8")
    bad.write_text(json.dumps({"units": [unit(code="x"), unit(code="y-1", region="1")]}), encoding="utf-8")
    runner = app.test_cli_runner()
    imported = runner.invoke(args=["gridcase", "import-units", str(good)])
    assert imported.exit_code == 0 and "Imported 1 unit(s): 1 new, 0 updated." in imported.output
    refused = runner.invoke(args=["gridcase", "import-units", str(bad)])
    assert refused.exit_code == 1
    assert "x: a unit code is" in refused.output and "y-1: the region '1' does not exist" in refused.output
    not_json = tmp_path / "broken.json"
    not_json.write_text("{", encoding="utf-8")
    assert runner.invoke(args=["gridcase", "import-units", str(not_json)]).exit_code == 1
