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

function applyCircuitMark() {
  const status = document.getElementById('components-reconnect-modal');
  if (status && window.crisisDesk.up) status.dataset.circuit = 'up';
}

if (window.Blazor && typeof window.Blazor.addEventListener === 'function') {
  window.Blazor.addEventListener('enhancedload', applyCircuitMark);
}
