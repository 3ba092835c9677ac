"use strict";
(function () {
  const form = document.getElementById("controls");
  const shownCount = document.getElementById("shown-count");
  const cards = Array.from(document.querySelectorAll("article.card"));
  const galleries = Array.from(document.querySelectorAll(".gallery"));
  const flags = { "only-failed": "failed", "only-wrong-library": "wrongLibrary",
    "only-unjudged": "unjudged", "only-infra": "infra",
    "only-failed-outcome": "failedOutcome" };

  function score(card, which) {
    const value = card.dataset[which];
    return value === "" ? null : Number(value);
  }

  function applyFilters() {
    const wanted = Object.keys(flags).filter((id) => form.elements[id].checked).map((id) => flags[id]);
    const below = form.elements["below-on"].checked;
    const threshold = Number(form.elements["threshold"].value);
    const which = form.elements["below-score"].value;
    let shown = 0;
    for (const card of cards) {
      let keep = wanted.every((flag) => card.dataset[flag] === "1");
      if (keep && below) {
        const value = score(card, which);
        keep = value !== null && value < threshold;
      }
      card.hidden = !keep;
      if (keep) shown += 1;
    }
    shownCount.textContent = shown + " of " + cards.length + " cards shown";
  }

  function applySort() {
    const [key, direction] = form.elements["sort"].value.split("-");
    const sign = direction === "desc" ? -1 : 1;
    const byOrder = (a, b) => Number(a.dataset.order) - Number(b.dataset.order);
    const compare = (a, b) => {
      if (key === "id") return sign * byOrder(a, b);
      const sa = score(a, key);
      const sb = score(b, key);
      if (sa !== sb) {
        if (sa === null) return 1; // unscored cards go last either way
        if (sb === null) return -1;
        return sign * (sa - sb);
      }
      return byOrder(a, b);
    };
    for (const gallery of galleries) {
      const sorted = Array.from(gallery.children).sort(compare);
      gallery.append(...sorted);
    }
  }

  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("input", applyFilters);
  form.addEventListener("change", () => { applyFilters(); applySort(); });

  const lightbox = document.getElementById("lightbox");
  const holder = lightbox.querySelector(".lightbox-image");
  const caption = lightbox.querySelector("figcaption");
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.thumb");
    if (!button) return;
    const image = document.createElement("img");
    image.src = button.dataset.full || button.querySelector("img").src;
    image.alt = button.dataset.caption;
    caption.textContent = button.dataset.caption;
    holder.replaceChildren(image);
    lightbox.showModal();
  });
  lightbox.addEventListener("click", () => lightbox.close());
  lightbox.addEventListener("close", () => holder.replaceChildren());

  applyFilters();
})();
