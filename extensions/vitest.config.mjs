import {defineConfig} from 'vitest/config';

// One `npm test` runs every suite:
//  - checkout-consent/tests: checkout UI extension (jsdom, @shopify/ui-extensions-tester)
//  - test/: cart-page theme block in headless Chromium, and TOML/locale checks (node)
export default defineConfig({
  oxc: {
    jsx: {runtime: 'automatic', importSource: 'preact'},
  },
  test: {
    include: ['checkout-consent/tests/**/*.test.{js,jsx}', 'test/**/*.test.js'],
    environment: 'node',
    // The tester imports the extension module itself: let Vite transform it.
    server: {deps: {inline: [/@shopify\/ui-extensions/]}},
    testTimeout: 20000,
    hookTimeout: 60000,
  },
});
