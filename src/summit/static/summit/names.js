// Registration and "edit my details": mark the Latin name fields as needed while the name is typed in a
// script whose Latin form cannot be derived automatically (the server checks the same rule, core/names.py).
(function () {
  "use strict";
  var form = document.querySelector("form[data-latin-names]");
  if (!form) return;
  var trusted = /[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Han}\p{Script=Common}\p{Script=Inherited}]/u;
  var letter = /\p{L}/u;
  var kana = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;
  var han = /\p{Script=Han}/u;
  var notPinyin = (form.getAttribute("data-not-pinyin") || "").split(" ");
  var pairs = [["given_name", "given_name_latin"], ["family_name", "family_name_latin"]];

  function needsLatin(text, country) {
    var chars = Array.from(text || "");
    for (var i = 0; i < chars.length; i++) {
      if (letter.test(chars[i]) && !trusted.test(chars[i])) return true;
    }
    return han.test(text) && (kana.test(text) || notPinyin.indexOf(country) >= 0);
  }

  function update() {
    var country = form.elements.country ? form.elements.country.value : "";
    var any = false;
    pairs.forEach(function (pair) {
      var source = form.elements[pair[0]];
      var box = form.querySelector('[data-field="' + pair[1] + '"]');
      var input = form.elements[pair[1]];
      if (!source || !box || !input) return;
      var need = needsLatin(source.value, country);
      box.classList.toggle("required", need);
      input.setAttribute("aria-required", need ? "true" : "false");
      any = any || need;
    });
    var hint = document.getElementById("latin-needed");
    if (hint) hint.hidden = !any;
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
