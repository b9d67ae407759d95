#include <doctest/doctest.h>

#include "gchat/mls/tree_math.hpp"

using namespace gchat::mls::tree;

namespace {
// Reference: climb from x with parent() until reaching a node whose subtree holds y.
NodeIndex slow_common_ancestor(NodeIndex x, NodeIndex y, std::uint32_t n) {
  NodeIndex a = x;
  while (!is_in_subtree(y, a)) a = *parent(a, n);
  return a;
}
}  // namespace

TEST_CASE("a tree of 8 leaves has the layout of RFC 9420 §4.1") {
  CHECK(node_width(8) == 15);
  CHECK(root(8) == 7);
  CHECK(root(1) == 0);
  CHECK(node_width(0) == 0);
  CHECK(level(0) == 0);
  CHECK(level(7) == 3);
  CHECK(*left(7) == 3);
  CHECK(*right(7) == 11);
  CHECK_FALSE(left(4).has_value());
  CHECK(*parent(0, 8) == 1);
  CHECK(*parent(3, 8) == 7);
  CHECK_FALSE(parent(7, 8).has_value());
  CHECK_FALSE(parent(15, 8).has_value());
  CHECK(*sibling(3, 8) == 11);
  CHECK(direct_path(0, 8) == std::vector<NodeIndex>{1, 3, 7});
  CHECK(copath(0, 8) == std::vector<NodeIndex>{2, 5, 11});
  CHECK(direct_path(7, 8).empty());
}

TEST_CASE("the common ancestor matches a walk up the tree for every pair in a 16-leaf tree") {
  const std::uint32_t n = 16;
  for (NodeIndex x = 0; x < node_width(n); ++x) {
    for (NodeIndex y = 0; y < node_width(n); ++y) {
      CAPTURE(x);
      CAPTURE(y);
      CHECK(common_ancestor(x, y) == slow_common_ancestor(x, y, n));
    }
  }
}
