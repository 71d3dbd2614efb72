// The upload page: the columns of the chosen kind of file are shown open, the others folded.
(function () {
  var kind = document.getElementById("id_kind");
  if (!kind) { return; }
  function sync() {
    document.querySelectorAll("details.kind-columns").forEach(function (box) {
      box.open = box.dataset.kind === kind.value;
    });
  }
  kind.addEventListener("change", sync);
})();
