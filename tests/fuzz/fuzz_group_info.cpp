// Untrusted GroupInfos, as the relay keeps them for external joins and as Welcomes carry them.
//
// As they come: decoding is canonical; the signature is checked against the signer's leaf in the
// embedded tree, and one that verifies signs exactly a seed's content. The relay's PublicGroup
// and an external joiner (hank) accept only GroupInfos that verify, and when both accept one the
// relay follows the joiner's external commit to the joiner's own GroupContext.
//
// As an insider would make them: a member can sign anything, so the GroupInfo is re-signed by its
// signer (when that is one of the world's people) and, for a joiner whose leaf is in its tree,
// given the confirmation tag of that joiner's joiner_secret and sealed into a Welcome. Mutations
// then reach what signatures otherwise stop: tree validation, requirements, the external-commit
// path and the joiner's path secrets.
#include "fuzz.hpp"
#include "gchat/mls/key_schedule.hpp"
#include "world.hpp"

using namespace gchat;
using namespace gchat::mls;

namespace {

constexpr std::size_t kHank = 7;  // never a member: the external joiner

MlsMessage wire(const MlsMessage& m) {
  auto back = codec::decode_exact<MlsMessage>(codec::encode(m));
  if (!back.ok()) fuzz_fail("a message made by the group does not decode");
  return std::move(*back);
}

bool is_seed_tbs(const Bytes& tbs) {
  for (const auto& seed : fuzz::world().group_infos) {
    if (group_info_tbs(*codec::decode_exact<GroupInfo>(seed)) == tbs) return true;
  }
  return false;
}

// The tree a GroupInfo carries, if it decodes.
std::optional<RatchetTree> tree_of(const GroupInfo& info) {
  const Bytes* data = fuzz::ratchet_tree_of(info);
  if (!data) return std::nullopt;
  auto tree = RatchetTree::decode(fuzz::world().suite, *data);
  if (!tree.ok()) return std::nullopt;
  return std::move(*tree);
}

// The relay and an outsider joining by external commit. `seed`: both must accept it.
void open_from_outside(const GroupInfo& info, bool authentic, bool seed) {
  const auto& w = fuzz::world();
  auto relay = PublicGroup::from_group_info(w.suite, info, {});
  if (relay.ok() && !authentic) fuzz_fail("the relay accepted a GroupInfo whose signature does not verify");
  auto joined = Group::join_external(w.suite, info, w.people[kHank]);
  if (joined.ok() && !authentic)
    fuzz_fail("an external joiner accepted a GroupInfo whose signature does not verify");
  if (seed && (!relay.ok() || !joined.ok()))
    fuzz_fail("a seed GroupInfo is refused by the relay or a joiner");
  if (relay.ok()) (void)relay->serialize();
  if (!joined.ok()) return;
  if (joined->group.tree().tree_hash() != joined->group.context().tree_hash) {
    fuzz_fail("an external joiner's tree does not match its context");
  }
  (void)joined->group.serialize();
  if (relay.ok()) {
    auto seen = relay->observe(wire(joined->commit));
    if (!seen.ok())
      fuzz_fail("the relay refused the external commit of a joiner from a GroupInfo it accepted");
    if (codec::encode(relay->context()) != codec::encode(joined->group.context())) {
      fuzz_fail("the relay and the external joiner disagree on the new epoch");
    }
  }
}

// A malicious member's Welcome of `info` to a joiner whose leaf is in its tree.
void join_from_insider(GroupInfo info, const RatchetTree& tree, const Identity& signer) {
  const auto& w = fuzz::world();
  for (const auto& joiner : w.joiners) {
    const LeafNode& mine = w.bundles[joiner.person].key_package.leaf_node;
    bool present = false;
    for (LeafIndex i = 0; i < tree.leaf_count() && !present; ++i) {
      const LeafNode* l = tree.leaf(i);
      present = l && l->encryption_key == mine.encryption_key && l->signature_key == mine.signature_key;
    }
    if (!present) continue;
    auto secrets = derive_epoch_from_joiner(w.suite, joiner.joiner_secret, joiner.psk_secret,
                                            codec::encode(info.group_context));
    if (!secrets.ok()) return;
    info.confirmation_tag =
        confirmation_tag(w.suite, secrets->confirmation_key, info.group_context.confirmed_transcript_hash);
    if (!sign_group_info(w.suite, info, signer.signature.private_key).ok()) return;
    auto sealed = seal_group_info(w.suite, info, joiner.welcome_secret);
    if (!sealed.ok()) return;
    const Welcome welcome{w.suite.id(), {joiner.entry}, std::move(*sealed)};
    JoinOptions options;
    options.external_psks = &w.external_psks;
    auto joined = Group::join(w.suite, welcome, w.bundle(joiner.person), w.people[joiner.person], options);
    if (joined.ok()) {
      if (joined->tree().tree_hash() != joined->context().tree_hash)
        fuzz_fail("a joined tree does not match its context");
      (void)joined->serialize();
      (void)joined->protect(as_bytes("hello"));
    }
    return;
  }
}

}  // namespace

std::vector<Bytes> fuzz_seeds() {
  return fuzz::world().group_infos;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& w = fuzz::world();
  fuzz::reset_randomness();
  const BytesView in(data, size);
  auto info = codec::decode_exact<GroupInfo>(in);
  const bool seed = is_one_of(in, w.group_infos);
  if (!info.ok()) {
    if (seed) fuzz_fail("a seed GroupInfo does not decode");
    return 0;
  }
  if (!same_bytes(codec::encode(*info), in)) fuzz_fail("a decoded GroupInfo re-encodes differently");
  const auto tree = tree_of(*info);
  const LeafNode* signer_leaf = tree ? tree->leaf(info->signer) : nullptr;
  const bool authentic = signer_leaf && verify_group_info(w.suite, *info, signer_leaf->signature_key).ok();
  if (authentic && !is_seed_tbs(group_info_tbs(*info))) fuzz_fail("an altered GroupInfo verifies");
  if (seed && !authentic) fuzz_fail("a seed GroupInfo does not verify");
  open_from_outside(*info, authentic, seed);

  const Identity* signer = signer_leaf ? w.person_with_key(signer_leaf->signature_key) : nullptr;
  if (!signer) return 0;
  GroupInfo forged = *info;
  if (!sign_group_info(w.suite, forged, signer->signature.private_key).ok()) return 0;
  if (!authentic) open_from_outside(forged, true, false);
  join_from_insider(std::move(forged), *tree, *signer);
  return 0;
}
