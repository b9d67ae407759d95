#include <doctest/doctest.h>

#include "gchat/base/secret_bytes.hpp"

using namespace gchat;

TEST_CASE("taking a plain buffer into a secret wipes the source") {
  Bytes src{9, 9, 9};
  auto s = SecretBytes::take(src);
  CHECK(src.empty());
  CHECK(s.size() == 3);
  CHECK(s.view()[0] == 9);
}

TEST_CASE("a moved-from secret is empty and the destination owns the bytes") {
  SecretBytes a(Bytes{1, 2, 3});
  SecretBytes b = std::move(a);
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state is the point
  CHECK(b.size() == 3);
  SecretBytes c;
  c = std::move(b);
  CHECK(c.size() == 3);
}

TEST_CASE("secrets compare by content and clone explicitly") {
  SecretBytes a(Bytes{1, 2, 3});
  auto b = a.clone();
  CHECK(a == b);
  SecretBytes z(4);
  CHECK(z.size() == 4);
  CHECK(z.view()[3] == 0);
  a.wipe();
  CHECK(a.empty());
  CHECK_FALSE(a == b);
}
