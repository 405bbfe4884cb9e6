// A patrol on the phone (巡查): the GPS track is sampled while the patrol runs — a point when the
// worker has moved 20 m from the last one, or 30 s have passed — and kept on the phone with the
// findings (IndexedDB), so nothing is lost without signal or when the page is closed. When the
// patrol ends it waits in the phone's outbox and is sent with its own key as Idempotency-Key:
// stored exactly once, however many times the phone retries.
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const store = LocalStore("gridcase-patrols", "patrols");
  const MIN_METRES = 20, MIN_SECONDS = 30, WORST_ACCURACY_M = 150;
  const el = function (id) { return document.getElementById(id); };
  let current = null, watchId = null, timer = null, clock = null, lastFix = null;

  function metres(a, b) {
    const r = 6371008.8, rad = Math.PI / 180;
    const dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
    const h = Math.pow(Math.sin(dLat / 2), 2) +
      Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.pow(Math.sin(dLon / 2), 2);
    return 2 * r * Math.asin(Math.sqrt(h));
  }
  function trackLength(points) {
    let total = 0;
    for (let i = 1; i < points.length; i++) total += metres(points[i - 1], points[i]);
    return total;
  }
  function save() { return current ? store.put(current) : Promise.resolve(); }

  function show() {
    const running = current !== null;
    el("patrol-start").hidden = running;
    el("patrol-stop").hidden = !running;
    el("patrol-finding").hidden = !running;
    if (!running) return;
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(current.startedAt)) / 1000));
    el("patrol-time").textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    el("patrol-distance").textContent = Math.round(trackLength(current.points));
    el("patrol-points").textContent = current.points.length;
    const list = el("finding-list");
    list.innerHTML = "";
    current.findings.forEach(function (f) {
      const li = document.createElement("li");
      li.textContent = f.at.slice(11, 16) + " " + f.note;
      list.appendChild(li);
    });
  }

  // A fix from the GPS: shown, and kept as a point of the track when it is due.
  function take(position) {
    const c = position.coords;
    lastFix = { lon: c.longitude, lat: c.latitude, at: new Date().toISOString() };
    el("patrol-gps").textContent = T.gps_ok.replace("{m}", Math.round(c.accuracy));
    if (!current || c.accuracy > WORST_ACCURACY_M) return;
    const last = current.points[current.points.length - 1];
    const due = !last || metres(last, lastFix) >= MIN_METRES ||
      (Date.parse(lastFix.at) - Date.parse(last.at)) / 1000 >= MIN_SECONDS;
    if (due) {
      current.points.push(lastFix);
      save().then(show);
    }
  }
  function refused(error) {
    if (error.code === 1) el("patrol-gps").textContent = T.no_gps;  // permission denied
  }
  const GPS = { enableHighAccuracy: true, maximumAge: 0, timeout: 20000 };

  function watch() {
    if (!navigator.geolocation) { el("patrol-gps").textContent = T.no_gps; return; }
    navigator.geolocation.getCurrentPosition(take, refused, GPS);
    watchId = navigator.geolocation.watchPosition(take, refused, GPS);
    // Standing still, the GPS says nothing new: ask every 30 s so the time rule holds.
    timer = setInterval(function () { navigator.geolocation.getCurrentPosition(take, refused, GPS); }, MIN_SECONDS * 1000);
    clock = setInterval(show, 1000);
  }
  function unwatch() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    clearInterval(timer); clearInterval(clock);
    watchId = timer = clock = null;
  }

  el("patrol-start").addEventListener("click", function () {
    current = {
      key: Outbox.newKey(), startedAt: new Date().toISOString(), points: [], findings: [],
      state: "recording", savedAt: Date.now(),
    };
    save().then(function () { watch(); show(); });
  });

  el("patrol-stop").addEventListener("click", function () {
    if (lastFix && current.points.indexOf(lastFix) < 0) current.points.push(lastFix);  // where it ended
    current.endedAt = new Date().toISOString();
    current.state = "waiting";
    const ended = current;
    unwatch();
    store.put(ended).then(function () { current = null; show(); return flush(); });
  });

  el("finding-save").addEventListener("click", function () {
    const note = el("finding-note").value.trim();
    const where = lastFix || current.points[current.points.length - 1];
    const problem = !note ? T.finding_empty : !where ? T.waiting_gps : "";
    el("finding-error").textContent = problem;
    el("finding-error").hidden = !problem;
    if (problem) return;
    current.findings.push({
      at: new Date().toISOString(), lon: where.lon, lat: where.lat, note: note,
      category: el("finding-category").value || null,
    });
    el("finding-note").value = "";
    el("finding-category").value = "";
    save().then(show);
  });

  // --- sending ---------------------------------------------------------------------------------
  function body(entry) {
    return {
      started_at: entry.startedAt, ended_at: entry.endedAt, note: "",
      points: entry.points.map(function (p) { return { lon: p.lon, lat: p.lat, at: p.at }; }),
      findings: entry.findings,
    };
  }
  let flushing = null;
  function flush() {
    if (flushing) return flushing;
    flushing = store.all().then(function (entries) {
      const ready = entries.filter(function (e) { return e.state !== "recording"; });
      if (!ready.length) return [];
      return Outbox.csrfToken().then(function (token) {
        return ready.reduce(function (chain, entry) {
          return chain.then(function (done) {
            return Outbox.post("/api/v1/patrols", body(entry), token, entry.key, true).then(function (result) {
              if (result.status === 200 || result.status === 201) {
                return store.remove(entry.key).then(function () { return done.concat([true]); });
              }
              entry.state = result.status === 401 || result.status === 403 ? "signin" : "rejected";
              entry.error = result.body && result.body.message;
              return store.put(entry).then(function () { return done; });
            }, function () {
              entry.state = "waiting";
              return store.put(entry).then(function () { return done; });
            });
          });
        }, Promise.resolve([]));
      }, function () { return []; });
    }).then(function (done) {
      flushing = null;
      renderOutbox();
      if (done.length) window.location.reload();  // the patrol now shows among "My patrols"
      return done;
    }, function () { flushing = null; return []; });
    return flushing;
  }

  function renderOutbox() {
    store.all().then(function (entries) {
      const waiting = entries.filter(function (e) { return e.state !== "recording"; });
      el("patrol-outbox").hidden = waiting.length === 0;
      el("patrol-outbox-count").textContent = waiting.length;
      const list = el("patrol-outbox-list");
      list.innerHTML = "";
      waiting.forEach(function (entry) {
        const li = document.createElement("li");
        li.className = "outbox-item state-" + entry.state;
        const what = document.createElement("strong");
        what.textContent = entry.startedAt.slice(11, 16) + "–" + entry.endedAt.slice(11, 16) + " · " +
          Math.round(trackLength(entry.points)) + " m · " + entry.points.length + " " + T.points;
        const state = document.createElement("span");
        state.className = "outbox-state";
        state.textContent = T["outbox_" + entry.state] + (entry.error ? ": " + entry.error : "");
        li.appendChild(what); li.appendChild(state);
        if (entry.state === "rejected") {
          const drop = document.createElement("button");
          drop.type = "button"; drop.className = "button small"; drop.textContent = T.discard;
          drop.addEventListener("click", function () { store.remove(entry.key).then(renderOutbox); });
          li.appendChild(drop);
        }
        list.appendChild(li);
      });
    });
  }

  el("patrol-send-now").addEventListener("click", flush);
  window.addEventListener("online", flush);
  window.Patrols = { flush: flush };

  // A patrol still running when the page was closed carries on.
  store.all().then(function (entries) {
    current = entries.find(function (e) { return e.state === "recording"; }) || null;
    if (current) watch();
    else if (navigator.geolocation) navigator.geolocation.getCurrentPosition(take, refused, GPS);  // is GPS there?
    show();
    renderOutbox();
    flush();
  });
})();
