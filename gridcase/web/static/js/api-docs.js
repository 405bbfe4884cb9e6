// Swagger UI on the app's own OpenAPI document (no CDN, no inline script).
(function () {
  "use strict";
  const element = document.getElementById("swagger");
  window.ui = SwaggerUIBundle({ url: element.dataset.spec, dom_id: "#swagger", deepLinking: true });
})();
