// A small line chart of training loss terms on a canvas, one line per term, each term scaled to its
// own range (the terms differ by orders of magnitude). lossChart(canvas).add(step, { name: value }).
// Redraws at most once per animation frame, so a burst of progress messages costs one paint.
const COLORS = ['#f0c419', '#4fc3f7', '#ef5350', '#9ccc65', '#ba68c8'];
const MAX_POINTS = 600;

export function lossChart(canvas) {
  const series = new Map();
  let pending = false;

  function draw() {
    pending = false;
    const ctx = canvas.getContext('2d');
    const { width: W, height: H } = canvas;
    ctx.fillStyle = '#17171a';
    ctx.fillRect(0, 0, W, H);
    let maxStep = 1;
    for (const s of series.values()) if (s.length) maxStep = Math.max(maxStep, s[s.length - 1][0]);
    let k = 0;
    ctx.font = '11px system-ui, sans-serif';
    for (const [name, points] of series) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const [, v] of points) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const span = hi - lo || 1;
      ctx.strokeStyle = COLORS[k % COLORS.length];
      ctx.beginPath();
      points.forEach(([step, v], i) => {
        const x = (step / maxStep) * (W - 4) + 2;
        const y = H - 14 - ((v - lo) / span) * (H - 28);
        if (i) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
      });
      ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle;
      const last = points.length ? points[points.length - 1][1] : NaN;
      ctx.fillText(`${name} ${last.toPrecision(4)}`, 4 + k * 130, 11);
      ++k;
    }
  }

  return {
    add(step, terms) {
      for (const [name, value] of Object.entries(terms)) {
        if (!series.has(name)) series.set(name, []);
        const s = series.get(name);
        s.push([step, value]);
        if (s.length > MAX_POINTS) s.splice(0, s.length - MAX_POINTS / 2);  // keep the recent half
      }
      canvas.dataset.points = String(Number(canvas.dataset.points || 0) + 1);
      if (!pending) {
        pending = true;
        requestAnimationFrame(draw);
      }
    },
  };
}
