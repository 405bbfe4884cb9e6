// The day's patrol tracks of a scope on the workbench map: each track a line named by its
// worker and times, each finding a point.
(function () {
  "use strict";
  const element = document.getElementById("patrol-map");
  if (!element) return;
  const read = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  const gridMap = new GridMap(element, read("map-settings"));
  const tracks = read("tracks");
  const layer = gridMap.drawRegions(tracks, { color: "#d93025", weight: 3, opacity: 0.8 });
  tracks.features.forEach(function (feature) {
    (feature.properties.findings || []).forEach(function (f) { gridMap.casePoint(f.lon, f.lat, "yellow", f.note); });
  });
  gridMap.fit(layer, null);
})();
