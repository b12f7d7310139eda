// "Cite this story": the page may have been kept since an earlier day, so the date it was
// accessed is the reader's today, written as the page writes dates ("3 December 2026").
document.addEventListener("DOMContentLoaded", () => {
  const accessed = document.querySelector(".cite time.accessed");
  if (!accessed) return;
  const today = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  accessed.dateTime = `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
  accessed.textContent = new Intl.DateTimeFormat(document.documentElement.lang || "en-GB", {
    day: "numeric",
    month: "long",
    year: "numeric",
  }).format(today);
});
