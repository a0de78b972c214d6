/* The live room's player (live/templates/live/player.html): an HLS stream (hls.js, or the browser's own
   HLS), an MP4, or a pre-recorded video broadcast at a set instant.

   A broadcast follows the SERVER's clock: the player measures its offset to /clock/ over a few round
   trips (the one with the shortest round trip wins), then every viewer stands at the same second, computed
   from the scheduled start. Joining late, reloading, pausing, seeking or a wrong computer clock all end
   at the live second; afterwards the video becomes a replay with normal controls, or the broadcast ends.
   The audio language (interpretation channels: the stream's audio renditions) and the captions are
   chosen in the player; the language is remembered in this browser, the page's language is the default. */
(function () {
  "use strict";

  var AUDIO_KEY = "summit.live.audio";
  var TOLERANCE = 2; // seconds a broadcast may drift from the live second before it is put back
  var RETRY_MS = 15000;
  var ALIASES = {
    eng: "en", chi: "zh", zho: "zh", cmn: "zh", fre: "fr", fra: "fr", ger: "de", deu: "de", rus: "ru",
    spa: "es", jpn: "ja", kor: "ko", ara: "ar", por: "pt", ita: "it",
  };

  function baseLanguage(code) {
    var base = String(code || "").toLowerCase().split(/[-_]/)[0];
    return ALIASES[base] || base;
  }

  function languageName(code, pageLang) {
    var base = baseLanguage(code);
    if (!base) return "";
    try {
      return new Intl.DisplayNames([pageLang || "en"], { type: "language" }).of(base) || base;
    } catch (e) {
      return base;
    }
  }

  function stored() {
    try { return window.localStorage.getItem(AUDIO_KEY) || ""; } catch (e) { return ""; }
  }

  function store(value) {
    try { window.localStorage.setItem(AUDIO_KEY, value); } catch (e) { /* private mode */ }
  }

  function twoDigits(n) { return (n < 10 ? "0" : "") + n; }

  function duration(seconds) {
    seconds = Math.max(0, Math.ceil(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor((seconds % 86400) / 3600);
    var m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var clock = h + ":" + twoDigits(m) + ":" + twoDigits(s);
    return d ? d + " × 24 h + " + clock : clock;
  }

  /* The server clock: offset (ms) to add to Date.now(), from the round trip with the smallest delay. */
  function measureOffset(url, rounds) {
    var best = null;
    function one(i) {
      if (i >= rounds) return Promise.resolve(best ? best.offset : 0);
      var sent = Date.now();
      var t0 = window.performance ? performance.now() : sent;
      return fetch(url, { cache: "no-store", credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          var t1 = window.performance ? performance.now() : Date.now();
          var rtt = t1 - t0;
          var offset = body.now - (sent + rtt / 2);
          if (!best || rtt < best.rtt) best = { rtt: rtt, offset: offset };
        })
        .catch(function () { /* try the next round */ })
        .then(function () { return one(i + 1); });
    }
    return one(0);
  }

  function Player(root) {
    this.root = root;
    this.video = root.querySelector("[data-video]");
    this.frame = root.querySelector("[data-frame]");
    this.status = root.querySelector("[data-status]");
    this.countdown = root.querySelector("[data-countdown]");
    this.audio = root.querySelector("[data-audio]");
    this.audioChoice = root.querySelector("[data-audio-choice]");
    this.subtitles = root.querySelector("[data-subtitles]");
    this.subtitleChoice = root.querySelector("[data-subtitle-choice]");
    this.playButton = root.querySelector("[data-play]");
    this.unmuteButton = root.querySelector("[data-unmute]");
    this.kind = root.dataset.kind;
    this.type = root.dataset.type;
    this.src = root.dataset.src;
    this.start = root.dataset.start ? Number(root.dataset.start) : null;
    this.seconds = root.dataset.seconds ? Number(root.dataset.seconds) : null;
    this.replay = root.dataset.replay === "true";
    this.pageLang = root.dataset.lang || document.documentElement.lang || "en";
    this.offset = 0;
    this.mode = "waiting"; // waiting / live / replay / ended / stream
    this.hls = null;
    this.loaded = false;
    this.correcting = false;
    root.summitPlayer = this;
  }

  Player.prototype.msg = function (name, values) {
    var text = this.root.getAttribute("data-msg-" + name) || "";
    Object.keys(values || {}).forEach(function (key) { text = text.replace("{" + key + "}", values[key]); });
    return text;
  };

  Player.prototype.say = function (text) {
    if (this.status && this.status.textContent !== text) this.status.textContent = text;
  };

  Player.prototype.now = function () { return Date.now() + this.offset; };

  /* The broadcast's live second (may be negative before the start). */
  Player.prototype.livePosition = function () { return (this.now() - this.start) / 1000; };

  Player.prototype.length = function () {
    if (this.seconds) return this.seconds;
    var d = this.video && this.video.duration;
    return d && isFinite(d) ? d : null;
  };

  Player.prototype.run = function () {
    var self = this;
    if (!this.video) return;
    this.bindControls();
    if (this.kind === "broadcast") {
      measureOffset(this.root.dataset.clock, 5).then(function (offset) {
        self.offset = offset;
        self.tick();
        self.timer = window.setInterval(function () { self.tick(); }, 500);
        // The offset is measured again now and then (a computer's clock may be changed meanwhile).
        window.setInterval(function () {
          measureOffset(self.root.dataset.clock, 3).then(function (o) { self.offset = o; });
        }, 300000);
      });
    } else {
      this.mode = "stream";
      this.load();
    }
  };

  /* Every half second during a broadcast: the countdown, the start, the live second, the end. */
  Player.prototype.tick = function () {
    var position = this.livePosition();
    if (position < 0) {
      this.countdown.hidden = false;
      this.countdown.textContent = this.msg("countdown", { time: duration(-position) });
      this.say("");
      return;
    }
    this.countdown.hidden = true;
    var length = this.length();
    if (length !== null && position >= length) {
      this.finish();
      return;
    }
    if (this.mode === "waiting") {
      this.mode = "live";
      this.say(this.msg("live"));
      this.load();
      return;
    }
    if (this.mode === "live" && this.loaded && !this.video.paused && !this.video.seeking) {
      if (Math.abs(this.video.currentTime - position) > TOLERANCE) this.goLive();
    }
  };

  Player.prototype.finish = function () {
    if (this.mode === "ended" || this.mode === "replay") return;
    if (this.replay) {
      this.mode = "replay";
      this.video.controls = true;
      this.say(this.msg("replay"));
      if (!this.loaded) this.load();
    } else {
      this.mode = "ended";
      if (this.hls) { this.hls.destroy(); this.hls = null; }
      this.video.pause();
      this.video.removeAttribute("src");
      this.frame.hidden = true;
      this.root.querySelector(".player-tools").hidden = true;
      this.say(this.msg("ended"));
    }
    if (this.timer) { window.clearInterval(this.timer); this.timer = null; }
  };

  Player.prototype.goLive = function () {
    var position = this.livePosition();
    if (position < 0) return;
    this.correcting = true;
    this.video.currentTime = position;
  };

  Player.prototype.bindControls = function () {
    var self = this, video = this.video;
    video.addEventListener("seeking", function () {
      if (self.mode !== "live") return;
      if (self.correcting) { self.correcting = false; return; }
      if (Math.abs(video.currentTime - self.livePosition()) > TOLERANCE) {
        self.goLive();
        self.say(self.msg("snapped"));
      }
    });
    video.addEventListener("play", function () {
      // Paused for a while: resume at the live second, not where it stopped.
      if (self.mode === "live" && Math.abs(video.currentTime - self.livePosition()) > TOLERANCE) self.goLive();
    });
    video.addEventListener("ratechange", function () {
      if (self.mode === "live" && video.playbackRate !== 1) video.playbackRate = 1;
    });
    video.addEventListener("loadedmetadata", function () {
      self.loaded = true;
      if (self.mode === "live") self.goLive();
      self.nativeTracks();
    });
    video.addEventListener("error", function () {
      if (!self.hls) self.failed();
    });
    this.playButton.addEventListener("click", function () {
      self.playButton.hidden = true;
      if (self.mode === "live") self.goLive();
      self.play();
    });
    this.unmuteButton.addEventListener("click", function () {
      video.muted = false;
      self.unmuteButton.hidden = true;
      self.say(self.mode === "live" ? self.msg("live") : "");
    });
    this.audio.addEventListener("change", function () { self.chooseAudio(Number(self.audio.value), true); });
    this.subtitles.addEventListener("change", function () { self.chooseSubtitles(Number(self.subtitles.value)); });
  };

  Player.prototype.load = function () {
    var self = this, video = this.video;
    this.frame.hidden = false;
    video.controls = true;
    video.preload = "auto";
    if (this.type === "hls" && window.Hls && window.Hls.isSupported()) {
      var Hls = window.Hls;
      var config = { enableWorker: false, enableWebVTT: true, renderTextTracksNatively: true };
      if (this.mode === "live") config.startPosition = Math.max(0, this.livePosition());
      var hls = new Hls(config);
      this.hls = hls;
      hls.on(Hls.Events.MANIFEST_PARSED, function () {
        self.fillAudio();
        self.fillSubtitles();
        self.play();
      });
      hls.on(Hls.Events.AUDIO_TRACKS_UPDATED, function () { self.fillAudio(); });
      hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, function () { self.fillSubtitles(); });
      // hls.js may drop a caption choice made before the media is ready: make it again once it plays.
      hls.on(Hls.Events.FRAG_BUFFERED, function () {
        if (self.wantedSubtitle !== undefined && hls.subtitleTrack !== self.wantedSubtitle) {
          self.chooseSubtitles(self.wantedSubtitle);
        }
      });
      hls.on(Hls.Events.ERROR, function (event, data) {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !self.recovered) {
          self.recovered = true;
          hls.recoverMediaError();
          return;
        }
        self.failed();
      });
      hls.loadSource(this.src);
      hls.attachMedia(video);
    } else if (this.type === "hls" && video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = this.src;
      this.play();
    } else if (this.type === "mp4") {
      video.src = this.src;
      this.play();
    } else {
      this.frame.hidden = true;
      this.say(this.msg("unsupported"));
    }
  };

  Player.prototype.failed = function () {
    var self = this;
    if (this.hls) { this.hls.destroy(); this.hls = null; }
    this.loaded = false;
    this.frame.hidden = true;
    var early = this.kind !== "broadcast" && this.start && this.now() < this.start;
    this.say(this.msg(early ? "stream-soon" : "failed"));
    window.clearTimeout(this.retry);
    this.retry = window.setTimeout(function () {
      if (self.mode === "ended") return;
      self.recovered = false;
      self.load();
    }, RETRY_MS);
  };

  Player.prototype.play = function () {
    var self = this, video = this.video;
    var attempt = video.play();
    if (!attempt || !attempt.catch) return;
    attempt.catch(function (error) {
      if (error && error.name === "NotAllowedError" && !video.muted) {
        // Browsers start a video by itself only without sound: play muted and offer the sound.
        video.muted = true;
        self.unmuteButton.hidden = false;
        self.say(self.msg("muted"));
        video.play().catch(function () {
          self.playButton.hidden = false;
          self.say(self.msg("blocked"));
        });
      } else if (error && error.name === "NotAllowedError") {
        self.playButton.hidden = false;
        self.say(self.msg("blocked"));
      }
    });
  };

  /* --- audio languages (interpretation) and captions ------------------------------------------------- */

  Player.prototype.audioTracks = function () {
    if (this.hls) {
      return this.hls.audioTracks.map(function (t, i) { return { index: i, lang: t.lang || "", name: t.name || "" }; });
    }
    var list = this.video.audioTracks;
    var tracks = [];
    for (var i = 0; list && i < list.length; i++) {
      tracks.push({ index: i, lang: list[i].language || "", name: list[i].label || "" });
    }
    return tracks;
  };

  Player.prototype.fillAudio = function () {
    var self = this, tracks = this.audioTracks();
    if (tracks.length < 2) { this.audioChoice.hidden = true; return; }
    var names = {};
    this.audio.textContent = "";
    tracks.forEach(function (t) {
      var option = document.createElement("option");
      option.value = String(t.index);
      var label = languageName(t.lang, self.pageLang) ||
        t.name || self.root.dataset.labelAudioTrack.replace("{n}", String(t.index + 1));
      if (names[label]) label += " (" + (t.name || t.index + 1) + ")";
      names[label] = true;
      option.textContent = label;
      self.audio.appendChild(option);
    });
    this.audioChoice.hidden = false;
    // The remembered language, else the page's language, else the stream's default.
    var wanted = [stored(), baseLanguage(this.pageLang)];
    var chosen = null;
    for (var w = 0; w < wanted.length && chosen === null; w++) {
      for (var i = 0; i < tracks.length; i++) {
        if (wanted[w] && baseLanguage(tracks[i].lang) === wanted[w]) { chosen = tracks[i].index; break; }
      }
    }
    if (chosen === null) chosen = this.hls ? Math.max(0, this.hls.audioTrack) : 0;
    this.chooseAudio(chosen, false);
  };

  Player.prototype.chooseAudio = function (index, remember) {
    var tracks = this.audioTracks();
    if (!tracks[index]) return;
    if (this.hls) {
      if (this.hls.audioTrack !== index) this.hls.audioTrack = index;
    } else if (this.video.audioTracks) {
      for (var i = 0; i < this.video.audioTracks.length; i++) this.video.audioTracks[i].enabled = i === index;
    }
    this.audio.value = String(index);
    if (remember && tracks[index].lang) store(baseLanguage(tracks[index].lang));
  };

  Player.prototype.subtitleTracks = function () {
    if (this.hls) {
      return this.hls.subtitleTracks.map(function (t, i) { return { index: i, lang: t.lang || "", name: t.name || "" }; });
    }
    var list = this.video.textTracks, tracks = [];
    for (var i = 0; list && i < list.length; i++) {
      if (list[i].kind === "subtitles" || list[i].kind === "captions") {
        tracks.push({ index: i, lang: list[i].language || "", name: list[i].label || "" });
      }
    }
    return tracks;
  };

  Player.prototype.fillSubtitles = function () {
    var self = this, tracks = this.subtitleTracks();
    if (!tracks.length) { this.subtitleChoice.hidden = true; return; }
    var off = this.subtitles.options[0];
    this.subtitles.textContent = "";
    this.subtitles.appendChild(off);
    tracks.forEach(function (t) {
      var option = document.createElement("option");
      option.value = String(t.index);
      option.textContent = languageName(t.lang, self.pageLang) || t.name;
      self.subtitles.appendChild(option);
    });
    this.subtitleChoice.hidden = false;
    // Captions in the page's language are shown when there are some; the viewer may turn them off.
    var preferred = -1;
    tracks.forEach(function (t) { if (preferred < 0 && baseLanguage(t.lang) === baseLanguage(self.pageLang)) preferred = t.index; });
    this.chooseSubtitles(preferred);
  };

  Player.prototype.chooseSubtitles = function (index) {
    this.wantedSubtitle = index;
    if (this.hls) {
      this.hls.subtitleTrack = index;
      this.hls.subtitleDisplay = index >= 0;
    } else if (this.video.textTracks) {
      for (var i = 0; i < this.video.textTracks.length; i++) {
        this.video.textTracks[i].mode = i === index ? "showing" : "disabled";
      }
    }
    this.subtitles.value = String(index);
  };

  Player.prototype.nativeTracks = function () {
    if (this.hls) return;
    this.fillAudio();
    this.fillSubtitles();
  };

  function start() {
    document.querySelectorAll("[data-player]").forEach(function (root) {
      if (root.querySelector("[data-video]")) new Player(root).run();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
