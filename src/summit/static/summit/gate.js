/* The gate scanner (entry/templates/entry/gate.html): badges read by the camera or typed, checked by the
   server, or on this device when the connection is gone.

   Online, a scan is sent to the page's scan endpoint (the same service as the API) and its verdict shown.
   The zone's offline package (the event's public key, who may enter, the revoked badges, who is inside) is
   kept in localStorage and refreshed every few minutes. Without a connection the page decides itself, in the
   server's order and with its reasons: the code's form, the event, the Ed25519 signature (WebCrypto, or the
   vendored @noble/ed25519 where the browser lacks it), the badge's revision, the person's place in the
   package, their entry rules and whether they are inside already (anti-passback, from the package's state and
   the scans made since). Each scan decided here is kept with a random id and the device's clock, and uploaded
   once the connection returns; it leaves this device only when the server has answered. Uploads are
   idempotent, so sending one again is safe. No framework, no build step; settings come from data-* attributes. */
(function () {
  "use strict";

  var root = document.getElementById("gate");
  if (!root) { return; }
  var cfg = root.dataset;
  var texts = JSON.parse(document.getElementById("gate-texts").textContent);
  var L = texts.labels;
  var csrf = (root.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  var eventId = Number(cfg.event);
  var zoneCode = cfg.zone;
  var batchSize = Number(cfg.uploadBatch) || 500;
  var lang = document.documentElement.lang || "en";
  var PACKAGE_EVERY = 3 * 60 * 1000;
  var RETRY_EVERY = 15 * 1000;
  var REQUEST_TIMEOUT = 8000;

  var $ = function (id) { return document.getElementById(id); };
  var panel = $("gate-result");
  var codeInput = $("gate-code");

  /* --- storage ------------------------------------------------------------------------------------------- */

  var prefix = "summit.gate." + eventId + "." + zoneCode + ".";

  function load(key, fallback) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function save(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (e) {
      return false;
    }
  }

  function randomId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  var device = load("summit.gate.device", null);
  if (!device) {
    device = randomId();
    save("summit.gate.device", device);
  }

  var pkg = null; // the offline package
  var people = new Map(); // participant id → their entry in the package
  var revoked = new Set(); // "participant:revision"
  var presence = load(prefix + "presence", {}); // participant id → inside, since the package was made
  var pending = load(prefix + "pending", []); // scans decided here, not yet accepted by the server
  var networkDown = false; // the last request failed for want of a connection

  function usePackage(data) {
    pkg = data;
    people = new Map();
    (data.participants || []).forEach(function (p) { people.set(p.id, p); });
    revoked = new Set((data.revoked || []).map(function (pair) { return pair[0] + ":" + pair[1]; }));
    renderPackage();
    getVerifier().then(function () { root.dataset.verifierReady = "true"; }, function () {});
  }

  /* --- text helpers -------------------------------------------------------------------------------------- */

  function fill(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (all, name) {
      return values[name] === undefined ? all : String(values[name]);
    });
  }

  function formatTime(iso, withDate) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) { return ""; }
    var options = withDate ? { dateStyle: "medium", timeStyle: "short" } : { timeStyle: "short" };
    try {
      return new Intl.DateTimeFormat(lang, Object.assign({ timeZone: cfg.timeZone }, options)).format(date);
    } catch (e) {
      return date.toLocaleString();
    }
  }

  /* "native (Latin)" unless the Latin form only repeats the name (core/names.py, name_with_latin). */
  function plainLetters(text) {
    return String(text || "").normalize("NFKD").replace(/[\u0300-\u036f\s]/g, "").toLowerCase();
  }

  /* --- the result panel ---------------------------------------------------------------------------------- */

  function show(el, on) { el.hidden = !on; }

  function setText(id, text) {
    var el = $(id);
    el.textContent = text || "";
    show(el, Boolean(text));
  }

  /* result: {state: admitted|refused|error|checking, title, reason, person: {native, latin, category, colour},
     valid_until, to_check: [...], mode} */
  function render(result) {
    panel.dataset.state = result.state;
    panel.dataset.mode = result.mode || "";
    $("gate-verdict").textContent = result.title;
    setText("gate-reason", result.reason);
    var person = result.person;
    show($("gate-person"), Boolean(person));
    show($("gate-category"), Boolean(person && person.category));
    var photo = $("gate-photo");
    var source = person && typeof person.photo === "string" && /^(\/|data:image\/jpeg;base64,)/.test(person.photo) ? person.photo : "";
    if (source) { photo.src = source; } else { photo.removeAttribute("src"); }
    show(photo, Boolean(source));
    if (person) {
      var native = person.native || person.name || "";
      var latin = person.latin || "";
      if (!native) { native = latin; latin = ""; }
      $("gate-native").textContent = native;
      $("gate-latin").textContent = latin;
      show($("gate-latin-part"), Boolean(latin) && plainLetters(latin) !== plainLetters(native));
      $("gate-category-name").textContent = person.category || "";
      var swatch = $("gate-swatch");
      swatch.style.backgroundColor = /^#[0-9a-fA-F]{6}$/.test(person.colour || "") ? person.colour : "";
    }
    setText("gate-valid", result.valid_until ? fill(L.valid_until, { time: formatTime(result.valid_until, true) }) : "");
    var list = $("gate-check-list");
    list.textContent = "";
    (result.to_check || []).forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
    show($("gate-check"), Boolean(result.to_check && result.to_check.length));
    setText("gate-mode", result.note || "");
    if (panel.getBoundingClientRect().top < 0) { panel.scrollIntoView({ block: "nearest" }); }
  }

  function renderVerdict(verdict, direction, note) {
    var title = verdict.admitted ? (direction === "out" ? L.exit : L.admitted) : L.refused;
    render({
      state: verdict.admitted ? "admitted" : "refused",
      title: title,
      reason: verdict.admitted ? "" : (verdict.detail || texts.reasons[verdict.reason] || verdict.reason || ""),
      person: verdict.person,
      valid_until: verdict.admitted ? verdict.valid_until : null,
      to_check: verdict.admitted ? verdict.to_check : [],
      mode: note === L.offline_decision ? "offline" : "online",
      note: note,
    });
  }

  function renderError(message) {
    render({ state: "error", title: L.error, reason: message });
  }

  /* --- connection state, pending scans, package ---------------------------------------------------------- */

  function offline() { return !navigator.onLine || networkDown; }

  function renderNetwork() {
    var el = $("gate-network");
    var off = offline();
    el.dataset.state = off ? "offline" : "online";
    el.textContent = off ? L.offline : L.online;
    root.dataset.network = off ? "offline" : "online";
  }

  function renderPending() {
    $("gate-pending").textContent = String(pending.length);
    root.dataset.pending = String(pending.length);
  }

  function renderPackage() {
    $("gate-package").textContent = pkg
      ? fill(L.package, { count: people.size, time: formatTime(pkg.server_time, false) })
      : L.no_package;
  }

  function savePending() {
    save(prefix + "pending", pending);
    renderPending();
  }

  /* A request to the server: {status, data}; rejects with {network: true} when the server cannot be reached
     (no connection, a timeout, or a proxy saying the application is down). */
  function request(url, body) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT) : null;
    var options = {
      method: body === undefined ? "GET" : "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined,
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrf;
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(
      function (response) {
        if (timer) { clearTimeout(timer); }
        if (response.status === 502 || response.status === 503 || response.status === 504) {
          throw { network: true };
        }
        networkDown = false;
        renderNetwork();
        return response.json().then(
          function (data) { return { status: response.status, data: data }; },
          function () { return { status: response.status, data: null }; }
        );
      },
      function () {
        if (timer) { clearTimeout(timer); }
        throw { network: true };
      }
    ).catch(function (error) {
      if (error && error.network) {
        networkDown = true;
        renderNetwork();
      }
      throw error;
    });
  }

  function refusal(answer) {
    if (answer.status === 401) { return L.signed_out; }
    if (answer.status === 403 && !(answer.data && answer.data.detail)) { return L.session_expired; }
    return (answer.data && answer.data.detail) || ("HTTP " + answer.status);
  }

  function refreshPackage() {
    if (!navigator.onLine) { return Promise.resolve(); }
    return request(cfg.packageUrl).then(function (answer) {
      if (answer.status !== 200 || !answer.data || !answer.data.public_key) { return; }
      if (!pending.length) {
        presence = {}; // the server's state includes every scan this device made
        save(prefix + "presence", presence);
      }
      save(prefix + "package", answer.data);
      usePackage(answer.data);
    }, function () {});
  }

  var uploading = false;

  function upload() {
    if (uploading || !pending.length) { return Promise.resolve(); }
    if (!navigator.onLine) {
      $("gate-upload-status").textContent = L.upload_waiting;
      return Promise.resolve();
    }
    uploading = true;
    var batch = pending.slice(0, batchSize);
    var body = {
      device: device,
      gate: "",
      device_time: new Date().toISOString(),
      scans: batch.map(function (s) {
        return {
          id: s.id, token: s.token, zone: s.zone, direction: s.direction,
          scanned_at: s.scanned_at, admitted: s.admitted, reason: s.reason,
        };
      }),
    };
    return request(cfg.uploadUrl, body).then(function (answer) {
      uploading = false;
      if (answer.status !== 200) {
        $("gate-upload-status").textContent = fill(L.upload_refused, { detail: refusal(answer) });
        return;
      }
      var sent = new Set(batch.map(function (s) { return s.id; }));
      pending = pending.filter(function (s) { return !sent.has(s.id); });
      savePending();
      $("gate-upload-status").textContent = fill(L.uploaded, { count: batch.length });
      showConflicts(answer.data.conflicts || [], batch);
      if (pending.length) { return upload(); }
      return refreshPackage();
    }, function () {
      uploading = false;
      $("gate-upload-status").textContent = L.upload_waiting;
    });
  }

  function showConflicts(conflicts, batch) {
    if (!conflicts.length) { return; }
    var byId = new Map(batch.map(function (s) { return [s.id, s]; }));
    var list = $("gate-conflict-list");
    conflicts.forEach(function (c) {
      var scan = byId.get(c.id);
      var li = document.createElement("li");
      var name = document.createElement("bdi");
      name.textContent = (scan && scan.name) || L.unknown_person;
      var parts = fill(L.conflict, { name: "\u0000", conflict: texts.conflicts[c.conflict] || c.conflict }).split("\u0000");
      li.appendChild(document.createTextNode(parts[0]));
      li.appendChild(name);
      li.appendChild(document.createTextNode((parts[1] || "") + (scan ? " (" + formatTime(scan.scanned_at, true) + ")" : "")));
      list.appendChild(li);
    });
    $("gate-conflicts").hidden = false;
  }

  /* --- checking a badge on this device ------------------------------------------------------------------- */

  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  var PREFIX = "S1";
  var TOKEN_BYTES = 75;
  var CLAIM_BYTES = 11;
  var TEXT_LENGTH = PREFIX.length + TOKEN_BYTES * 8 / 5;
  var MAX_INPUT = 400;

  /* The token as the server reads it (entry/tokens.py, split): spaces, dashes, underscores and dots ignored. */
  function compact(text) {
    return String(text || "").replace(/[\s\-_.]+/g, "").toUpperCase();
  }

  function base32(text) {
    var out = new Uint8Array(Math.floor(text.length * 5 / 8));
    var bits = 0, value = 0, index = 0;
    for (var i = 0; i < text.length; i++) {
      var digit = ALPHABET.indexOf(text[i]);
      if (digit < 0) { return null; }
      value = ((value << 5) | digit) & 0xffff;
      bits += 5;
      if (bits >= 8) {
        out[index++] = (value >>> (bits - 8)) & 0xff;
        bits -= 8;
      }
    }
    return out;
  }

  function base64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  var verifier = null; // {key: the package's public key text, verify(signature, message) → Promise<boolean>}

  /* Imported while the page is online (the package's arrival warms the verifier), so it is there offline. */
  function nobleVerifier(publicKey) {
    return import(cfg.ed25519Url).then(function (ed) {
      return function (signature, message) {
        return ed.verifyAsync(signature, message, publicKey, { zip215: false }).catch(function () { return false; });
      };
    }, function () {
      verifier = null; // try again next time
      throw new Error(L.no_verifier);
    });
  }

  /* WebCrypto's Ed25519 where the browser has it, otherwise the vendored library (loaded only then). */
  function getVerifier() {
    if (verifier && verifier.key === pkg.public_key) { return verifier.ready; }
    var publicKey = base64url(pkg.public_key);
    var subtle = window.crypto && window.crypto.subtle;
    var ready = (subtle
      ? subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"])
      : Promise.reject(new Error("no WebCrypto"))
    ).then(function (key) {
      root.dataset.verifier = "webcrypto";
      return function (signature, message) {
        return subtle.verify({ name: "Ed25519" }, key, signature, message);
      };
    }, function () {
      if (!subtle) { throw new Error(L.no_verifier); }
      root.dataset.verifier = "noble";
      return nobleVerifier(publicKey);
    });
    verifier = { key: pkg.public_key, ready: ready };
    return ready;
  }

  function isInside(id) {
    if (Object.prototype.hasOwnProperty.call(presence, id)) { return presence[id]; }
    var person = people.get(id);
    return Boolean(person && person.inside);
  }

  function setInside(id, inside) {
    presence[id] = inside;
    save(prefix + "presence", presence);
  }

  /* {admitted, reason, participant, person}: the server's decision (entry/services/gates.py, check), here. */
  function decideLocally(text, direction) {
    var refuse = function (reason, participant) {
      return { admitted: false, reason: reason, participant: participant || null };
    };
    if (String(text || "").length > MAX_INPUT) { return Promise.resolve(refuse("malformed")); }
    var code = compact(text);
    if (code.length !== TEXT_LENGTH || code.indexOf(PREFIX) !== 0) { return Promise.resolve(refuse("malformed")); }
    var raw = base32(code.slice(PREFIX.length));
    if (!raw || raw.length !== TOKEN_BYTES || raw[0] !== 1) { return Promise.resolve(refuse("malformed")); }
    var view = new DataView(raw.buffer);
    if (view.getUint32(1) !== pkg.event.id) { return Promise.resolve(refuse("wrong_event")); }
    var participantId = view.getUint32(5);
    var revision = view.getUint16(9);
    var message = raw.slice(0, CLAIM_BYTES);
    var signature = raw.slice(CLAIM_BYTES);
    return getVerifier().then(function (verify) {
      return verify(signature, message);
    }).then(function (genuine) {
      if (!genuine) { return refuse("bad_signature"); }
      var person = people.get(participantId);
      var result = { admitted: false, reason: "", participant: participantId, person: person || null };
      if (revoked.has(participantId + ":" + revision) || (person && person.revision !== revision)) {
        result.reason = "revoked";
      } else if (direction === "out") {
        result.admitted = true;
      } else if (!person) {
        result.reason = "wrong_zone";
      } else if (!person.allowed || (person.valid_until && Date.now() > Date.parse(person.valid_until))) {
        result.reason = "rule_not_met";
      } else if (isInside(participantId)) {
        result.reason = "already_inside";
      } else {
        result.admitted = true;
      }
      return result;
    });
  }

  function decideOffline(text, direction, clientId) {
    if (!pkg) {
      renderError(L.no_package);
      return Promise.resolve();
    }
    return decideLocally(text, direction).then(function (decision) {
      var person = decision.person;
      if (decision.admitted && decision.participant !== null) {
        setInside(decision.participant, direction === "in");
      }
      pending.push({
        id: clientId,
        token: (compact(text) || String(text || "")).slice(0, MAX_INPUT),
        zone: zoneCode,
        direction: direction,
        scanned_at: new Date().toISOString(),
        admitted: decision.admitted,
        reason: decision.reason,
        name: person ? person.name : "",
      });
      savePending();
      var shown = person ? {
        native: person.name, latin: person.latin, category: person.category, colour: person.colour,
      } : null;
      renderVerdict({
        admitted: decision.admitted,
        reason: decision.reason,
        detail: texts.reasons[decision.reason] || "",
        person: decision.reason === "malformed" || decision.reason === "bad_signature" ? null : shown,
        valid_until: person ? person.valid_until : null,
        to_check: person ? person.to_check : [],
      }, direction, L.offline_decision);
    }, function (error) {
      renderError((error && error.message) || L.no_verifier);
    });
  }

  /* --- a scan -------------------------------------------------------------------------------------------- */

  var busy = false;

  function direction() {
    var chosen = root.querySelector("input[name=direction]:checked");
    return chosen ? chosen.value : "in";
  }

  function check(text) {
    text = String(text || "").trim();
    if (!text || busy) { return Promise.resolve(); }
    busy = true;
    var way = direction();
    var clientId = randomId();
    render({ state: "checking", title: L.checking });
    var done = function () { busy = false; };
    if (!navigator.onLine) {
      return decideOffline(text, way, clientId).then(done, done);
    }
    return request(cfg.scanUrl, { token: text, direction: way, device: device, client_id: clientId }).then(
      function (answer) {
        if (answer.status !== 200 || !answer.data) {
          renderError(refusal(answer));
          return;
        }
        var verdict = answer.data;
        if (verdict.admitted && verdict.person) { setInside(verdict.person.id, way === "in"); }
        renderVerdict(verdict, way, verdict.duplicate ? L.duplicate : "");
        if (pending.length) { upload(); }
      },
      function (error) {
        if (error && error.network) { return decideOffline(text, way, clientId); }
        renderError(String(error));
      }
    ).then(done, done);
  }

  $("gate-manual").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = codeInput.value;
    codeInput.value = "";
    check(text);
  });

  $("gate-upload").addEventListener("click", function () { upload(); });

  /* --- the camera ---------------------------------------------------------------------------------------- */

  var camera = { stream: null, timer: null, detect: null, last: "", lastAt: 0 };
  var toggle = $("gate-camera-toggle");
  var video = $("gate-video");

  function cameraStatus(text) { $("gate-camera-status").textContent = text || ""; }

  function loadJsQR() {
    if (window.jsQR) { return Promise.resolve(window.jsQR); }
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = cfg.jsqrUrl;
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  /* A function reading the video's current frame: BarcodeDetector where the browser has it, jsQR otherwise. */
  function detector() {
    var native = "BarcodeDetector" in window
      ? window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
      }, function () { return null; })
      : Promise.resolve(null);
    return native.then(function (barcode) {
      if (barcode) {
        return function () {
          return barcode.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : ""; });
        };
      }
      return loadJsQR().then(function (jsQR) {
        var canvas = document.createElement("canvas");
        var context = canvas.getContext("2d", { willReadFrequently: true });
        return function () {
          var width = video.videoWidth, height = video.videoHeight;
          if (!width || !height) { return Promise.resolve(""); }
          var scale = Math.min(1, 800 / Math.max(width, height));
          canvas.width = Math.round(width * scale);
          canvas.height = Math.round(height * scale);
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          var image = context.getImageData(0, 0, canvas.width, canvas.height);
          var code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
          return Promise.resolve(code ? code.data : "");
        };
      });
    });
  }

  function stopCamera() {
    if (camera.timer) { clearInterval(camera.timer); }
    if (camera.stream) { camera.stream.getTracks().forEach(function (track) { track.stop(); }); }
    camera.stream = null;
    camera.timer = null;
    video.hidden = true;
    toggle.textContent = L.camera_start;
    toggle.setAttribute("aria-pressed", "false");
    cameraStatus("");
  }

  function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraStatus(fill(L.camera_unavailable, { detail: "getUserMedia" }));
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      camera.stream = stream;
      video.srcObject = stream;
      video.hidden = false;
      toggle.textContent = L.camera_stop;
      toggle.setAttribute("aria-pressed", "true");
      cameraStatus(L.camera_on);
      return video.play().then(detector).then(function (read) {
        var reading = false;
        camera.timer = setInterval(function () {
          if (reading || busy || !camera.stream) { return; }
          reading = true;
          read().then(function (text) {
            reading = false;
            var now = Date.now();
            if (!text || (text === camera.last && now - camera.lastAt < 4000)) { return; }
            camera.last = text;
            camera.lastAt = now;
            check(text);
          }, function () { reading = false; });
        }, 200);
      });
    }).catch(function (error) {
      stopCamera();
      cameraStatus(fill(L.camera_unavailable, { detail: (error && (error.message || error.name)) || "" }));
    });
  }

  toggle.addEventListener("click", function () {
    if (camera.stream) { stopCamera(); } else { startCamera(); }
  });

  /* --- start --------------------------------------------------------------------------------------------- */

  window.addEventListener("online", function () {
    networkDown = false;
    renderNetwork();
    upload().then(refreshPackage);
  });
  window.addEventListener("offline", renderNetwork);
  setInterval(function () {
    if (navigator.onLine && pending.length) { upload(); }
  }, RETRY_EVERY);
  setInterval(function () {
    if (navigator.onLine) { refreshPackage(); }
  }, PACKAGE_EVERY);

  var stored = load(prefix + "package", null);
  if (stored && stored.public_key && stored.event && stored.event.id === eventId) { usePackage(stored); }
  renderNetwork();
  renderPending();
  renderPackage();
  root.dataset.ready = "true";
  refreshPackage().then(function () {
    root.dataset.packageLoaded = pkg ? "true" : "false";
    return upload();
  });
})();
