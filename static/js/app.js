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
  // Buttons that destroy something ask first.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
