// Cacheon's built-in demo metadata for the local chain: a SUBSET of subtensor runtime 424, declared
// here by Cacheon so `cacheon demo` and the tests run from a fresh clone, where finney's recorded
// metadata (../shared/fixtures) is absent. It is NOT subtensor's metadata: it declares only what
// the local chain executes and the client reads (System, Timestamp, SubtensorModule and
// Commitments items; the weight and commitment calls, their events and errors; the transaction
// extensions; the runtime APIs the chain answers) with runtime 424's pallet, call, event and error
// indices, storage names, hashers, types and type paths, so storage keys, call data and signed
// payloads are byte for byte those of finney. It is V16, as runtime 424 serves: @polkadot/types
// 16 loses the extensions' implicit types when it converts V15 up (`implict` in v15/toV16.js),
// and V16 carries the runtime APIs' versions.
import { Metadata, TypeRegistry } from "@polkadot/types";
import { MAGIC_NUMBER } from "@polkadot/types/metadata/MagicNumber";
import { bnToU8a, u8aToHex } from "@polkadot/util";

export const BUILTIN_METADATA_DESCRIPTION = "built-in demo metadata (a subset of runtime 424)";

type Id = number;
type Primitive = "Bool" | "Str" | "U8" | "U16" | "U32" | "U64" | "U128";
/** Unnamed fields in order, or named fields (Rust's snake_case names) in order. */
type Fields = Id[] | Record<string, Id>;
interface Field {
  name: string | null;
  type: Id;
  typeName: null;
  docs: string[];
}
interface Variant {
  index: number;
  name: string;
  fields: Field[];
  docs: string[];
}
type Params = Record<string, Id>;
type Def =
  | { Primitive: Primitive }
  | { Sequence: { type: Id } }
  | { Array: { len: number; type: Id } }
  | { Tuple: Id[] }
  | { Compact: { type: Id } }
  | { Composite: { fields: Field[] } }
  | { Variant: { variants: Variant[] } };

const PRIMITIVE_SIZE: Record<Primitive, number> = {
  Bool: 1,
  Str: 1, // the empty string: its compact length
  U8: 1,
  U16: 2,
  U32: 4,
  U64: 8,
  U128: 16,
};

const fieldList = (fields: Fields): Field[] =>
  Array.isArray(fields)
    ? fields.map((type) => ({ name: null, type, typeName: null, docs: [] }))
    : Object.entries(fields).map(([name, type]) => ({ name, type, typeName: null, docs: [] }));

/** A variant: runtime 424's index (enums here may skip some), its name and fields. */
const v = (index: number, name: string, fields: Fields = [], docs?: string): Variant => ({
  index,
  name,
  fields: fieldList(fields),
  docs: docs ? [docs] : [],
});
/** Fieldless variants named in a space-separated list, numbered from `first`. */
const units = (names: string, first = 0): Variant[] =>
  names
    .trim()
    .split(/\s+/)
    .map((name, i) => v(first + i, name));
/** Error variants from lines of `index Name: docs`. */
const errorTable = (table: string): Variant[] =>
  table
    .trim()
    .split("\n")
    .map((line) => {
      const [, index, name, docs] = /^\s*(\d+) (\w+): (.+)$/.exec(line) ?? [];
      if (!index || !name) throw new Error(`bad error line: ${line}`);
      return v(Number(index), name, [], docs);
    });

/** A scale-info portable registry under construction: identical types share one id. */
class Lookup {
  readonly types: { id: Id; type: { path: string[]; params: unknown[]; def: Def } }[] = [];
  private readonly ids = new Map<string, Id>();

  private add(path: string, def: Def, params: Params = {}): Id {
    const type = {
      path: path ? path.split("::") : [],
      params: Object.entries(params).map(([name, type]) => ({ name, type })),
      def,
      docs: [],
    };
    const key = JSON.stringify(type);
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    const id = this.types.length;
    this.types.push({ id, type });
    this.ids.set(key, id);
    return id;
  }

