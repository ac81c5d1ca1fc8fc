/* StreamRec: progressive enhancement. Every form works without this file; with it, ratings,
   watchlist and "not interested" are saved without a page reload. */
(function () {
  "use strict";

  // A platform's colour comes from admin: set as a CSS variable from its data attribute, since the
  // Content-Security-Policy allows no style attributes in the markup.
  document.querySelectorAll("[data-platform-colour]").forEach(function (el) {
    el.style.setProperty("--platform", el.getAttribute("data-platform-colour"));
  });

  function toast(text) {
    var box = document.querySelector("[data-toast]");
    if (!box || !text) return;
    box.textContent = text;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 3500);
  }

  function post(form, url, extra) {
    var data = new FormData(form);
    if (extra) Object.keys(extra).forEach(function (k) { data.set(k, extra[k]); });
    // form.getAttribute: an input named "action" shadows form.action
    return fetch(url || form.getAttribute("action"), {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false }; }).then(function (payload) {
        payload.status = response.status;
        if (!response.ok) payload.ok = false;
        return payload;
      });
    });
  }

  /* Half-star widgets ---------------------------------------------------------------------- */
  function setStars(form, score) {
    form.querySelectorAll('input[name="score"]').forEach(function (input) {
      input.checked = score !== null && parseFloat(input.value) === score;
    });
    var value = form.querySelector("[data-stars-value]");
    if (value) value.textContent = score === null ? "Not rated" : score.toFixed(1) + " ★";
    var clear = form.querySelector("[data-stars-clear]");
    if (clear) clear.hidden = score === null;
    form.dataset.score = score === null ? "" : String(score);
  }

  function afterRating(form, payload) {
    var status = form.querySelector("[data-stars-status]");
    if (status) status.textContent = payload.ok ? (payload.score === null ? "Rating cleared" : "Saved: " + payload.score.toFixed(1) + " stars") : (payload.message || "Could not save");
    form.classList.remove("saving");
    form.classList.toggle("saved", !!payload.ok);
    if (!payload.ok) { toast(payload.message || "Could not save your rating. Try again."); return; }
    // A title page: the user's own score replaces the prediction at once (no reload).
    var box = form.closest(".rate-box");
    if (box) {
      var line = box.querySelector("[data-rated-line]"), mine = box.querySelector("[data-my-score]");
      if (mine && payload.score !== null) mine.textContent = payload.score.toFixed(1) + " ★";
      if (line) line.hidden = payload.score === null;
      var predicted = box.querySelector("[data-predicted-line]");
      if (predicted) predicted.remove();
    }
    document.dispatchEvent(new CustomEvent("streamrec:rated", { detail: payload }));
  }

  document.querySelectorAll("form[data-stars]").forEach(function (form) {
    var checked = form.querySelector('input[name="score"]:checked');
    form.dataset.score = checked ? checked.value : "";
    var timer = null;
    form.addEventListener("change", function (event) {
      if (event.target.name !== "score") return;
      var score = parseFloat(event.target.value);
      setStars(form, score);
      clearTimeout(timer);
      // Arrow keys walk through the stars: save where the user stops.
      timer = setTimeout(function () {
        form.classList.add("saving");
        post(form).then(function (payload) { afterRating(form, payload); });
      }, 350);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var submitter = event.submitter;
      if (submitter && submitter.hasAttribute("data-stars-clear")) {
        clearTimeout(timer);
        setStars(form, null);
        post(form, form.dataset.deleteUrl).then(function (payload) { payload.score = null; afterRating(form, payload); });
      } else if (form.querySelector('input[name="score"]:checked')) {
        post(form).then(function (payload) { afterRating(form, payload); });
      }
    });
  });

  /* Watchlist and "not interested" ---------------------------------------------------------- */
  function removeCard(form) {
    var item = form.closest("[data-title-id]");
    if (!item) return;
    var list = item.parentElement;
    item.classList.add("leaving");
    setTimeout(function () {
      item.remove();
      if (list && !list.querySelector("[data-title-id]")) {
        var empty = document.createElement("li");
        empty.className = "empty";
        empty.textContent = "Nothing left here.";
        list.appendChild(empty);
      }
    }, 200);
  }

  document.querySelectorAll("form[data-ajax]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var kind = form.dataset.ajax;
      var button = form.querySelector("button");
      if (button) button.disabled = true;
      post(form).then(function (payload) {
        if (button) button.disabled = false;
        toast(payload.message || (payload.ok ? "" : "Something went wrong. Try again."));
        if (!payload.ok) return;
        var action = form.querySelector('input[name="action"]');
        if (kind === "hide" || kind === "not-seen" || kind === "watchlist-remove" || kind === "undo-hide") {
          removeCard(form);
        } else if (kind === "watchlist") {
          var on = payload.on_watchlist;
          if (action) action.value = on ? "remove" : "add";
          button.textContent = on ? "✓ On your watchlist" : "+ Watchlist";
          button.setAttribute("aria-pressed", on ? "true" : "false");
        } else if (kind === "hide-toggle") {
          var hidden = payload.hidden;
          if (action) action.value = hidden ? "undo" : "hide";
          button.textContent = hidden ? "Hidden from recommendations · undo" : "Not interested";
          button.setAttribute("aria-pressed", hidden ? "true" : "false");
        }
      }).catch(function () {
        if (button) button.disabled = false;
        toast("Network error: nothing was changed.");
      });
    });
  });

  /* Onboarding progress ------------------------------------------------------------------ */
  var box = document.querySelector("[data-onboarding]");
  if (box) {
    document.addEventListener("streamrec:rated", function (event) {
      var count = event.detail.rating_count;
      if (typeof count !== "number") return;
      var goal = parseInt(box.dataset.goal, 10), min = parseInt(box.dataset.min, 10);
      box.querySelector("[data-rated]").textContent = count;
      var bar = box.querySelector(".progress");
      bar.setAttribute("aria-valuenow", String(count));
      bar.querySelector("span").style.width = Math.min(100, Math.round(100 * count / goal)) + "%";
      var done = box.querySelector("[data-onboarding-done]");
      var hint = box.querySelector("[data-onboarding-hint]");
      if (count >= min) {
        done.textContent = "Show my recommendations";
        done.classList.add("ready");
        hint.textContent = count >= goal ? "great, your picks are ready" : "your picks are personal now; " + (goal - count) + (goal - count === 1 ? " more makes" : " more make") + " them better";
      } else {
        hint.textContent = (goal - count) + " more to go";
      }
    });
  }

  /* Phone header: "Menu" shows and hides the links ----------------------------------------- */
  var navToggle = document.querySelector("[data-nav-toggle]");
  if (navToggle) {
    navToggle.addEventListener("click", function () {
      var open = navToggle.closest(".nav").classList.toggle("open");
      navToggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  /* Selects that apply at once ---------------------------------------------------------- */
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  window.streamrecReady = true;
})();
