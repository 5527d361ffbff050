/** The module a COPY thread runs, from the sources; scripts/build.ts swaps this file for the bundle's own. */
export const copyThreadUrl = new URL('./copy-thread-boot.mjs', import.meta.url);
