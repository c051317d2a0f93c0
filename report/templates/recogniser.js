// Draw a digit, and the recogniser of this run reads it: the forward pass of the Keras model in
// plain JavaScript (no network, no library), with the weights embedded in this page as float16,
// and the drawing brought into MNIST's geometry first (ink box, 20x20, centre of mass at 14, 14).
(function () {
  "use strict";
  const spec = JSON.parse(document.getElementById("recogniser-model").textContent);

  function halfToFloat(h) {
    const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
    if (exponent === 0) return sign * Math.pow(2, -14) * (fraction / 1024);
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * Math.pow(2, exponent - 15) * (1 + fraction / 1024);
  }

  function weights(w) {
    if (!w) return null;
    const bytes = Uint8Array.from(atob(w.f16), (c) => c.charCodeAt(0));
    const halves = new Uint16Array(bytes.buffer);
    const values = new Float32Array(halves.length);
    for (let i = 0; i < halves.length; i++) values[i] = halfToFloat(halves[i]);
    return { shape: w.shape, data: values };
  }

  // Decode every weight once: walk the tree and replace {shape, f16} by {shape, data}.
  (function decode(node) {
    if (Array.isArray(node)) return node.forEach(decode);
    if (!node || typeof node !== "object") return;
    for (const key of Object.keys(node)) {
      const value = node[key];
      if (value && typeof value === "object" && "f16" in value) node[key] = weights(value);
      else decode(value);
    }
  })(spec.model);

  // Tensors are {h, w, c, data} in Keras' channels-last order (data[(y * w + x) * c + k]).
  function activate(t, name) {
    const d = t.data;
    if (name === "relu") for (let i = 0; i < d.length; i++) d[i] = d[i] > 0 ? d[i] : 0;
    else if (name === "sigmoid") for (let i = 0; i < d.length; i++) d[i] = 1 / (1 + Math.exp(-d[i]));
    else if (name === "tanh") for (let i = 0; i < d.length; i++) d[i] = Math.tanh(d[i]);
    else if (name === "softmax") {
      const c = t.c;
      for (let p = 0; p < d.length; p += c) {
        let max = -Infinity, sum = 0;
        for (let k = 0; k < c; k++) max = Math.max(max, d[p + k]);
        for (let k = 0; k < c; k++) { d[p + k] = Math.exp(d[p + k] - max); sum += d[p + k]; }
        for (let k = 0; k < c; k++) d[p + k] /= sum;
      }
    }
    return t;
  }

  function conv(t, node, depthwise) {
    const [kh, kw, cin, last] = node.kernel.shape, k = node.kernel.data;
    const cout = depthwise ? cin * last : last;
    const same = node.padding === "same";
    const top = same ? Math.floor((kh - 1) / 2) : 0, left = same ? Math.floor((kw - 1) / 2) : 0;
    const h = same ? t.h : t.h - kh + 1, w = same ? t.w : t.w - kw + 1;
    const out = new Float32Array(h * w * cout);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * cout;
        for (let i = 0; i < kh; i++) {
          const sy = y + i - top;
          if (sy < 0 || sy >= t.h) continue;
          for (let j = 0; j < kw; j++) {
            const sx = x + j - left;
            if (sx < 0 || sx >= t.w) continue;
            const s = (sy * t.w + sx) * t.c, kk = (i * kw + j) * cin * last;
            for (let ci = 0; ci < cin; ci++) {
              const v = t.data[s + ci];
              if (v === 0) continue;
              const row = kk + ci * last;
              if (depthwise) for (let m = 0; m < last; m++) out[o + ci * last + m] += v * k[row + m];
              else for (let co = 0; co < last; co++) out[o + co] += v * k[row + co];
            }
          }
        }
        if (node.bias) for (let co = 0; co < cout; co++) out[o + co] += node.bias.data[co];
      }
    }
    return activate({ h, w, c: cout, data: out }, node.activation);
  }

  function batchnorm(t, node) {
    const c = t.c, d = new Float32Array(t.data);
    const scale = new Float32Array(c), shift = new Float32Array(c);
    for (let k = 0; k < c; k++) {
      scale[k] = node.gamma.data[k] / Math.sqrt(node.variance.data[k] + node.epsilon);
      shift[k] = node.beta.data[k] - node.mean.data[k] * scale[k];
    }
    for (let i = 0; i < d.length; i++) d[i] = d[i] * scale[i % c] + shift[i % c];
    return { h: t.h, w: t.w, c, data: d };
  }

  function maxpool(t, node) {
    const [ph, pw] = node.pool, [sh, sw] = node.strides;
    const h = Math.floor((t.h - ph) / sh) + 1, w = Math.floor((t.w - pw) / sw) + 1, c = t.c;
    const out = new Float32Array(h * w * c).fill(-Infinity);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let i = 0; i < ph; i++)
          for (let j = 0; j < pw; j++) {
            const s = ((y * sh + i) * t.w + (x * sw + j)) * c, o = (y * w + x) * c;
            for (let k = 0; k < c; k++) if (t.data[s + k] > out[o + k]) out[o + k] = t.data[s + k];
          }
    return { h, w, c, data: out };
  }

  function dense(t, node) {
    const [n, m] = node.kernel.shape, k = node.kernel.data, out = new Float32Array(m);
    for (let i = 0; i < n; i++) {
      const v = t.data[i];
      if (v === 0) continue;
      for (let o = 0; o < m; o++) out[o] += v * k[i * m + o];
    }
    if (node.bias) for (let o = 0; o < m; o++) out[o] += node.bias.data[o];
    return activate({ h: 1, w: 1, c: m, data: out }, node.activation);
  }

  function run(node, t, input) {
    switch (node.op) {
      case "input": return input;
      case "identity": return t;
      case "seq": return node.layers.reduce((value, layer) => run(layer, value, input), t);
      case "graph": return run(node.body, t, t);
      case "apply": return run(node.layer, run(node.input, t, input), input);
      case "average": {
        const parts = node.branches.map((branch) => run(branch, t, input));
        const data = new Float32Array(parts[0].data.length);
        for (const part of parts) for (let i = 0; i < data.length; i++) data[i] += part.data[i] / parts.length;
        return { h: parts[0].h, w: parts[0].w, c: parts[0].c, data };
      }
      case "conv": return conv(t, node, false);
      case "depthwise": return conv(t, node, true);
      case "batchnorm": return batchnorm(t, node);
      case "activation": return activate({ h: t.h, w: t.w, c: t.c, data: new Float32Array(t.data) }, node.activation);
      case "maxpool": return maxpool(t, node);
      case "dense": return dense(t, node);
      default: throw new Error("unsupported operation " + node.op);
    }
  }

  // 784 pixels in [0, 1], white digit on black, row by row -> ten probabilities.
  function predict(pixels) {
    const input = { h: 28, w: 28, c: 1, data: Float32Array.from(pixels) };
    return Array.from(run(spec.model, input, input).data);
  }

  // The drawing in MNIST's geometry, as the preprocessing does it for photos: the ink's box
  // scaled to fit 20x20 (aspect kept), in a 28x28 image, moved by whole pixels so that the
  // centre of mass is at (14, 14).
  function mnistPixels(canvas) {
    const { width, height } = canvas;
    const ink = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    let top = height, left = width, bottom = -1, right = -1;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        if (ink[(y * width + x) * 4] > 0) {
          top = Math.min(top, y); bottom = Math.max(bottom, y);
          left = Math.min(left, x); right = Math.max(right, x);
        }
    if (bottom < 0) return null;
    const boxH = bottom - top + 1, boxW = right - left + 1, scale = 20 / Math.max(boxH, boxW);
    const h = Math.max(1, Math.round(boxH * scale)), w = Math.max(1, Math.round(boxW * scale));
    const small = document.createElement("canvas");
    small.width = 28; small.height = 28;
    const context = small.getContext("2d");
    context.fillStyle = "black"; context.fillRect(0, 0, 28, 28);
    context.imageSmoothingEnabled = true; context.imageSmoothingQuality = "high";
    context.drawImage(canvas, left, top, boxW, boxH, Math.floor((28 - w) / 2), Math.floor((28 - h) / 2), w, h);
    const data = context.getImageData(0, 0, 28, 28).data, gray = new Float32Array(784);
    let mass = 0, my = 0, mx = 0;
    for (let i = 0; i < 784; i++) {
      gray[i] = data[i * 4] / 255;
      mass += gray[i]; my += gray[i] * Math.floor(i / 28); mx += gray[i] * (i % 28);
    }
    const dy = Math.round(14 - my / mass), dx = Math.round(14 - mx / mass), out = new Float32Array(784);
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const sy = y - dy, sx = x - dx;
        if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) out[y * 28 + x] = gray[sy * 28 + sx];
      }
    return out;
  }

  function showProbabilities(probabilities) {
    const best = probabilities.indexOf(Math.max(...probabilities));
    document.querySelectorAll("#draw-bars .bar").forEach((bar, digit) => {
      bar.style.width = (100 * probabilities[digit]).toFixed(1) + "%";
      bar.closest("li").classList.toggle("best", digit === best);
      bar.closest("li").querySelector(".p").textContent = probabilities[digit].toFixed(3);
    });
    document.getElementById("draw-answer").textContent = "Read as " + best + " (" + probabilities[best].toFixed(3) + ")";
  }

  const canvas = document.getElementById("draw-canvas");
  const context = canvas.getContext("2d");
  function clear() {
    context.fillStyle = "black"; context.fillRect(0, 0, canvas.width, canvas.height);
    document.getElementById("draw-answer").textContent = "Draw a digit in the box.";
    document.querySelectorAll("#draw-bars .bar").forEach((bar) => { bar.style.width = "0"; });
  }
  let drawing = false;
  function point(event) {
    const rect = canvas.getBoundingClientRect();
    return [(event.clientX - rect.left) * canvas.width / rect.width, (event.clientY - rect.top) * canvas.height / rect.height];
  }
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true; canvas.setPointerCapture(event.pointerId);
    context.strokeStyle = "white"; context.lineWidth = canvas.width / 14; context.lineCap = "round"; context.lineJoin = "round";
    context.beginPath(); context.moveTo(...point(event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    context.lineTo(...point(event)); context.stroke();
  });
  function finish() {
    if (!drawing) return;
    drawing = false;
    const pixels = mnistPixels(canvas);
    if (pixels) showProbabilities(predict(pixels));
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointerleave", finish);
  document.getElementById("draw-clear").addEventListener("click", clear);
  clear();
  window.digitRecogniser = { predict, mnistPixels };
})();
