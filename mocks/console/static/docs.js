// Swagger UI over the contract this server serves for one API: /docs/<api> shows /<api>/openapi.json.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const api = location.pathname.split("/").filter(Boolean).pop();
  document.title = `standin: ${api} API docs`;
  window.ui = SwaggerUIBundle({
    url: `/${api}/openapi.json`,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // The served contract's servers already name this sandbox's prefix, so "Try it out" calls it.
    tryItOutEnabled: false,
  });
});
