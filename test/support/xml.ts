// A small, strict XML parser for the tests: enough of XML 1.0 to say whether a document (the SVG maps) is
// well formed — one root, balanced tags, quoted attributes without duplicates, only the predefined and
// numeric entities, no stray '<' or '&' — and to give back the element tree to query. Throws on the first
// error with its offset.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

export function parseXml(src: string): XmlElement {
  let p = 0;
  const fail = (msg: string): never => {
    throw new Error(`XML: ${msg} at offset ${p}: ${JSON.stringify(src.slice(p, p + 40))}`);
  };
  const name = (): string => {
    NAME.lastIndex = p;
    const m = NAME.exec(src);
    if (!m) fail("expected a name");
    p += m![0].length;
    return m![0];
  };
  const ws = () => {
    while (p < src.length && /\s/.test(src[p]!)) p++;
  };
  const decode = (s: string, at: number): string =>
    s.replace(/&([^;]*);|&|</g, (m, ent: string | undefined) => {
      if (m === "<") throw new Error(`XML: '<' in text or attribute near offset ${at}`);
      if (ent === undefined) throw new Error(`XML: bare '&' near offset ${at}`);
      const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
      if (ent in named) return named[ent]!;
      const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(ent);
      if (!num) throw new Error(`XML: unknown entity &${ent}; near offset ${at}`);
      return String.fromCodePoint(num[1]!.startsWith("x") ? parseInt(num[1]!.slice(1), 16) : parseInt(num[1]!, 10));
    });
  const skipMisc = () => {
    for (;;) {
      ws();
      if (src.startsWith("<!--", p)) {
        const e = src.indexOf("-->", p + 4);
        if (e < 0) fail("unterminated comment");
        p = e + 3;
      } else if (src.startsWith("<?", p)) {
        const e = src.indexOf("?>", p + 2);
        if (e < 0) fail("unterminated processing instruction");
        p = e + 2;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (src[p] !== "<") fail("expected '<'");
    p++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: "" };
    for (;;) {
      const before = p;
      ws();
      if (src.startsWith("/>", p)) {
        p += 2;
        return el;
      }
      if (src[p] === ">") {
        p++;
        break;
      }
      if (p === before) fail("expected whitespace before an attribute");
      const an = name();
      ws();
      if (src[p] !== "=") fail("expected '='");
      p++;
      ws();
      const q = src[p];
      if (q !== '"' && q !== "'") fail("attribute value not quoted");
      const e = src.indexOf(q!, p + 1);
      if (e < 0) fail("unterminated attribute value");
      if (an in el.attrs) fail(`duplicate attribute ${an}`);
      el.attrs[an] = decode(src.slice(p + 1, e), p);
      p = e + 1;
    }
    for (;;) {
      const lt = src.indexOf("<", p);
      if (lt < 0) fail(`unclosed element <${el.name}>`);
      el.text += decode(src.slice(p, lt), p);
      p = lt;
      if (src.startsWith("</", p)) {
        p += 2;
        const close = name();
        if (close !== el.name) fail(`</${close}> closes <${el.name}>`);
        ws();
        if (src[p] !== ">") fail("expected '>'");
        p++;
        return el;
      }
      if (src.startsWith("<!--", p)) {
        const e = src.indexOf("-->", p + 4);
        if (e < 0) fail("unterminated comment");
        p = e + 3;
        continue;
      }
      el.children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (p !== src.length) fail("content after the root element");
  return root;
}

/** Every element of the tree, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}
