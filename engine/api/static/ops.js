// The operations dashboard (/ops#token=...): polls /v1/ops/overview every second. Each
// programme by its name, with its own small chart, so a 200,000-coupon programme and a
// 1,000-card one are both readable; one chart of the share of stock left puts them side
// by side. Times are Beijing time (Asia/Shanghai), whatever the reader's clock says.
(function () {
  "use strict";
  const { t, el } = NX;
  const WINDOW_S = 300; // the charts show the last five minutes
  const page = NX.page({
    title: "app.ops",
    storage: "nuanxin-ops-token",
    param: "token",
    extra: [el("span", { id: "as-of" }, "…")],
    onLanguage: () => { if (last) render(last); },
    onSignOut: () => location.reload(),
  });
  const token = page.credential;
  const history = { times: [], share: {}, rate: {} };
  const charts = {};
  let last = null;

  const colour = (i) => `hsl(${(i * 67) % 360} 62% 42%)`;
  const localTime = (ts) => uPlot.tzDate(new Date(ts * 1000), "Asia/Shanghai");
  // Always five minutes wide, so ticks fall on minutes rather than fractions of a second.
  const xScale = { time: true, range: (u, min, max) => [max - WINDOW_S, max] };
  // 24-hour Beijing time: whole minutes as 10:01, the ticks between as :15, :30, :45.
  const xAxis = {
    space: 70, incrs: [15, 30, 60, 120, 300],
    values: (u, ticks) => ticks.map((ts) => {
      const hms = NX.when(new Date(ts * 1000).toISOString(), "time");
      return hms.endsWith(":00") ? hms.slice(0, 5) : ":" + hms.slice(6);
    }),
  };

  function login() {
    const form = document.getElementById("login");
    form.hidden = false;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      page.signIn(document.getElementById("token").value);
      location.reload();
    });
  }

  function record(doc) {
    history.times.push(Date.parse(doc.as_of) / 1000);
    const seen = new Set();
    for (const c of doc.campaigns) {
      seen.add(c.campaign_id);
      for (const name of ["share", "rate"]) {
        history[name][c.campaign_id] ??= new Array(history.times.length - 1).fill(null);
      }
      history.share[c.campaign_id].push(c.quota ? (100 * c.remaining) / c.quota : null);
      history.rate[c.campaign_id].push(c.rates.admitted_per_s_last_second);
    }
    for (const name of ["share", "rate"]) {
      for (const [id, points] of Object.entries(history[name])) {
        if (!seen.has(id)) points.push(null);
        if (points.length > WINDOW_S) points.shift();
      }
    }
    if (history.times.length > WINDOW_S) history.times.shift();
  }

  function plot(key, el_, opts, data) {
    const chart = charts[key];
    if (chart && chart.shape === opts.shape) return chart.plot.setData(data);
    if (chart) chart.plot.destroy();
    charts[key] = { shape: opts.shape, plot: new uPlot({ ...opts, tzDate: localTime }, data, el_) };
  }

  function drawOverview(campaigns) {
    const ids = campaigns.map((c) => c.campaign_id);
    const box = document.getElementById("chart-stock");
    plot("share", box, {
      shape: ids.join(","), width: Math.max(320, box.clientWidth), height: 200, legend: { show: false },
      scales: { x: xScale, y: { range: [0, 100] } },
      axes: [xAxis, { values: (u, ticks) => ticks.map((v) => v + "%"), size: 50 }],
      series: [{}, ...ids.map((id, i) => ({ label: id, stroke: colour(i), width: 2 }))],
    }, [history.times, ...ids.map((id) => history.share[id])]);
    document.getElementById("legend").replaceChildren(...campaigns.map((c, i) => {
      const item = el("li", { text: NX.name(c) });
      item.style.setProperty("--colour", colour(i));
      return item;
    }));
  }

  function refusals(c) {
    const words = Object.entries(c.refusals).sort((a, b) => b[1] - a[1])
      .map(([slug, n]) => `${NX.problem({ type: slug })} ${n.toLocaleString()}`);
    return words.join(NX.lang === "zh" ? "，" : ", ");
  }

  function runsOut(c) {
    const at = c.forecast.stock_runs_out_at;
    return at ? NX.when(at) : t("ops.never");
  }

  function card(c, i) {
    const share = c.quota ? (100 * c.remaining) / c.quota : 0;
    const bar = el("span");
    bar.style.width = share.toFixed(1) + "%";
    const spark = el("div", { class: "spark" });
    const node = el("figure", { class: "programme" + (c.status === "paused" ? " paused" : ""), dataset: { campaign: c.campaign_id } },
      el("h2", {}, NX.name(c), NX.lang === "zh" && c.name_en ? el("span", { class: "en", text: c.name_en }) : null),
      el("div", { class: "numbers" },
        el("span", {}, el("span", { class: "big", text: c.remaining.toLocaleString() }), " / " + c.quota.toLocaleString()),
        el("span", { text: t("status." + c.status) })),
      el("div", { class: "bar" }, bar),
      el("div", { class: "numbers" },
        el("span", { text: `${t("ops.claims_per_s")} ${c.rates.admitted_per_s_last_second}` }),
        el("span", { text: `${t("ops.redeemed_per_s")} ${c.rates.redeemed_per_s_last_second}` })),
      spark,
      el("div", { class: "forecast", text: `${t("ops.runs_out")}: ${runsOut(c)} · ${t("ops.backlog")}: ${c.issue_backlog}` }),
      el("div", { class: "refusals", text: refusals(c) }));
    node.style.setProperty("--colour", colour(i));
    return { node, spark };
  }

  function cell(tr, field, text, cls) {
    tr.append(el("td", { class: cls, dataset: { field }, text }));
  }

  function row(c) {
    const tr = el("tr", { class: c.status === "paused" ? "paused" : null, dataset: { campaign: c.campaign_id } });
    cell(tr, "name", NX.name(c));
    cell(tr, "status", t("status." + c.status));
    cell(tr, "admitted", String(c.admitted));
    cell(tr, "issued", String(c.issued));
    cell(tr, "redeemed", String(c.redeemed));
    cell(tr, "remaining", String(c.remaining));
    cell(tr, "budget_left", c.budget_left_fen == null ? "—" : (c.budget_left_fen / 100).toFixed(2));
    cell(tr, "rate", c.rates.admitted_per_s_last_minute.toFixed(1));
    cell(tr, "refusals", refusals(c) || "—", "refusals");
    cell(tr, "runs_out", runsOut(c));
    return tr;
  }

  function render(doc) {
    document.getElementById("as-of").textContent = t("as_of", { t: NX.when(doc.as_of, "time") });
    document.getElementById("as-of").dataset.asOf = doc.as_of;
    const campaigns = doc.campaigns;
    drawOverview(campaigns);
    const cards = campaigns.map(card);
    document.getElementById("programmes").replaceChildren(...cards.map((x) => x.node));
    cards.forEach(({ spark }, i) => {
      const id = campaigns[i].campaign_id;
      if (charts["rate:" + id]) charts["rate:" + id].plot.destroy(); // its element was replaced
      delete charts["rate:" + id];
      plot("rate:" + id, spark, {
        shape: id, width: Math.max(240, spark.clientWidth), height: 70, legend: { show: false },
        cursor: { show: false }, scales: { x: xScale, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
        axes: [{ show: false }, { size: 40, ticks: { show: false }, grid: { show: false } }],
        series: [{}, { stroke: colour(i), width: 1.5, fill: colour(i).replace(")", " / 0.15)") }],
      }, [history.times, history.rate[id]]);
    });
    document.querySelector("#campaigns tbody").replaceChildren(...campaigns.map(row));
    drawSlots(campaigns.filter((c) => c.slots));
    drawCases();
  }

  // The cash-out watch's open cases: read every few seconds; held and decided here.
  const cases = { at: 0, doc: null, error: null };
  async function drawCases(force) {
    if (!force && Date.now() - cases.at < 5000) return renderCases();
    cases.at = Date.now();
    const r = await NX.call("/v1/ops/cases?status=open&limit=50", { token });
    if (r.status === 200) cases.doc = r.doc;
    renderCases();
  }

  async function act(c, path, body) {
    const r = await NX.call(`/v1/ops/cases/${encodeURIComponent(c.case_id)}/${path}`, { method: "POST", token, body });
    cases.error = r.status === 200 ? null : NX.problem(r.doc);
    drawCases(true);
  }

  function caseRow(c) {
    const tr = el("tr", { class: c.hold ? "held" : null, dataset: { case: c.case_id } });
    cell(tr, "opened_at", NX.when(c.opened_at));
    cell(tr, "rule", t("case.rule." + c.rule));
    cell(tr, "subject", c.subject);
    cell(tr, "evidence", String(c.evidence_count));
    cell(tr, "merchants", c.merchants.join(", "));
    const buttons = el("td", { dataset: { field: "actions" } },
      c.hold ? el("span", { class: "held", text: t("case.held") })
        : el("button", { type: "button", dataset: { act: "hold" }, text: t("case.hold"), onclick: () => act(c, "hold") }),
      el("button", { type: "button", dataset: { act: "cleared" }, text: t("case.clear"), onclick: () => act(c, "close", { decision: "cleared" }) }),
      el("button", { type: "button", dataset: { act: "confirmed" }, text: t("case.confirm"), onclick: () => act(c, "close", { decision: "confirmed" }) }));
    tr.append(buttons);
    return tr;
  }

  function renderCases() {
    const box = document.getElementById("cases");
    if (!cases.doc) return;
    const open = cases.doc.cases;
    const head = ["case.opened_at", "case.rule", "case.subject", "case.evidence", "case.merchants", "case.actions"];
    box.replaceChildren(
      el("h2", { text: t("case.open", { n: open.length }) }),
      cases.error ? el("p", { class: "error", role: "alert", text: cases.error }) : null,
      open.length
        ? el("table", {}, el("thead", {}, el("tr", {}, ...head.map((k) => el("th", { text: t(k) })))), el("tbody", {}, ...open.map(caseRow)))
        : el("p", { class: "none", text: t("case.none") }));
  }

  // A booking programme's fill by slot: read every few seconds (it is a records query).
  const slotFill = {};
  async function drawSlots(booking) {
    const box = document.getElementById("slots");
    box.hidden = !booking.length;
    const now = Date.now();
    for (const c of booking) {
      const held = slotFill[c.campaign_id];
      if (held && now - held.at < 5000) continue;
      slotFill[c.campaign_id] = { at: now, doc: held && held.doc };
      const r = await NX.call(`/v1/ops/campaigns/${encodeURIComponent(c.campaign_id)}/slots`, { token });
      if (r.status === 200) slotFill[c.campaign_id].doc = r.doc;
    }
    box.replaceChildren(...booking.filter((c) => slotFill[c.campaign_id].doc).map((c) => slotTable(c, slotFill[c.campaign_id].doc)));
  }

  function slotTable(c, doc) {
    const rows = doc.slots.map((s) => {
      const tr = el("tr", { dataset: { slot: s.slot_id } });
      cell(tr, "starts_at", NX.when(s.starts_at));
      cell(tr, "provider", s.provider_name);
      cell(tr, "service", s.service);
      cell(tr, "fill", `${s.booked} / ${s.capacity}`, s.left === 0 ? "full" : null);
      cell(tr, "checked_in", String(s.checked_in));
      cell(tr, "no_shows", String(s.no_shows));
      cell(tr, "cancelled", String(s.cancelled));
      return tr;
    });
    const head = ["ops.slot_time", "ops.provider", "ops.service", "ops.fill", "ops.checked_in", "ops.no_shows", "ops.cancelled"];
    return el("figure", { class: "slot-fill", dataset: { campaign: c.campaign_id } },
      el("figcaption", { text: t("ops.slots_of", { name: NX.name(c) }) }),
      el("table", {}, el("thead", {}, el("tr", {}, ...head.map((k) => el("th", { text: t(k) })))), el("tbody", {}, ...rows)));
  }

  async function poll() {
    const r = await NX.call("/v1/ops/overview", { token });
    if (r.status === 401) { page.signOut(); location.reload(); return; }
    if (r.status === 200) { last = r.doc; record(r.doc); render(r.doc); }
    else document.getElementById("as-of").textContent = t("offline");
    setTimeout(poll, 1000);
  }

  if (!token) return login();
  document.getElementById("board").hidden = false;
  page.shown();
  poll();
})();
