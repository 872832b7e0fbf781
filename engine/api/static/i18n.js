// Words, money and times for every page: Simplified Chinese first, English beside it.
// The language is the reader's choice (the switch, kept in localStorage), else the
// browser's first language when it is English, else Chinese. Problem titles from the
// API stay English for machines; a page shows its own words for each problem type.
(function () {
  "use strict";
  const WORDS = {
    zh: {
      "lang.switch": "English",
      "app.worker": "暖心福利",
      "app.merchant": "暖心券核销",
      "app.ops": "暖心福利 · 运营看板",
      "tab.programmes": "可领福利",
      "tab.vouchers": "我的券",
      "login.worker": "请在工会 App 中打开此页面。",
      "login.token": "登录凭证",
      "login.store_key": "门店密钥",
      "login.ops_token": "运营令牌",
      "login.open": "进入",
      "login.bad_key": "密钥无效或已停用",
      "logout": "退出",
      "loading": "加载中…",
      "offline": "网络连接中断，正在重试…",
      "empty.programmes": "目前没有可领取的福利。",
      "empty.vouchers": "还没有券。领取成功后会显示在这里。",
      "empty.day": "今天还没有核销记录。",
      "value": "面额",
      "value.range": "{low}–{high}（可选）",
      "valid_until": "有效期至 {t}",
      "left_now": "当前余量 {n}",
      "opens_at": "{t} 开抢",
      "opens_in": "距开抢 {d}",
      "next_wave": "下一波 {t}",
      "waves": "分批放券：{list}",
      "held": "已领 {n}/{m}",
      "claim": "立即领取",
      "station.choose": "选择服务站并领取",
      "period.day": "本日",
      "period.week": "本周",
      "period.month": "本月",
      "limit.period": "{p}还可领 {n} 张（限 {m} 张）",
      "limit.cap": "{p}福利额度余 {a}（共 {m}）",
      "lottery.register": "报名抽签（{t} 开奖）",
      "lottery.registering": "正在报名…",
      "lottery.entered": "报名成功！开奖后在此查看结果。",
      "lottery.registered": "已报名，{t} 开奖",
      "lottery.won": "恭喜中签！券已发放，请在“我的券”中查看。",
      "lottery.lost": "很遗憾，未中签。",
      "lottery.drawn": "已开奖",
      "station.for": "{name}：选择领取服务站",
      "station.search": "按区、名称或地址搜索服务站",
      "station.left": "余 {n} 份",
      "station.here": "在此领取",
      "station.none": "没有符合的服务站（或均已领完）",
      "station.back": "返回",
      "station.pickup": "领取地点：",
      "slot.choose": "选择时段并预约",
      "slot.for": "{name}：选择预约时段",
      "slot.day": "日期",
      "slot.left": "余 {n} 个名额",
      "slot.book": "预约",
      "slot.none": "这一天没有可预约的时段",
      "slot.booked": "已预约：",
      "slot.check_in": "请于 {t} 起到场签到",
      "slot.cancel": "取消预约（{t} 前可取消）",
      "slot.cancel_confirm": "确定取消这个预约吗？名额将让给其他职工。",
      "slot.cancelled": "预约已取消",
      "state.cancelled": "已取消",
      "payout.owed": "补贴将分批发放至您登记的银行账户",
      "payout.paid": "补贴已发放至您的银行账户",
      "claiming": "正在领取…",
      "retrying": "网络不稳，正在重试（第 {n} 次）…",
      "claimed": "领取成功！券正在发放，稍后在“我的券”中查看。",
      "issued": "券已到账。",
      "reason.paused": "活动暂停中，请稍后再来",
      "reason.not-open-yet": "尚未开始",
      "reason.claim-window-closed": "不在领取时间内",
      "reason.not-eligible": "不符合领取条件",
      "reason.registration-required": "此项为抽签发放：请报名，中签后发券",
      "reason.limit-reached": "已达到领取上限",
      "reason.sold-out": "已抢完",
      "state.unused": "未使用",
      "state.part": "部分使用 · 余额 {b}",
      "state.used": "已使用",
      "state.expired": "已过期",
      "state.revoked": "已作废",
      "code.typed": "券码",
      "code.show": "出示二维码给收银员扫描",
      "scan": "扫码",
      "scan.stop": "停止扫码",
      "scan.hint": "将券的二维码对准取景框",
      "scan.no_camera": "无法打开摄像头，请手动输入券码",
      "code.paste": "或输入 / 粘贴券码",
      "verify": "查验",
      "redeem": "核销",
      "redeem.amount": "核销金额（元，不填为全部余额）",
      "redeem.ok": "核销成功 {a}",
      "redeem.order": "订单金额（元）",
      "shortfall": "还差 {a}",
      "redeem.discounted": "优惠 {a}，应付 {pay}",
      "discount.percent_off": "{zhe}折，最多减{cap}",
      "discount.free": "免费，最多{cap}",
      "discount.tier": "满{min}减{off}",
      "verify.ok": "券有效，可以核销",
      "verify.not": "不能核销：{why}",
      "verify.reason.not-yet-issued": "券尚在发放中，请稍后再试",
      "verify.reason.not-enrolled": "本店不在此福利的受理商户中",
      "day.title": "今日核销",
      "day.reversed": "已撤销 {a}",
      "reverse": "撤销",
      "reverse.confirm": "确定撤销这笔 {a} 的核销吗？",
      "reverse.ok": "已撤销 {a}",
      "as_of": "更新于 {t}",
      "rule.in": "{field}须为：{value}",
      "rule.not_in": "{field}不能为：{value}",
      "rule.eq": "{field}须为{value}",
      "rule.ne": "{field}不能为{value}",
      "rule.gte": "{field}至少为 {value}",
      "rule.lte": "{field}至多为 {value}",
      "yes": "是",
      "no": "否",
      "field.category": "职业",
      "field.hukou_city": "户籍城市",
      "field.origin_city": "来源城市",
      "field.first_job_in_city": "首次在苏就业",
      "field.contract_months": "劳动合同期（月）",
      "field.social_insurance_months": "社保缴纳（月）",
      "field.hardship": "困难职工",
      "field.registered_on": "入会日期",
      "field.staying_for_festival": "春节留苏过年",
      "field.bank_account": "银行账号",
      "field.profile": "会员资料",
      "category.delivery_rider": "外卖骑手",
      "category.courier": "快递员",
      "category.truck_driver": "货车司机",
      "category.ride_hailing_driver": "网约车司机",
      "category.other_new_employment": "其他新就业形态劳动者",
      "problem.sold-out": "已抢完",
      "problem.limit-reached": "已达到领取上限",
      "problem.not-eligible": "不符合领取条件",
      "problem.claim-window-closed": "不在领取时间内",
      "problem.registration-required": "此项为抽签发放，请先报名",
      "problem.already-redeemed": "该券已核销",
      "problem.insufficient-balance": "金额超出券的余额",
      "problem.order-below-threshold": "订单金额未达到满减门槛",
      "problem.station-out-of-stock": "该服务站已领完，请选择其他服务站",
      "problem.station-closed": "该服务站已关闭，请选择其他服务站",
      "problem.another-station": "须在领取时所选的服务站（或预约的服务机构）使用",
      "problem.station-not-chosen": "尚未选择领取服务站",
      "station.later": "选择领取服务站",
      "problem.slot-started": "该时段已开始，请选择其他时段",
      "problem.cancel-deadline-passed": "已过取消时限，无法取消预约",
      "problem.case-closed": "该案件已结案",
      "problem.too-early": "未到签到时间",
      "problem.expired": "券已过期",
      "problem.revoked": "券已被工会作废",
      "problem.invalid-code": "券码无效",
      "problem.not-found": "未找到",
      "problem.forbidden": "无权进行此操作",
      "problem.unauthorized": "凭证无效或已过期，请重新进入",
      "problem.rate-limited": "操作太频繁，请稍后再试",
      "problem.too-many-attempts": "失败次数过多，请稍后再试",
      "problem.overloaded": "人太多了，正在排队重试…",
      "problem.unavailable": "服务暂时不可用，请稍后再试",
      "problem.request-in-progress": "正在处理中…",
      "problem.reversal-window-closed": "已超过可撤销时间",
      "problem.validation-error": "输入有误",
      "problem.idempotency-key-reused": "此次操作与之前的请求不一致，请重新扫码或刷新后再试",
      "problem.conflict": "与已有记录冲突",
      "problem.network": "网络连接失败",
      "already_redeemed_at": "于 {t} 核销",
      "ops.claims_per_s": "每秒领取",
      "ops.redeemed_per_s": "每秒核销",
      "ops.stock_left": "剩余库存占比",
      "ops.backlog": "待发放（已领取未出券）",
      "ops.programme": "福利项目",
      "ops.status": "状态",
      "ops.admitted": "已领取",
      "ops.issued": "已发放",
      "ops.redeemed": "已核销",
      "ops.remaining": "剩余",
      "ops.budget_left": "剩余预算",
      "ops.rate": "每秒领取（近1分钟）",
      "ops.refusals": "拒绝原因",
      "ops.runs_out": "预计抢完",
      "ops.slots_of": "{name}：各时段预约情况",
      "ops.slot_time": "时段",
      "ops.provider": "服务机构",
      "ops.service": "服务",
      "ops.fill": "已约 / 名额",
      "ops.checked_in": "已签到",
      "ops.no_shows": "爽约",
      "ops.cancelled": "已取消",
      "case.open": "待审核案件（{n}）",
      "case.none": "暂无待审核案件",
      "case.opened_at": "发现时间",
      "case.rule": "规则",
      "case.subject": "对象",
      "case.evidence": "涉及核销笔数",
      "case.merchants": "商户",
      "case.actions": "处理",
      "case.hold": "暂停结算",
      "case.held": "结算已暂停",
      "case.clear": "排除嫌疑",
      "case.confirm": "确认套现",
      "case.rule.many-workers-at-one-store": "单店短时大量不同职工核销",
      "case.rule.outside-opening-hours": "非营业时间核销",
      "case.rule.terminal-at-several-merchants": "同一终端出现在多个商户",
      "case.rule.worker-at-several-stores": "职工短时在多家门店核销",
      "case.rule.round-spends-to-zero": "储值卡整额清零",
      "case.rule.mostly-reversed": "门店核销多数被撤销",
      "ops.never": "—",
      "status.open": "进行中",
      "status.scheduled": "待开始",
      "status.paused": "已暂停",
      "status.closed": "已结束",
      "status.draft": "草稿",
    },
    en: {
      "lang.switch": "中文",
      "app.worker": "Nuanxin benefits",
      "app.merchant": "Nuanxin voucher redemption",
      "app.ops": "Nuanxin benefits · operations",
      "tab.programmes": "Benefits",
      "tab.vouchers": "My vouchers",
      "login.worker": "Open this page from the union's app.",
      "login.token": "Sign-in token",
      "login.store_key": "Store key",
      "login.ops_token": "Operations token",
      "login.open": "Open",
      "login.bad_key": "The key is not valid or was revoked",
      "logout": "Sign out",
      "loading": "Loading…",
      "offline": "Connection lost; retrying…",
      "empty.programmes": "No benefits to claim right now.",
      "empty.vouchers": "No vouchers yet. A claimed one shows here.",
      "empty.day": "No redemptions today yet.",
      "value": "Value",
      "value.range": "{low}–{high} (your choice)",
      "valid_until": "Valid until {t}",
      "left_now": "{n} left now",
      "opens_at": "Opens {t}",
      "opens_in": "Opens in {d}",
      "next_wave": "Next release {t}",
      "waves": "Released in waves: {list}",
      "held": "Claimed {n} of {m}",
      "claim": "Claim now",
      "station.choose": "Choose a station and claim",
      "period.day": "today",
      "period.week": "this week",
      "period.month": "this month",
      "limit.period": "{n} of {m} left {p}",
      "limit.cap": "{a} of {m} benefit allowance left {p}",
      "lottery.register": "Enter the draw (drawn {t})",
      "lottery.registering": "Entering…",
      "lottery.entered": "Entered! The result shows here after the draw.",
      "lottery.registered": "Entered; drawn {t}",
      "lottery.won": "You won! Your voucher is in My vouchers.",
      "lottery.lost": "Not drawn this time.",
      "lottery.drawn": "Drawn",
      "station.for": "{name}: choose where to pick it up",
      "station.search": "Search stations by district, name or address",
      "station.left": "{n} left",
      "station.here": "Pick up here",
      "station.none": "No station matches (or none has any left)",
      "station.back": "Back",
      "station.pickup": "Pick up at: ",
      "slot.choose": "Choose a time and book",
      "slot.for": "{name}: choose a time",
      "slot.day": "Date",
      "slot.left": "{n} places left",
      "slot.book": "Book",
      "slot.none": "No free time on this day",
      "slot.booked": "Booked: ",
      "slot.check_in": "Check in from {t}",
      "slot.cancel": "Cancel the booking (until {t})",
      "slot.cancel_confirm": "Cancel this booking? Its place goes to another worker.",
      "slot.cancelled": "Booking cancelled",
      "state.cancelled": "Cancelled",
      "payout.owed": "Paid to your registered bank account in the next batch",
      "payout.paid": "Paid to your bank account",
      "claiming": "Claiming…",
      "retrying": "Weak network; trying again ({n})…",
      "claimed": "Claimed! Your voucher is on its way; see My vouchers.",
      "issued": "Your voucher has arrived.",
      "reason.paused": "Paused for now; come back later",
      "reason.not-open-yet": "Not open yet",
      "reason.claim-window-closed": "Outside the claim period",
      "reason.not-eligible": "You do not qualify",
      "reason.registration-required": "Given by lottery: register, and winners get vouchers at the draw",
      "reason.limit-reached": "You have claimed the most allowed",
      "reason.sold-out": "All claimed",
      "state.unused": "Unused",
      "state.part": "Part used · {b} left",
      "state.used": "Used",
      "state.expired": "Expired",
      "state.revoked": "Revoked",
      "code.typed": "Code",
      "code.show": "Show the QR code to the cashier",
      "scan": "Scan",
      "scan.stop": "Stop scanning",
      "scan.hint": "Point the camera at the voucher's QR code",
      "scan.no_camera": "The camera cannot be opened; type the code instead",
      "code.paste": "Or type / paste the code",
      "verify": "Check",
      "redeem": "Redeem",
      "redeem.amount": "Amount in yuan (empty: the whole balance)",
      "redeem.ok": "Redeemed {a}",
      "redeem.order": "Order amount in yuan",
      "shortfall": "{a} short",
      "redeem.discounted": "{a} off, {pay} to pay",
      "discount.percent_off": "{p}% off, at most {cap}",
      "discount.free": "Free, up to {cap}",
      "discount.tier": "{off} off orders of {min} or more",
      "verify.ok": "Genuine and redeemable",
      "verify.not": "Cannot be redeemed: {why}",
      "verify.reason.not-yet-issued": "Still being issued; try again shortly",
      "verify.reason.not-enrolled": "This store does not accept this benefit",
      "day.title": "Today's redemptions",
      "day.reversed": "{a} reversed",
      "reverse": "Reverse",
      "reverse.confirm": "Reverse this redemption of {a}?",
      "reverse.ok": "{a} reversed",
      "as_of": "As of {t}",
      "rule.in": "{field} must be one of: {value}",
      "rule.not_in": "{field} must not be: {value}",
      "rule.eq": "{field} must be {value}",
      "rule.ne": "{field} must not be {value}",
      "rule.gte": "{field} must be at least {value}",
      "rule.lte": "{field} must be at most {value}",
      "yes": "yes",
      "no": "no",
      "field.category": "Occupation",
      "field.hukou_city": "Household registration city",
      "field.origin_city": "Home city",
      "field.first_job_in_city": "First job in Suzhou",
      "field.contract_months": "Labour contract (months)",
      "field.social_insurance_months": "Social insurance paid (months)",
      "field.hardship": "Hardship status",
      "field.registered_on": "Joined the union on",
      "field.staying_for_festival": "Staying in Suzhou for the Spring Festival",
      "field.bank_account": "Bank account",
      "field.profile": "Member profile",
      "category.delivery_rider": "delivery rider",
      "category.courier": "courier",
      "category.truck_driver": "truck driver",
      "category.ride_hailing_driver": "ride-hailing driver",
      "category.other_new_employment": "other new-employment worker",
      "problem.sold-out": "All claimed",
      "problem.limit-reached": "You have claimed the most allowed",
      "problem.not-eligible": "You do not qualify",
      "problem.claim-window-closed": "Outside the claim period",
      "problem.registration-required": "Given by lottery: register first",
      "problem.already-redeemed": "Already redeemed",
      "problem.insufficient-balance": "More than the voucher has left",
      "problem.order-below-threshold": "The order is below the discount's lowest threshold",
      "problem.station-out-of-stock": "None left at this station; choose another",
      "problem.station-closed": "This station is closed; choose another",
      "problem.another-station": "Only at the station chosen when claiming (or the provider booked)",
      "problem.station-not-chosen": "Its station is not chosen yet",
      "station.later": "Choose where to pick it up",
      "problem.slot-started": "This time has started; choose another",
      "problem.cancel-deadline-passed": "Too late to cancel this booking",
      "problem.case-closed": "The case is closed",
      "problem.too-early": "Too early to check in",
      "problem.expired": "The voucher has expired",
      "problem.revoked": "The union revoked this voucher",
      "problem.invalid-code": "Not a valid voucher code",
      "problem.not-found": "Not found",
      "problem.forbidden": "Not allowed",
      "problem.unauthorized": "Signed out or expired; open the page again",
      "problem.rate-limited": "Too many requests; wait a moment",
      "problem.too-many-attempts": "Too many failed tries; wait a moment",
      "problem.overloaded": "Very busy; queueing and trying again…",
      "problem.unavailable": "Temporarily unavailable; try again shortly",
      "problem.request-in-progress": "Still working on it…",
      "problem.idempotency-key-reused": "This differs from the request first sent; scan again or reload",
      "problem.reversal-window-closed": "Too late to reverse",
      "problem.validation-error": "Check what you entered",
      "problem.conflict": "Conflicts with an existing record",
      "problem.network": "Could not connect",
      "already_redeemed_at": "redeemed at {t}",
      "ops.claims_per_s": "Claims per second",
      "ops.redeemed_per_s": "Redemptions per second",
      "ops.stock_left": "Share of stock left",
      "ops.backlog": "Backlog (claimed, not yet issued)",
      "ops.programme": "Programme",
      "ops.status": "Status",
      "ops.admitted": "Claimed",
      "ops.issued": "Issued",
      "ops.redeemed": "Redeemed",
      "ops.remaining": "Left",
      "ops.budget_left": "Budget left",
      "ops.rate": "Claims/s (1 min)",
      "ops.refusals": "Refusals",
      "ops.runs_out": "Runs out",
      "ops.slots_of": "{name}: bookings by slot",
      "ops.slot_time": "Time",
      "ops.provider": "Provider",
      "ops.service": "Service",
      "ops.fill": "Booked / places",
      "ops.checked_in": "Checked in",
      "ops.no_shows": "No-shows",
      "ops.cancelled": "Cancelled",
      "case.open": "Open cases ({n})",
      "case.none": "No open cases",
      "case.opened_at": "Found",
      "case.rule": "Rule",
      "case.subject": "Subject",
      "case.evidence": "Redemptions",
      "case.merchants": "Merchants",
      "case.actions": "Action",
      "case.hold": "Hold settlement",
      "case.held": "Settlement held",
      "case.clear": "Clear",
      "case.confirm": "Confirm cash-out",
      "case.rule.many-workers-at-one-store": "Many workers' vouchers at one store",
      "case.rule.outside-opening-hours": "Redeemed outside opening hours",
      "case.rule.terminal-at-several-merchants": "One terminal at several merchants",
      "case.rule.worker-at-several-stores": "One worker at several stores",
      "case.rule.round-spends-to-zero": "Stored value emptied in round amounts",
      "case.rule.mostly-reversed": "Most redemptions reversed",
      "ops.never": "—",
      "status.open": "open",
      "status.scheduled": "scheduled",
      "status.paused": "paused",
      "status.closed": "closed",
      "status.draft": "draft",
    },
  };
  const TZ = "Asia/Shanghai";
  const chosen = localStorage.getItem("nuanxin-lang");
  const first = (navigator.languages && navigator.languages[0]) || navigator.language || "zh";
  let lang = chosen === "zh" || chosen === "en" ? chosen : first.toLowerCase().startsWith("en") ? "en" : "zh";
  const listeners = [];

  function t(key, vars) {
    const text = WORDS[lang][key] ?? WORDS.zh[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, k) => (vars && k in vars ? String(vars[k]) : ""));
  }

  function apply(root) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const el of (root || document).querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of (root || document).querySelectorAll("[data-i18n-placeholder]")) {
      el.placeholder = t(el.dataset.i18nPlaceholder);
    }
    for (const el of (root || document).querySelectorAll("[data-i18n-title]")) document.title = t(el.dataset.i18nTitle);
  }

  function setLang(next) {
    lang = next;
    localStorage.setItem("nuanxin-lang", next);
    apply();
    for (const fn of listeners) fn();
  }

  // The switch names the other language in its own words.
  function switcher(button) {
    button.addEventListener("click", () => setLang(lang === "zh" ? "en" : "zh"));
  }

  function money(fen) {
    return "¥" + (fen / 100).toFixed(2);
  }

  // A discount's terms as the union words them: "5折，最多减¥3.00", "满¥100.00减¥30.00".
  function discount(d) {
    if (d.kind === "percent_off") {
      return t("discount.percent_off", { zhe: (100 - d.percent) / 10, p: d.percent, cap: money(d.cap_fen) });
    }
    if (d.kind === "free") return t("discount.free", { cap: money(d.cap_fen) });
    return d.tiers.map((x) => t("discount.tier", { min: money(x.min_order_fen), off: money(x.off_fen) }))
      .join(lang === "zh" ? "，" : "; ");
  }

  const formats = {};
  function when(iso, style) {
    if (!iso) return "";
    const key = lang + (style || "full");
    formats[key] ??= new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en-GB", {
      timeZone: TZ, hour12: false,
      ...(style === "time" ? { hour: "2-digit", minute: "2-digit", second: "2-digit" }
        : style === "hm" ? { hour: "2-digit", minute: "2-digit" }
        : style === "date" ? { year: "numeric", month: "long", day: "numeric" }
        : { month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" }),
    });
    return formats[key].format(new Date(iso));
  }

  function duration(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60), sec = s % 60;
    const clock = [h, m, sec].map((n) => String(n).padStart(2, "0")).join(":");
    if (!d) return clock;
    return lang === "zh" ? `${d} 天 ${clock}` : `${d} d ${clock}`;
  }

  function name(thing, prefix) {
    const p = prefix || "";
    return (lang === "en" && thing[p + "name_en"]) || thing[p + "name"] || thing.campaign_id;
  }

  function value(field, v) {
    if (Array.isArray(v)) return v.map((x) => value(field, x)).join(lang === "zh" ? "、" : ", ");
    if (field === "category") return t("category." + v);
    if (v === true) return t("yes");
    if (v === false) return t("no");
    return String(v);
  }

  // An eligibility rule in plain words: "户籍城市须为：信阳、阜阳、宿迁".
  function rule(r) {
    if (!r || typeof r !== "object") return "";
    if (!r.field) return t("field.profile");
    return t("rule." + r.op, { field: t("field." + r.field), value: value(r.field, r.value) });
  }

  // A problem+json answer in the reader's words, from its type, never its English title.
  function problem(doc) {
    const slug = String((doc && doc.type) || "").split("/").pop();
    const key = "problem." + slug;
    return WORDS[lang][key] ? t(key) : t("problem.unavailable");
  }

  window.NX = {
    t, apply, switcher, money, discount, when, duration, name, rule, problem,
    get lang() { return lang; },
    onChange(fn) { listeners.push(fn); },
    slug(doc) { return String((doc && doc.type) || "").split("/").pop(); },
  };
  document.addEventListener("DOMContentLoaded", () => apply());
})();