  prim = (p: Primitive) => this.add("", { Primitive: p });
  seq = (type: Id) => this.add("", { Sequence: { type } });
  array = (len: number, type: Id) => this.add("", { Array: { len, type } });
  tuple = (...types: Id[]) => this.add("", { Tuple: types });
  compact = (type: Id) => this.add("", { Compact: { type } });
  /** Type parameters matter to @polkadot/types only for Option, EventRecord, UncheckedExtrinsic and MultiAddress. */
  composite = (path: string, fields: Fields = [], params?: Params) =>
    this.add(path, { Composite: { fields: fieldList(fields) } }, params);
  variant = (path: string, variants: Variant[], params?: Params) =>
    this.add(path, { Variant: { variants } }, params);

  /** SCALE of the type's zero value: the storage default of most items. */
  zero(id: Id): number[] {
    const def = this.types[id]?.type.def;
    if (!def) throw new Error(`no type ${id}`);
    if ("Primitive" in def) return new Array(PRIMITIVE_SIZE[def.Primitive]).fill(0);
    if ("Sequence" in def || "Compact" in def) return [0];
    if ("Array" in def) return new Array(def.Array.len).fill(this.zero(def.Array.type)).flat();
    if ("Tuple" in def) return def.Tuple.flatMap((t) => this.zero(t));
    if ("Composite" in def) return def.Composite.fields.flatMap((f) => this.zero(f.type));
    const [first] = def.Variant.variants;
    if (!first) throw new Error(`type ${id} is an empty enum`);
    return [first.index, ...first.fields.flatMap((f) => this.zero(f.type))];
  }
}

/** A little-endian unsigned integer of `bytes` bytes (constants and non-zero storage defaults). */
const le = (value: number, bytes: number): number[] => [
  ...bnToU8a(value, { bitLength: bytes * 8, isLe: true }),
];

type Key = [hasher: "Identity" | "Twox64Concat" | "Blake2_128Concat", type: Id];
const ident = (type: Id): Key => ["Identity", type];
const twox = (type: Id): Key => ["Twox64Concat", type];
const blake = (type: Id): Key => ["Blake2_128Concat", type];
interface Item {
  name: string;
  keys: Key[];
  value: Id;
  optional: boolean;
  /** The default's SCALE; absent: the value type's zero (ValueQuery) or None (OptionQuery). */
  fallback?: number[];
}
/** A ValueQuery item: a plain value without keys, a map with them. */
const item = (name: string, keys: Key[], value: Id, fallback?: number[]): Item => ({
  name,
  keys,
  value,
  optional: false,
  fallback,
});
/** An OptionQuery item: absent keys read as None. */
const optional = (name: string, keys: Key[], value: Id): Item => ({
  name,
  keys,
  value,
  optional: true,
});
const constant = (name: string, type: Id, value: number[]) => ({ name, type, value });

interface Pallet {
  name: string;
  index: number;
  storage?: Item[];
  calls?: Id;
  events?: Id;
  errors?: Id;
  constants?: ReturnType<typeof constant>[];
}

const method = (name: string, inputs: Record<string, Id>, output: Id) => ({
  name,
  inputs: Object.entries(inputs).map(([name, type]) => ({ name, type })),
  output,
});
interface Api {
  name: string;
  version: number;
  methods: ReturnType<typeof method>[];
}

