// Build-time inputs of the widget bundle (see scripts/build-widget.mjs).
declare module '*.css' {
  const css: string;
  export default css;
}
declare const __VERSION__: string;
