// Add to cart without leaving the page: posts the same form with fetch and updates the
// cart count in place. Without JavaScript the form posts normally and redirects back.
(() => {
  "use strict";

  function updateCount(count) {
    document.querySelectorAll("[data-cart-count]").forEach((el) => {
      el.textContent = String(count);
    });
  }

  async function submit(form, event) {
    if (!window.fetch || !window.FormData) return;
    event.preventDefault();
    const feedback = form.querySelector("[data-cart-feedback]");
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", Accept: "application/json" },
      });
      const data = await response.json();
      if (typeof data.count === "number") updateCount(data.count);
      if (feedback) {
        feedback.textContent = data.message || "";
        feedback.classList.toggle("is-error", !data.ok);
      }
    } catch (error) {
      // Network or unexpected answer: fall back to the normal form post.
      form.submit();
    } finally {
      if (button) button.disabled = false;
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-cart-form")) {
      submit(form, event);
    }
  });
})();
