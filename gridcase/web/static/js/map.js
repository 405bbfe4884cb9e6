// Maps without the internet: Leaflet served by the app, grid polygons drawn from our own data,
// and an optional base-tile layer from configuration. Tiles in GCJ-02 (AMap, Tencent) need
// every WGS84 point shifted for display, and shifted back when a pin is dragged.
(function (global) {
  "use strict";
  const A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;

  function outsideChina(lon, lat) {
    return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
  }
  function tLat(x, y) {
    let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
    return r;
  }
  function tLon(x, y) {
    let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    r += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
    return r;
  }
  // The same standard transform as gridcase/geo.py.
  function wgs84ToGcj02(lon, lat) {
    if (outsideChina(lon, lat)) return [lon, lat];
    let dLat = tLat(lon - 105, lat - 35), dLon = tLon(lon - 105, lat - 35);
    const rad = lat / 180 * PI;
    let magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
    const sq = Math.sqrt(magic);
    dLat = (dLat * 180) / ((A * (1 - EE)) / (magic * sq) * PI);
    dLon = (dLon * 180) / (A / sq * Math.cos(rad) * PI);
    return [lon + dLon, lat + dLat];
  }
  function gcj02ToWgs84(lon, lat) {
    let w = [lon, lat];
    for (let i = 0; i < 30; i++) {
      const g = wgs84ToGcj02(w[0], w[1]);
      const dx = g[0] - lon, dy = g[1] - lat;
      if (Math.abs(dx) < 1e-10 && Math.abs(dy) < 1e-10) break;
      w = [w[0] - dx, w[1] - dy];
    }
    return w;
  }

  function GridMap(element, settings) {
    settings = settings || {};
    this.gcj = settings.tileCrs === "gcj02";
    // Quarter zoom steps: a whole city fills its frame instead of the next whole level's half.
    this.map = L.map(element, { zoomControl: true, attributionControl: !!settings.tileUrl, preferCanvas: true, zoomSnap: 0.25 });
    if (settings.tileUrl) {
      L.tileLayer(settings.tileUrl, { attribution: settings.tileAttribution || "", maxZoom: 19 }).addTo(this.map);
    }
    // A map in a flexible layout (the wall screen's panels) changes size when the text around
    // it settles: Leaflet must be told, or it keeps drawing on a canvas of the first size.
    if (global.ResizeObserver) {
      const map = this.map;
      new ResizeObserver(function () { map.invalidateSize(); }).observe(element);
    }
    // A view from the start: Leaflet's canvas renderer cannot draw layers added before one.
    const center = settings.center || [120.24, 29.71];
    this.map.setView(this.toDisplay(center[0], center[1]), 12);
  }
  // [lon, lat] in WGS84 → Leaflet [lat, lng] in the tiles' system.
  GridMap.prototype.toDisplay = function (lon, lat) {
    const p = this.gcj ? wgs84ToGcj02(lon, lat) : [lon, lat];
    return [p[1], p[0]];
  };
  // Leaflet latlng on the map → [lon, lat] in WGS84.
  GridMap.prototype.fromDisplay = function (latlng) {
    return this.gcj ? gcj02ToWgs84(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
  };
  GridMap.prototype.drawRegions = function (collection, style, label) {
    const self = this;
    const layer = L.geoJSON(collection, {
      coordsToLatLng: function (c) { return L.latLng(self.toDisplay(c[0], c[1])); },
      style: style || { color: "#0b5cad", weight: 1.5, fillColor: "#0b5cad", fillOpacity: 0.06 },
      onEachFeature: function (feature, lyr) {
        if (label !== false && feature.properties && feature.properties.name) {
          // "permanent": each area named on the map itself (the command centre's wall screen).
          const options = label === "permanent"
            ? { permanent: true, direction: "center", className: "area-label" } : { sticky: true };
          lyr.bindTooltip(textNode(feature.properties.name), options);
        }
      },
    }).addTo(this.map);
    return layer;
  };
  // Show the layer's extent (or the fallback [lon, lat] when the layer is empty).
  GridMap.prototype.fit = function (layer, fallback) {
    const bounds = layer && layer.getLayers().length ? layer.getBounds() : null;
    if (bounds && bounds.isValid()) {
      this.map.fitBounds(bounds, { padding: [8, 8] });
    } else if (fallback) {
      this.map.setView(this.toDisplay(fallback[0], fallback[1]), 15);
    }
  };
  GridMap.prototype.casePoint = function (lon, lat, light, popup) {
    const colors = { red: "#d93025", yellow: "#f2a900", green: "#1e8e3e" };
    const marker = L.circleMarker(this.toDisplay(lon, lat), {
      radius: 8, weight: 2, color: "#fff", fillColor: colors[light] || "#5f6368", fillOpacity: 1,
    }).addTo(this.map);
    // Text from the database (a case title) is shown as text: Leaflet puts a string in as HTML.
    if (popup) marker.bindPopup(typeof popup === "string" ? textNode(popup) : popup);
    return marker;
  };

  function textNode(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  global.GridMap = GridMap;
  global.gridcaseGeo = { wgs84ToGcj02: wgs84ToGcj02, gcj02ToWgs84: gcj02ToWgs84 };
})(window);
