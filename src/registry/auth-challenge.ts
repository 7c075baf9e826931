// parseChallenges reads a WWW-Authenticate header (RFC 7235): one or more
// challenges, each a scheme and its parameters, values plain or quoted.
// Registries send `Bearer realm="...",service="...",scope="..."` or
// `Basic realm="..."`; containerd's auth/fetch.go parses the same grammar.

export interface Challenge {
  // scheme is lower-cased: "bearer", "basic".
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const out: Challenge[] = [];
  for (const text of Array.isArray(header) ? header : header === undefined ? [] : [header]) {
    let rest = text.trim();
    let current: Challenge | undefined;
    while (rest !== "") {
      const name = TOKEN.exec(rest)?.[0];
      if (name === undefined) {
        // Not a token: skip a stray separator and go on.
        rest = rest.slice(1).trimStart();
        continue;
      }
      const after = rest.slice(name.length).trimStart();
      if (after.startsWith("=") && current !== undefined) {
        const [value, remaining] = readValue(after.slice(1).trimStart());
        current.params[name.toLowerCase()] = value;
        rest = remaining.replace(/^\s*,\s*/, "");
        continue;
      }
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
      rest = after.replace(/^,\s*/, "");
    }
  }
  return out;
}

function readValue(text: string): [string, string] {
  if (!text.startsWith('"')) {
    const value = TOKEN.exec(text)?.[0] ?? "";
    return [value, text.slice(value.length)];
  }
  let value = "";
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length) value += text[++i];
    else if (c === '"') return [value, text.slice(i + 1)];
    else value += c;
  }
  return [value, ""];
}
