#pragma once
// Small conversions between protobuf `bytes` fields (std::string) and our byte types, and the
// wall clock the relay stamps messages with.

#include <chrono>
#include <cstdint>
#include <string>

#include "gchat/base/bytes.hpp"

namespace gchat::server::wire {

inline Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
inline std::string to_string(BytesView b) { return std::string(b.begin(), b.end()); }

inline std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

}  // namespace gchat::server::wire
