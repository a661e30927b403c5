// The throwaway Sigstore the tests sign with is the demo's (src/demo/test-sigstore.ts); tests import it from here.
export * from '../../src/demo/test-sigstore.js';
