// Review page: highlight a cell's source span, recheck the totals as the reviewer types, post the review.
(function () {
  "use strict";
  const dataEl = document.getElementById("page-data");
  if (!dataEl) return;
  const data = JSON.parse(dataEl.textContent);
  const pre = document.getElementById("source-text");
  const sourceText = pre ? pre.textContent : "";
  const cells = Array.from(document.querySelectorAll("input.cell"));
  const byField = new Map(cells.map((el) => [el.dataset.field, el]));
  const resultEl = document.getElementById("result");

  // ------------------------------------------------------------ source highlighting
  function showSpans(field) {
    const p = data.provenance[field];
    showBox(p);
    if (!pre) return;
    pre.textContent = sourceText;
    if (!p || !p.span) {
      say(p ? `${field}：${methodText(p.method)}，原文中没有对应位置` : `${field}：没有来源信息`, "info");
      return;
    }
    const marks = [{ span: p.span, cls: "hl" }];
    if (p.label_span && (p.label_span[1] <= p.span[0] || p.label_span[0] >= p.span[1])) {
      marks.push({ span: p.label_span, cls: "hl-label" });
    }
    highlight(marks, field);
    say(`${field}：${methodText(p.method)}${p.note ? "（" + p.note + "）" : ""}`, "info");
  }

  // Mark spans of the source text (the first with class "hl" is scrolled to).
  function highlight(marks, field) {
    if (!pre) return;
    marks.sort((a, b) => a.span[0] - b.span[0]);
    const frag = document.createDocumentFragment();
    let pos = 0;
    let main = null;
    for (const m of marks) {
      frag.appendChild(document.createTextNode(sourceText.slice(pos, m.span[0])));
      const mark = document.createElement("mark");
      mark.className = m.cls;
      if (field) mark.dataset.field = field;
      mark.textContent = sourceText.slice(m.span[0], m.span[1]);
      frag.appendChild(mark);
      if (m.cls === "hl" || (m.cls === "hl-evidence" && !main)) main = mark;
      pos = m.span[1];
    }
    frag.appendChild(document.createTextNode(sourceText.slice(pos)));
    pre.textContent = "";
    pre.appendChild(frag);
    if (main && !pre.closest("[hidden]")) scrollPaneTo(main);
  }

  // ------------------------------------------------------------ the printed page (PDF inputs)
  const pageImage = document.getElementById("page-image");
  const pageBox = document.getElementById("page-box");
  const pageLabel = document.getElementById("page-label");
  const pageCache = new Map();
  let pageShown = 0;

  function showTab(which) {
    const page = document.getElementById("page-view");
    const text = document.getElementById("text-view");
    if (!page || !text) return;
    page.hidden = which !== "page";
    text.hidden = which !== "text";
    document.getElementById("tab-page").classList.toggle("active", which === "page");
    document.getElementById("tab-text").classList.toggle("active", which === "text");
    const mark = pre && pre.querySelector("mark.hl, mark.hl-evidence");
    if (which === "text" && mark) scrollPaneTo(mark);
  }
  if (pageImage) {
    document.getElementById("tab-page").addEventListener("click", () => showTab("page"));
    document.getElementById("tab-text").addEventListener("click", () => showTab("text"));
    document.getElementById("page-prev").addEventListener("click", () => { if (pageShown > 1) showPage(pageShown - 1); });
    document.getElementById("page-next").addEventListener("click", async () => {
      const info = await pageInfo(pageShown);
      if (info && pageShown < info.pages) showPage(pageShown + 1);
    });
  }

  async function pageInfo(n) {
    if (!pageCache.has(n)) {
      pageCache.set(n, fetch(`/v1/extractions/${data.id}/pages/${n}/boxes`, { headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : null)).catch(() => null));
    }
    return pageCache.get(n);
  }

  // Show page n (no box drawn); false when the input has no such page.
  async function showPage(n) {
    const info = await pageInfo(n);
    if (!info) return false;
    if (pageShown !== n) {
      pageImage.src = info.image;
      pageShown = n;
      pageBox.hidden = true;
    }
    pageLabel.textContent = `第 ${n} 页 / 共 ${info.pages} 页`;
    document.getElementById("page-prev").disabled = n <= 1;
    document.getElementById("page-next").disabled = n >= info.pages;
    return info;
  }

  async function showBox(p) {
    if (!pageImage) return;
    if (!p || !p.box) {
      pageBox.hidden = true;
      return;
    }
    const shown = pageShown;
    const info = await showPage(p.box.page);
    if (!info) { say("无法载入该页图像", "error"); return; }
    if (shown !== p.box.page) pageBox.hidden = true;
    // the box in the served image's pixels, drawn in percent so it follows the image's display size
    const f = info.dpi / (p.box.dpi || 72);
    const pad = 2;
    pageBox.style.left = `${((p.box.x0 * f - pad) / info.width) * 100}%`;
    pageBox.style.top = `${((p.box.y0 * f - pad) / info.height) * 100}%`;
    pageBox.style.width = `${(((p.box.x1 - p.box.x0) * f + 2 * pad) / info.width) * 100}%`;
    pageBox.style.height = `${(((p.box.y1 - p.box.y0) * f + 2 * pad) / info.height) * 100}%`;
    pageBox.hidden = false;
    pageBox.dataset.page = String(p.box.page);
    const pane = document.getElementById("source-pane");
    const scrollToBox = () => {
      const offset = pageBox.getBoundingClientRect().top - pane.getBoundingClientRect().top;
      pane.scrollTop += offset - pane.clientHeight / 2;
    };
    if (pageImage.complete && pageImage.naturalWidth) scrollToBox(); else pageImage.onload = scrollToBox;
  }

  // Scroll only the source pane (scrollIntoView would also move the page and hide the tables).
  function scrollPaneTo(el) {
    const pane = document.getElementById("source-pane");
    const offset = el.getBoundingClientRect().top - pane.getBoundingClientRect().top;
    pane.scrollTop += offset - pane.clientHeight / 2;
  }

  function methodText(method) {
    return {
      grid_cell: "表格单元格",
      text_token: "正文数字",
      split_run: "拆分连写数字",
      blank_cell: "空白单元格记为 0",
      absent_cell: "原文未印出此格，由合计推定为 0",
      prose: "从正文叙述中读出",
      row_absent: "报告未列此行，记为 0",
      position: "按位置推定（无行标签）",
      candidate: "多种拆分之一，未确定",
      llm: "语言模型给出",
      converted: "换算得出",
    }[method] || method;
  }

  for (const el of cells) {
    el.addEventListener("focus", () => {
      for (const c of document.querySelectorAll("input.cell.selected")) c.classList.remove("selected");
      el.classList.add("selected");
      showSpans(el.dataset.field);
    });
    el.addEventListener("input", () => { recheck(); typedInRun(el.dataset.field); });
  }

  // ------------------------------------------------------------ values and checks
  const PATTERNS = { int: /^-?\d+$/, signed: /^-?\d+$/, amount: /^-?\d+(\.\d+)?$/ };

  function readCell(el) {
    const raw = el.value.trim().replace(/,/g, "");
    if (raw === "") return 0;  // FORMAT.md: a blank cell is 0
    if (!(PATTERNS[el.dataset.kind] || PATTERNS.int).test(raw)) return null;
    return Number(raw);
  }

  function currentRecord() {
    const rec = JSON.parse(JSON.stringify(data.record));
    let invalid = [];
    for (const el of cells) {
      const v = readCell(el);
      if (v === null) { invalid.push(el.dataset.field); continue; }
      setPath(rec, el.dataset.field, v);
    }
    const org = document.querySelector('.meta-field[data-field="organization"]');
    if (org) rec.organization = org.value.trim();
    return { rec, invalid };
  }

  function parsePath(field) {
    const parts = [];
    for (const piece of field.split(".")) {
      const m = /^(\w+)\[(\d+)\]$/.exec(piece);
      if (m) { parts.push(m[1], Number(m[2])); } else { parts.push(piece); }
    }
    return parts;
  }

  function getPath(obj, field) {
    let o = obj;
    for (const k of parsePath(field)) { if (o == null) return undefined; o = o[k]; }
    return o;
  }

  function setPath(obj, field, value) {
    const parts = parsePath(field);
    let o = obj;
    for (let i = 0; i < parts.length - 1; i++) {
      if (o[parts[i]] == null) o[parts[i]] = typeof parts[i + 1] === "number" ? [] : {};
      o = o[parts[i]];
    }
    o[parts[parts.length - 1]] = value;
  }

  function sum(xs) { return xs.reduce((a, b) => a + b, 0); }

  // The four consistency rules of FORMAT.md, mirrored from extractor/checks.py.
  function runChecks(rec) {
    const apps = rec.applications || {};
    const rl = rec.review_litigation || {};
    const out = { row_total: [], processed_total: [], balance: [], review_total: [] };
    const a = (k) => apps[k] || [0, 0, 0, 0, 0, 0, 0];
    for (const key of data.row_keys) {
      const v = a(key);
      const s = sum(v.slice(0, 6));
      if (s !== v[6]) {
        out.row_total.push({ cells: v.map((_, i) => `applications.${key}[${i}]`), msg: `${key}: ${s} ≠ ${v[6]}` });
      }
    }
    for (let c = 0; c < 7; c++) {
      const s = sum(data.outcome_keys.map((k) => a(k)[c]));
      const t = a("total_processed")[c];
      if (s !== t) {
        out.processed_total.push({
          cells: [`applications.total_processed[${c}]`, ...data.outcome_keys.map((k) => `applications.${k}[${c}]`)],
          msg: `列${c + 1}: ${s} ≠ ${t}`,
        });
      }
      const left = a("new_received")[c] + a("carried_over")[c];
      const right = a("total_processed")[c] + a("carried_forward")[c];
      if (left !== right) {
        out.balance.push({
          cells: ["new_received", "carried_over", "total_processed", "carried_forward"].map((k) => `applications.${k}[${c}]`),
          msg: `列${c + 1}: ${left} ≠ ${right}`,
        });
      }
    }
    for (const key of data.review_keys) {
      const v = rl[key] || [0, 0, 0, 0, 0];
      const s = sum(v.slice(0, 4));
      if (s !== v[4]) {
        out.review_total.push({ cells: v.map((_, i) => `review_litigation.${key}[${i}]`), msg: `${key}: ${s} ≠ ${v[4]}` });
      }
    }
    return out;
  }

  function recheck() {
    const { rec, invalid } = currentRecord();
    for (const el of cells) {
      el.classList.remove("fail", "fail-strong");
      el.classList.toggle("invalid", invalid.includes(el.dataset.field));
      const orig = getPath(data.extracted, el.dataset.field);
      const now = readCell(el);
      el.classList.toggle("edited", now !== null && orig !== undefined && Number(orig) !== now);
    }
    const results = runChecks(rec);
    for (const [rule, failures] of Object.entries(results)) {
      const li = document.getElementById(`check-${rule}`);
      if (!li) continue;
      li.classList.toggle("ok", failures.length === 0);
      li.classList.toggle("fail", failures.length > 0);
      li.querySelector(".mark").textContent = failures.length ? "✗" : "✓";
      li.querySelector(".detail").textContent = failures.length
        ? `（${failures.length} 处：${failures.slice(0, 3).map((f) => f.msg).join("；")}${failures.length > 3 ? "…" : ""}）`
        : "";
      for (const f of failures) {
        f.cells.forEach((field, i) => {
          const el = byField.get(field);
          if (!el) return;
          el.classList.add("fail");
          // the total cell of a failing sum is the first (row rules: the last) named
          if ((rule === "row_total" || rule === "review_total") ? i === f.cells.length - 1 : i === 0) {
            el.classList.add("fail-strong");
          }
        });
      }
    }
    document.body.dataset.checks = Object.values(results).every((f) => f.length === 0) ? "ok" : "fail";
    updateReady();
    return { rec, invalid, results };
  }

  // Server findings other than the four rules (e.g. unsettled splits) stay marked until resubmitted.
  for (const f of data.findings) {
    if (data.rules[f.rule]) continue;
    for (const field of f.cells || []) {
      const el = byField.get(field);
      if (el) { el.classList.add(f.severity === "info" ? "note" : "flag"); el.title += ` · ${f.rule}: ${f.message}`; }
    }
  }

  // ------------------------------------------------------------ readings of glued runs
  const runs = data.runs || [];
  const confirmed = runs.map(() => null);   // null | rank | "hand"
  let current = 0;

  function chooseReading(i, rank) {
    const run = runs[i];
    const reading = run && run.readings.find((r) => r.rank === rank);
    if (!reading) return;
    run.fields.forEach((field, k) => {
      const el = byField.get(field);
      if (el) el.value = String(reading.values[k]);
    });
    confirmed[i] = rank;
    recheck();
    markRun(i);
    say(`已选读法 ${rank}：${reading.values.join(" / ")}`, "info");
    const next = runs.findIndex((_, k) => confirmed[k] === null);
    setCurrent(next >= 0 ? next : i);
  }

  function typedInRun(field) {
    runs.forEach((run, i) => {
      if (!run.fields.includes(field)) return;
      const now = run.fields.map((f) => readCell(byField.get(f)));
      const same = run.readings.find((r) => r.values.every((v, k) => Number(v) === now[k]));
      confirmed[i] = same ? same.rank : "hand";
      markRun(i);
    });
  }

  function markRun(i) {
    const block = document.getElementById(`run-${i}`);
    for (const b of block.querySelectorAll("button.reading")) {
      b.classList.toggle("chosen", Number(b.dataset.rank) === confirmed[i]);
    }
    const reading = runs[i].readings.find((r) => r.rank === confirmed[i]);
    block.querySelector(".chosen-summary").textContent = confirmed[i] === null ? ""
      : confirmed[i] === "hand" ? "· 已手工填写" : `· 已选 ${confirmed[i]}：${reading.values.join(" / ")}`;
    const li = document.getElementById(`run-check-${i}`);
    li.classList.toggle("ok", confirmed[i] !== null);
    li.classList.toggle("fail", confirmed[i] === null);
    li.querySelector(".mark").textContent = confirmed[i] !== null ? "✓" : "✗";
    li.querySelector(".detail").textContent = confirmed[i] === null ? "读法待确认"
      : confirmed[i] === "hand" ? "已手工填写" : `已选读法 ${confirmed[i]}`;
    updateReady();
  }

  function setCurrent(i) {
    if (!runs.length) return;
    current = (i + runs.length) % runs.length;
    runs.forEach((_, k) => document.getElementById(`run-${k}`).classList.toggle("current", k === current));
    const first = byField.get(runs[current].fields[0]);
    if (first) {
      for (const c of document.querySelectorAll("input.cell.selected")) c.classList.remove("selected");
      first.classList.add("selected");
      showSpans(runs[current].fields[0]);
    }
  }

  function unconfirmed() { return confirmed.filter((c) => c === null).length; }

  function updateReady() {
    const checks = document.body.dataset.checks;
    document.body.dataset.runs = unconfirmed() ? "open" : "ok";
    document.body.dataset.ready2accept = checks === "ok" && !unconfirmed() ? "1" : "0";
  }

  for (const h of document.querySelectorAll("#readings h3[data-run]")) {
    h.addEventListener("click", () => setCurrent(Number(h.dataset.run)));
  }
  for (const btn of document.querySelectorAll("button.reading")) {
    btn.addEventListener("click", () => chooseReading(Number(btn.dataset.run), Number(btn.dataset.rank)));
  }
  for (const li of document.querySelectorAll("#readings li.ev[data-code=prose]")) {
    li.addEventListener("click", () => {
      const btn = li.closest(".reading-item").querySelector("button.reading");
      const run = runs[Number(btn.dataset.run)];
      const reading = run.readings.find((r) => r.rank === Number(btn.dataset.rank));
      const ev = reading.evidence.find((e) => e.code === "prose" && e.span);
      if (ev) { showTab("text"); highlight([{ span: ev.span, cls: "hl-evidence" }]); }
    });
  }

  // Keys (not while typing in a field): 1-9 choose, J/K next/previous run, A accept, R reject,
  // N/P next/previous report of the queue.
  document.addEventListener("keydown", (ev) => {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) {
      if (ev.key === "Escape") t.blur();
      return;
    }
    const key = ev.key.toLowerCase();
    if (/^[1-9]$/.test(key) && runs.length) {
      chooseReading(current, Number(key));
    } else if (key === "j") {
      setCurrent(current + 1);
    } else if (key === "k") {
      setCurrent(current - 1);
    } else if (key === "a") {
      submit("accept");
    } else if (key === "r") {
      submit("reject");
    } else if (key === "n" && data.next) {
      window.location.href = `/review/${data.next}`;
    } else if (key === "p" && data.previous) {
      window.location.href = `/review/${data.previous}`;
    } else {
      return;
    }
    ev.preventDefault();
  });

  // ------------------------------------------------------------ review actions
  function say(msg, kind) {
    if (!resultEl) return;
    resultEl.textContent = msg;
    resultEl.className = kind || "";
  }

  const reviewerEl = document.getElementById("reviewer");
  try { reviewerEl.value = localStorage.getItem("extractor.reviewer") || ""; } catch (e) { /* storage off */ }

  async function submit(decision) {
    const reviewer = reviewerEl.value.trim();
    if (!reviewer) { say("请填写审核人。", "error"); reviewerEl.focus(); return; }
    try { localStorage.setItem("extractor.reviewer", reviewer); } catch (e) { /* storage off */ }
    const { rec, invalid } = recheck();
    if (invalid.length && decision !== "reject") {
      say(`这些单元格不是数字：${invalid.join(", ")}`, "error");
      return;
    }
    if (decision !== "reject" && unconfirmed()) {
      setCurrent(confirmed.findIndex((c) => c === null));
      say(`还有 ${unconfirmed()} 处连写数字未确认读法（按 1–9 选择，或直接修改单元格）`, "error");
      return;
    }
    const body = { reviewer, decision, note: document.getElementById("note").value.trim() || null };
    if (decision !== "reject" || data.has_record) body.record = rec;
    if (decision === "reject" && invalid.length) delete body.record;
    say("提交中…", "info");
    let resp;
    try {
      resp = await fetch(`/v1/extractions/${data.id}/review`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (e) {
      say(`无法连接服务：${e}`, "error");
      return;
    }
    const payload = await resp.json().catch(() => null);
    if (!resp.ok) {
      const err = (payload && payload.error) || { message: resp.statusText };
      say(`提交失败（${resp.status}）：${err.message}`, "error");
      return;
    }
    // straight on to the next report waiting for review
    window.location.href = data.next ? `/review/${data.next}?done=${data.id}` : `/review?done=${data.id}`;
  }

  for (const btn of document.querySelectorAll("#actions button[data-decision]")) {
    btn.addEventListener("click", () => submit(btn.dataset.decision));
  }

  recheck();
  if (runs.length) setCurrent(0);
  if (pageImage) {
    // open on the page of the first number the rules were not sure of, else of the first number
    const doubtful = Object.keys(data.provenance).find((f) => data.provenance[f].box && byField.get(f)
      && byField.get(f).classList.contains("doubt"));
    const first = doubtful || Object.keys(data.provenance).find((f) => data.provenance[f].box);
    if (first) showBox(data.provenance[first]); else showPage(1);
  }
  // a link from the analysis pages (#cell=<field>) opens on that number: focused, its source shown
  const wanted = window.location.hash.match(/^#cell=(.+)$/);
  const target = wanted && byField.get(decodeURIComponent(wanted[1]));
  if (target) {
    target.scrollIntoView({ block: "center" });
    target.focus();
  }
  document.body.dataset.ready = "1";
})();
