// The connection badge: Blazor toggles reconnect classes on #components-reconnect-modal; this marks the first connect.
window.crisisDesk = {
  circuitUp() {
    const status = document.getElementById('components-reconnect-modal');
    if (status) status.dataset.circuit = 'up';
  },
};
