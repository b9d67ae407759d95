#include "gchat/codec/tls.hpp"

#include <cassert>
#include <string>

namespace gchat::codec {

void Writer::u16(std::uint16_t v) {
  out_.push_back(static_cast<std::uint8_t>(v >> 8));
  out_.push_back(static_cast<std::uint8_t>(v));
}

void Writer::u32(std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(v >> shift));
}

void Writer::u64(std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(v >> shift));
}

// RFC 9420 §2.1.2: the two high bits of the first byte give the length (1, 2 or 4 bytes).
void Writer::varint(std::uint64_t v) {
  assert(v <= kMaxVarint && "vector too long for the MLS varint");
  if (v < (1u << 6)) {
    u8(static_cast<std::uint8_t>(v));
  } else if (v < (1u << 14)) {
    u16(static_cast<std::uint16_t>(0x4000 | v));
  } else if (v <= kMaxVarint) {
    u32(static_cast<std::uint32_t>(0x80000000u | v));
  } else {
    u8(0xff);  // reserved prefix: any reader rejects it, so an over-long vector cannot be misread
  }
}

Result<BytesView> Reader::take(std::size_t n, const char* what) {
  if (n > remaining()) {
    return fail(Errc::truncated, std::string(what) + " needs " + std::to_string(n) + " bytes, " +
                                     std::to_string(remaining()) + " remain");
  }
  BytesView out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Result<std::uint8_t> Reader::u8() {
  GCHAT_TRY(auto b, take(1, "uint8"));
  return b[0];
}

Result<std::uint16_t> Reader::u16() {
  GCHAT_TRY(auto b, take(2, "uint16"));
  return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}

Result<std::uint32_t> Reader::u32() {
  GCHAT_TRY(auto b, take(4, "uint32"));
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

Result<std::uint64_t> Reader::u64() {
  GCHAT_TRY(auto b, take(8, "uint64"));
  std::uint64_t v = 0;
  for (auto byte : b) v = (v << 8) | byte;
  return v;
}

Result<std::uint64_t> Reader::varint() {
  if (empty()) return fail(Errc::truncated, "varint: no bytes remain");
  const std::uint8_t first = data_[pos_];
  const unsigned prefix = first >> 6;
  if (prefix == 3) return fail(Errc::invalid_varint, "varint uses the reserved 0b11 length prefix");
  const std::size_t len = std::size_t{1} << prefix;
  GCHAT_TRY(auto b, take(len, "varint"));
  std::uint64_t v = b[0] & 0x3f;
  for (std::size_t i = 1; i < len; ++i) v = (v << 8) | b[i];
  // §2.1.2: the encoding must be the shortest possible.
  if ((len == 2 && v < (1u << 6)) || (len == 4 && v < (1u << 14))) {
    return fail(Errc::invalid_varint, "varint is not minimally encoded");
  }
  return v;
}

Result<Bytes> Reader::raw(std::size_t n) {
  GCHAT_TRY(auto view, take(n, "bytes"));
  return Bytes(view.begin(), view.end());
}

Result<BytesView> Reader::raw_view(std::size_t n) { return take(n, "bytes"); }

Result<BytesView> Reader::opaque_view() {
  GCHAT_TRY(auto n, varint());
  if (n > remaining()) {
    return fail(Errc::length_out_of_range, "vector length " + std::to_string(n) + " exceeds the " +
                                               std::to_string(remaining()) + " bytes that remain");
  }
  return take(static_cast<std::size_t>(n), "vector");
}

Result<Bytes> Reader::opaque() {
  GCHAT_TRY(auto view, opaque_view());
  return Bytes(view.begin(), view.end());
}

Result<Reader> Reader::sub_reader() {
  GCHAT_TRY(auto view, opaque_view());
  return Reader(view);
}

Status Reader::finish() const {
  if (!empty()) return fail(Errc::trailing_data, std::to_string(remaining()) + " bytes after the end of the structure");
  return {};
}

}  // namespace gchat::codec
