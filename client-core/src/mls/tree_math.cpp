#include "gchat/mls/tree_math.hpp"

#include <algorithm>
#include <bit>

namespace gchat::mls::tree {

std::uint32_t level(NodeIndex x) noexcept { return static_cast<std::uint32_t>(std::countr_one(x)); }

std::uint32_t node_width(std::uint32_t n_leaves) noexcept { return n_leaves == 0 ? 0 : 2 * (n_leaves - 1) + 1; }

NodeIndex root(std::uint32_t n_leaves) noexcept {
  const std::uint32_t w = node_width(n_leaves);
  if (w == 0) return 0;
  return (std::uint32_t{1} << (std::bit_width(w) - 1)) - 1;
}

std::optional<NodeIndex> left(NodeIndex x) noexcept {
  const auto k = level(x);
  if (k == 0) return std::nullopt;
  return x ^ (std::uint32_t{1} << (k - 1));
}

std::optional<NodeIndex> right(NodeIndex x) noexcept {
  const auto k = level(x);
  if (k == 0) return std::nullopt;
  return x ^ (std::uint32_t{3} << (k - 1));
}

// Appendix C parent_step; valid because MLS trees always have a power-of-two number of leaves.
static NodeIndex parent_step(NodeIndex x) noexcept {
  const auto k = level(x);
  const std::uint32_t b = (x >> (k + 1)) & 1;
  return (x | (std::uint32_t{1} << k)) ^ (b << (k + 1));
}

std::optional<NodeIndex> parent(NodeIndex x, std::uint32_t n_leaves) noexcept {
  if (x >= node_width(n_leaves) || x == root(n_leaves)) return std::nullopt;
  return parent_step(x);
}

std::optional<NodeIndex> sibling(NodeIndex x, std::uint32_t n_leaves) noexcept {
  auto p = parent(x, n_leaves);
  if (!p) return std::nullopt;
  return x < *p ? right(*p) : left(*p);
}

std::vector<NodeIndex> direct_path(NodeIndex x, std::uint32_t n_leaves) {
  std::vector<NodeIndex> path;
  const NodeIndex r = root(n_leaves);
  if (x >= node_width(n_leaves) || x == r) return path;
  path.reserve(level(r));
  while (x != r) {
    x = parent_step(x);
    path.push_back(x);
  }
  return path;
}

std::vector<NodeIndex> copath(NodeIndex x, std::uint32_t n_leaves) {
  std::vector<NodeIndex> out;
  if (x >= node_width(n_leaves) || x == root(n_leaves)) return out;
  auto path = direct_path(x, n_leaves);
  out.reserve(path.size());
  // Siblings of x and of every node of its direct path except the root.
  out.push_back(*sibling(x, n_leaves));
  for (std::size_t i = 0; i + 1 < path.size(); ++i) out.push_back(*sibling(path[i], n_leaves));
  return out;
}

NodeIndex common_ancestor(NodeIndex x, NodeIndex y) noexcept {
  if (x == y) return x;
  // A node at level L is prefix || 0 || 1^L. The ancestor sits at the level just above the highest
  // bit where x and y differ, and at least above both of them.
  const std::uint32_t k = std::max({static_cast<std::uint32_t>(std::bit_width(x ^ y)), level(x) + 1, level(y) + 1});
  return ((x >> k) << k) | ((std::uint32_t{1} << (k - 1)) - 1);
}

bool is_in_subtree(NodeIndex x, NodeIndex ancestor) noexcept {
  // The subtree of a level-k node is the nodes that share its bits above k and lie no higher.
  const auto k = level(ancestor);
  return level(x) <= k && (x >> (k + 1)) == (ancestor >> (k + 1));
}

}  // namespace gchat::mls::tree
