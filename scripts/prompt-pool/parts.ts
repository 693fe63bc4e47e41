// Hand-written building blocks for the prompt pool: topics, question and task templates, word
// problems, coding tasks, personas and code snippets. generate.ts composes them deterministically.

export const TOPICS: readonly string[] = [
  "black holes",
  "the French Revolution",
  "photosynthesis",
  "compound interest",
  "the immune system",
  "plate tectonics",
  "the Roman Empire",
  "machine learning",
  "the water cycle",
  "inflation",
  "the printing press",
  "DNA replication",
  "the Silk Road",
  "renewable energy",
  "the theory of evolution",
  "public-key cryptography",
  "the Great Depression",
  "coral reefs",
  "the human heart",
  "supply and demand",
  "the Industrial Revolution",
  "volcanoes",
  "the stock market",
  "climate change",
  "antibiotics",
  "the Renaissance",
  "quantum computing",
  "the blockchain",
  "sleep",
  "the Moon landing",
  "honeybees",
  "the internet",
  "nuclear fission",
  "the Cold War",
  "impressionist painting",
  "the pyramids of Giza",
  "electric cars",
  "the placebo effect",
  "supernovae",
  "the Amazon rainforest",
  "operating systems",
  "jazz",
  "the Olympic Games",
  "earthquakes",
  "the periodic table",
  "democracy in ancient Athens",
  "the gut microbiome",
  "hurricanes",
  "the Fibonacci sequence",
  "recycling",
  "the Byzantine Empire",
  "artificial sweeteners",
  "the speed of light",
  "tides",
  "the Hubble Space Telescope",
  "monsoons",
  "the Magna Carta",
  "solar panels",
  "the Mongol Empire",
  "vaccines",
  "the Pythagorean theorem",
  "glaciers",
  "opera",
  "the human eye",
  "cloud computing",
  "the Ottoman Empire",
  "prime numbers",
  "desalination",
  "the Apollo program",
  "urban gardening",
  "the bystander effect",
  "the metric system",
  "submarines",
  "the Great Barrier Reef",
  "chess openings",
  "wind turbines",
  "the Black Death",
  "compilers",
  "the ozone layer",
  "minimalism",
];

/** Short questions about a topic; `{t}` is the topic. */
export const TOPIC_QUESTIONS: readonly string[] = [
  "Explain {t} in one sentence.",
  "What is the most important thing to know about {t}?",
  "Give three facts about {t}.",
  "What is a common misconception about {t}?",
  "Why is {t} worth understanding today?",
  "Describe {t} to a ten-year-old in two sentences.",
  "Who should I read to learn more about {t}?",
  "Write a one-line definition of {t}.",
  "What question would you ask an expert on {t}?",
  "Summarise {t} in exactly three bullet points.",
  "What is one surprising fact about {t}?",
  "How would you explain {t} using an analogy?",
  "Give a quiz question about {t} with its answer.",
  "What are two opposing views about {t}?",
  "Name one book or film related to {t}.",
  "What vocabulary should a beginner learn before studying {t}?",
  "Write a tweet-length explainer on {t}.",
  "Is {t} more often overrated or underrated? Answer briefly.",
  "What is the history of {t} in two sentences?",
  "List five keywords associated with {t}.",
  "What would a good first lesson on {t} cover?",
  "Give an example of {t} in everyday life.",
  "What are the limits of our current understanding of {t}?",
  "Write a riddle whose answer is {t}.",
  "How has thinking about {t} changed over the last fifty years?",
];

export const WORDS: readonly string[] = [
  "ephemeral",
  "resilient",
  "meticulous",
  "serendipity",
  "ubiquitous",
  "candid",
  "tenacious",
  "lucid",
  "pragmatic",
  "benevolent",
  "ambiguous",
  "frugal",
  "gregarious",
  "meander",
  "nostalgia",
  "obsolete",
  "paradox",
  "quaint",
  "reticent",
  "sanguine",
  "threshold",
  "verbose",
  "whimsical",
  "zealous",
  "abundant",
  "brittle",
  "coherent",
  "diligent",
  "elusive",
  "fervent",
  "hinder",
  "impartial",
  "jubilant",
  "keen",
  "lament",
  "mundane",
  "nimble",
  "opaque",
  "placid",
  "rigorous",
];

