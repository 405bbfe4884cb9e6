// The new-case form: category search (name or pinyin initials), the phone's GPS on a map with
// a draggable pin, photos scaled down on the phone, possible duplicates before saving, and
// saving through the outbox so that nothing is lost without signal.
(function () {
  "use strict";
  const form = document.getElementById("new-case");
  if (!form) return;
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const categories = JSON.parse(document.getElementById("categories").textContent);
  const grids = JSON.parse(document.getElementById("grids").textContent);
  const mapSettings = JSON.parse(document.getElementById("map-settings").textContent);
  const $ = function (selector, root) { return (root || document).querySelector(selector); };
  const $$ = function (selector, root) { return Array.from((root || document).querySelectorAll(selector)); };

  // --- kind and category -------------------------------------------------------------------
  const categorySelect = $("#category"), categorySearch = $("#category-search");
  function kind() { const k = $("input[name=kind]:checked"); return k ? k.value : "incident"; }
  function renderCategories() {
    const query = categorySearch.value.trim().toUpperCase();
    const chosen = categorySelect.value;
    categorySelect.innerHTML = "";
    const empty = document.createElement("option");
    empty.value = ""; empty.textContent = T.chooseCategory;
    categorySelect.appendChild(empty);
    categories
      .filter(function (c) { return c.kind === kind(); })
      .filter(function (c) { return !query || c.name.indexOf(categorySearch.value.trim()) >= 0 || c.initials.indexOf(query) === 0; })
      .forEach(function (c) {
        const option = document.createElement("option");
        option.value = c.code; option.textContent = c.name;
        option.dataset.severity = c.severity;
        if (c.code === chosen) option.selected = true;
        categorySelect.appendChild(option);
      });
    if (query && categorySelect.options.length === 2) categorySelect.selectedIndex = 1;
    $("#parties").hidden = kind() !== "dispute";
    checkDuplicates();
  }
  $$("input[name=kind]").forEach(function (r) { r.addEventListener("change", renderCategories); });
  categorySearch.addEventListener("input", renderCategories);
  categorySelect.addEventListener("change", function () {
    const option = categorySelect.selectedOptions[0];
    if (option && option.dataset.severity && !$("#severity").dataset.touched) $("#severity").value = option.dataset.severity;
    checkDuplicates();
  });
  $("#severity").addEventListener("change", function () { this.dataset.touched = "1"; });

  // --- location ----------------------------------------------------------------------------
  const gridMap = new GridMap($("#map"), mapSettings);
  const gridLayer = gridMap.drawRegions(grids);
  gridMap.fit(gridLayer, [120.4, 29.64]);
  let pin = null, position = null;
  function setPosition(lon, lat, accuracy, source) {
    position = { lon: lon, lat: lat, accuracy_m: accuracy == null ? null : Math.round(accuracy * 10) / 10 };
    const where = gridMap.toDisplay(lon, lat);
    if (!pin) {
      pin = L.marker(where, { draggable: true, autoPan: true }).addTo(gridMap.map);
      pin.on("dragend", function () {
        const p = gridMap.fromDisplay(pin.getLatLng());
        setPosition(p[0], p[1], null, "drag");
      });
    } else {
      pin.setLatLng(where);
    }
    if (source !== "drag") gridMap.map.setView(where, Math.max(gridMap.map.getZoom(), 16));
    $("#location-status").textContent = accuracy == null
      ? T.pinMoved : T.gpsAccuracy.replace("{m}", Math.round(accuracy));
    clearError("location");
    locateGrid();
    checkDuplicates();
  }
  gridMap.map.on("click", function (e) { const p = gridMap.fromDisplay(e.latlng); setPosition(p[0], p[1], null, "drag"); });
  function useGps() {
    if (!navigator.geolocation) { $("#location-status").textContent = T.noGps; return; }
    $("#location-status").textContent = T.locating;
    navigator.geolocation.getCurrentPosition(
      function (p) { setPosition(p.coords.longitude, p.coords.latitude, p.coords.accuracy, "gps"); },
      function () { $("#location-status").textContent = T.gpsFailed; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
    );
  }
  $("#use-gps").addEventListener("click", useGps);
  useGps();

  function locateGrid() {
    if (!navigator.onLine || !position) return;
    fetch("/api/v1/grids/locate?lon=" + position.lon + "&lat=" + position.lat, { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (r) {
        $("#grid-name").textContent = r.ok ? r.body.grid.name + " · " + r.body.community.name : T.outsideGrids;
      }).catch(function () { /* offline: the server will place it */ });
  }

  // --- possible duplicates -----------------------------------------------------------------
  function checkDuplicates() {
    const box = $("#duplicates");
    if (!navigator.onLine || !position || !categorySelect.value) { box.hidden = true; return; }
    const url = "/api/v1/cases/duplicates?category=" + encodeURIComponent(categorySelect.value) +
      "&lon=" + position.lon + "&lat=" + position.lat;
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : []; }).then(function (items) {
      const list = $("ul", box);
      list.innerHTML = "";
      items.forEach(function (d) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = "/m/cases/" + d.public_number;
        a.textContent = d.public_number + " " + d.title + " (" + Math.round(d.distance_m) + " m)";
        li.appendChild(a); list.appendChild(li);
      });
      box.hidden = items.length === 0;
    }).catch(function () { box.hidden = true; });
  }

  // --- parties -----------------------------------------------------------------------------
  const partyTemplate = $("#party-template");
  function addParty(resident) {
    const node = partyTemplate.content.cloneNode(true);
    $(".remove-party", node).addEventListener("click", function (e) { e.target.closest(".party").remove(); });
    if (resident) {  // from the register: shown masked, its details taken by the server
      $("[name=party_resident]", node).value = resident.id;
      $("[name=party_name]", node).value = resident.name;
      $("[name=party_name]", node).readOnly = true;
      $("[name=party_id]", node).remove();
      $("[name=party_phone]", node).remove();
    }
    $("#party-list").appendChild(node);
  }
  $("#add-party").addEventListener("click", function () { addParty(null); });

  // A resident of the worker's grids (人房事物), found by address or house number.
  $("#resident-find").addEventListener("click", function () {
    const q = $("#resident-search").value.trim();
    const list = $("#resident-results");
    list.textContent = "";
    const grids = JSON.parse(document.getElementById("grids").textContent).features.map(function (f) { return f.properties.code; });
    Promise.all(grids.map(function (code) {
      return fetch("/api/v1/grids/" + encodeURIComponent(code) + "/houses?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; });
    })).then(function (pages) {
      const houses = [].concat.apply([], pages);
      houses.forEach(function (house) {
        house.residents.forEach(function (resident) {
          const item = document.createElement("li");
          const pick = document.createElement("button");
          pick.type = "button"; pick.className = "button wide resident-pick";
          pick.textContent = resident.name + " · " + house.ref + " " + house.address;
          pick.addEventListener("click", function () { addParty(resident); list.textContent = ""; });
          item.appendChild(pick);
          list.appendChild(item);
        });
      });
      if (!list.children.length) { const none = document.createElement("li"); none.className = "muted"; none.textContent = T.no_resident; list.appendChild(none); }
    }).catch(function () { const none = document.createElement("li"); none.className = "muted"; none.textContent = T.no_signal; list.appendChild(none); });
  });

  // --- photos: scaled down on the phone before they are stored or sent -----------------------
  const photos = [];
  $("#photo-input").addEventListener("change", function () {
    const files = Array.from(this.files || []);
    this.value = "";
    files.forEach(function (file) {
      if (photos.length >= 9) { showError("photos", T.tooManyPhotos); return; }
      GridcasePhotos.downscale(file).then(function (blob) {
        photos.push({ blob: blob, sent: false });
        const img = document.createElement("img");
        img.src = URL.createObjectURL(blob); img.alt = "";
        $("#photo-previews").appendChild(img);
        clearError("photos");
      }, function () { showError("photos", T.notAPhoto); });
    });
  });

  // --- resolved on the spot ----------------------------------------------------------------
  $("#on-spot").addEventListener("change", function () { $("#on-spot-fields").hidden = !this.checked; });

  // --- errors next to their fields ---------------------------------------------------------
  function showError(field, message) {
    const slot = $('[data-error-for="' + field + '"]');
    if (slot) { slot.textContent = message; slot.hidden = false; }
    const input = $('[data-field="' + field + '"]');
    if (input) input.setAttribute("aria-invalid", "true");
  }
  function clearError(field) {
    const slot = $('[data-error-for="' + field + '"]');
    if (slot) { slot.textContent = ""; slot.hidden = true; }
    const input = $('[data-field="' + field + '"]');
    if (input) input.removeAttribute("aria-invalid");
  }
  function clearErrors() { $$("[data-error-for]").forEach(function (s) { s.textContent = ""; s.hidden = true; }); }
  function flatten(errors, prefix, out) {
    Object.keys(errors || {}).forEach(function (k) {
      const v = errors[k], name = prefix ? prefix + "." + k : k;
      if (Array.isArray(v)) out[name] = v.join(" ");
      else if (v && typeof v === "object") flatten(v, name, out);
      else out[name] = String(v);
    });
    return out;
  }
  function showServerErrors(errors) {
    const flat = flatten(errors, "", {});
    Object.keys(flat).forEach(function (name) {
      const top = name.split(".")[0];
      const slot = $('[data-error-for="' + name + '"]') ? name : top;
      showError(slot, flat[name]);
    });
    const first = $("[data-error-for]:not([hidden])");
    if (first) first.scrollIntoView({ block: "center" });
  }

  // --- saving ------------------------------------------------------------------------------
  function collect() {
    const body = {
      kind: kind(),
      category: categorySelect.value,
      title: $("#title").value.trim(),
      description: $("#description").value.trim(),
      address: $("#address").value.trim(),
      severity: $("#severity").value,
      people_involved: parseInt($("#people").value || "0", 10),
      may_intensify: $("#may-intensify").checked,
      location: position ? { lon: position.lon, lat: position.lat, crs: "wgs84", accuracy_m: position.accuracy_m } : null,
    };
    if (body.kind === "dispute") {
      body.parties = $$(".party", $("#party-list")).map(function (p) {
        const role = $("[name=party_role]", p).value, resident = $("[name=party_resident]", p).value;
        if (resident) return { resident_id: parseInt(resident, 10), role: role };
        const party = { name: $("[name=party_name]", p).value.trim(), role: role };
        const id = $("[name=party_id]", p).value.trim(), phone = $("[name=party_phone]", p).value.trim();
        if (id) party.id_number = id;
        if (phone) party.phone = phone;
        return party;
      }).filter(function (p) { return p.name || p.resident_id; });
    }
    if ($("#on-spot").checked) {
      body.resolved_on_spot = { outcome: $("#on-spot-outcome").value, summary: $("#on-spot-summary").value.trim() };
    }
    return body;
  }
  function checkLocally(body) {
    let ok = true;
    if (!body.category) { showError("category", T.required); ok = false; }
    if (!body.title) { showError("title", T.required); ok = false; }
    if (!body.location) { showError("location", T.needLocation); ok = false; }
    return ok;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    const body = collect();
    if (!checkLocally(body)) return;
    const button = $("#save"); button.disabled = true;
    const entry = { key: Outbox.newKey(), body: body, photos: photos.slice(), savedAt: Date.now(), state: "waiting", title: body.title };
    Outbox.put(entry).then(function () { return Outbox.flush(); }).then(function (done) {
      const mine = done.filter(function (d) { return d.key === entry.key; })[0];
      if (mine && mine.ok) { window.location.href = "/m/cases/" + mine.publicNumber; return; }
      if (mine && mine.result && mine.result.status === 422) {
        // The server refused the fields: take the case back out of the outbox, show why.
        return Outbox.remove(entry.key).then(function () {
          Outbox.changed();
          $("#form-message").textContent = (mine.result.body && mine.result.body.message) || T.fixFields;
          $("#form-message").hidden = false;
          showServerErrors(mine.result.body && mine.result.body.errors);
          button.disabled = false;
        });
      }
      window.location.href = "/m/?saved=" + encodeURIComponent(entry.key);
    }).catch(function () {
      window.location.href = "/m/?saved=" + encodeURIComponent(entry.key);
    });
  });

  renderCategories();
})();
