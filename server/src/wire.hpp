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

inline void append_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// A ServerFrame{batch: Batch{frames}} from already serialized frames, without parsing them:
// field 70 (Batch, length-delimited) holding field 1 (bytes) once per frame.
template <typename FrameRange>
void encode_batch(std::string& out, const FrameRange& frames) {
  constexpr std::uint64_t kBatchTag = (70 << 3) | 2;
  constexpr char kFrameTag = (1 << 3) | 2;
  std::size_t inner = 0;
  for (const auto& f : frames) inner += 1 + varint_size(f->size()) + f->size();
  out.clear();
  out.reserve(varint_size(kBatchTag) + varint_size(inner) + inner);
  append_varint(out, kBatchTag);
  append_varint(out, inner);
  for (const auto& f : frames) {
    out.push_back(kFrameTag);
    append_varint(out, f->size());
    out += *f;
  }
}

inline std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

}  // namespace gchat::server::wire
