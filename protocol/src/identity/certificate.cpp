#include "gchat/identity/certificate.hpp"

#include <sodium.h>

#include <algorithm>
#include <string>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace gchat::identity {

std::string_view signing_label(SignedKind kind) noexcept {
  switch (kind) {
    case SignedKind::agency_certificate: return "G-Chat agency certificate v1";
    case SignedKind::admin_certificate: return "G-Chat administrator certificate v1";
    case SignedKind::user_certificate: return "G-Chat user certificate v1";
    case SignedKind::device_certificate: return "G-Chat device certificate v1";
    case SignedKind::revocation_list: return "G-Chat revocation list v1";
    case SignedKind::admin_act: return "G-Chat admin act v1";
    case SignedKind::audit_checkpoint: return "G-Chat audit checkpoint v1";
    case SignedKind::post: return "G-Chat post v1";
    case SignedKind::channel: return "G-Chat channel v1";
    case SignedKind::channel_key_registration: return "G-Chat channel key registration v1";
  }
  return "G-Chat unknown v1";
}

namespace {

Bytes to_be_signed(SignedKind kind, BytesView body) {
  const std::string_view label = signing_label(kind);
  const std::uint8_t zero = 0;
  return concat({as_bytes(label), BytesView(&zero, 1), body});
}

}  // namespace

SigningKey SigningKey::generate() {
  Bytes seed(crypto_sign_SEEDBYTES);
  randombytes_buf(seed.data(), seed.size());
  auto key = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return std::move(key).value();
}

Result<SigningKey> SigningKey::from_seed(BytesView seed) {
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return fail(Errc::invalid_key, "an Ed25519 seed is 32 bytes, not " + std::to_string(seed.size()));
  }
  SigningKey key;
  key.seed_ = SecretBytes(seed);
  key.secret_key_ = SecretBytes(crypto_sign_SECRETKEYBYTES);
  key.public_key_.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_seed_keypair(key.public_key_.data(), key.secret_key_.data(), seed.data());
  return key;
}

Bytes SigningKey::sign(SignedKind kind, BytesView body) const {
  const Bytes message = to_be_signed(kind, body);
  Bytes signature(crypto_sign_BYTES);
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), secret_key_.data());
  return signature;
}

Status verify_signature(SignedKind kind, BytesView body, BytesView signature, BytesView public_key) {
  if (public_key.size() != kPublicKeySize) return fail(Errc::cert_malformed, "the signer's key is not 32 bytes");
  if (signature.size() != kSignatureSize) return fail(Errc::cert_malformed, "the signature is not 64 bytes");
  const Bytes message = to_be_signed(kind, body);
  if (crypto_sign_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) != 0) {
    return fail(Errc::cert_bad_signature, "the signature does not verify");
  }
  return {};
}

Bytes serialize_canonical(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return Bytes(out.begin(), out.end());
}

Status parse_canonical(BytesView body, google::protobuf::Message& out, std::string_view what) {
  if (body.size() > kMaxBodySize) {
    return fail(Errc::cert_malformed, std::string(what) + " is " + std::to_string(body.size()) +
                                          " bytes, above the limit of " + std::to_string(kMaxBodySize));
  }
  if (!out.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return fail(Errc::cert_malformed, std::string(what) + " is not a valid encoding");
  }
  // Unknown fields would survive a re-serialization; drop them first so that they count as a
  // difference.
  out.DiscardUnknownFields();
  const Bytes canonical = serialize_canonical(out);
  if (!std::equal(canonical.begin(), canonical.end(), body.begin(), body.end())) {
    return fail(Errc::cert_malformed, std::string(what) + " is not in canonical encoding");
  }
  return {};
}

bool valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace gchat::identity
