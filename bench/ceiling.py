"""The stack's own ceiling: a minimal Flask app on the same stack (Flask, Flask-SQLAlchemy,
psycopg, the same gunicorn settings and clients) doing one thing per request and nothing else.
No web app can answer faster than this on the machine; the bench reports gridcase's figures
against it as well as against raw PostgreSQL (issue 20).

- `GET /ceiling/const`: a constant JSON answer, no database;
- `GET /ceiling/locate?lon=&lat=`: the `ST_Covers` look-up of the grid holding the point (the
  statement of `gridcase.territory.queries.locate_grid` and bench/raw.py's LOCATE_SCRIPT);
- `POST /ceiling/insert?i=`: the INSERT of intake's row at the i-th intake point into
  bench_raw_cases, committed (bench/raw.py's INTAKE_SCRIPT).

Started by the bench as `gunicorn bench.ceiling:app` with DATABASE_URL set; no token checked.
"""

from __future__ import annotations

import gc
import os

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

from bench.raw import INTAKE_SCRIPT

LOOK_UP = sa.text(
    "SELECT code, name, level, parent_code, city_code, district_code, township_code, community_code "
    "FROM regions WHERE level = 'grid' "
    "AND ST_Covers(boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) ORDER BY code LIMIT 1"
)
# pgbench's script without its \set line: its :i and :reporter become bound parameters.
INSERT = sa.text(INTAKE_SCRIPT.split("\n", 1)[1])

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
db = SQLAlchemy(app)
REPORTER = int(os.environ.get("BENCH_REPORTER", "1"))
gc.freeze()  # as wsgi.py does: the same server settings


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")


@app.get("/ceiling/const")
def const():
    return jsonify(status="ok", grid=None)


@app.get("/ceiling/locate")
def locate():
    row = db.session.execute(
        LOOK_UP, {"lon": float(request.args["lon"]), "lat": float(request.args["lat"])}
    ).first()
    return jsonify(code=row.code, name=row.name) if row else (jsonify(code=None), 404)


@app.post("/ceiling/insert")
def insert():
    db.session.execute(INSERT, {"i": int(request.args["i"]), "reporter": REPORTER})
    db.session.commit()
    return jsonify(status="created"), 201
