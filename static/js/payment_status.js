// "Confirming your payment": polls the order's payment status (JSON) until Stripe's webhook
// has arrived, then shows the result. Without JavaScript the page still says what to expect.
(function () {
  "use strict";
  const box = document.getElementById("payment-status");
  if (!box || box.dataset.done === "true" || !window.fetch) return;
  const url = box.dataset.statusUrl;
  const show = (name) => {
    box.querySelectorAll("[data-state]").forEach((el) => {
      el.hidden = el.dataset.state !== name;
    });
  };
  let tries = 0;
  const MAX_TRIES = 40; // about two minutes
  async function poll() {
    tries += 1;
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json", "X-Requested-With": "fetch" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const data = await response.json();
        if (data.paid) {
          show("paid");
          return;
        }
        if (data.done) {
          show("failed");
          return;
        }
      }
    } catch (error) {
      // network hiccup: try again
    }
    if (tries >= MAX_TRIES) {
      show("slow");
      return;
    }
    window.setTimeout(poll, Math.min(1000 + tries * 500, 5000));
  }
  window.setTimeout(poll, 1000);
})();
