#pragma once
// The TLS presentation language as MLS uses it (RFC 9420 §2.1): fixed-width big-endian integers,
// variable-length vectors prefixed with the MLS varint (§2.1.2), optional<T> with a presence octet.
//
// A wire struct lists its fields once with GCHAT_TLS_FIELDS; encode and decode are both generated
// from that list, so they cannot drift apart:
//
//   struct KDFLabel {
//     uint16_t length;
//     Bytes label;
//     Bytes context;
//     GCHAT_TLS_FIELDS(length, label, context)
//   };
//
// Types with a select/variant body provide `void tls_encode(Writer&, const T&)` and
// `Status tls_decode(Reader&, T&)` found by argument-dependent lookup.
//
// Decoding never trusts a length: every length is checked against the bytes actually present
// before anything is allocated, and every failure is a typed error.

#include <array>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"

namespace gchat::codec {

// Largest length the MLS varint can express (§2.1.2: 30 bits).
inline constexpr std::uint64_t kMaxVarint = (std::uint64_t{1} << 30) - 1;

class Writer {
 public:
  Writer() = default;
  explicit Writer(std::size_t reserve) { out_.reserve(reserve); }

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void u64(std::uint64_t v);
  // RFC 9420 §2.1.2; values above kMaxVarint are a programmer error (asserted, and clamped to fail
  // decoding rather than emit a wrong length in release builds).
  void varint(std::uint64_t v);
  void raw(BytesView data) { out_.insert(out_.end(), data.begin(), data.end()); }
  void opaque(BytesView data) {
    varint(data.size());
    raw(data);
  }

  // Writes a varint length prefix for whatever `body` appends (vector<V> of structs).
  template <typename F>
  void with_length_prefix(F&& body) {
    Writer inner;
    body(inner);
    opaque(inner.out_);
  }

  const Bytes& bytes() const noexcept { return out_; }
  Bytes take() noexcept { return std::move(out_); }
  std::size_t size() const noexcept { return out_.size(); }

 private:
  Bytes out_;
};

class Reader {
 public:
  explicit Reader(BytesView data) noexcept : data_(data) {}

  Result<std::uint8_t> u8();
  Result<std::uint16_t> u16();
  Result<std::uint32_t> u32();
  Result<std::uint64_t> u64();
  Result<std::uint64_t> varint();  // rejects non-minimal encodings and the reserved 0b11 prefix
  Result<Bytes> raw(std::size_t n);
  Result<BytesView> raw_view(std::size_t n);  // a view into the input, no copy
  Result<Bytes> opaque();
  Result<BytesView> opaque_view();
  Result<Reader> sub_reader();  // varint length, then a Reader bounded to exactly that slice

  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  bool empty() const noexcept { return remaining() == 0; }
  std::size_t position() const noexcept { return pos_; }
  Status finish() const;  // Errc::trailing_data if anything is left

