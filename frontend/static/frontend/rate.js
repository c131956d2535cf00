// The rate page with JavaScript (docs/crowdworker-pages.md); the server checks everything again.
// * The cascade: a question with data-asked-if is asked only when the question it names got that answer; a
//   question the cascade hides loses its answer (it is not revived when the first answer changes back).
// * Keys: 1..n answer the question in focus (then focus moves to the next open question), Enter submits.
(function () {
  "use strict";
  var form = document.getElementById("rate-form");
  var context = document.getElementById("rate-context");
  if (context) context.scrollTop = context.scrollHeight; // the turns just before the rated reply
  if (!form) return;
  var message = document.getElementById("key-message");
  var current = null;

  function questions() { return Array.prototype.slice.call(form.querySelectorAll("fieldset.question")); }
  function open() { return questions().filter(function (fs) { return !fs.hidden; }); }
  function value(name) { var c = form.querySelector('input[name="' + name + '"]:checked'); return c ? c.value : null; }

  function update() {
    var asked = {};
    questions().forEach(function (fs) {
      var key = fs.dataset.question, dep = fs.dataset.askedIf;
      var on = !dep || (asked[dep] && value(dep) === fs.dataset.askedValue);
      asked[key] = on;
      if (!on) fs.querySelectorAll("input:checked").forEach(function (inp) { inp.checked = false; });
      fs.hidden = !on; fs.disabled = !on;
      fs.querySelectorAll("input").forEach(function (inp) { inp.required = on; });
    });
    if (current && current.hidden) setCurrent(null);
  }

  function setCurrent(fs) {
    questions().forEach(function (q) { q.classList.toggle("current", q === fs); });
    current = fs;
  }

  function firstUnanswered() {
    var list = open();
    for (var i = 0; i < list.length; i++) if (!list[i].querySelector("input:checked")) return list[i];
    return list[list.length - 1] || null;
  }

  function focusQuestion(fs) {
    if (!fs) return;
    var target = fs.querySelector("input:checked") || fs.querySelector("input");
    setCurrent(fs);
    if (target) target.focus();
  }

  form.addEventListener("change", update);
  form.addEventListener("focusin", function (e) {
    var fs = e.target.closest && e.target.closest("fieldset.question");
    if (fs) setCurrent(fs);
  });

  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var t = e.target;
    if (t.matches && t.matches("textarea, select, input[type=text], input[type=search]")) return;
    if (/^[0-9]$/.test(e.key)) {
      var fs = current && !current.hidden ? current : firstUnanswered();
      if (!fs) return;
      e.preventDefault();
      var choices = fs.querySelectorAll("input[type=radio]");
      var n = parseInt(e.key, 10);
      if (n < 1 || n > choices.length) {
        message.textContent = document.getElementById("key-out-of-range").innerHTML.replace("%(n)s", choices.length);
        setCurrent(fs);
        return;
      }
      message.textContent = "";
      choices[n - 1].checked = true;
      update();
      var list = open(), next = list[list.indexOf(fs) + 1];
      focusQuestion(next || fs);
      if (!next) choices[n - 1].focus();
      return;
    }
    if (e.key === "Enter" && (form.contains(t) || t === document.body) && !(t.matches && t.matches("button, a, summary"))) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  update();
  if (!form.querySelector("input:focus")) setCurrent(firstUnanswered());
})();
