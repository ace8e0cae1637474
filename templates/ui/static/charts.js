// hutong web UI: draws the clicks charts with uPlot (vendored in
// uplot-1.6.32.min.js, MIT, served from this host). Each
// <div class="tschart" data-series='{"labels":[…],"human":[…],"bot":[…],
// "names":["people","bots","day"]}'> becomes a chart as wide as its card that
// follows the window's width; without JavaScript the SVG and the table
// beside it stay. No inline code: the CSP allows files from this host only.
(function () {
  'use strict';
  if (typeof uPlot === 'undefined') { return; }
  function draw(el) {
    var d;
    try { d = JSON.parse(el.getAttribute('data-series')); } catch (e) { return; }
    var xs = d.labels.map(function (_, i) { return i; });
    var width = function () { return Math.max(240, el.clientWidth); };
    var opts = {
      width: width(),
      height: 220,
      legend: { show: true },
      scales: { x: { time: false } },
      axes: [
        { values: function (u, vals) { return vals.map(function (v) { return d.labels[v] || ''; }); } },
        { size: 44 }
      ],
      series: [
        { label: d.names[2] || '' },
        { label: d.names[0], stroke: '#1f6feb', fill: 'rgba(31,111,235,0.15)', width: 2 },
        { label: d.names[1], stroke: '#9aa4b2', width: 1, dash: [4, 4] }
      ]
    };
    el.classList.add('drawn');
    var plot = new uPlot(opts, [xs, d.human, d.bot], el);
    window.addEventListener('resize', function () { plot.setSize({ width: width(), height: 220 }); });
  }
  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('.tschart'), draw);
  });
})();