export const WORD_TASKS: readonly string[] = [
  'What does "{w}" mean?',
  'Give two synonyms and one antonym for "{w}".',
  'Use the word "{w}" in a sentence about the weather.',
  'Where does the word "{w}" come from?',
  'Write a short sentence a child could understand using "{w}".',
  'Is "{w}" formal or informal? Give an example.',
];

export const PHRASES: readonly string[] = [
  "Where is the nearest train station?",
  "I would like a table for two, please.",
  "The meeting has been moved to Thursday.",
  "Could you speak a little more slowly?",
  "Thank you for your help yesterday.",
  "How much does this cost?",
  "The library closes at six in the evening.",
  "I am allergic to peanuts.",
  "We missed the last bus home.",
  "Please send me the report by Friday.",
  "It has been raining all week.",
  "My brother works as a nurse.",
  "Happy birthday, I hope you have a wonderful day.",
  "The museum is free on Sundays.",
  "Can I pay by card?",
  "The train is delayed by twenty minutes.",
];

export const LANGUAGES: readonly string[] = [
  "French",
  "Spanish",
  "German",
  "Italian",
  "Portuguese",
  "Dutch",
  "Japanese",
  "Chinese",
  "Swedish",
  "Polish",
];

export const THINGS: readonly string[] = [
  "the sea",
  "a rainy Monday",
  "an old bicycle",
  "the first snow",
  "a lighthouse",
  "a cup of coffee",
  "autumn leaves",
  "a busy train station",
  "a sleeping cat",
  "the night sky",
  "a forgotten umbrella",
  "a mountain lake",
  "a city at dawn",
  "a library",
  "a thunderstorm",
  "an empty beach in winter",
  "a garden after rain",
  "a candle",
  "a long road trip",
  "a kitchen on a holiday morning",
];

export const CREATIVE_SHORT: readonly string[] = [
  "Write a haiku about {x}.",
  "Write a two-line rhyming poem about {x}.",
  "Describe {x} in one vivid sentence.",
  "Write the opening line of a mystery novel that involves {x}.",
  "Give a six-word story about {x}.",
  "Write a limerick about {x}.",
];

export const BUSINESSES: readonly string[] = [
  "bakery",
  "bicycle repair shop",
  "plant nursery",
  "tutoring service",
  "coffee roastery",
  "dog-walking business",
  "bookshop",
  "yoga studio",
  "software consultancy",
  "food truck selling tacos",
  "second-hand clothing store",
  "pottery studio",
];

export const BUSINESS_TASKS: readonly string[] = [
  "Suggest five names for a new {b}.",
  "Write a slogan for a {b}.",
  "What are the biggest risks when opening a {b}?",
  "Write a one-sentence description of a {b} for a local directory.",
];

/** Short coding questions; `{l}` is a language. */
export const CODE_QUESTIONS: readonly string[] = [
  "In {l}, how do I reverse a string?",
  "In {l}, how do I read a file line by line?",
  "How do I sort a list of numbers in descending order in {l}?",
  "What is the idiomatic way to handle errors in {l}?",
  "In {l}, how do I check whether a key exists in a dictionary or map?",
  "How do I get the current date and time in {l}?",
  "In {l}, how do I split a string on commas?",
  "How do I remove duplicates from a list in {l}?",
  "What is the difference between a list and a tuple-like type in {l}?",
  "In {l}, how do I make an HTTP GET request?",
  "How do I write a loop that counts down from 10 to 1 in {l}?",
  "In {l}, how do I convert a string to an integer safely?",
  "How are strings compared for equality in {l}?",
  "In {l}, how do I find the maximum value in an array?",
  "How do I define a constant in {l}?",
];

