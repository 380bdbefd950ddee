// The connection state (Components/ConnectionStatus.razor): Blazor raises components-reconnect-state-changed on
// #components-reconnect-modal; this maps each state to data-circuit (which the CSS shows), makes the page inert while
// it cannot act, and wires Retry / Resume. CircuitMarker calls circuitUp() on the first interactive render.
window.crisisDesk = {
  up: false,
  circuitUp() {
    this.up = true;
    this.ended = false;
    setCircuit('up');
  },
  // The theme switch in the user menu: a year-long cookie, read by the server at the next first paint.
  setTheme(name) {
    document.cookie = `crisisdesk.theme=${name}; path=/; max-age=31536000; samesite=lax`;
    document.querySelector('meta[name="color-scheme"]')?.setAttribute('content', name);
  },
};

// Blazor's schedule (30 tries over about six minutes) left a stopped server showing "Reconnecting" for minutes. Eight
// tries over about 20 s, then Offline, which keeps retrying quietly every 10 s and on Retry.
const retryDelays = [0, 1000, 2000, 2000, 3000, 3000, 4000, 5000];
const offlineRetryMs = 10000;
let offlineTimer = null;

function statusElement() { return document.getElementById('components-reconnect-modal'); }

function setCircuit(state) {
  const status = statusElement();
  if (!status) return;
  status.dataset.circuit = state;
  // Offline, paused or stopped: nothing on the page may act; the connection panel stays usable.
  const blocked = state === 'offline' || state === 'paused' || state === 'ended';
  document.querySelectorAll('body > :not(#components-reconnect-modal):not(script)').forEach(e => { e.inert = blocked; });
  if (state !== 'offline') stopOfflineRetries();
  if (blocked) status.querySelector(`button.circuit-${state}`)?.focus();
  if (state === 'up' || state === 'reconnecting') note('');
}

function note(text) {
  const element = statusElement()?.querySelector('.connection-retry-note');
  if (element) element.textContent = text;
}

function onReconnectState(event) {
  const detail = event.detail || {};
  switch (detail.state) {
    case 'show':
    case 'retrying':
      setCircuit('reconnecting');
      break;
    case 'hide':
      setCircuit(window.crisisDesk.ended ? 'ended' : 'up');
      break;
    case 'failed':
    case 'resume-failed':
      setCircuit('offline');
      startOfflineRetries();
      break;
    case 'paused':
      setCircuit('paused');
      break;
    case 'rejected':
      // The server is back but neither has this circuit nor could resume it: a fresh page is the way back.
      setCircuit('offline');
      location.reload();
      break;
  }
}

// Reconnect to the same circuit; if the server no longer has it, resume from its persisted state; if that fails too,
// load the page afresh. An exception means the server is still unreachable.
async function retry(quiet) {
  if (!quiet) note('Trying to reconnect…');
  try {
    if (await Blazor.reconnect()) { setCircuit('up'); return; }
    if (await Blazor.resumeCircuit()) { setCircuit('up'); return; }
    location.reload();
  } catch {
    if (!quiet) note(`Still offline at ${new Date().toLocaleTimeString()}. CrisisDesk keeps trying.`);
  }
}

// Blazor stores a paused circuit's state in the background (the server's PauseCircuit only starts it), so a Resume
// clicked straight after a pause can find nothing yet: ask again for a few seconds before loading the page afresh,
// which would lose what the person had typed.
async function resume() {
  for (const wait of [250, 500, 1000, 2000]) {
    try {
      if (await Blazor.resumeCircuit()) { setCircuit('up'); return; }
    } catch { break; /* the server is unreachable: a fresh page says so */ }
    await new Promise(resolve => setTimeout(resolve, wait));
  }
  location.reload();
}

function startOfflineRetries() {
  stopOfflineRetries();
  offlineTimer = setInterval(() => retry(true), offlineRetryMs);
  document.addEventListener('visibilitychange', retryWhenVisible);
}

function stopOfflineRetries() {
  if (offlineTimer) clearInterval(offlineTimer);
  offlineTimer = null;
  document.removeEventListener('visibilitychange', retryWhenVisible);
}

function retryWhenVisible() {
  if (document.visibilityState === 'visible') retry(true);
}

function wireConnectionStatus() {
  const status = statusElement();
  if (!status || status.dataset.wired) return;
  status.dataset.wired = '1';
  status.addEventListener('components-reconnect-state-changed', onReconnectState);
  status.querySelector('#connection-retry')?.addEventListener('click', () => retry(false));
  status.querySelector('#connection-resume')?.addEventListener('click', resume);
  status.querySelector('#connection-reload')?.addEventListener('click', () => location.reload());
  if (window.crisisDesk.up) setCircuit(window.crisisDesk.ended ? 'ended' : 'up');
}

// A prerendered map that can be drawn before the circuit is up (the war room's): drawn now, from its posts fetched
// over HTTP, and adopted by its component when the circuit has rendered (Features/Map/MapView.razor.js).
function drawMapsEarly() {
  const maps = document.querySelectorAll('.map-canvas[data-early]');
  if (!maps.length) return;
  import(new URL('Features/Map/MapView.razor.js', document.baseURI).href)
    .then(module => Promise.all([...maps].map(element => module.drawEarly(element))))
    .catch(e => console.warn('CrisisDesk: the map could not be drawn before the page was ready; it will be when it is.', e));
}

wireConnectionStatus();
drawMapsEarly();
Blazor.start({
  circuit: {
    reconnectionOptions: {
      maxRetries: retryDelays.length,
      retryIntervalMilliseconds: (previousAttempts) => previousAttempts < retryDelays.length ? retryDelays[previousAttempts] : null,
    },
  },
});

// An unhandled server error ends the circuit without a disconnect: Blazor only shows #blazor-error-ui. The chip must
// not keep saying Connected over a page that no longer updates, so look once a second.
setInterval(() => {
  const error = document.getElementById('blazor-error-ui');
  if (!window.crisisDesk.ended && error && getComputedStyle(error).display !== 'none') {
    window.crisisDesk.ended = true;
    setCircuit('ended');
  }
}, 1000);

// An enhanced page load (the static sign-in page and back) re-renders the status element from the server's HTML.
Blazor.addEventListener('enhancedload', wireConnectionStatus);

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
