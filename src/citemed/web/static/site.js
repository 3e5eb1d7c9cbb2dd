// Progressive enhancement only: every feature works without this file.
// Escape closes an open citation popover by moving focus back to its number.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const open = document.activeElement && document.activeElement.closest(".cite");
  if (open) {
    open.querySelector(".cite-num").focus();
    open.classList.add("dismissed");
  }
});
document.addEventListener("focusin", (event) => {
  for (const cite of document.querySelectorAll(".cite.dismissed")) {
    if (!cite.contains(event.target)) cite.classList.remove("dismissed");
  }
});
