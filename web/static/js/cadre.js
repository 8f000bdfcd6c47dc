// Cadre's small enhancements; every page works without them.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // An error summary takes focus so that it is read first.
  const summary = document.querySelector("[data-autofocus]");
  if (summary) summary.focus();
  document.querySelectorAll("form[data-autosave]").forEach(autosave);
});

// autosave saves each item of a rating form on its own, shortly after it changes,
// and keeps unsent items until the network comes back.
function autosave(form) {
  const base = form.getAttribute("action").replace(/\/sections\/[^/]+$/, "");
  const timers = new Map();
  const waiting = new Set();
  // The sticky bar tells the truth: with the script, no button is needed.
  form.querySelectorAll("[data-without-script]").forEach((el) => { el.hidden = true; });
  form.querySelectorAll("[data-with-script]").forEach((el) => { el.hidden = false; });

  const cardOf = (code) => form.querySelector('[data-item="' + CSS.escape(code) + '"]');

  function status(card, kind, text) {
    const el = card.querySelector(".save-status");
    if (!el) return;
    el.className = "save-status " + kind;
    el.textContent = text;
  }

  function schedule(event) {
    const card = event.target.closest("[data-item]");
    if (!card) return;
    const code = card.dataset.item;
    clearTimeout(timers.get(code));
    status(card, "pending", "Modification en cours…");
    timers.set(code, setTimeout(() => save(code), 500));
  }

  async function save(code) {
    const card = cardOf(code);
    const data = new URLSearchParams();
    data.append("valeur-" + code, "");
    card.querySelectorAll("input, textarea").forEach((el) => {
      if (el.type === "radio") {
        if (el.checked) data.set(el.name, el.value);
        return;
      }
      data.append(el.name, el.value);
    });
    let answer;
    try {
      const response = await fetch(base + "/items/" + encodeURIComponent(code), {
        method: "POST",
        headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
        body: data,
        credentials: "same-origin",
      });
      answer = await response.json();
    } catch (err) {
      waiting.add(code);
      status(card, "pending", "Hors ligne : l'enregistrement reprendra au retour du réseau.");
      return;
    }
    waiting.delete(code);
    if (answer.status === "saved" || answer.status === "unchanged") {
      card.querySelector('input[name="version-' + CSS.escape(code) + '"]').value = answer.version || 0;
      status(card, "ok", "Enregistré");
    } else if (answer.status === "conflict") {
      status(card, "failed", answer.message + " Sa version : " + answer.theirs + ".");
    } else {
      const details = answer.errors ? " " + Object.values(answer.errors).join(" ") : "";
      status(card, "failed", "Non enregistré : " + answer.message + details);
    }
  }

  const retry = () => waiting.forEach((code) => save(code));
  window.addEventListener("online", retry);
  setInterval(() => { if (waiting.size > 0 && navigator.onLine) retry(); }, 5000);
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
}

// The audit report's "Imprimer" button (issue 13): the browser's print
// dialog, which the print stylesheet lays out on A4.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
