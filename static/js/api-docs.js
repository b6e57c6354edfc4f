// The API documentation page: Swagger UI (static/vendor/swagger-ui) on the served OpenAPI
// document. A file, not an inline script: the site's CSP allows only its own scripts.
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    // No calls to the public validator service: everything stays on this site.
    validatorUrl: null,
  });
});
