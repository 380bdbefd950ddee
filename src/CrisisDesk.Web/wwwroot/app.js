// The connection badge: Blazor toggles reconnect classes on #components-reconnect-modal; this marks the first connect.
window.crisisDesk = {
  circuitUp() {
    const status = document.getElementById('components-reconnect-modal');
    if (status) status.dataset.circuit = 'up';
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
    if (['j', 'k', 'f', 'm', '?', 'Escape'].includes(e.key)) {
      e.preventDefault();
      dotnet.invokeMethodAsync('OnTriageKeyAsync', e.key);
    }
  };
  window.crisisDesk._triageKeys = handler;
  document.addEventListener('keydown', handler);
};

// Keeps the selected post in view in the virtualised feed (rows have a fixed height).
window.crisisDesk.scrollFeedTo = (top, height) => {
  const feed = document.getElementById('triage-feed');
  if (!feed) return;
  if (top < feed.scrollTop) feed.scrollTop = top;
  else if (top + height > feed.scrollTop + feed.clientHeight) feed.scrollTop = top + height - feed.clientHeight;
};
