// Untrusted stored member states (Group::serialize(), kept encrypted in the local store, read
// back at every start): a corrupted or planted state must be refused or restored without a
// crash, a leak or an allocation out of proportion to it. What restores is exercised the way the
// engine does after a restart: read-only accessors (its tree must hash to its context's tree
// hash), serialization — the state it serializes to restores to the same bytes — the exporter,
// then the messages the world sent in that epoch after the state was saved (application messages
// through the restored secret tree, proposals, commits through the restored private keys and
// pending proposals), and finally a message and a commit of its own.
#include "fuzz.hpp"
#include "previous_format.hpp"
#include "world.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

// The stored layout (group.cpp), to write seeds in the previous format too, whose pending
// proposals lack the authenticated data: restoring it is the upgrade path every client takes once.
struct Key {
  std::uint32_t node = 0;
  Bytes key;
  GCHAT_TLS_FIELDS(node, key)
};
struct UpdateKey {
  Bytes public_key, private_key;
  GCHAT_TLS_FIELDS(public_key, private_key)
};
struct Psk {
  Bytes id, secret;
  GCHAT_TLS_FIELDS(id, secret)
};
template <typename P>
struct Layout {
  std::uint16_t format = 0, cipher_suite = 0;
  GroupContext context;
  Bytes tree;
  std::uint32_t own_leaf = 0;
  std::vector<Key> private_keys;
  Bytes init_secret, sender_data_secret, exporter_secret, external_secret, membership_key, resumption_psk,
      epoch_authenticator, interim_transcript_hash, confirmation_tag, secret_tree;
  std::vector<P> pending;
  std::vector<UpdateKey> own_update_keys;
  std::vector<Psk> external_psks, resumption_psks;
  std::vector<ReInit> reinit;
  bool active = true;
  GCHAT_TLS_FIELDS(format, cipher_suite, context, tree, own_leaf, private_keys, init_secret,
                   sender_data_secret, exporter_secret, external_secret, membership_key, resumption_psk,
                   epoch_authenticator, interim_transcript_hash, confirmation_tag, secret_tree, pending,
                   own_update_keys, external_psks, resumption_psks, reinit, active)
};

// The state in the previous format, or nothing when the layout above no longer matches or it has
// no pending proposals. Without authenticated data in them, it must upgrade to exactly `state`.
std::optional<Bytes> previous_format(const Bytes& state, const Identity& owner) {
  auto s = codec::decode_exact<Layout<fuzz::StoredPending>>(state);
  if (!s.ok() || s->pending.empty()) return std::nullopt;
  Layout<fuzz::PreviousPending> old;
  old.format = static_cast<std::uint16_t>(s->format - 1);
  old.cipher_suite = s->cipher_suite;
  old.context = s->context;
  old.tree = s->tree;
  old.own_leaf = s->own_leaf;
  old.private_keys = s->private_keys;
  old.init_secret = s->init_secret;
  old.sender_data_secret = s->sender_data_secret;
  old.exporter_secret = s->exporter_secret;
  old.external_secret = s->external_secret;
  old.membership_key = s->membership_key;
  old.resumption_psk = s->resumption_psk;
  old.epoch_authenticator = s->epoch_authenticator;
  old.interim_transcript_hash = s->interim_transcript_hash;
  old.confirmation_tag = s->confirmation_tag;
  old.secret_tree = s->secret_tree;
  bool lossless = false;
  std::tie(old.pending, lossless) = fuzz::previous_pending(s->pending);
  old.own_update_keys = s->own_update_keys;
  old.external_psks = s->external_psks;
  old.resumption_psks = s->resumption_psks;
  old.reinit = s->reinit;
  old.active = s->active;
  Bytes encoded = codec::encode(old);
  auto upgraded = Group::deserialize(fuzz::world().suite, encoded, owner);
  if (!upgraded.ok() || (lossless && !same_bytes(upgraded->serialize(), state))) {
    fuzz_fail("a state in the previous format does not upgrade to the current one");
  }
  return encoded;
}

// The person a state belongs to, by the signature key of its own leaf (Group::deserialize checks
// it against the identity it is given). The state begins: format, suite, context, tree, own leaf.
const Identity& owner_of(BytesView in) {
  const auto& w = fuzz::world();
  codec::Reader r(in);
  const bool header = r.u16().ok() && r.u16().ok();
  auto context = codec::decode<GroupContext>(r);
  auto tree = r.opaque();
  auto own = r.u32();
  if (header && context.ok() && tree.ok() && own.ok()) {
    if (auto t = RatchetTree::decode(w.suite, *tree); t.ok()) {
      if (const LeafNode* leaf = t->leaf(*own)) {
        if (const Identity* id = w.person_with_key(leaf->signature_key)) return *id;
      }
    }
  }
  return w.people.front();
}

void exercise(Group& g, const Identity& me) {
  const auto& w = fuzz::world();
  if (g.tree().tree_hash() != g.context().tree_hash)
    fuzz_fail("a restored state's tree does not match its context");
  (void)g.members();
  (void)g.epoch_authenticator();
  (void)g.pending_reinit();
  const SecretBytes state = g.serialize();
  auto again = Group::deserialize(w.suite, state, me);
  if (!again.ok()) fuzz_fail("a restored state's own serialization does not restore");
  if (!same_bytes(again->serialize(), state))
    fuzz_fail("a restored state serializes differently once restored again");
  if (!g.active()) {
    if (g.protect(as_bytes("after")).ok()) fuzz_fail("a member who left can still send");
    return;
  }
  (void)g.export_secret("fuzz", as_bytes("state"), 32);
  (void)g.group_info();
  if (const auto sent = w.messages.find(g.epoch()); sent != w.messages.end()) {
    for (const auto& m : sent->second) {
      const auto epoch = g.epoch();
      (void)g.process(m);
      if (g.epoch() != epoch) break;  // a commit moved the group on
    }
  }
  if (!g.active()) return;
  (void)g.protect(as_bytes("after"));
  (void)g.commit({}, {}, fuzz::kNow);
  (void)g.serialize();
}

std::vector<Bytes> current_seeds() {
  std::vector<Bytes> seeds;
  for (const auto& s : fuzz::world().states) seeds.push_back(s.bytes);
  return seeds;
}

}  // namespace

std::vector<Bytes> fuzz_seeds() {
  std::vector<Bytes> seeds = current_seeds();
  for (const auto& s : fuzz::world().states) {
    if (auto old = previous_format(s.bytes, fuzz::world().people[s.person])) seeds.push_back(std::move(*old));
  }
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& w = fuzz::world();
  fuzz::reset_randomness();
  const BytesView in(data, size);
  const Identity& me = owner_of(in);
  auto group = Group::deserialize(w.suite, in, me);
  static const auto seeds = current_seeds();
  if (!group.ok() && is_one_of(in, seeds)) fuzz_fail("a seed state does not restore");
  if (group.ok()) exercise(*group, me);
  return 0;
}
