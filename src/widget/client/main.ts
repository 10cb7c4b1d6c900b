// favour's browser widget: "A small favour" appeal + donate button, embedded by publishers with
//   <script async src="https://SERVICE/widget.js" data-publication="demo"></script>
// or <div data-favour-publication="demo"></div> placeholders. Shadow DOM + constructable stylesheet,
// no runtime dependencies, no cookies, one global (window.favour).
import { createConfigLoader, serviceBase } from './config.js';
import { element } from './dom.js';
import { readMarkers } from './polite.js';
import { type MountContext, mount } from './render.js';

interface Favour {
  version: string;
  /** Renders the widget into `[data-favour-publication]` placeholders under `root` (default: the document) not rendered yet. */
  render(root?: ParentNode | null): void;
}
declare global {
  interface Window {
    favour?: Favour;
  }
}

if (!window.favour) {
  const base = serviceBase();
  const markers = readMarkers(location.href);
  if (markers.stripped) {
    try {
      history.replaceState(history.state, '', markers.stripped);
    } catch {
      /* sandboxed: keep the URL */
    }
  }
  const context: MountContext = { base, markers, loadConfig: createConfigLoader(base), counted: new Set() };
  const rendered = new WeakSet<Element>();
  const render = (root?: ParentNode | null) => {
    (root || document).querySelectorAll<HTMLElement>('[data-favour-publication]').forEach((placeholder) => {
      if (rendered.has(placeholder)) return;
      rendered.add(placeholder);
      mount(context, placeholder, placeholder.getAttribute('data-favour-publication')!);
    });
  };
  window.favour = { version: __VERSION__, render };
  if (document.readyState == 'loading') document.addEventListener('DOMContentLoaded', () => render());
}

// The script tag renders the appeal where it stands: a placeholder before it with its data-* attributes.
// (A second copy of the script on the page only adds its placeholder; the first copy renders it.)
const tag = document.currentScript;
if (tag?.getAttribute('data-publication') && tag.parentNode && tag.parentNode != document.head) {
  const placeholder = element('div');
  for (const attribute of Array.from(tag.attributes))
    if (attribute.name.startsWith('data-'))
      placeholder.setAttribute(attribute.name == 'data-publication' ? 'data-favour-publication' : attribute.name, attribute.value);
  tag.parentNode.insertBefore(placeholder, tag);
}
window.favour!.render();
