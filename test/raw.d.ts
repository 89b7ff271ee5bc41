/** `import text from "./file?raw"`: Vite (and so vitest, also in the workers pool) inlines the file as a string. */
declare module "*?raw" {
  const text: string;
  export default text;
}
