// Composes the arena's prompt pool from the hand-written parts: deterministic (a fixed mulberry32
// seed), so the committed data/prompt-pool.json is exactly what this returns. Each family makes its
// candidates, shuffles them and keeps its quota; no two entries share a text.
import { type PoolEntry, PromptPoolSchema } from "../../src/arena/pool.js";
import type { PromptLength } from "../../src/harness/prompts.js";
import { mulberry32 } from "../../src/harness/stats.js";
import {
  BUSINESS_TASKS,
  BUSINESSES,
  CODE_LANGUAGES,
  CODE_QUESTIONS,
  CODE_REQUIREMENTS,
  CODE_REVIEW_TASKS,
  CODE_SNIPPETS,
  CODE_TASKS,
  CONVERSATIONS,
  CREATIVE_SHORT,
  DOCUMENT_TASKS,
  EMAIL_STYLES,
  EMAIL_TASKS,
  LANGUAGES,
  LIST_TASKS,
  LOG_TASKS,
  MEETING_LINES,
  MEETING_TASKS,
  MEETING_TOPICS,
  PAIR_TASKS,
  PASSAGE_TASKS,
  PERSONAS,
  PHRASES,
  SENSOR_TASKS,
  SERVICES,
  SPEAKERS,
  TABLE_TASKS,
  THINGS,
  TOPIC_QUESTIONS,
  TOPICS,
  WORD_PROBLEMS,
  WORD_TASKS,
  WORDS,
} from "./parts.js";
import { PASSAGES, type Passage } from "./passages.js";

type Messages = PoolEntry["messages"];

interface Rng {
  float(): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  shuffle<T>(xs: readonly T[]): T[];
}

function rng(seed: number): Rng {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    float: next,
    int,
    pick: (xs) => xs[int(0, xs.length - 1)] as (typeof xs)[number],
    shuffle: (xs) => {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(0, i);
        [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
      }
      return out;
    },
  };
}

const user = (content: string): Messages => [{ role: "user", content }];
const fill = (template: string, key: string, value: string) =>
  template.replaceAll(`{${key}}`, value);
const product = <A, B>(as: readonly A[], bs: readonly B[]): [A, B][] =>
  as.flatMap((a) => bs.map((b): [A, B] => [a, b]));
const passageBlock = (p: Passage) => `## ${p.title}\n\n${p.text}`;

/** Up to `quota` distinct prompts: from a list of candidates, or drawn until enough are distinct. */
function take(r: Rng, quota: number, source: Messages[] | (() => Messages)): Messages[] {
  const seen = new Set<string>();
  const out: Messages[] = [];
  const add = (m: Messages) => {
    const key = JSON.stringify(m);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(m);
    }
  };
  if (Array.isArray(source)) for (const m of r.shuffle(source).slice(0, quota)) add(m);
  else for (let tries = 0; out.length < quota && tries < quota * 20; tries++) add(source());
  if (out.length < quota) throw new Error(`a prompt family made ${out.length} of ${quota}`);
  return out;
}

function arithmetic(r: Rng): Messages {
  const k = r.int(0, 8);
  const a = r.int(12, 999);
  const b = r.int(2, 99);
  switch (k) {
    case 0:
      return user(`What is ${a} × ${b}?`);
    case 1:
      return user(`What is ${r.pick([5, 12.5, 15, 20, 25, 35, 40, 75])}% of ${a * 4}?`);
    case 2:
      return user(
        `Convert ${a} ${r.pick(["miles to kilometres", "kilograms to pounds", "feet to metres", "litres to US gallons", "degrees Fahrenheit to Celsius"])}.`,
      );
    case 3:
      return user(`Is ${a} a prime number? Explain briefly.`);
    case 4:
      return user(`What comes next in the sequence ${b}, ${b + a}, ${b + 2 * a}, ${b + 3 * a}?`);
    case 5:
      return user(`Which is larger, ${b}/${a} or ${b + 1}/${a + r.int(1, 20)}? Explain.`);
    case 6:
      return user(`What is the square root of ${a * a}?`);
    case 7:
      return user(
        `How many seconds are there in ${r.int(1, 23)} hours and ${r.int(1, 59)} minutes?`,
      );
    default:
      return user(`What is ${a} + ${r.int(100, 9999)} - ${b}?`);
  }
}

