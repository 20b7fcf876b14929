// puppet-lint matrix: sortable headers and filters. Reads only the page itself.
(() => {
  'use strict';
  const all = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const controls = document.getElementById('controls');
  const checks = document.getElementById('filter-checks');
  const providers = document.getElementById('filter-providers');
  const verdict = document.getElementById('filter-verdict');
  const shown = document.getElementById('shown');
  const failing = new Set(['fail', 'timeout', 'error']);

  function key(row, column) {
    const cell = row.cells[column];
    if (!cell) return '';
    if (cell.dataset.sort !== undefined) return Number(cell.dataset.sort);
    return cell.textContent.trim().toLowerCase();
  }

  function sort(table, head, column) {
    const ascending = head.getAttribute('aria-sort') !== 'ascending';
    for (const other of all('thead th', table)) other.setAttribute('aria-sort', 'none');
    head.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.forEach((row, index) => {
      if (row.dataset.order === undefined) row.dataset.order = String(index);
    });
    rows.sort((a, b) => {
      const x = key(a, column);
      const y = key(b, column);
      const order =
        typeof x === 'number' && typeof y === 'number'
          ? x - y
          : String(x).localeCompare(String(y), undefined, { numeric: true });
      if (order !== 0) return ascending ? order : -order;
      return Number(a.dataset.order) - Number(b.dataset.order);
    });
    for (const row of rows) body.appendChild(row);
  }

  function wanted(value, mode) {
    if (mode === 'failing') return failing.has(value);
    if (mode === 'notpass') return value !== 'pass';
    return value === mode;
  }

  function apply() {
    const text = checks.value.trim().toLowerCase();
    const who = providers.value.trim().toLowerCase();
    const mode = verdict.value;
    let total = 0;
    let visible = 0;
    for (const row of all('table.providers tbody tr')) {
      row.hidden = who !== '' && !row.dataset.provider.includes(who);
    }
    for (const table of all('table.matrix')) {
      const heads = Array.from(table.tHead.rows[0].cells);
      const keep = heads.map((head) => head.dataset.provider === undefined || head.dataset.provider.includes(who));
      heads.forEach((head, index) => {
        head.hidden = !keep[index];
      });
      let any = false;
      for (const row of Array.from(table.tBodies[0].rows)) {
        total += 1;
        const cells = Array.from(row.cells);
        cells.forEach((cell, index) => {
          cell.hidden = !keep[index];
        });
        // The results of the providers shown; a row none of them ran is hidden.
        const results = cells.filter((cell, index) => keep[index] && cell.dataset.v !== undefined);
        const show =
          (text === '' || row.dataset.check.includes(text)) &&
          results.some((cell) => cell.dataset.v !== 'none') &&
          (mode === '' || results.some((cell) => wanted(cell.dataset.v, mode)));
        row.hidden = !show;
        if (show) {
          any = true;
          visible += 1;
        }
      }
      table.closest('section').hidden = !any;
    }
    shown.textContent = `${visible} of ${total} checks shown`;
  }

  for (const table of all('table.sortable')) {
    all('thead th', table).forEach((head, column) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.title = 'Sort';
      while (head.firstChild) button.appendChild(head.firstChild);
      head.appendChild(button);
      head.setAttribute('aria-sort', 'none');
      button.addEventListener('click', () => sort(table, head, column));
    });
  }
  controls.addEventListener('submit', (event) => event.preventDefault());
  checks.addEventListener('input', apply);
  providers.addEventListener('input', apply);
  verdict.addEventListener('change', apply);
  controls.hidden = false;
  apply();
})();
