// Workbench: "Cite" puts a result's URL into the rewrite, on the selected word ([word](url)) or at the end.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.cite");
  if (!button) return;
  const box = document.getElementById("rewrite");
  if (!box || box.disabled) return;
  const url = button.dataset.url;
  const [start, end] = [box.selectionStart, box.selectionEnd];
  const selected = box.value.slice(start, end).trim();
  if (selected) {
    box.value = box.value.slice(0, start) + "[" + selected + "](" + url + ")" + box.value.slice(end);
  } else {
    box.value = box.value.replace(/\s*$/, "") + " " + url;
  }
  box.dispatchEvent(new Event("input", { bubbles: true }));  // autosave
  box.focus();
});

// "Search is not available right now" (503) replaces the log like any refusal, instead of being dropped.
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  if (event.detail.xhr.status === 503 && target && (target.id === "log" || target.id === "check-log")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
