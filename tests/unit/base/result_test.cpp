#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "gchat/base/result.hpp"

using gchat::Errc;
using gchat::Result;

namespace {
Result<int> parse_positive(int x) {
  if (x <= 0) return gchat::fail(Errc::invalid_argument, "not positive");
  return x;
}
Result<int> doubled(int x) {
  GCHAT_TRY(int v, parse_positive(x));
  return v * 2;
}
gchat::Status check(int x) {
  GCHAT_TRY_STATUS(parse_positive(x));
  return {};
}
}  // namespace

TEST_CASE("a result holds either a value or a typed error") {
  auto good = parse_positive(3);
  REQUIRE(good.ok());
  CHECK(*good == 3);
  auto bad = parse_positive(-1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errc::invalid_argument);
  CHECK(bad.error().to_string() == "invalid_argument: not positive");
}

TEST_CASE("GCHAT_TRY propagates the first error and unwraps values") {
  CHECK(*doubled(4) == 8);
  auto r = doubled(0);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::invalid_argument);
  CHECK(check(1).ok());
  CHECK_FALSE(check(-5).ok());
}

TEST_CASE("a result can hold a move-only value") {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  REQUIRE(r.ok());
  auto p = std::move(r).value();
  CHECK(*p == 7);
}

TEST_CASE("every error code has a stable name") {
  CHECK(gchat::errc_name(Errc::truncated) == "truncated");
  CHECK(gchat::errc_name(Errc::mls_generation_reused) == "mls_generation_reused");
  CHECK(gchat::errc_name(static_cast<Errc>(123456)) == "unknown");
}
