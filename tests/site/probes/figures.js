// Contrast of every convbook figure against the page behind it, in the current theme.
// "Ink" = the pixels that differ between the light and the dark variant (text,
// axes, ticks, legend frames: what the theme recolours); data colours are the
// same in both variants and are reported separately.
async () => {
  const lin = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const ratio = (a, b) => { const x = lum(a) + 0.05, y = lum(b) + 0.05; return Math.max(x, y) / Math.min(x, y); };
  const rgba = s => { const m = s.match(/[\d.]+/g) || []; const v = m.map(Number);
                      return v.length === 3 ? [...v, 1] : v.length === 4 ? v : [0, 0, 0, 0]; };
  const backgroundOf = el => {   // composite the backgrounds from the element up to the root
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let out = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a)];
    return out;
  };
  const pixels = async img => {
    if (!img.complete || !img.naturalWidth) await img.decode();
    const c = document.createElement("canvas");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const ctx = c.getContext("2d"); ctx.drawImage(img, 0, 0);
    return {w: c.width, h: c.height, d: ctx.getImageData(0, 0, c.width, c.height).data};
  };
  const median = v => { if (!v.length) return null; const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  const pct = (v, p) => { if (!v.length) return null; const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
  const out = [];
  for (const fig of document.querySelectorAll("div.convbook-figure")) {
    const imgs = [...fig.querySelectorAll("img")];
    const shown = imgs.filter(i => getComputedStyle(i).display !== "none" && i.getBoundingClientRect().width > 0);
    const rec = {alt: (imgs[0] && imgs[0].alt || "").slice(0, 60), images: imgs.length,
                 shown: shown.map(i => i.className)};
    out.push(rec);
    if (imgs.length !== 2 || shown.length !== 1) continue;
    const visible = shown[0], other = imgs.find(i => i !== visible);
    const bg = backgroundOf(fig);
    rec.background = bg.map(Math.round);
    const A = await pixels(visible), B = await pixels(other);
    const over = (d, i) => { const a = d[i + 3] / 255; return [0, 1, 2].map(k => d[i + k] * a + bg[k] * (1 - a)); };
    const ink = [], wrongInk = [], data = [];
    const sameSize = A.w === B.w && A.h === B.h;
    for (let i = 0; i < A.d.length; i += 4) {
      if (A.d[i + 3] < 200) continue;            // solid pixels only (no antialiased edges)
      const differs = sameSize && (Math.abs(A.d[i] - B.d[i]) + Math.abs(A.d[i + 1] - B.d[i + 1]) + Math.abs(A.d[i + 2] - B.d[i + 2]) > 60);
      if (differs) { ink.push(ratio(over(A.d, i), bg)); if (B.d[i + 3] >= 200) wrongInk.push(ratio(over(B.d, i), bg)); }
      else data.push(ratio(over(A.d, i), bg));
    }
    Object.assign(rec, {sameSize, inkPixels: ink.length, inkContrast: median(ink), otherVariantInkContrast: median(wrongInk),
                        dataPixels: data.length, dataContrastP90: pct(data, 0.9)});
  }
  return out;
}
