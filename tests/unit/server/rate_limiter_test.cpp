#include <doctest/doctest.h>

#include "gchat/server/rate_limiter.hpp"

using gchat::server::TokenBucket;
using namespace std::chrono_literals;

TEST_CASE("token bucket allows the burst, then the rate") {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket b(10.0, 5.0, t0);
  for (int i = 0; i < 5; ++i) CHECK(b.try_take(t0));
  std::uint32_t retry = 0;
  CHECK_FALSE(b.try_take(t0, &retry));
  CHECK(retry >= 99);
  CHECK(retry <= 101);
  CHECK_FALSE(b.try_take(t0 + 50ms));
  CHECK(b.try_take(t0 + 100ms));
  CHECK_FALSE(b.try_take(t0 + 100ms));
  // A long pause refills only up to the burst.
  const auto later = t0 + 1h;
  for (int i = 0; i < 5; ++i) CHECK(b.try_take(later));
  CHECK_FALSE(b.try_take(later));
}

TEST_CASE("token bucket ignores a clock that goes backwards") {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket b(1.0, 1.0, t0);
  CHECK(b.try_take(t0));
  CHECK_FALSE(b.try_take(t0 - 10s));
  CHECK_FALSE(b.try_take(t0 + 500ms));
  CHECK(b.try_take(t0 + 1s));
}
