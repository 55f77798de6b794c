// chop's report page: renders a page model (title, facts, notes, sections of Vega-Lite figures,
// the sortable trial table) with vega-embed. Live mode (chop dashboard) polls the server and
// re-renders when the study changes. Errors are shown on the page and counted in
// <body data-chop-errors>; <body data-chop-rendered="ok"> marks a finished render (tests).
(function () {
  'use strict';
  var errors = [];
  function recordError(what) {
    var msg = String((what && what.message) || what);
    errors.push(msg);
    var box = document.getElementById('chop-errors');
    if (box) {
      box.hidden = false;
      box.textContent = 'Errors while drawing this report:\n' + errors.join('\n');
    }
    document.body.setAttribute('data-chop-errors', String(errors.length));
  }
  window.addEventListener('error', function (e) { recordError(e.error || e.message); });
  window.addEventListener('unhandledrejection', function (e) { recordError(e.reason); });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function formatCell(v, type) {
    if (v === null || v === undefined) return '';
    if (type === 'number' && typeof v === 'number') {
      if (Number.isInteger(v)) return String(v);
      var s = v.toPrecision(5);
      return String(Number(s));
    }
    return String(v);
  }

  // Sortable table: click a header to sort by it (again to reverse); empty cells last.
  function trialTable(table) {
    var wrap = el('div', 'chop-table-wrap');
    var t = el('table', 'chop-trials');
    var thead = el('thead'), tbody = el('tbody');
    var headRow = el('tr');
    var order = table.rows.map(function (_, i) { return i; });
    var sortCol = 0, ascending = true;
    function fill() {
      var frag = document.createDocumentFragment();
      order.forEach(function (r) {
        var tr = el('tr');
        table.rows[r].forEach(function (v, c) {
          var td = el('td', table.columns[c].type === 'number' ? 'num' : 'text',
                      formatCell(v, table.columns[c].type));
          if (v !== null && typeof v === 'string' && v.length > 40) td.title = v;
          if (c === 1) td.setAttribute('data-category', v);
          tr.appendChild(td);
        });
        frag.appendChild(tr);
      });
      tbody.textContent = '';
      tbody.appendChild(frag);
    }
    function sortBy(c) {
      ascending = sortCol === c ? !ascending : true;
      sortCol = c;
      var numeric = table.columns[c].type === 'number';
      order.sort(function (a, b) {
        var x = table.rows[a][c], y = table.rows[b][c];
        var xe = x === null || x === '', ye = y === null || y === '';
        if (xe || ye) return xe === ye ? a - b : (xe ? 1 : -1);
        var d = numeric ? x - y : String(x).localeCompare(String(y), undefined, {numeric: true});
        if (d === 0) d = table.rows[a][0] - table.rows[b][0];
        return ascending ? d : -d;
      });
      Array.prototype.forEach.call(headRow.children, function (th, i) {
        th.setAttribute('aria-sort', i === c ? (ascending ? 'ascending' : 'descending') : 'none');
      });
      fill();
    }
    table.columns.forEach(function (col, c) {
      var th = el('th', col.type === 'number' ? 'num' : 'text');
      var b = el('button', null, col.title);
      b.type = 'button';
      b.title = 'sort by ' + col.title;
      b.addEventListener('click', function () { sortBy(c); });
      th.appendChild(b);
      th.setAttribute('aria-sort', c === 0 ? 'ascending' : 'none');
      headRow.appendChild(th);
    });
    thead.appendChild(headRow);
    t.appendChild(thead);
    t.appendChild(tbody);
    fill();
    wrap.appendChild(t);
    return wrap;
  }

  function notesList(notes) {
    var ul = el('ul', 'chop-notes');
    notes.forEach(function (n) { ul.appendChild(el('li', null, n)); });
    return ul;
  }

  var views = [];
  var embedOptions = {
    renderer: 'svg',
    actions: {export: true, source: false, compiled: false, editor: false},
  };

  function renderStudy(model, root) {
    var pending = [];
    var header = el('header', 'chop-header');
    header.appendChild(el('h1', null, model.title));
    if (model.subtitle) header.appendChild(el('p', 'chop-subtitle', model.subtitle));
    var dl = el('dl', 'chop-facts');
    (model.facts || []).forEach(function (f) {
      dl.appendChild(el('dt', null, f[0]));
      dl.appendChild(el('dd', null, f[1]));
    });
    header.appendChild(dl);
    if (model.notes && model.notes.length) {
      var notes = notesList(model.notes);
      notes.classList.add('chop-study-notes');
      header.appendChild(notes);
    }
    root.appendChild(header);

    var nav = el('nav', 'chop-nav');
    (model.sections || []).forEach(function (s) {
      var a = el('a', null, s.title);
      a.href = '#' + s.id;
      nav.appendChild(a);
    });
    var tableTitle = (model.table && model.table.title) || 'Trials';
    if (model.table) {
      var ta = el('a', null, tableTitle);
      ta.href = '#trials';
      nav.appendChild(ta);
    }
    root.appendChild(nav);

    (model.sections || []).forEach(function (s) {
      var sec = el('section', 'chop-section');
      sec.id = s.id;
      sec.appendChild(el('h2', null, s.title));
      if (s.text) sec.appendChild(el('p', 'chop-text', s.text));
      if (s.notes && s.notes.length) sec.appendChild(notesList(s.notes));
      (s.figures || []).forEach(function (f) {
        var fig = el('figure', 'chop-figure');
        var chart = el('div', 'chop-chart');
        chart.id = 'figure-' + f.id;
        chart.setAttribute('data-figure', f.id);
        fig.appendChild(chart);
        if (f.caption) fig.appendChild(el('figcaption', null, f.caption));
        sec.appendChild(fig);
        pending.push(vegaEmbed(chart, f.spec, embedOptions).then(function (r) {
          views.push(r);
        }, function (e) {
          recordError('figure ' + f.id + ': ' + ((e && e.message) || e));
        }));
      });
      root.appendChild(sec);
    });

    if (model.table) {
      var tsec = el('section', 'chop-section');
      tsec.id = 'trials';
      tsec.appendChild(el('h2', null, tableTitle));
      tsec.appendChild(el('p', 'chop-text', model.table.rows.length + ' ' +
        (model.table.title ? 'rows' : 'trials') + '; click a column to sort by it.'));
      tsec.appendChild(trialTable(model.table));
      root.appendChild(tsec);
    }
    var footer = el('footer', 'chop-footer', model.generator || 'chop');
    root.appendChild(footer);
    return pending;
  }

  function render(model, root) {
    views.forEach(function (r) { if (r && r.finalize) r.finalize(); });
    views = [];
    root.textContent = '';
    document.body.removeAttribute('data-chop-rendered');
    var pending = renderStudy(model, root);
    return Promise.all(pending).then(function () {
      document.body.setAttribute('data-chop-rendered', errors.length ? 'error' : 'ok');
    });
  }

  function setStatus(statusEl, text, ok) {
    statusEl.textContent = text;
    statusEl.className = 'chop-live ' + (ok ? 'ok' : 'stale');
  }

  function poll(live, root, signature) {
    var statusEl = el('div', 'chop-live ok', 'live');
    document.body.insertBefore(statusEl, document.body.firstChild);
    function tick() {
      fetch(live.state_url, {cache: 'no-store'}).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      }).then(function (state) {
        setStatus(statusEl, 'live: ' + state.n_trials + ' trials (' + state.n_finished +
          ' finished), checked ' + new Date().toLocaleTimeString(), true);
        if (state.signature === signature) return null;
        return fetch(live.model_url, {cache: 'no-store'}).then(function (r) {
          if (!r.ok) throw new Error('HTTP ' + r.status);
          return r.json();
        }).then(function (model) {
          signature = model.state.signature;
          var y = window.scrollY;
          return render(model, root).then(function () { window.scrollTo(0, y); });
        });
      }).catch(function (e) {
        setStatus(statusEl, 'not updating (' + ((e && e.message) || e) +
          '); retrying every ' + Math.round(live.interval_ms / 1000) + ' s', false);
      }).then(function () { setTimeout(tick, live.interval_ms); });
    }
    setTimeout(tick, live.interval_ms);
  }

  function start(model, live) {
    var root = document.getElementById('chop-report');
    render(model, root).catch(recordError);
    if (live) poll(live, root, model.state && model.state.signature);
  }

  window.chopReport = {start: start, render: render};
})();
