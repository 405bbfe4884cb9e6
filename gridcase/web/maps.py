"""Map settings for the pages: the optional base-tile layer and its coordinate system."""

from __future__ import annotations

from flask import current_app


def map_settings() -> dict:
    return {
        "tileUrl": current_app.config["GRIDCASE_TILE_URL"],
        "tileAttribution": current_app.config["GRIDCASE_TILE_ATTRIBUTION"],
        "tileCrs": current_app.config["GRIDCASE_TILE_CRS"],
    }
