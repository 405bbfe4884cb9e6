// The visit form: where the worker stands, from the GPS, into the form's hidden fields; a
// diary entry has no topic.
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const status = document.getElementById("visit-gps");
  function take(position) {
    document.getElementById("visit-lon").value = position.coords.longitude;
    document.getElementById("visit-lat").value = position.coords.latitude;
    status.textContent = T.gps_ok.replace("{m}", Math.round(position.coords.accuracy));
  }
  function refused(error) { if (error.code === 1) status.textContent = T.no_gps; }
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(take, refused, { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  } else {
    status.textContent = T.no_gps;
  }
  const topic = document.getElementById("topic-field");
  function showTopic() {
    const kind = document.querySelector("input[name=kind]:checked");
    const diary = kind && kind.value === "diary";
    topic.hidden = diary;
    if (diary) topic.querySelector("select").value = "";
  }
  document.querySelectorAll("input[name=kind]").forEach(function (input) { input.addEventListener("change", showTopic); });
  showTopic();
})();