function shortPrompts(r: Rng): Messages[] {
  const fromTopics = product(TOPICS, TOPIC_QUESTIONS).map(([t, q]) => user(fill(q, "t", t)));
  const words = product(WORDS, WORD_TASKS).map(([w, q]) => user(fill(q, "w", w)));
  const translations = product(PHRASES, LANGUAGES).map(([p, l]) =>
    user(`Translate into ${l}: "${p}"`),
  );
  const creative = product(THINGS, CREATIVE_SHORT).map(([x, q]) => user(fill(q, "x", x)));
  const business = product(BUSINESSES, BUSINESS_TASKS).map(([b, q]) => user(fill(q, "b", b)));
  const code = product(CODE_LANGUAGES, CODE_QUESTIONS).map(([l, q]) => user(fill(q, "l", l)));
  const emails = product(EMAIL_TASKS, EMAIL_STYLES).map(([t, s]) =>
    user(`Write an email to ${t}. ${s}`),
  );
  const lists = product(LIST_TASKS, ["5", "7", "10"]).map(([t, n]) => user(fill(t, "n", n)));
  const comparisons = () => {
    const [a, b] = r.shuffle(TOPICS);
    return user(`In one or two sentences, what do ${a} and ${b} have in common?`);
  };
  return [
    ...take(r, 800, fromTopics),
    ...take(r, 200, words),
    ...take(r, 150, translations),
    ...take(r, 110, creative),
    ...take(r, 48, business),
    ...take(r, 120, code),
    ...take(r, 300, () => arithmetic(r)),
    ...take(r, 75, emails),
    ...take(r, 48, lists),
    ...take(r, 149, comparisons),
  ];
}

function mediumPrompts(r: Rng): Messages[] {
  const onPassage = product(PASSAGES, PASSAGE_TASKS).map(([p, t]) => user(`${t}\n\n${p.text}`));
  const pairs = () => {
    const [a, b] = r.shuffle(PASSAGES) as [Passage, Passage];
    return user(`${r.pick(PAIR_TASKS)}\n\n${passageBlock(a)}\n\n${passageBlock(b)}`);
  };
  const problems = () => user(r.pick(WORD_PROBLEMS).make(r.int));
  const code = () => {
    const asks = r.shuffle(CODE_REQUIREMENTS).slice(0, r.int(2, 3));
    return user(`${fill(r.pick(CODE_TASKS), "l", r.pick(CODE_LANGUAGES))}\n\n${asks.join(" ")}`);
  };
  const conversations = (): Messages => {
    const [first, reply, follow] = r.pick(CONVERSATIONS);
    const t = r.pick(TOPICS);
    return [
      { role: "system", content: r.pick(PERSONAS) },
      { role: "user", content: fill(first, "t", t) },
      { role: "assistant", content: reply },
      { role: "user", content: follow },
    ];
  };
  return [
    ...take(r, 950, onPassage),
    ...take(r, 150, pairs),
    ...take(r, 270, problems),
    ...take(r, 190, code),
    ...take(r, 200, conversations),
  ];
}

function documentPrompt(r: Rng): Messages {
  const parts = r.shuffle(PASSAGES).slice(0, r.int(14, 32));
  const task = r.pick(DOCUMENT_TASKS);
  const body = `${task}\n\n${parts.map(passageBlock).join("\n\n")}`;
  if (r.float() < 0.3)
    return [
      {
        role: "system",
        content: "You are a careful research assistant. Answer only from the material provided.",
      },
      { role: "user", content: body },
    ];
  return user(body);
}

function codeReviewPrompt(r: Rng): Messages {
  const fns = r.shuffle(CODE_SNIPPETS).slice(0, r.int(17, 24));
  const module = `import datetime\nimport heapq\nimport json\nimport math\nimport re\nimport time\n\n\n${fns.join("\n\n\n")}\n`;
  return user(`${r.pick(CODE_REVIEW_TASKS)}\n\n\`\`\`python\n${module}\`\`\``);
}

const pad = (n: number) => String(n).padStart(2, "0");

function logPrompt(r: Rng): Messages {
  const lines: string[] = [];
  const failing = r.pick(SERVICES);
  const failAt = r.int(15, 30);
  let t = r.int(0, 80_000);
  for (let i = 0, n = r.int(25, 60); i < n; i++) {
    t += r.int(1, 40);
    const stamp = `2024-${pad(r.int(1, 12))}-14T${pad(Math.floor(t / 3600) % 24)}:${pad(Math.floor(t / 60) % 60)}:${pad(t % 60)}Z`;
    const svc = i >= failAt && r.float() < 0.5 ? failing : r.pick(SERVICES);
    const id = r.int(0x1000, 0xffff).toString(16);
    if (svc === failing && i >= failAt) {
      const what = r.pick([
        `ERROR [${svc}] upstream timeout after ${r.int(5, 30)}s req=${id}`,
        `WARN  [${svc}] connection pool exhausted (${r.int(50, 64)}/64) req=${id}`,
        `ERROR [${svc}] database query failed: too many connections req=${id}`,
        `WARN  [${svc}] retrying request req=${id} attempt=${r.int(2, 5)}`,
      ]);
      lines.push(`${stamp} ${what}`);
    } else {
      lines.push(
        `${stamp} INFO  [${svc}] ${r.pick(["GET", "POST", "PUT"])} /v1/${svc}/${r.pick(["items", "status", "users", "sessions"])} ${r.pick([200, 200, 200, 201, 204, 404])} ${r.int(3, 400)}ms req=${id}`,
      );
    }
  }
  return user(`${r.pick(LOG_TASKS)}\n\n\`\`\`\n${lines.join("\n")}\n\`\`\``);
}