 private:
  Result<BytesView> take(std::size_t n, const char* what);
  BytesView data_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Generic encode/decode over field lists.
// ---------------------------------------------------------------------------------------------

#define GCHAT_TLS_FIELDS(...)                                          \
  auto tls_fields() { return std::tie(__VA_ARGS__); }                  \
  auto tls_fields() const { return std::tie(__VA_ARGS__); }            \
  bool operator==(const auto& other) const { return tls_fields() == other.tls_fields(); }

template <typename T>
concept HasTlsFields = requires(T t) { t.tls_fields(); };

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsByteArray : std::false_type {};
template <std::size_t N>
struct IsByteArray<std::array<std::uint8_t, N>> : std::true_type {};

template <typename T>
void encode_value(Writer& w, const T& v);
template <typename T>
Status decode_value(Reader& r, T& v);

namespace detail {
template <typename T>
void encode_integer(Writer& w, T v) {
  if constexpr (sizeof(T) == 1) w.u8(static_cast<std::uint8_t>(v));
  else if constexpr (sizeof(T) == 2) w.u16(static_cast<std::uint16_t>(v));
  else if constexpr (sizeof(T) == 4) w.u32(static_cast<std::uint32_t>(v));
  else w.u64(static_cast<std::uint64_t>(v));
}
template <typename T>
Status decode_integer(Reader& r, T& v) {
  if constexpr (sizeof(T) == 1) {
    GCHAT_TRY(auto x, r.u8());
    v = static_cast<T>(x);
  } else if constexpr (sizeof(T) == 2) {
    GCHAT_TRY(auto x, r.u16());
    v = static_cast<T>(x);
  } else if constexpr (sizeof(T) == 4) {
    GCHAT_TRY(auto x, r.u32());
    v = static_cast<T>(x);
  } else {
    GCHAT_TRY(auto x, r.u64());
    v = static_cast<T>(x);
  }
  return {};
}
}  // namespace detail

template <typename T>
void encode_value(Writer& w, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    w.u8(v ? 1 : 0);
  } else if constexpr (std::is_enum_v<T>) {
    detail::encode_integer(w, static_cast<std::underlying_type_t<T>>(v));
  } else if constexpr (std::is_integral_v<T>) {
    detail::encode_integer(w, v);
  } else if constexpr (std::is_same_v<T, Bytes>) {
    w.opaque(v);
  } else if constexpr (IsByteArray<T>::value) {
    w.raw(v);
  } else if constexpr (IsVector<T>::value) {
    w.with_length_prefix([&](Writer& inner) {
      for (const auto& item : v) encode_value(inner, item);
    });
  } else if constexpr (IsOptional<T>::value) {
    if (v) {
      w.u8(1);
      encode_value(w, *v);
    } else {
      w.u8(0);
    }
  } else if constexpr (HasTlsFields<T>) {
    std::apply([&](const auto&... field) { (encode_value(w, field), ...); }, v.tls_fields());
  } else {
    tls_encode(w, v);  // hand-written, found by ADL
  }
}

template <typename T>
Status decode_value(Reader& r, T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    GCHAT_TRY(auto b, r.u8());
    if (b > 1) return fail(Errc::invalid_value, "boolean octet is neither 0 nor 1");
    v = b == 1;
  } else if constexpr (std::is_enum_v<T>) {
    std::underlying_type_t<T> raw{};
    GCHAT_TRY_STATUS(detail::decode_integer(r, raw));
    v = static_cast<T>(raw);
  } else if constexpr (std::is_integral_v<T>) {
    GCHAT_TRY_STATUS(detail::decode_integer(r, v));
  } else if constexpr (std::is_same_v<T, Bytes>) {
    GCHAT_TRY(v, r.opaque());
  } else if constexpr (IsByteArray<T>::value) {
    GCHAT_TRY(auto view, r.raw_view(v.size()));
    std::copy(view.begin(), view.end(), v.begin());
  } else if constexpr (IsVector<T>::value) {
    GCHAT_TRY(Reader inner, r.sub_reader());
    v.clear();
    // Each element consumes at least one byte of `inner`, so the loop is bounded by the input.
    while (!inner.empty()) {
      typename T::value_type item{};
      const std::size_t before = inner.remaining();
      GCHAT_TRY_STATUS(decode_value(inner, item));
      if (inner.remaining() == before) return fail(Errc::malformed, "vector element consumed no bytes");
      v.push_back(std::move(item));
    }
  } else if constexpr (IsOptional<T>::value) {
    GCHAT_TRY(auto present, r.u8());
    if (present == 0) {
      v.reset();
    } else if (present == 1) {
      typename T::value_type inner{};
      GCHAT_TRY_STATUS(decode_value(r, inner));
      v = std::move(inner);
    } else {
      return fail(Errc::invalid_value, "optional presence octet is neither 0 nor 1");
    }
  } else if constexpr (HasTlsFields<T>) {
    Status status;
    std::apply(
        [&](auto&... field) {
          // Stop at the first failing field; later fields stay default-initialised.
          ((status.ok() ? (status = decode_value(r, field), 0) : 0), ...);
        },
        v.tls_fields());
    return status;
  } else {
    return tls_decode(r, v);  // hand-written, found by ADL
  }
  return {};
}

template <typename T>
Bytes encode(const T& v) {
  Writer w;
  encode_value(w, v);
  return w.take();
}

template <typename T>
Result<T> decode(Reader& r) {
  T v{};
  GCHAT_TRY_STATUS(decode_value(r, v));
  return v;
}

template <typename T>
Result<T> decode_exact(BytesView data) {
  Reader r(data);
  GCHAT_TRY(T v, decode<T>(r));
  GCHAT_TRY_STATUS(r.finish());
  return v;
}

}  // namespace gchat::codec
