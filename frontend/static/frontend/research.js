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
