// Searchable pickers (dealerops.entry_forms.PickerInput): as the user types, ask the page's
// scoped options endpoint and list what matches; arrows, Enter and Escape work, a click picks.
// Plain JS, no outside assets. Without it the box is still a plain text input the form reads.
(function () {
  "use strict";
  var counter = 0;

  function setup(box) {
    var holdsId = box.hasAttribute("data-picker-holds-id");
    var input = box.querySelector("input[role=combobox]");
    var hidden = box.querySelector("input[data-picker-value]");
    var list = box.querySelector(".picker-options");
    var chosen = box.querySelector(".picker-chosen");
    var dealer = document.getElementById("id_dealer");
    if (dealer && box.contains(dealer)) { dealer = null; }  // the dealer picker itself (a list's filter)
    // A dealer chosen in a picker of its own: its value is the picker's hidden id, not the box.
    var dealerBox = dealer && dealer.closest(".picker[data-picker-holds-id]");
    function dealerValue() { return dealerBox ? dealerBox.querySelector("input[data-picker-value]").value : dealer.value; }
    var options = [], active = -1, timer = null, asked = 0;
    list.id = list.id || "picker-options-" + (++counter);
    input.setAttribute("aria-controls", list.id);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll("li");
      items.forEach(function (item, i) { item.classList.toggle("active", i === index); item.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({block: "nearest"});
      }
    }

    function pick(option) {
      input.value = option.label;
      if (holdsId) { hidden.value = option.value; } else { input.value = option.value; }
      chosen.textContent = option.detail || "";
      close();
      input.dispatchEvent(new Event("change", {bubbles: true}));
    }

    function show(results) {
      options = results;
      list.textContent = "";
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "picker-none";
        none.textContent = box.dataset.noneText || "—";
        list.appendChild(none);
      }
      results.forEach(function (option, i) {
        var item = document.createElement("li");
        item.id = list.id + "-" + i;
        item.setAttribute("role", "option");
        var label = document.createElement("strong");
        label.textContent = option.label;
        item.appendChild(label);
        if (option.detail) {
          // The hint on its own line; its parts ("model · colour · date") each kept whole, so a
          // narrow box wraps between them rather than inside a model's name.
          var detail = document.createElement("span");
          detail.className = "picker-detail muted";
          option.detail.split(" · ").forEach(function (part, i) {
            if (i) { detail.appendChild(document.createTextNode(" · ")); }
            var piece = document.createElement("span");
            piece.textContent = part;
            detail.appendChild(piece);
          });
          item.appendChild(detail);
        }
        // mousedown, not click: it comes before the input's blur closes the list.
        item.addEventListener("mousedown", function (event) { event.preventDefault(); pick(option); });
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function ask() {
      var params = new URLSearchParams({q: input.value.trim()});
      if (dealer && dealerValue()) { params.set("dealer", dealerValue()); }
      var mine = ++asked;
      fetch(box.dataset.pickerUrl + "?" + params.toString(), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : {results: []}; })
        .then(function (body) { if (mine === asked && document.activeElement === input) { show(body.results); } })
        .catch(function () { /* offline or refused: the box stays a plain text input */ });
    }

    input.addEventListener("input", function () {
      if (holdsId) { hidden.value = ""; }  // a typed box no longer names the picked record
      chosen.textContent = "";
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 200);
    });
    input.addEventListener("focus", function () { if (!input.value) { ask(); } });
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (event) {
      if (list.hidden && event.key === "ArrowDown") { ask(); event.preventDefault(); return; }
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { highlight(Math.min(active + 1, options.length - 1)); event.preventDefault(); }
      else if (event.key === "ArrowUp") { highlight(Math.max(active - 1, 0)); event.preventDefault(); }
      else if (event.key === "Enter" && active >= 0) { pick(options[active]); event.preventDefault(); }
      else if (event.key === "Escape") { close(); }
    });
    if (dealer) { dealer.addEventListener("change", function () { input.value = ""; if (holdsId) { hidden.value = ""; } chosen.textContent = ""; }); }
  }

  document.querySelectorAll(".picker[data-picker-url]").forEach(setup);
})();
