// The AudioRouter page: pick or record a clip, draw its waveform, POST it to /v1/answer as
// multipart, and show the route, each tool's result and the answer. No libraries, no build step.
"use strict";
const $ = (id) => document.getElementById(id);
let clip = null; // {blob, name}

function drawWave(buffer) {
  const canvas = $("wave"), ctx = canvas.getContext("2d");
  const data = buffer.getChannelData(0), w = canvas.width, h = canvas.height;
  const step = Math.max(1, Math.floor(data.length / w));
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#1f6feb";
  for (let x = 0; x < w; x++) {
    let lo = 1, hi = -1;
    for (let i = x * step; i < Math.min(data.length, (x + 1) * step); i++) {
      lo = Math.min(lo, data[i]); hi = Math.max(hi, data[i]);
    }
    if (hi < lo) continue;
    ctx.fillRect(x, (1 - hi) * h / 2, 1, Math.max(1, (hi - lo) * h / 2));
  }
}

async function showClip(blob, name) {
  clip = { blob, name };
  try {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    const buffer = await ctx.decodeAudioData(await blob.arrayBuffer());
    drawWave(buffer);
    $("clipinfo").textContent = `${name}: ${buffer.duration.toFixed(2)} s`;
    ctx.close();
    return buffer;
  } catch (e) {
    $("clipinfo").textContent = `${name}: the browser cannot draw it (${e.message}); the server will check it`;
    return null;
  }
}

function wavBlob(buffer) {  // 16-bit PCM mono WAV from an AudioBuffer (recordings come as webm)
  const data = buffer.getChannelData(0), rate = buffer.sampleRate;
  const out = new DataView(new ArrayBuffer(44 + data.length * 2));
  const text = (o, s) => [...s].forEach((c, i) => out.setUint8(o + i, c.charCodeAt(0)));
  text(0, "RIFF"); out.setUint32(4, 36 + data.length * 2, true); text(8, "WAVEfmt ");
  out.setUint32(16, 16, true); out.setUint16(20, 1, true); out.setUint16(22, 1, true);
  out.setUint32(24, rate, true); out.setUint32(28, rate * 2, true); out.setUint16(32, 2, true);
  out.setUint16(34, 16, true); text(36, "data"); out.setUint32(40, data.length * 2, true);
  data.forEach((v, i) => out.setInt16(44 + i * 2, Math.max(-1, Math.min(1, v)) * 0x7fff, true));
  return new Blob([out], { type: "audio/wav" });
}

$("file").addEventListener("change", (e) => {
  const f = e.target.files[0];
  if (f) showClip(f, f.name);
});

let recorder = null;
$("record").addEventListener("click", async () => {
  if (recorder) { recorder.stop(); return; }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const parts = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (e) => parts.push(e.data);
    recorder.onstop = async () => {
      stream.getTracks().forEach((t) => t.stop());
      recorder = null;
      $("record").textContent = "Record";
      const buffer = await showClip(new Blob(parts), "recording");
      if (buffer) showClip(wavBlob(buffer), "recording.wav");
    };
    recorder.start();
    $("record").textContent = "Stop";
  } catch (e) {
    showError(`cannot record: ${e.message}`);
  }
});

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
}

function showResult(r) {
  $("answer").textContent = r.answer;
  $("route").textContent = r.route.length ? `Route: ${r.route.join(" \u2192 ")}` : "Route: no tools (the reasoner alone)";
  const body = $("tools").tBodies[0];
  body.replaceChildren();
  r.tools.forEach((t, i) => {
    const row = body.insertRow();
    cell(row, String(i + 1)); cell(row, t.tool);
    cell(row, t.ok ? t.text : `error: ${t.error}`, t.ok ? "" : "err");
    cell(row, t.seconds.toFixed(2));
  });
  const scores = Object.entries(r.scores || {}).map(([c, s]) => `${c}: ${s.toFixed(2)}`);
  $("scores").textContent = scores.length ? `Reasoner scores: ${scores.join(", ")}` : "";
  const s = r.seconds;
  $("timing").textContent = `Seconds: route ${s.route.toFixed(2)}, tools ${s.execute.toFixed(2)}, ` +
    `reason ${s.reason.toFixed(2)}, total ${s.total.toFixed(2)}`;
  $("result").hidden = false;
}

$("ask").addEventListener("submit", async (e) => {
  e.preventDefault();
  showError("");
  if (!clip) { showError("pick or record a clip first"); return; }
  const form = new FormData();
  form.append("audio", clip.blob, clip.name);
  form.append("question", $("question").value);
  form.append("choices", $("choices").value.split("\n").map((c) => c.trim()).filter(Boolean).join("|"));
  $("submit").disabled = true;
  $("submit").textContent = "Answering\u2026";
  try {
    const reply = await fetch("/v1/answer", { method: "POST", body: form });
    const body = await reply.json();
    if (!reply.ok) throw new Error(body.error ? body.error.message : `HTTP ${reply.status}`);
    showResult(body);
  } catch (err) {
    $("result").hidden = true;
    showError(err.message);
  } finally {
    $("submit").disabled = false;
    $("submit").textContent = "Answer";
  }
});
