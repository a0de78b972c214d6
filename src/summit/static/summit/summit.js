/* Behaviour shared by every page, loaded from base.html. The Content-Security-Policy allows no inline
   script, no on* attribute and no style attribute: pages carry data-* attributes and this file acts on them.
   Plain JS, no build step; every page still works without it. */
(function () {
  "use strict";

  /* <form data-confirm="Really?">: ask before sending. */
  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) {
          event.preventDefault();
          event.stopPropagation();
        }
      });
    });
  }

  /* <div data-shown-when="stream_kind:hls embed">: shown only while the form's stream_kind choice is one of
     those values (every part shows without script). */
  function shownWhen() {
    document.querySelectorAll("[data-shown-when]").forEach(function (part) {
      var rule = part.dataset.shownWhen.split(":");
      var form = part.closest("form");
      var values = rule[1].split(" ");
      if (!form) { return; }
      function update() {
        var chosen = form.querySelector("input[name='" + rule[0] + "']:checked");
        part.hidden = !chosen || values.indexOf(chosen.value) < 0;
      }
      form.querySelectorAll("input[name='" + rule[0] + "']").forEach(function (input) {
        input.addEventListener("change", update);
      });
      update();
    });
  }

  /* <input type="checkbox" data-select-all="#table input[name=ids]">: tick or untick them all. */
  function selectAll() {
    document.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.addEventListener("change", function () {
        document.querySelectorAll(box.dataset.selectAll).forEach(function (other) { other.checked = box.checked; });
      });
    });
  }

  /* <input data-select-on-focus>: the whole value is selected, ready to copy. */
  function selectOnFocus() {
    document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  /* <button data-copy="#field" data-copied="Copied" hidden>: shown where the clipboard can be used; copies the
     field's value (the invitation links, the agenda's calendar feed). */
  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var field = document.querySelector(button.getAttribute("data-copy"));
      if (!field || !navigator.clipboard) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () {
          var before = button.textContent;
          button.textContent = button.getAttribute("data-copied") || before;
          setTimeout(function () { button.textContent = before; }, 2000);
        });
      });
      field.addEventListener("focus", function () { field.select(); });
    });
  }

  /* The registration form: mark the fields the chosen category requires, show the media fields only for
     categories that need them, and offer on-site attendance only where the category allows it. */
  function registrationForm() {
    var requiredData = document.getElementById("category-required");
    var select = document.getElementById("id_category");
    if (!requiredData || !select) {
      return;
    }
    var required = JSON.parse(requiredData.textContent);
    var onlineOnly = JSON.parse(document.getElementById("category-online-only").textContent);
    var map = { organization: "organization_name" };
    function update() {
      var fields = required[select.value] || [];
      document.querySelectorAll("[data-field]").forEach(function (el) { el.classList.remove("required"); });
      fields.forEach(function (f) {
        var el = document.querySelector('[data-field="' + (map[f] || f) + '"]');
        if (el) {
          el.classList.add("required");
        }
      });
      var media = fields.some(function (f) {
        return ["outlet", "press_card_number", "press_card_file"].indexOf(f) >= 0;
      });
      var box = document.getElementById("media-fields");
      if (box) {
        box.hidden = !media && !box.querySelector(".errorlist");
      }
      var onsite = document.querySelector('input[name="attendance_mode"][value="onsite"]');
      if (onsite) {
        var only = onlineOnly.indexOf(select.value) >= 0;
        onsite.disabled = only;
        if (only) {
          document.querySelector('input[name="attendance_mode"][value="online"]').checked = true;
        }
      }
    }
    select.addEventListener("change", update);
    update();
  }

  /* <div class="participant-search" data-url data-target data-multiple data-label-add data-label-choose
     data-label-none>: find participants of the event and put their e-mail into the target field. */
  function participantSearch() {
    document.querySelectorAll(".participant-search").forEach(function (box) {
      if (!window.fetch) {
        return;
      }
      box.hidden = false;
      var input = box.querySelector("input");
      var list = box.querySelector("ul");
      var target = document.getElementById(box.dataset.target);
      var multiple = box.dataset.multiple === "1";
      var timer = null;
      function choose(email) {
        if (!multiple) {
          target.value = email;
          return;
        }
        var lines = target.value.split(/[\s,;]+/).filter(Boolean);
        if (lines.indexOf(email) === -1) {
          lines.push(email);
        }
        target.value = lines.join("\n");
      }
      function show(results) {
        list.textContent = "";
        if (!results.length && input.value.trim()) {
          var empty = document.createElement("li");
          empty.className = "muted";
          empty.textContent = box.dataset.labelNone;
          list.appendChild(empty);
        }
        results.forEach(function (r) {
          var li = document.createElement("li");
          var text = document.createElement("span");
          var button = document.createElement("button");
          text.textContent = r.name + " · " + r.email + (r.organization ? " · " + r.organization : "");
          button.type = "button";
          button.className = "secondary";
          button.textContent = multiple ? box.dataset.labelAdd : box.dataset.labelChoose;
          button.addEventListener("click", function () { choose(r.email); });
          li.appendChild(text);
          li.appendChild(button);
          list.appendChild(li);
        });
      }
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter") {
          e.preventDefault();
        }
      });
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var q = input.value.trim();
          if (!q) {
            show([]);
            return;
          }
          fetch(box.dataset.url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
            .then(function (r) { return r.ok ? r.json() : { results: [] }; })
            .then(function (data) {
              if (input.value.trim() === q) {
                show(data.results);
              }
            });
        }, 250);
      });
    });
  }

  /* <div data-service-worker="/…/sw.js" data-scope="/…/">: keep the page for offline use (the badge). */
  function serviceWorker() {
    var holder = document.querySelector("[data-service-worker]");
    if (!holder || !("serviceWorker" in navigator)) {
      return;
    }
    navigator.serviceWorker
      .register(holder.dataset.serviceWorker, { scope: holder.dataset.scope })
      .catch(function () { /* the page works without it, only not offline */ });
  }

  /* <select data-browser-zone>: preselect the browser's own time zone when the list has it. */
  function browserZone() {
    document.querySelectorAll("select[data-browser-zone]").forEach(function (select) {
      var zone;
      try {
        zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      } catch (e) {
        return;
      }
      if (select.dataset.touched || !zone) {
        return;
      }
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === zone && !select.closest("form").querySelector(".field-error")) {
          select.value = zone;
          return;
        }
      }
    });
  }

  function start() {
    serviceWorker();
    browserZone();
    confirmForms();
    shownWhen();
    selectAll();
    selectOnFocus();
    copyButtons();
    registrationForm();
    participantSearch();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
