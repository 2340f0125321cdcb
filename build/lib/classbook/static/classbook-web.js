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
  ].join(", ");
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(chrome).forEach((element) => element.remove());
    const text = htmlToText(page.documentElement.outerHTML, anchor);
    return typeof text === "string" ? text.replace(/\s+/g, " ").trim() : text;
  };
});
