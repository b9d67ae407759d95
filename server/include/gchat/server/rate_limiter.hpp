#pragma once
// Token bucket: `rate` tokens per second up to `burst`. Time is passed in so tests need no clock.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace gchat::server {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate_per_sec, double burst, Clock::time_point now) noexcept
      : rate_(rate_per_sec), burst_(burst), tokens_(burst), last_(now) {}

  // Takes one token if available; otherwise returns false and how long until one is.
  bool try_take(Clock::time_point now, std::uint32_t* retry_after_ms = nullptr) noexcept {
    refill(now);
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return true;
    }
    if (retry_after_ms) *retry_after_ms = static_cast<std::uint32_t>((1.0 - tokens_) / rate_ * 1000.0) + 1;
    return false;
  }

 private:
  void refill(Clock::time_point now) noexcept {
    if (now <= last_) return;
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace gchat::server
