#include "gchat/mls/treekem.hpp"

#include <sodium.h>

#include <algorithm>
#include <string>

#include "gchat/crypto/hpke.hpp"
#include "gchat/mls/crypto_ops.hpp"

namespace gchat::mls {

using namespace tree;

namespace {

constexpr std::string_view kPathLabel = "UpdatePathNode";

// The copath child's resolution without the leaves the commit adds.
std::vector<NodeIndex> recipients(const RatchetTree& tree, NodeIndex copath_child, const std::vector<LeafIndex>& excluded) {
  auto res = tree.resolution(copath_child);
  std::erase_if(res, [&](NodeIndex x) {
    return is_leaf(x) && std::find(excluded.begin(), excluded.end(), leaf_of_node(x)) != excluded.end();
  });
  return res;
}

void forget_direct_path(TreeKemPrivate& p, const RatchetTree& tree, LeafIndex sender) {
  for (NodeIndex x : direct_path(node_of_leaf(sender), tree.leaf_count())) p.keys.erase(x);
}

}  // namespace

TreeKemPrivate TreeKemPrivate::clone() const {
  TreeKemPrivate out;
  out.leaf = leaf;
  for (const auto& [node, key] : keys) out.keys.emplace(node, key.clone());
  return out;
}

Result<crypto::HpkeKeyPair> node_key_pair(const crypto::CipherSuite& suite, BytesView path_secret) {
  GCHAT_TRY(SecretBytes node_secret, derive_secret(suite, path_secret, "node"));
  return suite.hpke().derive_key_pair(node_secret);
}

Status TreeKemPrivate::set_path_secret(const crypto::CipherSuite& suite, NodeIndex node, BytesView path_secret,
                                       BytesView public_key) {
  GCHAT_TRY(auto kp, node_key_pair(suite, path_secret));
  if (!equal_ct(kp.public_key, public_key)) {
    return fail(Errc::mls_invalid_commit, "the key derived for node " + std::to_string(node) +
                                              " does not match its public key");
  }
  keys.insert_or_assign(node, std::move(kp.private_key));
  return {};
}

Result<CreatedPath> create_update_path(const crypto::CipherSuite& suite, RatchetTree& tree, LeafIndex sender,
                                       BytesView signature_private_key, GroupContext& context,
                                       const std::vector<LeafIndex>& excluded, const TreeKemPrivate& own) {
  const LeafNode* current = tree.leaf(sender);
  if (!current) return fail(Errc::mls_invalid_commit, "the committer is not a member");
  const auto steps = tree.filtered_direct_path(sender);

  // Path secrets and node keys, bottom to top.
  std::vector<SecretBytes> secrets;
  std::vector<Bytes> public_keys;
  std::vector<SecretBytes> private_keys;
  Bytes first(suite.hash_length());
  randombytes_buf(first.data(), first.size());
  SecretBytes secret = SecretBytes::take(first);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    GCHAT_TRY(auto kp, node_key_pair(suite, secret));
    public_keys.push_back(kp.public_key);
    private_keys.push_back(std::move(kp.private_key));
    GCHAT_TRY(SecretBytes next, derive_secret(suite, secret, "path"));
    secrets.push_back(std::move(secret));
    secret = std::move(next);
  }
  CreatedPath out;
  if (steps.empty()) {
    out.commit_secret = SecretBytes(Bytes(suite.hash_length(), 0));
  } else {
    out.commit_secret = std::move(secret);  // DeriveSecret(path_secret[n], "path") for the root's n
  }

  // The new leaf: fresh HPKE key, source commit, the parent hash, signed.
  LeafNode leaf = *current;
  const auto leaf_key = suite.hpke().generate_key_pair();
  leaf.encryption_key = leaf_key.public_key;
  leaf.leaf_node_source = LeafNodeSource::commit;
  GCHAT_TRY(leaf.parent_hash, tree.apply_path(sender, public_keys));
  GCHAT_TRY(leaf.signature, sign_leaf_node(suite, leaf, signature_private_key, context.group_id, sender));
  GCHAT_TRY_STATUS(tree.set_leaf(sender, leaf));
  context.tree_hash = tree.tree_hash();
  const Bytes ctx = codec::encode(context);

  out.path.leaf_node = std::move(leaf);
  for (std::size_t i = 0; i < steps.size(); ++i) {
    UpdatePathNode node;
    node.encryption_key = public_keys[i];
    for (NodeIndex r : recipients(tree, steps[i].copath_child, excluded)) {
      const Bytes& pk = is_leaf(r) ? tree.leaf(leaf_of_node(r))->encryption_key : tree.parent(r)->encryption_key;
      GCHAT_TRY(auto ct, encrypt_with_label(suite, pk, kPathLabel, ctx, secrets[i]));
      node.encrypted_path_secret.push_back({std::move(ct.kem_output), std::move(ct.ciphertext)});
    }
    out.path.nodes.push_back(std::move(node));
  }

