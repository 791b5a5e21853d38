// Sortable, optionally paged tables. The heading the rows are ordered by is the one marked
// (aria-sort and an arrow): the initial order is declared in index.html on that <th>
// (data-key + aria-sort) and the first render sorts by it, so heading and order cannot
// disagree. Clicking a heading sorts by it (again: reverses). Ties keep the API's order.
"use strict";

const ORDER_WORDS = {
  time: ["oldest first", "newest first"], num: ["low to high", "high to low"], text: ["A to Z", "Z to A"],
};

class SortableTable {
  // table: the <table>; columns: {key: {kind: time|num|text, value(row) -> sort key,
  //   render(tr, row)}};
  // opts: {pageSize, pager: {prev, next, info} element ids, rowId(row), emptyId, noun}
  constructor(table, columns, opts = {}) {
    this.table = table;
    this.columns = columns;
    this.opts = opts;
    this.rows = [];
    this.filter = null;
    this.page = 0;
    this.sort = { key: null, dir: "ascending" };
    for (const th of table.tHead.rows[0].cells) {
      const key = th.dataset.key;
      if (!key) continue;
      if (th.hasAttribute("aria-sort")) this.sort = { key, dir: th.getAttribute("aria-sort") };
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "sort";
      btn.append(...th.childNodes);
      th.replaceChildren(btn);
      btn.addEventListener("click", () => this.sortBy(key));
    }
    if (opts.pager) {
      $(opts.pager.prev).addEventListener("click", () => this.turn(-1));
      $(opts.pager.next).addEventListener("click", () => this.turn(1));
    }
  }

  label(key) {
    const th = this.table.querySelector(`th[data-key="${key}"]`);
    return th ? th.textContent.trim() : key;
  }

  // Rows in the API's order (index = tie-break); the page goes back to the first.
  setRows(rows) {
    this.rows = rows.map((row, i) => ({ row, i }));
    this.page = 0;
    this.render();
  }

  setFilter(fn) {
    this.filter = fn;
    this.page = 0;
    this.render();
  }

  sortBy(key) {
    const same = this.sort.key === key;
    this.sort = { key, dir: same && this.sort.dir === "ascending" ? "descending" : "ascending" };
    this.page = 0;
    this.render();
  }

  turn(step) {
    this.page = Math.max(0, this.page + step);
    this.render();
  }

  // Nulls last in either direction; numbers as numbers, text by locale.
  compare(a, b) {
    const col = this.columns[this.sort.key];
    // times compare as instants (ISO strings with different precision would not)
    const key = (row) => {
      const v = col ? col.value(row) : null;
      return col && col.kind === "time" && v ? Date.parse(v) : (v === undefined ? null : v);
    };
    const va = key(a.row);
    const vb = key(b.row);
    const sign = this.sort.dir === "descending" ? -1 : 1;
    if (va === vb) return a.i - b.i;
    if (va === null) return 1;
    if (vb === null) return -1;
    const c = typeof va === "number" && typeof vb === "number" ? va - vb
      : String(va).localeCompare(String(vb));
    return c === 0 ? a.i - b.i : sign * c;
  }

  visible() {
    const rows = this.filter ? this.rows.filter((r) => this.filter(r.row)) : this.rows.slice();
    return rows.sort((a, b) => this.compare(a, b));
  }

  render() {
    for (const th of this.table.tHead.rows[0].cells) {
      if (th.dataset.key === this.sort.key) th.setAttribute("aria-sort", this.sort.dir);
      else th.removeAttribute("aria-sort");
    }
    const rows = this.visible();
    const size = this.opts.pageSize || rows.length || 1;
    const pages = Math.max(1, Math.ceil(rows.length / size));
    this.page = Math.min(this.page, pages - 1);
    const shown = rows.slice(this.page * size, (this.page + 1) * size);
    const body = this.table.tBodies[0];
    body.replaceChildren();
    for (const { row } of shown) {
      const tr = document.createElement("tr");
      if (this.opts.rowId) tr.id = this.opts.rowId(row);
      for (const th of this.table.tHead.rows[0].cells) this.columns[th.dataset.key].render(tr, row);
      body.appendChild(tr);
    }
    if (this.opts.emptyId) $(this.opts.emptyId).hidden = rows.length > 0;
    this.table.dataset.rows = String(rows.length);
    if (this.opts.pager) {
      const { prev, next, info } = this.opts.pager;
      $(prev).disabled = this.page === 0;
      $(next).disabled = this.page >= pages - 1;
      const first = rows.length === 0 ? 0 : this.page * size + 1;
      const col = this.columns[this.sort.key];
      const words = ORDER_WORDS[(col && col.kind) || "text"];
      const order = words[this.sort.dir === "descending" ? 1 : 0];
      $(info).textContent = rows.length === 0 ? `no ${this.opts.noun || "rows"}` :
        `${first}–${first + shown.length - 1} of ${rows.length} · by ${this.label(this.sort.key)}, ${order}`;
    }
  }
}
