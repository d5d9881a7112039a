// The record-sheet page: a form over a declaration, planned live by the
// mailplan engine (web/engine, built from crates/mailplan-web).
//
// The engine holds every rule; this script only moves values between the
// form and the declaration and draws what the engine answers. Everything a
// declaration holds is written with textContent, never as HTML. Passwords
// live in memory only, under a Symbol key that JSON.stringify skips, and
// are added back only for the engine's copy of the declaration.
"use strict";

(() => {
  const SECRET = Symbol("password");
  const $ = (selector) => document.querySelector(selector);
  const form = $("#form");

  /** The declaration being edited (passwords not included, see SECRET). */
  let declaration = {
    name: "ExampleCorp",
    domain: "example.com",
    publicIP: "203.0.113.5",
  };
  /** The relay providers and dyndns providers the engine knows. */
  let choices = null;
  /** What the user had before switching a choice off, to switch it on again. */
  const stash = {};
  /** The form's choices the declaration alone cannot tell: how the public
   * address is known (a mode with its field still empty is a mode), and
   * which relay provider is picked (the engine's detection once planned). */
  let addressMode = "static";
  let relayChoice = "none";
  /** Attributes the declaration's top level owns through a choice: never
   * dropped for being empty while that choice stands. */
  const OWNED_BY_A_CHOICE = new Set(["mailRelay", "domainProvider"]);
  /** The declaration's attributes this form edits; others are kept as loaded. */
  const FORM_ATTRIBUTES = new Set(["name", "domain", "mailHostname", "publicIP", "publicIPv6",
    "ipv6Ptr", "domainProvider", "mailRelay", "users", "inbound", "tls", "internalClientsOnly",
    "webmail"]);
  /** The inbound attributes each kind uses. */
  const INBOUND_USES = { self: [], relay: ["mx"], pmg: ["host", "ip"] };
  /** The last plan shown (no secret in it). */
  let current = null;

  // ---- paths ------------------------------------------------------------

  /** "users[2].relay.host" → ["users", 2, "relay", "host"]. */
  function segments(path) {
    const parts = [];
    for (const piece of path.split(".")) {
      const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(piece);
      if (!match) return null;
      if (match[1]) parts.push(match[1]);
      for (const index of match[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(index[1]));
    }
    return parts;
  }

  /** The value reached by following `keys` from `object`, if any. */
  function valueAt(object, keys) {
    let value = object;
    for (const key of keys) {
      if (value === null || typeof value !== "object") return undefined;
      value = value[key];
    }
    return value;
  }

  function getPath(object, path) {
    return valueAt(object, segments(path) || []);
  }

  /** Sets (or with `undefined`, removes) the value at `path`. */
  function setPath(object, path, value) {
    const keys = segments(path);
    let parent = object;
    for (const key of keys.slice(0, -1)) {
      if (parent[key] === null || typeof parent[key] !== "object") {
        if (value === undefined) return;
        parent[key] = {};
      }
      parent = parent[key];
    }
    const last = keys[keys.length - 1];
    if (value === undefined) delete parent[last];
    else parent[last] = value;
  }

  // ---- the declaration as the engine sees it ------------------------------

  /** The declaration's JSON with its passwords: only ever handed to the engine. */
  function engineText() {
    return JSON.stringify(declaration, (key, value) => {
      if (value && typeof value === "object" && value[SECRET] !== undefined) {
        return { ...value, password: value[SECRET] };
      }
      return value;
    });
  }

  /** Moves inline passwords of a loaded declaration into memory. */
  function takeSecrets(loaded) {
    const holders = [loaded.mailRelay, ...(Array.isArray(loaded.users) ? loaded.users : [])];
    for (const holder of holders) {
      // Whatever its type: a number is no valid password, but it is still
      // the secret someone meant, and the engine's error never quotes it.
      if (holder && typeof holder === "object" && "password" in holder) {
        holder[SECRET] = holder.password;
        delete holder.password;
      }
    }
    return loaded;
  }

  /** The object a password field's secret belongs to (`users[1]`). */
  function holderPathOf(secretControl) {
    return secretControl.dataset.path.replace(/\.password$/, "");
  }

  // ---- form ← declaration -------------------------------------------------

  function controlValue(control, value) {
    if (control.dataset.kind === "bool") {
      control.checked = value === undefined ? control.dataset.default === "true" : value === true;
    } else if (control.dataset.kind === "list" && Array.isArray(value)) {
      control.value = value.join(", ");
    } else if (control.hasAttribute("data-secret")) {
      control.value = "";
    } else if (value === undefined || value === null) {
      control.value = control.tagName === "SELECT" ? control.options[0].value : "";
    } else {
      control.value = typeof value === "object" ? JSON.stringify(value) : String(value);
    }
  }

  function relayById(id) {
    return choices.relays.find((relay) => relay.id === id);
  }

  function relayChoiceOf(relay) {
    if (!relay || typeof relay !== "object") return "none";
    const preset = choices.relays.find((choice) => choice.host && choice.host === relay.host);
    return preset ? preset.id : "custom";
  }

  /** The form's choices, as a newly loaded declaration implies them. */
  function deriveChoices() {
    addressMode = declaration.publicIP !== undefined
      ? "static"
      : declaration.domainProvider !== undefined ? "dyndns" : "none";
    relayChoice = relayChoiceOf(declaration.mailRelay);
  }

  /** After a plan: the relay provider the engine recognised in the host. */
  function followDetectedRelay(plan) {
    if (declaration.mailRelay === undefined || !plan.relay || plan.relay.source !== "mailRelay") return;
    const id = plan.relay.provider;
    relayChoice = relayById(id) ? id : "custom";
    $("#f-relay").value = relayChoice;
  }

  function fillForm() {
    for (const control of form.querySelectorAll("[data-path]")) {
      if (control.id === "f-relay") continue;
      controlValue(control, getPath(declaration, control.dataset.path));
    }
    $("#f-relay").value = relayChoice;
    for (const secret of form.querySelectorAll("[data-secret]")) {
      const holder = getPath(declaration, holderPathOf(secret));
      secret.placeholder = holder && holder[SECRET] !== undefined
        ? "set (kept in memory only; type to replace)"
        : "";
    }
    for (const radio of form.querySelectorAll("input[name=address]")) {
      radio.checked = radio.value === addressMode;
    }
    const kept = Object.keys(declaration).filter((key) => !FORM_ATTRIBUTES.has(key));
    $("#kept").textContent = kept.length
      ? `Kept as loaded (not in this form): ${kept.join(", ")}.`
      : "";
    showSections();
  }

  function showSections() {
    $("#address-static").hidden = addressMode !== "static";
    $("#address-dyndns").hidden = addressMode !== "dyndns";
    $("#relay-fields").hidden = declaration.mailRelay === undefined;
    const inbound = (declaration.inbound && declaration.inbound.kind) || "self";
    $("#inbound-mx").hidden = inbound !== "relay";
    $("#inbound-pmg").hidden = inbound !== "pmg";
  }

  // ---- users -------------------------------------------------------------

  function userField(index, key, label, attributes = {}) {
    const id = `f-user-${index}-${key.replace(/\W/g, "-")}`;
    const field = document.createElement("div");
    field.className = "field";
    const labelElement = document.createElement("label");
    labelElement.htmlFor = id;
    labelElement.textContent = label;
    const input = document.createElement("input");
    input.id = id;
    input.autocomplete = "off";
    input.dataset.path = `users[${index}].${key}`;
    for (const [name, value] of Object.entries(attributes)) input.setAttribute(name, value);
    field.append(labelElement, input, errorSlot(input));
    return field;
  }

  function renderUsers() {
    const container = $("#users");
    container.replaceChildren();
    const users = Array.isArray(declaration.users) ? declaration.users : [];
    users.forEach((user, index) => {
      const group = document.createElement("fieldset");
      group.className = "user";
      const legend = document.createElement("legend");
      legend.textContent = `User ${index + 1}`;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove user ${index + 1}`);
      remove.addEventListener("click", () => {
        declaration.users.splice(index, 1);
        const left = declaration.users.length;
        if (left === 0) delete declaration.users;
        redraw();
        // Focus stays in the list: on the user that moved up, or on "Add".
        const next = left ? document.getElementById(`f-user-${Math.min(index, left - 1)}-name`) : $("#add-user");
        next.focus();
      });
      group.append(
        legend,
        userField(index, "name", "Name (login or address)"),
        userField(index, "roles", "Roles (comma-separated: mailbox, mail-relay, domain-provider)", { "data-kind": "list" }),
        userField(index, "passwordFile", "Password file on the VM"),
        userField(index, "password", "Password (kept in this tab's memory only)", { type: "password", "data-secret": "", autocomplete: "new-password" }),
        userField(index, "relay.host", "Relay host (role mail-relay only)"),
        remove,
      );
      container.append(group);
    });
  }

  // ---- declaration ← form ------------------------------------------------

  function readControl(control) {
    const kind = control.dataset.kind;
    if (kind === "bool") return control.checked;
    const text = control.value.trim();
    if (text === "") return undefined;
    if (kind === "list") {
      const items = text.split(",").map((item) => item.trim()).filter((item) => item !== "");
      return items.length ? items : undefined;
    }
    // A number only when it reads as one; anything else goes to the engine
    // as typed, so that its error names the field.
    if (kind === "number") return /^\d{1,15}$/.test(text) ? Number(text) : text;
    return text;
  }

  /** Drops objects a cleared field left empty (`inbound: {}` and the like). */
  function pruneEmpty(path) {
    const keys = segments(path);
    for (let depth = keys.length - 1; depth > 0; depth -= 1) {
      const value = valueAt(declaration, keys.slice(0, depth));
      const isEmpty = value && typeof value === "object" && !Array.isArray(value)
        && Object.keys(value).length === 0 && value[SECRET] === undefined;
      const last = keys[depth - 1];
      if (!isEmpty || typeof last === "number" || (depth === 1 && OWNED_BY_A_CHOICE.has(last))) return;
      delete valueAt(declaration, keys.slice(0, depth - 1))[last];
    }
  }

  function onControl(control) {
    const path = control.dataset.path;
    if (control.hasAttribute("data-secret")) {
      const holderPath = holderPathOf(control);
      let holder = getPath(declaration, holderPath);
      if (!holder || typeof holder !== "object") {
        setPath(declaration, holderPath, {});
        holder = getPath(declaration, holderPath);
      }
      if (control.value === "") delete holder[SECRET];
      else holder[SECRET] = control.value;
      return;
    }
    setPath(declaration, path, readControl(control));
    pruneEmpty(path);
  }

  /** A provider picked: its preset host and user replace the last
   * provider's, the operator's own values (a region, a port) stay. */
  function onRelayChoice(id) {
    const planned = current && current.plan.relay && current.plan.relay.source === "mailRelay"
      ? current.plan.relay.provider
      : null;
    if (id === "none") {
      if (declaration.mailRelay !== undefined) {
        stash.mailRelay = declaration.mailRelay;
        stash.mailRelayProvider = planned || relayChoice;
      }
      delete declaration.mailRelay;
      relayChoice = id;
      return;
    }
    const choice = relayById(id);
    const relay = declaration.mailRelay || stash.mailRelay || {};
    const recognised = declaration.mailRelay ? planned : stash.mailRelayProvider;
    if (choice.host) {
      if (recognised !== choice.id) relay.host = choice.host;
    } else if (choices.relays.some((other) => other.host && other.host === relay.host)) {
      delete relay.host;
    }
    if (choice.user) relay.user = choice.user;
    else if (choices.relays.some((other) => other.user && other.user === relay.user)) delete relay.user;
    if (relay.port === undefined) relay.port = choice.port;
    declaration.mailRelay = relay;
    relayChoice = id;
  }

  /** Moves the `keys` of `holder` a choice does not use (`wanted` says
   * which it does) into the stash under `prefix`, and those it uses back. */
  function keepOnlyWanted(holder, keys, wanted, prefix) {
    for (const key of keys) {
      const stashed = `${prefix}${key}`;
      if (!wanted(key) && holder[key] !== undefined) {
        stash[stashed] = holder[key];
        delete holder[key];
      } else if (wanted(key) && holder[key] === undefined && stash[stashed] !== undefined) {
        holder[key] = stash[stashed];
      }
    }
  }

  /** An inbound kind picked: the fields of the others wait in the stash. */
  function onInboundKind(kind) {
    const uses = INBOUND_USES[kind];
    const inbound = declaration.inbound;
    if (!uses || !inbound || typeof inbound !== "object") return;
    keepOnlyWanted(inbound, ["mx", "host", "ip"], (key) => uses.includes(key), "inbound.");
  }

  function onAddress(kind) {
    addressMode = kind;
    keepOnlyWanted(declaration, ["publicIP", "publicIPv6", "ipv6Ptr", "domainProvider"],
      (key) => (key === "domainProvider" ? kind === "dyndns" : kind === "static"), "");
    if (kind === "dyndns" && declaration.domainProvider === undefined) {
      declaration.domainProvider = { provider: choices.ddns[0], hosts: ["home"] };
    }
  }

  // ---- errors -------------------------------------------------------------

  function errorSlot(control) {
    const slot = document.createElement("p");
    slot.className = "error";
    slot.id = `${control.id}-error`;
    control.setAttribute("aria-describedby", slot.id);
    return slot;
  }

  /** The control a field path belongs to: itself, or its nearest parent. */
  function controlFor(path) {
    let candidate = path;
    while (candidate) {
      const control = form.querySelector(`[data-path="${CSS.escape(candidate)}"]`);
      if (control && !control.closest("[hidden]")) return control;
      const cut = Math.max(candidate.lastIndexOf("."), candidate.lastIndexOf("["));
      candidate = cut > 0 ? candidate.slice(0, cut) : "";
    }
    return null;
  }

  function clearErrors() {
    for (const slot of form.querySelectorAll(".error")) slot.textContent = "";
    for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
    $("#errors").replaceChildren();
  }

  function showErrors(problems) {
    const general = [];
    for (const problem of problems) {
      const control = controlFor(problem.path);
      const slot = control && document.getElementById(`${control.id}-error`);
      if (slot) {
        slot.textContent = slot.textContent ? `${slot.textContent}\n${problem.text}` : problem.text;
        control.setAttribute("aria-invalid", "true");
      } else {
        general.push(problem.text);
      }
    }
    const box = $("#errors");
    const heading = document.createElement("p");
    heading.textContent = problems.length === 1
      ? "The declaration has a problem; it is shown next to its field."
      : `The declaration has ${problems.length} problems; each is shown next to its field.`;
    box.append(heading);
    if (general.length) {
      const list = document.createElement("ul");
      for (const text of general) {
        const item = document.createElement("li");
        item.textContent = text;
        list.append(item);
      }
      box.append(list);
    }
  }

  // ---- the plan -------------------------------------------------------------

  // Explicit roles: on a phone the tables are laid out as cards (CSS
  // display: block), which drops their table semantics in some browsers.
  function cell(row, text, header = false) {
    const element = document.createElement(header ? "th" : "td");
    if (header) element.scope = "row";
    element.setAttribute("role", header ? "rowheader" : "cell");
    element.textContent = text;
    row.append(element);
    return element;
  }

  function facts(list, pairs) {
    list.replaceChildren();
    for (const [term, value] of pairs) {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      list.append(dt, dd);
    }
  }

  async function copy(text, what, button) {
    let copied = true;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const scratch = document.createElement("textarea");
      scratch.value = text;
      document.body.append(scratch);
      scratch.select();
      copied = document.execCommand("copy");
      scratch.remove();
      button.focus();
    }
    $("#copy-status").textContent = copied
      ? `Copied ${what}.`
      : `Could not copy ${what}: select it and copy by hand.`;
  }

  function renderSheet(records) {
    const body = $("#sheet tbody");
    body.replaceChildren();
    records.forEach((record, index) => {
      const row = document.createElement("tr");
      row.setAttribute("role", "row");
      cell(row, record.type, true);
      cell(row, record.name);
      cell(row, record.value).className = "value";
      cell(row, record.note || "");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Copy";
      button.setAttribute("aria-label", `Copy the value of record ${index + 1}, ${record.type} ${record.name}`);
      button.addEventListener("click", () => copy(record.value, `the ${record.type} value`, button));
      cell(row, "").append(button);
      body.append(row);
    });
  }

  function renderPorts(rules) {
    const body = $("#ports tbody");
    body.replaceChildren();
    for (const rule of rules) {
      const row = document.createElement("tr");
      row.setAttribute("role", "row");
      cell(row, String(rule.port), true);
      cell(row, rule.proto);
      cell(row, rule.target === "pmg" ? "PMG" : "mail VM");
      cell(row, rule.source || "any");
      cell(row, rule.reason);
      body.append(row);
    }
  }

  function renderDdns(ddns) {
    const pairs = [["updater", ddns.enabled ? "enabled" : "not needed"], ["why", ddns.reason]];
    if (ddns.enabled) {
      pairs.push(["provider", ddns.provider], ["keeps", ddns.hosts.join(", ")]);
      pairs.push(["public IP learned from", ddns.publicIpEcho.join(", then ")]);
      pairs.push(["secret", ddns.passwordFile ? `read from ${ddns.passwordFile}` : "inline (redacted here)"]);
    }
    facts($("#ddns"), pairs);
  }

  // The diagram: boxes in two rows (outbound, inbound), drawn as SVG.
  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attributes, text) {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function relayName(id) {
    const known = relayById(id);
    return id === "pmg" ? "Relay: the PMG" : `Relay: ${known ? known.name : id}`;
  }

  function diagramRows(plan) {
    const relay = plan.relay;
    const outbound = [
      ["Mail clients", plan.webmail ? "IMAP, submission, webmail" : "IMAP, submission"],
      ["Mail VM", plan.hostname],
      relay
        ? [relayName(relay.provider), `${relay.host}:${relay.port}`]
        : ["Direct delivery", "to each MX, port 25"],
      ["Internet", "recipients"],
    ];
    const mx = plan.inbound.mx.map((entry) => entry.host).join(", ");
    const inbound = [["Senders", "the internet"], ["MX", mx]];
    if (plan.inbound.kind === "pmg") inbound.push(["PMG filters", `delivers to port ${plan.inbound.deliveryPort}`]);
    if (plan.inbound.kind === "relay") inbound.push(["Provider forwards", "to the mail VM"]);
    inbound.push(["Mail VM", `port ${plan.inbound.deliveryPort}`]);
    return [["Outbound", outbound], ["Inbound", inbound]];
  }

  /** The box shows the start of a long text; #diagram-text has it whole. */
  function shorten(text, most) {
    return text.length > most ? `${text.slice(0, most - 1)}…` : text;
  }

  function renderDiagram(plan) {
    const rows = diagramRows(plan);
    const boxWidth = 170;
    const gap = 34;
    const columns = Math.max(...rows.map(([, boxes]) => boxes.length));
    const width = 80 + columns * boxWidth + (columns - 1) * gap;
    const picture = svg("svg", { viewBox: `0 0 ${width} 190`, width: "100%", "aria-hidden": "true" });
    const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto" });
    marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z" }));
    const defs = svg("defs", {});
    defs.append(marker);
    picture.append(defs);
    rows.forEach(([title, boxes], rowIndex) => {
      const y = 20 + rowIndex * 90;
      picture.append(svg("text", { x: 0, y: y + 34, class: "row-title" }, title));
      boxes.forEach(([label, detail], index) => {
        const x = 80 + index * (boxWidth + gap);
        picture.append(svg("rect", { x, y, width: boxWidth, height: 60, rx: 8 }));
        picture.append(svg("text", { x: x + boxWidth / 2, y: y + 25, class: "label" }, shorten(label, 22)));
        picture.append(svg("text", { x: x + boxWidth / 2, y: y + 45, class: "detail" }, shorten(detail, 26)));
        if (index > 0) {
          picture.append(svg("line", { x1: x - gap, y1: y + 30, x2: x - 2, y2: y + 30, "marker-end": "url(#arrow)" }));
        }
      });
    });
    $("#diagram").replaceChildren(picture);
    $("#diagram-text").textContent = rows
      .map(([title, boxes]) => `${title}: ${boxes.map(([label, detail]) => `${label} (${detail})`).join(" → ")}.`)
      .join(" ");
  }

  function renderPlan(page) {
    const { plan } = page;
    current = page;
    $("#summary").textContent = page.summary;
    const relay = plan.relay;
    const pairs = [["mode", page.mode], ["mail host", plan.hostname]];
    if (relay) {
      pairs.push(["relay", `${relay.host}:${relay.port}${relay.implicitTls ? " (TLS on connect)" : " (STARTTLS)"}`]);
      pairs.push(["relay user", relay.user || "none (the relay accepts the VM by address)"]);
      pairs.push(["relay credential", `${relay.source}${relay.passwordFile ? `, password read from ${relay.passwordFile}` : ""}`]);
    }
    pairs.push(["SPF", plan.spf], ["DMARC", plan.dmarc]);
    facts($("#mode"), pairs);
    $("#credential-hint").textContent = relay ? relay.credentialHint : "";
    renderDiagram(plan);
    renderSheet(plan.dnsRecords);
    $("#zone").textContent = page.zone;
    renderPorts(plan.firewall);
    renderDdns(plan.ddns);
    const warnings = $("#warnings");
    warnings.replaceChildren();
    for (const warning of plan.warnings) {
      const item = document.createElement("li");
      item.textContent = warning;
      warnings.append(item);
    }
    $("#plan-json").textContent = `${JSON.stringify(plan, null, 2)}\n`;
    $("#plan-output").hidden = false;
  }

  function replan() {
    clearErrors();
    const text = engineText();
    try {
      const page = wasm_bindgen.plan(text, "json");
      renderPlan(page);
      followDetectedRelay(page.plan);
      document.body.dataset.state = "planned";
    } catch (error) {
      if (!Array.isArray(error.problems)) throw error;
      current = null;
      $("#summary").textContent = "No plan: fix the declaration first.";
      $("#plan-output").hidden = true;
      showErrors(error.problems);
      document.body.dataset.state = "invalid";
    }
    const choice = relayById($("#f-relay").value);
    $("#relay-hint").textContent = choice ? choice.hint : "";
    showSections();
  }

  /** Draws the form and the plan anew from the declaration. */
  function redraw() {
    renderUsers();
    fillForm();
    replan();
  }

  // ---- loading ---------------------------------------------------------------

  function load(text, format) {
    $("#load-error").textContent = "";
    $("#load-note").textContent = "";
    let loaded;
    try {
      loaded = wasm_bindgen.read(text, format);
    } catch (error) {
      if (!Array.isArray(error.problems)) throw error;
      $("#load-error").textContent = error.problems.map((problem) => problem.text).join("\n");
      return false;
    }
    if (!loaded || typeof loaded !== "object" || Array.isArray(loaded)) {
      $("#load-error").textContent = "a declaration is an object (attribute set), such as {\"name\": …, \"domain\": …}";
      return false;
    }
    declaration = takeSecrets(loaded);
    for (const key of Object.keys(stash)) delete stash[key];
    deriveChoices();
    redraw();
    $("#load-note").textContent = "Loaded. Passwords in it are kept in this tab's memory only.";
    return true;
  }

  function guessFormat(text, name = "") {
    if (name.endsWith(".toml")) return "toml";
    if (name.endsWith(".json")) return "json";
    return /^\s*(\uFEFF)?[{[]/.test(text) ? "json" : "toml";
  }

  function download(name, text, type) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type }));
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    // Not at once: some browsers read the blob after click() returns.
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  // ---- start -------------------------------------------------------------------

  function wire() {
    // Before any user row exists: those make their own slots.
    for (const control of form.querySelectorAll("[data-path]")) {
      (control.closest(".field") || control.parentElement).append(errorSlot(control));
    }
    // Text fields answer on "input"; selects, radios and check boxes on
    // "change" as well, which is all some input methods send. Handling a
    // control twice sets the same value twice.
    const onEvent = (event) => {
      const control = event.target;
      if (control.name === "address") {
        onAddress(control.value);
        fillForm();
      } else if (control.id === "f-relay") {
        onRelayChoice(control.value);
        fillForm();
      } else if (control.dataset.path) {
        onControl(control);
        if (control.dataset.path === "inbound.kind") onInboundKind(control.value);
      } else {
        return;
      }
      replan();
    };
    form.addEventListener("input", onEvent);
    form.addEventListener("change", onEvent);
    form.addEventListener("submit", (event) => event.preventDefault());
    $("#add-user").addEventListener("click", () => {
      if (!Array.isArray(declaration.users)) declaration.users = [];
      declaration.users.push({ name: "" });
      redraw();
      document.getElementById(`f-user-${declaration.users.length - 1}-name`).focus();
    });
    $("#file").addEventListener("change", async (event) => {
      const [file] = event.target.files;
      if (!file) return;
      const text = await file.text();
      load(text, guessFormat(text, file.name));
      event.target.value = "";
    });
    $("#paste-load").addEventListener("click", () => {
      const text = $("#paste").value;
      const chosen = $("#paste-format").value;
      if (load(text, chosen === "auto" ? guessFormat(text) : chosen)) $("#paste").value = "";
    });
    $("#download-zone").addEventListener("click", () => {
      if (current) download(`${current.plan.domain}.zone`, current.zone, "text/dns");
    });
    $("#copy-zone").addEventListener("click", () => {
      if (current) copy(current.zone, "the zone file", $("#copy-zone"));
    });
    $("#download-declaration").addEventListener("click", () => {
      const name = typeof declaration.domain === "string" && declaration.domain ? declaration.domain : "declaration";
      download(`${name}.json`, `${JSON.stringify(declaration, null, 2)}\n`, "application/json");
    });
  }

  function fillChoices() {
    const relay = $("#f-relay");
    for (const choice of choices.relays) {
      relay.append(new Option(choice.name, choice.id));
    }
    const ddns = $("#f-ddns-provider");
    for (const id of choices.ddns) ddns.append(new Option(id, id));
  }

  async function start() {
    const bytes = Uint8Array.from(atob(MAILPLAN_WEB_WASM), (c) => c.charCodeAt(0));
    await wasm_bindgen({ module_or_path: bytes });
    choices = wasm_bindgen.choices();
    fillChoices();
    wire();
    deriveChoices();
    redraw();
    const ready = performance.now();
    $("#engine-status").textContent = `Engine ${choices.version} ready (plan format ${choices.planFormat}).`;
    document.body.dataset.engineReadyMs = ready.toFixed(1);
    document.body.dataset.engine = "ready";
  }

  start().catch((error) => {
    $("#engine-status").textContent = `The engine did not start: ${error}`;
    document.body.dataset.engine = "failed";
  });
})();
