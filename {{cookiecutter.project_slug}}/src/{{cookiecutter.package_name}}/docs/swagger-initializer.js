// Starts Swagger UI with the settings the page carries as JSON: the page's Content-Security-Policy
// allows no inline script, so they cannot be written into one.
window.addEventListener("load", function () {
  var config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  window.ui = SwaggerUIBundle(config.ui);
  if (config.initOAuth) {
    window.ui.initOAuth(config.initOAuth);
  }
});
