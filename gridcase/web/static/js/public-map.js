// The public map: incidents of the last 90 days at rounded places, red while being handled and
// green when done; each point says its category, status and day, and nothing of anyone.
(function () {
  "use strict";
  const element = document.getElementById("public-map");
  if (!element) return;
  const gridMap = new GridMap(element, JSON.parse(document.getElementById("map-settings").textContent));
  fetch("/public/map.json", { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (collection) {
      const layer = L.featureGroup();
      collection.features.forEach(function (feature) {
        const p = feature.properties;
        const c = feature.geometry.coordinates;
        gridMap.casePoint(c[0], c[1], p.open ? "red" : "green", p.reported_on + " · " + p.category + " · " + p.status_text).addTo(layer);
      });
      layer.addTo(gridMap.map);
      if (collection.features.length) gridMap.map.fitBounds(layer.getBounds(), { padding: [12, 12], maxZoom: 16 });
      document.getElementById("map-count").textContent = String(collection.features.length);
    });
})();
