// Seller dashboard, progressive enhancement only: without JavaScript, photos are ordered
// with the position fields and the move up / move down buttons.
// With it, photos can also be dragged; dropping renumbers the position fields, and the
// seller saves with the "Save the order" button as usual.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-reorder] .image-list").forEach((list) => {
    let dragged = null;

    const renumber = () => {
      list.querySelectorAll(".image-item").forEach((item, index) => {
        const input = item.querySelector(".position-input");
        if (input) input.value = String(index + 1);
      });
      const form = list.closest("form");
      const hint = form && form.querySelector(".reorder-hint");
      if (hint) hint.hidden = false;
    };

    list.querySelectorAll(".image-item").forEach((item) => {
      item.setAttribute("draggable", "true");
      item.addEventListener("dragstart", (event) => {
        dragged = item;
        item.classList.add("is-dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.dataset.imageId || "");
      });
      item.addEventListener("dragend", () => {
        item.classList.remove("is-dragging");
        list.querySelectorAll(".is-drop-target").forEach((el) => el.classList.remove("is-drop-target"));
        dragged = null;
      });
      item.addEventListener("dragover", (event) => {
        if (!dragged || dragged === item) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        item.classList.add("is-drop-target");
      });
      item.addEventListener("dragleave", () => item.classList.remove("is-drop-target"));
      item.addEventListener("drop", (event) => {
        event.preventDefault();
        item.classList.remove("is-drop-target");
        if (!dragged || dragged === item) return;
        const items = Array.from(list.children);
        if (items.indexOf(dragged) < items.indexOf(item)) {
          item.after(dragged);
        } else {
          item.before(dragged);
        }
        renumber();
      });
    });
  });
});
