// The chat page with JavaScript (docs/crowdworker-pages.md); without it the plain forms post and redirect.
// Enter sends, Shift+Enter makes a new line; while the model answers, the worker's message shows at once and
// "the model is typing" is shown; the new reply is read out by the live region; a failed send keeps the box.
(function () {
  "use strict";
  function box() { return document.querySelector("#send textarea"); }

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || !t.matches || !t.matches("#send textarea")) return;
    e.preventDefault();
    if (t.value.trim() && !t.form.querySelector("button[disabled]")) t.form.requestSubmit();
  });

  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.detail.elt;
    if (!form || form.id !== "send") return;
    var text = box() ? box().value : "";
    var list = document.getElementById("dialog");
    if (list && text.trim()) {
      var li = document.createElement("li");
      li.className = "turn human pending";
      var who = document.createElement("span");
      who.className = "who-said";
      who.textContent = (document.documentElement.dataset.you || "You") + ":";
      li.appendChild(who);
      li.appendChild(document.createTextNode(" " + text.trim()));
      list.appendChild(li);
      li.scrollIntoView({ block: "nearest" });
    }
    document.getElementById("typing").setAttribute("aria-hidden", "false");
  });

  function requestDone() {
    document.getElementById("typing").setAttribute("aria-hidden", "true");
    document.querySelectorAll("#dialog .pending").forEach(function (li) { li.remove(); });
  }

  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "chat-body") return;
    requestDone();
    var models = document.querySelectorAll("#dialog .turn.model .said");
    var error = document.querySelector("#send-error, #reply-missing");
    var live = document.getElementById("chat-live");
    if (error) live.textContent = error.textContent;
    else if (models.length) live.textContent = (document.documentElement.dataset.model || "Model") + ": " + models[models.length - 1].textContent;
    var t = box();
    if (t) { t.focus(); t.setSelectionRange(t.value.length, t.value.length); }
    var last = document.querySelector("#dialog li:last-child");
    if (last) last.scrollIntoView({ block: "nearest" });
  });

  // The server could not be reached, or answered with a page that is not the chat (e.g. a 503): the message
  // stays in the box, and a line says what happened.
  function failed() {
    requestDone();
    var body = document.getElementById("chat-body");
    var note = document.getElementById("send-failed");
    if (!note) {
      note = document.createElement("p");
      note.id = "send-failed";
      note.className = "error";
      note.setAttribute("role", "alert");
      body.insertBefore(note, document.getElementById("send"));
    }
    note.textContent = document.documentElement.dataset.sendFailed || "Not sent: no reply from the site. Your message is still in the box; try again.";
  }
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:responseError", failed);
})();
