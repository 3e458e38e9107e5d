// The KCP live view: polls the actuator every second and draws SVG line charts. No library, no build step.
(function () {
  'use strict';

  var PERIOD_MS = 1000;
  var MAX_POINTS = 120;
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  var SVG = 'http://www.w3.org/2000/svg';

  /** A chart of named series over time, drawn into one section of the page. */
  function LineChart(section) {
    this.section = section;
    this.svg = section.querySelector('svg');
    this.legend = section.querySelector('.legend');
    this.series = {};
    this.order = [];
    this.points = 0;
  }

  LineChart.prototype.add = function (name, value) {
    if (!(name in this.series)) {
      this.series[name] = [];
      this.order.push(name);
    }
    var values = this.series[name];
    values.push(value);
    if (values.length > MAX_POINTS) {
      values.shift();
    }
  };

  LineChart.prototype.draw = function () {
    var width = 400, height = 160, left = 36, bottom = 16, top = 8;
    var max = 0, longest = 0, self = this;
    this.order.forEach(function (name) {
      self.series[name].forEach(function (v) { max = Math.max(max, v); });
      longest = Math.max(longest, self.series[name].length);
    });
    var scale = (max > 0) ? max * 1.1 : 1;
    while (this.svg.firstChild) {
      this.svg.removeChild(this.svg.firstChild);
    }
    line(this.svg, left, top, left, height - bottom);
    line(this.svg, left, height - bottom, width, height - bottom);
    text(this.svg, 2, top + 8, format(scale));
    text(this.svg, 2, height - bottom, '0');
    text(this.svg, left, height - 2, MAX_POINTS + ' s');
    this.order.forEach(function (name, index) {
      var values = self.series[name];
      var step = (width - left) / (MAX_POINTS - 1);
      var offset = MAX_POINTS - values.length;
      var coordinates = values.map(function (v, i) {
        var x = left + (offset + i) * step;
        var y = (height - bottom) - (v / scale) * (height - bottom - top);
        return x.toFixed(1) + ',' + y.toFixed(1);
      });
      var polyline = document.createElementNS(SVG, 'polyline');
      polyline.setAttribute('points', coordinates.join(' '));
      polyline.setAttribute('stroke', COLORS[index % COLORS.length]);
      polyline.setAttribute('data-series', name);
      self.svg.appendChild(polyline);
    });
    this.points = longest;
    this.section.setAttribute('data-points', String(longest));
    this.section.setAttribute('data-max', String(max));
    this.legend.innerHTML = '';
    this.order.forEach(function (name, index) {
      var values = self.series[name];
      var item = document.createElement('li');
      var swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = COLORS[index % COLORS.length];
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(name + ': ' + format(values[values.length - 1])));
      self.legend.appendChild(item);
    });
  };

  function line(svg, x1, y1, x2, y2) {
    var l = document.createElementNS(SVG, 'line');
    l.setAttribute('x1', x1); l.setAttribute('y1', y1); l.setAttribute('x2', x2); l.setAttribute('y2', y2);
    l.setAttribute('class', 'axis');
    svg.appendChild(l);
  }

  function text(svg, x, y, content) {
    var t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', x); t.setAttribute('y', y); t.setAttribute('class', 'label');
    t.textContent = content;
    svg.appendChild(t);
  }

  function format(v) {
    if (v === undefined || v === null || isNaN(v)) {
      return '-';
    }
    if (v >= 1e6) { return (v / 1e6).toFixed(1) + 'M'; }
    if (v >= 1e3) { return (v / 1e3).toFixed(1) + 'k'; }
    return (Math.round(v * 100) / 100).toString();
  }

  /** Prometheus text format: one sample per line, {@code name{label="value",...} number}. */
  function parsePrometheus(body) {
    var samples = [];
    body.split('\n').forEach(function (row) {
      if (row === '' || row.charAt(0) === '#') {
        return;
      }
      var match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(row);
      if (!match) {
        return;
      }
      var labels = {};
      var labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g, l;
      while ((l = labelPattern.exec(match[3] || '')) !== null) {
        labels[l[1]] = l[2];
      }
      samples.push({ name: match[1], labels: labels, value: parseFloat(match[4]) });
    });
    return samples;
  }

  /** The sum of the samples named {@code name} whose labels match {@code filter}, grouped by one label. */
  function sumBy(samples, name, filter, groupLabel) {
    var sums = {};
    samples.forEach(function (s) {
      if (s.name !== name) {
        return;
      }
      for (var key in filter) {
        if (s.labels[key] !== filter[key]) {
          return;
        }
      }
      var group = groupLabel ? s.labels[groupLabel] : 'total';
      sums[group] = (sums[group] || 0) + s.value;
    });
    return sums;
  }

  /** Cumulative bucket counts minus an earlier set of them. */
  function difference(buckets, earlier) {
    var result = {};
    for (var le in buckets) {
      result[le] = buckets[le] - ((earlier && earlier[le]) || 0);
    }
    return result;
  }

  /**
   * The q-quantile of a Prometheus histogram (cumulative counts by upper bound {@code le}), interpolated linearly
   * inside its bucket as PromQL's histogram_quantile does; 0 without samples.
   */
  function quantile(buckets, q) {
    var bounds = Object.keys(buckets).filter(function (le) { return le !== '+Inf'; })
      .map(parseFloat).sort(function (a, b) { return a - b; });
    var total = buckets['+Inf'] || 0;
    if (total <= 0) {
      return 0;
    }
    var rank = q * total, lower = 0, below = 0;
    for (var i = 0; i < bounds.length; i++) {
      var count = bucketCount(buckets, bounds[i]);
      if (count >= rank) {
        return lower + (bounds[i] - lower) * ((rank - below) / Math.max(count - below, 1));
      }
      lower = bounds[i];
      below = count;
    }
    return lower;
  }

  function bucketCount(buckets, bound) {
    for (var le in buckets) {
      if (le !== '+Inf' && parseFloat(le) === bound) {
        return buckets[le];
      }
    }
    return 0;
  }

  var RTT_WINDOW = 10;
  var rttWindow = [];
  var charts = {};
  document.querySelectorAll('.chart').forEach(function (section) {
    charts[section.getAttribute('data-chart')] = new LineChart(section);
  });
  var previous = null;
  var status = document.getElementById('status');

  /** Per-second rates of counters since the previous poll. */
  function rates(now, current, key) {
    var result = {};
    if (previous && previous[key]) {
      var seconds = (now - previous.time) / 1000;
      for (var name in current) {
        var before = previous[key][name] || 0;
        result[name] = Math.max(0, (current[name] - before) / seconds);
      }
    }
    return result;
  }

  function onMeters(samples, now) {
    var sessions = sumBy(samples, 'kcp_sessions_active', {}, 'side');
    charts.sessions.add('server', sessions.server || 0);
    charts.sessions.add('client', sessions.client || 0);

    var buckets = sumBy(samples, 'kcp_rtt_seconds_bucket', { side: 'server' }, 'le');
    rttWindow.push(buckets);
    if (rttWindow.length > RTT_WINDOW) {
      rttWindow.shift();
    }
    // Percentiles of the samples of the last RTT_WINDOW polls (all samples so far while the window saw none).
    var recent = difference(buckets, rttWindow[0]);
    var distribution = (recent['+Inf'] > 0) ? recent : buckets;
    [0.5, 0.9, 0.99].forEach(function (q) {
      charts.rtt.add('p' + Math.round(q * 100), quantile(distribution, q) * 1000);
    });

    var messages = sumBy(samples, 'kcp_messages_total', { side: 'server' }, 'direction');
    var wire = sumBy(samples, 'kcp_wire_bytes_total', { side: 'server' }, 'direction');
    var retransmissions = sumBy(samples, 'kcp_retransmissions_total', {}, 'kind');
    var drops = sumBy(samples, 'kcp_datagrams_dropped_total', {}, 'reason');
    var messageRates = rates(now, messages, 'messages');
    var wireRates = rates(now, wire, 'wire');
    var retransmissionRates = rates(now, retransmissions, 'retransmissions');
    if (previous) {
      charts.throughput.add('in', messageRates['in'] || 0);
      charts.throughput.add('out', messageRates.out || 0);
      charts.bytes.add('in', wireRates['in'] || 0);
      charts.bytes.add('out', wireRates.out || 0);
      ['timeout', 'fast', 'early'].forEach(function (kind) {
        charts.retransmissions.add(kind, retransmissionRates[kind] || 0);
      });
    }
    var total = 0;
    Object.keys(drops).forEach(function (reason) {
      total += drops[reason];
      if (drops[reason] > 0) {
        charts.drops.add(reason, drops[reason]);
      }
    });
    charts.drops.add('all', total);
    previous = { time: now, messages: messages, wire: wire, retransmissions: retransmissions };
    Object.keys(charts).forEach(function (name) { charts[name].draw(); });
  }

  function onServers(kcp) {
    var body = document.querySelector('#sessions tbody');
    body.innerHTML = '';
    kcp.servers.forEach(function (server) {
      server.sessions.forEach(function (s) {
        var row = document.createElement('tr');
        [server.name, s.id, Math.round(s.ageMillis / 1000) + ' s', s.srttMillis, s.rtoMillis, s.congestionWindow,
          s.inFlight, s.retransmissions.timeout + s.retransmissions.fast + s.retransmissions.early,
          s.messagesIn + ' / ' + s.messagesOut, format(s.bytesIn) + ' / ' + format(s.bytesOut)]
          .forEach(function (value) {
            var cell = document.createElement('td');
            cell.textContent = value;
            row.appendChild(cell);
          });
        body.appendChild(row);
      });
    });
    document.getElementById('sessions').setAttribute('data-rows', String(body.children.length));
  }

  function poll() {
    var now = Date.now();
    Promise.all([
      fetch('actuator/prometheus').then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); }),
      fetch('actuator/kcp').then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    ]).then(function (results) {
      onMeters(parsePrometheus(results[0]), now);
      onServers(results[1]);
      status.textContent = 'live, updated ' + new Date(now).toLocaleTimeString();
      status.className = 'status';
    }).catch(function (error) {
      status.textContent = 'cannot read the actuator: ' + error;
      status.className = 'status error';
    }).then(function () {
      setTimeout(poll, PERIOD_MS);
    });
  }

  poll();
}());
