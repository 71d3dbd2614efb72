// The upload page: the columns of the chosen kind of file are shown open, the others folded;
// a file of the whole network (its columns marked data-network) names no dealer, so the
// dealer field hides while such a kind is chosen.
(function () {
  var kind = document.getElementById("id_kind");
  if (!kind) { return; }
  var dealer = document.getElementById("id_dealer");
  var dealerField = dealer ? dealer.closest(".field") : null;
  function sync() {
    var network = false;
    document.querySelectorAll("details.kind-columns").forEach(function (box) {
      box.open = box.dataset.kind === kind.value;
      if (box.open && box.hasAttribute("data-network")) { network = true; }
    });
    if (dealerField) { dealerField.hidden = network; }
  }
  kind.addEventListener("change", sync);
  sync();
})();
