#pragma once
// Array-based tree arithmetic (RFC 9420 §4.1, §7.1 and Appendix C). Nodes are numbered left to
// right; leaves are the even indices, parents the odd ones; a tree of n leaves (n a power of two)
// has 2n - 1 nodes. All functions are O(1) or O(log n) and allocation-free except the path lists.

#include <cstdint>
#include <optional>
#include <vector>

namespace gchat::mls::tree {

using NodeIndex = std::uint32_t;
using LeafIndex = std::uint32_t;

constexpr NodeIndex node_of_leaf(LeafIndex leaf) noexcept { return 2 * leaf; }
constexpr LeafIndex leaf_of_node(NodeIndex node) noexcept { return node / 2; }
constexpr bool is_leaf(NodeIndex x) noexcept { return (x & 1) == 0; }

// Number of trailing one bits: 0 for leaves.
std::uint32_t level(NodeIndex x) noexcept;
// Nodes in a tree of n leaves (0 for an empty tree).
std::uint32_t node_width(std::uint32_t n_leaves) noexcept;
NodeIndex root(std::uint32_t n_leaves) noexcept;

// Children of a parent node; nullopt for a leaf.
std::optional<NodeIndex> left(NodeIndex x) noexcept;
std::optional<NodeIndex> right(NodeIndex x) noexcept;
// Parent and sibling in a tree of n leaves; nullopt for the root or an index outside the tree.
std::optional<NodeIndex> parent(NodeIndex x, std::uint32_t n_leaves) noexcept;
std::optional<NodeIndex> sibling(NodeIndex x, std::uint32_t n_leaves) noexcept;

// Parents of x from just above it up to the root (§4.1 direct path), and their siblings' path.
std::vector<NodeIndex> direct_path(NodeIndex x, std::uint32_t n_leaves);
std::vector<NodeIndex> copath(NodeIndex x, std::uint32_t n_leaves);
// Lowest node whose subtree holds both x and y.
NodeIndex common_ancestor(NodeIndex x, NodeIndex y) noexcept;
// True when x is in the subtree rooted at ancestor (a node is its own descendant).
bool is_in_subtree(NodeIndex x, NodeIndex ancestor) noexcept;

}  // namespace gchat::mls::tree
