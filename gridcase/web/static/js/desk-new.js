// The front desk's map: the desk's own area drawn, a click puts the pin (kept in WGS84 in the
// form's lon/lat fields) and a refused form shows the pin where it was. Without JavaScript the
// form still works: the grid is chosen from the list instead.
(function () {
  "use strict";
  const element = document.getElementById("desk-map");
  if (!element) return;
  const read = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  const lon = document.getElementById("pin-lon"), lat = document.getElementById("pin-lat");
  const status = document.getElementById("pin-status");
  const gridMap = new GridMap(element, read("map-settings"));
  element.gridMap = gridMap;  // (for the browser tests, to click where a known point is drawn)
  const layer = gridMap.drawRegions(read("scope-regions"));
  gridMap.fit(layer);
  let pin = null;
  function place(point) {
    const where = gridMap.toDisplay(point[0], point[1]);
    if (!pin) {
      pin = L.marker(where, { draggable: true, autoPan: true }).addTo(gridMap.map);
      pin.on("dragend", function () { record(gridMap.fromDisplay(pin.getLatLng())); });
    } else {
      pin.setLatLng(where);
    }
    record(point);
  }
  function record(point) {
    lon.value = point[0].toFixed(6);
    lat.value = point[1].toFixed(6);
    status.textContent = element.dataset.pinned || status.textContent;
  }
  gridMap.map.on("click", function (event) { place(gridMap.fromDisplay(event.latlng)); });
  if (lon.value && lat.value) place([parseFloat(lon.value), parseFloat(lat.value)]);
})();
