// The archive's search page: a small UI over Pagefind's JS API (pagefind.js), instead of Pagefind's default
// UI bundle (134 KB), so that one search stays well under 500 KB. Filters: 类别 / 单位 / 状态.
// Results come from the site's own Pagefind index (its shards merged); nothing is fetched from any other host.
const PAGE = 10;
const root = document.getElementById("wxpub-search");
const input = root.querySelector(".wxpub-search__input");
const filtersBox = root.querySelector(".wxpub-search__filters");
const message = root.querySelector(".wxpub-search__message");
const list = root.querySelector(".wxpub-search__results");
const more = root.querySelector(".wxpub-search__more");
const chosen = {};
let pagefind = null;
let current = null;
let shown = 0;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Pagefind's excerpt is HTML with <mark> around the hits: keep the text and the marks, nothing else.
function excerpt(html) {
  const out = el("p", "wxpub-search__excerpt");
  const doc = new DOMParser().parseFromString(html, "text/html");
  for (const node of doc.body.childNodes) {
    out.append(node.nodeName === "MARK" ? el("mark", "", node.textContent) : document.createTextNode(node.textContent));
  }
  return out;
}

const ORDER = ["类别", "单位", "状态"];
const counts = {}; // "name\u0000value" -> the count shown beside the checkbox

let totals = {};

function setCounts(all) {
  for (const [name, values] of Object.entries(all)) {
    for (const [value, count] of Object.entries(values)) {
      const n = counts[name + "\u0000" + value];
      if (n) n.textContent = String(count);
    }
  }
}

function renderFilters(all) {
  totals = all;
  filtersBox.replaceChildren();
  const names = Object.keys(all).sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  for (const name of names) {
    const values = all[name];
    const box = el("details", "wxpub-search__filter");
    box.append(el("summary", "wxpub-search__filter-name", name));
    for (const [value, count] of Object.entries(values).sort((a, b) => b[1] - a[1])) {
      const label = el("label", "wxpub-search__filter-value");
      const check = el("input");
      check.type = "checkbox";
      check.value = value;
      check.checked = (chosen[name] || []).includes(value);
      check.addEventListener("change", () => {
        const set = new Set(chosen[name] || []);
        check.checked ? set.add(value) : set.delete(value);
        chosen[name] = [...set];
        run();
      });
      const n = (counts[name + "\u0000" + value] = el("span", "wxpub-n", String(count)));
      label.append(check, ` ${value} `, n);
      box.append(label);
    }
    filtersBox.append(box);
  }
}

async function showMore() {
  const batch = current.results.slice(shown, shown + PAGE);
  shown += batch.length;
  const items = await Promise.all(batch.map((r) => r.data()));
  for (const data of items) {
    const li = el("li", "wxpub-search__result");
    const link = el("a", "wxpub-search__result-link", data.meta.title || data.url);
    link.href = data.url;
    li.append(link);
    if (data.meta["发布时间"]) li.append(el("time", "wxpub-search__time", " " + data.meta["发布时间"]));
    li.append(excerpt(data.excerpt || ""));
    list.append(li);
  }
  more.hidden = shown >= current.results.length;
}

async function run() {
  const term = input.value.trim();
  const filters = Object.fromEntries(Object.entries(chosen).filter(([, v]) => v.length));
  if (!term && !Object.keys(filters).length) {
    setCounts(totals);
    current = null;
    list.replaceChildren();
    message.textContent = "";
    more.hidden = true;
    return;
  }
  const search = await pagefind.debouncedSearch(term || null, { filters }, 250);
  if (search === null) return; // a newer query replaced this one
  current = search;
  shown = 0;
  list.replaceChildren();
  message.textContent = `找到 ${search.results.length} 篇`;
  setCounts(search.filters || {}); // how many of the results have each value

  await showMore();
}

async function start() {
  try {
    // The index is sharded (recent posts, older posts) so that a publication re-indexes few pages:
    // the first shard is the primary index, the other is merged into it (sharing its wasm).
    const top = new URL("../pagefind/", location.href);
    const { shards } = await (await fetch(new URL("shards.json", top))).json();
    const module = await import("../pagefind/pagefind.js");
    // result URLs relative to the site's root (this page is <root>/search/), so a path prefix works
    const opts = { excerptLength: 24, baseUrl: new URL("../", location.href).pathname };
    const path = (shard) => new URL(shard + "/", top).pathname;
    // no separate worker script to download (noWorker: Pagefind >= 1.5)
    pagefind = module.createInstance({ noWorker: true, basePath: path(shards[0]) });
    await pagefind.options(opts);
    await Promise.all(shards.slice(1).map((shard) => pagefind.mergeIndex(path(shard), opts)));
    renderFilters(await pagefind.filters());
  } catch (err) {
    message.textContent = "搜索索引尚未生成（wxpub archive build）。";
    input.disabled = true;
    return;
  }
  input.addEventListener("input", run);
  more.addEventListener("click", showMore);
  if (input.value) run();
}

start();
