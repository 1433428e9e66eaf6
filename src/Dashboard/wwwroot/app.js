// The DistTrain dashboard: #/ lists the jobs and silos; #/job/ID shows one job, its curves live
// from server-sent events, its workers and its epochs. No framework: a few fetches and tables.
"use strict";

const main = document.getElementById("main");
let stop = () => {};                       // what the current page must close when left

const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const fixed = (x, d) => (typeof x === "number" && isFinite(x)) ? x.toFixed(d) : "–";
const percent = x => (typeof x === "number" && isFinite(x)) ? (100 * x).toFixed(2) + " %" : "–";
const getJson = async url => { const r = await fetch(url); if (!r.ok) throw new Error(`${url}: ${r.status}`); return r.json(); };
const table = (head, rows, attrs = "") => `<table ${attrs}><tr>${head.map(h => `<th>${h}</th>`).join("")}</tr>${rows.join("")}</table>`;

async function jobsPage() {
  async function refresh() {
    const [jobs, silos] = await Promise.all([getJson("/api/jobs"), getJson("/api/silos")]);
    main.innerHTML = `<h2>Jobs</h2>` + table(["Job", "State", "Network", "Workers", "Epoch", "Step", "Loss", "Test accuracy", "Samples/s"],
      jobs.map(j => `<tr class="job" data-job="${esc(j.id)}"><td><a href="#/job/${encodeURIComponent(j.id)}">${esc(j.id)}</a></td>
        <td class="text state-${esc(j.state)}">${esc(j.state)}</td><td class="text">${esc(j.network)}</td><td>${j.workers ?? "–"}</td>
        <td>${j.epoch}/${j.epochs ?? "–"}</td><td>${j.step}/${j.totalSteps}</td><td>${fixed(j.loss, 4)}</td><td>${percent(j.testAccuracy)}</td>
        <td>${fixed(j.samplesPerSecond, 0)}</td></tr>`), `id="jobs"`)
      + `<h2>Silos</h2>` + table(["Silo", "Host", "Status", "Started"],
      silos.map(s => `<tr class="silo"><td>${esc(s.address)}</td><td class="text">${esc(s.host)}</td><td class="text">${esc(s.status)}</td><td class="text">${esc(s.started)}</td></tr>`), `id="silos"`);
  }
  await refresh();
  const timer = setInterval(() => refresh().catch(() => {}), 2000);
  stop = () => clearInterval(timer);
}

