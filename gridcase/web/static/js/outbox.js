// The outbox: a case is first saved on the phone (IndexedDB), then sent with its
// Idempotency-Key, so that a case saved without signal is created exactly once, whenever
// the signal comes back and however many times the phone retries.
(function (global) {
  "use strict";
  // A store of records on this phone (IndexedDB), kept by key: what waits to be sent.
  function LocalStore(dbName, storeName) {
    function openDb() {
      return new Promise(function (resolve, reject) {
        const request = indexedDB.open(dbName, 1);
        request.onupgradeneeded = function () { request.result.createObjectStore(storeName, { keyPath: "key" }); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    function tx(mode, work) {
      return openDb().then(function (db) {
        return new Promise(function (resolve, reject) {
          const t = db.transaction(storeName, mode);
          const result = work(t.objectStore(storeName));
          t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
          t.onerror = function () { reject(t.error); };
        });
      });
    }
    return {
      put: function (entry) { return tx("readwrite", function (s) { return s.put(entry); }); },
      remove: function (key) { return tx("readwrite", function (s) { return s.delete(key); }); },
      all: function () {
        return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
          return (items || []).sort(function (a, b) { return a.savedAt - b.savedAt; });
        });
      },
    };
  }
  const cases = LocalStore("gridcase-outbox", "cases");

  function newKey() {
    if (global.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  const Outbox = {
    newKey: newKey,
    put: cases.put,
    remove: cases.remove,
    all: cases.all,
    changed: function () { global.dispatchEvent(new CustomEvent("outbox:change")); },
  };

  function csrfToken() {
    // The cached page's token may belong to an older session: ask for the current one.
    return fetch("/csrf-token", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw { status: r.status }; return r.json(); })
      .then(function (body) { return body.csrf_token; });
  }

  function post(url, body, token, key, isJson) {
    const headers = { "X-CSRFToken": token, "Idempotency-Key": key };
    if (isJson) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: "POST", credentials: "same-origin", headers: headers, body: isJson ? JSON.stringify(body) : body,
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { status: response.status, body: json };
      });
    });
  }

  // Send one entry: the case, then its photos (each with its own key, so a retry after a
  // dropped connection never stores a photo twice). Resolves to the entry's new state.
  function send(entry, token) {
    const created = entry.caseId
      ? Promise.resolve({ status: 200, body: { id: entry.caseId, public_number: entry.publicNumber } })
      : post("/api/v1/cases", entry.body, token, entry.key, true);
    return created.then(function (result) {
      if (result.status !== 200 && result.status !== 201) return result;
      entry.caseId = result.body.id;
      entry.publicNumber = result.body.public_number;
      let chain = Promise.resolve(result);
      (entry.photos || []).forEach(function (photo, index) {
        if (photo.sent) return;
        chain = chain.then(function (previous) {
          if (previous.status >= 300) return previous;
          const form = new FormData();
          form.append("file", photo.blob, "photo-" + (index + 1) + ".jpg");
          return post("/api/v1/cases/" + entry.caseId + "/attachments", form, token, entry.key + "-photo-" + index, false)
            .then(function (r) { if (r.status < 300) photo.sent = true; return r.status < 300 ? result : r; });
        });
      });
      return chain;
    });
  }

  // Try to send everything waiting. Never throws; each entry records how it went.
  Outbox.flush = function () {
    if (Outbox._flushing) return Outbox._flushing;
    Outbox._flushing = Outbox.all().then(function (entries) {
      if (!entries.length) return [];
      return csrfToken().then(function (token) {
        let chain = Promise.resolve([]);
        entries.forEach(function (entry) {
          chain = chain.then(function (done) {
            return send(entry, token).then(function (result) {
              if (result.status === 200 || result.status === 201) {
                return Outbox.remove(entry.key).then(function () {
                  done.push({ key: entry.key, ok: true, caseId: entry.caseId, publicNumber: entry.publicNumber });
                  return done;
                });
              }
              entry.state = result.status === 401 || result.status === 403 ? "signin" : "rejected";
              entry.error = result.body && result.body.message;
              entry.errors = result.body && result.body.errors;
              return Outbox.put(entry).then(function () { done.push({ key: entry.key, ok: false, result: result }); return done; });
            }, function () {
              entry.state = "waiting"; entry.caseId = entry.caseId || null;
              return Outbox.put(entry).then(function () { done.push({ key: entry.key, ok: false, offline: true }); return done; });
            });
          });
        });
        return chain;
      }, function (error) {
        const state = error && (error.status === 401 || error.status === 403) ? "signin" : "waiting";
        return Promise.all(entries.map(function (e) { e.state = state; return Outbox.put(e); })).then(function () { return []; });
      });
    }).then(function (done) {
      Outbox._flushing = null;
      Outbox.changed();
      return done;
    }, function () { Outbox._flushing = null; return []; });
    return Outbox._flushing;
  };

  Outbox.csrfToken = csrfToken;
  Outbox.post = post;
  global.addEventListener("online", function () { Outbox.flush(); });
  global.Outbox = Outbox;
  global.LocalStore = LocalStore;
})(window);
