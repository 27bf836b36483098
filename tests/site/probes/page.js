// Maths, images, headings and copy buttons of the loaded page (tests/site/test_pages.py).
() => {
  const main = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  // maths: every .math element rendered by MathJax, no TeX error, no raw TeX in the prose
  const maths = [...document.querySelectorAll(".math")];
  const unrendered = maths.filter(e => !e.querySelector("mjx-container")).map(e => e.textContent.trim().slice(0, 80));
  const errors = [...document.querySelectorAll("mjx-merror, [data-mjx-error]")]
      .map(e => e.getAttribute("data-mjx-error") || e.textContent.trim().slice(0, 80));
  const rawTex = /\\\(|\\\)|\\\[|\\\]|\$\$|\\(?:frac|times|cdot|text|mathrm|mathbf|sum|left|right|begin|end|lfloor|rfloor|ell)\b|\$[^\s$][^$]*\$/;
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {acceptNode(n) {
    return n.parentElement.closest("pre, code, kbd, script, style, textarea, mjx-container, .highlight")
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT; }});
  const raw = [];
  for (let n; (n = walker.nextNode());) if (rawTex.test(n.nodeValue)) raw.push(n.nodeValue.trim().slice(0, 100));
  // images: alt text that says something (not empty, not a file name)
  const images = [...document.images].map(i => ({alt: i.getAttribute("alt"), src: i.getAttribute("src").slice(0, 60),
                                                 hidden: i.offsetParent === null}));
  // headings of the content, in order
  const headings = [...main.querySelectorAll("h1, h2, h3, h4, h5, h6")]
      .map(h => [Number(h.tagName[1]), h.textContent.replace(/#$/, "").trim()]);
  // copy buttons: one on every code cell, none on what a cell printed
  const cells = document.querySelectorAll("div.cell_input div.highlight pre").length;
  const cellButtons = document.querySelectorAll("div.cell_input button.copybtn").length;
  const outputButtons = document.querySelectorAll("div.cell_output button.copybtn").length;
  const codeBlocks = document.querySelectorAll("div.highlight pre").length - document.querySelectorAll("div.output div.highlight pre").length;
  const allButtons = document.querySelectorAll("div.highlight button.copybtn").length - outputButtons;
  return {maths: maths.length, unrendered, errors, raw, images, headings, cells, cellButtons,
          outputButtons, codeBlocks, allButtons,
          theme: document.documentElement.dataset.theme, mode: document.documentElement.dataset.mode};
}
