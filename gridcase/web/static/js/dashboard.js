// The command centre's dashboard: KPI tiles, a map coloured by open cases or an indicator,
// open cases as points with their lights, weekly trends (ECharts), open alerts, drill-down.
// Everything comes from the JSON API; the page refreshes itself.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("dash-config").textContent);
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const RATE_KEYS = ["resolution_rate", "local_resolution_rate", "township_containment_rate", "on_time_rate",
    "escalation_rate", "reopen_rate", "satisfaction_rate"];
  const CHILD_CODE = { city: "township_code", district: "township_code", township: "community_code", community: "grid_code" };
  const $ = function (s) { return document.querySelector(s); };
  document.getElementById("from").value = config.from;
  document.getElementById("to").value = config.to;

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }
  function query(extra) {
    const q = new URLSearchParams({ region: config.region.code, from: config.from, to: config.to });
    Object.keys(extra || {}).forEach(function (k) { q.set(k, extra[k]); });
    return q.toString();
  }
  function fmt(key, value) {
    if (value === null || value === undefined) return "—";
    if (RATE_KEYS.indexOf(key) >= 0) return (value * 100).toFixed(1) + "%";
    if (key.indexOf("median") === 0) return value.toFixed(1) + " h";
    return String(value);
  }

  // --- map -----------------------------------------------------------------------------------
  const gridMap = new GridMap(document.getElementById("dash-map"), config.map);
  let childLayer = null, pointLayer = L.layerGroup().addTo(gridMap.map), stats = null, points = null;
  function loadAreas() {
    return getJson("/api/v1/regions/" + config.region.code + "/children").then(function (collection) {
      if (collection.features.length) return collection;
      return getJson("/api/v1/regions/" + config.region.code + "?geometry=1").then(function (node) {
        return { type: "FeatureCollection", features: [{ type: "Feature", properties: { code: node.code, name: node.name }, geometry: node.geometry }] };
      });
    }).then(function (collection) {
      childLayer = gridMap.drawRegions(collection, null, "permanent");
      childLayer.eachLayer(function (layer) {
        layer.on("click", function () {
          const code = layer.feature.properties.code;
          if (code === config.region.code) return;
          if (layer.feature.properties.level === "grid") window.location.href = config.gridQueueUrl + encodeURIComponent(code);
          else window.location.search = query({ region: code });
        });
      });
      gridMap.fit(childLayer);
    });
  }
  const SCALE = ["#eef4fb", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];
  function colour() {
    if (!childLayer) return;
    const by = document.getElementById("colour-by").value;
    const values = {};
    if (by === "open") {
      const key = CHILD_CODE[config.region.level];
      (points ? points.features : []).forEach(function (f) {
        const code = key ? f.properties[key] : config.region.code;
        values[code] = (values[code] || 0) + 1;
      });
    } else if (stats) {
      stats.children.forEach(function (c) { values[c.code] = c.indicators[by]; });
    }
    const numbers = Object.keys(values).map(function (k) { return values[k]; }).filter(function (v) { return v !== null && v !== undefined; });
    const max = Math.max.apply(null, numbers.concat([0])), min = Math.min.apply(null, numbers.concat([max]));
    childLayer.eachLayer(function (layer) {
      // An area with no open case has 0 of them, not "—" (the review's 73); a rate with nothing
      // to divide by stays "—".
      const known = values[layer.feature.properties.code];
      const v = known === undefined && by === "open" ? 0 : known;
      let fill = "#f1f3f4";
      if (v !== undefined && v !== null && max > min) fill = SCALE[Math.min(4, Math.floor((v - min) / (max - min) * 4.999))];
      else if (v !== undefined && v !== null && max > 0) fill = SCALE[2];
      layer.setStyle({ fillColor: fill, fillOpacity: 0.75, color: "#08306b", weight: 1 });
      layer.setTooltipContent(layer.feature.properties.name + " " + (v === undefined ? "—" : fmt(by === "open" ? "open" : by, v)));
    });
    $("#legend").textContent = (by === "open" ? T.open : document.querySelector("#colour-by option:checked").textContent) + " · " + T.lowHigh;
  }
  document.getElementById("colour-by").addEventListener("change", colour);

  function drawPoints(collection) {
    points = collection;
    pointLayer.clearLayers();
    collection.features.forEach(function (f) {
      const c = f.geometry.coordinates, p = f.properties;
      const marker = gridMap.casePoint(c[0], c[1], p.light, null);
      marker.removeFrom(gridMap.map);
      const popup = document.createElement("span");
      const link = document.createElement("a");
      link.href = config.caseUrl + encodeURIComponent(p.public_number);
      link.textContent = p.public_number;
      popup.append(link, document.createElement("br"), p.title);
      marker.bindPopup(popup);
      pointLayer.addLayer(marker);
    });
  }

  // --- tiles, table, trend ---------------------------------------------------------------------
  function drawStats(data) {
    stats = data;
    document.querySelectorAll(".tile").forEach(function (tile) {
      const key = tile.dataset.key;
      tile.querySelector(".tile-value").textContent = fmt(key, data.indicators[key]);
      if (key === "resolution_rate") tile.querySelector(".tile-sub").textContent = data.indicators.resolved + " / " + data.indicators.accepted;
      // Satisfaction counts only revisits by someone other than the handler: say how many.
      if (key === "satisfaction_rate") tile.querySelector(".tile-sub").textContent = T.revisits.replace("{n}", data.indicators.revisited);
      // (the review's 52: next to the alerts' many overdue cases, say what this tile counts)
      if (key === "overdue_open") tile.querySelector(".tile-sub").textContent = T.overdueOfPeriod;
      tile.classList.toggle("alarm", key === "overdue_open" && data.indicators.overdue_open > 0);
    });
    const body = document.querySelector("#children tbody");
    body.innerHTML = "";
    data.children.forEach(function (c) {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      if (c.level !== "grid") {
        const a = document.createElement("a");
        a.href = "?" + query({ region: c.code }); a.textContent = c.name;
        name.appendChild(a);
      } else { name.textContent = c.name; }
      tr.appendChild(name);
      ["accepted", "resolution_rate", "local_resolution_rate", "on_time_rate", "escalation_rate", "overdue_open"].forEach(function (k) {
        const td = document.createElement("td"); td.textContent = fmt(k, c.indicators[k]); tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    drawTrend(data.series || []);
    chart.resize();  // (its panel's height comes from the page's layout)
    colour();
  }
  const chart = echarts.init(document.getElementById("trend"));
  window.addEventListener("resize", function () { chart.resize(); });
  function drawTrend(series) {
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [T.accepted, T.resolved, T.resolution_rate] },
      grid: { left: 40, right: 48, top: 40, bottom: 28 },
      xAxis: { type: "category", data: series.map(function (w) { return w.week_start.slice(5); }) },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: T.accepted, type: "bar", data: series.map(function (w) { return w.indicators.accepted; }), itemStyle: { color: "#6baed6" } },
        { name: T.resolved, type: "bar", data: series.map(function (w) { return w.indicators.resolved; }), itemStyle: { color: "#1e8e3e" } },
        { name: T.resolution_rate, type: "line", yAxisIndex: 1, smooth: true,
          data: series.map(function (w) { const r = w.indicators.resolution_rate; return r === null ? null : Math.round(r * 1000) / 10; }) },
      ],
    }, true);
  }

  // --- alerts ----------------------------------------------------------------------------------
  // Times in the city's time zone, whatever the screen's own (a wall screen may run on UTC).
  const localTimeFormat = new Intl.DateTimeFormat("sv-SE", {
    timeZone: config.timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
  function localTime(iso) { return localTimeFormat.format(new Date(iso)); }
  function drawAlerts(data) {
    const items = Array.isArray(data) ? data : data.items;
    const list = document.getElementById("alerts");
    list.innerHTML = "";
    $("#alert-count").textContent = (data.total !== undefined ? data.total : items.length);
    if (!items.length) { const li = document.createElement("li"); li.className = "muted"; li.textContent = T.none; list.appendChild(li); }
    items.forEach(function (a) {
      const li = document.createElement("li");
      li.className = "alert alert-" + a.severity;
      // Each alert opens its page: its cases, and the forms to acknowledge, assess and close it.
      const title = document.createElement("a"); title.href = config.alertUrl + a.id;
      // The title is the sentence written in Chinese when the alert was raised: an English page
      // names the alert by its kind instead (its area, time and cases follow).
      const strong = document.createElement("strong"); strong.textContent = T.english ? a.kind_label : a.title; title.appendChild(strong);
      const meta = document.createElement("span"); meta.className = "muted small";
      meta.textContent = [T.english ? "" : a.kind_label, a.region ? a.region.name : "", localTime(a.opened_at), a.case_count + " " + T.cases]
        .filter(Boolean).join(" · ");
      li.appendChild(title); li.appendChild(document.createElement("br")); li.appendChild(meta);
      list.appendChild(li);
    });
  }

  // --- exports and refresh -----------------------------------------------------------------------
  $("#export-csv").href = "/api/v1/stats/export?" + query({ format: "csv" });
  $("#export-xlsx").href = "/api/v1/stats/export?" + query({ format: "xlsx" });

  function refresh() {
    return Promise.all([
      getJson("/api/v1/stats?" + query()).then(drawStats),
      getJson("/api/v1/cases/points?region=" + config.region.code).then(function (c) { drawPoints(c); colour(); }),
      getJson("/api/v1/alerts?page_size=50&region=" + config.region.code).then(drawAlerts),
    ]).then(function () {
      $("#refreshed").textContent = T.refreshed.replace("{t}", localTime(new Date().toISOString()));
    }, function () { $("#refreshed").textContent = T.failed; });
  }
  loadAreas().then(refresh);
  setInterval(refresh, config.refreshSeconds * 1000);
})();
