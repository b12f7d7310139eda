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
