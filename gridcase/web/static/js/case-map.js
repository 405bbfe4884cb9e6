// The workbench's case map: the grid and the case's point with its light.
(function () {
  "use strict";
  const element = document.getElementById("case-map");
  if (!element) return;
  const read = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  const gridMap = new GridMap(element, read("map-settings"));
  const layer = gridMap.drawRegions(read("grid"));
  const point = read("point");
  const meta = read("case-meta");
  gridMap.fit(layer, point);
  gridMap.casePoint(point[0], point[1], meta.light, meta.title);
})();
