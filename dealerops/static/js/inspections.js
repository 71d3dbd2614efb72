// The inspection pages on a phone: the check-in asks the browser for its position, a chosen
// photo shows before it is sent, and a submitted form is not sent twice by a double tap (the
// server refuses a second submission anyway).
(function () {
  "use strict";

  var form = document.getElementById("fill-form");
  var button = document.getElementById("check-in-button");
  var status = document.getElementById("check-in-status");

  if (form && button) {
    button.addEventListener("click", function (event) {
      if (button.dataset.located === "yes") { return; }  // the position is in: send the form
      event.preventDefault();
      if (!navigator.geolocation) { status.textContent = button.dataset.unsupported; return; }
      status.textContent = button.dataset.locating;
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.latitude.value = position.coords.latitude.toFixed(8);
        form.elements.longitude.value = position.coords.longitude.toFixed(8);
        form.elements.accuracy.value = Math.round(position.coords.accuracy);
        button.dataset.located = "yes";
        button.disabled = false;
        form.requestSubmit(button);
      }, function (error) {
        button.disabled = false;
        status.textContent = error.code === error.PERMISSION_DENIED ? button.dataset.denied : button.dataset.failed;
      }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 0});
    });
  }

  if (form) {
    var sent = false;
    form.addEventListener("submit", function (event) {
      var action = event.submitter ? event.submitter.value : "";
      if (sent) { event.preventDefault(); return; }
      if (action === "submit" && !window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
      sent = true;
    });
  }

  // A chosen photo shows beside its field before it is sent.
  Array.prototype.forEach.call(document.querySelectorAll("input[type=file]"), function (input) {
    var preview = input.parentNode.querySelector("img.preview") || input.form.querySelector("img.preview");
    if (!preview || !window.URL) { return; }
    input.addEventListener("change", function () {
      if (input.files && input.files[0] && /^image\/(jpeg|png|webp)$/.test(input.files[0].type)) {
        preview.src = URL.createObjectURL(input.files[0]);
        preview.hidden = false;
      } else {
        preview.hidden = true;
      }
    });
  });
})();