export const CODE_LANGUAGES: readonly string[] = [
  "Python",
  "JavaScript",
  "TypeScript",
  "Go",
  "Rust",
  "Java",
  "C#",
  "Ruby",
];

/** Medium coding tasks; `{l}` is a language. */
export const CODE_TASKS: readonly string[] = [
  "Write a {l} function that checks whether a string is a palindrome, ignoring case and punctuation. Include two example calls.",
  "Write a {l} function that returns the n-th Fibonacci number iteratively, and explain why the iterative version is faster than naive recursion.",
  "Implement a stack with push, pop and peek in {l}. Pop on an empty stack should report an error clearly.",
  "Write a {l} function that merges two sorted arrays into one sorted array in linear time.",
  "Write a {l} function that counts how often each word appears in a text and returns the ten most common words.",
  "Write a {l} function that validates an email address with a simple rule set, and list the cases your rule gets wrong.",
  "Implement binary search in {l} over a sorted array of integers. Return the index or -1, and explain how you avoid off-by-one errors.",
  "Write a {l} program that prints the numbers 1 to 100, but prints Fizz for multiples of 3, Buzz for multiples of 5 and FizzBuzz for both.",
  "Write a {l} function that flattens a nested list of arbitrary depth.",
  "Implement a simple LRU cache with get and put in {l}, with a fixed capacity.",
  "Write a {l} function that converts a Roman numeral to an integer.",
  "Write a {l} function that computes the greatest common divisor of two numbers using Euclid's algorithm, then use it for the least common multiple.",
  "Write a {l} function that groups a list of words into anagram groups.",
  "Write a {l} function that parses a query string like a=1&b=two&c= into a map, decoding percent-escapes.",
  "Write a {l} function that returns all prime numbers below n using the sieve of Eratosthenes.",
  "Implement a function in {l} that retries an operation up to five times with exponential backoff.",
  "Write a {l} function that checks whether brackets in a string are balanced: (), [] and {}.",
  "Write a {l} function that rotates a square matrix by 90 degrees clockwise in place.",
  "Write a {l} function that formats a number of bytes as a human-readable string such as 1.5 MB.",
  "Implement a {l} function that computes the edit distance between two strings.",
  "Write a {l} function that returns the longest common prefix of a list of strings.",
  "Write a {l} class for a bank account with deposit, withdraw and balance, refusing overdrafts.",
  "Write a {l} function that debounces another function: calls within 300 ms of each other run only once.",
  "Write a {l} function that reads CSV text and returns the average of a named numeric column, skipping empty cells.",
];

/** Requirements appended to a coding task, two or three at a time. */
export const CODE_REQUIREMENTS: readonly string[] = [
  "Handle empty input without crashing.",
  "State the time and space complexity of your solution.",
  "Add a short comment above each non-obvious step.",
  "Include three example calls with their expected output.",
  "Do not use any third-party libraries.",
  "Explain one alternative approach and why you did not choose it.",
  "Write it so that a beginner can follow it, with clear variable names.",
  "Add input validation and report invalid input with a clear error message.",
  "Include a small set of unit tests.",
  "Keep the function pure: no global state and no printing inside it.",
  "Mention one edge case that is easy to get wrong.",
  "Show how you would call it from the command line.",
];

/** Math word problems: `make(rand)` draws the numbers so every instance differs. */
export interface WordProblem {
  make(int: (lo: number, hi: number) => number): string;
}

