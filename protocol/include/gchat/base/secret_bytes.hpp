#pragma once
// SecretBytes: an owning buffer for key material. It wipes itself (sodium_memzero) on destruction,
// on reassignment and on resize, it is not copyable by accident (copy is explicit: clone()), it
// compares in constant time, and it never prints.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "gchat/base/bytes.hpp"

namespace gchat {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t size);  // zero-filled
  explicit SecretBytes(BytesView data);
  ~SecretBytes();

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  SecretBytes clone() const { return SecretBytes(view()); }

  // Takes ownership of a plain buffer and wipes the source.
  static SecretBytes take(Bytes& source);

  std::uint8_t* data() noexcept { return data_.data(); }
  const std::uint8_t* data() const noexcept { return data_.data(); }
  std::size_t size() const noexcept { return data_.size(); }
  bool empty() const noexcept { return data_.empty(); }
  BytesView view() const noexcept { return {data_.data(), data_.size()}; }
  std::span<std::uint8_t> span() noexcept { return {data_.data(), data_.size()}; }
  operator BytesView() const noexcept { return view(); }  // NOLINT: secrets flow into crypto APIs as views

  void wipe() noexcept;  // zero and release
  bool operator==(const SecretBytes& other) const noexcept;

 private:
  std::vector<std::uint8_t> data_;
};

}  // namespace gchat
