// Progressive enhancement only; every rule is also enforced on the server.
document.addEventListener("DOMContentLoaded", () => {
  // Contact form: a notification toggle needs its permission; uncheck and disable it otherwise.
  document.querySelectorAll("[data-needs-permission]").forEach((toggle) => {
    const perm = document.getElementById("perm_" + toggle.dataset.needsPermission);
    if (!perm) return;
    const sync = () => {
      toggle.disabled = !perm.checked;
      if (!perm.checked) toggle.checked = false;
    };
    perm.addEventListener("change", sync);
    sync();
  });
  // A part of a form that only counts with one choice of a radio group (data-shown-when="name=value")
  // is shown only while that choice is selected. Without script it stays visible; the server
  // ignores it for the other choices.
  document.querySelectorAll("[data-shown-when]").forEach((box) => {
    const [name, value] = box.dataset.shownWhen.split("=");
    const radios = Array.from(document.getElementsByName(name));
    const sync = () => {
      box.hidden = !radios.some((radio) => radio.checked && radio.value === value);
    };
    radios.forEach((radio) => radio.addEventListener("change", sync));
    sync();
  });
  // Buttons that destroy something ask first.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});

// A table that scrolls sideways (phone width) must be reachable by keyboard: make its scroll
// container focusable while it actually scrolls, named after the table's caption or heading.
(() => {
  const update = () => {
    document.querySelectorAll(".table-responsive").forEach((box) => {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) {
          box.setAttribute("tabindex", "0");
          box.dataset.scrollFocus = "1";
        }
      } else if (box.dataset.scrollFocus) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollFocus;
      }
    });
  };
  document.addEventListener("DOMContentLoaded", update);
  let pending = null;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(update, 100);
  });
})();