export const WORD_PROBLEMS: readonly WordProblem[] = [
  {
    make: (n) => {
      const a = n(3, 12);
      const p = n(2, 9);
      const q = n(2, 6);
      return `A baker sells ${a} loaves of bread every hour for ${q} hours, at ${p} dollars each. How much money does the baker take in? Show your working.`;
    },
  },
  {
    make: (n) =>
      `A train leaves at ${n(6, 11)}:${String(n(0, 5) * 10).padStart(2, "0")} and travels ${n(120, 480)} kilometres at an average speed of ${n(60, 140)} km/h. At what time does it arrive? Explain each step.`,
  },
  {
    make: (n) => {
      const w = n(4, 15);
      const l = n(6, 25);
      return `A rectangular garden is ${w} metres wide and ${l} metres long. A path one metre wide runs around the outside of it. What is the area of the path? Show your reasoning.`;
    },
  },
  {
    make: (n) =>
      `Sam has ${n(20, 90)} marbles. He gives a quarter of them, rounded down, to his sister and then buys ${n(3, 20)} more. His friend has twice as many as Sam now. How many marbles do they have together?`,
  },
  {
    make: (n) =>
      `A shop reduces the price of a ${n(40, 400)}-dollar jacket by ${n(10, 40)} percent, and then by a further ${n(5, 25)} percent at the checkout. What is the final price, and what single discount would give the same result?`,
  },
  {
    make: (n) =>
      `Three friends share a bill of ${n(45, 180)} dollars. One pays ${n(5, 20)} dollars more than the second, and the third pays half as much as the first. How much does each pay? Set up equations and solve them.`,
  },
  {
    make: (n) =>
      `A tank holds ${n(200, 1200)} litres. One pipe fills it in ${n(2, 9)} hours and another empties it in ${n(10, 20)} hours. If both are open and the tank starts empty, how long does it take to fill?`,
  },
  {
    make: (n) =>
      `An investment of ${n(1, 20) * 500} dollars earns ${n(2, 9)} percent interest per year, compounded annually. How much is it worth after ${n(3, 15)} years? Round to the nearest dollar and show the formula.`,
  },
  {
    make: (n) =>
      `A class has ${n(18, 36)} students. ${n(5, 15)} play football, ${n(4, 14)} play chess and ${n(1, 4)} play both. How many play neither? Draw the reasoning as a Venn diagram in words.`,
  },
  {
    make: (n) =>
      `A car uses ${n(5, 11)} litres of fuel per 100 km. Fuel costs ${n(14, 22) / 10} dollars per litre. How much does a round trip of ${n(50, 400)} km each way cost?`,
  },
  {
    make: (n) =>
      `A recipe for ${n(2, 6)} people needs ${n(150, 500)} grams of flour and ${n(2, 5)} eggs. How much of each is needed for ${n(7, 20)} people, if eggs must be whole?`,
  },
  {
    make: (n) =>
      `Two cyclists start ${n(20, 120)} km apart and ride towards each other at ${n(12, 25)} km/h and ${n(10, 22)} km/h. When and where do they meet?`,
  },
  {
    make: (n) =>
      `A bag has ${n(2, 8)} red, ${n(2, 8)} blue and ${n(1, 6)} green balls. Two balls are drawn without replacement. What is the probability that both are the same colour?`,
  },
  {
    make: (n) =>
      `The population of a town grows by ${n(1, 6)} percent a year from ${n(10, 90) * 1000} people. In how many whole years will it first exceed ${n(2, 3)} times its current size?`,
  },
  {
    make: (n) =>
      `A worker can paint a fence in ${n(3, 9)} hours and a second worker in ${n(4, 12)} hours. How long do they take together? Then how long if the first leaves after one hour?`,
  },
  {
    make: (n) =>
      `A ladder ${n(5, 12)} metres long leans against a wall with its foot ${n(1, 4)} metres from the wall. How high up the wall does it reach? If the foot slides out by half a metre, how far does the top drop?`,
  },
  {
    make: (n) =>
      `A phone plan costs ${n(10, 30)} dollars a month plus ${n(5, 20)} cents per minute over ${n(100, 500)} minutes. Another costs ${n(25, 50)} dollars with unlimited minutes. For how many minutes a month is the second plan cheaper?`,
  },
  {
    make: (n) =>
      `The average of ${n(4, 8)} test scores is ${n(60, 85)}. What score is needed on the next test to raise the average to ${n(86, 92)}? Is it possible if the maximum score is 100?`,
  },
];

