#pragma once
// Signed identity objects (identity.proto): Ed25519 keys, domain-separated signatures and the
// canonical-encoding rule every verifier applies before it reads a body.

#include <cstdint>
#include <string>
#include <string_view>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"
#include "gchat/identity/v1/identity.pb.h"

namespace gchat::identity {

// What a signature is over; each kind has its own label, so that a signature on one kind can never
// be presented as another.
enum class SignedKind {
  agency_certificate,
  admin_certificate,
  user_certificate,
  device_certificate,
  revocation_list,
  admin_act,
  audit_checkpoint,
  post,  // a chat message's content, signed by the sending device (client API Envelope)
  channel,                   // a ChannelDescriptor, signed by a channel administrator
  channel_key_registration,  // a device's HPKE key for channel keys, signed by the device
};
std::string_view signing_label(SignedKind kind) noexcept;

inline constexpr std::size_t kPublicKeySize = 32;
inline constexpr std::size_t kSignatureSize = 64;
// Bodies above this size are refused before parsing (the largest real one is well under 2 KiB).
inline constexpr std::size_t kMaxBodySize = 8 * 1024;
// A serialized Chain: four bodies and their signatures.
inline constexpr std::size_t kMaxChainSize = 4 * (kMaxBodySize + 128);

// An Ed25519 key pair; the 32-byte seed is the secret and is what key files store.
class SigningKey {
 public:
  static SigningKey generate();
  static Result<SigningKey> from_seed(BytesView seed);
  const Bytes& public_key() const noexcept { return public_key_; }
  const SecretBytes& seed() const noexcept { return seed_; }
  Bytes sign(SignedKind kind, BytesView body) const;

 private:
  SigningKey() = default;
  SecretBytes seed_;
  SecretBytes secret_key_;  // libsodium's 64-byte form (seed || public key)
  Bytes public_key_;
};

Status verify_signature(SignedKind kind, BytesView body, BytesView signature, BytesView public_key);

// Deterministic serialization (fields in order, packed, no defaults).
Bytes serialize_canonical(const google::protobuf::Message& message);

// Parses `body` into `out` and refuses anything but its canonical encoding, unknown fields
// included. `what` names the object in error messages ("user certificate").
Status parse_canonical(BytesView body, google::protobuf::Message& out, std::string_view what);

template <typename Body>
v1::Signed make_signed(SignedKind kind, const Body& body, const SigningKey& key) {
  v1::Signed out;
  const Bytes encoded = serialize_canonical(body);
  out.set_body(encoded.data(), encoded.size());
  const Bytes signature = key.sign(kind, encoded);
  out.set_signature(signature.data(), signature.size());
  return out;
}

// Checks the signature of `signed_object` with `public_key`, then parses its body canonically.
template <typename Body>
Result<Body> open_signed(SignedKind kind, const v1::Signed& signed_object, BytesView public_key,
                         std::string_view what) {
  const BytesView body = as_bytes(signed_object.body());
  auto checked = verify_signature(kind, body, as_bytes(signed_object.signature()), public_key);
  if (!checked.ok()) {
    return fail(checked.error().code, std::string(what) + ": " + checked.error().message);
  }
  Body out;
  GCHAT_TRY_STATUS(parse_canonical(body, out, what));
  return out;
}

// Identifier syntax shared by agencies, administrators and users: 1..64 of [a-z0-9._-].
bool valid_id(std::string_view id) noexcept;

}  // namespace gchat::identity
