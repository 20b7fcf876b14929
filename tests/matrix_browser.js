(() => {
  const out = document.createElement('pre');
  out.id = 'test-result';
  const fail = [];
  const expect = (what, got, want) => { if (JSON.stringify(got) !== JSON.stringify(want)) fail.push(`${what}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`); };
  try {
    const table = document.querySelectorAll('table.matrix')[0];
    const ids = () => Array.from(table.tBodies[0].rows).map((row) => row.cells[0].querySelector('code').textContent);
    const visible = () => Array.from(document.querySelectorAll('table.matrix tbody tr')).filter((row) => !row.hidden).length;
    const button = (column) => table.tHead.rows[0].cells[column].querySelector('button');
    expect('controls shown', document.getElementById('controls').hidden, false);
    button(3).click();
    expect('sorted by the failing provider, worst first', ids(), ['events.login-before-ready', 'x.<img src=y onerror=alert(5)>', 'events.ready', 'message.self-echo', 'events.ready-once', 'heartbeat.interval']);
    expect('aria-sort', table.tHead.rows[0].cells[3].getAttribute('aria-sort'), 'ascending');
    button(3).click();
    expect('descending', ids()[0], 'heartbeat.interval');
    button(0).click();
    expect('by id', ids()[0], 'events.login-before-ready');
    const set = (id, value, event) => { const el = document.getElementById(id); el.value = value; el.dispatchEvent(new Event(event)); };
    expect('all shown', visible(), 13);
    set('filter-checks', 'ready', 'input');
    expect('check filter', visible(), 6);
    set('filter-checks', '', 'input');
    set('filter-verdict', 'failing', 'change');
    expect('only failing', visible(), 4);
    expect('shown text', document.getElementById('shown').textContent, '4 of 13 checks shown');
    set('filter-verdict', '', 'change');
    set('filter-providers', 'acme', 'input');
    expect('provider filter hides columns', table.tHead.rows[0].cells[3].hidden, true);
    expect('provider filter hides suites without it', document.querySelectorAll('section.suite')[1].hidden, true);
    expect('provider rows', Array.from(document.querySelectorAll('table.providers tbody tr')).filter((row) => !row.hidden).length, 1);
    expect('rows with acme', visible(), 6);
  } catch (error) {
    fail.push(`threw: ${error}`);
  }
  fail.push(...window.errors.map((message) => `page error: ${message}`));
  out.textContent = fail.length ? `FAILED ${fail.join('; ')}` : 'ok (sort, filters, no page errors)';
  document.body.appendChild(out);
})();
