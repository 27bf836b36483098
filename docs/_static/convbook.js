// convbook: small fixes to the theme for readers (loaded on every page).

// The download menu downloads the notebook (.ipynb) and the page's source
// (.md) instead of opening them in a new tab.
document.addEventListener("DOMContentLoaded", () => {
  for (const link of document.querySelectorAll(
    "a.btn-download-notebook-button, a.btn-download-source-button"
  )) {
    link.setAttribute("download", "");
    link.removeAttribute("target");
  }
});

// sphinx-book-theme blurs the colour-mode button and the sidebar toggles on
// every click (to hide the focus ring after a mouse click). That also drops
// the focus of a keyboard user: after Enter on the colour-mode button the
// menu opens but focus is on <body>, so the arrow keys scroll the page
// instead of moving through Light / Dark / System. A click made with Enter or
// Space has event.detail === 0: then put the focus back, on the menu's
// current item (or on the button itself for the toggles).
document.addEventListener("click", (event) => {
  if (event.detail !== 0) return;
  const button = event.target.closest?.(".theme-switch-button, .primary-toggle, .secondary-toggle");
  if (!button) return;
  setTimeout(() => {
    if (document.activeElement && document.activeElement !== document.body) return;
    const menu = button.closest(".dropdown")?.querySelector(".dropdown-menu.show");
    const target = menu ? menu.querySelector(".active") || menu.querySelector(".dropdown-item") : button;
    target?.focus();
  }, 0);
});
