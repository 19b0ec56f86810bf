// "Invite friends" in the portal: share the link with the Web Share API where the browser has it,
// else copy it to the clipboard (else select it for the customer to copy). No inline script: CSP.
(function () {
  "use strict";

  function status(button, text) {
    var box = button.closest(".invite-actions");
    var out = box && box.querySelector("[data-invite-status]");
    if (out) { out.textContent = text; }
  }

  function copy(button) {
    var url = button.getAttribute("data-url");
    var done = function () { status(button, button.getAttribute("data-copied")); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(url).then(done, function () { select(button); });
    } else {
      select(button);
    }
  }

  function select(button) {
    var section = button.closest("section");
    var input = section && section.querySelector(".invite-url");
    if (input) { input.focus(); input.select(); }
  }

  document.addEventListener("click", function (event) {
    var share = event.target.closest("[data-invite-share]");
    if (share) {
      if (navigator.share) {
        navigator.share({
          title: share.getAttribute("data-title"),
          text: share.getAttribute("data-text"),
          url: share.getAttribute("data-url")
        }).catch(function () { /* the customer closed the sheet */ });
      } else {
        copy(share);
      }
      return;
    }
    var copyButton = event.target.closest("[data-invite-copy]");
    if (copyButton) { copy(copyButton); }
  });
})();
