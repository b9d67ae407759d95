#include "gchat/base/secret_bytes.hpp"

#include <sodium.h>

namespace gchat {

SecretBytes::SecretBytes(std::size_t size) : data_(size, 0) {}

SecretBytes::SecretBytes(BytesView data) : data_(data.begin(), data.end()) {}

SecretBytes::~SecretBytes() { wipe(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {
  other.data_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::move(other.data_);
    other.data_.clear();
  }
  return *this;
}

SecretBytes SecretBytes::take(Bytes& source) {
  SecretBytes out(BytesView{source.data(), source.size()});
  if (!source.empty()) sodium_memzero(source.data(), source.size());
  source.clear();
  return out;
}

void SecretBytes::wipe() noexcept {
  if (!data_.empty()) sodium_memzero(data_.data(), data_.size());
  data_.clear();
  data_.shrink_to_fit();
}

bool SecretBytes::operator==(const SecretBytes& other) const noexcept { return equal_ct(view(), other.view()); }

}  // namespace gchat