/** System messages for multi-turn prompts: styles that suit any topic. */
export const PERSONAS: readonly string[] = [
  "You are a patient tutor. Explain step by step and check the student's understanding.",
  "You are a concise assistant. Answer in as few words as the question allows.",
  "You are a friendly explainer for complete beginners. Avoid jargon, or define it when you must use it.",
  "You are an editor at a newspaper. Keep answers short, clear and free of jargon.",
  "You are a study coach. Be practical, encouraging and specific about what to do next.",
  "You are a science communicator who likes vivid examples and careful facts.",
  "You are a secondary-school teacher. Pitch answers at a curious fifteen-year-old.",
  "You are a librarian. Point to the kinds of sources worth reading, and say what each offers.",
  "You are a helpful assistant. Write in British English and use headings for long answers.",
  "You are a writing coach. Give specific, actionable feedback, and praise what works.",
  "You are a podcast host preparing an episode. Be lively but accurate.",
  "You are a Socratic tutor. Lead with questions before giving answers, but do give them.",
];

/** Multi-turn conversations: [first user turn, assistant reply, follow-up]; `{t}` is a topic. */
export const CONVERSATIONS: readonly [string, string, string][] = [
  [
    "Can you help me understand {t}?",
    "Of course. Would you like a quick overview or a deeper explanation with examples?",
    "A deeper explanation with two examples, please, and a short summary at the end.",
  ],
  [
    "I have to give a five-minute talk on {t} tomorrow.",
    "Happy to help. Who is the audience, and how much do they already know?",
    "Mostly colleagues with no background. Give me an outline with timings and one memorable opening line.",
  ],
  [
    "I keep getting confused about {t}.",
    "That is common. Which part confuses you most?",
    "How it actually works step by step. Keep it simple and check my understanding with a question at the end.",
  ],
  [
    "My teenager asked me about {t} and I did not know what to say.",
    "Let's prepare an answer together. How old is your teenager, and what did they ask exactly?",
    "Fifteen. They asked why it matters. Give me a short answer I can say in my own words.",
  ],
  [
    "Write me a study plan for {t}.",
    "Sure. How many weeks do you have and how many hours a week?",
    "Four weeks, about five hours a week. Include one small project or exercise each week.",
  ],
  [
    "What are the main debates around {t}?",
    "There are a few. Do you want them summarised neutrally or argued from one side?",
    "Neutrally, as a table with the position, the best argument for it and the best argument against.",
  ],
  [
    "I want to write a blog post about {t}.",
    "Great idea. What tone and length are you aiming for?",
    "Friendly and about 600 words. Give me a title, the section headings and the first paragraph.",
  ],
  [
    "Quiz me on {t}.",
    "Sure. Multiple choice or open questions, and how many?",
    "Five multiple choice questions, then tell me the answers after the last one.",
  ],
];

export const EMAIL_TASKS: readonly string[] = [
  "ask my manager for a day off next Friday",
  "apologise to a customer whose order arrived late",
  "decline a meeting invitation politely and suggest another time",
  "remind a colleague about a report that is overdue",
  "thank a mentor who helped me find a new job",
  "ask a landlord to fix a leaking tap",
  "invite the team to a farewell lunch for a colleague",
  "follow up after a job interview",
  "complain to an airline about lost luggage",
  "ask a professor for an extension on an essay",
  "introduce two people who should work together",
  "tell a client that a project will be two weeks late",
  "request a refund for a faulty kettle",
  "ask a neighbour to keep the noise down after ten",
  "welcome a new team member on their first day",
];

