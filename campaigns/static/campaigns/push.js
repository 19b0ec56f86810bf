// Web Push in the portal: a button with data-push-subscribe asks the browser for permission, subscribes with the
// shop's VAPID public key and saves the subscription on the server. No inline script (the CSP forbids it).
(function () {
  "use strict";
  function keyBytes(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }
  function subscribe(button) {
    var status = document.getElementById(button.getAttribute("data-status"));
    function say(text) { if (status) { status.textContent = text; } }
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) { say(button.getAttribute("data-unsupported")); return; }
    navigator.serviceWorker.register(button.getAttribute("data-worker"))
      .then(function (registration) { return Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") { throw new Error("denied"); }
        return registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(button.getAttribute("data-key"))});
      }); })
      .then(function (subscription) {
        return fetch(button.getAttribute("data-push-subscribe"), {
          method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRFToken": button.getAttribute("data-csrf")},
          body: JSON.stringify(subscription.toJSON())
        });
      })
      .then(function (response) { say(button.getAttribute(response.ok ? "data-done" : "data-failed")); })
      .catch(function () { say(button.getAttribute("data-failed")); });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-push-subscribe]");
    if (button) { event.preventDefault(); subscribe(button); }
  });
})();
