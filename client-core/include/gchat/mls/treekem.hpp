#pragma once
// TreeKEM (RFC 9420 §7.4-7.6): creating an UpdatePath (fresh leaf key, path secrets up the
// filtered direct path, parent hashes, signed leaf, path secrets encrypted to each copath
// resolution) and processing one (merge, verify the parent hash and leaf signature, decrypt the
// one ciphertext meant for us, derive and check the keys above it). Both return the commit secret.

#include <map>
#include <vector>

#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"
#include "gchat/crypto/cipher_suite.hpp"
#include "gchat/mls/messages.hpp"
#include "gchat/mls/ratchet_tree.hpp"

namespace gchat::mls {

// A member's private view of the tree: the HPKE private keys it holds, by node (its leaf and the
// parent nodes on its direct path that it knows).
struct TreeKemPrivate {
  LeafIndex leaf = 0;
  std::map<NodeIndex, SecretBytes> keys;

  TreeKemPrivate clone() const;
  // Adds the key pair of `node` derived from `path_secret`, checking it against `public_key`.
  Status set_path_secret(const crypto::CipherSuite& suite, NodeIndex node, BytesView path_secret, BytesView public_key);
};

// DeriveKeyPair(DeriveSecret(path_secret, "node")).
Result<crypto::HpkeKeyPair> node_key_pair(const crypto::CipherSuite& suite, BytesView path_secret);

struct CreatedPath {
  UpdatePath path;
  SecretBytes commit_secret;
  TreeKemPrivate own;  // the sender's new private view
  struct NodeSecret {
    NodeIndex node;
    NodeIndex copath_child;
    SecretBytes path_secret;
  };
  std::vector<NodeSecret> path_secrets;  // bottom to top, for the Welcome's GroupSecrets
};

// `context` is the provisional GroupContext; its tree_hash is replaced by the hash of the tree
// with the path merged, which is what the ciphertexts are bound to. `leaf` is the sender's leaf
// to refresh (credential, capabilities, extensions, signature key are kept). `excluded`: leaves
// added by the same commit, which get the path secrets through the Welcome instead.
Result<CreatedPath> create_update_path(const crypto::CipherSuite& suite, RatchetTree& tree, LeafIndex sender,
                                       BytesView signature_private_key, GroupContext& context,
                                       const std::vector<LeafIndex>& excluded, const TreeKemPrivate& own);

struct ProcessedPath {
  SecretBytes commit_secret;
  SecretBytes path_secret;  // the one decrypted (for the lowest common node with the sender)
  NodeIndex decrypted_at = 0;
};

// The public half of processing a path, which an observer without secrets can do too: checks its
// shape against the tree, merges its public keys, checks the parent hashes and the leaf's
// signature, and fills `context.tree_hash`.
struct MergedPath {
  std::vector<RatchetTree::PathStep> steps;         // the sender's filtered direct path, bottom to top
  std::vector<std::vector<NodeIndex>> recipients;   // per step, who its ciphertexts are for
  std::vector<Bytes> public_keys;
};
Result<MergedPath> merge_update_path(const crypto::CipherSuite& suite, RatchetTree& tree, LeafIndex sender,
                                     const UpdatePath& path, GroupContext& context,
                                     const std::vector<LeafIndex>& excluded);

// The private half, on a tree `merged` has already been merged into (`context.tree_hash` filled):
// decrypts this member's path secret and updates `receiver`.
Result<ProcessedPath> decrypt_update_path(const crypto::CipherSuite& suite, const RatchetTree& tree, LeafIndex sender,
                                          const UpdatePath& path, const MergedPath& merged,
                                          const GroupContext& context, TreeKemPrivate& receiver);

// Merges `path` from `sender` into `tree`, fills `context.tree_hash`, and updates `receiver`.
// Errc::mls_invalid_commit for a malformed path, a bad parent hash or mismatched keys,
// Errc::bad_signature for the leaf, Errc::decrypt_failed when our ciphertext does not open.
Result<ProcessedPath> process_update_path(const crypto::CipherSuite& suite, RatchetTree& tree, LeafIndex sender,
                                          const UpdatePath& path, GroupContext& context,
                                          const std::vector<LeafIndex>& excluded, TreeKemPrivate& receiver);

}  // namespace gchat::mls
