// Building DOM without innerHTML: every string becomes text, never markup.

export type Child = Node | string | null | undefined | false;

/** createElement with attributes, then children (falsy children are skipped). */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes?: Record<string, string> | null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const name in attributes) node.setAttribute(name, attributes[name]!);
  node.append(...(children.flat().filter((child) => child != null && child !== false) as (Node | string)[]));
  return node;
}

/** Fills `{name}` placeholders; unknown ones stay as they are. */
export const fillTemplate = (template: string, values: Record<string, string>): string =>
  template.replace(/\{(\w+)\}/g, (placeholder, name: string) => values[name] ?? placeholder);
