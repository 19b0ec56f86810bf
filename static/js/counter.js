/* Counter screen keys. Everything here is a shortcut for a link or a form that also works
   without JavaScript: F2 search, F4 redeem the maximum, F6 return, F8 commit, Esc next customer. */
(function () {
  "use strict";
  var home = document.querySelector(".brand") ? document.querySelector(".brand").getAttribute("href") : "/counter/";

  function commitForm() {
    return document.querySelector("form[data-commit-form]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var search = document.getElementById("q-big") || document.getElementById("q");
    switch (event.key) {
      case "F2":
        event.preventDefault();
        if (search) { search.focus(); search.select(); }
        break;
      case "F4":
        var redeem = document.getElementById("redeem");
        if (redeem) {
          event.preventDefault();
          redeem.value = "max";
          redeem.dispatchEvent(new Event("input", { bubbles: true }));
        }
        break;
      case "F6":
        event.preventDefault();
        var returns = document.querySelector("a[data-key='F6']");
        if (returns) window.location.href = returns.getAttribute("href");
        break;
      case "F8":
        var form = commitForm();
        var button = form && form.querySelector("[data-commit]");
        if (button) {
          event.preventDefault();
          form.requestSubmit(button);
        }
        break;
      case "Escape":
        var target = event.target;
        if (target && target.id === "q" && target.value) { target.value = ""; return; }
        event.preventDefault();
        window.location.href = home;
        break;
    }
  });

  // One click commits one form: buttons go inert once the form is on its way. The server's
  // idempotency key is what guarantees it; this only spares a second request.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-commit-form")) return;
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    var submitter = event.submitter;
    if (submitter && submitter.getAttribute("value") === "preview") return;
    form.dataset.submitted = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
    }, 0);
  });
  // The store picker switches as soon as a store is chosen; without JavaScript its button does.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var button = select.form && select.form.querySelector("[data-autosubmit-button]");
    if (button) button.style.display = "none";
    select.addEventListener("change", function () { select.form.requestSubmit(); });
  });
  // Coming back with the browser's Back button shows the form again; let it be submitted again
  // (the key then makes the server replay the first result instead of charging twice).
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-commit-form]").forEach(function (form) {
      delete form.dataset.submitted;
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.removeAttribute("aria-disabled"); });
    });
  });
})();