async function jobPage(id) {
  main.innerHTML = `<h2>Job ${esc(id)}</h2><div class="summary" id="summary"></div>
    <div class="charts"><div class="chart" id="loss-chart"></div><div class="chart" id="accuracy-chart"></div></div>
    <h2>Workers</h2><div id="workers"></div><h2>Epochs</h2><div id="epochs"></div>`;
  // Curves: the loss at each step the job reports and at each epoch's end; the test accuracy per epoch.
  const steps = [[], []], epochLoss = [[], []], accuracy = [[], []];
  const lossChart = new uPlot({ title: "Training loss", width: 560, height: 300, scales: { x: { time: false } },
    series: [{ label: "step" }, { label: "per step", stroke: "#4c78a8", width: 1 }, { label: "per epoch", stroke: "#f58518", width: 2, spanGaps: true, points: { show: true, size: 8, fill: "#f58518" } }] },
    [[], [], []], document.getElementById("loss-chart"));
  const accuracyChart = new uPlot({ title: "Test accuracy (%)", width: 420, height: 300, scales: { x: { time: false } },
    series: [{ label: "epoch" }, { label: "test accuracy", stroke: "#54a24b", width: 2, points: { size: 7 } }] },
    [[], []], document.getElementById("accuracy-chart"));
  const chartBox = document.getElementById("accuracy-chart"), lossBox = document.getElementById("loss-chart");
  let perEpoch = 1;

  function redraw() {
    // One x axis for both loss series: step numbers; epoch points sit at their epoch's last step.
    const xs = [...new Set([...steps[0], ...epochLoss[0]])].sort((a, b) => a - b);
    const at = (series, x) => { const i = series[0].indexOf(x); return i < 0 ? null : series[1][i]; };
    lossChart.setData([xs, xs.map(x => at(steps, x)), xs.map(x => at(epochLoss, x))]);
    accuracyChart.setData([accuracy[0], accuracy[1]]);
    chartBox.dataset.epochPoints = accuracy[0].length;   // for the browser test: one point per finished epoch
    lossBox.dataset.stepPoints = steps[0].length;
  }

  async function refresh() {
    const { status, workers } = await getJson(`/api/jobs/${encodeURIComponent(id)}`);
    perEpoch = Math.max(1, status.stepsPerEpoch);
    const t = status.timings;
    document.getElementById("summary").innerHTML = [
      ["State", `<span class="state-${esc(status.state)}">${esc(status.state)}</span>${status.error ? ` <span class="error">${esc(status.error)}</span>` : ""}`],
      ["Spec", esc(status.spec ? `${status.spec.network} ${status.spec.activation} ${status.spec.loss}, batch ${status.spec.globalBatchSize}, lr ${status.spec.learningRate}, ${status.spec.workers} workers` : "")],
      ["Progress", `epoch ${status.epoch}/${status.spec?.epochs ?? "–"}, step ${status.step}/${status.totalSteps}, ${fixed(status.samplesPerSecond, 0)} samples/s`],
      ["Step (ms)", t ? `${fixed(t.stepMs, 3)}: compute ${fixed(t.workerComputeMs, 3)}, wait for the slowest ${fixed(t.slowestWorkerWaitMs, 3)}, aggregation ${fixed(t.aggregationMs, 3)}, transport ${fixed(t.transportMs, 3)}, update ${fixed(t.updateMs, 3)}` : "–"],
      ["Job silo", esc(status.silo)],
      ["Survived", `${status.workerRecoveries} lost groups, ${status.rollbacks} rollbacks, ${status.resumes} resumes, ${status.stuckRetries} stuck-worker retries`],
    ].map(([k, v]) => `<div>${k}</div><div>${v}</div>`).join("");
    // Workers: where each runs and its share of a step; a straggler stands out.
    const timing = new Map(status.workerTimings.map(w => [w.shard, w]));
    const recent = status.workerTimings.map(w => w.recentMs).sort((a, b) => a - b);
    const median = recent.length ? recent[Math.floor(recent.length / 2)] : 0;
    const slowest = recent.length ? recent[recent.length - 1] : 0;
    document.getElementById("workers").innerHTML = table(["Worker", "Silo", "Train samples", "Compute ms/step", "Recent", "Wait for the slowest", "Aggregation", "Transport", "Update"],
      workers.map(w => { const m = timing.get(w.shard); const straggler = m && recent.length > 1 && m.recentMs > 1.5 * median;
        return `<tr class="worker${straggler ? " straggler" : ""}" data-shard="${w.shard}"><td>${w.shard}</td><td class="text">${esc(w.silo)}</td><td>${w.trainCount}</td>
          <td>${fixed(m?.meanMs, 3)}</td><td>${fixed(m?.recentMs, 3)}</td><td>${m ? fixed(slowest - m.recentMs, 3) : "–"}</td>
          <td>${fixed(t?.aggregationMs, 3)}</td><td>${fixed(t?.transportMs, 3)}</td><td>${fixed(t?.updateMs, 3)}</td></tr>`; }), `id="worker-table"`);
    document.getElementById("epochs").innerHTML = table(["Epoch", "Steps", "Train loss", "Test accuracy", "Samples/s"],
      status.epochs.map(e => `<tr class="epoch"><td>${e.epoch}</td><td>${e.steps}</td><td>${fixed(e.trainLoss, 4)}</td><td>${percent(e.testAccuracy)}</td><td>${fixed(e.samplesPerSecond, 0)}</td></tr>`));
    return status;
  }

  const first = await refresh();
  perEpoch = Math.max(1, first.stepsPerEpoch);
  // The steps so far (the job keeps a bounded curve); the events carry on from there.
  const curve = await getJson(`/api/jobs/${encodeURIComponent(id)}/curve`);
  steps[0].push(...curve.steps); steps[1].push(...curve.losses);
  redraw();
  const events = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events`);
  events.onmessage = message => {
    const p = JSON.parse(message.data);
    if (p.kind === "Step" && p.step > 0 && (steps[0].length === 0 || p.step > steps[0][steps[0].length - 1])) {
      steps[0].push(p.step); steps[1].push(p.loss);
    } else if (p.kind === "Epoch" && !accuracy[0].includes(p.epoch)) {
      epochLoss[0].push(p.epoch * perEpoch); epochLoss[1].push(p.loss);
      accuracy[0].push(p.epoch); accuracy[1].push(100 * (p.testAccuracy ?? NaN));
      refresh().catch(() => {});
    } else if (p.kind === "Finished") {
      events.close();
      refresh().catch(() => {});
    }
    redraw();
  };
  const timer = setInterval(() => refresh().catch(() => {}), 3000);
  stop = () => { events.close(); clearInterval(timer); };
}

async function route() {
  stop();
  stop = () => {};
  const match = location.hash.match(/^#\/job\/(.+)$/);
  try {
    await (match ? jobPage(decodeURIComponent(match[1])) : jobsPage());
  } catch (e) {
    main.innerHTML = `<p class="error">${esc(e.message)}</p>`;
  }
}
window.addEventListener("hashchange", route);
route();
