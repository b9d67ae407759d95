// The public half of processing a commit, shared by members (Group::process) and by the relay's
// view of a group (PublicGroup::observe): everything that can be checked without the group's
// secrets, on copies, before anyone acts on the commit.
#include <algorithm>

#include "gchat/mls/key_schedule.hpp"
#include "group_rules.hpp"

namespace gchat::mls::detail {

Result<CheckedCommit> check_commit(const crypto::CipherSuite& suite, const GroupContext& context,
                                   const RatchetTree& tree, const GroupRules& rules,
                                   const std::vector<PendingProposal>& pending, WireFormat wire_format,
                                   const FramedContent& content, const FramedContentAuthData& auth,
                                   BytesView interim_transcript_hash) {
  const auto* commit = std::get_if<Commit>(&content.body);
  if (!commit) return fail(Errc::mls_invalid_message, "not a commit");
  CheckedCommit out(context, tree);
  out.external = content.sender.sender_type == SenderType::new_member_commit;
  if (!out.external && content.sender.sender_type != SenderType::member) {
    return fail(Errc::mls_invalid_commit, "only members and joiners commit");
  }
  out.committer = content.sender.index;
  const std::optional<LeafIndex> committer =
      out.external ? std::nullopt : std::optional<LeafIndex>(content.sender.index);
  GCHAT_TRY(out.changes, changes_of(suite, *commit, pending, committer));
  const Changes& changes = out.changes;
  if (changes.needs_path() && !commit->path) return fail(Errc::mls_invalid_commit, "this commit must carry a path");
  if (commit->path && commit->path->leaf_node.leaf_node_source != LeafNodeSource::commit) {
    return fail(Errc::mls_invalid_commit, "a commit's path leaf is not a commit leaf");
  }
  if (out.external && !changes.removes.empty()) {
    // §12.4.3.2: a joiner may remove only an old leaf of its own.
    const LeafNode* old = tree.leaf(changes.removes.front());
    if (!old || codec::encode(old->credential) != codec::encode(commit->path->leaf_node.credential)) {
      return fail(Errc::mls_invalid_commit, "an external commit removes a leaf that is not the joiner's");
    }
  }
  if (auth.confirmation_tag.empty()) return fail(Errc::mls_invalid_commit, "the commit has no confirmation tag");
  // Who asked for each change, judged against the epoch it was asked in.
  GCHAT_TRY_STATUS(check_proposal_senders(context, tree, rules, *commit, pending, content.sender,
                                          content.authenticated_data));

  GCHAT_TRY(out.next.epoch, next_epoch(context.epoch));
  if (changes.extensions) out.next.extensions = changes.extensions->extensions;
  GCHAT_TRY(Requirements req, requirements_of(out.next.extensions));
  for (LeafIndex r : changes.removes) {
    const LeafNode* l = tree.leaf(r);
    if (!l) return fail(Errc::mls_invalid_proposal, "a Remove names a leaf that is not a member");
    out.removed_leaves.push_back(*l);
  }
  out.removed = changes.removes;
  for (const auto& [leaf, node] : changes.updates) out.updated.push_back(leaf);
  GCHAT_TRY_STATUS(apply_changes(suite, out.next_tree, req, changes, out.added, std::nullopt, rules.validator));
  if (commit->path) {
    const LeafNode& leaf = commit->path->leaf_node;
    GCHAT_TRY_STATUS(rules.validator(leaf.credential, leaf.signature_key, CredentialUse::commit));
    GCHAT_TRY_STATUS(check_new_leaf(suite, out.next_tree, leaf, committer, req));
    // §12.4.2: the committer's leaf gets a fresh encryption key.
    if (committer) {
      const LeafNode* current = tree.leaf(*committer);
      if (current && current->encryption_key == leaf.encryption_key) {
        return fail(Errc::mls_invalid_commit, "the committer's new leaf keeps its old encryption key");
      }
    }
  }
  if (out.external) {
    out.committer = out.next_tree.add_leaf(commit->path->leaf_node);
    out.added.push_back(out.committer);
  }
  if (commit->path) {
    // Members added by this commit get the path secrets from the Welcome (an external joiner
    // made the path itself, so nothing is excluded for it).
    const std::vector<LeafIndex> excluded = out.external ? std::vector<LeafIndex>{} : out.added;
    GCHAT_TRY(out.merged, merge_update_path(suite, out.next_tree, out.committer, *commit->path, out.next, excluded));
  } else {
    out.next.tree_hash = out.next_tree.tree_hash();
  }
  if (rules.epoch_check) {
    EpochChange change{&context, &out.next, &out.next_tree, committer, out.added, out.updated, &tree};
    if (commit->path && committer) change.replaced.push_back(*committer);
    change.admitted.insert(change.admitted.end(), change.replaced.begin(), change.replaced.end());
    GCHAT_TRY_STATUS(rules.epoch_check(change));
  }
  out.confirmed_transcript_hash =
      confirmed_transcript_hash(suite, interim_transcript_hash, wire_format, content, auth.signature);
  return out;
}

}  // namespace gchat::mls::detail
