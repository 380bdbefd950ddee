// The connection badge (#components-reconnect-modal, outside the interactive tree): Blazor toggles its reconnect
// classes; this marks the first connect. An enhanced page load re-renders the badge from the server's HTML, so the
// mark is re-applied after each one while the circuit lives.
window.crisisDesk = {
  up: false,
  circuitUp() {
    this.up = true;
    applyCircuitMark();
  },
};

// Keyboard triage in the war room: j/k move, f flag, m reviewed, / search, ? help. Keys typed into a field are the
// field's; every key also has a visible control, so nothing depends on this script.
window.crisisDesk.triageKeys = (dotnet) => {
  if (window.crisisDesk._triageKeys) document.removeEventListener('keydown', window.crisisDesk._triageKeys);
  const handler = (e) => {
    if (!document.querySelector('[data-testid="warroom"]')) { document.removeEventListener('keydown', handler); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
    if (typing) {
      if (e.key === 'Escape') t.blur();
      return;
    }
    if (e.key === '/') {
      e.preventDefault();
      const search = document.getElementById('triage-search');
      if (search) { search.focus(); search.select(); }
      return;
    }
    if (['j', 'k', 'f', 'm', 'o', '?', 'Escape'].includes(e.key)) {
      e.preventDefault();
      dotnet.invokeMethodAsync('OnTriageKeyAsync', e.key);
    }
  };
  window.crisisDesk._triageKeys = handler;
  document.addEventListener('keydown', handler);
};

// Keeps the selected post in view in the virtualised feed: the card itself when it is rendered (cards are sized to
// their content), else the estimated place, where Virtualize then renders it.
window.crisisDesk.scrollFeedTo = (postId, top, height) => {
  const feed = document.getElementById('triage-feed');
  if (!feed) return;
  const card = feed.querySelector(`article.post[data-post-id="${postId}"]`);
  if (card) { card.scrollIntoView({ block: 'nearest' }); return; }
  if (top < feed.scrollTop) feed.scrollTop = top;
  else if (top + height > feed.scrollTop + feed.clientHeight) feed.scrollTop = top + height - feed.clientHeight;
};
function applyCircuitMark() {
  const status = document.getElementById('components-reconnect-modal');
  if (status && window.crisisDesk.up) status.dataset.circuit = window.crisisDesk.ended ? 'ended' : 'up';
}

// An unhandled server error ends the circuit without a disconnect: Blazor only shows #blazor-error-ui (the element it
// finds at that moment; the layout may have re-rendered it). The badge must not keep saying Connected over a page that
// no longer updates, so look once a second.
setInterval(() => {
  const error = document.getElementById('blazor-error-ui');
  if (!window.crisisDesk.ended && error && getComputedStyle(error).display !== 'none') {
    window.crisisDesk.ended = true;
    applyCircuitMark();
  }
}, 1000);

if (window.Blazor && typeof window.Blazor.addEventListener === 'function') {
  window.Blazor.addEventListener('enhancedload', applyCircuitMark);
}
