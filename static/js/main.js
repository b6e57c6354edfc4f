// Progressive enhancement only: every feature works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  document.documentElement.classList.add("js");

  // The filters panel is folded on phones; beside the grid on wide screens it starts open.
  if (window.matchMedia("(min-width: 900px)").matches) {
    document.querySelectorAll("details.filters-panel").forEach((panel) => {
      panel.open = true;
    });
  }

  // Catalogue filters: a new choice in a list or a tick applies at once (typed prices still
  // wait for the "Apply" button, so that a half-typed amount is not sent).
  document.querySelectorAll("form[data-autosubmit]").forEach((form) => {
    form.addEventListener("change", (event) => {
      if (event.target.matches("select, input[type=checkbox]")) {
        if (typeof form.requestSubmit === "function") form.requestSubmit();
        else form.submit();
      }
    });
  });
});
