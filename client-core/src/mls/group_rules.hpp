#pragma once
// The rules RFC 9420 sets for leaves, trees and commits, shared by a member's Group and by
// PublicGroup (the relay's view of a group, without its secrets). Internal to gchat_mls.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gchat/codec/tls.hpp"
#include "gchat/mls/group.hpp"
#include "gchat/mls/treekem.hpp"

namespace gchat::mls {
// A pending proposal as group states persist it (with its authenticated data); found by ADL.
void tls_encode(Writer& w, const PendingProposal& v);
Status tls_decode(Reader& r, PendingProposal& v);
}  // namespace gchat::mls

namespace gchat::mls::detail {

bool contains(const std::vector<std::uint16_t>& values, std::uint16_t v);
std::uint16_t type_of(const Credential& c);

// What a group's context extensions ask of every leaf (§7.2, §11.1).
struct Requirements {
  RequiredCapabilities required;
  std::vector<std::uint16_t> context_extensions;  // the non-default ones
  std::vector<ExternalSender> external_senders;
};

Result<Requirements> requirements_of(const std::vector<Extension>& extensions);
Status check_leaf_supports(const crypto::CipherSuite& suite, const LeafNode& leaf, const Requirements& req);
// A leaf entering the tree (an Add, an Update, a committer's new leaf; `replacing` is the leaf it
// takes the place of), §7.3 and §12.2: it supports what the group requires, its keys are in use
// nowhere else in the tree, and it and every member can use each other's credential types. One
// pass over the tree.
Status check_new_leaf(const crypto::CipherSuite& suite, const RatchetTree& tree, const LeafNode& leaf,
                      std::optional<LeafIndex> replacing, const Requirements& req);
// Every leaf of a tree against the requirements, and every credential type in use against every
// leaf; the external senders through the credential hook.
Status check_tree_supports(const crypto::CipherSuite& suite, const RatchetTree& tree, const Requirements& req,
                           const CredentialValidator& validator);
// §8.4, §12.1.4.
Status check_psk_id(const crypto::CipherSuite& suite, const PreSharedKeyId& id);

// The proposals a commit covers (§12.2-12.3), checked as a list.
struct Changes {
  const GroupContextExtensions* extensions = nullptr;
  Sender extensions_sender;  // who proposed `extensions` (the committer, for one by value)
  const ExternalInit* external_init = nullptr;
  const ReInit* reinit = nullptr;
  std::vector<std::pair<LeafIndex, const LeafNode*>> updates;
  std::vector<LeafIndex> removes;
  std::vector<const KeyPackage*> adds;
  std::vector<const PreSharedKeyId*> psks;
  std::size_t count = 0;
  // §12.4: a path is required unless every proposal is an Add, a PreSharedKey or a ReInit.
  bool needs_path() const {
    return count == 0 || extensions || external_init || !updates.empty() || !removes.empty();
  }
};

// `committer`: the committing member, or nothing for an external commit.
template <typename Pending>
Result<Changes> changes_of(const crypto::CipherSuite& suite, const Commit& commit, const Pending& pending,
                           std::optional<LeafIndex> committer) {
  Changes c;
  std::set<Bytes> psk_ids;
  for (const auto& p : commit.proposals) {
    const Proposal* proposal = std::get_if<Proposal>(&p.value);
    const Sender* proposer = nullptr;  // by value: from the committer
    if (!proposal) {
      const auto& ref = std::get<Bytes>(p.value);
      for (const auto& cached : pending) {
        if (cached.ref == ref) {
          proposal = &cached.proposal;
          proposer = &cached.sender;
        }
      }
      if (!proposal) return fail(Errc::mls_invalid_commit, "the commit names a proposal this member has not seen");
    }
    ++c.count;
    if (const auto* u = std::get_if<Update>(&proposal->body)) {
      if (!proposer) return fail(Errc::mls_invalid_proposal, "an Update cannot be committed by value");
      if (proposer->sender_type != SenderType::member) return fail(Errc::mls_invalid_proposal, "only members send Updates");
      if (committer && proposer->index == *committer) {
        return fail(Errc::mls_invalid_proposal, "a committer cannot commit its own Update");
      }
      c.updates.emplace_back(proposer->index, &u->leaf_node);
    } else if (const auto* r = std::get_if<Remove>(&proposal->body)) {
      c.removes.push_back(r->removed);
    } else if (const auto* a = std::get_if<Add>(&proposal->body)) {
      c.adds.push_back(&a->key_package);
    } else if (const auto* k = std::get_if<PreSharedKey>(&proposal->body)) {
      GCHAT_TRY_STATUS(check_psk_id(suite, k->psk));
      if (!psk_ids.insert(codec::encode(k->psk)).second) return fail(Errc::mls_invalid_proposal, "a PSK is named twice");
      c.psks.push_back(&k->psk);
    } else if (const auto* ri = std::get_if<ReInit>(&proposal->body)) {
      if (c.reinit) return fail(Errc::mls_invalid_proposal, "a commit carries two ReInits");
      c.reinit = ri;
    } else if (const auto* e = std::get_if<ExternalInit>(&proposal->body)) {
      if (proposer || c.external_init) return fail(Errc::mls_invalid_proposal, "ExternalInit must come once, by value");
      c.external_init = e;
    } else if (const auto* g = std::get_if<GroupContextExtensions>(&proposal->body)) {
      if (c.extensions) return fail(Errc::mls_invalid_proposal, "a commit carries two GroupContextExtensions");
      c.extensions = g;
      c.extensions_sender = proposer ? *proposer : Sender{SenderType::member, committer.value_or(0)};
    }
  }
  if (committer && c.external_init) return fail(Errc::mls_invalid_commit, "ExternalInit belongs in external commits only");
  if (!committer) {
    if (!c.external_init) return fail(Errc::mls_invalid_commit, "an external commit needs an ExternalInit");
    if (!c.adds.empty() || !c.updates.empty() || c.reinit || c.extensions || c.removes.size() > 1) {
      return fail(Errc::mls_invalid_commit,
                  "an external commit may only carry PSKs and the removal of the joiner's old leaf");
    }
  }
  if (c.reinit && c.count != 1) return fail(Errc::mls_invalid_proposal, "a ReInit must be committed alone");
  std::set<LeafIndex> removed(c.removes.begin(), c.removes.end());
  if (removed.size() != c.removes.size()) return fail(Errc::mls_invalid_proposal, "a member is removed twice");
  if (committer && removed.count(*committer)) return fail(Errc::mls_invalid_proposal, "a committer cannot remove itself");
  std::set<LeafIndex> updated;
  for (const auto& [leaf, node] : c.updates) {
    if (!updated.insert(leaf).second) return fail(Errc::mls_invalid_proposal, "a member updates twice");
    if (removed.count(leaf)) return fail(Errc::mls_invalid_proposal, "a member is both updated and removed");
  }
  return c;
}

Bytes proposal_ref(const crypto::CipherSuite& suite, WireFormat wire_format, const FramedContent& content,
                   const FramedContentAuthData& auth);
// Applies a commit's proposals to `tree` in RFC order (§12.3) under the requirements of the next
// epoch's extensions; `now`, when given, holds the added key packages to this client's lifetime
// policy (its own commits; receivers of others' commits give none).
Status apply_changes(const crypto::CipherSuite& suite, RatchetTree& tree, const Requirements& req, const Changes& c,
                     std::vector<LeafIndex>& added, std::optional<std::uint64_t> now,
                     const CredentialValidator& validator);
// Whether a proposal with this reference may join the epoch's pending list: not a replay of one
// already there, and the list below kMaxPendingProposals (members and relay alike).
Status check_room_for(const std::vector<PendingProposal>& pending, BytesView ref);
// The epoch after `epoch`; the last one has none (no wrap to 0).
Result<std::uint64_t> next_epoch(std::uint64_t epoch);

// §12.1, §12.2: a proposal as a receiver checks it before caching it — the RFC's rules, then the
// application's judgement of its sender (GroupRules::proposal_check).
Status check_proposal(const crypto::CipherSuite& suite, const GroupContext& context, const RatchetTree& tree,
                      const GroupRules& rules, const Proposal& proposal, const Sender& sender,
                      BytesView authenticated_data);

// Every proposal a commit covers, judged by the application by who proposed it: the cached
// sender and authenticated data for one by reference, the committer (`committer_sender`) and the
// commit's own authenticated data for one by value.
Status check_proposal_senders(const GroupContext& context, const RatchetTree& tree, const GroupRules& rules,
                              const Commit& commit, const std::vector<PendingProposal>& pending,
                              const Sender& committer_sender, BytesView commit_authenticated_data);

// The public half of processing a commit, which members and the relay's PublicGroup share: the
// proposal list (§12.2) and its senders, the path's presence and source, an external joiner's
// removal of its own old leaf only, the proposals applied to a copy of the tree under the next
// epoch's extensions, the committer's new leaf (credential, uniqueness, a fresh encryption key:
// §12.4.2), the path merged with its parent hashes and leaf signature checked, the application's
// epoch check, and the next confirmed transcript hash. Nothing of the caller's state changes; a
// member acts on the result (its own removal included) only once this has passed.
struct CheckedCommit {
  CheckedCommit(const GroupContext& context, const RatchetTree& tree) : next(context), next_tree(tree) {}
  Changes changes;             // points into the commit and the pending list
  // The provisional context (§12.4.2: epoch and tree hash of the next epoch, the confirmed
  // transcript hash still the old one, as the path's encryption is bound to it) and the next
  // epoch's confirmed transcript hash.
  GroupContext next;
  Bytes confirmed_transcript_hash;
  RatchetTree next_tree;
  std::optional<MergedPath> merged;
  LeafIndex committer = 0;     // for an external commit, the joiner's new leaf
  bool external = false;
  std::vector<LeafIndex> added, removed, updated;
  std::vector<LeafNode> removed_leaves;  // what the removed leaves held, in the same order
};
Result<CheckedCommit> check_commit(const crypto::CipherSuite& suite, const GroupContext& context,
                                   const RatchetTree& tree, const GroupRules& rules,
                                   const std::vector<PendingProposal>& pending, WireFormat wire_format,
                                   const FramedContent& content, const FramedContentAuthData& auth,
                                   BytesView interim_transcript_hash);
// The signature key of external sender `index` in the group's external_senders extension.
Result<Bytes> external_sender_key(const GroupContext& context, std::uint32_t index);

// The key a PublicMessage must be signed with, by sender type (§6.1): a member's leaf, the leaf an
// external commit brings, a listed external sender (§12.1.8: not Update nor ExternalInit), or the
// key package of a joiner proposing its own Add.
Result<Bytes> public_sender_key(const GroupContext& context, const RatchetTree& tree, const PublicMessage& pub);

// As states of earlier formats stored it: without the authenticated data.
struct LegacyPendingProposal {
  PendingProposal p;
};
void tls_encode(Writer& w, const LegacyPendingProposal& v);
Status tls_decode(Reader& r, LegacyPendingProposal& v);

// The interim transcript hash of the epoch a GroupInfo describes (§8.2): derived from its
// confirmation tag, in epoch 0 too (§11: the creator's tag over the empty confirmed hash).
Bytes interim_of(const crypto::CipherSuite& suite, const GroupInfo& info);

// The extension of a type in a list, or nullptr.
const Bytes* find_extension(const std::vector<Extension>& extensions, std::uint16_t type);
// The tree a GroupInfo describes, checked as a joiner must (§12.4.3.1): it hashes to the group
// context's tree hash, it is valid (signatures, parent hashes, unique keys, every leaf supporting
// what the group requires), the GroupInfo is signed by one of its members, and the credential hook
// accepts every leaf and external sender.
Result<RatchetTree> validated_tree(const crypto::CipherSuite& suite, const GroupInfo& info, BytesView tree_data,
                                   const CredentialValidator& validator);

}  // namespace gchat::mls::detail
