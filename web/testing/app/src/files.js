// Where the package's run-time files are, for the bundlers that find them on their own (Vite,
// webpack 5): nothing to say. The esbuild test replaces this file with web/README.md's esbuild
// snippet, which names the copies the app serves.
export const vlclusterFiles = {};
