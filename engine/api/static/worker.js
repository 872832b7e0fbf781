// The worker page (/w/#token=...): the programmes this worker may claim, a claim button
// that survives double taps and a flaky network, and "my vouchers" with QR codes.
(function () {
  "use strict";
  const { t, el } = NX;
  const page = NX.page({
    title: "app.worker",
    storage: "nuanxin-worker-token",
    param: "token",
    onLanguage: () => { renderProgrammes(); renderVouchers(); },
  });
  const token = page.credential;
  const state = { programmes: null, vouchers: null, notes: {}, claiming: new Set(), qr: {}, picking: null, booking: null, choosingFor: null };
  const status = document.getElementById("status");

  function note(cid, cls, text) {
    state.notes[cid] = { cls, text };
    renderProgrammes();
  }

  function signedOut() {
    page.signOut();
    document.getElementById("app").hidden = true;
    document.getElementById("signin").hidden = false;
  }

  async function load() {
    const [p, v] = await Promise.all([
      NX.call("/v1/me/programmes", { token, attempts: 3 }),
      NX.call("/v1/me/vouchers", { token, attempts: 3 }),
    ]);
    if (p.status === 401 || v.status === 401) return signedOut();
    status.textContent = p.status === 200 && v.status === 200 ? "" : NX.problem(p.doc);
    if (p.status === 200) state.programmes = p.doc.programmes;
    if (v.status === 200) state.vouchers = v.doc.vouchers;
    renderProgrammes();
    renderVouchers();
  }

  // -- programmes --------------------------------------------------------------
  function face(p) {
    if (p.discount) return NX.discount(p.discount);
    if (p.face_value_min_fen < p.face_value_max_fen) {
      return t("value.range", { low: NX.money(p.face_value_min_fen), high: NX.money(p.face_value_max_fen) });
    }
    return NX.money(p.face_value_fen);
  }

  function why(p) {
    const words = t("reason." + p.reason);
    return p.reason === "not-eligible" && p.failed_rule ? `${words}：${NX.rule(p.failed_rule)}` : words;
  }

  function countdown(to) {
    return el("span", { class: "countdown", dataset: { until: to } }, NX.duration(Date.parse(to) - Date.now()));
  }

  function programmeCard(p) {
    const claimable = p.claimable && !state.claiming.has(p.campaign_id);
    const facts = [el("span", { text: t("valid_until", { t: NX.when(p.valid_until, "date") }) })];
    if (p.status === "open" && p.reason !== "not-open-yet") {
      facts.push(el("span", { class: "left", text: t("left_now", { n: p.available_now }) }));
    }
    if (p.held) facts.push(el("span", { text: t("held", { n: p.held, m: p.per_worker_limit }) }));
    const per = p.limits.per_period, cap = p.limits.cap;
    if (per) facts.push(el("span", { class: "limit", text: t("limit.period", { p: t("period." + per.period), n: per.left, m: per.limit }) }));
    if (cap) facts.push(el("span", { class: "limit", text: t("limit.cap", { p: t("period." + cap.period), a: NX.money(cap.left_fen), m: NX.money(cap.max_fen) }) }));
    const timing = [];
    if (p.reason === "not-open-yet") {
      timing.push(el("p", { class: "why" }, t("opens_at", { t: NX.when(p.claim_opens_at) }), " · ",
        t("opens_in", { d: "" }), countdown(p.claim_opens_at)));
    }
    if (p.waves.length > 1) {
      const shown = p.waves.slice(0, 4).map((w) => NX.when(w.at)).join(NX.lang === "zh" ? "、" : ", ");
      timing.push(el("p", { class: "facts" }, t("waves", { list: shown + (p.waves.length > 4 ? "…" : "") })));
    }
    if (p.next_wave_at && p.reason === "sold-out") {
      timing.push(el("p", { class: "why" }, t("next_wave", { t: NX.when(p.next_wave_at) }), " · ",
        countdown(p.next_wave_at)));
    }
    const n = state.notes[p.campaign_id];
    return el("article", { class: "card", dataset: { campaign: p.campaign_id } },
      el("h2", {}, NX.name(p), NX.lang === "zh" && p.name_en ? el("span", { class: "en", text: p.name_en }) : null),
      el("div", { class: "value", text: face(p) }),
      el("div", { class: "facts" }, facts),
      timing,
      p.lottery ? lotteryPart(p) : p.claimable || state.claiming.has(p.campaign_id)
        ? el("button", { class: "primary claim", type: "button", disabled: !claimable,
            onclick: () => (p.stations ? pick(p) : p.slots ? pickSlot(p) : claim(p)) },
            state.claiming.has(p.campaign_id) ? t("claiming")
              : p.stations ? t("station.choose") : p.slots ? t("slot.choose") : t("claim"))
        : el("p", { class: "why reason", dataset: { reason: p.reason } }, why(p)),
      el("p", { class: "message " + (n ? n.cls : ""), role: "status", text: n ? n.text : "" }));
  }

  // A lottery programme: register in the claim window; the draw's result once drawn.
  function lotteryPart(p) {
    const l = p.lottery;
    if (l.state === "drawn") {
      const words = !l.registered ? t("lottery.drawn") : l.won ? t("lottery.won") : t("lottery.lost");
      return el("p", { class: "lottery " + (l.won ? "ok" : ""), dataset: { lottery: l.won ? "won" : "drawn" } }, words);
    }
    if (l.registered) {
      return el("p", { class: "lottery", dataset: { lottery: "registered" } }, t("lottery.registered", { t: NX.when(l.draw_at) }));
    }
    if (p.reason !== "registration-required") {
      return el("p", { class: "why reason", dataset: { reason: p.reason } }, why(p));
    }
    return el("button", { class: "primary register", type: "button", onclick: () => register(p) },
      t("lottery.register", { t: NX.when(l.draw_at) }));
  }

  async function register(p) {
    const cid = p.campaign_id;
    note(cid, "wait", t("lottery.registering"));
    const r = await NX.call(`/v1/campaigns/${encodeURIComponent(cid)}/registrations`, {
      method: "POST", token, attempts: 6, // registering twice is registering once
    });
    if (r.status === 401) return signedOut();
    note(cid, r.status === 201 ? "ok" : "bad", r.status === 201 ? t("lottery.entered") : NX.problem(r.doc));
    await load();
  }

  function renderProgrammes() {
    const box = document.getElementById("programmes");
    if (state.programmes === null) return box.replaceChildren(el("p", { class: "muted", text: t("loading") }));
    if (!state.programmes.length) return box.replaceChildren(el("p", { class: "card", text: t("empty.programmes") }));
    box.replaceChildren(...state.programmes.map(programmeCard));
  }

  // -- choosing a station (a pack picked up at one of the union's stations) -------
  const picker = document.getElementById("picker");

  function pick(p) {
    state.picking = p;
    document.getElementById("picker-title").textContent = t("station.for", { name: NX.name(p) });
    document.getElementById("station-q").value = "";
    document.getElementById("picker-message").textContent = "";
    document.getElementById("programmes").hidden = true;
    picker.hidden = false;
    findStations();
  }

  function closePicker() {
    state.picking = null;
    state.choosingFor = null;
    picker.hidden = true;
    document.getElementById("programmes").hidden = false;
  }

  async function findStations() {
    const p = state.picking;
    if (!p) return;
    const q = document.getElementById("station-q").value.trim();
    const url = `/v1/campaigns/${encodeURIComponent(p.campaign_id)}/stations?q=${encodeURIComponent(q)}`;
    const r = await NX.call(url, { token, attempts: 3 });
    if (r.status === 401) return signedOut();
    const list = document.getElementById("station-list");
    if (r.status !== 200) return list.replaceChildren(el("li", { class: "muted", text: NX.problem(r.doc) }));
    if (!r.doc.stations.length) return list.replaceChildren(el("li", { class: "muted", text: t("station.none") }));
    list.replaceChildren(...r.doc.stations.map((s) => el("li", { dataset: { station: s.station_id } },
      el("strong", { text: s.name }),
      el("span", { class: "muted", text: ` ${s.district}${s.address ? " · " + s.address : ""}` }),
      el("span", { class: "left", text: " · " + t("station.left", { n: s.left }) }),
      el("button", { class: "primary here", type: "button", onclick: () => claimAt(p, s) }, t("station.here")))));
  }

  // A pack claimed without a station: its station is chosen from "my vouchers", once.
  function pickFor(v) {
    state.choosingFor = v;
    tab("programmes");
    pick({ campaign_id: v.campaign_id, name: v.campaign_name, name_en: v.campaign_name_en });
  }

  async function claimAt(p, s) {
    if (state.choosingFor) return chooseAt(state.choosingFor, s);
    const outcome = await claim(p, s.station_id);
    if (outcome === "ok") return closePicker();
    document.getElementById("picker-message").className = "message bad";
    document.getElementById("picker-message").textContent = state.notes[p.campaign_id].text;
    findStations(); // what is left has changed
  }

  async function chooseAt(v, s) {
    const r = await NX.call(`/v1/me/vouchers/${encodeURIComponent(v.claim_id)}/station`, {
      method: "POST", token, body: { station_id: s.station_id }, attempts: 6, // the same choice again is the same
    });
    if (r.status === 401) return signedOut();
    if (r.status === 200) {
      closePicker();
      tab("vouchers");
      return load();
    }
    document.getElementById("picker-message").className = "message bad";
    document.getElementById("picker-message").textContent = NX.problem(r.doc);
    findStations();
  }

  // -- booking a slot (a service booked by the slot: counselling, health checks ...) -----
  const slotPicker = document.getElementById("slot-picker");

  function pickSlot(p) {
    state.booking = p;
    document.getElementById("slot-title").textContent = t("slot.for", { name: NX.name(p) });
    document.getElementById("slot-message").textContent = "";
    document.getElementById("programmes").hidden = true;
    slotPicker.hidden = false;
    findSlots();
  }

  function closeSlots() {
    state.booking = null;
    slotPicker.hidden = true;
    document.getElementById("programmes").hidden = false;
  }

  // The free slots of the day chosen (every day when none is), under each provider.
  async function findSlots() {
    const p = state.booking;
    if (!p) return;
    const day = document.getElementById("slot-day").value;
    const url = `/v1/campaigns/${encodeURIComponent(p.campaign_id)}/slots` + (day ? `?date=${day}` : "");
    const r = await NX.call(url, { token, attempts: 3 });
    if (r.status === 401) return signedOut();
    const list = document.getElementById("slot-list");
    if (r.status !== 200) return list.replaceChildren(el("p", { class: "muted", text: NX.problem(r.doc) }));
    if (!r.doc.slots.length) return list.replaceChildren(el("p", { class: "muted", text: t("slot.none") }));
    const byProvider = new Map();
    for (const s of r.doc.slots) {
      if (!byProvider.has(s.provider_id)) byProvider.set(s.provider_id, []);
      byProvider.get(s.provider_id).push(s);
    }
    list.replaceChildren(...[...byProvider.values()].map((slots) => el("div", { class: "provider", dataset: { provider: slots[0].provider_id } },
      el("h3", { text: slots[0].provider_name }),
      el("ul", { class: "stations" }, ...slots.map((s) => el("li", { dataset: { slot: s.slot_id } },
        el("strong", { text: NX.when(s.starts_at) + "–" + NX.when(s.ends_at, "hm") }),
        el("span", { class: "muted", text: " " + s.service }),
        el("span", { class: "left", text: " · " + t("slot.left", { n: s.left }) }),
        el("button", { class: "primary here", type: "button", onclick: () => book(p, s) }, t("slot.book"))))))));
  }

  async function book(p, s) {
    const outcome = await claim(p, { slot_id: s.slot_id });
    if (outcome === "ok") return closeSlots();
    document.getElementById("slot-message").className = "message bad";
    document.getElementById("slot-message").textContent = state.notes[p.campaign_id].text;
    findSlots(); // what is free has changed
  }

  async function cancelBooking(v) {
    if (!window.confirm(t("slot.cancel_confirm"))) return;
    const r = await NX.call(`/v1/me/bookings/${encodeURIComponent(v.claim_id)}/cancel`, {
      method: "POST", token, attempts: 6, // cancelling twice is cancelling once
    });
    if (r.status === 401) return signedOut();
    await load();
    status.className = "message " + (r.status === 200 ? "ok" : "bad");
    status.textContent = r.status === 200 ? t("slot.cancelled") : NX.problem(r.doc);
  }

  // One Idempotency-Key per programme (and place) until the claim has a definite answer:
  // a second tap, or a retry after an answer lost on the way, asks for the same claim again.
  async function claim(p, place) {
    const cid = p.campaign_id;
    if (state.claiming.has(cid)) return "busy";
    state.claiming.add(cid);
    const chosen = typeof place === "string" ? { station_id: place } : place || {};
    const keyName = "nuanxin-claim-key:" + cid + Object.values(chosen).map((x) => ":" + x).join("");
    const key = sessionStorage.getItem(keyName) || NX.newKey();
    sessionStorage.setItem(keyName, key);
    note(cid, "wait", t("claiming"));
    const r = await NX.call(`/v1/campaigns/${encodeURIComponent(cid)}/claims`, {
      method: "POST", token, body: chosen, key, attempts: 6,
      onRetry: (n) => note(cid, "wait", t("retrying", { n })),
    });
    state.claiming.delete(cid);
    if (r.status === 401) return signedOut();
    let outcome = "bad";
    if (r.status === 201) {
      sessionStorage.removeItem(keyName);
      note(cid, "ok", t("claimed"));
      follow(cid, r.doc.claim_id);
      outcome = "ok";
    } else if (r.status >= 400 && r.status < 500 && r.status !== 429) {
      sessionStorage.removeItem(keyName);
      let words = NX.problem(r.doc);
      if (r.doc && r.doc.next_wave_at) words += " · " + t("next_wave", { t: NX.when(r.doc.next_wave_at) });
      if (r.doc && r.doc.failed_rule && typeof r.doc.failed_rule === "object") words += "：" + NX.rule(r.doc.failed_rule);
      note(cid, "bad", words);
    } else {
      note(cid, "bad", NX.problem(r.doc)); // the key is kept: the next tap asks again
    }
    await load();
    return outcome;
  }

  // The voucher follows the claim within seconds; then it is in "my vouchers".
  async function follow(cid, claimId) {
    for (let i = 0; i < 60; i++) {
      await NX.sleep(1000);
      const r = await NX.call(`/v1/claims/${encodeURIComponent(claimId)}`, { token });
      if (r.status === 200 && r.doc.status === "issued") {
        note(cid, "ok", t("issued"));
        return load();
      }
    }
  }

  // -- vouchers ----------------------------------------------------------------
  function stateOf(v) {
    if (v.booking && v.booking.cancelled) return "cancelled";
    if (v.status === "revoked") return "revoked";
    if (v.status === "redeemed" || v.balance_fen === 0) return "used";
    if (v.status === "expired" || Date.parse(v.valid_until) <= Date.now()) return "expired";
    return v.balance_fen < v.face_value_fen ? "part" : "unused";
  }

  function qrImage(v) {
    const img = el("img", { class: "qr", alt: t("code.show"), dataset: { claim: v.claim_id } });
    const show = (url) => { img.src = url; };
    if (state.qr[v.claim_id]) show(state.qr[v.claim_id]);
    else {
      fetch(`/v1/me/vouchers/${encodeURIComponent(v.claim_id)}/qr.svg`, {
        headers: { Authorization: "Bearer " + token },
      }).then((r) => (r.ok ? r.blob() : null)).then((blob) => {
        if (!blob) return;
        state.qr[v.claim_id] = URL.createObjectURL(blob);
        show(state.qr[v.claim_id]);
      }).catch(() => {});
    }
    return img;
  }

  function voucherCard(v) {
    const s = stateOf(v);
    const unplaced = v.pickup && v.pickup.station_id === "?"; // its station is still to choose
    const usable = s === "unused" || s === "part";
    const badge = s === "part" ? t("state.part", { b: NX.money(v.balance_fen) }) : t("state." + s);
    return el("article", { class: "card voucher" + (usable ? "" : " done"), dataset: { claim: v.claim_id, state: s } },
      el("h2", {}, NX.name(v, "campaign_"), " ", el("span", { class: "badge " + s, text: badge })),
      el("div", { class: "value", text: v.discount ? NX.discount(v.discount) : NX.money(v.face_value_fen) }),
      el("div", { class: "facts", text: t("valid_until", { t: NX.when(v.valid_until, "date") }) }),
      unplaced && usable
        ? el("button", { class: "primary choose-station", type: "button", onclick: () => pickFor(v) }, t("station.later"))
        : v.pickup ? el("p", { class: "pickup" }, t("station.pickup"), el("strong", { text: v.pickup.name }),
          ` ${v.pickup.district}${v.pickup.address ? " · " + v.pickup.address : ""}`) : null,
      v.booking ? bookingPart(v, usable) : null,
      // A cash subsidy is paid to the bank account: nothing to show at a till.
      v.payout ? el("p", { class: "payout", text: t(s === "used" ? "payout.paid" : "payout.owed") }) : null,
      usable && !v.payout && !unplaced ? qrImage(v) : null,
      usable && !v.payout && !unplaced ? el("p", { class: "muted", text: t("code.show") }) : null,
      // The short code, for a till whose camera fails: twelve symbols it can type.
      v.payout ? null : el("p", { class: "code", dataset: { code: v.short_code }, "aria-label": t("code.typed") },
        v.short_code));
  }

  // The slot booked, when to come, and a cancel button until the slot's deadline.
  function bookingPart(v, usable) {
    const b = v.booking;
    const open = usable && Date.parse(b.cancel_until) > Date.now();
    return el("div", { class: "booking", dataset: { slot: b.slot_id } },
      el("p", {}, t("slot.booked"), el("strong", { text: `${b.service} · ${b.provider_name}` })),
      el("p", { class: "facts", text: NX.when(b.starts_at) + "–" + NX.when(b.ends_at, "hm") }),
      usable ? el("p", { class: "muted", text: t("slot.check_in", { t: NX.when(b.check_in_from) }) }) : null,
      open ? el("button", { class: "secondary cancel", type: "button", onclick: () => cancelBooking(v) },
        t("slot.cancel", { t: NX.when(b.cancel_until) })) : null);
  }

  function renderVouchers() {
    const box = document.getElementById("vouchers");
    if (state.vouchers === null) return box.replaceChildren(el("p", { class: "muted", text: t("loading") }));
    if (!state.vouchers.length) return box.replaceChildren(el("p", { class: "card", text: t("empty.vouchers") }));
    const order = { unused: 0, part: 1, used: 2, expired: 3, revoked: 4, cancelled: 5 };
    const sorted = [...state.vouchers].sort((a, b) => order[stateOf(a)] - order[stateOf(b)]);
    box.replaceChildren(...sorted.map(voucherCard));
  }

  // -- the page ----------------------------------------------------------------
  function tab(which) {
    for (const name of ["programmes", "vouchers"]) {
      document.getElementById("tab-" + name).setAttribute("aria-selected", String(name === which));
      document.getElementById(name).hidden = name !== which;
    }
  }

  function tick() {
    let due = false;
    for (const span of document.querySelectorAll("[data-until]")) {
      const left = Date.parse(span.dataset.until) - Date.now();
      span.textContent = NX.duration(left);
      if (left <= 0 && left > -3000) due = true;
    }
    if (due) load(); // the moment it opens: the button appears
  }

  if (!token) return signedOut();
  document.getElementById("app").hidden = false;
  document.getElementById("tab-programmes").addEventListener("click", () => tab("programmes"));
  document.getElementById("tab-vouchers").addEventListener("click", () => tab("vouchers"));
  document.getElementById("picker-close").addEventListener("click", closePicker);
  document.getElementById("slot-close").addEventListener("click", closeSlots);
  document.getElementById("slot-day").addEventListener("change", findSlots);
  let searching = null;
  document.getElementById("station-q").addEventListener("input", () => {
    clearTimeout(searching);
    searching = setTimeout(findStations, 250); // as the worker types, not on every key
  });
  renderProgrammes();
  load();
  setInterval(tick, 1000);
  setInterval(load, 30000);
})();
