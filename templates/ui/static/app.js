// hutong web UI: copy buttons, the live preview of a pasted link, and the
// QR code options. Everything works without this script; it only saves
// round trips. No inline handlers: the CSP allows this file only.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.className = 'sr';
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      document.body.removeChild(ta);
      if (ok) { resolve(); } else { reject(new Error('copy failed')); }
    });
  }

  document.querySelectorAll('[data-copy]').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var src = document.querySelector(btn.getAttribute('data-copy'));
      var status = document.getElementById('copy-status');
      if (!src) { return; }
      copyText(src.value || src.textContent).then(function () {
        if (status) { status.textContent = btn.getAttribute('data-done'); }
      }, function () {
        src.select && src.select();
        if (status) { status.textContent = btn.getAttribute('data-fail'); }
      });
    });
  });

  // Live preview: ask /ui/parse what hutong understands, after a pause.
  document.querySelectorAll('textarea[data-preview]').forEach(function (ta) {
    var box = document.querySelector(ta.getAttribute('data-preview'));
    if (!box) { return; }
    var timer = 0, seq = 0;
    function update() {
      var v = ta.value.trim();
      if (!v) { box.textContent = ''; return; }
      var mine = ++seq;
      fetch('/ui/parse?u=' + encodeURIComponent(v), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j || mine !== seq) { return; }
          // j.html is rendered and escaped by the server's template.
          box.innerHTML = j.html;
        })
        .catch(function () {});
    }
    ta.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(update, 250);
    });
  });

  // QR options: update the image and the download links in place.
  var qf = document.querySelector('form.qrform');
  if (qf) {
    var img = document.getElementById('qr-img');
    var png = document.getElementById('qr-png');
    var svg = document.getElementById('qr-svg');
    var base = qf.getAttribute('data-qr');
    var imgErr = document.getElementById('qr-img-err');
    var ctext = qf.querySelector('.qr-ctext');
    // A caption with a character the PNG font lacks answers 400: say so
    // (the SVG download draws it with the viewer's fonts).
    img.addEventListener('error', function () { if (imgErr) { imgErr.hidden = false; } });
    img.addEventListener('load', function () { if (imgErr) { imgErr.hidden = true; } });
    var refresh = function () {
      var p = new URLSearchParams();
      p.set('size', qf.elements.size.value);
      p.set('fg', qf.elements.fg.value.replace('#', ''));
      p.set('bg', qf.elements.bg.value.replace('#', ''));
      if (qf.elements.domain) { p.set('domain', qf.elements.domain.value); }
      if (qf.elements.logo && qf.elements.logo.checked) { p.set('logo', '1'); p.set('level', 'H'); }
      var cap = qf.elements.caption ? qf.elements.caption.value : '';
      if (ctext) { ctext.hidden = cap !== 'custom'; }
      if (cap === 'custom') { cap = qf.elements.ctext.value.trim(); }
      if (cap) { p.set('caption', cap); }
      var q = p.toString();
      img.src = base + 'qr.png?' + q;
      png.href = base + 'qr.png?' + q;
      svg.href = base + 'qr.svg?' + q;
    };
    if (ctext) { ctext.hidden = qf.elements.caption.value !== 'custom'; }
    qf.addEventListener('change', refresh);
    qf.addEventListener('input', refresh);
  }
}());