function tablePrompt(r: Rng): Messages {
  const regions = r
    .shuffle(["North", "South", "East", "West", "Central", "Coastal"])
    .slice(0, r.int(3, 5));
  const months = r.int(18, 24);
  const start = r.int(2018, 2023);
  const rows = ["month,region,units,revenue"];
  for (const region of regions) {
    let units = r.int(200, 2000);
    const growth = 1 + (r.float() - 0.4) * 0.08;
    for (let m = 0; m < months; m++) {
      units = Math.max(10, Math.round(units * growth * (0.9 + r.float() * 0.2)));
      const ym = `${start + Math.floor(m / 12)}-${pad((m % 12) + 1)}`;
      rows.push(`${ym},${region},${units},${units * r.int(18, 24)}`);
    }
  }
  return user(`${r.pick(TABLE_TASKS)}\n\n\`\`\`csv\n${rows.join("\n")}\n\`\`\``);
}

function sensorPrompt(r: Rng): Messages {
  const rows = ["time,temperature_c,humidity_pct,co2_ppm"];
  const day = r.int(1, 28);
  for (let h = 0, n = r.int(48, 72); h < n; h++) {
    const hour = h % 24;
    const warm = Math.sin(((hour - 8) / 24) * 2 * Math.PI);
    const fault = r.float() < 0.04;
    const temp = fault
      ? r.pick([-40, 85, 0])
      : Math.round((21 + 6 * warm + r.float() * 2) * 10) / 10;
    const hum = Math.round(70 - 15 * warm + r.float() * 6);
    const co2 = Math.round(420 + 180 * Math.max(0, -warm) + r.float() * 40);
    rows.push(`2024-06-${pad(day + Math.floor(h / 24))} ${pad(hour)}:00,${temp},${hum},${co2}`);
  }
  return user(`${r.pick(SENSOR_TASKS)}\n\n\`\`\`csv\n${rows.join("\n")}\n\`\`\``);
}

function meetingPrompt(r: Rng): Messages {
  const topic = r.pick(MEETING_TOPICS);
  const people = r.shuffle(SPEAKERS).slice(0, r.int(3, 5));
  const lines: string[] = [];
  for (let i = 0, n = r.int(70, 130); i < n; i++)
    lines.push(`${r.pick(people)}: ${fill(r.pick(MEETING_LINES), "t", topic)}`);
  return user(`${r.pick(MEETING_TASKS)}\n\nMeeting about ${topic}\n\n${lines.join("\n")}`);
}

function longPrompts(r: Rng): Messages[] {
  return [
    ...take(r, 110, () => documentPrompt(r)),
    ...take(r, 40, () => codeReviewPrompt(r)),
    ...take(r, 30, () => logPrompt(r)),
    ...take(r, 30, () => tablePrompt(r)),
    ...take(r, 10, () => sensorPrompt(r)),
    ...take(r, 20, () => meetingPrompt(r)),
  ];
}

/** The whole pool: about 2000 short, 1760 medium and 240 long prompts. */
export function generatePool(): PoolEntry[] {
  const r = rng(0x5eed_c0de);
  const out: PoolEntry[] = [];
  const seen = new Set<string>();
  const families: [PromptLength, Messages[]][] = [
    ["short", shortPrompts(r)],
    ["medium", mediumPrompts(r)],
    ["long", longPrompts(r)],
  ];
  for (const [length, prompts] of families)
    prompts.forEach((messages, i) => {
      const key = JSON.stringify(messages);
      if (seen.has(key)) throw new Error(`duplicate ${length} prompt: ${key.slice(0, 80)}`);
      seen.add(key);
      out.push({ id: `${length[0]}${String(i + 1).padStart(4, "0")}`, length, messages });
    });
  return out;
}

/** The pool file's text: validated, one entry per line so diffs of the committed file stay readable. */
export function poolJson(): string {
  const pool = PromptPoolSchema.parse(generatePool());
  return `[\n${pool.map((e) => JSON.stringify(e)).join(",\n")}\n]\n`;
}