export const EMAIL_STYLES: readonly string[] = [
  "Keep it under 120 words.",
  "Make it formal.",
  "Make it warm and informal.",
  "Use three short paragraphs.",
  "Write two versions: one formal, one casual.",
];

export const LIST_TASKS: readonly string[] = [
  "List {n} ideas for a rainy weekend with children, with one sentence each.",
  "List {n} questions to ask before adopting a dog.",
  "List {n} ways to reduce household energy use, ordered by impact.",
  "List {n} common mistakes new programmers make and how to avoid them.",
  "List {n} things to pack for a week of hiking in the mountains.",
  "List {n} healthy breakfast ideas that take under ten minutes.",
  "List {n} tips for giving a good presentation.",
  "List {n} classic novels worth reading, with a reason for each.",
  "List {n} signs that a meeting could have been an email.",
  "List {n} questions for a job interview with a small startup.",
  "List {n} low-cost date ideas.",
  "List {n} ways to make a small flat feel bigger.",
  "List {n} skills a new manager should develop first.",
  "List {n} ideas for a school science fair project.",
  "List {n} ways to practise a foreign language every day.",
  "List {n} questions to ask when buying a used car.",
];

/** Tasks on one or two passages (medium prompts). */
export const PASSAGE_TASKS: readonly string[] = [
  "Summarise the following in two sentences.",
  "Rewrite the following in a more formal register.",
  "Rewrite the following for a ten-year-old reader.",
  "Turn the following into a bulleted list of its key points.",
  "Write three comprehension questions about the following text, with answers.",
  "What is the main claim of the following text, and what evidence does it give?",
  "Give the following text a title and a one-line subtitle.",
  "Translate the following into French.",
  "Translate the following into Spanish.",
  "Find any statement in the following text that a careful reader might question, and explain why.",
  "Continue the following text with one more paragraph in the same style.",
  "Write a short headline and a social media post based on the following.",
  "Extract every number and what it refers to from the following text, as a table.",
  "Rewrite the following in exactly fifty words.",
  "Explain the following to a new colleague, with one example of your own.",
  "List the cause-and-effect relationships described in the following text.",
  "Rewrite the following as a dialogue between two people.",
  "Which words in the following text would a learner of English find hardest? Explain three of them.",
  "Write a multiple-choice question testing the central idea of the following text.",
  "Critique the following paragraph as an editor: what works and what would you change?",
];

/** Tasks on two passages at once. */
export const PAIR_TASKS: readonly string[] = [
  "Compare the two passages below: what do they have in common, and how do they differ?",
  "Write one short paragraph that connects the ideas of the two passages below.",
  "Which of the two passages below would make a better opening for a magazine article, and why?",
  "Summarise each of the two passages below in one sentence, then suggest a title covering both.",
];

/** Tasks on a long document made of many passages. */
export const DOCUMENT_TASKS: readonly string[] = [
  "Read the notes below, then list the five most important facts they contain.",
  "Below is a collection of short articles. Write a one-sentence summary of each, numbered.",
  "Below are several unrelated passages. Write a short title for each, then say which one you found most interesting and why.",
  "Below is a draft newsletter. Write an editor's introduction of about 150 words that previews its sections.",
  "Below is a set of reading material. Write ten quiz questions covering it, with answers, one or two per section.",
  "Below are several passages. Group them into themes and explain your grouping.",
  "Read the collection below and identify every claim that includes a number. For each, say whether it sounds plausible.",
  "Below is a set of notes for a course. Propose a lesson order and say what each lesson should teach first.",
  "Read the passages below and write a glossary of the ten most technical terms they use.",
  "The following is a long document. Summarise it in a single paragraph of at most 120 words.",
];

