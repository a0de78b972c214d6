/* Program pages: the viewer's own time beside the event's, a copy button, no double submits.
   Plain JS, no build step; everything works without it. */
(function () {
  "use strict";

  function viewerZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }

  function formatter(zone, withDay) {
    var options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone };
    if (withDay) {
      options.weekday = "short";
    }
    return new Intl.DateTimeFormat(document.documentElement.lang || undefined, options);
  }

  function dayKey(date, zone) {
    return new Intl.DateTimeFormat("en-CA", {
      year: "numeric", month: "2-digit", day: "2-digit", timeZone: zone,
    }).format(date);
  }

  function chinese() {
    return (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  }

  /* The viewer's zone as the event's is written on the page: its name in the page's language and its
     offset, "Central European Standard Time (UTC+1)" / "中欧标准时间 UTC+1" (the Chinese sentence puts it in
     full-width brackets itself), never the raw id "Europe/Berlin". */
  function zoneText(zone, date) {
    var name = zone, offset = "";
    try {
      new Intl.DateTimeFormat(document.documentElement.lang || undefined, { timeZone: zone, timeZoneName: "long" })
        .formatToParts(date).forEach(function (part) { if (part.type === "timeZoneName") { name = part.value; } });
      new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "shortOffset" })
        .formatToParts(date).forEach(function (part) {
          if (part.type === "timeZoneName") { offset = part.value.replace("GMT", "UTC"); }
        });
    } catch (e) {
      return name;
    }
    if (!offset) {
      return name;
    }
    return chinese() ? name + " " + offset : name + " (" + offset + ")";
  }

  function addYourTime(root) {
    var zone = viewerZone();
    var page = document.querySelector("[data-your-time-label]");
    if (!zone || !page) {
      return;
    }
    var label = page.getAttribute("data-your-time-label");
    root.querySelectorAll("[data-your-time]").forEach(function (el) {
      var eventZone = el.getAttribute("data-event-tz");
      if (!eventZone || el.querySelector(".your-time")) {
        return;
      }
      var start = new Date(el.getAttribute("data-start"));
      var end = new Date(el.getAttribute("data-end"));
      if (isNaN(start) || isNaN(end)) {
        return;
      }
      var there, here, otherDay;
      try {
        there = formatter(eventZone, false).format(start) + dayKey(start, eventZone);
        here = formatter(zone, false).format(start) + dayKey(start, zone);
        otherDay = dayKey(start, zone) !== dayKey(start, eventZone);
      } catch (e) {
        return;
      }
      if (zone === eventZone || there === here) {
        return; /* same wall-clock time: nothing to add */
      }
      var text = formatter(zone, otherDay).format(start) + "–" + formatter(zone, false).format(end);
      var span = document.createElement("span");
      span.className = "your-time";
      /* A separator, not another pair of brackets: the event's zone already ends in "(UTC+8)". */
      span.textContent = " · " + label.replace("{time}", text).replace("{zone}", zoneText(zone, start));
      el.appendChild(span);
    });
  }

  function noDoubleSubmit() {
    /* The server books once per idempotency key anyway; this only spares the second request. */
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.classList || form.method.toLowerCase() !== "post") {
        return;
      }
      if (form.dataset.sent === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-busy", "true"); });
      }, 0);
    });
    /* Coming back with the back button shows the page from cache: let its forms be sent again. */
    window.addEventListener("pageshow", function () {
      document.querySelectorAll("form[data-sent]").forEach(function (form) { delete form.dataset.sent; });
    });
  }

  /* The program on a phone: with many sessions its forums start folded (each a <details>, open without
     JavaScript); following a link to a forum or a session, or arriving with one in the address, opens it. */
  function foldForums() {
    var page = document.querySelector("[data-collapse-from]");
    if (!page) {
      return;
    }
    var blocks = page.querySelectorAll("details.forum-block");
    var limit = parseInt(page.getAttribute("data-collapse-from"), 10) || 0;
    var phone = window.matchMedia && window.matchMedia("(max-width: 640px)").matches;
    if (phone && limit && page.querySelectorAll(".session-card").length >= limit) {
      blocks.forEach(function (block) { block.open = false; });
    }
    function reveal(hash) {
      if (!hash || hash.length < 2) {
        return;
      }
      var target = document.getElementById(decodeURIComponent(hash.slice(1)));
      var block = target && target.closest("details.forum-block");
      if (block) {
        block.open = true;
      }
    }
    reveal(window.location.hash);
    window.addEventListener("hashchange", function () { reveal(window.location.hash); });
    page.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href^='#']");
      if (link) {
        reveal(link.getAttribute("href"));
      }
    });
  }

  function start() {
    foldForums();
    addYourTime(document);
    noDoubleSubmit();
    document.body.addEventListener("htmx:afterSettle", function (event) {
      addYourTime(event.target || document);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
