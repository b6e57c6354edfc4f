// Photos checked in the browser before they are sent (the server checks them again): a file
// that is not JPEG, PNG or WebP, or larger than the limit, is taken out of the field at once
// with a sentence saying why, so a 10 MB photo is never uploaded on a phone's connection.
// The limit and the sentences come from the page: <fieldset data-photo-check
// data-max-bytes="…" data-too-large="… {name} …" data-wrong-type="… {name} …">.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-photo-check]").forEach((box) => {
    const input = box.querySelector("input[type=file]");
    const out = box.querySelector("[data-photo-problem]");
    if (!input || !out) return;
    const maxBytes = Number(box.dataset.maxBytes) || 0;
    const types = (input.accept || "").split(",").map((t) => t.trim()).filter(Boolean);
    input.addEventListener("change", () => {
      const problems = [];
      for (const file of input.files) {
        if (types.length && !types.includes(file.type)) {
          problems.push(box.dataset.wrongType.replace("{name}", file.name));
        } else if (maxBytes && file.size > maxBytes) {
          problems.push(box.dataset.tooLarge.replace("{name}", file.name));
        }
      }
      out.textContent = problems.join(" ");
      out.hidden = problems.length === 0;
      if (problems.length) {
        input.value = "";
        input.setAttribute("aria-invalid", "true");
        input.focus();
      } else {
        input.removeAttribute("aria-invalid");
      }
    });
  });
});
