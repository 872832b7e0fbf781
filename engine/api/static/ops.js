// The operations dashboard: polls /v1/ops/overview every second and draws uPlot charts.
// The token comes from the URL fragment (#token=..., never sent to the server) or a form,
// and lives in sessionStorage for this tab only.
(function () {
  "use strict";
  const HISTORY = 300; // seconds of points kept per chart
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    sessionStorage.setItem("nuanxin-ops-token", fragment.get("token"));
    history.replaceState(null, "", location.pathname);
  }
  const token = () => sessionStorage.getItem("nuanxin-ops-token");
  const series = { times: [], rate: {}, redeem: {}, stock: {}, budget: {}, backlog: {} };
  const CHARTS = ["rate", "redeem", "stock", "budget", "backlog"];
  const charts = {};

  function login() {
    const form = document.getElementById("login");
    form.hidden = false;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      sessionStorage.setItem("nuanxin-ops-token", document.getElementById("token").value);
      form.hidden = true;
      start();
    });
  }

  function push(name, id, value) {
    const s = series[name];
    if (!s[id]) s[id] = new Array(series.times.length - 1).fill(null);
    s[id].push(value);
  }

  function draw(name, el) {
    const ids = Object.keys(series[name]).sort();
    const data = [series.times, ...ids.map((id) => series[name][id])];
    const key = name + ":" + ids.join(",");
    if (!charts[name] || charts[name].key !== key) {
      if (charts[name]) charts[name].plot.destroy();
      const width = Math.max(300, el.clientWidth || 600);
      const opts = {
        width, height: 180, legend: { show: true },
        series: [{}, ...ids.map((id, i) => ({
          label: id, stroke: `hsl(${(i * 67) % 360} 60% 42%)`, width: 2,
        }))],
        axes: [{}, { size: 60 }],
      };
      charts[name] = { key, plot: new uPlot(opts, data, el) };
    } else {
      charts[name].plot.setData(data);
    }
  }

  function cell(tr, field, text, cls) {
    const td = document.createElement("td");
    td.dataset.field = field;
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function render(doc) {
    document.getElementById("as-of").textContent = "as of " + doc.as_of;
    series.times.push(Date.parse(doc.as_of) / 1000);
    const tbody = document.querySelector("#campaigns tbody");
    tbody.replaceChildren();
    for (const c of doc.campaigns) {
      push("rate", c.campaign_id, c.rates.admitted_per_s_last_second);
      push("redeem", c.campaign_id, c.rates.redeemed_per_s_last_second);
      push("stock", c.campaign_id, c.remaining);
      push("budget", c.campaign_id, c.budget_left_fen == null ? null : c.budget_left_fen / 100);
      push("backlog", c.campaign_id, c.issue_backlog);
      const tr = document.createElement("tr");
      tr.dataset.campaign = c.campaign_id;
      if (c.status === "paused") tr.className = "paused";
      cell(tr, "campaign_id", c.campaign_id);
      cell(tr, "status", c.status);
      cell(tr, "admitted", String(c.admitted));
      cell(tr, "issued", String(c.issued));
      cell(tr, "redeemed", String(c.redeemed));
      cell(tr, "remaining", String(c.remaining));
      cell(tr, "budget_left", c.budget_left_fen == null ? "—" : (c.budget_left_fen / 100).toFixed(2));
      cell(tr, "rate", c.rates.admitted_per_s_last_minute.toFixed(1));
      const refusals = Object.entries(c.refusals).map(([k, v]) => `${k}: ${v}`).join(", ");
      cell(tr, "refusals", refusals || "—", "refusals");
      cell(tr, "runs_out", c.forecast.stock_runs_out_at || "—");
      tbody.appendChild(tr);
    }
    for (const name of CHARTS) {
      for (const id of Object.keys(series[name])) {
        if (series[name][id].length < series.times.length) series[name][id].push(null);
        if (series[name][id].length > HISTORY) series[name][id].shift();
      }
    }
    if (series.times.length > HISTORY) series.times.shift();
    for (const name of CHARTS) {
      draw(name, document.getElementById("chart-" + name));
    }
  }

  async function poll() {
    try {
      const r = await fetch("/v1/ops/overview", { headers: { Authorization: "Bearer " + token() } });
      if (r.status === 401) { sessionStorage.removeItem("nuanxin-ops-token"); location.reload(); return; }
      if (r.ok) render(await r.json());
    } catch (e) {
      document.getElementById("as-of").textContent = "connection lost; retrying";
    }
    setTimeout(poll, 1000);
  }

  function start() {
    document.getElementById("board").hidden = false;
    poll();
  }

  if (token()) start(); else login();
})();