/** Code snippets for long code-review prompts (Python). Each is a complete function. */
export const CODE_SNIPPETS: readonly string[] = [
  `def parse_duration(text):
    """Parse strings like '1h30m' or '45s' into seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    total, number = 0, ""
    for ch in text:
        if ch.isdigit():
            number += ch
        elif ch in units:
            total += int(number) * units[ch]
            number = ""
        else:
            raise ValueError(f"bad character {ch!r} in {text!r}")
    return total`,
  `def moving_average(values, window):
    if window <= 0:
        raise ValueError("window must be positive")
    out = []
    total = 0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        if i >= window - 1:
            out.append(total / window)
    return out`,
  `class RateLimiter:
    def __init__(self, rate, per_seconds):
        self.rate = rate
        self.per = per_seconds
        self.allowance = rate
        self.last = time.monotonic()

    def allow(self):
        now = time.monotonic()
        self.allowance += (now - self.last) * (self.rate / self.per)
        self.last = now
        if self.allowance > self.rate:
            self.allowance = self.rate
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True`,
  `def chunk(items, size):
    """Split a list into lists of at most size items."""
    return [items[i:i + size] for i in range(0, len(items), size)]`,
  `def load_config(path):
    with open(path) as f:
        data = json.load(f)
    port = int(data.get("port", 8080))
    host = data.get("host", "0.0.0.0")
    debug = data.get("debug") == "true"
    return {"host": host, "port": port, "debug": debug}`,
  `def merge_intervals(intervals):
    intervals.sort()
    merged = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged`,
  `def find_user(users, email):
    for user in users:
        if user["email"].lower() == email.lower():
            return user
    return None`,
  `def percentile(values, p):
    """Nearest-rank percentile, p in [0, 100]."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    k = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[k - 1]`,
  `def retry(fn, attempts=5, base_delay=0.1):
    for i in range(attempts):
        try:
            return fn()
        except Exception:
            if i == attempts - 1:
                raise
            time.sleep(base_delay * 2 ** i)`,
  `def word_frequencies(text):
    counts = {}
    for word in re.findall(r"[a-z']+", text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])`,
  `class Inventory:
    def __init__(self):
        self.items = {}

    def add(self, sku, qty):
        self.items[sku] = self.items.get(sku, 0) + qty

    def remove(self, sku, qty):
        if self.items.get(sku, 0) < qty:
            raise ValueError(f"not enough {sku}")
        self.items[sku] -= qty
        if self.items[sku] == 0:
            del self.items[sku]

    def total(self):
        return sum(self.items.values())`,
  `def slugify(title):
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower())
    return slug.strip("-")`,
  `def safe_divide(a, b, default=None):
    try:
        return a / b
    except ZeroDivisionError:
        return default`,
  `def read_csv_rows(path):
    rows = []
    with open(path, newline="") as f:
        header = f.readline().strip().split(",")
        for line in f:
            values = line.strip().split(",")
            rows.append(dict(zip(header, values)))
    return rows`,
  `def is_valid_ipv4(address):
    parts = address.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if not part.isdigit() or int(part) > 255:
            return False
    return True`,
  `def top_k(scores, k):
    heap = []
    for name, score in scores.items():
        heapq.heappush(heap, (score, name))
        if len(heap) > k:
            heapq.heappop(heap)
    return [name for score, name in sorted(heap, reverse=True)]`,
  `def flatten(nested):
    out = []
    for item in nested:
        if isinstance(item, list):
            out.extend(flatten(item))
        else:
            out.append(item)
    return out`,
  `class LRUCache:
    def __init__(self, capacity):
        self.capacity = capacity
        self.data = {}

    def get(self, key):
        if key not in self.data:
            return None
        value = self.data.pop(key)
        self.data[key] = value
        return value

    def put(self, key, value):
        if key in self.data:
            self.data.pop(key)
        elif len(self.data) >= self.capacity:
            oldest = next(iter(self.data))
            del self.data[oldest]
        self.data[key] = value`,
  `def parse_query(query):
    params = {}
    for pair in query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        params[key] = value.replace("+", " ")
    return params`,
  `def business_days_between(start, end):
    days = 0
    current = start
    while current < end:
        if current.weekday() < 5:
            days += 1
        current += datetime.timedelta(days=1)
    return days`,
  `def normalise_phone(number):
    digits = re.sub(r"\\D", "", number)
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) == 10:
        digits = "1" + digits
    return "+" + digits`,
  `def group_by(items, key):
    groups = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups`,
  `def binary_search(values, target):
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < len(values) and values[lo] == target else -1`,
  `class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.elapsed = time.perf_counter() - self.start
        return False`,
];

