// Parses and serialises one repodata.json once, in its own process: the floor a rewrite of that subdir costs.
import { readFileSync } from 'node:fs';
import { peakRssKiB } from './peak-rss.js';

const start = performance.now();
const doc = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as unknown;
const text = JSON.stringify(doc);
const ms = performance.now() - start;
process.stdout.write(JSON.stringify({ ms, bytes: text.length, maxRssKiB: peakRssKiB() }));
