/* Behaviour every page shares, kept out of the HTML: the Content-Security-Policy allows no inline
   scripts or event handlers. A <select data-autosubmit> submits its form when changed (the
   language switch); without JavaScript its form has a submit button. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
})();
