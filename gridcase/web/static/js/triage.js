// The triage page: "Choose on the map" makes a request the one being placed; a click on the map
// then fills its longitude and latitude (WGS84, whatever the tiles' system) and marks the point.
(function () {
  "use strict";
  const element = document.getElementById("triage-map");
  if (!element) return;
  const read = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  const gridMap = new GridMap(element, read("map-settings"));
  gridMap.fit(gridMap.drawRegions(read("townships")), null);
  let active = null;
  let marker = null;

  document.querySelectorAll(".triage-item").forEach(function (item) {
    if (item.dataset.lon) gridMap.casePoint(Number(item.dataset.lon), Number(item.dataset.lat), "yellow", null);
    item.querySelector(".pick").addEventListener("click", function () {
      if (active) active.classList.remove("active");
      active = item;
      item.classList.add("active");
      element.scrollIntoView({ block: "nearest" });
    });
  });

  gridMap.map.on("click", function (event) {
    if (!active) return;
    const point = gridMap.fromDisplay(event.latlng);
    active.querySelector("input[name=lon]").value = point[0].toFixed(6);
    active.querySelector("input[name=lat]").value = point[1].toFixed(6);
    if (marker) marker.remove();
    marker = gridMap.casePoint(point[0], point[1], "green", null);
  });
})();
