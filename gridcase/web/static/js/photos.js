// Photos are scaled down on the phone (longest side 2048 px, JPEG) before they are stored in
// the outbox or sent: a cheap phone's 12-megapixel photo would otherwise cost minutes of a
// weak signal. The server still checks, turns and strips every photo it receives.
(function (global) {
  "use strict";
  function downscale(file) {
    return new Promise(function (resolve, reject) {
      const url = URL.createObjectURL(file);
      const img = new Image();
      img.onload = function () {
        const scale = Math.min(1, 2048 / Math.max(img.naturalWidth, img.naturalHeight));
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(); }, "image/jpeg", 0.85);
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(); };
      img.src = url;
    });
  }

  // The "add a photo" button of a case page: scale, upload with the page's CSRF token, reload.
  function wireCaseUpload() {
    const input = document.getElementById("case-photo-input");
    if (!input) return;
    const status = document.getElementById("case-photo-status");
    // With JavaScript the photos go as soon as they are chosen: no send button needed.
    const send = document.getElementById("case-photo-send");
    if (send) send.hidden = true;
    input.addEventListener("change", function () {
      const files = Array.from(input.files || []);
      input.value = "";
      const token = document.querySelector("meta[name=csrf-token]").content;
      let chain = Promise.resolve();
      files.forEach(function (file) {
        chain = chain.then(function () { return downscale(file); }).then(function (blob) {
          const form = new FormData();
          form.append("file", blob, "photo.jpg");
          return fetch(input.dataset.url, { method: "POST", body: form, credentials: "same-origin",
            headers: { "X-CSRFToken": token } });
        }).then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.message || response.statusText);
          });
        });
      });
      status.textContent = input.dataset.sending;
      chain.then(function () { window.location.reload(); }, function (error) {
        status.textContent = error && error.message ? error.message : input.dataset.failed;
      });
    });
  }

  global.GridcasePhotos = { downscale: downscale };
  document.addEventListener("DOMContentLoaded", wireCaseUpload);
})(window);
