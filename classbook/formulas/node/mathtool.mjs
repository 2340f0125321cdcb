// One batch of formulas in one node process: TeX -> MathML Core (temml), then MathML -> spoken
// text (speech-rule-engine). Called by classbook/formulas/tools.py; nothing is fetched over
// the network (temml has no I/O; SRE reads its rule files from the installed package).
//
// Usage: node mathtool.mjs <folder holding node_modules>   (the request on stdin)
// Request: {"items": [{"id", "tex", "display", "speak"}],      -- TeX to convert
//           "speak": [{"id", "mathml"}],                        -- MathML (from the cache) to speak
//           "speech": {"locale", "domain", "style"},
//           "xpathCache": true,                                 -- false: SRE as shipped (tests)
//           "macros": {"\\R": "\\mathbb{R}"}}                   -- the book's own commands
// Output, two JSON lines, so the caller draws SVGs from the MathML while speech runs:
//   {"mathml": {id: {"mathml": str} | {"error": {"name", "message"}}}}
//   {"speech": {id: {"speech": str} | {"error": {"name", "message"}}}}
import { createRequire } from 'node:module';
import { readFileSync, writeSync } from 'node:fs';
import path from 'node:path';

const modules = process.argv[2];
if (!modules) {
  process.stderr.write('usage: node mathtool.mjs <folder holding node_modules>\n');
  process.exit(2);
}
// The tools live under the virtualenv, not beside this script: resolve them from there.
const require = createRequire(path.join(path.resolve(modules), 'package.json'));
const req = JSON.parse(readFileSync(0, 'utf8'));

// writeSync: the output must be complete and ordered even when the pipe is full.
function emit(obj) {
  const data = Buffer.from(JSON.stringify(obj) + '\n', 'utf8');
  let done = 0;
  while (done < data.length) {
    try {
      done += writeSync(1, data, done);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e; // a non-blocking pipe that is full: try again
    }
  }
}

// speech-rule-engine asks a few hundred distinct XPath questions thousands of times, and
// wicked-good-xpath (its XPath in node) parses the expression text on every call: 40 % of the
// time went there. Each expression is compiled once instead (the namespace resolver SRE passes
// is always the same mapping). Must run before SRE loads: SRE keeps document.evaluate.
function compileXPathOnce() {
  const wgxpath = require('wicked-good-xpath');
  const install = wgxpath.install;
  wgxpath.install = function (win, ...rest) {
    install.call(this, win, ...rest);
    const doc = win.document;
    const compiled = new Map();
    doc.evaluate = function (expression, context, resolver, type) {
      let found = compiled.get(expression);
      if (found === undefined) {
        found = doc.createExpression(expression, resolver);
        compiled.set(expression, found);
      }
      return found.evaluate(context, type);
    };
  };
}

function failure(e) {
  return { error: { name: (e && e.name) || 'Error', message: String((e && e.message) || e) } };
}

const items = req.items || [];
const mathml = {};
if (items.length) {
  const temml = require('temml');
  for (const item of items) {
    try {
      mathml[item.id] = {
        mathml: temml.renderToString(item.tex, {
          displayMode: !!item.display,
          throwOnError: true, // a formula that does not parse is an error, never red TeX
          annotate: true, // <semantics> keeps the TeX for copy and for assistive technology
          trust: false, // no \href, \url, \includegraphics, \class, \style from a book's text
          xml: true, // well-formed XML: the EPUB's XHTML and the print SVG path parse it
          wrap: 'none',
          maxExpand: 1000, // a recursive \def ends with an error, not a hang
          // A copy each time: temml may write a formula's \gdef into the object it is given.
          macros: Object.assign(Object.create(null), req.macros || {}),
        }),
      };
    } catch (e) {
      mathml[item.id] = failure(e);
    }
  }
}
emit({ mathml });

// temml sets \begin{equation}, align and gather in a table; with one row, SRE would say
// "1 lines Line 1:" before the formula. Such a formula is spoken as its row's math.
function forSpeech(mathml) {
  const open = mathml.match(/^<math\b[^>]*>(?:<semantics>)?(?=<mtable\b)/);
  if (!open) return mathml;
  const tags = /<(\/?)(mtable|mtr|mlabeledtr|mtd)\b[^>]*>/g;
  tags.lastIndex = open[0].length;
  const pieces = [];
  let depth = 0, rows = 0, at = open[0].length, m;
  while ((m = tags.exec(mathml))) {
    const closing = m[1] === '/';
    if (m[2] === 'mtable' && !closing) depth += 1;
    const top = depth === 1; // the frame's own table, row and cells, not a matrix inside
    if (m[2] === 'mtable' && closing) depth -= 1;
    if (!top) continue;
    if (m[2] !== 'mtd' && m[2] !== 'mtable' && !closing) rows += 1;
    pieces.push(mathml.slice(at, m.index));
    pieces.push(m[2] === 'mtd' ? (closing ? '</mrow>' : '<mrow>') : m[2] === 'mtable' ? (closing ? '</mrow>' : '<mrow>') : '');
    at = m.index + m[0].length;
    if (depth === 0) break;
  }
  if (rows !== 1 || depth !== 0) return mathml;
  return open[0] + pieces.join('') + mathml.slice(at);
}

const speak = [...(req.speak || [])];
for (const item of items) {
  if (item.speak && mathml[item.id].mathml) speak.push({ id: item.id, mathml: mathml[item.id].mathml });
}
const speech = {};
if (speak.length) {
  if (req.xpathCache !== false) compileXPathOnce();
  const sre = require('speech-rule-engine');
  const options = req.speech || {};
  const maps = path.join(path.dirname(require.resolve('speech-rule-engine/package.json')), 'lib', 'mathmaps');
  await sre.setupEngine({
    locale: options.locale || 'en',
    domain: options.domain || 'clearspeak',
    style: options.style || 'default',
    modality: 'speech',
    markup: 'none',
    json: maps, // the rule files shipped in the package, never a download
  });
  await sre.engineReady();
  for (const item of speak) {
    try {
      speech[item.id] = { speech: sre.toSpeech(forSpeech(item.mathml)) };
    } catch (e) {
      speech[item.id] = failure(e);
    }
  }
}
emit({ speech });
