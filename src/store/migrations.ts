// The store's schema, one entry per version: never edit a released entry, append a new one.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  -- Every commitment the scanner has seen, valid or not, once per (hotkey, block, text): the chain
  -- keeps only a hotkey's latest commitment, the store keeps them all.
  CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    hotkey TEXT NOT NULL,
    uid INTEGER,
    commitment TEXT NOT NULL,
    image TEXT,
    digest TEXT,
    block INTEGER NOT NULL,
    seen_block INTEGER NOT NULL,
    seen_at_ms INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN
      ('queued', 'evaluating', 'evaluated', 'failed', 'rejected', 'ignored', 'dropped')),
    reason TEXT,
    score REAL,
    passed INTEGER,
    job_id INTEGER REFERENCES jobs(id),
    UNIQUE (hotkey, block, commitment)
  ) STRICT;
  CREATE INDEX submissions_status ON submissions (status, block, id);
  CREATE INDEX submissions_digest ON submissions (digest);

  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('pending', 'submitted', 'settled', 'failed')),
    pod TEXT,
    pod_job TEXT,
    seed TEXT NOT NULL,
    seed_block INTEGER NOT NULL,
    king_submission INTEGER REFERENCES submissions(id),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    reason TEXT,
    report_key TEXT,
    report_status TEXT
  ) STRICT;
  CREATE INDEX jobs_status ON jobs (status, id);

  CREATE TABLE job_candidates (
    job_id INTEGER NOT NULL REFERENCES jobs(id),
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('challenger', 'king')),
    passed INTEGER,
    score REAL,
    ttft_ms REAL,
    tokens_per_sec REAL,
    failure_stage TEXT,
    failure TEXT,
    logs_key TEXT,
    PRIMARY KEY (job_id, submission_id)
  ) STRICT;

  CREATE TABLE king (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    hotkey TEXT NOT NULL,
    uid INTEGER NOT NULL,
    digest TEXT NOT NULL,
    score REAL NOT NULL,
    crowned_at_ms INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE king_history (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    type TEXT NOT NULL,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    hotkey TEXT NOT NULL,
    uid INTEGER NOT NULL,
    score REAL NOT NULL,
    job_id INTEGER REFERENCES jobs(id),
    detail TEXT NOT NULL
  ) STRICT;

  -- One row per weight-setting slot (head block / cadence): at most one successful set per slot.
  CREATE TABLE weight_sets (
    slot INTEGER PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('submitting', 'set', 'failed')),
    uids TEXT NOT NULL,
    weights TEXT NOT NULL,
    started_block INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_try_ms INTEGER NOT NULL,
    block INTEGER,
    outcome TEXT,
    error TEXT,
    updated_at_ms INTEGER NOT NULL
  ) STRICT;
  `,
  `
  -- A slot's weights sent as a drand-timelocked commit (commit-reveal v4): the slot's weight_sets row
  -- is 'set' once the commit is in a block, and the chain itself reveals it in reveal_epoch once
  -- drand's pulse of reveal_round is stored. The validator watches for that: 'revealed' (with the
  -- block of the hotkey's TimelockedWeightsRevealed), 'expired' (the reveal epoch passed without
  -- it), 'dropped' (gone unrevealed within the epoch) or 'unconfirmed' (gone, its reveal epoch older
  -- than the node's state, and the weights on chain not its). checked_block: the chain is known not
  -- to have revealed it up to there.
  CREATE TABLE weight_commits (
    slot INTEGER PRIMARY KEY REFERENCES weight_sets(slot),
    netuid_index INTEGER NOT NULL,
    hotkey TEXT NOT NULL,
    commit_hash TEXT NOT NULL,
    reveal_round INTEGER NOT NULL,
    commit_block INTEGER NOT NULL,
    commit_epoch INTEGER NOT NULL,
    reveal_epoch INTEGER NOT NULL,
    first_reveal_block INTEGER NOT NULL,
    last_reveal_block INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN
      ('pending', 'revealed', 'expired', 'dropped', 'unconfirmed')),
    reveal_block INTEGER,
    checked_block INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX weight_commits_status ON weight_commits (status, slot);
  `,
  `
  -- Rented pods (DESIGN §2.6): each rental is written as an intent before the provider's create
  -- call, so a validator killed at any instant finds every instance it may have made (by the name,
  -- unique by construction, or by its id) and neither leaks one nor rents one twice. Billing counts
  -- from created_at_ms to ended_at_ms at the provider's hourly price.
  CREATE TABLE rentals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    prefix TEXT NOT NULL,
    name TEXT GENERATED ALWAYS AS (prefix || '-' || id) VIRTUAL UNIQUE,
    provider TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN
      ('intent', 'created', 'booting', 'ready', 'releasing', 'deleted', 'failed')),
    instance_id TEXT,
    cloud TEXT NOT NULL,
    region TEXT NOT NULL,
    instance_type TEXT NOT NULL,
    hourly_price_cents INTEGER NOT NULL,
    address TEXT,
    token TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    auto_delete_at_ms INTEGER NOT NULL,
    auto_delete_spend_cents INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    ready_at_ms INTEGER,
    idle_since_ms INTEGER,
    ended_at_ms INTEGER,
    release_requested INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    updated_at_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX rentals_state ON rentals (state, id);
  `,
];
