#include "gchat/mls/public_group.hpp"

#include <algorithm>

#include "gchat/mls/crypto_ops.hpp"
#include "group_rules.hpp"

namespace gchat::mls {

using namespace detail;

namespace {

constexpr std::uint16_t kPublicStateFormat = 1;

struct StoredPublicGroup {
  std::uint16_t format = kPublicStateFormat;
  std::uint16_t cipher_suite = 0;
  GroupContext context;
  Bytes tree;
  Bytes interim_transcript_hash;
  std::vector<StoredProposal> pending;
  bool closed = false;
  GCHAT_TLS_FIELDS(format, cipher_suite, context, tree, interim_transcript_hash, pending, closed)
};

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
    GCHAT_TRY_STATUS(check_proposal(*suite_, context_, tree_, rules_.validator, *proposal, content.sender));
    pending_.push_back({proposal_ref(*suite_, WireFormat::public_message, content, pub->auth), *proposal,
                        content.sender});
    out.kind = Observed::Kind::proposal;
    return out;
  }
  const auto* commit = std::get_if<Commit>(&content.body);
  if (!commit) return fail(Errc::mls_invalid_message, "application data in a PublicMessage is not allowed");
  out.kind = Observed::Kind::commit;
  const bool external = content.sender.sender_type == SenderType::new_member_commit;
  if (!external && content.sender.sender_type != SenderType::member) {
    return fail(Errc::mls_invalid_commit, "only members and joiners commit");
  }
  GCHAT_TRY(Changes changes, changes_of(*suite_, *commit, pending_,
                                        external ? std::nullopt : std::optional<LeafIndex>(content.sender.index)));
  if (changes.needs_path() && !commit->path) return fail(Errc::mls_invalid_commit, "this commit must carry a path");
  if (external && !changes.removes.empty()) {
    const LeafNode* old = tree_.leaf(changes.removes.front());
    if (!old || codec::encode(old->credential) != codec::encode(commit->path->leaf_node.credential)) {
      return fail(Errc::mls_invalid_commit, "an external commit removes a leaf that is not the joiner's");
    }
  }
  if (pub->auth.confirmation_tag.empty()) return fail(Errc::mls_invalid_commit, "the commit has no confirmation tag");

  GroupContext next = context_;
  next.epoch = context_.epoch + 1;
  if (changes.extensions) {
    next.extensions = changes.extensions->extensions;
    out.extensions_changed = true;
  }
  GCHAT_TRY(Requirements req, requirements_of(next.extensions));
  RatchetTree next_tree = tree_;
  for (LeafIndex r : changes.removes) {
    const LeafNode* l = tree_.leaf(r);
    if (!l) return fail(Errc::mls_invalid_proposal, "a Remove names a leaf that is not a member");
    out.removed_leaves.push_back(*l);
  }
  out.removed = changes.removes;
  std::vector<LeafIndex> updated;
  for (const auto& [leaf, node] : changes.updates) updated.push_back(leaf);
  GCHAT_TRY_STATUS(apply_changes(*suite_, next_tree, req, changes, out.added, std::nullopt, rules_.validator));
  LeafIndex committer = content.sender.index;
  if (commit->path) {
    const LeafNode& leaf = commit->path->leaf_node;
    GCHAT_TRY_STATUS(rules_.validator(leaf.credential, leaf.signature_key, CredentialUse::commit));
    GCHAT_TRY_STATUS(check_new_leaf(*suite_, next_tree, leaf,
                                    external ? std::nullopt : std::optional<LeafIndex>(committer), req));
  }
  if (external) {
    committer = next_tree.add_leaf(commit->path->leaf_node);
    out.sender = committer;
    out.added.push_back(committer);
  }
  if (commit->path) {
    std::vector<LeafIndex> excluded = external ? std::vector<LeafIndex>{} : out.added;
    GCHAT_TRY_STATUS(merge_update_path(*suite_, next_tree, committer, *commit->path, next, excluded));
  } else {
    next.tree_hash = next_tree.tree_hash();
  }
  if (rules_.epoch_check) {
    EpochChange change{&context_, &next, &next_tree, std::nullopt, out.added, {}, nullptr};
    change.previous_tree = &tree_;
    if (!external) change.committer = committer;
    change.replaced = updated;
    if (commit->path && !external) change.replaced.push_back(committer);
    change.admitted.insert(change.admitted.end(), change.replaced.begin(), change.replaced.end());
    GCHAT_TRY_STATUS(rules_.epoch_check(change));
  }
  next.confirmed_transcript_hash = confirmed_transcript_hash(*suite_, interim_transcript_hash_, WireFormat::public_message,
                                                             content, pub->auth.signature);
  interim_transcript_hash_ = interim_transcript_hash(*suite_, next.confirmed_transcript_hash, pub->auth.confirmation_tag);
  context_ = std::move(next);
  tree_ = std::move(next_tree);
  pending_.clear();
  closed_ = changes.reinit != nullptr;
  return out;
}

Bytes PublicGroup::serialize() const {
  StoredPublicGroup s;
  s.cipher_suite = suite_->id();
  s.context = context_;
  s.tree = tree_.encode();
  s.interim_transcript_hash = interim_transcript_hash_;
  for (const auto& p : pending_) s.pending.push_back({p.ref, p.proposal, p.sender});
  s.closed = closed_;
  return codec::encode(s);
}

Result<PublicGroup> PublicGroup::deserialize(const crypto::CipherSuite& suite, BytesView data, GroupRules rules) {
  GCHAT_TRY(StoredPublicGroup s, codec::decode_exact<StoredPublicGroup>(data));
  if (s.format != kPublicStateFormat) return fail(Errc::invalid_value, "unknown public group state format");
  if (s.cipher_suite != suite.id()) return fail(Errc::invalid_argument, "the state is for another cipher suite");
  PublicGroup g(suite);
  g.context_ = std::move(s.context);
  GCHAT_TRY(g.tree_, RatchetTree::decode(suite, s.tree));
  if (g.tree_.tree_hash() != g.context_.tree_hash) return fail(Errc::storage_corrupt, "the stored tree does not match");
  // Empty in a state saved at epoch 0 before RFC 9420 §11's interim hash: kept, like the creator's
  // state of that group, which was saved the same way (the two must agree).
  g.interim_transcript_hash_ = std::move(s.interim_transcript_hash);
  for (auto& p : s.pending) g.pending_.push_back({std::move(p.ref), std::move(p.proposal), p.sender});
  g.closed_ = s.closed;
  g.rules_ = std::move(rules);
  return g;
}

}  // namespace gchat::mls
