// The placeholder static/replay/index.html loads the frame again as soon as ReplayWeb.page's
// service worker controls it (the worker then answers with its app). ReplayWeb.page reloads
// a frame the worker does not control yet by itself, but not one the worker took over between
// the frame's request and its load event: this does. Not part of ReplayWeb.page.
(function () {
  "use strict";
  const workers = navigator.serviceWorker;
  if (!workers) {
    return;
  }
  const reload = () => window.location.reload();
  if (workers.controller) {
    reload();
  } else {
    workers.addEventListener("controllerchange", reload, { once: true });
  }
})();
