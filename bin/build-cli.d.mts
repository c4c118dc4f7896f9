/** Where the compiled command lives (dist/cli/ at the repository root). */
export declare const DIST_DIR: string;
/** Builds dist/cli/; false when esbuild is not installed. */
export declare function buildCli(options?: { distDir?: string }): Promise<boolean>;
/** Whether dist/cli/ was built from the current sources. */
export declare function compiledCliIsFresh(options?: { distDir?: string; root?: string }): boolean;
