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
const options = {}; // "name\u0000value" -> the <option> whose text carries the count

let totals = {};

function optionText(value, count) {
  return `${value}（${count}）`;
}

function setCounts(all) {
  for (const [key, option] of Object.entries(options)) {
    const [name, value] = key.split("\u0000");
    option.textContent = optionText(value, (all[name] || {})[value] || 0);
  }
}

// One drop-down per filter (类别 / 单位 / 状态): 全部, then each value with how many posts have it.
function renderFilters(all) {
  totals = all;
  filtersBox.replaceChildren();
  const names = Object.keys(all).sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  for (const name of names) {
    const values = all[name];
    const label = el("label", "wxpub-search__filter");
    const select = el("select");
    select.name = name;
    const any = el("option", "", "全部");
    any.value = "";
    select.append(any);
    for (const [value, count] of Object.entries(values).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
      const option = (options[name + "\u0000" + value] = el("option", "", optionText(value, count)));
      option.value = value;
      select.append(option);
    }
    select.addEventListener("change", () => {
      chosen[name] = select.value ? [select.value] : [];
      select.classList.toggle("is-chosen", Boolean(select.value));
      run();
    });
    label.append(el("span", "wxpub-search__filter-name", name), select);
    filtersBox.append(label);
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
    // a retracted post stays findable, and says so on the result; unit, category and status are the page's
    // filters (not indexed text), its date is in its address (p/<yyyy>/<mm-dd>-<name>/)
    const f = data.filters || {};
    const first = (name) => (f[name] || [])[0] || "";
    if (first("状态") === "已撤回") li.append(el("span", "wxpub-badge wxpub-retracted", "已撤回"));
    const day = /\/p\/(\d{4})\/(\d{2})-(\d{2})-/.exec(data.url);
    const facts = [day ? `${day[1]}-${day[2]}-${day[3]}` : "", first("单位"), first("类别")].filter(Boolean).join(" · ");
    if (facts) li.append(el("span", "wxpub-search__time", facts));
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
  setCounts(search.filters || {}); // how many of the results have each value
  await showMore();
  message.textContent = `找到 ${search.results.length} 篇`; // once the first results are shown
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
