// The phone pages are a Progressive Web App: register the service worker that keeps the app
// shell on the phone (see /sw.js).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* pages still work */ });
}
