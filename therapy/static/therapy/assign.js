// The assign page: show only the repeat details the chosen repeat uses. Without this script
// every detail shows, and the server ignores those the choice does not use.
document.addEventListener("DOMContentLoaded", () => {
  const repeat = document.getElementById("id_recurrence");
  if (!repeat) return;
  const details = document.querySelectorAll(".repeat-detail[data-used-by]");
  const show = () => {
    for (const detail of details) {
      const used = detail.dataset.usedBy.split(" ").includes(repeat.value);
      detail.hidden = !used;
      // An unused detail is not sent either, so nothing hidden can hold the form up.
      for (const input of detail.querySelectorAll("input, select, textarea")) {
        input.disabled = !used;
      }
    }
  };
  repeat.addEventListener("change", show);
  show();
});
