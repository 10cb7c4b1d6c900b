// Types for scripts/build-widget.mjs, so TypeScript tests can import it.
export declare const WIDGET_ENTRY: string;
export declare const WIDGET_BUNDLE: string;
export declare const GZIP_BUDGET: number;
export interface WidgetBuild {
  code: Buffer;
  raw: number;
  gzip: number;
  brotli: number;
}
export declare function buildWidget(options?: { write?: boolean }): Promise<WidgetBuild>;
export declare function measure(code: Uint8Array): { raw: number; gzip: number; brotli: number };
