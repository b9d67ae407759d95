#include <doctest/doctest.h>

#include <optional>
#include <vector>

#include "gchat/codec/tls.hpp"

using namespace gchat;
using namespace gchat::codec;

namespace {
enum class Colour : std::uint16_t { red = 1, green = 2 };

struct Inner {
  std::uint8_t tag = 0;
  Bytes data;
  GCHAT_TLS_FIELDS(tag, data)
};

struct Outer {
  std::uint16_t version = 0;
  Colour colour = Colour::red;
  std::array<std::uint8_t, 4> fixed{};
  std::vector<Inner> items;
  std::optional<Inner> extra;
  std::uint32_t u32 = 0;
  std::uint64_t u64 = 0;
  bool flag = false;
  GCHAT_TLS_FIELDS(version, colour, fixed, items, extra, u32, u64, flag)
};

Outer sample() {
  Outer o;
  o.version = 0x0102;
  o.colour = Colour::green;
  o.fixed = {9, 8, 7, 6};
  o.items = {Inner{1, {0xaa}}, Inner{2, {}}};
  o.extra = Inner{3, {1, 2, 3}};
  o.u32 = 0xdeadbeef;
  o.u64 = 0x0102030405060708;
  o.flag = true;
  return o;
}
}  // namespace

TEST_CASE("varints use the shortest of the three encodings (RFC 9420 §2.1.2)") {
  auto enc = [](std::uint64_t v) {
    Writer w;
    w.varint(v);
    return w.take();
  };
  CHECK(enc(0) == Bytes{0x00});
  CHECK(enc(63) == Bytes{0x3f});
  CHECK(enc(64) == Bytes{0x40, 0x40});
  CHECK(enc(16383) == Bytes{0x7f, 0xff});
  CHECK(enc(16384) == Bytes{0x80, 0x00, 0x40, 0x00});
  CHECK(enc(kMaxVarint) == Bytes{0xbf, 0xff, 0xff, 0xff});
  for (std::uint64_t v : std::vector<std::uint64_t>{0, 1, 63, 64, 300, 16383, 16384, 1000000, kMaxVarint}) {
    auto bytes = enc(v);
    Reader r(bytes);
    auto got = r.varint();
    REQUIRE(got.ok());
    CHECK(*got == v);
    CHECK(r.empty());
  }
}

TEST_CASE("a non-minimal varint is rejected") {
  Bytes two{0x40, 0x05};  // 5 fits in one byte
  Reader r2(two);
  CHECK(r2.varint().error().code == Errc::invalid_varint);
  Bytes four{0x80, 0x00, 0x00, 0x3f};
  Reader r4(four);
  CHECK(r4.varint().error().code == Errc::invalid_varint);
}

TEST_CASE("the reserved 0b11 varint prefix is rejected") {
  Bytes b{0xc0, 0, 0, 0, 0, 0, 0, 0};
  Reader r(b);
  CHECK(r.varint().error().code == Errc::invalid_varint);
}

TEST_CASE("a struct declared once round-trips through encode and decode") {
  Outer o = sample();
  Bytes wire = encode(o);
  auto back = decode_exact<Outer>(wire);
  REQUIRE(back.ok());
  CHECK(*back == o);
}

TEST_CASE("every truncation of a valid encoding fails with a typed error, never a crash") {
  Bytes wire = encode(sample());
  for (std::size_t n = 0; n < wire.size(); ++n) {
    auto r = decode_exact<Outer>(BytesView(wire.data(), n));
    REQUIRE_FALSE(r.ok());
    const auto code = r.error().code;
    CHECK((code == Errc::truncated || code == Errc::length_out_of_range));
  }
}

TEST_CASE("bytes after a complete structure are trailing data") {
  Bytes wire = encode(sample());
  wire.push_back(0);
  CHECK(decode_exact<Outer>(wire).error().code == Errc::trailing_data);
}

TEST_CASE("a vector length larger than the input is rejected before any allocation") {
  // opaque<V> claiming 2^30-1 bytes with 3 present.
  Bytes wire{0xbf, 0xff, 0xff, 0xff, 1, 2, 3};
  Reader r(wire);
  auto got = r.opaque();
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().code == Errc::length_out_of_range);
}

TEST_CASE("an optional presence octet other than 0 or 1 is an invalid value") {
  std::optional<std::uint8_t> v;
  Bytes wire{2, 7};
  Reader r(wire);
  CHECK(decode_value(r, v).error().code == Errc::invalid_value);
}

TEST_CASE("an element that does not fit inside its vector is rejected") {
  // vector<V> of Inner with 2 bytes: tag + a vector claiming 5 bytes.
  Bytes wire{0x02, 0x01, 0x05};
  auto r = decode_exact<std::vector<Inner>>(wire);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::length_out_of_range);
}

TEST_CASE("sub-readers are bounded to their slice") {
  Bytes wire{0x02, 0xaa, 0xbb, 0xcc};
  Reader r(wire);
  auto sub = r.sub_reader();
  REQUIRE(sub.ok());
  CHECK(sub->remaining() == 2);
  CHECK(sub->raw(3).error().code == Errc::truncated);
  CHECK(r.remaining() == 1);
}
