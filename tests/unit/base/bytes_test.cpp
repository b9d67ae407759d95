#include <doctest/doctest.h>

#include "gchat/base/bytes.hpp"

using namespace gchat;

TEST_CASE("hex round-trips and rejects malformed input") {
  Bytes b{0x00, 0x01, 0xab, 0xff};
  CHECK(to_hex(b) == "0001abff");
  CHECK(*from_hex("0001ABff") == b);
  CHECK(from_hex("")->empty());
  CHECK_FALSE(from_hex("abc").has_value());
  CHECK_FALSE(from_hex("zz").has_value());
}

TEST_CASE("constant-time comparison distinguishes contents and sizes") {
  Bytes a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4}, d{1, 2};
  CHECK(equal_ct(a, b));
  CHECK_FALSE(equal_ct(a, c));
  CHECK_FALSE(equal_ct(a, d));
  CHECK(equal_ct(Bytes{}, Bytes{}));
}

TEST_CASE("concat joins views in order") {
  Bytes a{1}, b{2, 3};
  CHECK(concat({a, b, as_bytes("x")}) == Bytes{1, 2, 3, 'x'});
}