export const CODE_REVIEW_TASKS: readonly string[] = [
  "Review the Python module below. List any bugs or edge cases each function gets wrong, with a fix for each.",
  "Write pytest unit tests for the Python module below. Cover the edge cases you think matter most.",
  "Add docstrings and type hints to every function in the Python module below, without changing behaviour.",
  "Explain what each function in the Python module below does, in one or two sentences each, for a new team member.",
  "Translate the Python module below into TypeScript, keeping the same behaviour and names.",
];

export const SERVICES: readonly string[] = [
  "api-gateway",
  "auth",
  "billing",
  "search",
  "orders",
  "inventory",
  "notifications",
];

export const LOG_TASKS: readonly string[] = [
  "Below is a server log from an incident. Find the most likely root cause and the first line that shows it.",
  "Below is an application log. Summarise what happened, in order, in at most eight bullet points.",
  "Below is a log excerpt. Count the errors per service and suggest which one to investigate first.",
];

export const TABLE_TASKS: readonly string[] = [
  "Below is a CSV of monthly sales by region. Which region grew the most over the period, and which month was weakest overall? Show your working.",
  "Below is a CSV of monthly sales by region. Describe three trends in the data and suggest one chart that would show them best.",
  "Below is a CSV of monthly sales by region. Compute the total per region and rank them.",
];

export const SENSOR_TASKS: readonly string[] = [
  "Below are hourly readings from a greenhouse. Point out any readings that look like sensor faults, and explain why.",
  "Below are hourly readings from a greenhouse. When was it warmest and most humid, and how did the two relate?",
];

export const SPEAKERS: readonly string[] = ["Ana", "Ben", "Chloe", "David", "Elif", "Farid"];

/** Lines of a meeting transcript; `{t}` is a project topic. */
export const MEETING_LINES: readonly string[] = [
  "I think we should start with the status of {t}.",
  "The first milestone for {t} slipped by a week because of the supplier.",
  "Do we know whether the budget for {t} covers the extra testing?",
  "I spoke to the client yesterday; they care more about the date than the extra features.",
  "Can we cut the reporting screen from the first release?",
  "That would save about three days, but support will complain.",
  "Let's write down the risks before we decide anything.",
  "The main risk is that the new hire only starts next month.",
  "I can take the documentation if someone else covers the demo.",
  "We agreed last time that design reviews happen on Tuesdays.",
  "The numbers from the pilot look good, better than we expected.",
  "I am worried we are measuring the wrong thing.",
  "Let's park that and come back to it at the end.",
  "Who owns the decision on {t}, formally?",
  "Marketing wants a draft announcement by the end of the month.",
  "I'd rather under-promise here.",
  "We should check with legal before we publish anything.",
  "The test environment was down for two days last week.",
  "Can we get a second opinion from the platform team?",
  "OK, action items: I will send the summary, and we meet again on Friday.",
];

export const MEETING_TOPICS: readonly string[] = [
  "the website redesign",
  "the warehouse move",
  "the mobile app launch",
  "the annual conference",
  "the data migration",
  "the new onboarding process",
  "the office renovation",
  "the pricing change",
];

export const MEETING_TASKS: readonly string[] = [
  "Below is a meeting transcript. Write the minutes: decisions, open questions and action items with owners.",
  "Below is a meeting transcript. Who raised concerns, about what, and were they resolved?",
  "Below is a meeting transcript. Write a three-sentence summary for someone who missed it.",
];