/** Runtime 424's subset, as the value @polkadot/types encodes as MetadataV16. */
function declare(): Record<string, unknown> {
  const t = new Lookup();
  const [bool, str, u8, u16, u32, u64, u128] = (
    ["Bool", "Str", "U8", "U16", "U32", "U64", "U128"] as const
  ).map(t.prim) as [Id, Id, Id, Id, Id, Id, Id];
  const unit = t.tuple();
  const bytes = t.seq(u8);
  const u16s = t.seq(u16);
  const u8x32 = t.array(32, u8);
  const accountId = t.composite("sp_core::crypto::AccountId32", [u8x32]);
  const h256 = t.composite("primitive_types::H256", [u8x32]);
  const option = (inner: Id) =>
    t.variant("Option", [v(0, "None"), v(1, "Some", [inner])], { T: inner });
  const boundedVec = (inner: Id) =>
    t.composite("bounded_collections::bounded_vec::BoundedVec", [t.seq(inner)]);
  const cow = (inner: Id) => t.composite("Cow", [inner]);

  // frame_system: accounts, events and the dispatch outcome they carry.
  const accountInfo = t.composite("frame_system::AccountInfo", {
    nonce: u32,
    consumers: u32,
    providers: u32,
    sufficients: u32,
    data: t.composite("pallet_balances::types::AccountData", {
      free: u64,
      reserved: u64,
      frozen: u64,
      flags: t.composite("pallet_balances::types::ExtraFlags", [u128]),
    }),
  });
  const weight = t.composite("sp_weights::weight_v2::Weight", {
    ref_time: t.compact(u64),
    proof_size: t.compact(u64),
  });
  const dispatchClass = t.variant(
    "frame_support::dispatch::DispatchClass",
    units("Normal Operational Mandatory"),
  );
  const dispatchInfo = t.composite("frame_system::DispatchEventInfo", {
    weight,
    class: dispatchClass,
    pays_fee: t.variant("frame_support::dispatch::Pays", units("Yes No")),
  });
  const moduleError = t.composite("sp_runtime::ModuleError", { index: u8, error: t.array(4, u8) });
  const tokenError = t.variant(
    "sp_runtime::TokenError",
    units(`FundsUnavailable OnlyProvider BelowMinimum CannotCreate UnknownAsset Frozen Unsupported
      CannotCreateHold NotExpendable Blocked`),
  );
  const arithmeticError = t.variant(
    "sp_arithmetic::ArithmeticError",
    units("Underflow Overflow DivisionByZero"),
  );
  const transactionalError = t.variant(
    "sp_runtime::TransactionalError",
    units("LimitReached NoLayer"),
  );
  const trieError = t.variant(
    "sp_runtime::proving_trie::TrieError",
    units(`InvalidStateRoot IncompleteDatabase ValueAtIncompleteKey DecoderError InvalidHash
      DuplicateKey ExtraneousNode ExtraneousValue ExtraneousHashReference InvalidChildReference
      ValueMismatch IncompleteProof RootMismatch DecodeError`),
  );
  const dispatchError = t.variant("sp_runtime::DispatchError", [
    ...units("Other CannotLookup BadOrigin"),
    v(3, "Module", [moduleError]),
    ...units("ConsumerRemaining NoProviders TooManyConsumers", 4),
    v(7, "Token", [tokenError]),
    v(8, "Arithmetic", [arithmeticError]),
    v(9, "Transactional", [transactionalError]),
    ...units("Exhausted Corruption Unavailable RootNotAllowed", 10),
    v(14, "Trie", [trieError]),
  ]);
  const systemEvent = t.variant("frame_system::pallet::Event", [
    v(0, "ExtrinsicSuccess", { dispatch_info: dispatchInfo }),
    v(1, "ExtrinsicFailed", { dispatch_error: dispatchError, dispatch_info: dispatchInfo }),
  ]);

  // pallet_subtensor: the weight calls, what they emit and how they fail.
  const subtensorCall = t.variant("pallet_subtensor::pallet::Call", [
    v(0, "set_weights", { netuid: u16, dests: u16s, weights: u16s, version_key: u64 }),
    v(96, "commit_weights", { netuid: u16, commit_hash: h256 }),
    v(97, "reveal_weights", {
      netuid: u16,
      uids: u16s,
      values: u16s,
      salt: u16s,
      version_key: u64,
    }),
    v(113, "commit_timelocked_weights", {
      netuid: u16,
      commit: boundedVec(u8),
      reveal_round: u64,
      commit_reveal_version: u16,
    }),
  ]);
  const subtensorEvent = t.variant("pallet_subtensor::pallet::Event", [
    v(5, "WeightsSet", [u16, u16]),
    v(85, "WeightsCommitted", [accountId, u16, h256]),
    v(86, "WeightsRevealed", [accountId, u16, h256]),
    v(107, "TimelockedWeightsCommitted", [accountId, u16, h256, u64]),
  ]);
  const subtensorError = t.variant(
    "pallet_subtensor::pallet::Error",
    errorTable(`
      4 HotKeyNotRegisteredInSubNet: The hotkey is not registered in subnet
      15 NeuronNoValidatorPermit: The caller is attempting to set non-self weights without being a permitted validator.
      16 WeightVecNotEqualSize: The caller is attempting to set the weight keys and values but these vectors have different size.
      17 DuplicateUids: The caller is attempting to set weights with duplicate UIDs in the weight matrix.
      18 UidVecContainInvalidOne: The caller is attempting to set weight to at least one UID that does not exist in the metagraph.
      19 WeightVecLengthIsLow: The dispatch is attempting to set weights on chain with fewer elements than are allowed.
      27 MaxWeightExceeded: The dispatch is attempting to set weights on chain with weight value exceeding the configured max weight limit (currently \`u16::MAX\`).
      29 SettingWeightsTooFast: A transactor exceeded the rate limit for setting weights.
      30 IncorrectWeightVersionKey: A validator is attempting to set weights from a validator with incorrect weight version.
      32 UidsLengthExceedUidsInSubNet: The caller is attempting to set weights with more UIDs than allowed.
      47 CanNotSetRootNetworkWeights: Can not set weights for the root network.
      51 NoWeightsCommitFound: No commit found for the provided hotkey+netuid combination when attempting to reveal the weights.
      52 InvalidRevealCommitHashNotMatch: Committed hash does not equal the hashed reveal data.
      53 CommitRevealEnabled: Attempting to call set_weights when commit/reveal is enabled
      54 CommitRevealDisabled: Attemtping to commit/reveal weights when disabled.
      76 SubnetNotExists: Trying to perform action on non-existent subnet.
      77 TooManyUnrevealedCommits: Maximum commit limit reached
      78 ExpiredWeightCommit: Attempted to reveal weights that are expired.
      79 RevealTooEarly: Attempted to reveal weights too early.
      81 CommittingWeightsTooFast: A transactor exceeded the rate limit for setting weights.
      110 IncorrectCommitRevealVersion: Incorrect commit-reveal version.`),
  );

  // pallet_commitments: Data is None, Raw0..Raw128 (tag N + 1, then N bytes), hashes, and the rest.
  const data = t.variant("pallet_commitments::types::Data", [
    v(0, "None"),
    ...Array.from({ length: 129 }, (_, n) => v(n + 1, `Raw${n}`, [t.array(n, u8)])),
    v(130, "BlakeTwo256", [u8x32]),
    v(131, "Sha256", [u8x32]),
    v(132, "Keccak256", [u8x32]),
    v(133, "ShaThree256", [u8x32]),
    v(134, "TimelockEncrypted", { encrypted: boundedVec(u8), reveal_round: u64 }),
    v(135, "ResetBondsFlag"),
    v(136, "BigRaw", [boundedVec(u8)]),
  ]);
  const commitmentInfo = t.composite("pallet_commitments::types::CommitmentInfo", {
    fields: boundedVec(data),
  });
  const registration = t.composite("pallet_commitments::types::Registration", {
    deposit: u64,
    block: u32,
    info: commitmentInfo,
  });
  const usageTracker = t.composite("pallet_commitments::types::UsageTracker", {
    last_epoch: u64,
    used_space: u64,
  });
  const commitmentsCall = t.variant("pallet_commitments::pallet::Call", [
    v(0, "set_commitment", { netuid: u16, info: commitmentInfo }),
  ]);
  const commitmentsEvent = t.variant("pallet_commitments::pallet::Event", [
    v(0, "Commitment", { netuid: u16, who: accountId }),
  ]);
  const commitmentsError = t.variant(
    "pallet_commitments::pallet::Error",
    errorTable(`
      0 TooManyFieldsInCommitmentInfo: Account passed too many additional fields to their commitment
      1 AccountNotAllowedCommit: Account is not allowed to make commitments to the chain
      2 SpaceLimitExceeded: Space Limit Exceeded for the current interval`),
  );

  // The runtime's outer enums.
  const R = "node_subtensor_runtime";
  const runtimeCall = t.variant(`${R}::RuntimeCall`, [
    v(7, "SubtensorModule", [subtensorCall]),
    v(18, "Commitments", [commitmentsCall]),
  ]);
  const runtimeEvent = t.variant(`${R}::RuntimeEvent`, [
    v(0, "System", [systemEvent]),
    v(7, "SubtensorModule", [subtensorEvent]),
    v(18, "Commitments", [commitmentsEvent]),
  ]);
  const runtimeError = t.variant(`${R}::RuntimeError`, [
    v(7, "SubtensorModule", [subtensorError]),
    v(18, "Commitments", [commitmentsError]),
  ]);
  const phase = t.variant("frame_system::Phase", [
    v(0, "ApplyExtrinsic", [u32]),
    v(1, "Finalization"),
    v(2, "Initialization"),
  ]);
  const eventRecord = t.composite(
    "frame_system::EventRecord",
    { phase, event: runtimeEvent, topics: t.seq(h256) },
    { E: runtimeEvent, T: h256 },
  );

  // The extrinsic: address, signature and the transaction extensions in runtime 424's order.
  const address = t.variant(
    "sp_runtime::multiaddress::MultiAddress",
    [
      v(0, "Id", [accountId]),
      v(1, "Index", [t.compact(unit)]),
      v(2, "Raw", [bytes]),
      v(3, "Address32", [u8x32]),
      v(4, "Address20", [t.array(20, u8)]),
    ],
    { AccountId: accountId, AccountIndex: unit },
  );
  const signature = t.variant("sp_runtime::MultiSignature", [
    v(0, "Ed25519", [t.array(64, u8)]),
    v(1, "Sr25519", [t.array(64, u8)]),
    v(2, "Ecdsa", [t.array(65, u8)]),
  ]);
  const era = t.variant("sp_runtime::generic::era::Era", [
    v(0, "Immortal"),
    ...Array.from({ length: 255 }, (_, i) => v(i + 1, `Mortal${i + 1}`, [u8])),
  ]);
  const FS = "frame_system::extensions";
  const chargeTx = t.composite("pallet_transaction_payment::ChargeTransactionPayment", [
    t.compact(u64),
  ]);
  const extension = (identifier: string, type: Id, implicit: Id) => ({
    identifier,
    type,
    implicit,
  });
  const extensions = [
    extension(
      "CheckNonZeroSender",
      t.composite(`${FS}::check_non_zero_sender::CheckNonZeroSender`),
      unit,
    ),
    extension("CheckSpecVersion", t.composite(`${FS}::check_spec_version::CheckSpecVersion`), u32),
    extension("CheckTxVersion", t.composite(`${FS}::check_tx_version::CheckTxVersion`), u32),
    extension("CheckGenesis", t.composite(`${FS}::check_genesis::CheckGenesis`), h256),
    extension("CheckMortality", t.composite(`${R}::check_mortality::CheckMortality`, [era]), h256),
    extension("CheckNonce", t.composite(`${R}::check_nonce::CheckNonce`, [t.compact(u32)]), unit),
    extension("CheckWeight", t.composite(`${FS}::check_weight::CheckWeight`), unit),
    extension("ChargeTransactionPayment", chargeTx, unit),
    // Subtensor's own: empty on both sides.
    extension(
      "SudoTransactionExtension",
      t.composite(`${R}::sudo_wrapper::SudoTransactionExtension`),
      unit,
    ),
    extension(
      "CheckShieldedTxValidity",
      t.composite("pallet_shield::extension::CheckShieldedTxValidity"),
      unit,
    ),
    extension(
      "SubtensorTransactionExtension",
      t.composite("pallet_subtensor::extensions::subtensor::SubtensorTransactionExtension"),
      unit,
    ),
    extension("DrandPriority", t.composite("pallet_drand::drand_priority::DrandPriority"), unit),
    extension(
      "CheckMetadataHash",
      t.composite("frame_metadata_hash_extension::CheckMetadataHash", {
        mode: t.variant("frame_metadata_hash_extension::Mode", units("Disabled Enabled")),
      }),
      option(u8x32),
    ),
  ];
  // The runtime's Extra tuple groups them: system's seven, subtensor's five (the payment one in a
  // wrapper), the metadata hash.
  const types = extensions.map((e) => e.type);
  const paymentWrapper = t.composite(
    `${R}::transaction_payment_wrapper::ChargeTransactionPaymentWrapper`,
    { inner: chargeTx },
  );
  const extra = t.tuple(
    t.tuple(...types.slice(0, 7)),
    t.tuple(paymentWrapper, ...types.slice(8, 12)),
    types[12] as Id,
  );
  const extrinsicParams = { Address: address, Call: runtimeCall, Signature: signature };
  const unchecked = t.composite(
    "sp_runtime::generic::unchecked_extrinsic::UncheckedExtrinsic",
    [bytes],
    {
      ...extrinsicParams,
      Extra: extra,
    },
  );
  const uxt = t.composite(
    "fp_self_contained::unchecked_extrinsic::UncheckedExtrinsic",
    [unchecked],
    {
      ...extrinsicParams,
      Extension: extra,
    },
  );

  // The runtime APIs the chain answers (rpc.ts stateCall), with runtime 424's versions.
  const opaqueMetadata = t.composite("sp_core::OpaqueMetadata", [bytes]);
  const runtimeVersion = t.composite("sp_version::RuntimeVersion", {
    spec_name: cow(str),
    impl_name: cow(str),
    authoring_version: u32,
    spec_version: u32,
    impl_version: u32,
    apis: cow(t.seq(t.tuple(t.array(8, u8), u32))),
    transaction_version: u32,
    system_version: u8,
  });
  const TP = "pallet_transaction_payment::types";
  const dispatchInfoOut = t.composite(`${TP}::RuntimeDispatchInfo`, {
    weight,
    class: dispatchClass,
    partial_fee: u64,
  });
  const inclusionFee = t.composite(`${TP}::InclusionFee`, {
    base_fee: u64,
    len_fee: u64,
    adjusted_weight_fee: u64,
  });
  const feeDetails = t.composite(`${TP}::FeeDetails`, {
    inclusion_fee: option(inclusionFee),
    tip: u64,
  });
  const apis: Api[] = [
    { name: "Core", version: 5, methods: [method("version", {}, runtimeVersion)] },
    {
      name: "Metadata",
      version: 2,
      methods: [
        method("metadata", {}, opaqueMetadata),
        method("metadata_at_version", { version: u32 }, option(opaqueMetadata)),
        method("metadata_versions", {}, t.seq(u32)),
      ],
    },
    {
      name: "AccountNonceApi",
      version: 1,
      methods: [method("account_nonce", { account: accountId }, u32)],
    },
    {
      name: "TransactionPaymentApi",
      version: 4,
      methods: [
        method("query_info", { uxt, len: u32 }, dispatchInfoOut),
        method("query_fee_details", { uxt, len: u32 }, feeDetails),
      ],
    },
  ];

  const netuid = ident(u16);
  const pallets: Pallet[] = [
    {
      name: "System",
      index: 0,
      storage: [
        // ExtraFlags' default is IS_NEW_LOGIC (1 << 127): the fallback's last byte is 0x80.
        item("Account", [blake(accountId)], accountInfo, [...t.zero(accountInfo).slice(1), 0x80]),
        item("BlockHash", [twox(u32)], h256),
        item("Number", [], u32),
        item("ParentHash", [], h256),
        item("Events", [], t.seq(eventRecord)),
        item("EventCount", [], u32),
      ],
      events: systemEvent,
      constants: [
        constant("BlockHashCount", u32, le(2400, 4)),
        constant("SS58Prefix", u16, le(42, 2)),
      ],
    },
    {
      name: "Timestamp",
      index: 2,
      storage: [item("Now", [], u64)],
      // Blocks come every 2 × MinimumPeriod: @polkadot/api sizes mortal eras from it.
      constants: [constant("MinimumPeriod", u64, le(6000, 8))],
    },
    {
      name: "SubtensorModule",
      index: 7,
      storage: [
        item("Owner", [blake(accountId)], accountId),
        item("TotalHotkeyAlpha", [blake(accountId), netuid], u64),
        item("TotalNetworks", [], u16),
        item("Tempo", [netuid], u16, le(360, 2)),
        item("SubnetworkN", [netuid], u16),
        item("NetworksAdded", [netuid], bool),
        item("IsNetworkMember", [blake(accountId), netuid], bool),
        item("SubnetOwner", [netuid], accountId),
        item("MaxAllowedUids", [netuid], u16, le(256, 2)),
        item("MaxWeightsLimit", [netuid], u16, le(0xffff, 2)),
        item("WeightsVersionKey", [netuid], u64),
        item("MinAllowedWeights", [netuid], u16, le(1024, 2)),
        item("WeightsSetRateLimit", [netuid], u64, le(100, 8)),
        item("CommitRevealWeightsEnabled", [netuid], bool, le(1, 1)),
        optional("Uids", [netuid, blake(accountId)], u16),
        item("Keys", [netuid, ident(u16)], accountId),
        item("Active", [netuid], t.seq(bool)),
        item("LastUpdate", [netuid], t.seq(u64)),
        item("ValidatorPermit", [netuid], t.seq(bool)),
        item("Weights", [netuid, ident(u16)], t.seq(t.tuple(u16, u16))),
        item("BlockAtRegistration", [netuid, ident(u16)], u64),
        optional(
          "WeightCommits",
          [twox(u16), twox(accountId)],
          t.seq(t.tuple(h256, u64, u64, u64)),
        ),
        item(
          "TimelockedWeightCommits",
          [twox(u16), twox(u64)],
          t.seq(t.tuple(accountId, u64, boundedVec(u8), u64)),
        ),
        item("RevealPeriodEpochs", [twox(u16)], u64, le(1, 8)),
        item("CommitRevealWeightsVersion", [], u16, le(4, 2)),
      ],
      calls: subtensorCall,
      events: subtensorEvent,
      errors: subtensorError,
    },
    {
      name: "Commitments",
      index: 18,
      storage: [
        optional("CommitmentOf", [netuid, twox(accountId)], registration),
        optional("LastCommitment", [netuid, twox(accountId)], u32),
        optional("UsedSpaceOf", [netuid, twox(accountId)], usageTracker),
        item("MaxSpace", [], u32, le(3100, 4)),
      ],
      calls: commitmentsCall,
      events: commitmentsEvent,
      errors: commitmentsError,
      constants: [
        constant("MaxFields", u32, le(3, 4)),
        constant("InitialDeposit", u64, le(0, 8)),
        constant("FieldDeposit", u64, le(0, 8)),
      ],
    },
  ];

  const notDeprecated = "NotDeprecated";
  const enumOf = (type: Id | undefined) =>
    type === undefined ? null : { type, deprecationInfo: new Map() };
  const storageType = ({ keys, value }: Item) => {
    if (keys.length === 0) return { Plain: value };
    const key = keys.length === 1 ? (keys[0] as Key)[1] : t.tuple(...keys.map(([, k]) => k));
    return { Map: { hashers: keys.map(([h]) => h), key, value } };
  };
  return {
    lookup: { types: t.types },
    pallets: pallets.map((p) => ({
      name: p.name,
      storage: p.storage && {
        prefix: p.name,
        items: p.storage.map((entry) => ({
          name: entry.name,
          modifier: entry.optional ? "Optional" : "Default",
          type: storageType(entry),
          fallback: u8aToHex(
            new Uint8Array(entry.fallback ?? (entry.optional ? [0] : t.zero(entry.value))),
          ),
          docs: [],
          deprecationInfo: notDeprecated,
        })),
      },
      calls: enumOf(p.calls),
      events: enumOf(p.events),
      constants: (p.constants ?? []).map((c) => ({
        ...c,
        value: u8aToHex(new Uint8Array(c.value)),
        docs: [],
        deprecationInfo: notDeprecated,
      })),
      errors: enumOf(p.errors),
      associatedTypes: [],
      viewFunctions: [],
      index: p.index,
      docs: [],
      deprecationInfo: notDeprecated,
    })),
    extrinsic: {
      versions: [4], // signed v4 only: the local chain refuses v5 extrinsics
      addressType: address,
      callType: runtimeCall,
      signatureType: signature,
      transactionExtensionsByVersion: new Map([[0, extensions.map((_, i) => i)]]),
      transactionExtensions: extensions,
    },
    apis: apis.map((api) => ({
      ...api,
      methods: api.methods.map((m) => ({ ...m, docs: [], deprecationInfo: notDeprecated })),
      docs: [],
      deprecationInfo: notDeprecated,
    })),
    outerEnums: { callType: runtimeCall, eventType: runtimeEvent, errorType: runtimeError },
    custom: { map: new Map() },
  };
}

/** The built-in metadata's SCALE bytes as state_getMetadata serves them (magic number, V16). */
export function builtinMetadata(): Uint8Array {
  return new Metadata(new TypeRegistry(), {
    magicNumber: MAGIC_NUMBER,
    metadata: { V16: declare() },
  } as never).toU8a();
}
