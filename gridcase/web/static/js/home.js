// The worker's home: the outbox (what waits on this phone to be sent), and the map.
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const box = document.getElementById("outbox");
  const list = document.getElementById("outbox-list");

  function render() {
    Outbox.all().then(function (entries) {
      list.innerHTML = "";
      box.hidden = entries.length === 0;
      document.getElementById("outbox-count").textContent = entries.length;
      entries.forEach(function (entry) {
        const li = document.createElement("li");
        li.className = "outbox-item state-" + entry.state;
        const title = document.createElement("strong");
        title.textContent = entry.title;
        const state = document.createElement("span");
        state.className = "outbox-state";
        state.textContent = T["outbox_" + entry.state] + (entry.error ? ": " + entry.error : "");
        li.appendChild(title); li.appendChild(state);
        if (entry.state === "rejected") {
          const drop = document.createElement("button");
          drop.type = "button"; drop.className = "button small"; drop.textContent = T.discard;
          drop.addEventListener("click", function () { Outbox.remove(entry.key).then(Outbox.changed); });
          li.appendChild(drop);
        }
        list.appendChild(li);
      });
    });
  }
  window.addEventListener("outbox:change", render);
  document.getElementById("send-now").addEventListener("click", function () { Outbox.flush(); });
  render();
  Outbox.flush().then(function (done) {
    if (done.some(function (d) { return d.ok; })) window.location.reload();
  });
  window.addEventListener("online", function () {
    Outbox.flush().then(function (done) { if (done.some(function (d) { return d.ok; })) window.location.reload(); });
  });

  const mapElement = document.getElementById("home-map");
  if (mapElement) {
    const settings = JSON.parse(document.getElementById("map-settings").textContent);
    const gridMap = new GridMap(mapElement, settings);
    const layer = gridMap.drawRegions(JSON.parse(document.getElementById("grids").textContent));
    gridMap.fit(layer, [120.4, 29.64]);
    JSON.parse(document.getElementById("case-points").textContent).forEach(function (c) {
      gridMap.casePoint(c.lon, c.lat, c.light, c.title);
    });
  }
})();
