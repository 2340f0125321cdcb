/* Classbook web edition: search result snippets.
 *
 * Sphinx's search shows a snippet of each page found, cut from the page's main landmark
 * around the search word, or from its start when the word appears there only in another
 * form (the search matches word stems). In sphinx-book-theme the main landmark starts
 * with the article's header buttons (downloads, colour mode), so those labels showed up
 * as the snippet. Leave the page chrome (and the print-only contents) out, and fold the
 * markup's whitespace: snippets come from the article's own text.
 */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // `Search` exists on the search page only (Sphinx's searchtools.js).
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
  const chrome = [
    "#jb-print-docs-body",
    ".bd-header-article",
    ".bd-footer-article",
    ".prev-next-footer",
    ".classbook-downloads",
    ".classbook-page",
  ].join(", ");
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(chrome).forEach((element) => element.remove());
    const text = htmlToText(page.documentElement.outerHTML, anchor);
    return typeof text === "string" ? text.replace(/\s+/g, " ").trim() : text;
  };
});

/* Print page numbers (classbook/ext/pagemap.py writes window.classbookPages: page -> [address,
 * chapter]): "#page-12" on any page of the site goes to the chapter where page 12 begins,
 * and a search for "12", "p. 12" or "page 12" offers that page first. */
document.addEventListener("DOMContentLoaded", () => {
  const pages = window.classbookPages || {};
  const root = document.documentElement.dataset.content_root || "";
  const hash = /^#page-(\d+)$/.exec(window.location.hash);
  if (hash && !document.getElementById(`page-${hash[1]}`) && pages[hash[1]]) {
    window.location.replace(root + pages[hash[1]][0]);
    return;
  }
  const query = new URLSearchParams(window.location.search).get("q") || "";
  const asked = /^\s*(?:p\.?|page)?\s*(\d+)\s*$/i.exec(query);
  const results = document.getElementById("search-results");
  if (!asked || !results || !pages[asked[1]]) return;
  const [address, chapter] = pages[asked[1]];
  const found = document.createElement("p");
  found.className = "classbook-page-result";
  const link = document.createElement("a");
  link.href = root + address;
  link.textContent = `Page ${asked[1]} of the print edition`;
  found.append(link, chapter ? ` begins in “${chapter}”.` : ".");
  results.before(found);
});