  out.own = own.clone();
  out.own.leaf = sender;
  forget_direct_path(out.own, tree, sender);
  out.own.keys.insert_or_assign(node_of_leaf(sender), leaf_key.private_key.clone());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    out.own.keys.insert_or_assign(steps[i].node, std::move(private_keys[i]));
    out.path_secrets.push_back({steps[i].node, steps[i].copath_child, std::move(secrets[i])});
  }
  return out;
}

Result<MergedPath> merge_update_path(const crypto::CipherSuite& suite, RatchetTree& tree, LeafIndex sender,
                                     const UpdatePath& path, GroupContext& context,
                                     const std::vector<LeafIndex>& excluded) {
  if (path.leaf_node.leaf_node_source != LeafNodeSource::commit) {
    return fail(Errc::mls_invalid_commit, "the path's leaf node is not from a commit");
  }
  MergedPath out;
  out.steps = tree.filtered_direct_path(sender);
  const auto& steps = out.steps;
  if (steps.size() != path.nodes.size()) {
    return fail(Errc::mls_invalid_commit, "the path has " + std::to_string(path.nodes.size()) +
                                              " nodes where the filtered direct path has " +
                                              std::to_string(steps.size()));
  }
  // Who each ciphertext is for is fixed by the tree before the merge (copath subtrees do not change).
  for (const auto& step : steps) {
    out.recipients.push_back(recipients(tree, step.copath_child, excluded));
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (path.nodes[i].encrypted_path_secret.size() != out.recipients[i].size()) {
      return fail(Errc::mls_invalid_commit, "path node " + std::to_string(i) + " has " +
                                                std::to_string(path.nodes[i].encrypted_path_secret.size()) +
                                                " ciphertexts for " + std::to_string(out.recipients[i].size()) +
                                                " recipients");
    }
  }

  // Merge, then check the chain of parent hashes and the leaf's signature.
  for (const auto& n : path.nodes) out.public_keys.push_back(n.encryption_key);
  GCHAT_TRY(Bytes expected_parent_hash, tree.apply_path(sender, out.public_keys));
  if (path.leaf_node.parent_hash != expected_parent_hash) {
    return fail(Errc::mls_invalid_commit, "the leaf's parent hash does not match the path");
  }
  GCHAT_TRY_STATUS(verify_leaf_node(suite, path.leaf_node, context.group_id, sender));
  GCHAT_TRY_STATUS(tree.set_leaf(sender, path.leaf_node));
  context.tree_hash = tree.tree_hash();
  return out;
}

Result<ProcessedPath> process_update_path(const crypto::CipherSuite& suite, RatchetTree& tree, LeafIndex sender,
                                          const UpdatePath& path, GroupContext& context,
                                          const std::vector<LeafIndex>& excluded, TreeKemPrivate& receiver) {
  if (sender == receiver.leaf) return fail(Errc::mls_invalid_commit, "a member does not process its own path");
  GCHAT_TRY(MergedPath merged, merge_update_path(suite, tree, sender, path, context, excluded));
  return decrypt_update_path(suite, tree, sender, path, merged, context, receiver);
}

Result<ProcessedPath> decrypt_update_path(const crypto::CipherSuite& suite, const RatchetTree& tree, LeafIndex sender,
                                          const UpdatePath& path, const MergedPath& merged,
                                          const GroupContext& context, TreeKemPrivate& receiver) {
  if (sender == receiver.leaf) return fail(Errc::mls_invalid_commit, "a member does not process its own path");
  const auto& steps = merged.steps;
  const auto& to = merged.recipients;
  const auto& public_keys = merged.public_keys;
  const Bytes ctx = codec::encode(context);
  forget_direct_path(receiver, tree, sender);

  // The lowest step whose copath subtree holds us, and a resolution node we hold a key for.
  const NodeIndex me = node_of_leaf(receiver.leaf);
  std::size_t step = 0;
  while (step < steps.size() && !is_in_subtree(me, steps[step].copath_child)) ++step;
  if (step == steps.size()) return fail(Errc::mls_invalid_commit, "no node of the path covers this member");
  std::size_t which = to[step].size();
  for (std::size_t k = 0; k < to[step].size() && which == to[step].size(); ++k) {
    if (receiver.keys.count(to[step][k])) which = k;
  }
  if (which == to[step].size()) {
    return fail(Errc::mls_invalid_commit, "this member holds no key for the path's copath resolution");
  }
  const auto& ct = path.nodes[step].encrypted_path_secret[which];
  GCHAT_TRY(Bytes decrypted, decrypt_with_label(suite, receiver.keys.at(to[step][which]), kPathLabel, ctx,
                                                ct.kem_output, ct.ciphertext));
  ProcessedPath out;
  out.decrypted_at = steps[step].node;
  out.path_secret = SecretBytes::take(decrypted);

  SecretBytes secret = out.path_secret.clone();
  for (std::size_t i = step; i < steps.size(); ++i) {
    GCHAT_TRY_STATUS(receiver.set_path_secret(suite, steps[i].node, secret, public_keys[i]));
    GCHAT_TRY(SecretBytes next, derive_secret(suite, secret, "path"));
    secret = std::move(next);
  }
  out.commit_secret = std::move(secret);
  return out;
}

}  // namespace gchat::mls
