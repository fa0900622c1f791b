// This file is part of the EV charging platform. The COPYRIGHT file at the
// top level of this repository holds the copyright notices and license terms.

// A hash router: #/path/segments?query. E-mail links built by web_user put
// their token in the page's query (…/app/?token=…#/confirm), so that query
// is merged in and then removed from the address bar.
export function parseLocation(hash, search = '') {
  const raw = (hash || '').replace(/^#/, '') || '/map';
  const [path, query = ''] = raw.split('?');
  const params = Object.fromEntries(new URLSearchParams(search));
  Object.assign(params, Object.fromEntries(new URLSearchParams(query)));
  const segments = path.split('/').filter(Boolean);
  return { path: `/${segments.join('/')}`, segments, params };
}

export function navigate(path) {
  if (window.location.hash === `#${path}`) {
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = path;
  }
}

export function startRouter(render) {
  const run = () => {
    const route = parseLocation(window.location.hash, window.location.search);
    if (window.location.search) {
      const url = window.location.pathname + window.location.hash;
      window.history.replaceState(null, '', url);
    }
    render(route);
  };
  window.addEventListener('hashchange', run);
  run();
  return run;
}
