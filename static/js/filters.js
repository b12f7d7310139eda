// Progressive enhancement for the story filters: leave empty fields out of the URL, so a
// shared address says only what was asked. Without JavaScript the form works the same.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.filters");
  if (!form) return;
  form.addEventListener("submit", () => {
    for (const field of form.elements) {
      if (field.name && !field.value && !field.disabled) field.disabled = true;
    }
  });
  // Restore the fields if the visitor comes back to this page from the browser history.
  window.addEventListener("pageshow", () => {
    for (const field of form.elements) field.disabled = false;
  });
});

// Wide screens show the filters beside the results (site.css, `::details-content`); where a
// browser cannot style a closed disclosure's content, open it there instead.
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.querySelector("details.filter-panel");
  if (!panel || CSS.supports("selector(::details-content)")) return;
  const wide = window.matchMedia("(min-width: 40.01rem)");
  const follow = () => {
    if (wide.matches) panel.open = true;
  };
  follow();
  wide.addEventListener("change", follow);
});
