#pragma once
// The ratchet tree (RFC 9420 §4, §7): leaf and parent nodes in the array layout, resolution,
// tree hashes (§7.8) cached per node so that a change rehashes only its direct path, parent-hash
// verification (§7.9.2), leaf-signature verification, the ratchet_tree extension encoding
// (§12.4.3.3), and the membership edits of Add, Remove and Update proposals (§7.7, §12.1).
//
// The tree is always full: it holds node_width(leaf_count) slots with leaf_count a power of two.
// Its encoding drops trailing blank nodes; decoding extends it back.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/crypto/cipher_suite.hpp"
#include "gchat/mls/messages.hpp"
#include "gchat/mls/tree_math.hpp"

namespace gchat::mls {

using tree::LeafIndex;
using tree::NodeIndex;

struct ParentNode {
  Bytes encryption_key;
  Bytes parent_hash;
  std::vector<std::uint32_t> unmerged_leaves;  // leaf indices, in the order they were added
  GCHAT_TLS_FIELDS(encryption_key, parent_hash, unmerged_leaves)
};

enum class NodeType : std::uint8_t { leaf = 1, parent = 2 };

struct Node {
  std::variant<LeafNode, ParentNode> value;
};
void tls_encode(Writer& w, const Node& v);
Status tls_decode(Reader& r, Node& v);

class RatchetTree {
 public:
  explicit RatchetTree(const crypto::CipherSuite& suite) : suite_(&suite) {}

  // From the ratchet_tree extension's data: checks that leaves sit at even indices and parents at
  // odd ones, that the last node is not blank, and that unmerged leaves are leaves of the node's
  // subtree. Signatures and parent hashes are checked separately (verify()).
  static Result<RatchetTree> decode(const crypto::CipherSuite& suite, BytesView data);
  Bytes encode() const;

  std::uint32_t leaf_count() const noexcept { return static_cast<std::uint32_t>((nodes_.size() + 1) / 2); }
  std::uint32_t node_count() const noexcept { return static_cast<std::uint32_t>(nodes_.size()); }
  bool blank(NodeIndex x) const noexcept { return x >= nodes_.size() || !nodes_[x]; }
  // Whether any member sits below x (so its resolution is not empty); O(1).
  bool has_members_below(NodeIndex x) const noexcept { return x < members_below_.size() && members_below_[x] > 0; }
  const LeafNode* leaf(LeafIndex i) const noexcept;
  const ParentNode* parent(NodeIndex x) const noexcept;

  // §4.1.1: the non-blank nodes that cover the subtree under x, with unmerged leaves.
  std::vector<NodeIndex> resolution(NodeIndex x) const;

  // §7.8. Cached: only nodes changed since the last call, and their ancestors, are rehashed.
  Bytes tree_hash() const;
  Bytes tree_hash(NodeIndex x) const;

  // §7.9: the parent hash of parent P when the path comes up through its child opposite `sibling`.
  Bytes parent_hash(NodeIndex p, NodeIndex sibling) const;
  // §7.9.2 (top down): every non-blank parent has exactly one descendant it is parent-hash valid
  // for. Errc::mls_invalid_tree naming the node otherwise.
  Status verify_parent_hashes() const;
  // Every leaf's signature (LeafNodeTBS, with group_id and leaf index for update and commit
  // leaves). Errc::bad_signature naming the leaf otherwise.
  Status verify_leaf_signatures(BytesView group_id) const;
  // Both, plus the structural checks of encryption-key uniqueness (§7.4 tree validation).
  Status verify(BytesView group_id) const;

  // §4.1.2: the sender's direct path without the nodes whose copath child has an empty
  // resolution, bottom to top, each with that copath child.
  struct PathStep {
    NodeIndex node;
    NodeIndex copath_child;
  };
  std::vector<PathStep> filtered_direct_path(LeafIndex sender) const;
  // Merging an UpdatePath (§7.5): blanks the sender's direct path, gives the filtered nodes the
  // new public keys (one per step, bottom to top) with no unmerged leaves, computes their parent
  // hashes from the root down, and returns the parent hash the sender's new leaf must carry.
  Result<Bytes> apply_path(LeafIndex sender, const std::vector<Bytes>& public_keys);
  // Replaces a member's leaf without touching its path (the last step of merging a path).
  Status set_leaf(LeafIndex i, LeafNode leaf);

  // Membership edits (§12.1.1-12.1.3).
  LeafIndex add_leaf(LeafNode leaf);     // leftmost blank leaf, extending the tree when full
  Status update_leaf(LeafIndex i, LeafNode leaf);  // replaces the leaf, blanks its direct path
  Status remove_leaf(LeafIndex i);       // blanks the leaf and its direct path, then truncates

 private:
  void set(NodeIndex x, std::optional<Node> node);
  void invalidate(NodeIndex x) const;
  void truncate();
  void resize(std::size_t width);
  void resolution_into(NodeIndex x, std::vector<NodeIndex>& out) const;
  Bytes hash_node(NodeIndex x, const std::vector<LeafIndex>* removed) const;

  // Nodes are immutable and shared: copying a tree (a commit works on a copy, so that a refused
  // one leaves the state untouched) copies pointers, not nodes. An edit replaces a node.
  static constexpr std::size_t kMaxHash = 64;
  const crypto::CipherSuite* suite_;
  std::vector<std::shared_ptr<const Node>> nodes_;  // null: blank
  mutable std::vector<std::array<std::uint8_t, kMaxHash>> hashes_;
  mutable std::vector<std::uint8_t> hash_valid_;
  std::vector<std::uint32_t> members_below_;  // non-blank leaves in each node's subtree
};

// LeafNodeTBS (§7.2): what a leaf's signature covers (group_id and index count only for update and
// commit leaves), and the signature itself ("LeafNodeTBS" label), checked with the leaf's own key.
Bytes leaf_node_tbs(const LeafNode& leaf, BytesView group_id, LeafIndex index);
Result<Bytes> sign_leaf_node(const crypto::CipherSuite& suite, const LeafNode& leaf, BytesView signature_private_key,
                             BytesView group_id, LeafIndex index);
Status verify_leaf_node(const crypto::CipherSuite& suite, const LeafNode& leaf, BytesView group_id, LeafIndex index);

}  // namespace gchat::mls
