#include "gchat/mls/public_group.hpp"

#include <algorithm>

#include "gchat/mls/crypto_ops.hpp"
#include "group_rules.hpp"

namespace gchat::mls {

using namespace detail;

namespace {

// Format 1 kept pending proposals without their authenticated data.
constexpr std::uint16_t kPublicStateFormat = 2;

template <typename Pending>
struct StoredPublicGroupOf {
  std::uint16_t format = kPublicStateFormat;
  std::uint16_t cipher_suite = 0;
  GroupContext context;
  Bytes tree;
  Bytes interim_transcript_hash;
  std::vector<Pending> pending;
  bool closed = false;
  GCHAT_TLS_FIELDS(format, cipher_suite, context, tree, interim_transcript_hash, pending, closed)
};
using StoredPublicGroup = StoredPublicGroupOf<PendingProposal>;

Result<StoredPublicGroup> decode_state(BytesView data) {
  Reader r(data);
  GCHAT_TRY(std::uint16_t format, r.u16());
  if (format == kPublicStateFormat) return codec::decode_exact<StoredPublicGroup>(data);
  if (format != 1) return fail(Errc::invalid_value, "unknown public group state format");
  GCHAT_TRY(auto old, codec::decode_exact<StoredPublicGroupOf<LegacyPendingProposal>>(data));
  StoredPublicGroup s{kPublicStateFormat, old.cipher_suite, std::move(old.context), std::move(old.tree),
                      std::move(old.interim_transcript_hash), {}, old.closed};
  for (auto& p : old.pending) s.pending.push_back(std::move(p.p));
  return s;
}

}  // namespace

Result<PublicGroup> PublicGroup::from_group_info(const crypto::CipherSuite& suite, const GroupInfo& info,
                                                 GroupRules rules) {
  if (info.group_context.cipher_suite != suite.id()) return fail(Errc::unsupported_suite, "the group uses another suite");
  const Bytes* tree_data = find_extension(info.extensions, extension_type::ratchet_tree);
  if (!tree_data) return fail(Errc::mls_invalid_welcome, "the GroupInfo does not carry the ratchet tree");
  PublicGroup g(suite);
  GCHAT_TRY(g.tree_, validated_tree(suite, info, *tree_data, rules.validator));
  g.context_ = info.group_context;
  if (rules.epoch_check) {
    EpochChange change{nullptr, &g.context_, &g.tree_, std::nullopt, {}, {}, nullptr};
    for (LeafIndex i = 0; i < g.tree_.leaf_count(); ++i) {
      if (g.tree_.leaf(i)) change.admitted.push_back(i);
    }
    GCHAT_TRY_STATUS(rules.epoch_check(change));
  }
  g.interim_transcript_hash_ = interim_of(suite, info);
  g.rules_ = std::move(rules);
  return g;
}

std::vector<LeafIndex> PublicGroup::leaves_with_key(BytesView key) const {
  std::vector<LeafIndex> out;
  for (LeafIndex i = 0; i < tree_.leaf_count(); ++i) {
    const LeafNode* l = tree_.leaf(i);
    if (l && std::equal(l->signature_key.begin(), l->signature_key.end(), key.begin(), key.end())) out.push_back(i);
  }
  return out;
}

Result<PublicGroup::Observed> PublicGroup::observe(const MlsMessage& message) {
  const auto* pub = std::get_if<PublicMessage>(&message.body);
  if (!pub) return fail(Errc::mls_invalid_message, "the relay checks handshake messages sent as PublicMessages only");
  if (closed_) return fail(Errc::mls_group_reinitialized, "the group was reinitialized; no commit may follow");
  GCHAT_TRY(Bytes key, public_sender_key(context_, tree_, *pub));
  GCHAT_TRY_STATUS(verify_public_signature(*suite_, context_, *pub, key));
  const FramedContent& content = pub->content;
  Observed out;
  out.sender_type = content.sender.sender_type;
  out.sender = content.sender.index;

  if (const auto* proposal = std::get_if<Proposal>(&content.body)) {
    Bytes ref = proposal_ref(*suite_, WireFormat::public_message, content, pub->auth);
    GCHAT_TRY_STATUS(check_room_for(pending_, ref));
    GCHAT_TRY_STATUS(check_proposal(*suite_, context_, tree_, rules_, *proposal, content.sender,
                                    content.authenticated_data));
    pending_.push_back({std::move(ref), *proposal, content.sender, content.authenticated_data});
    out.kind = Observed::Kind::proposal;
    return out;
  }
  if (!std::holds_alternative<Commit>(content.body)) {
    return fail(Errc::mls_invalid_message, "application data in a PublicMessage is not allowed");
  }
  out.kind = Observed::Kind::commit;
  GCHAT_TRY(CheckedCommit checked, check_commit(*suite_, context_, tree_, rules_, pending_, WireFormat::public_message,
                                                content, pub->auth, interim_transcript_hash_));
  out.sender = checked.committer;
  out.added = checked.added;
  out.removed = checked.removed;
  out.removed_leaves = checked.removed_leaves;
  out.extensions_changed = checked.changes.extensions != nullptr;
  out.extensions_by = checked.changes.extensions_sender.index;
  const bool reinit = checked.changes.reinit != nullptr;
  checked.next.confirmed_transcript_hash = checked.confirmed_transcript_hash;
  interim_transcript_hash_ =
      interim_transcript_hash(*suite_, checked.next.confirmed_transcript_hash, pub->auth.confirmation_tag);
  context_ = std::move(checked.next);
  tree_ = std::move(checked.next_tree);
  pending_.clear();
  closed_ = reinit;
  return out;
}

Bytes PublicGroup::serialize() const {
  StoredPublicGroup s;
  s.cipher_suite = suite_->id();
  s.context = context_;
  s.tree = tree_.encode();
  s.interim_transcript_hash = interim_transcript_hash_;
  s.pending = pending_;
  s.closed = closed_;
  return codec::encode(s);
}

Result<PublicGroup> PublicGroup::deserialize(const crypto::CipherSuite& suite, BytesView data, GroupRules rules) {
  GCHAT_TRY(StoredPublicGroup s, decode_state(data));
  if (s.cipher_suite != suite.id()) return fail(Errc::invalid_argument, "the state is for another cipher suite");
  PublicGroup g(suite);
  g.context_ = std::move(s.context);
  GCHAT_TRY(g.tree_, RatchetTree::decode(suite, s.tree));
  if (g.tree_.tree_hash() != g.context_.tree_hash) return fail(Errc::storage_corrupt, "the stored tree does not match");
  // Empty in a state saved at epoch 0 before RFC 9420 §11's interim hash: kept, like the creator's
  // state of that group, which was saved the same way (the two must agree).
  g.interim_transcript_hash_ = std::move(s.interim_transcript_hash);
  g.pending_ = std::move(s.pending);
  g.closed_ = s.closed;
  g.rules_ = std::move(rules);
  return g;
}

}  // namespace gchat::mls
