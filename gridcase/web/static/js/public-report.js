// The public report form: a pin on the map (a tap, or the phone's location), reports of the same
// kind already made near the pin shown before a second one is sent, and the proof of work the
// server asks for, computed here when the form is sent (SHA-256 until enough leading zero bits).
(function () {
  "use strict";
  const form = document.getElementById("report-form");
  if (!form) return;
  const read = function (id) { return JSON.parse(document.getElementById(id).textContent); };
  const gridMap = new GridMap(document.getElementById("report-map"), read("map-settings"));
  const lon = document.getElementById("lon");
  const lat = document.getElementById("lat");
  const status = document.getElementById("pin-status");
  let marker = null;

  function place(point, zoom) {
    lon.value = point[0].toFixed(6);
    lat.value = point[1].toFixed(6);
    if (marker) marker.remove();
    marker = gridMap.casePoint(point[0], point[1], "red", null);
    if (zoom) gridMap.map.setView(gridMap.toDisplay(point[0], point[1]), zoom);
    status.textContent = form.dataset.pinPlaced || "✓";
    checkNearby();
  }
  if (lon.value && lat.value) place([Number(lon.value), Number(lat.value)], 17);

  gridMap.map.on("click", function (event) { place(gridMap.fromDisplay(event.latlng), null); });
  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(
      function (position) { place([position.coords.longitude, position.coords.latitude], 17); },
      function () { status.textContent = form.dataset.noLocation || "?"; },
      { enableHighAccuracy: true, timeout: 15000 }
    );
  });

  // --- the same problem, reported already -------------------------------------------------------
  const nearby = document.getElementById("nearby");
  const list = document.getElementById("nearby-list");
  const category = document.getElementById("category");
  category.addEventListener("change", checkNearby);
  function checkNearby() {
    if (!category.value || !lon.value) { nearby.hidden = true; return; }
    const query = new URLSearchParams({ category: category.value, lon: lon.value, lat: lat.value });
    fetch("/public/nearby?" + query.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (items) {
        list.replaceChildren();
        items.forEach(function (item) {
          const li = document.createElement("li");
          li.textContent = item.reported_on + " · " + item.category + " · " + item.status_text + " (" + item.number + ")";
          list.appendChild(li);
        });
        nearby.hidden = items.length === 0;
      })
      .catch(function () { nearby.hidden = true; });
  }

  // --- proof of work, then send -------------------------------------------------------------------
  function zeroBits(bytes) {
    let bits = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      return bits + Math.clz32(bytes[i]) - 24;
    }
    return bits;
  }
  async function solve(challenge, bits) {
    const encoder = new TextEncoder();
    for (let n = 0; ; n++) {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + n)));
      if (zeroBits(digest) >= bits) return String(n);
    }
  }
  const send = document.getElementById("send");
  const workStatus = document.getElementById("work-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send.disabled = true;
    workStatus.textContent = form.dataset.working || "…";
    fetch("/public/challenge", { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        return solve(answer.challenge, answer.bits).then(function (solution) {
          document.getElementById("challenge").value = answer.challenge;
          document.getElementById("solution").value = solution;
          form.submit();
        });
      })
      .catch(function () { send.disabled = false; workStatus.textContent = form.dataset.failed || "!"; });
  });
})();
